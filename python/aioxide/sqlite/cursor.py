"""``Cursor``: aiosqlite's cursor over an aioxide connection.

``execute`` brings back the first ``iter_chunk_size`` rows with the
statement, so a point select's ``fetchone`` costs no thread hop. A query
with more rows keeps its statement open on the connection thread (as the
stdlib cursor under aiosqlite does) and later fetches read it chunk by
chunk: iterating a big table holds one chunk, never the whole result.
"""

from __future__ import annotations

import asyncio
import operator
import sqlite3
import types
from collections.abc import AsyncIterator, Generator, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._core import SQLITE_REST_CHUNK, CursorCore, RowStream, SqliteBatch, new_cursor
from .row import Row

if TYPE_CHECKING:
    from .core import Connection


#: Rows per read when everything left is wanted (``fetchall``,
#: ``execute_fetchall``): bounded, so that the engine's copy of a big result
#: never sits beside all of its Python rows (a million rows held twice).
REST_CHUNK = SQLITE_REST_CHUNK


@types.coroutine
def read_rest(more: RowStream, rows: list[Any]) -> Generator[Any, None, SqliteBatch]:
    """Appends every remaining row of ``more`` to ``rows``, ``REST_CHUNK`` at
    a time, with the next chunk always queued before this one is converted
    (the connection thread steps while the loop builds rows). Returns the
    last batch. Cancelled midway, ``rows`` keeps what arrived; a chunk read
    but not taken waits in the stream for the next fetch."""
    ahead = more.fetch(REST_CHUNK)
    while True:
        following = more.fetch(REST_CHUNK)
        try:
            chunk: SqliteBatch = yield from ahead
        except BaseException:
            following.cancel()
            raise
        rows.extend(chunk.rows)
        if chunk.more is None:
            following.cancel()  # queued past the end: skip it if it has not run
            return chunk
        ahead = following


def _first_rows(chunk_size: Any) -> int | None:
    """How many rows ``execute`` brings back at once: one iteration chunk
    (a chunk size of 0 or less, as in aiosqlite, reads everything)."""
    if isinstance(chunk_size, int) and chunk_size > 0:
        return chunk_size
    return None


RowFactory = Any  # Callable[[Cursor, tuple[Any, ...]], Any] | None


class _NoRows:
    """The state of a cursor that has not executed anything yet."""

    rows: list[Any] = []  # noqa: RUF012 - shared, never mutated
    description = None
    rowcount = -1
    lastrowid = None
    more = None


_NO_ROWS: Any = _NoRows()

# `lastrowid` comes from the last execute()'s batch unless a later call that
# leaves it alone (executemany, executescript, a failure) pinned it.
_FROM_BATCH: Any = object()


def _effective_row_factory(factory: Any) -> Any:
    # sqlite3.Row only accepts a stdlib cursor; ours is the drop-in.
    return Row if factory is sqlite3.Row else factory


