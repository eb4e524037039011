"""``Cursor``: aiosqlite's cursor over an aioxide connection.

Rows of a finished statement are held on the Python side, so ``fetchone``,
``fetchmany``, ``fetchall`` and ``async for`` cost no thread hop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .row import Row

if TYPE_CHECKING:
    from .core import Connection

RowFactory = Any  # Callable[[Cursor, tuple[Any, ...]], Any] | None


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

    def __init__(self, conn: Connection, row_factory: RowFactory = None) -> None:
        self._connection = conn
        self.iter_chunk_size = conn._iter_chunk_size
        self.arraysize = 1
        self.row_factory: RowFactory = row_factory
        self._rows: list[Any] = []
        self._pos = 0
        self._description: tuple[tuple[Any, ...], ...] | None = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._closed = False

    # -- statement execution -------------------------------------------------

    def _check(self) -> None:
        self._connection._check_open()
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed cursor.")

    def _load(self, batch: Any) -> None:
        self._rows = batch.rows
        self._pos = 0
        self._description = batch.description
        self._rowcount = batch.rowcount
        self._lastrowid = batch.lastrowid

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        """Execute one SQL statement; returns this cursor."""
        self._check()
        engine = self._connection._engine_checked()
        self._load(await engine.execute(sql, parameters, self._connection._text_factory))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        """Execute one statement once per parameter set, in one hop."""
        self._check()
        self._load(await self._connection._engine_checked().executemany(sql, parameters))
        return self

    async def executescript(self, sql_script: str) -> Cursor:
        """Execute several statements (committing a pending transaction first)."""
        self._check()
        await self._connection._engine_checked().executescript(sql_script)
        self._rows, self._pos, self._description, self._rowcount = [], 0, None, -1
        return self

    # -- fetching ------------------------------------------------------------

    def _shape(self, rows: list[Any]) -> list[Any]:
        factory = _effective_row_factory(self.row_factory)
        if factory is None:
            return rows
        if factory is Row:
            keys = tuple(d[0] for d in self._description or ())
            return [Row(self, r, keys) for r in rows]
        return [factory(self, r) for r in rows]

    async def fetchone(self) -> Any | None:
        """The next row, or None when there are no more."""
        self._check()
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return self._shape([row])[0]

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` rows (default: ``arraysize``)."""
        self._check()
        n = self.arraysize if size is None else size
        if n < 0:
            n = len(self._rows)
        chunk = self._rows[self._pos : self._pos + n]
        self._pos += len(chunk)
        return self._shape(chunk)

    async def fetchall(self) -> list[Any]:
        """Every remaining row."""
        self._check()
        chunk = self._rows[self._pos :]
        self._pos = len(self._rows)
        return self._shape(chunk)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        while True:
            rows = await self.fetchmany(self.iter_chunk_size)
            if not rows:
                return
            for row in rows:
                yield row

    async def close(self) -> None:
        """Close the cursor; further use raises ``sqlite3.ProgrammingError``."""
        self._closed = True
        self._rows = []

    # -- properties ----------------------------------------------------------

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    @property
    def description(self) -> tuple[tuple[Any, ...], ...] | None:
        return self._description

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
