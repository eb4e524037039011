"""``Cursor``: aiosqlite's cursor over an aioxide connection.

Rows of a finished statement are held on the Python side, so ``fetchone``,
``fetchmany``, ``fetchall`` and ``async for`` cost no thread hop.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._core import SqliteBatch
from .row import Row

if TYPE_CHECKING:
    from .core import Connection

RowFactory = Any  # Callable[[Cursor, tuple[Any, ...]], Any] | None


class _NoRows:
    """The state of a cursor that has not executed anything yet."""

    rows: list[Any] = []  # noqa: RUF012 - shared, never mutated
    description = None
    rowcount = -1
    lastrowid = None


_NO_ROWS: Any = _NoRows()

# `lastrowid` comes from the last execute()'s batch unless a later call that
# leaves it alone (executemany, executescript, a failure) pinned it.
_FROM_BATCH: Any = object()


def _effective_row_factory(factory: Any) -> Any:
    # sqlite3.Row only accepts a stdlib cursor; ours is the drop-in.
    return Row if factory is sqlite3.Row else factory


class Cursor:
    """An aiosqlite-compatible cursor.

    >>> async def demo(db):  # doctest: +SKIP
    ...     cursor = await db.cursor()
    ...     await cursor.execute("select ?", (1,))
    ...     return await cursor.fetchone()
    """

    # Class-level defaults keep cursor creation cheap: an instance stores only
    # what differs (a cursor is created for every `db.execute`).
    iter_chunk_size = 64
    arraysize = 1
    _pos = 0
    _closed = False
    _batch: Any = _NO_ROWS
    _kept_lastrowid: Any = _FROM_BATCH

    def __init__(self, conn: Connection, row_factory: RowFactory = None) -> None:
        self._connection = conn
        self.row_factory: RowFactory = row_factory
        if conn._iter_chunk_size != 64:
            self.iter_chunk_size = conn._iter_chunk_size

    @classmethod
    def _from_batch(cls, conn: Connection, batch: SqliteBatch) -> Cursor:
        cursor = cls.__new__(cls)
        cursor._connection = conn
        cursor.row_factory = conn._row_factory
        cursor._batch = batch
        if conn._iter_chunk_size != 64:
            cursor.iter_chunk_size = conn._iter_chunk_size
        return cursor

    # -- statement execution -------------------------------------------------

    def _check(self) -> None:
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed cursor.")
        self._connection._check_open()

    def _load(self, batch: Any, keep_lastrowid: bool = False) -> None:
        # A SqliteBatch, or anything shaped like one (rows, description, ...).
        # As in the stdlib, only execute() sets lastrowid.
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

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        """Execute one SQL statement; returns this cursor."""
        self._check()
        conn = self._connection
        try:
            batch = await conn._execute_batch(sql, parameters)
        except BaseException:
            self._failed()
            raise
        # No statement in the text: lastrowid stays, as in the stdlib.
        self._load(batch, keep_lastrowid=batch.lastrowid is None)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        """Execute one statement once per parameter set, in one hop."""
        self._check()
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
        try:
            await self._connection._native_checked().executescript(sql_script)
        except BaseException:
            self._failed()
            raise
        self._load(_NO_ROWS, keep_lastrowid=True)
        return self

    # -- fetching ------------------------------------------------------------

    def _shape(self, rows: list[Any]) -> list[Any]:
        factory = self.row_factory
        if factory is None:
            return rows
        factory = _effective_row_factory(factory)
        if factory is Row:
            keys = tuple(d[0] for d in self._batch.description or ())
            return [Row(self, r, keys) for r in rows]
        return [factory(self, r) for r in rows]

    async def fetchone(self) -> Any | None:
        """The next row, or None when there are no more."""
        # _check(), inlined: the one call after most point selects.
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed cursor.")
        conn = self._connection
        if conn._native is None or conn._closed:
            raise ValueError("Connection closed")
        rows = self._batch.rows
        pos = self._pos
        if pos >= len(rows):
            return None
        self._pos = pos + 1
        if self.row_factory is None:
            return rows[pos]
        return self._shape([rows[pos]])[0]

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` rows (default: ``arraysize``)."""
        self._check()
        rows = self._batch.rows
        n = self.arraysize if size is None else operator.index(size)
        if n < 0:
            n = len(rows)
        chunk = rows[self._pos : self._pos + n]
        self._pos += len(chunk)
        return self._shape(chunk)

    async def fetchall(self) -> list[Any]:
        """Every remaining row."""
        self._check()
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

    def _close_now(self) -> None:
        # Closing needs no I/O (the rows are already here), so the
        # context-manager exit of Connection.execute() does it in place.
        self._closed = True
        self._batch = _NO_ROWS

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
        return self._connection

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
