"""The cluster backend: the same batches, run as Dask tasks.

A batch becomes one Dask task (``_dask_worker.run_batch``) whose argument is
the batch's already-pickled payload, so Dask's own per-task cost (about a
millisecond) is paid once per batch, not per coroutine. The task's result is
the packed outcome a local child would send, decoded the same way.

Lost workers: Dask reschedules the tasks of a worker that dies on another
worker. ``on_worker_loss="retry"`` (the default) keeps that: the affected
batch runs again, and only if workers keep dying under it (Dask's
``distributed.scheduler.allowed-failures``, 3 by default) do its calls fail
with ``WorkerCrashed``. ``"fail"`` fails the affected batch's calls with
``WorkerCrashed`` at once instead of running them twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from . import _dask_worker, _wire
from ._batch import Batch
from ._runner import ChildOptions
from .types import ClusterLost, ClusterUnavailable, PoolTerminated, WorkerCrashed

WORKER_LOSS_POLICIES = ("retry", "fail")


def import_distributed() -> Any:
    """``distributed``, or a clear error saying how to get it."""
    try:
        import distributed
    except ImportError as exc:
        raise ClusterUnavailable(
            "the cluster backend needs Dask distributed, which is not installed: "
            "pip install 'aioxide[cluster]'"
        ) from exc
    return distributed


class DaskBackend:
    """Runs batches on the workers of a Dask distributed cluster."""

    def __init__(self, *, cluster: Any, options: ChildOptions, on_worker_loss: str) -> None:
        if on_worker_loss not in WORKER_LOSS_POLICIES:
            raise ValueError(
                f"on_worker_loss must be one of {WORKER_LOSS_POLICIES}, not {on_worker_loss!r}"
            )
        self.distributed = import_distributed()
        self.address = self._address_of(cluster)
        self.options = options
        self.options_blob = _wire.dumps(options)
        self.run_once = on_worker_loss == "fail"
        self.token = uuid.uuid4().hex
        self.client: Any = None
        self.workers = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.state = "new"
        self._connecting: asyncio.Task[None] | None = None
        self._running: dict[int, asyncio.Task[None]] = {}
        #: Set once the scheduler connection is gone: later calls fail at once.
        self.lost: ClusterLost | None = None

    def _address_of(self, cluster: Any) -> str:
        if isinstance(cluster, str):
            return cluster
        if isinstance(cluster, self.distributed.Client):
            return str(cluster.scheduler.address)
        address = getattr(cluster, "scheduler_address", None)
        if isinstance(address, str):
            return address
        raise TypeError(
            "cluster must be a scheduler address ('tcp://host:8786'), a distributed.Client "
            f"or a cluster object with a scheduler_address, not {type(cluster).__name__}"
        )

    # --- lifecycle ------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.state = "running"
        self._connecting = loop.create_task(self._connect())

    async def _connect(self) -> None:
        try:
            self.client = await self.distributed.Client(
                self.address, asynchronous=True, set_as_default=False
            )
        except (OSError, TimeoutError, asyncio.TimeoutError) as exc:
            raise ClusterLost(f"cannot reach the Dask scheduler at {self.address}: {exc}") from exc
        info = self.client.scheduler_info()
        self.workers = len(info.get("workers", {})) or 1

    async def ready(self) -> None:
        """Waits until the client is connected (raises if it cannot be)."""
        assert self._connecting is not None
        await asyncio.shield(self._connecting)

    def parallelism(self) -> int:
        return max(1, self.workers)

    def processes(self) -> dict[Any, Any]:
        return {}

    def close(self) -> None:
        if self.state == "running":
            self.state = "closing"

    def terminate(self) -> None:
        if self.state in ("terminated", "closed"):
            return
        self.state = "terminated"
        for task in list(self._running.values()):
            task.cancel()

    async def join(self) -> None:
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
        if self._connecting is not None:
            if not self._connecting.done():
                self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        if self.client is not None:
            await self.client.close()
            self.client = None
        if self.state == "closing":
            self.state = "closed"

    # --- work -----------------------------------------------------------------

    def submit(self, batch: Batch) -> None:
        assert self.loop is not None
        task = self.loop.create_task(self._run(batch))
        self._running[batch.ident] = task
        task.add_done_callback(lambda _: self._running.pop(batch.ident, None))

    def cancel(self, batch: Batch) -> None:
        """Queued batches are cancelled on the scheduler; a batch already
        running on a worker finishes there and its result is dropped."""
        task = self._running.get(batch.ident)
        if task is not None:
            task.cancel()

    def _lose(self, batch: Batch, error: ClusterLost) -> None:
        self.lost = self.lost or error
        batch.fail(error)

    async def _run(self, batch: Batch) -> None:
        if self.lost is not None:
            batch.fail(ClusterLost(str(self.lost)))
            return
        try:
            await self.ready()
        except BaseException as exc:
            batch.fail(exc if isinstance(exc, ClusterLost) else ClusterLost(str(exc)))
            return
        key = f"aioxide-{self.token[:12]}-{batch.ident}"
        future = self.client.submit(
            _dask_worker.run_batch,
            _wire.joined(batch.payload),
            self.options_blob,
            self.token,
            key,
            self.run_once,
            key=key,
            pure=False,
        )
        batch.payload = b""  # the task holds it now
        try:
            payload = await future
        except asyncio.CancelledError:
            await self._cancel_quietly(future)
            if self.state == "terminated":
                batch.fail(
                    PoolTerminated(f"the pool was terminated before {batch.describe()} finished")
                )
            raise
        except self.distributed.KilledWorker as exc:
            batch.fail(
                WorkerCrashed(f"Dask workers kept dying while running {batch.describe()}: {exc}")
            )
            return
        except (self.distributed.comm.CommClosedError, OSError) as exc:
            self._lose(
                batch,
                ClusterLost(f"lost the connection to the Dask scheduler at {self.address}: {exc}"),
            )
            return
        except self.distributed.client.FutureCancelledError as exc:
            self._lose(batch, ClusterLost(f"the Dask cluster dropped {batch.describe()}: {exc}"))
            return
        except Exception as exc:
            batch.fail(exc)
            return
        if payload == _dask_worker.RERUN:
            batch.fail(
                WorkerCrashed(
                    f"the Dask worker running {batch.describe()} was lost; not retried "
                    "(on_worker_loss='fail')"
                )
            )
            return
        batch.deliver(payload)

    async def _cancel_quietly(self, future: Any) -> None:
        with contextlib.suppress(Exception):  # the cluster may be gone already
            await self.client.cancel(future)
