"""docs/sql.md's example: one table, the common statements, on SQLite.

Run: ``python examples/sql_contacts.py [sqlite://PATH | postgresql://... | mysql://...]``
"""

from __future__ import annotations

import asyncio
import sys
from typing import Optional

from aioxide.sql import AutoIncrement, Primary, Unique, connect, fn, table


@table("contacts")
class Contact:
    id: Primary[AutoIncrement[int]]
    email: Unique[str]
    name: str
    city: Optional[str] = None  # noqa: UP045 - read by @table at runtime
    score: float = 0.0


async def main(uri: str = "sqlite://:memory:") -> list[str]:
    lines = []
    async with connect(uri) as db:
        await db.execute(Contact.create(if_not_exists=True))
        async with db.transaction():  # commits here, or rolls back on error
            await db.execute(
                Contact.insert().values(
                    Contact(None, "ann@example.com", "Ann", "Oslo", 3.5),
                    Contact(None, "bob@example.org", "Bob", None, 1.0),
                    Contact(None, "cy@example.com", "Cy", "Oslo", 2.0),
                )
            )

        # rows come back as Contact objects
        for c in await db.execute(
            Contact.select().where(Contact.email.like("%@example.com")).orderby(Contact.name)
        ):
            lines.append(f"{c.name} <{c.email}> {c.city}")

        # partial selects and aggregates come back as frozen Row objects
        per_city = await db.execute(
            Contact.select(Contact.city, fn.count().as_("n"), fn.avg(Contact.score).as_("avg"))
            .where(Contact.city.is_not_null())
            .groupby(Contact.city)
        )
        lines += [f"{r.city}: {r.n} contacts, mean score {r.avg}" for r in per_city]

        # object helpers, by primary key
        bob = await db.get(Contact, email="bob@example.org")
        bob.city = "Bergen"
        await db.update(bob)
        await db.commit()
        lines.append(f"Bob moved to {(await db.get(Contact, id=bob.id)).city}")
    return lines


if __name__ == "__main__":
    for line in asyncio.run(main(*sys.argv[1:])):
        print(line)
