"""aiosqlite's private attributes that real clients use, honoured.

aiosqlite keeps a stdlib ``sqlite3.Connection`` in ``_conn``, a request queue
in ``_tx`` and (before 0.22) was itself a ``Thread``; ORMs and frameworks
written for it reach into all three:

- Tortoise ORM sets ``db._conn.row_factory = sqlite3.Row``;
- SQLAlchemy's dialect runs its ``isolation_level`` setter as
  ``db._tx.put_nowait((future, partial(fn, db._conn, level)))``;
- applications read ``db._conn.in_transaction`` to roll back stale work;
- langgraph-checkpoint-sqlite asks ``db._thread.is_alive()``.

Each view here behaves as the original does for what it supports, and raises
a clear ``AttributeError`` for the rest: nothing set on them is ever silently
dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Connection, IsolationLevel
    from .cursor import RowFactory


def _unsupported(name: str) -> AttributeError:
    return AttributeError(
        f"aioxide.sqlite: Connection._conn.{name} is not available: aioxide has no "
        "stdlib sqlite3.Connection underneath. Use the async Connection method or "
        "property of the same name instead."
    )


class StdlibConnectionView:
    """What aiosqlite's private ``_conn`` (a ``sqlite3.Connection``) gives.

    Its settings are the connection's own, so ``db._conn.row_factory = f``
    is ``db.row_factory = f``, exactly as in aiosqlite, where the public
    properties read and write ``_conn``.

    >>> import asyncio, sqlite3, aioxide.sqlite as aiosqlite
    >>> async def main():
    ...     async with aiosqlite.connect(":memory:") as db:
    ...         db._conn.row_factory = sqlite3.Row
    ...         row = await (await db.execute("select 1 as x")).fetchone()
    ...         return row["x"], db.row_factory is sqlite3.Row
    >>> asyncio.run(main())
    (1, True)
    """

    __slots__ = ("_connection",)
    _connection: Connection

    def __init__(self, connection: Connection) -> None:
        object.__setattr__(self, "_connection", connection)

    @property
    def row_factory(self) -> RowFactory:
        return self._connection.row_factory

    @row_factory.setter
    def row_factory(self, factory: RowFactory) -> None:
        self._connection.row_factory = factory

    @property
    def text_factory(self) -> Callable[[bytes], Any]:
        return self._connection.text_factory

    @text_factory.setter
    def text_factory(self, factory: Callable[[bytes], Any]) -> None:
        self._connection.text_factory = factory

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: IsolationLevel) -> None:
        self._connection.isolation_level = value

    @property
    def autocommit(self) -> bool | int:
        return self._connection.autocommit

    @autocommit.setter
    def autocommit(self, value: bool | int) -> None:
        self._connection.autocommit = value

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    @property
    def total_changes(self) -> int:
        return self._connection.total_changes

    def __getattr__(self, name: str) -> Any:
        raise _unsupported(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
            return
        raise _unsupported(name)

    def __repr__(self) -> str:
        return f"<aioxide.sqlite stdlib-connection view of {self._connection!r}>"


class PendingQueueView:
    """Stand-in for aiosqlite's private ``_tx`` queue.

    ``put_nowait((future, fn))`` is how some frameworks (SQLAlchemy) run a
    function "on the connection thread" in order with queued work: here it
    runs ``fn`` once everything queued before it has finished, and resolves
    ``future`` with its result.
    """

    __slots__ = ("_connection",)

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def empty(self) -> bool:
        native = self._connection._native
        return native is None or native.pending == 0

    def qsize(self) -> int:
        native = self._connection._native
        return 0 if native is None else native.pending

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        barrier = self._connection._native_checked().barrier()

        async def run_in_order() -> None:
            await barrier
            try:
                result = function()
            except BaseException as exc:
                if future is not None and not future.done():
                    future.set_exception(exc)
                return
            if future is not None and not future.done():
                future.set_result(result)

        task = asyncio.ensure_future(run_in_order())
        _background.add(task)
        task.add_done_callback(_background.discard)


# Tasks started for put_nowait, kept alive until they finish.
_background: set[asyncio.Future[None]] = set()


class ThreadView:
    """What aiosqlite's private ``_thread`` gives: a Thread-like handle.

    aioxide's connection thread is a Rust thread that never blocks
    interpreter exit, so ``daemon`` is accepted and has no effect.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.daemon = True
        self.name = "aioxide-sqlite"

    def is_alive(self) -> bool:
        native = self._connection._native
        return native is not None and not native.stopped

    def join(self, timeout: float | None = None) -> None:
        native = self._connection._native
        if native is not None and native.stopped:
            native.stop(wait=True)
