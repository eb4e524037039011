"""``connect`` and ``Connection``: aiosqlite's API over the Rust native.

Each connection owns one Rust thread holding the SQLite connection. Every
call is queued to that thread in order and awaited through the bridge.
"""

from __future__ import annotations

import asyncio
import operator
import os
import sqlite3
import sys
import tempfile
import types
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from .._core import (
    Completion,
    ConnectionCore,
    ExecuteCall,
    NativeConnection,
    RowShape,
    SqliteBatch,
    sqlite_cursor_hooks,
)
from .context import Result, contextmanager
from .cursor import _NO_ROWS, Cursor, RowFactory, read_rest
from .dump import iterdump as _iterdump
from .private_views import PendingQueueView, StdlibConnectionView, ThreadView

IsolationLevel = Literal["DEFERRED", "IMMEDIATE", "EXCLUSIVE", ""] | None

#: ``Connection.autocommit`` value for the pre-3.12 behaviour (``isolation_level`` decides).
LEGACY_TRANSACTION_CONTROL = -1

_OPEN_ARGS = {"timeout", "detect_types", "isolation_level", "check_same_thread", "factory",
              "cached_statements", "uri", "autocommit", "readers"}  # fmt: skip


class _Opener:
    """What ``connect()`` hands the connection: where and how to open."""

    def __init__(self, database: str, kwargs: dict[str, Any]) -> None:
        unknown = set(kwargs) - _OPEN_ARGS
        if unknown:
            raise TypeError(f"connect() got unexpected keyword arguments: {sorted(unknown)}")
        if kwargs.get("factory") not in (None, sqlite3.Connection):
            raise sqlite3.NotSupportedError("connect(factory=...) is not supported by aioxide")
        self.detect_types = int(kwargs.get("detect_types", 0))
        autocommit = kwargs.get("autocommit", LEGACY_TRANSACTION_CONTROL)
        if autocommit not in (True, False, LEGACY_TRANSACTION_CONTROL):
            raise ValueError(
                "autocommit must be True, False, or sqlite3.LEGACY_TRANSACTION_CONTROL"
            )
        self.autocommit: bool | int = autocommit
        self.database = database
        timeout = kwargs.get("timeout", 5.0)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            raise TypeError(f"timeout must be a real number, not {type(timeout).__name__}")
        self.timeout = float(timeout)
        self.isolation_level: str | None = kwargs.get("isolation_level", "")
        if self.isolation_level is not None and not isinstance(self.isolation_level, str):
            raise TypeError("isolation_level must be str or None")
        self.uri = bool(kwargs.get("uri", False))
        # As the stdlib: a negative cache size caches nothing; a huge one is
        # bounded by what SQLite can prepare anyway.
        cached = operator.index(kwargs.get("cached_statements", 128))
        self.cached_statements = min(max(cached, 0), 2**31 - 1)
        readers = kwargs.get("readers", 0)
        if not isinstance(readers, int) or isinstance(readers, bool) or readers < 0:
            raise ValueError("readers must be a non-negative integer")
        in_memory = database in ("", ":memory:") or "mode=memory" in database
        if readers and in_memory:
            raise ValueError("readers need a database file: an in-memory database is private")
        self.readers = readers

    def __call__(self) -> sqlite3.Connection:
        # Only for code that calls the connector itself, as aiosqlite allows.
        return sqlite3.connect(self.database, timeout=self.timeout, uri=self.uri)


def _serialize_stdlib(conn: sqlite3.Connection) -> bytes:
    """The main database of a stdlib connection as one image."""
    if sys.version_info >= (3, 11):
        return conn.serialize()
    # 3.10's sqlite3 has no serialize(): back it up into a scratch file.
    with tempfile.TemporaryDirectory(prefix="aioxide-") as scratch:
        path = os.path.join(scratch, "image.sqlite")
        copy = sqlite3.connect(path)
        try:
            conn.backup(copy)
        finally:
            copy.close()
        return Path(path).read_bytes()


def _restore_stdlib(target: sqlite3.Connection, image: bytes) -> None:
    """Write a serialized database into a stdlib connection through its backup API."""
    if sys.version_info >= (3, 11):
        source = sqlite3.connect(":memory:")
        try:
            source.deserialize(image)
            source.backup(target)
        finally:
            source.close()
        return
    # 3.10's sqlite3 has no deserialize(): the image goes through a scratch file.
    with tempfile.TemporaryDirectory(prefix="aioxide-") as scratch:
        path = os.path.join(scratch, "image.sqlite")
        Path(path).write_bytes(image)
        source = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            source.close()


