"""What running a query gives back: a ``Cursor`` over the driver's rows and a
``Result`` that is awaited for every row or iterated as they arrive, each
row built as the query's objects (``aioxide.sql.mapping``). An insert with
more values than the backend binds in one statement is sent in parts and
read back as one cursor.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..._core import ResultCore
from ..errors import AqlError
from ..expr import Raw
from ..mapping import RowPlan
from ..query import Query
from ..types import QueryAction

if TYPE_CHECKING:
    from .base import Connection, Engine

T = TypeVar("T")


async def _close(cursor: Any) -> None:
    closing = cursor.close()
    if closing is not None and hasattr(closing, "__await__"):
        await closing


def _insert_parts(query: Query[Any], engine: Engine) -> list[Query[Any]] | None:
    """An insert with more values than the backend binds in one statement,
    as several inserts (None when one statement will do)."""
    rows, columns = query._rows, query._columns
    limit = getattr(engine, "MAX_PARAMS", 0)
    if not limit or not columns or len(rows) * len(columns) <= limit:
        return None
    size = max(1, limit // len(columns))
    parts = []
    for start in range(0, len(rows), size):
        part: Query[Any] = Query(query.table).insert(*columns).values(*rows[start : start + size])
        if query._conflict is not None:
            target, updates = query._conflict
            part.on_conflict(*target, update=updates)
        if query._returning:
            part.returning(*query._returning)
        parts.append(part)
    return parts


class _Chained:
    """The driver cursors of an insert sent in parts, read as one."""

    def __init__(self, cursors: list[Any]) -> None:
        self._cursors = cursors
        self._pos = 0

    @property
    def rowcount(self) -> int:
        return sum(max(int(c.rowcount), 0) for c in self._cursors)

    @property
    def lastrowid(self) -> Any:
        return self._cursors[-1].lastrowid

    async def fetchone(self) -> Any:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def fetchmany(self, size: int) -> list[Any]:
        while self._pos < len(self._cursors):
            rows = list(await self._cursors[self._pos].fetchmany(size))
            if rows:
                return rows
            self._pos += 1
        return []

    async def fetchall(self) -> list[Any]:
        out: list[Any] = []
        for cursor in self._cursors[self._pos :]:
            out.extend(await cursor.fetchall())
        self._pos = len(self._cursors)
        return out

    async def execute(self, sql: str, params: Any) -> None:
        await self._cursors[-1].execute(sql, params)

    async def close(self) -> None:
        for cursor in self._cursors:
            await _close(cursor)


class _Spent:
    """The driver cursor of a statement run natively and read to the end:
    its counts, and no more rows."""

    def __init__(self, batch: Any) -> None:
        self.rowcount = batch.rowcount
        self.lastrowid = batch.lastrowid

    async def fetchone(self) -> Any:
        return None

    async def fetchmany(self, size: int) -> list[Any]:
        return []

    async def fetchall(self) -> list[Any]:
        return []

    async def execute(self, sql: str, params: Any) -> None:
        raise AqlError("this result's statement already ran; execute the query again")

    async def close(self) -> None:
        pass


class Cursor:
    """A driver cursor behind aql's cursor API."""

    def __init__(self, connection: Connection, cursor: Any) -> None:
        self._conn = connection
        self._cursor = cursor
        self._query = None

    def __aiter__(self) -> Cursor:
        return self

    async def __anext__(self) -> Any:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    def __await__(self) -> Generator[Any, None, Sequence[Any]]:
        return self.fetchall().__await__()

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.close()

    @property
    def connection(self) -> Connection:
        return self._conn

    @property
    def row_count(self) -> int:
        """Rows the last statement changed (or returned)."""
        return int(self._cursor.rowcount)

    @property
    def last_id(self) -> int | None:
        """Id of the last inserted row where the backend reports one, else None."""
        value = self._cursor.lastrowid
        return None if value is None else int(value)

    async def close(self) -> None:
        await _close(self._cursor)

    async def execute(self, query: str, parameters: Any = None) -> None:
        """Run hand-written SQL in the driver's own placeholder style."""
        await self._cursor.execute(query, parameters)

    async def fetchone(self) -> Any | None:
        return await self._cursor.fetchone()

    async def fetchmany(self, size: int) -> Sequence[Any]:
        return await self._cursor.fetchmany(size)  # type: ignore[no-any-return]

    async def fetchall(self) -> Sequence[Any]:
        return await self._cursor.fetchall()  # type: ignore[no-any-return]

    query = execute


