"""``PoolWorker``: aiomultiprocess' single pool worker, fed through
``multiprocessing`` queues. :class:`~aioxide.multiprocess.Pool` does not use
it (its children speak the framed protocol of ``_wire``); it is kept, with
aiomultiprocess' queue protocol, for code built on it.
"""

from __future__ import annotations

import asyncio
import queue as queue_module
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from .core import Process
from .types import LoopInitializer, Queue

MAX_TASKS_PER_CHILD = 0  # calls a child runs before it is replaced; 0 = never
CHILD_CONCURRENCY = 16  # calls a child runs at the same time


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


class PoolWorker(Process):
    """aiomultiprocess' single pool worker fed through ``multiprocessing``
    queues: tasks ``(task_id, func, args, kwargs)`` arrive on ``tx``, results
    ``(task_id, value, traceback_or_None)`` leave on ``rx``, ``None`` stops
    it, and it exits after ``ttl`` tasks (exactly) when ``ttl`` is set.
    :class:`Pool` does not use it; it exists for code built on it.
    """

    def __init__(
        self,
        tx: Queue[Any],
        rx: Queue[Any],
        ttl: int = MAX_TASKS_PER_CHILD,
        concurrency: int = CHILD_CONCURRENCY,
        *,
        initializer: Callable[..., Any] | None = None,
        initargs: Sequence[Any] = (),
        loop_initializer: LoopInitializer | None = None,
        exception_handler: Callable[[BaseException], None] | None = None,
    ) -> None:
        super().__init__(
            target=_serve_queues,
            args=(tx, rx, max(0, ttl), max(1, concurrency), exception_handler),
            initializer=initializer,
            initargs=initargs,
            loop_initializer=loop_initializer,
        )
        self.concurrency = max(1, concurrency)
        self.exception_handler = exception_handler
        self.ttl = max(0, ttl)
        self.tx = tx
        self.rx = rx


async def _serve_queues(
    tx: Queue[Any],
    rx: Queue[Any],
    ttl: int,
    concurrency: int,
    exception_handler: Callable[[BaseException], None] | None,
) -> None:
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(concurrency)
    running: set[asyncio.Task[None]] = set()
    started = 0

    def get_one() -> asyncio.Future[Any]:
        # A daemon thread per get: a blocking get() that outlives the worker
        # (ttl reached, nothing more queued) must not hold up its exit.
        future: asyncio.Future[Any] = loop.create_future()

        def work() -> None:
            try:
                item = tx.get()
            except (EOFError, OSError, queue_module.Empty):
                item = None
            loop.call_soon_threadsafe(_resolve, future, item)

        threading.Thread(target=work, daemon=True).start()
        return future

    async def run(task: Any) -> None:
        task_id, func, args, kwargs = task
        try:
            result = await func(*args, **kwargs)
        except BaseException as exc:
            if exception_handler is not None:
                exception_handler(exc)
            rx.put_nowait((task_id, None, traceback.format_exc()))
        else:
            rx.put_nowait((task_id, result, None))

    while not ttl or started < ttl:
        await slots.acquire()
        task = await get_one()
        if task is None:
            slots.release()
            break
        started += 1
        job = loop.create_task(run(task))
        running.add(job)
        job.add_done_callback(running.discard)
        job.add_done_callback(lambda _: slots.release())
    if running:
        await asyncio.wait(running)
