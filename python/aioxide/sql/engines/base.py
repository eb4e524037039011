"""Engines (query → SQL for one dialect) and connections (run it on a driver).

Engines and connections register themselves by name when subclassed, as in
aql: ``class MyEngine(Engine, name="mine")``. What running a query gives back
(``Cursor``, ``Result``) is in ``results`` and re-exported here.

>>> Engine._engines["sqlite"].__name__
'SqliteEngine'
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, ClassVar, TypeVar

from ..column import Column
from ..errors import AqlError, BuildError, NoConnection, UnknownConnector
from ..expr import Raw
from ..mapping import RowPlan, plan_for
from ..query import PreparedQuery, Query
from ..table import TABLES_BY_SOURCE, Table
from ..types import Location, QueryAction
from .results import Cursor, Result, _close

__all__ = ["Connection", "Cursor", "Engine", "MissingConnector", "Result", "q"]

LOG = logging.getLogger(__name__)
_ACTION_NAMES = {action: action.name for action in QueryAction}
T = TypeVar("T")


def q(t: Table[Any] | Column | str) -> str:
    """Backtick-quoted table, column or name (quotes inside doubled)."""
    if isinstance(t, Column):
        name = f"`{t.name.replace('`', '``')}`"
        return f"`{t.table_name.replace('`', '``')}`.{name}" if t.table_name else name
    if isinstance(t, Table):
        t = t._name
    return f"`{t.replace('`', '``')}`"


class MissingConnector:
    """Stands in for a driver that is not installed; any use says which."""

    __slots__ = ["_error_"]

    def __init__(self, error: Exception) -> None:
        self._error_ = error

    def __getattr__(self, key: str) -> Any:
        raise AqlError(
            f"the database driver is not installed ({self._error_}); "
            "install aioxide with the matching extra"
        ) from self._error_


#: The base engine converts nothing (one object: plans are cached by its id).
_NO_CONVERSIONS: dict[int, Any] = {}


class Engine:
    """Turns a query into a :class:`PreparedQuery` for one SQL dialect."""

    _engines: ClassVar[dict[str, type[Engine]]] = {}

    def __init__(self) -> None:
        self.name = self.__class__.__name__

    def __init_subclass__(cls, name: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = name.lower()
        if name not in Engine._engines:
            Engine._engines[name] = cls
        else:
            LOG.warning('duplicate engine name "%s" from %s', name, cls)

    def prepare(self, query: Query[T]) -> PreparedQuery[T]:
        """The SQL and parameters of ``query``, by the method named after its
        action (``select``, ``insert`` ...)."""
        action = _ACTION_NAMES[query._action]
        fn = getattr(self, action, None)
        if fn is None:
            from ..errors import UnsupportedQuery

            raise UnsupportedQuery(f"{self.name} does not support {action} queries")
        return fn(query)  # type: ignore[no-any-return]

    def prepare_raw(self, statement: Raw) -> tuple[str, list[Any]]:
        """A raw statement in this engine's placeholder style."""
        raise AqlError(f"{self.name} cannot render raw SQL")

    def row_plan(self, query: Query[Any]) -> RowPlan | None:
        """How this query's rows become objects; None when it returns no rows."""
        return plan_for(query, _NO_CONVERSIONS)