@types.coroutine
def settle(result: SqliteBatch | Completion[SqliteBatch]) -> Generator[Any, None, SqliteBatch]:
    """The batch of one native ``execute``, awaited (``await settle(...)``,
    or ``yield from`` in a generator).

    The native connection runs a statement on the calling thread when it
    cannot block (the batch itself comes back) and otherwise queues it to
    the connection thread (a ``Completion`` comes back). This is the one
    place that tells the two apart; everything that executes a statement
    goes through it, via ``Connection._execute_batch`` — except
    ``Connection.execute()``'s own awaitable, the hot path, which is native
    (``ExecuteCall``).
    """
    if isinstance(result, SqliteBatch):
        return result
    batch: SqliteBatch = yield from result
    return batch


class Connection(ConnectionCore):
    """An asyncio SQLite connection, drop-in for ``aiosqlite.Connection``.

    >>> async def demo():  # doctest: +SKIP
    ...     async with connect(":memory:") as db:
    ...         async with db.execute("select 1") as cursor:
    ...             return await cursor.fetchone()
    """

    def __init__(
        self,
        connector: Callable[[], Any],
        iter_chunk_size: int,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if loop is not None:
            warnings.warn(
                "aioxide.sqlite.Connection no longer uses the 'loop' parameter",
                DeprecationWarning,
                stacklevel=2,
            )
        self._connector = connector
        # The settings statements read (`_native`, `_closed`, the row and
        # text factories, `_detect_types`, `_iter_chunk_size` and what it
        # makes a cursor read at once, `_first_rows`) live in the native
        # base, ConnectionCore: its defaults are "not open", no row factory,
        # `str` text.
        self._iter_chunk_size = iter_chunk_size
        self._readers: list[NativeConnection] = []
        self._started = False
        self._running = False
        self._conn_view: StdlibConnectionView | None = None
        self._detect_types = connector.detect_types if isinstance(connector, _Opener) else 0
        self._autocommit: bool | int = (
            connector.autocommit if isinstance(connector, _Opener) else LEGACY_TRANSACTION_CONTROL
        )
        # Set by some frameworks on aiosqlite's thread object; harmless here
        # (aioxide's connection threads never block interpreter exit).
        self.daemon = True

    # -- lifecycle -----------------------------------------------------------

    def __del__(self) -> None:
        if self._native is None or not self._running:
            return
        warnings.warn(
            f"{self!r} was deleted before being closed. "
            "Please use 'async with' or '.close()' to close the connection properly.",
            ResourceWarning,
            stacklevel=1,
        )
        self._shut_down()

    async def _connect(self) -> Connection:
        if self._started:
            raise RuntimeError("threads can only be started once")
        self._started = True
        native = NativeConnection("aioxide-sqlite")
        self._native = native
        self._running = True
        try:
            if isinstance(self._connector, _Opener):
                o = self._connector
                await native.open(o.database, o.timeout, o.isolation_level, o.uri,
                                  o.cached_statements)  # fmt: skip
                if o.autocommit is not LEGACY_TRANSACTION_CONTROL:
                    await native.set_autocommit(int(o.autocommit))
                if o.readers:
                    await self._open_readers(native, o)
            else:
                await self._adopt(native, self._connector())
        except BaseException:
            self._running = False
            self._native = None
            native.stop()
            for reader in self._readers:
                reader.stop()
            self._readers = []
            raise
        return self

    async def _open_readers(self, native: NativeConnection, o: _Opener) -> None:
        """A pooled connection: WAL, plus read-only connections for queries."""
        await settle(native.execute("pragma journal_mode = wal"))
        for _ in range(o.readers):
            reader = NativeConnection("aioxide-sqlite-reader")
            self._readers.append(reader)
            await reader.open(o.database, o.timeout, None, o.uri, o.cached_statements)
            await settle(reader.execute("pragma query_only = 1"))
        native.attach_readers(self._readers)

    async def _on_every_native(self, call: Callable[[NativeConnection], Any]) -> None:
        """Apply a setting (a function, a callback) to the writer and every reader."""
        natives = [self._native_checked(), *self._readers]
        await asyncio.gather(*(call(e) for e in natives))

    async def _adopt(self, native: NativeConnection, conn: Any) -> None:
        """Take over what a user-supplied connector opened with ``sqlite3``."""
        if not isinstance(conn, sqlite3.Connection):
            raise TypeError(f"connector returned {type(conn).__name__}, not sqlite3.Connection")
        try:
            level = conn.isolation_level
            files = {name: path for _, name, path in conn.execute("PRAGMA database_list")}
            path = files.get("main") or ""
            image = None if path else _serialize_stdlib(conn)
        finally:
            conn.close()
        await native.open(path or ":memory:", 5.0, level)
        if image is not None:
            await native.restore(image)

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._connect().__await__()

    async def __aenter__(self) -> Connection:
        return await self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _shut_down(self) -> Completion[None] | None:
        """Queue close, stop the thread; returns the close operation."""
        native = self._native
        self._running = False
        for reader in self._readers:
            if not reader.stopped:
                reader.close()
                reader.stop()
        if native is None or native.stopped:
            return None
        closing = native.close()
        native.stop()
        return closing

    async def close(self) -> None:
        """Close the connection (idempotent). Does not commit."""
        native = self._native
        if native is None or self._closed or native.stopped:
            return
        # Operations already queued finish first; like aiosqlite, calls made
        # while the close is in flight still see an open connection.
        closing = native.close()
        native.stop()
        readers_closing = [r.close() for r in self._readers if not r.stopped]
        for reader in self._readers:
            reader.stop()
        try:
            await closing
            for reader_closing in readers_closing:
                await reader_closing
            # One more loop turn before the connection reads as closed: calls
            # made in the same turn as close() behave as with aiosqlite, whose
            # close always takes a round trip through its thread.
            await asyncio.sleep(0)
        finally:
            self._closed = True
            self._running = False

    def stop(self) -> asyncio.Future[None] | None:
        """Close and stop without awaiting; returns a future when a loop runs."""
        closing = self._shut_down()
        self._closed = True
        if closing is None:
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            closing.cancel()  # nobody can await it; the thread still closes the database
            return None
        future: asyncio.Future[None] = asyncio.ensure_future(closing)
        return future

    # -- internals used by cursors ---------------------------------------------

    def _native_checked(self) -> NativeConnection:
        if self._native is None or self._closed:
            raise ValueError("no active connection")
        return self._native

    def _submit(
        self,
        sql: str,
        parameters: Any = None,
        shape: RowShape | None = None,
        first_rows: int | None = None,
    ) -> SqliteBatch | Completion[SqliteBatch]:
        """One statement with this connection's text factory and type
        detection (``shape``: rows as aioxide.sql objects): the one way into
        the native connection for ``execute()``, cursors and aioxide.sql.
        The batch itself if it ran on this thread, else an awaitable.

        ``first_rows``: a query stops after that many rows and the batch's
        ``more`` reads the rest, so a cursor holds one chunk at a time."""
        # _native_checked(), inlined: one call per statement, not two.
        native = self._native
        if native is None or self._closed:
            raise ValueError("no active connection")
        return native.execute(
            sql, parameters, self._text_factory, self._detect_types, shape, first_rows
        )

    def _execute_batch(
        self,
        sql: str,
        parameters: Any = None,
        shape: RowShape | None = None,
        first_rows: int | None = None,
    ) -> Awaitable[SqliteBatch]:
        """``_submit``, awaited through :func:`settle`."""
        return settle(self._submit(sql, parameters, shape, first_rows))

    def _check_open(self) -> None:
        if self._native is None or self._closed:
            raise ValueError("Connection closed")

    @property
    def _conn(self) -> StdlibConnectionView:
        self._native_checked()
        view = self._conn_view
        if view is None:
            view = self._conn_view = StdlibConnectionView(self)
        return view

    @property
    def _tx(self) -> PendingQueueView:
        return PendingQueueView(self)

    @property
    def _connection(self) -> NativeConnection | None:
        """The native while open, else None (as aiosqlite's stdlib connection)."""
        return None if self._closed else self._native

    @property
    def _thread(self) -> ThreadView:
        return ThreadView(self)

    # -- statements ------------------------------------------------------------

    @contextmanager
    async def cursor(self, factory: type[Cursor] = Cursor) -> Cursor:
        """Create a cursor; ``factory`` (a ``Cursor`` subclass) makes it."""
        self._native_checked()
        cursor = factory(self, self._row_factory)
        if not isinstance(cursor, Cursor):
            raise TypeError("factory must return a cursor, not " + type(cursor).__name__)
        return cursor

    # `execute` and `execute_fetchall` are ConnectionCore's (native: the
    # call costs no Python frame); they return an ExecuteCall, which is this
    # Result (a coroutine and an async context manager).
    if TYPE_CHECKING:

        def execute(self, sql: str, parameters: Any = None) -> Result[Cursor]:
            """Execute one statement; returns a cursor over its rows."""
            ...

        def execute_fetchall(self, sql: str, parameters: Any = None) -> Result[Iterable[Any]]:
            """Execute a statement and return all its rows, in one hop."""
            ...

    @contextmanager
    async def execute_insert(self, sql: str, parameters: Any = None) -> Any:
        """Execute an INSERT; returns the row ``(last_insert_rowid,)``."""
        cursor = await self.execute(sql, parameters)
        cursor._load(_LastRowId(cursor.lastrowid))
        return await cursor.fetchone()

    @contextmanager
    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        """Execute a statement once per parameter set, in one hop."""
        self._native_checked()
        cursor = Cursor(self, self._row_factory)
        return await cursor.executemany(sql, parameters)

    @contextmanager
    async def executescript(self, sql_script: str) -> Cursor:
        """Execute a script of several statements."""
        self._native_checked()
        cursor = Cursor(self, self._row_factory)
        return await cursor.executescript(sql_script)

    async def commit(self) -> None:
        """Commit the current transaction."""
        await self._native_checked().commit()

    async def rollback(self) -> None:
        """Roll back the current transaction."""
        await self._native_checked().rollback()

    async def interrupt(self) -> None:
        """Interrupt the statement running now (immediately, not queued)."""
        self._native_checked().interrupt()

    async def create_function(
        self, name: str, num_params: int, func: Callable[..., Any], deterministic: bool = False
    ) -> None:
        """Make a Python function callable from SQL."""
        await self._on_every_native(
            lambda e: e.create_function(name, num_params, func, deterministic)
        )

    async def create_aggregate(
        self, name: str, n_arg: int, aggregate_class: Callable[[], Any] | None
    ) -> None:
        """Make an aggregate class (``step(*args)``, ``finalize()``) callable from SQL."""
        await self._on_every_native(lambda e: e.create_aggregate(name, n_arg, aggregate_class))

    async def create_window_function(
        self, name: str, num_params: int, aggregate_class: Callable[[], Any] | None, /
    ) -> None:
        """Make a window function class (``step``, ``inverse``, ``value``,
        ``finalize``) callable from SQL."""
        await self._on_every_native(
            lambda e: e.create_window_function(name, num_params, aggregate_class)
        )

    async def enable_load_extension(self, value: bool) -> None:
        await self._on_every_native(lambda e: e.enable_load_extension(value))

    async def load_extension(self, path: str) -> None:
        await self._on_every_native(lambda e: e.load_extension(path))

    async def set_progress_handler(self, handler: Callable[[], int | None] | None, n: int) -> None:
        """Call ``handler`` every ``n`` SQLite VM steps; a true result aborts."""
        await self._on_every_native(lambda e: e.set_progress_handler(handler, n))

    async def set_trace_callback(self, handler: Callable[[str], object] | None) -> None:
        """Call ``handler(sql)`` for every statement run."""
        await self._on_every_native(lambda e: e.set_trace_callback(handler))

    async def set_authorizer(
        self, authorizer_callback: Callable[[int, str | None, str | None, str | None,
                                             str | None], int] | None
    ) -> None:  # fmt: skip
        """Install an authorizer returning ``sqlite3.SQLITE_OK/DENY/IGNORE``."""
        await self._on_every_native(lambda e: e.set_authorizer(authorizer_callback))

    async def iterdump(self) -> AsyncIterator[str]:
        """Yield the SQL that recreates the database, as ``sqlite3`` writes it."""
        native = self._native_checked()

        async def query(sql: str) -> list[tuple[Any, ...]]:
            return (await settle(native.execute(sql, None, str))).rows

        async for line in _iterdump(query):
            yield line

    async def backup(
        self,
        target: Connection | sqlite3.Connection,
        *,
        pages: int = 0,
        progress: Callable[[int, int, int], None] | None = None,
        name: str = "main",
        sleep: float = 0.250,
    ) -> None:
        """Copy database ``name`` into ``target`` (an aioxide or ``sqlite3`` connection)."""
        image = await self._native_checked().serialize(name)
        if isinstance(target, Connection):
            await target._native_checked().restore(image)
        elif isinstance(target, sqlite3.Connection):
            _restore_stdlib(target, image)
        else:
            raise TypeError(f"backup target must be a connection, not {type(target).__name__}")
        if progress is not None:
            page_size = int.from_bytes(image[16:18], "big") if len(image) >= 100 else 0
            page_size = 65536 if page_size == 1 else page_size
            total = len(image) // page_size if page_size else 0
            progress(sqlite3.SQLITE_DONE, 0, total)

    # -- properties ------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        return self._native_checked().in_transaction

    @property
    def isolation_level(self) -> str | None:
        return self._native_checked().get_isolation_level()

    @isolation_level.setter
    def isolation_level(self, value: IsolationLevel) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError("isolation_level must be str or None")
        # Switching to autocommit queues a COMMIT behind earlier work (sqlite3
        # commits at once); if it fails, in_transaction stays true.
        self._native_checked().set_isolation_level(value)

    @property
    def autocommit(self) -> bool | int:
        """Python 3.12's transaction control: True, False or ``LEGACY_TRANSACTION_CONTROL``."""
        self._native_checked()
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool | int) -> None:
        if value not in (True, False, LEGACY_TRANSACTION_CONTROL):
            raise ValueError(
                "autocommit must be True, False, or sqlite3.LEGACY_TRANSACTION_CONTROL"
            )
        # Queued in order behind earlier work, as the isolation_level setter.
        self._native_checked().set_autocommit(int(value))
        self._autocommit = value

    @property
    def row_factory(self) -> RowFactory:
        return self._row_factory

    @row_factory.setter
    def row_factory(self, factory: RowFactory) -> None:
        self._row_factory = factory

    @property
    def text_factory(self) -> Callable[[bytes], Any]:
        return self._text_factory  # type: ignore[no-any-return]

    @text_factory.setter
    def text_factory(self, factory: Callable[[bytes], Any]) -> None:
        self._text_factory = factory

    @property
    def total_changes(self) -> int:
        return self._native_checked().total_changes

    def __repr__(self) -> str:
        state = "open" if self._running else "closed"
        return f"<aioxide.sqlite.Connection {state}>"


