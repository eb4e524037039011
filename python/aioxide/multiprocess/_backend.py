"""Where a pool's calls run: the boundary between :class:`Pool` and its
backends.

``Pool`` keeps batches, scheduling and results; a backend starts the
workers, runs the batches it is handed and reports each one's outcome
through the batch itself. ``LocalBackend`` (child processes on this
machine) and ``DaskBackend`` (a Dask cluster) implement it; ``Pool`` talks
to either only through these methods.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from ._batch import Batch


class Backend(Protocol):
    """What ``Pool`` needs from the place its calls run."""

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Starts the workers on ``loop`` (called once, on first use)."""

    async def ready(self) -> None:
        """Returns once calls can run (raises if they never can)."""

    def parallelism(self) -> int:
        """How many calls can run at the same time, for chunking."""

    def processes(self) -> dict[Any, Any]:
        """The live worker processes, each with the queue it serves."""

    def submit(self, batch: Batch) -> None:
        """Runs ``batch``; its outcome is delivered through the batch."""

    def cancel(self, batch: Batch) -> None:
        """Stops ``batch`` if it has not finished."""

    def close(self) -> None:
        """Accepts no more batches; queued ones still run."""

    def terminate(self) -> None:
        """Stops now: unfinished batches fail with ``PoolTerminated``."""

    async def join(self) -> None:
        """Returns once every worker has stopped."""
