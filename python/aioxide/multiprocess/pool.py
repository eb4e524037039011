"""``Pool``: coroutines on child processes, each child running many at once.

Drop-in for ``aiomultiprocess.Pool`` (same constructor, ``apply``, ``map``,
``starmap``, ``close``, ``terminate``, ``join``, ``async with``), plus
results as they complete (``imap_unordered`` / ``PoolResult.as_completed``),
automatic chunking for ``map`` and ``map_reduce`` that reduces in the
children. Where the work runs is a backend (``_backend.Backend``: child
processes here, or a Dask cluster); the pool keeps batches, scheduling and
results. aiomultiprocess' ``PoolWorker`` is in ``pool_worker`` (re-exported
here).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import itertools
import math
import os
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Sequence,
)
from typing import (
    Any,
    TypeVar,
)

from . import _wire
from ._backend import Backend
from ._batch import Batch, BatchOutcome
from ._child import ChildOptions
from ._dask import DaskBackend
from ._local import LocalBackend
from .core import get_context
from .pool_worker import CHILD_CONCURRENCY, MAX_TASKS_PER_CHILD, PoolWorker
from .scheduler import LeastLoaded, Scheduler
from .types import LoopInitializer, ProxyException, QueueID, R, T, TaskID

__all__ = ["Pool", "PoolResult", "PoolWorker", "ProxyException"]


_T = TypeVar("_T")
_MISSING: Any = object()


def _mark_retrieved(future: asyncio.Future[Any]) -> None:
    # A batch nobody awaits any more (e.g. after terminate) must not log
    # "exception was never retrieved".
    if not future.cancelled():
        future.exception()


def _call_with(func: Callable[[Any], None], arg: Any, _future: Any) -> None:
    func(arg)


def _first_args(calls: list[Any], single: bool) -> tuple[Any, ...]:
    """The positional arguments of a batch's first call (for messages and
    the scheduler)."""
    if not calls:
        return ()
    return (calls[0],) if single else tuple(calls[0][0])


class PoolResult(Awaitable[list[_T]], AsyncIterable[_T]):
    """The results of ``map`` / ``starmap``: await it for the list (input
    order), iterate it with ``async for`` (input order, as soon as each is
    ready), or use :meth:`as_completed` (completion order).

    The first failed call (in input order) raises its exception. Cancelling
    the awaiting task cancels the calls still running.
    """

    def __init__(self, pool: Pool, batches: Sequence[Batch]) -> None:
        self.pool = pool
        self._batches = list(batches)

    def __await__(self) -> Generator[Any, None, list[_T]]:
        return self.results().__await__()

    async def results(self) -> list[_T]:
        """Waits for every result and returns them in input order."""
        values: list[_T] = []
        try:
            for batch in self._batches:
                outcome = await batch.future
                error = outcome.first_error()
                if error is not None:
                    raise error
                values.extend(outcome.values)
        except asyncio.CancelledError:
            self.cancel()
            raise
        return values

    def __aiter__(self) -> AsyncIterator[_T]:
        return self.results_generator()

    async def results_generator(self) -> AsyncIterator[_T]:
        """Yields results in input order, each as soon as it is ready."""
        try:
            for batch in self._batches:
                outcome = await batch.future
                for value in outcome.items():
                    yield value
        finally:
            self.cancel()

    async def as_completed(self) -> AsyncIterator[_T]:
        """Yields results in the order they finish (a batch's results
        together). Raises the first failure it meets."""
        finished: deque[Batch] = deque()
        wake: list[asyncio.Future[None]] = []

        def on_done(batch: Batch) -> None:
            finished.append(batch)
            if wake and not wake[0].done():
                wake[0].set_result(None)

        for batch in self._batches:
            batch.future.add_done_callback(functools.partial(_call_with, on_done, batch))
        left = len(self._batches)
        loop = asyncio.get_running_loop()
        try:
            while left:
                if not finished:
                    wake[:] = [loop.create_future()]
                    await wake[0]
                batch = finished.popleft()
                left -= 1
                outcome = batch.future.result()
                for value in outcome.items():
                    yield value
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Cancels the calls that have not finished."""
        for batch in self._batches:
            if not batch.future.done():
                batch.future.cancel()


