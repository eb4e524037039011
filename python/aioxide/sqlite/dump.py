"""``iterdump``: the database as SQL text, line for line what
``sqlite3.Connection.iterdump()`` produces, so dumps diff cleanly against
ones made with the standard library."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

RunQuery = Callable[[str], Awaitable[list[tuple[Any, ...]]]]


def _ident(name: str) -> str:
    return name.replace('"', '""')


async def iterdump(query: RunQuery) -> AsyncIterator[str]:
    """Yield the statements that recreate the database read through ``query``."""
    yield "BEGIN TRANSACTION;"
    tables = await query(
        'SELECT "name", "type", "sql" FROM "sqlite_master" '
        'WHERE "sql" NOT NULL AND "type" == \'table\' ORDER BY "name"'
    )
    sequence_lines: list[str] = []
    wrote_writable_schema = False
    for table, _kind, sql in tables:
        if table == "sqlite_sequence":
            # Restored last, once the tables it refers to exist.
            sequence_lines.append('DELETE FROM "sqlite_sequence";')
            for seq_name, seq_value in await query('SELECT * FROM "sqlite_sequence";'):
                sequence_lines.append(
                    f"INSERT INTO \"sqlite_sequence\" VALUES('{seq_name}',{seq_value});"
                )
            continue
        if table == "sqlite_stat1":
            yield 'ANALYZE "sqlite_master";'
        elif table.startswith("sqlite_"):
            continue
        elif sql.startswith("CREATE VIRTUAL TABLE"):
            if not wrote_writable_schema:
                yield "PRAGMA writable_schema=ON;"
                wrote_writable_schema = True
            quoted_name = table.replace("'", "''")
            quoted_sql = sql.replace("'", "''")
            yield (
                "INSERT INTO sqlite_master(type,name,tbl_name,rootpage,sql)"
                f"VALUES('table','{quoted_name}','{quoted_name}',0,'{quoted_sql}');"
            )
            continue
        else:
            yield f"{sql};"
        columns = [str(info[1]) for info in await query(f'PRAGMA table_info("{_ident(table)}")')]
        values = ",".join(f"'||quote(\"{_ident(c)}\")||'" for c in columns)
        inserts = await query(
            f'SELECT \'INSERT INTO "{_ident(table)}" VALUES({values})\' FROM "{_ident(table)}";'
        )
        for (line,) in inserts:
            yield f"{line};"
    others = await query(
        'SELECT "name", "type", "sql" FROM "sqlite_master" '
        "WHERE \"sql\" NOT NULL AND \"type\" IN ('index', 'trigger', 'view')"
    )
    for _name, _kind, sql in others:
        yield f"{sql};"
    if wrote_writable_schema:
        yield "PRAGMA writable_schema=OFF;"
    for line in sequence_lines:
        yield line
    yield "COMMIT;"