class Connection:
    """A database connection running DSL queries (and raw SQL).

    >>> async def example():  # doctest: +SKIP
    ...     async with connect("sqlite://:memory:") as db:
    ...         await db.execute(Item.create())
    ...         async with db.transaction():
    ...             await db.execute(Item.insert().values(Item(1, "a")))
    ...         return await db.execute(Item.select())
    """

    _connectors: ClassVar[dict[str, tuple[type[Connection], type[Engine]]]] = {}

    def __init__(self, engine: Engine, location: Location, *args: Any, **kwargs: Any) -> None:
        self._conn: Any = None
        self._autocommit = False
        self._args = args
        self._kwargs = kwargs
        self._depth = 0
        self.engine = engine
        self.location = location

    def __init_subclass__(cls, name: str, engine: type[Engine], **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = name.lower()
        if name not in Connection._connectors:
            Connection._connectors[name] = (cls, engine)
        else:
            LOG.warning('duplicate engine name "%s" from %s', name, cls)

    @classmethod
    def get_connector(cls, name: str) -> tuple[type[Connection], type[Engine]]:
        """The connection and engine classes registered under ``name``."""
        if name not in cls._connectors:
            known = ", ".join(sorted(cls._connectors))
            raise UnknownConnector(f"Connector {name} not registered (known: {known})")
        return cls._connectors[name]

    async def __aenter__(self) -> Connection:
        await self.connect()
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the connection."""
        raise AqlError(f"{type(self).__name__} does not know how to connect")

    def _live(self) -> Any:
        if self._conn is None:
            raise NoConnection(
                f"{type(self).__name__} is not connected (use `async with` or connect())"
            )
        return self._conn

    async def close(self) -> None:
        """Close the connection."""
        conn = self._live()
        self._conn = None
        await conn.close()

    @property
    def autocommit(self) -> bool:
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._autocommit = value

    async def begin(self) -> None:
        """Begin a transaction."""
        await self._live().begin()

    async def commit(self) -> None:
        """Commit the current transaction."""
        await self._live().commit()

    async def rollback(self) -> None:
        """Roll back the current transaction."""
        await self._live().rollback()

    async def _driver_cursor(self) -> Any:
        return await self._live().cursor()

    async def cursor(self) -> Cursor:
        """A new cursor for hand-written SQL."""
        return Cursor(self, await self._driver_cursor())

    async def _run(self, sql: str, params: Any, plan: RowPlan | None) -> tuple[Any, bool]:
        """Run one statement: ``(driver cursor, rows already built by plan)``."""
        cursor = await self._driver_cursor()
        await cursor.execute(sql, params)
        return cursor, False

    def _fused(self, result: Result[Any]) -> Any:
        """An awaitable running ``result``'s query in one native call, or
        None for the general path (the base connection has none)."""
        return None

    def execute(self, query: Query[T] | Raw) -> Result[T]:
        """The lazy result of ``query``: await it for a list of rows, or
        iterate it with ``async for``. Nothing runs until then."""
        return Result(query, self)

    # synonyms (aql)
    query = execute
    abort = rollback

    # -- transactions ----------------------------------------------------------

    def _in_transaction(self) -> bool:
        return self._depth > 0

    async def _plain(self, sql: str) -> None:
        cursor = await self._driver_cursor()
        try:
            await cursor.execute(sql, ())
        finally:
            await _close(cursor)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """Commit on success, roll back on any exception; nests with savepoints.

        >>> async def move(db):  # doctest: +SKIP
        ...     async with db.transaction():
        ...         await db.execute(Account.update(balance=0).where(Account.id == 1))
        """
        nested = self._in_transaction()
        savepoint = f"aioxide_sp_{self._depth}"
        if nested:
            await self._plain(f"SAVEPOINT {savepoint}")
        else:
            await self.begin()
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            if nested:
                await self._plain(f"ROLLBACK TO SAVEPOINT {savepoint}")
                await self._plain(f"RELEASE SAVEPOINT {savepoint}")
            else:
                await self.rollback()
            raise
        self._depth -= 1
        if nested:
            await self._plain(f"RELEASE SAVEPOINT {savepoint}")
        else:
            await self.commit()

    # -- object helpers --------------------------------------------------------

    @staticmethod
    def _table_of(obj_or_table: Any) -> Table[Any]:
        if isinstance(obj_or_table, Table):
            return obj_or_table
        cls = obj_or_table if isinstance(obj_or_table, type) else type(obj_or_table)
        table = TABLES_BY_SOURCE.get(cls)
        if table is None:
            raise BuildError(f"{cls.__name__} is not a @table class")
        return table

    def _key(self, table: Table[Any], obj: Any) -> list[Any]:
        primary = table._primary
        if not primary:
            raise BuildError(f"{table._name} has no primary key to find {obj!r} by")
        return [col == getattr(obj, col.name) for col in primary]

    async def get(self, table: Any, *where: Any, **equal: Any) -> Any:
        """The first row matching, or None: ``await db.get(User, id=3)``."""
        tbl = self._table_of(table)
        clauses = [*where, *(tbl[name] == value for name, value in equal.items())]
        query = tbl.select()
        if clauses:
            query.where(*clauses)
        rows = await self.execute(query.limit(1))
        return rows[0] if rows else None

    async def insert(self, *objs: Any) -> int:
        """Insert objects of @table classes; returns the number of rows."""
        count = 0
        by_table: dict[int, tuple[Table[Any], list[Any]]] = {}
        for obj in objs:
            tbl = self._table_of(obj)
            by_table.setdefault(id(tbl), (tbl, []))[1].append(obj)
        for tbl, rows in by_table.values():
            result = self.execute(tbl.insert().values(*rows))
            await result
            count += result.row_count
        return count

    async def update(self, obj: Any) -> int:
        """Write every non-key field of ``obj`` to its row (found by primary key)."""
        tbl = self._table_of(obj)
        key = self._key(tbl, obj)
        keys = {c.name for c in tbl._primary}
        values = {c.name: getattr(obj, c.name) for c in tbl._columns if c.name not in keys}
        if not values:
            return 0
        result = self.execute(tbl.update(**values).where(*key))
        await result
        return result.row_count

    async def delete(self, obj: Any) -> int:
        """Delete ``obj``'s row (found by primary key)."""
        tbl = self._table_of(obj)
        result = self.execute(tbl.delete().where(*self._key(tbl, obj)))
        await result
        return result.row_count
