"""Async versions of the ``itertools`` functions over sync and async iterables.

>>> import asyncio
>>> from aioxide import itertools as ait
>>> asyncio.run(ait.list(ait.islice(ait.count(), 2, 8, 2)))
[2, 4, 6]
"""

from __future__ import annotations

import asyncio
import builtins
import itertools as _stdlib
import operator
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from .._core import (
    native_accumulate,
    native_batched,
    native_chain,
    native_compress,
    native_count,
    native_cycle,
    native_dropwhile,
    native_filterfalse,
    native_groupby,
    native_islice,
    native_repeat,
    native_takewhile,
    native_zip_longest,
)
from . import builtins as ab
from .helpers import _check_positive, maybe_await
from .types import AnyIterable, AnyIterableIterable

T = TypeVar("T")
R = TypeVar("R")

_MISSING: Any = object()


def accumulate(
    itr: AnyIterable[T], func: Callable[[Any, Any], Any] = operator.add, *, initial: Any = None
) -> AsyncIterator[Any]:
    """Running totals (or results of ``func``, sync or async), after ``initial`` if given."""
    return native_accumulate(itr, func, initial)


async def batched(
    itr: AnyIterable[T], n: int, *, strict: bool = False, timeout: float | None = None
) -> AsyncIterator[tuple[T, ...]]:
    """Tuples of ``n`` items (the last may be shorter).

    With ``timeout`` (seconds), a partial batch is flushed when no new item
    has completed it within that time after its first item: for streaming
    sinks that must not wait for a slow source to fill a batch.
    """
    _check_positive(n, "n")
    if timeout is not None and timeout <= 0:
        raise ValueError("timeout must be positive")
    if timeout is None:
        # More than the machine can hold in one batch is "all of it".
        async for full in native_batched(itr, builtins.min(n, sys.maxsize), strict):
            yield full
        return
    async for flushed in _batched_with_timeout(ab.iterator_of(itr), n, strict, timeout):
        yield flushed


async def _batched_with_timeout(
    iterator: AsyncIterator[T], n: int, strict: bool, timeout: float
) -> AsyncIterator[tuple[T, ...]]:
    loop = asyncio.get_running_loop()
    batch: list[T] = []
    pending: asyncio.Future[T] | None = None
    deadline = 0.0
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            wait = None if not batch else builtins.max(0.0, deadline - loop.time())
            done, _ = await asyncio.wait({pending}, timeout=wait)
            if not done:
                yield builtins.tuple(batch)
                batch = []
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                pending = None
                break
            pending = None
            if not batch:
                deadline = loop.time() + timeout
            batch.append(item)
            if len(batch) == n:
                yield builtins.tuple(batch)
                batch = []
        if batch:
            if strict:
                raise ValueError("batched: incomplete batch")
            yield builtins.tuple(batch)
    finally:
        if pending is not None:
            pending.cancel()


class Chain:
    """``chain(*iterables)`` and ``chain.from_iterable(iterables)``."""

    def __call__(self, *itrs: AnyIterable[T]) -> AsyncIterator[T]:
        return native_chain(itrs)

    def from_iterable(self, itrs: AnyIterableIterable[T]) -> AsyncIterator[T]:
        """The items of each iterable in ``itrs`` (which may itself be async)."""
        return native_chain(itrs)


chain = Chain()


async def _all_of(itr: AnyIterable[T]) -> list[T]:
    return await ab.list(itr)


async def combinations(itr: AnyIterable[T], r: int) -> AsyncIterator[tuple[T, ...]]:
    """All ``r``-length combinations, in order (the source is read fully first)."""
    for combo in _stdlib.combinations(await _all_of(itr), r):
        yield combo


async def combinations_with_replacement(
    itr: AnyIterable[T], r: int
) -> AsyncIterator[tuple[T, ...]]:
    """``r``-length combinations with repeated items allowed."""
    for combo in _stdlib.combinations_with_replacement(await _all_of(itr), r):
        yield combo


async def permutations(itr: AnyIterable[T], r: int | None = None) -> AsyncIterator[tuple[T, ...]]:
    """All ``r``-length permutations (``r`` defaults to the length)."""
    for perm in _stdlib.permutations(await _all_of(itr), r):
        yield perm


async def product(*itrs: AnyIterable[Any], repeat: int = 1) -> AsyncIterator[tuple[Any, ...]]:
    """The cartesian product (sources are read fully, concurrently, first)."""
    pools = await asyncio.gather(*(_all_of(i) for i in itrs))
    for combo in _stdlib.product(*pools, repeat=repeat):
        yield combo


def compress(itr: AnyIterable[T], selectors: AnyIterable[Any]) -> AsyncIterator[T]:
    """The items whose matching selector is true — native."""
    return native_compress(itr, selectors)


def count(start: Any = 0, step: Any = 1) -> AsyncIterator[Any]:
    """``start``, ``start + step``, ... forever — native."""
    return native_count(start, step)


def cycle(itr: AnyIterable[T]) -> AsyncIterator[T]:
    """The items again and again; an empty source gives nothing (it ends) — native."""
    return native_cycle(itr)


# Counts past this are as good as endless: the native side holds 64 bits.
_COUNT_LIMIT = 2**64 - 1


def _count(n: int) -> int:
    """``n`` as a native count: an integer (TypeError otherwise, as the
    stdlib), at most 2**64 - 1 (more items than anything can produce)."""
    return builtins.min(operator.index(n), _COUNT_LIMIT)


