"""``Result``: what ``Connection.execute()`` and friends return.

Like aiosqlite's, it is both a coroutine (await it, or hand it to
``asyncio.gather`` / ``create_task``) and an async context manager that closes
the cursor it produced on exit.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from contextlib import AbstractAsyncContextManager
from functools import update_wrapper
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

_T = TypeVar("_T")
_P = ParamSpec("_P")
_S = TypeVar("_S")


class Result(AbstractAsyncContextManager[_T], Coroutine[Any, Any, _T], Generic[_T]):
    """A single-use awaitable that is also an async context manager.

    >>> async def demo(db):  # doctest: +SKIP
    ...     async with db.execute("select 1") as cursor:
    ...         return await cursor.fetchone()
    """

    __slots__ = ("_coro", "_obj")

    def __init__(self, coro: Coroutine[Any, Any, _T] | None) -> None:
        self._coro: Any = coro
        self._obj: _T | None = None

    def _steps(self) -> Any:
        """What ``send``/``throw``/``close`` drive (the coroutine by default)."""
        return self._coro

    def send(self, value: Any) -> Any:
        return self._steps().send(value)

    def throw(self, typ: Any, val: Any = None, tb: TracebackType | None = None) -> Any:
        steps = self._steps()
        if val is None:
            return steps.throw(typ)
        if tb is None:
            return steps.throw(typ, val)
        return steps.throw(typ, val, tb)

    def close(self) -> None:
        if self._coro is not None:
            self._coro.close()

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> _T:
        self._obj = await self
        return self._obj

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from .cursor import Cursor

        if isinstance(self._obj, Cursor):
            await self._obj.close()


def contextmanager(
    method: Callable[Concatenate[_S, _P], Coroutine[Any, Any, _T]],
) -> Callable[Concatenate[_S, _P], Result[_T]]:
    """Makes an ``async def`` method return a :class:`Result`."""

    def wrapper(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> Result[_T]:
        return Result(method(self, *args, **kwargs))

    update_wrapper(wrapper, method)
    return wrapper
