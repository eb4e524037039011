"""SQLite through :mod:`aioxide.sqlite`.

>>> SqliteEngine.DIALECT
1
"""

from __future__ import annotations

from typing import Any, TypeVar

from ... import sqlite as aiosqlite
from ..._core import SQL_CODES, DslRun
from ...sqlite.cursor import REST_CHUNK
from ..mapping import TEXT_STORED, RowPlan, plan_for
from .base import Connection
from .sql import SqlEngine

T = TypeVar("T")


class SqliteEngine(SqlEngine, name="sqlite"):
    """SQLite: case-sensitive LIKE through GLOB, LIMIT on UPDATE/DELETE
    through a rowid subquery, ``INTEGER PRIMARY KEY AUTOINCREMENT``."""

    DIALECT = SQL_CODES["dialect"]["sqlite"]
    CONVERSIONS = TEXT_STORED


class SqliteConnection(Connection, name="sqlite", engine=SqliteEngine):
    """A connection to an SQLite file (or ``:memory:``)."""

    async def connect(self) -> None:
        if not self.location.database:
            raise ValueError(f"invalid db location {self.location.database}")
        self._conn = await aiosqlite.connect(self.location.database, *self._args, **self._kwargs)
        engine = self._native_engine()
        if engine is not None:
            # Selects awaited for their rows run in one native call (render,
            # execute, objects); ``Result.__await__`` asks ``_fused`` first.
            self._fused = DslRun(engine.DIALECT, engine.CONVERSIONS, plan_for)  # type: ignore[method-assign]

    def _native_engine(self) -> SqlEngine | None:
        """The engine, if the native run does what the general path would:
        it renders natively and plans rows the standard way, and this
        connection runs statements the standard way (a subclass changing
        either keeps the general path, with its hooks)."""
        engine = self.engine
        if (
            isinstance(engine, SqlEngine)
            and engine._native
            and type(engine).row_plan is SqlEngine.row_plan
            and type(self)._run is SqliteConnection._run
        ):
            return engine
        return None

    @property
    def autocommit(self) -> bool:
        return bool(self._live().isolation_level is None)

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._live().isolation_level = None if value else "DEFERRED"

    def _in_transaction(self) -> bool:
        return self._depth > 0 or bool(self._live().in_transaction)

    async def begin(self) -> None:
        await self._live().execute("BEGIN TRANSACTION")

    async def _plain(self, sql: str) -> None:
        await self._live().execute(sql)

    async def _driver_cursor(self) -> Any:
        return await self._live().cursor()

    async def _run(self, sql: str, params: Any, plan: RowPlan | None) -> tuple[Any, bool]:
        # The engine builds the rows as objects while converting them.
        conn = self._live()
        shape = None if plan is None else plan.shape
        # A big result comes in bounded chunks (the cursor reads the rest).
        batch = await conn._execute_batch(sql, params, shape, REST_CHUNK)
        return aiosqlite.Cursor._from_batch(conn, batch), plan is not None