def repeat(elem: T, n: int = -1) -> AsyncIterator[T]:
    """``elem`` ``n`` times, or forever with the default (-1); other negative
    ``n`` give nothing — native."""
    return native_repeat(elem, None if n == -1 else builtins.max(_count(n), 0))


def dropwhile(predicate: Callable[[T], Any], iterable: AnyIterable[T]) -> AsyncIterator[T]:
    """Skip items while ``predicate`` (sync or async) holds, then yield the rest."""
    return native_dropwhile(predicate, iterable)


def filterfalse(predicate: Callable[[T], Any], iterable: AnyIterable[T]) -> AsyncIterator[T]:
    """The items for which ``predicate`` (sync or async) is false."""
    return native_filterfalse(predicate, iterable)


def takewhile(predicate: Callable[[T], Any], iterable: AnyIterable[T]) -> AsyncIterator[T]:
    """Items while ``predicate`` (sync or async) holds."""
    return native_takewhile(predicate, iterable)


def groupby(
    itr: AnyIterable[T], key: Callable[[T], Any] | None = None
) -> AsyncIterator[tuple[Any, list[T]]]:
    """``(key, items)`` for each run of consecutive items with equal keys
    (``key`` sync or async) — native.

    The items come as a list (as aioitertools), not a sub-iterator.
    """
    return native_groupby(itr, key)


def islice(itr: AnyIterable[T], *args: int | None) -> AsyncIterator[T]:
    """``islice(itr, stop)`` or ``islice(itr, start, stop[, step])``. Like the
    stdlib's, it reads the source up to ``stop`` and no further."""
    if not args:
        raise ValueError("must pass stop index")
    given_start: int | None = 0
    given_step: int | None = 1
    if len(args) == 1:
        stop = args[0]
    elif len(args) == 2:
        given_start, stop = args
    elif len(args) == 3:
        given_start, stop, given_step = args
    else:
        raise ValueError("too many arguments given")
    try:
        start = 0 if given_start is None else _count(given_start)
        step = 1 if given_step is None else _count(given_step)
        stop = None if stop is None else _count(stop)
    except TypeError:
        raise ValueError(
            "Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize."
        ) from None
    if start < 0 or (stop is not None and stop < 0):
        raise ValueError("Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize.")
    if step < 1:
        raise ValueError("Step for islice() must be a positive integer or None.")
    if stop is not None and stop <= start:
        return native_islice(itr, 0, 0, 1)
    return native_islice(itr, start, stop, step)


async def starmap(
    fn: Callable[..., Any], iterable: AnyIterable[AnyIterable[Any]]
) -> AsyncIterator[Any]:
    """``fn(*args)`` (sync or async) for each argument iterable (sync or async)."""
    async for args in ab.iter(iterable):
        yield await maybe_await(fn(*(await ab.list(args))))


def tee(
    itr: AnyIterable[T], n: int = 2, *, limit: int | None = None
) -> tuple[AsyncIterator[T], ...]:
    """``n`` independent iterators over one source, read in any order.

    Items are buffered until every copy has seen them. With ``limit``, a copy
    that is ``limit`` items ahead of the slowest waits for it (bounded memory;
    reading one copy to the end first then needs ``limit=None``).
    """
    if n < 1:
        raise ValueError("n must be at least one")
    if limit is not None and limit < 1:
        raise ValueError("limit must be positive or None")
    shared = _TeeSource(ab.iterator_of(itr), n, limit)
    return builtins.tuple(shared.copy(i) for i in range(n))


class _TeeSource:
    def __init__(self, source: AsyncIterator[Any], n: int, limit: int | None) -> None:
        self.source = source
        self.buffer: deque[Any] = deque()
        self.first = 0  # index of buffer[0] in the stream
        self.positions = [0] * n
        self.limit = limit
        self.done: BaseException | None = None
        self.lock = asyncio.Lock()
        self.moved = asyncio.Condition(self.lock) if limit is not None else None

    async def _fill(self, index: int, position: int) -> None:
        async with self.lock:
            while position >= self.first + len(self.buffer) and self.done is None:
                if self.moved is not None and position - builtins.min(self.positions) >= self.limit:  # type: ignore[operator]
                    await self.moved.wait()
                    continue
                try:
                    self.buffer.append(await self.source.__anext__())
                except StopAsyncIteration as end:
                    self.done = end
                except Exception as exc:
                    self.done = exc

    async def copy(self, index: int) -> AsyncIterator[Any]:
        while True:
            position = self.positions[index]
            if position >= self.first + len(self.buffer):
                await self._fill(index, position)
                if position >= self.first + len(self.buffer):
                    if isinstance(self.done, StopAsyncIteration):
                        return
                    raise self.done  # type: ignore[misc]
            item = self.buffer[position - self.first]
            self.positions[index] = position + 1
            slowest = builtins.min(self.positions)
            while self.first < slowest:
                self.buffer.popleft()
                self.first += 1
            if self.moved is not None:
                async with self.lock:
                    self.moved.notify_all()
            yield item


def zip_longest(*itrs: AnyIterable[Any], fillvalue: Any = None) -> AsyncIterator[tuple[Any, ...]]:
    """Tuples across all iterables until the longest ends, padded with
    ``fillvalue`` — native."""
    return native_zip_longest(*itrs, fillvalue=fillvalue)


__all__ = [
    "accumulate",
    "batched",
    "chain",
    "combinations",
    "combinations_with_replacement",
    "compress",
    "count",
    "cycle",
    "dropwhile",
    "filterfalse",
    "groupby",
    "islice",
    "permutations",
    "product",
    "repeat",
    "starmap",
    "takewhile",
    "tee",
    "zip_longest",
]
