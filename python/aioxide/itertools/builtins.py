"""Async versions of builtins that accept sync and async iterables.

>>> import asyncio
>>> from aioxide import itertools as ait
>>> async def main():
...     async def gen():
...         for i in range(5):
...             yield i
...     return await ait.list(ait.map(lambda x: x * 2, gen()))
>>> asyncio.run(main())
[0, 2, 4, 6, 8]
"""

from __future__ import annotations

import asyncio
import builtins
import inspect
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar, overload

from .._core import native_enumerate, native_map, native_zip
from .helpers import maybe_await, needs_await
from .types import AnyIterable

T = TypeVar("T")
R = TypeVar("R")

_MISSING: Any = object()


async def _sync_items(iterable: Iterable[T]) -> AsyncIterator[T]:
    for item in iterable:
        yield item


def iter(itr: AnyIterable[T]) -> AsyncIterator[T]:
    """An async iterator over a sync or async iterable.

    An async iterator is returned as it is (as aioitertools does); an async
    iterable gives its ``__aiter__()``; a sync iterable is wrapped.

    >>> import asyncio
    >>> asyncio.run(next(iter([1, 2])))
    1
    """
    if isinstance(itr, AsyncIterator):
        return itr
    if isinstance(itr, AsyncIterable):
        return itr.__aiter__()
    if isinstance(itr, Iterable):
        return _sync_items(itr)
    raise TypeError(f"{type(itr).__name__!r} object is not iterable")


def iterator_of(itr: AnyIterable[T]) -> AsyncIterator[T]:
    """What ``async for`` steps: ``__aiter__()`` of an async iterable, even
    an iterator's (aiobotocore's paginators return an async generator from
    ``__aiter__`` and cannot be stepped themselves); a sync iterable wrapped.
    Used wherever items are taken with ``__anext__`` directly."""
    if isinstance(itr, AsyncIterable):
        return type(itr).__aiter__(itr)
    return iter(itr)


async def next(itr: AnyIterable[T], default: Any = _MISSING) -> T:
    """The next item of a sync or async iterator, or ``default`` when exhausted.

    >>> import asyncio
    >>> asyncio.run(next(builtins.iter([]), "empty"))
    'empty'
    """
    try:
        if isinstance(itr, AsyncIterator):
            item: T = await itr.__anext__()
            return item
        try:
            return builtins.next(itr)  # type: ignore[call-overload,no-any-return]
        except StopIteration:
            raise StopAsyncIteration from None
    except StopAsyncIteration:
        if default is _MISSING:
            raise
        return default  # type: ignore[no-any-return]


async def list(itr: AnyIterable[T]) -> builtins.list[T]:
    """Collect into a list.

    >>> import asyncio
    >>> asyncio.run(list(range(3)))
    [0, 1, 2]
    """
    if isinstance(itr, (AsyncIterator, AsyncIterable)):
        return [item async for item in iter(itr)]
    return builtins.list(itr)


async def set(itr: AnyIterable[T]) -> builtins.set[T]:
    """Collect into a set."""
    if isinstance(itr, (AsyncIterator, AsyncIterable)):
        return {item async for item in iter(itr)}
    return builtins.set(itr)


async def tuple(itr: AnyIterable[T]) -> builtins.tuple[T, ...]:
    """Collect into a tuple."""
    return builtins.tuple(await list(itr))


def enumerate(itr: AnyIterable[T], start: int = 0) -> AsyncIterator[builtins.tuple[int, T]]:
    """Pairs ``(index, item)``, counting from ``start``."""
    if -(2**63) <= start < 2**63 - 2**32:
        return native_enumerate(itr, start)
    return _enumerate_big(itr, start)


async def _enumerate_big(itr: AnyIterable[T], start: int) -> AsyncIterator[builtins.tuple[int, T]]:
    index = start
    async for item in iter(itr):
        yield index, item
        index += 1


def _start(fn: Callable[..., Any], args: builtins.tuple[Any, ...]) -> asyncio.Future[Any]:
    result = fn(*args)
    if inspect.isawaitable(result):
        return asyncio.ensure_future(result)
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    done.set_result(result)
    return done


async def _ordered_limited_map(
    fn: Callable[..., Any], source: AsyncIterator[Any], limit: int
) -> AsyncIterator[Any]:
    # A window of at most `limit` calls started and not yet handed out: the
    # source is read no further ahead than that (backpressure).
    window: deque[asyncio.Future[Any]] = deque()
    exhausted = False
    try:
        while True:
            while not exhausted and len(window) < limit:
                try:
                    args = await source.__anext__()
                except StopAsyncIteration:
                    exhausted = True
                    break
                window.append(_start(fn, args))
            if not window:
                return
            yield await window.popleft()
    finally:
        for future in window:
            future.cancel()