class Pool:
    """Runs coroutine functions on a pool of child processes, each child
    running up to ``childconcurrency`` of them on its own event loop.

    >>> async def double(x: int) -> int:
    ...     return x * 2
    >>> async def main() -> list[int]:          # doctest: +SKIP
    ...     async with Pool() as pool:
    ...         return await pool.map(double, range(10))
    """

    def __init__(
        self,
        processes: int | None = None,
        initializer: Callable[..., None] | None = None,
        initargs: Sequence[Any] = (),
        maxtasksperchild: int = MAX_TASKS_PER_CHILD,
        childconcurrency: int = CHILD_CONCURRENCY,
        queuecount: int | None = None,
        scheduler: Scheduler | None = None,
        loop_initializer: LoopInitializer | None = None,
        exception_handler: Callable[[BaseException], None] | None = None,
        *,
        cluster: Any = None,
        on_worker_loss: str = "retry",
    ) -> None:
        if processes is not None and processes < 0:
            raise ValueError(f"processes must be at least 1, not {processes}")
        if childconcurrency is not None and childconcurrency < 0:
            raise ValueError(f"childconcurrency must be at least 1, not {childconcurrency}")
        if initializer is not None and inspect.iscoroutinefunction(initializer):
            raise ValueError("initializer must be synchronous function")
        self.context = get_context()
        self.scheduler = scheduler or LeastLoaded()
        self.process_count = max(1, processes or os.cpu_count() or 2)
        self.queue_count = max(1, queuecount or 1)
        if self.queue_count > self.process_count:
            raise ValueError("queue count must be <= process count")
        self.initializer = initializer
        self.initargs = initargs
        self.loop_initializer = loop_initializer
        self.maxtasksperchild = max(0, maxtasksperchild)
        self.childconcurrency = max(1, childconcurrency)
        self.exception_handler = exception_handler
        self.running = True
        self.last_id = 0
        self._ids = itertools.count(1)
        self.queues: dict[QueueID, Any] = {}
        for _ in range(self.queue_count):
            qid = self.scheduler.register_queue(None)  # type: ignore[arg-type]
            self.queues[qid] = None
        qids = list(self.queues)
        for index in range(self.process_count):
            self.scheduler.register_process(qids[index % self.queue_count])
        options = ChildOptions(
            concurrency=self.childconcurrency,
            initializer=initializer,
            initargs=tuple(initargs),
            loop_initializer=loop_initializer,
            exception_handler=exception_handler,
        )
        self._backend: Backend
        if cluster is not None:
            self._backend = DaskBackend(
                cluster=cluster, options=options, on_worker_loss=on_worker_loss
            )
        else:
            self._backend = LocalBackend(
                context=self.context,
                processes=self.process_count,
                queues=qids,
                options=options,
                maxtasksperchild=self.maxtasksperchild,
            )
        self._loop: asyncio.AbstractEventLoop | None = None
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None  # no loop yet: start on first use
        if loop is not None:
            self._start(loop)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is None:
            self._loop = loop
            self._backend.start(loop)

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        self._start(loop)
        if loop is not self._loop:
            raise RuntimeError("this Pool belongs to another event loop")
        return loop

    async def __aenter__(self) -> Pool:
        self._ensure_started()
        await self._backend.ready()
        return self

    async def __aexit__(self, *args: Any) -> None:
        """Terminates the pool (as aiomultiprocess does): calls still running
        fail with ``PoolTerminated``. Await your results inside the block, or
        call ``close()`` and ``await join()`` to let queued work finish."""
        self.terminate()
        await self.join()

    # --- aiomultiprocess compatibility views ------------------------------

    @property
    def processes(self) -> dict[Any, QueueID]:
        """The live child processes and the queue each serves."""
        return self._backend.processes()

    # --- submitting -----------------------------------------------------------

    def _check_open(self) -> None:
        if not self.running:
            raise RuntimeError("pool is closed")

    def _batch(
        self,
        loop: asyncio.AbstractEventLoop,
        func: Callable[..., Any],
        calls: list[Any],
        reducer: Callable[[Any, Any], Any] | None = None,
        single: bool = False,
    ) -> Batch:
        """One batch of calls to ``func``: ``(args, kwargs)`` pairs, or with
        ``single`` the one positional argument of each call."""
        if not callable(func):
            raise TypeError(f"{func!r} is not callable; pool tasks must be coroutine functions")
        try:
            payload = _wire.dumps_batch((func, calls, reducer, single), len(calls), by_value=func)
        except Exception as exc:
            raise TypeError(
                f"cannot send {_wire.describe_call(func, _first_args(calls, single))} "
                f"to a child process: {exc}"
            ) from exc
        size = _wire.payload_size(payload)
        if size > _wire.MAX_PAYLOAD:
            raise _wire.too_large(
                size,
                f"{_wire.describe_call(func, _first_args(calls, single))} "
                f"({len(calls)} call{'s' if len(calls) != 1 else ''})",
            )
        ident = next(self._ids)
        self.last_id = ident
        task_id = TaskID(ident)
        first_args = _first_args(calls, single)
        first_kwargs = None if single or not calls else calls[0][1]
        qid = self.scheduler.schedule_task(task_id, func, first_args, first_kwargs or {})
        if qid not in self.queues:
            self.scheduler.complete_task(task_id)
            raise ValueError(f"the scheduler chose queue {qid!r}, which this pool does not have")
        future: asyncio.Future[BatchOutcome] = loop.create_future()
        batch = Batch(ident, func, calls, reducer, payload, future, task_id, qid, single=single)
        future.add_done_callback(lambda f: self._batch_done(batch))
        self._backend.submit(batch)
        return batch

    def _batch_done(self, batch: Batch) -> None:
        self.scheduler.complete_task(batch.task_id)
        if batch.future.cancelled():
            self._backend.cancel(batch)
        else:
            _mark_retrieved(batch.future)

    def _chunks(
        self,
        func: Callable[..., Any],
        calls: list[Any],
        chunksize: int | None,
        single: bool = False,
    ) -> list[Batch]:
        loop = self._ensure_started()
        if chunksize is None:
            chunksize = math.ceil(len(calls) / (4 * self._backend.parallelism())) if calls else 1
        elif chunksize < 1:
            raise ValueError(f"chunksize must be at least 1, not {chunksize}")
        if self.maxtasksperchild:
            chunksize = 1  # a child's task budget counts single calls
        return [
            self._batch(loop, func, calls[i : i + chunksize], single=single)
            for i in range(0, len(calls), chunksize)
        ]

    async def apply(
        self,
        func: Callable[..., Awaitable[R]],
        args: Sequence[Any] | None = None,
        kwds: dict[str, Any] | None = None,
    ) -> R:
        """Runs ``func(*args, **kwds)`` in a child and returns its result.

        >>> async def add(a: int, b: int) -> int:
        ...     return a + b
        >>> # await pool.apply(add, (1, 2)) == 3
        """
        self._check_open()
        loop = self._ensure_started()
        batch = self._batch(loop, func, [(tuple(args or ()), dict(kwds) if kwds else None)])
        outcome = await batch.future
        error = outcome.first_error()
        if error is not None:
            raise error
        return outcome.values[0]  # type: ignore[no-any-return]

    def map(
        self,
        func: Callable[[T], Awaitable[R]],
        iterable: Iterable[T],
        chunksize: int | None = None,
    ) -> PoolResult[R]:
        """Runs ``func(item)`` for every item; await the result for the list.

        Items travel to the children in chunks (``chunksize``; by default
        about four chunks per child), and results come back per chunk.
        """
        self._check_open()
        # The items themselves travel (each call is func(item)): building
        # and pickling an (args, kwargs) pair per item cost more than the
        # call itself.
        return PoolResult(self, self._chunks(func, list(iterable), chunksize, single=True))

    def starmap(
        self,
        func: Callable[..., Awaitable[R]],
        iterable: Iterable[Sequence[T]],
        chunksize: int | None = None,
    ) -> PoolResult[R]:
        """Runs ``func(*args)`` for every ``args`` in ``iterable``."""
        self._check_open()
        return PoolResult(
            self, self._chunks(func, [(tuple(args), None) for args in iterable], chunksize)
        )

    def imap_unordered(
        self,
        func: Callable[[T], Awaitable[R]],
        iterable: Iterable[T],
        chunksize: int | None = None,
    ) -> AsyncIterator[R]:
        """Like ``map``, but yields results in the order they finish.

        >>> # async for result in pool.imap_unordered(fetch, urls, chunksize=1): ...
        """
        return self.map(func, iterable, chunksize).as_completed()

    async def map_reduce(
        self,
        mapper: Callable[[T], Awaitable[R]],
        iterable: Iterable[T],
        reducer: Callable[[Any, R], Any],
        *,
        initial: Any = _MISSING,
        chunksize: int | None = None,
    ) -> Any:
        """``reduce(reducer, map(mapper, iterable)[, initial])`` where each
        child reduces its chunk before sending one value back, and the parent
        combines the chunk results in input order. ``reducer`` may be sync or
        async and should be associative.

        >>> # total = await pool.map_reduce(count_words, pages, operator.add)
        """
        self._check_open()
        loop = self._ensure_started()
        calls = list(iterable)
        if chunksize is None:
            chunksize = max(1, math.ceil(len(calls) / (4 * self._backend.parallelism())))
        elif chunksize < 1:
            raise ValueError(f"chunksize must be at least 1, not {chunksize}")
        if self.maxtasksperchild:
            chunksize = 1
        batches = [
            self._batch(loop, mapper, calls[i : i + chunksize], reducer, single=True)
            for i in range(0, len(calls), chunksize)
        ]
        accumulated = initial
        try:
            for batch in batches:
                outcome = await batch.future
                error = outcome.first_error()
                if error is not None:
                    raise error
                if accumulated is _MISSING:
                    accumulated = outcome.reduced
                else:
                    accumulated = reducer(accumulated, outcome.reduced)
                    if inspect.isawaitable(accumulated):
                        accumulated = await accumulated
        except BaseException:
            for batch in batches:
                if not batch.future.done():
                    batch.future.cancel()
            raise
        if accumulated is _MISSING:
            raise TypeError("map_reduce() of an empty iterable with no initial value")
        return accumulated

    # --- shutting down ------------------------------------------------------

    def close(self) -> None:
        """No new work; what is queued or running finishes, then the children
        exit. Await :meth:`join` to wait for that."""
        self.running = False
        self._backend.close()

    def terminate(self) -> None:
        """Stops the children now; unfinished calls fail with
        ``PoolTerminated``."""
        self.running = False
        self._backend.terminate()

    async def join(self) -> None:
        """Waits until every child has exited (after ``close``/``terminate``)."""
        if self.running:
            raise RuntimeError("pool is still open")
        await self._backend.join()
