"""PostgreSQL through asyncpg (the ``aioxide[postgres]`` extra).

As with the other backends nothing commits by itself: the first statement
outside a transaction opens one, ``commit()`` ends it (``autocommit = True``
runs each statement on its own).

>>> PostgresEngine.DIALECT
3
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from typing import Any, ClassVar

from ..._core import SQL_CODES
from .base import Connection, MissingConnector
from .sql import SqlEngine

try:
    import asyncpg  # type: ignore[import-untyped]
except ModuleNotFoundError as e:  # pragma: no cover - the extra is installed in tests
    asyncpg = MissingConnector(e)


_SCHEMA_CHANGE = re.compile(r"\s*(create|drop|alter|truncate|comment)\b", re.IGNORECASE)


class PostgresEngine(SqlEngine, name="postgres"):
    """PostgreSQL: ``"quoted"`` names, ``$n`` placeholders, native ILIKE,
    identity columns, LIMIT on UPDATE/DELETE through a ctid subquery."""

    DIALECT = SQL_CODES["dialect"]["postgres"]
    PLACEHOLDER = "$"
    MAX_PARAMS = 32767
    CONVERSIONS: ClassVar[dict[int, Any]] = {}  # asyncpg returns Python types


class PostgresConnection(Connection, name="postgresql", engine=PostgresEngine):
    """A connection to a PostgreSQL server."""

    _STATEMENTS = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tx: Any = None
        self._statements: OrderedDict[str, Any] = OrderedDict()
        # asyncpg runs one operation at a time per connection: tasks sharing
        # this one take turns instead of failing with "operation in progress".
        self._turn = asyncio.Lock()

    async def connect(self) -> None:
        loc = self.location
        kwargs: dict[str, Any] = {}
        if loc.host or loc.socket:
            kwargs.update(
                host=loc.socket or loc.host,
                port=loc.port,
                user=loc.user,
                password=loc.password,
                database=loc.database,
            )
        elif loc.database:
            kwargs["dsn"] = (
                loc.database if "://" in loc.database else f"postgresql://{loc.database}"
            )
        kwargs.update(self._kwargs)
        self._conn = await asyncpg.connect(*self._args, **kwargs)

    async def close(self) -> None:
        conn = self._live()
        self._conn = None
        self._tx = None
        self._statements.clear()
        await conn.close()

    async def begin(self) -> None:
        async with self._turn:
            await self._begin()

    async def _begin(self) -> None:
        if self._tx is not None:
            return
        tx = self._live().transaction()
        await tx.start()
        self._tx = tx

    async def commit(self) -> None:
        async with self._turn:
            tx, self._tx = self._tx, None
            if tx is not None:
                await tx.commit()

    async def rollback(self) -> None:
        async with self._turn:
            tx, self._tx = self._tx, None
            if tx is not None:
                await tx.rollback()

    abort = rollback

    async def _ready(self) -> Any:
        # Called with the turn held.
        conn = self._live()
        if self._tx is None and not self._autocommit:
            await self._begin()
        return conn

    async def _statement(self, sql: str) -> Any:
        stmt = self._statements.get(sql)
        if stmt is None:
            stmt = await (await self._ready()).prepare(sql)
            self._statements[sql] = stmt
            if len(self._statements) > self._STATEMENTS:
                self._statements.popitem(last=False)
        else:
            await self._ready()
        return stmt

    async def _driver_cursor(self) -> Any:
        return _PgCursor(self)

    async def _plain(self, sql: str) -> None:
        async with self._turn:
            await (await self._ready()).execute(sql)


class _PgCursor:
    """A cursor over asyncpg: prepared statements (cached per connection),
    rows fetched at once, row count from the command status."""

    def __init__(self, owner: PostgresConnection) -> None:
        self._owner = owner
        self._rows: list[Any] = []
        self._pos = 0
        self.rowcount = -1
        self.lastrowid = None

    async def execute(self, sql: str, params: Any) -> None:
        async with self._owner._turn:
            await self._execute(sql, list(params or ()))

    async def _execute(self, sql: str, args: list[Any]) -> None:
        owner = self._owner
        for attempt in (0, 1):
            stmt = await owner._statement(sql)
            try:
                rows = await stmt.fetch(*args)
                break
            except (
                asyncpg.InvalidCachedStatementError,
                asyncpg.exceptions.OutdatedSchemaCacheError,
            ):
                # Another connection changed the table: prepare again, when
                # no transaction of ours was aborted by the failure.
                owner._statements.pop(sql, None)
                if attempt or owner._tx is not None:
                    raise
        if _SCHEMA_CHANGE.match(sql):
            # Statements prepared before may describe the old shapes.
            owner._statements.clear()
        self._rows = rows
        self._pos = 0
        status = stmt.get_statusmsg() or ""
        last = status.rsplit(" ", 1)[-1]
        self.rowcount = int(last) if last.isdigit() else len(rows)

    async def fetchone(self) -> Any:
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return tuple(row)

    async def fetchmany(self, size: int) -> list[Any]:
        chunk = self._rows[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk

    async def fetchall(self) -> list[Any]:
        chunk = self._rows[self._pos :]
        self._pos = len(self._rows)
        return chunk

    async def close(self) -> None:
        self._rows = []
