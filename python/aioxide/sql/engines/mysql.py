"""MySQL / MariaDB through aiomysql (the ``aioxide[mysql]`` extra).

>>> MysqlEngine.PLACEHOLDER
'%s'
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..._core import SQL_CODES
from ..errors import NoConnection
from ..mapping import BOOL_AS_INT
from .base import Connection, MissingConnector
from .sql import SqlEngine

try:
    import aiomysql  # type: ignore[import-untyped]
    from pymysql.converters import encoders as _encoders  # type: ignore[import-untyped]
except ModuleNotFoundError as e:  # pragma: no cover - the extra is installed in tests
    aiomysql = MissingConnector(e)
    _encoders = {}


class _Binary:
    """A bytes parameter. aiomysql escapes ``bytes`` with a PyMySQL helper
    that PyMySQL 1.2 turned into a string; this type gets its own encoder."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = bytes(data)


_encoders[_Binary] = lambda value, mapping=None: f"_binary X'{value.data.hex()}'"


def _bindable(params: Any) -> tuple[Any, ...]:
    return tuple(
        _Binary(p) if isinstance(p, (bytes, bytearray, memoryview)) else p for p in params or ()
    )


class MysqlEngine(SqlEngine, name="mysql"):
    """MySQL/MariaDB: ``%s`` placeholders (literal ``%`` doubled), byte-wise
    LIKE, ``ON DUPLICATE KEY UPDATE``, utf8mb4 tables."""

    DIALECT = SQL_CODES["dialect"]["mysql"]
    PLACEHOLDER = "%s"
    MAX_PARAMS = 65535
    CONVERSIONS = BOOL_AS_INT


class MysqlConnection(Connection, name="mysql", engine=MysqlEngine):
    """A connection to a MySQL or MariaDB server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One statement at a time on the wire: tasks sharing this connection
        # take turns (interleaved aiomysql calls would mix their packets).
        self._turn = asyncio.Lock()

    async def begin(self) -> None:
        async with self._turn:
            await self._live().begin()

    async def commit(self) -> None:
        async with self._turn:
            await self._live().commit()

    async def rollback(self) -> None:
        async with self._turn:
            await self._live().rollback()

    async def connect(self) -> None:
        loc = self.location
        kwargs: dict[str, Any] = {
            "host": loc.host or "localhost",
            "user": loc.user,
            "password": loc.password or "",
            "db": loc.database,
            "unix_socket": loc.socket,
            "charset": "utf8mb4",
            "autocommit": self._autocommit,
        }
        if loc.port is not None:
            kwargs["port"] = loc.port
        kwargs.update(self._kwargs)
        self._conn = await aiomysql.connect(*self._args, **kwargs)

    async def close(self) -> None:
        if self._conn is None:
            raise NoConnection("MysqlConnection is not connected")
        conn, self._conn = self._conn, None
        conn.close()

    async def _driver_cursor(self) -> Any:
        return _MysqlCursor(self, await self._live().cursor())

    async def _apply_autocommit(self) -> None:
        # aiomysql changes it with a round trip: applied before the next
        # statement (called with the turn held).
        conn = self._live()
        if conn.get_autocommit() != self._autocommit:
            await conn.autocommit(self._autocommit)


class _MysqlCursor:
    """aiomysql's cursor, always given a parameter tuple (the SQL's ``%%`` assume it)."""

    def __init__(self, owner: MysqlConnection, cursor: Any) -> None:
        self._owner = owner
        self._cursor = cursor

    async def execute(self, sql: str, params: Any) -> None:
        # The default cursor reads the whole result inside execute().
        async with self._owner._turn:
            await self._owner._apply_autocommit()
            await self._cursor.execute(sql, _bindable(params))

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    @property
    def lastrowid(self) -> int | None:
        value = self._cursor.lastrowid
        return value or None

    async def fetchone(self) -> Any:
        return await self._cursor.fetchone()

    async def fetchmany(self, size: int) -> Any:
        return await self._cursor.fetchmany(size)

    async def fetchall(self) -> Any:
        return await self._cursor.fetchall()

    async def close(self) -> None:
        await self._cursor.close()