async def _unordered_limited_map(
    fn: Callable[..., Any], source: AsyncIterator[Any], limit: int
) -> AsyncIterator[Any]:
    running: builtins.set[asyncio.Future[Any]] = builtins.set()
    exhausted = False
    try:
        while running or not exhausted:
            while not exhausted and len(running) < limit:
                try:
                    args = await source.__anext__()
                except StopAsyncIteration:
                    exhausted = True
                    break
                running.add(_start(fn, args))
            if not running:
                break
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        for future in running:
            future.cancel()


@overload
def map(
    fn: Callable[..., Awaitable[R]],
    itr: AnyIterable[Any],
    /,
    *itrs: AnyIterable[Any],
    limit: int | None = None,
    ordered: bool = True,
) -> AsyncIterator[R]: ...
@overload
def map(
    fn: Callable[..., R],
    itr: AnyIterable[Any],
    /,
    *itrs: AnyIterable[Any],
    limit: int | None = None,
    ordered: bool = True,
) -> AsyncIterator[R]: ...
def map(
    fn: Callable[..., Any],
    itr: AnyIterable[Any],
    /,
    *itrs: AnyIterable[Any],
    limit: int | None = None,
    ordered: bool = True,
) -> AsyncIterator[Any]:
    """Apply a sync or async ``fn`` to every item (of several iterables in step).

    With ``limit``, up to ``limit`` calls of an async ``fn`` run at once (the
    source is read no further ahead than that); results come in input order,
    or as they finish with ``ordered=False``.

    >>> import asyncio
    >>> async def double(x):
    ...     return x * 2
    >>> asyncio.run(list(map(double, range(4), limit=2)))
    [0, 2, 4, 6]
    """
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError("limit must be a positive integer or None")
    if limit is None:
        if not itrs:
            return native_map(fn, itr)
        return _sequential_map(fn, zip(itr, *itrs))
    source = zip(itr, *itrs)
    if ordered:
        return _ordered_limited_map(fn, source, limit)
    return _unordered_limited_map(fn, source, limit)


async def _sequential_map(fn: Callable[..., Any], source: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for args in source:
        result = fn(*args)
        if needs_await(result):
            result = await result
        yield result


def _check_kwargs(kwargs: dict[str, Any]) -> None:
    for name in kwargs:
        if name not in ("key", "default"):
            raise ValueError(f"kwarg {name} not supported")


async def _extreme(
    itr: AnyIterable[T], kwargs: dict[str, Any], better: Callable[[Any, Any], bool]
) -> T:
    _check_kwargs(kwargs)
    key = kwargs.get("key")
    best: Any = _MISSING
    best_key: Any = None
    async for item in iter(itr):
        item_key = await maybe_await(key(item)) if key is not None else item
        if best is _MISSING or better(item_key, best_key):
            best, best_key = item, item_key
    if best is _MISSING:
        if "default" in kwargs:
            return kwargs["default"]  # type: ignore[no-any-return]
        raise ValueError("iterable is empty and no default value given")
    return best  # type: ignore[no-any-return]


async def max(itr: AnyIterable[T], **kwargs: Any) -> T:
    """The largest item; ``key`` (sync or async) and ``default`` as for the builtin."""
    return await _extreme(itr, kwargs, lambda a, b: a > b)


async def min(itr: AnyIterable[T], **kwargs: Any) -> T:
    """The smallest item; ``key`` (sync or async) and ``default`` as for the builtin."""
    return await _extreme(itr, kwargs, lambda a, b: a < b)


async def sum(itr: AnyIterable[T], start: Any = None) -> T:
    """``start`` (0 when None) plus every item, in order (strings allowed).

    >>> import asyncio
    >>> asyncio.run(sum(["b", "c"], "a"))
    'abc'
    """
    total: Any = 0 if start is None else start
    async for item in iter(itr):
        total += item
    result: T = total
    return result


async def all(itr: AnyIterable[Any]) -> bool:
    """Whether every item (awaited if awaitable) is true; stops at the first false one."""
    async for item in iter(itr):
        if not await maybe_await(item):
            return False
    return True


async def any(itr: AnyIterable[Any]) -> bool:
    """Whether some item (awaited if awaitable) is true; stops at the first true one."""
    async for item in iter(itr):
        if await maybe_await(item):
            return True
    return False


def zip(*itrs: AnyIterable[Any]) -> AsyncIterator[builtins.tuple[Any, ...]]:
    """Tuples of one item from each iterable, until the shortest ends.

    An exception from any source is raised, never yielded as a value.
    """
    return native_zip(*itrs)


__all__ = [
    "all",
    "any",
    "enumerate",
    "iter",
    "list",
    "map",
    "max",
    "min",
    "next",
    "set",
    "sum",
    "tuple",
    "zip",
]
