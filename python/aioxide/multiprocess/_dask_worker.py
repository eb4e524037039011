"""The worker side of the cluster backend: what a Dask task runs.

Each Dask worker process keeps one event loop per pool (in a thread of its
own, created on the pool's first batch, after the pool's ``loop_initializer``
and ``initializer``), and every batch task hands its calls to that loop's
:class:`~._runner.BatchRunner`. So a worker runs up to ``childconcurrency``
coroutines at once across all the batches it holds, exactly as a local child
does, whatever its thread count.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import threading

from . import _wire
from ._runner import BatchRunner, ChildOptions

#: The reply of a batch that must not run twice and was started before.
RERUN = b""

_loops: dict[str, _WorkerLoop] = {}
_loops_lock = threading.Lock()


class _WorkerLoop:
    """One pool's event loop inside a Dask worker process."""

    def __init__(self, options: ChildOptions, name: str) -> None:
        self.options = options
        self.pending: dict[int, concurrent.futures.Future[bytes]] = {}
        self.ids = itertools.count(1)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runner: BatchRunner | None = None
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.thread = threading.Thread(target=self._serve, args=(ready,), name=name, daemon=True)
        self.thread.start()
        ready.result()  # the initializers' exception, if any

    def _serve(self, ready: concurrent.futures.Future[None]) -> None:
        try:
            loop = self.options.loop_initializer() if self.options.loop_initializer else None
            loop = loop or asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            if self.options.initializer is not None:
                self.options.initializer(*self.options.initargs)

            async def start() -> BatchRunner:
                return BatchRunner(self.options, self._reply)

            self.runner = loop.run_until_complete(start())
            self.loop = loop
        except BaseException as exc:
            ready.set_exception(exc)
            return
        ready.set_result(None)
        loop.run_forever()

    def run(self, payload: bytes) -> bytes:
        assert self.loop is not None
        ident = next(self.ids)
        done: concurrent.futures.Future[bytes] = concurrent.futures.Future()
        self.pending[ident] = done
        self.loop.call_soon_threadsafe(self._start, ident, payload)
        return done.result()

    def _start(self, ident: int, payload: bytes) -> None:
        assert self.runner is not None
        self.runner.start_batch(ident, payload)
        self.runner.pump()

    def _reply(self, ident: int, payload: _wire.Payload) -> None:
        self.pending.pop(ident).set_result(_wire.joined(payload))


def run_batch(
    payload: bytes, options: bytes, pool_token: str, batch_key: str, run_once: bool
) -> bytes:
    """A Dask task: runs one batch on this worker's loop for the pool and
    returns the packed outcome (as a pool child answers a TASK frame)."""
    if run_once and _started_before(pool_token, batch_key):
        return RERUN
    with _loops_lock:
        worker_loop = _loops.get(pool_token)
        if worker_loop is None:
            worker_loop = _WorkerLoop(_wire.loads(options), f"aioxide-pool-{pool_token[:8]}")
            _loops[pool_token] = worker_loop
    return worker_loop.run(payload)


def _started_before(pool_token: str, batch_key: str) -> bool:
    """Records on the scheduler that this batch started; true if it had
    (the worker running it was lost, and Dask is running it again)."""
    from distributed import get_client

    client = get_client()
    key = ["aioxide", pool_token, batch_key]
    if client.get_metadata(key, None) is not None:  # type: ignore[no-untyped-call]
        return True
    client.set_metadata(key, True)  # type: ignore[no-untyped-call]
    return False
