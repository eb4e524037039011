"""A program using the aioxide.sql API, checked with ``mypy --strict`` by
``make lint`` (and run by tests/test_typing_sample.py).

``table(cls)`` gives a ``Table`` whose attributes are columns; queries,
prepared statements and results are typed.
"""

from __future__ import annotations

from typing import Any, Optional

from aioxide.sql import AutoIncrement, PreparedQuery, Primary, Query, Table, connect, fn, table
from aioxide.sql.engines import PostgresEngine


class ItemRow:
    id: Primary[AutoIncrement[int]]
    name: str
    price: Optional[float] = None  # noqa: UP045 - read by @table at runtime


Item: Table[ItemRow] = table("typed_items")(ItemRow)


async def main() -> dict[str, object]:
    query: Query[ItemRow] = Item.select().where(Item.price > 1.0).orderby(Item.name)
    prepared: PreparedQuery[Any] = PostgresEngine().prepare(query)
    out: dict[str, object] = {"sql": prepared.sql, "params": list(prepared.parameters)}
    async with connect("sqlite://:memory:") as db:
        await db.execute(Item.create())
        await db.execute(Item.insert().values((None, "pen", 1.5), (None, "cap", 0.5)))
        rows: list[ItemRow] = await db.execute(query)
        out["names"] = [getattr(r, "name") for r in rows]  # noqa: B009 - ItemRow is the class before @table
        counted: list[Any] = await db.execute(Item.select(fn.count().as_("n")))
        out["count"] = counted[0].n
    return out