async def _rows_of(conn: Connection, batch: SqliteBatch) -> list[Any]:
    """``execute_fetchall``'s result when the native call cannot give the
    batch's rows as they are: more to read (in ``REST_CHUNK``s: a big
    result is never held twice, as engine cells and as Python rows), or a
    row factory to apply (called with a cursor, as the stdlib's are)."""
    rows = list(batch.rows)
    if batch.more is not None:
        batch = await read_rest(batch.more, rows)
    if conn._row_factory is None:
        return rows
    cursor = Cursor._from_batch(conn, batch)
    return cursor._shape(rows)


class _LastRowId:
    """The one-row result of ``execute_insert``."""

    description = (("last_insert_rowid()", None, None, None, None, None, None),)
    rowcount = -1
    more = None

    def __init__(self, rowid: int | None) -> None:
        self.rows = [(rowid,)]
        self.lastrowid = rowid


def connect(
    database: str | bytes | os.PathLike[str] | Path | Any,
    *,
    iter_chunk_size: int = 64,
    loop: asyncio.AbstractEventLoop | None = None,
    **kwargs: Any,
) -> Connection:
    """Create a connection; await it (or ``async with`` it) to open.

    >>> async def demo():  # doctest: +SKIP
    ...     async with connect("app.db", timeout=10) as db:
    ...         await db.execute("create table if not exists t (x)")
    """
    if loop is not None:
        warnings.warn(
            "aioxide.sqlite.connect() no longer uses the 'loop' parameter",
            DeprecationWarning,
            stacklevel=2,
        )
    if isinstance(database, bytes):
        location = database.decode("utf-8")
    elif isinstance(database, str):
        location = database
    else:
        location = str(database)
    return Connection(_Opener(location, kwargs), iter_chunk_size)


# `Connection.execute()` and `execute_fetchall()` return the native
# ExecuteCall: a coroutine (for asyncio.gather / create_task and isinstance
# checks) and an async context manager, stepped without a generator or
# StopIteration per statement. It makes Cursors natively (starting from
# _NO_ROWS when made by hand) and hands execute_fetchall's uncommon cases
# (rows still to read, a row factory) to _rows_of.
Coroutine.register(ExecuteCall)
sqlite_cursor_hooks(Cursor, _NO_ROWS, _rows_of)
