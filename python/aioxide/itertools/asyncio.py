"""Concurrency helpers: bounded ``gather``, ``as_completed``, ``as_generated``, ``merge``.

Each is O(N): completions arrive through done-callbacks, never by polling
or by waiting over the whole pending set again; at most ``limit`` tasks are
alive at once.

>>> import asyncio
>>> from aioxide.itertools.asyncio import gather
>>> async def square(x):
...     await asyncio.sleep(0)
...     return x * x
>>> asyncio.run(gather(*(square(i) for i in range(5)), limit=2))
[0, 1, 4, 9, 16]
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Generator, Iterable, Iterator
from typing import Any, TypeVar

from . import builtins as ab
from .types import AnyIterable

T = TypeVar("T")

#: How many tasks ``gather`` starts per event-loop iteration. Small enough
#: that a wave of short coroutines (task, coroutine and context each) stays
#: below the collector's first-generation threshold of 700 objects.
_WAVE = 128


def _check_limit(limit: int | None) -> int:
    if limit is None:
        return -1
    if not isinstance(limit, int) or isinstance(limit, bool) or (limit < 1 and limit != -1):
        raise ValueError(f"limit must be -1 (no limit) or a positive integer, not {limit!r}")
    return limit


def _discard(item: Any) -> None:
    """Drop an awaitable that will never run, without a 'never awaited' warning."""
    if inspect.iscoroutine(item):
        item.close()
    elif isinstance(item, asyncio.Future):
        item.cancel()


async def gather(*args: Awaitable[T], return_exceptions: bool = False, limit: int = -1) -> list[T]:
    """Await every argument, at most ``limit`` at once; results in argument order.

    The same awaitable given twice runs once. On the first failure (without
    ``return_exceptions``) the others are cancelled, and ones never started
    are closed; cancelling ``gather`` does the same. With
    ``return_exceptions``, a cancelled input gives a ``CancelledError`` in
    the list. Tasks are created 128 per event-loop iteration: every input
    starts without waiting for another to finish, and short coroutines do
    not pile up thousands of live tasks.
    """
    limit = _check_limit(limit)
    loop = asyncio.get_running_loop()
    first_index: dict[int, int] = {}
    items: list[Awaitable[T]] = []
    slots: list[int] = []
    for arg in args:
        index = first_index.setdefault(id(arg), len(items))
        if index == len(items):
            items.append(arg)
        slots.append(index)
    if not items:
        return []
    results: list[Any] = [None] * len(items)
    finished: asyncio.Future[None] = loop.create_future()
    running: dict[asyncio.Future[Any], int] = {}
    remaining = len(items)
    admitted = 0
    next_wave: asyncio.Handle | None = None

    def admissible() -> bool:
        return admitted < len(items) and (limit == -1 or len(running) < limit)

    def admit(budget: int) -> None:
        nonlocal admitted
        while budget > 0 and admissible():
            task = asyncio.ensure_future(items[admitted])
            running[task] = admitted
            admitted += 1
            budget -= 1
            task.add_done_callback(on_done)

    def admit_wave() -> None:
        # Tasks start in waves, one per loop iteration, so that short
        # coroutines finish before thousands more are created: the live set
        # stays small enough to die young in the collector's first
        # generation instead of being walked by every full collection.
        nonlocal next_wave
        next_wave = None
        if finished.done():
            return
        admit(_WAVE)
        if admissible():
            next_wave = loop.call_soon(admit_wave)

    def on_done(task: asyncio.Future[Any]) -> None:
        nonlocal remaining
        index = running.pop(task)
        outcome: Any
        if task.cancelled():
            outcome = asyncio.CancelledError()
        else:
            exc = task.exception()  # also marks it retrieved
            outcome = exc if exc is not None else task.result()
        if finished.done():
            return
        if isinstance(outcome, BaseException) and not return_exceptions:
            if isinstance(outcome, asyncio.CancelledError):
                finished.cancel()
            else:
                finished.set_exception(outcome)
            return
        results[index] = outcome
        remaining -= 1
        if remaining == 0:
            finished.set_result(None)
        elif next_wave is None:
            # A bounded gather refills the slot this task freed at once.
            admit(1)

    admit_wave()
    try:
        await finished
    finally:
        if next_wave is not None:
            next_wave.cancel()
        for task in list(running):
            task.cancel()
        for item in items[admitted:]:
            _discard(item)
    return [results[slot] for slot in slots]


async def gather_iter(
    itr: AnyIterable[Awaitable[T] | T], return_exceptions: bool = False, limit: int = -1
) -> list[T]:
    """``gather`` over an iterable (read fully first); non-awaitables pass through."""
    limit = _check_limit(limit)
    values = await ab.list(itr)
    awaitables = [v for v in values if inspect.isawaitable(v)]
    gathered = iter(await gather(*awaitables, return_exceptions=return_exceptions, limit=limit))
    # gather() runs a repeated awaitable once; give every position its result.
    by_id: dict[int, Any] = {}
    for value in awaitables:
        if id(value) not in by_id:
            by_id[id(value)] = next(gathered)
    return [by_id[id(v)] if inspect.isawaitable(v) else v for v in values]


class as_completed:
    """Results as they complete: ``async for result in as_completed(aws)``.

    Also iterable the asyncio way (``for next_done in as_completed(aws):
    await next_done``). With ``timeout`` (seconds, measured on the loop's
    monotonic clock), the unfinished ones are cancelled and
    ``asyncio.TimeoutError`` is raised once it passes.
    """

    def __init__(self, aws: Iterable[Awaitable[T]], *, timeout: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._pending: set[asyncio.Future[Any]] = {asyncio.ensure_future(a) for a in aws}
        self._done: deque[asyncio.Future[Any]] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self._deadline = None if timeout is None else loop.time() + timeout
        self._timer: asyncio.TimerHandle | None = None
        for future in self._pending:
            future.add_done_callback(self._on_done)
        if self._deadline is not None:
            self._timer = loop.call_at(self._deadline, self._on_timeout)
        self._timed_out = False

    def _on_done(self, future: asyncio.Future[Any]) -> None:
        if future in self._pending:
            self._pending.discard(future)
            self._done.append(future)
            self._wake()

    def _on_timeout(self) -> None:
        self._timed_out = True
        for future in list(self._pending):
            future.remove_done_callback(self._on_done)
            future.cancel()
        self._pending.clear()
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def _next_done(self) -> asyncio.Future[Any]:
        while not self._done:
            if self._timed_out:
                raise asyncio.TimeoutError
            if not self._pending:
                raise StopAsyncIteration
            self._wakeup = self._loop.create_future()
            try:
                await self._wakeup
            except BaseException:
                self.close()
                raise
        return self._done.popleft()

    def close(self) -> None:
        """Cancel whatever has not completed."""
        if self._timer is not None:
            self._timer.cancel()
        for future in list(self._pending):
            future.remove_done_callback(self._on_done)
            future.cancel()
        self._pending.clear()

    def __aiter__(self) -> as_completed:
        return self

    async def __anext__(self) -> Any:
        future = await self._next_done()
        if not self._pending and not self._done and self._timer is not None:
            self._timer.cancel()
        return future.result()

    def __iter__(self) -> Iterator[Awaitable[Any]]:
        for _ in range(len(self._pending) + len(self._done)):
            yield self._result_of_next()

    async def _result_of_next(self) -> Any:
        try:
            future = await self._next_done()
        except StopAsyncIteration:
            raise RuntimeError("as_completed: no more awaitables") from None
        return future.result()


async def as_generated(
    iterables: Iterable[AnyIterable[T]], *, return_exceptions: bool = False
) -> AsyncIterator[T]:
    """Items of several iterables, interleaved as they are produced.

    A source that raises ``CancelledError`` just ends. Another error is
    raised (after cancelling the other sources), or yielded as a value with
    ``return_exceptions``. Cancelling the consumer cancels every source and
    propagates.
    """
    async for item in _interleave(iterables, return_exceptions=return_exceptions):
        yield item


def merge(*iterables: AnyIterable[T]) -> AsyncIterator[T]:
    """Interleave several iterables, each item as soon as it arrives."""
    return _interleave(iterables, return_exceptions=False)


_END: Any = object()


async def _interleave(
    iterables: Iterable[AnyIterable[Any]], *, return_exceptions: bool
) -> AsyncIterator[Any]:
    sources = list(iterables)
    # Bounded: a fast source waits for the consumer instead of filling memory.
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max(len(sources), 1))

    async def pump(source: AnyIterable[Any]) -> None:
        try:
            async for item in ab.iter(source):
                await queue.put(item)
        except asyncio.CancelledError:
            if producers_cancelled:
                raise
        except Exception as exc:
            await queue.put(_Failure(exc))
        finally:
            if not producers_cancelled:
                await queue.put(_END)

    producers_cancelled = False
    tasks = [asyncio.ensure_future(pump(s)) for s in sources]
    active = len(tasks)
    try:
        while active:
            item = await queue.get()
            if item is _END:
                active -= 1
            elif isinstance(item, _Failure):
                if not return_exceptions:
                    raise item.exc
                yield item.exc
            else:
                yield item
    finally:
        producers_cancelled = True
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _never() -> Generator[None, None, None]:  # pragma: no cover - typing helper
    yield None


__all__ = ["as_completed", "as_generated", "gather", "gather_iter", "merge"]