class Result(ResultCore, Generic[T]):
    """The lazy result of one query: ``await`` it, or ``async for`` over it.

    ``query``, ``connection`` and what ran live in the native base, which
    also makes ``await`` (one native run where the connection has one).

    >>> async def names(db):  # doctest: +SKIP
    ...     return [u.name async for u in db.execute(User.select())]
    """

    _chunk = 512
    # Defaults for what a run sets (class attributes: a result is made for
    # every query, and most are awaited once).
    _done = False
    _shaped = False

    if TYPE_CHECKING:
        query: Query[T] | Raw
        connection: Connection
        _buffer: list[Any] | None
        _cursor: Cursor | None
        #: The batch a native run (``Connection._fused``) gave, once it ran.
        _ran: Any
        _plan: RowPlan | None

        def __init__(self, query: Query[T] | Raw, connection: Connection) -> None: ...
        def __await__(self) -> Generator[Any, None, list[T]]: ...

    def _await_rows(self) -> Generator[Any, None, list[T]]:
        # ``await`` without a native run (the base's ``__await__`` calls this).
        return self.rows().__await__()

    def __aiter__(self) -> Result[T]:
        return self

    async def __anext__(self) -> T:
        row = await self.row()
        if row is None:
            raise StopAsyncIteration
        return row

    @property
    def factory(self) -> type | None:
        """The class rows are built as, once the query is prepared (None
        for a query without rows)."""
        plan = self._plan
        return None if plan is None else plan.factory

    @property
    def row_count(self) -> int:
        """Rows changed (or returned) by the query; 0 before it ran."""
        if self._cursor is None and self._ran is None:
            return 0
        return self._ran_cursor().row_count

    @property
    def last_id(self) -> int | None:
        """Id of the last inserted row where the backend reports one."""
        if self._cursor is None and self._ran is None:
            return None
        return self._ran_cursor().last_id

    def _ran_cursor(self) -> Cursor:
        # After a native run, a cursor over its (fully read) batch.
        if self._cursor is None:
            self._cursor = Cursor(self.connection, _Spent(self._ran))
        return self._cursor

    async def run(self) -> Cursor:
        """Run the query (once) and return its cursor."""
        if self._cursor is not None or self._ran is not None:
            return self._ran_cursor()
        engine = self.connection.engine
        query = self.query
        parts = None
        if isinstance(query, Raw):
            sql, params = engine.prepare_raw(query)
            statements: list[str] = []
        else:
            prepared = engine.prepare(query)
            sql, params, statements = prepared.sql, prepared.parameters, prepared.statements
            self._plan = engine.row_plan(query)
            if query._action is QueryAction.insert:
                parts = _insert_parts(query, engine)
        if parts is None:
            driver, self._shaped = await self.connection._run(sql, params, self._plan)
        else:
            drivers = []
            for part in parts:
                prepared = engine.prepare(part)
                driver, self._shaped = await self.connection._run(
                    prepared.sql, prepared.parameters, self._plan
                )
                drivers.append(driver)
            driver = _Chained(drivers)
        cursor = Cursor(self.connection, driver)
        for statement in statements:
            await cursor.execute(statement, ())
        self._cursor = cursor
        return cursor

    def _shape(self, rows: Sequence[Any]) -> list[Any]:
        if self._shaped:
            return rows if type(rows) is list else list(rows)
        if self._plan is not None:
            return self._plan.build(rows)
        return [tuple(r) for r in rows]

    async def row(self) -> T | None:
        """The next row, or None at the end."""
        if not self._buffer:
            if self._done or self._ran is not None:
                return None
            cursor = await self.run()
            chunk = await cursor.fetchmany(self._chunk)
            if not chunk:
                self._done = True
                return None
            self._buffer = self._shape(chunk)
            self._buffer.reverse()
        return self._buffer.pop()  # type: ignore[no-any-return]

    async def rows(self) -> list[T]:
        """Every (remaining) row."""
        cursor = self._cursor if self._cursor is not None else await self.run()
        # The driver's cursor directly: one coroutine fewer per query.
        fetched = self._shape(await cursor._cursor.fetchall())
        self._done = True
        if not self._buffer:
            return fetched
        rest = self._buffer[::-1]
        self._buffer = []
        rest.extend(fetched)
        return rest

    async def first(self) -> T | None:
        """The first row, or None."""
        return await self.row()