class Cursor(CursorCore):
    """An aiosqlite-compatible cursor.

    >>> async def demo(db):  # doctest: +SKIP
    ...     cursor = await db.cursor()
    ...     await cursor.execute("select ?", (1,))
    ...     return await cursor.fetchone()
    """

    # The connection, row factory, batch and position (`_connection`,
    # `row_factory`, `_batch`, `_pos`, `_closed`) live in the native base,
    # which also makes each statement's cursor and serves `fetchone` from a
    # row already held. Class-level defaults keep the rest cheap: an
    # instance stores only what differs.
    iter_chunk_size = 64
    arraysize = 1
    #: Set while a read of the open query's next rows is in flight.
    _reading: asyncio.Future[None] | None = None
    _kept_lastrowid: Any = _FROM_BATCH

    def __init__(self, conn: Connection, row_factory: RowFactory = None) -> None:
        self._connection = conn
        self.row_factory: RowFactory = row_factory
        if conn._iter_chunk_size != 64:
            self.iter_chunk_size = conn._iter_chunk_size

    @classmethod
    def _from_batch(cls, conn: Connection, batch: SqliteBatch) -> Cursor:
        # A Cursor (this class, whatever `cls` is), made natively.
        cursor: Cursor = new_cursor(conn, batch)
        return cursor

    # -- statement execution -------------------------------------------------

    def _check(self) -> None:
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed cursor.")
        self._connection._check_open()

    def _load(self, batch: Any, keep_lastrowid: bool = False) -> None:
        # A SqliteBatch, or anything shaped like one (rows, description, ...).
        # As in the stdlib, only execute() sets lastrowid.
        self._release()
        if keep_lastrowid:
            self._kept_lastrowid = self.lastrowid
        elif self._kept_lastrowid is not _FROM_BATCH:
            del self._kept_lastrowid
        self._batch = batch
        self._pos = 0

    def _failed(self) -> None:
        # As the stdlib's cursor after a failed call: no rows left from the
        # previous statement, rowcount -1, lastrowid as it was.
        self._load(_NO_ROWS, keep_lastrowid=True)

    def _release(self) -> None:
        # The previous query's statement, if still open, is let go of before
        # anything else runs (the stdlib resets it on the next execute too):
        # an open read would keep its table busy for what comes next.
        more = self._batch.more
        if more is not None:
            more.close()

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        """Execute one SQL statement; returns this cursor."""
        self._check()
        self._release()
        conn = self._connection
        size = self.iter_chunk_size
        try:
            batch = await conn._execute_batch(sql, parameters, None, _first_rows(size))
        except BaseException:
            self._failed()
            raise
        # No statement in the text: lastrowid stays, as in the stdlib.
        self._load(batch, keep_lastrowid=batch.lastrowid is None)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        """Execute one statement once per parameter set, in one hop."""
        self._check()
        self._release()
        try:
            batch = await self._connection._native_checked().executemany(sql, parameters)
        except BaseException:
            self._failed()
            raise
        self._load(batch, keep_lastrowid=True)
        return self

    async def executescript(self, sql_script: str) -> Cursor:
        """Execute several statements (committing a pending transaction first)."""
        self._check()
        self._release()
        try:
            await self._connection._native_checked().executescript(sql_script)
        except BaseException:
            self._failed()
            raise
        self._load(_NO_ROWS, keep_lastrowid=True)
        return self

    # -- fetching ------------------------------------------------------------

    async def _read_more(self, limit: int | None) -> None:
        """Reads the next ``limit`` rows (None: all) of the open query into
        the cursor, after the ones it still holds. One read at a time: a
        fetch made while another reads waits for it, then looks again (so
        concurrent fetches get rows in the order they were made)."""
        reading = self._reading
        if reading is not None:
            # Shielded: a cancelled waiter must not cancel the others' wait.
            await asyncio.shield(reading)
            return
        batch = self._batch
        more = batch.more
        assert more is not None
        self._reading = reading = asyncio.get_running_loop().create_future()
        try:
            # Cancelled while the rows are read, the chunk stays in the
            # stream and the next read hands it over first.
            chunk = await more.fetch(limit)
        finally:
            self._reading = None
            reading.set_result(None)
        current = self._batch
        # Closed or re-executed meanwhile: these rows belong to nobody.
        if current is not batch and current.more is not more:
            return
        left = current.rows[self._pos :]
        if left:
            chunk.rows[:0] = left
        self._batch = chunk
        self._pos = 0

    def _chunk_size(self) -> int:
        size = self.iter_chunk_size
        return size if isinstance(size, int) and size > 0 else 64

    def _shape(self, rows: list[Any]) -> list[Any]:
        factory = self.row_factory
        if factory is None:
            return rows
        factory = _effective_row_factory(factory)
        if factory is Row:
            keys = tuple(d[0] for d in self._batch.description or ())
            return [Row(self, r, keys) for r in rows]
        return [factory(self, r) for r in rows]

    async def _fetchone(self) -> Any | None:
        """``fetchone``'s coroutine (the native ``fetchone`` serves a row
        already held; this is everything else: reading more, row
        factories, and the errors, which come at ``await``)."""
        self._check()
        rows = self._batch.rows
        pos = self._pos
        if pos >= len(rows):
            if self._batch.more is None:
                return None
            await self._read_more(self._chunk_size())
            return await self._fetchone()
        self._pos = pos + 1
        if self.row_factory is None:
            return rows[pos]
        return self._shape([rows[pos]])[0]

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` rows (default: ``arraysize``)."""
        self._check()
        n = self.arraysize if size is None else operator.index(size)
        if n <= 0:
            # The stdlib reads every remaining row for a size of 0 or less.
            return await self.fetchall()
        while len(self._batch.rows) - self._pos < n and self._batch.more is not None:
            await self._read_more(n - (len(self._batch.rows) - self._pos))
        rows = self._batch.rows
        chunk = rows[self._pos : self._pos + n]
        self._pos += len(chunk)
        return self._shape(chunk)

    async def _read_rest(self) -> list[Any]:
        """Every remaining row of the open query (the cursor is left at its
        end); cancelled midway, the rows that arrived stay in the cursor."""
        while self._reading is not None:
            await asyncio.shield(self._reading)
        batch = self._batch
        more = batch.more
        rows: list[Any] = batch.rows[self._pos :]
        if more is None:
            self._pos = len(batch.rows)
            return rows
        self._reading = reading = asyncio.get_running_loop().create_future()
        try:
            last = await read_rest(more, rows)
        except BaseException:
            # Unless the cursor was closed or re-executed meanwhile, what
            # arrived is still the cursor's to hand out.
            if self._batch is batch:
                batch.rows[:] = rows
                self._pos = 0
            raise
        finally:
            self._reading = None
            reading.set_result(None)
        if self._batch is batch:
            self._batch = last
            self._pos = len(last.rows)
        return rows

    async def fetchall(self) -> list[Any]:
        """Every remaining row."""
        self._check()
        if self._batch.more is not None:
            return self._shape(await self._read_rest())
        rows = self._batch.rows
        chunk = rows[self._pos :] if self._pos else list(rows)
        self._pos = len(rows)
        return self._shape(chunk)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        while True:
            size = self.iter_chunk_size
            # A chunk size of 0 or less reads everything at once (aiosqlite's
            # fetchmany(0) does, through the stdlib), never nothing.
            rows = await (self.fetchmany(size) if size > 0 else self.fetchall())
            if not rows:
                return
            for row in rows:
                yield row

    async def close(self) -> None:
        """Close the cursor; further use raises ``sqlite3.ProgrammingError``."""
        self._close_now()

    # -- properties ----------------------------------------------------------

    @property
    def rowcount(self) -> int:
        return int(self._batch.rowcount)

    @property
    def lastrowid(self) -> int | None:
        kept = self._kept_lastrowid
        return self._batch.lastrowid if kept is _FROM_BATCH else kept  # type: ignore[no-any-return]

    @property
    def description(self) -> tuple[tuple[Any, ...], ...] | None:
        return self._batch.description  # type: ignore[no-any-return]

    @property
    def connection(self) -> Connection:
        """The aioxide connection this cursor belongs to."""
        conn: Connection = self._connection
        return conn

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
