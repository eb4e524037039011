"""The local backend: child processes on this machine, one socket each.

The parent keeps the queue of batches. A batch goes to a ready child of its
queue with room (fewest calls in flight first); a child has room while it
holds fewer than two batches or fewer than ``2 * childconcurrency`` calls, so
it always has the next work at hand without hoarding it. The loop watches
each child's socket (``add_reader``) and reads its ``Channel`` when frames
arrive; end of stream means the child exited, and only then are its
unanswered batches failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .._core import Channel
from . import _child, _wire
from ._batch import Batch
from .types import (
    Context,
    PoolBroken,
    PoolTerminated,
    QueueID,
    WorkerCrashed,
)

#: Children that die before serving, in a row, before the pool gives up.
MAX_START_FAILURES = 3

# A child killed by a signal before it was ready (the OOM killer, an
# operator's kill) says nothing about whether children can start: it is
# replaced after a delay that doubles per death in a row, up to the last.
RESTART_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


@dataclass(eq=False)
class Child:
    """One child process and the parent's view of it."""

    queue: QueueID
    process: Any  # multiprocessing.process.BaseProcess
    channel: Channel
    budget: int  # calls it may still receive; 0 = unlimited
    #: Runs once its end of stream is read: waits for it to exit, then
    #: fails what it left unanswered and replaces it.
    exiting: asyncio.Task[None] | None = None
    ready: bool = False
    retiring: bool = False
    stop_sent: bool = False
    init_error: BaseException | None = None
    inflight: dict[int, Batch] = field(default_factory=dict)
    calls: int = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid  # type: ignore[no-any-return]


class LocalBackend:
    """Runs batches on child processes of this machine."""

    def __init__(
        self,
        *,
        context: Context,
        processes: int,
        queues: list[QueueID],
        options: _child.ChildOptions,
        maxtasksperchild: int,
    ) -> None:
        self.context = context
        self.process_count = processes
        self.options = options
        self.maxtasks = maxtasksperchild
        self.queues: dict[QueueID, deque[Batch]] = {qid: deque() for qid in queues}
        self.children: list[Child] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.state = "new"  # new -> running -> closing -> closed | terminated | broken
        self.broken: BaseException | None = None
        self.start_failures = 0
        self.start_kills = 0
        self._restarts: set[asyncio.TimerHandle] = set()
        self._dispatch_scheduled = False
        self._exited: asyncio.Event | None = None
        self._spawned = 0

    # --- lifecycle ------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._exited = asyncio.Event()
        self.state = "running"
        qids = list(self.queues)
        for index in range(self.process_count):
            self._spawn(qids[index % len(qids)])

    def _spawn(self, queue: QueueID) -> Child:
        assert self.loop is not None
        parent_end, child_end = socket.socketpair()
        self._spawned += 1
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_child.main,
            args=(child_end, self.options),
            name=f"aioxide-pool-child-{self._spawned}",
            daemon=True,
        )
        try:
            process.start()
        except BaseException:
            parent_end.close()
            raise
        finally:
            # The child has its own copy now; ours must go, or the child's
            # death would never read as end of stream.
            child_end.close()
        try:
            channel = Channel(parent_end.fileno(), f"aioxide-pool-{process.pid}", polled=True)
        finally:
            parent_end.close()
        child = Child(queue, process, channel, self.maxtasks)
        self.loop.add_reader(channel.fileno, self._on_readable, child)
        self.children.append(child)
        return child

    async def ready(self) -> None:
        """Children start in the background and calls queue until one is up."""

    def parallelism(self) -> int:
        return self.process_count

    def processes(self) -> dict[Any, QueueID]:
        return {child.process: child.queue for child in self.children}

    def close(self) -> None:
        """No new batches; queued ones still run, then the children exit."""
        if self.state == "running":
            self.state = "closing"
        self._kick()

    def terminate(self) -> None:
        """Fails every unfinished batch and stops the children now."""
        if self.state in ("closed", "terminated"):
            return
        self.state = "terminated"
        for handle in self._restarts:
            handle.cancel()
        self._restarts.clear()
        error = PoolTerminated("the pool was terminated before this task finished")
        self._fail_queued(error)
        for child in list(self.children):
            for batch in child.inflight.values():
                batch.fail(
                    PoolTerminated(f"the pool was terminated while {batch.describe()} was running")
                )
            child.inflight.clear()
            if child.process.is_alive():
                child.process.terminate()
            child.channel.close()

    async def join(self) -> None:
        """Waits until every child has exited."""
        if self._exited is None:
            return
        await self._exited.wait()

    def _check_all_exited(self) -> None:
        if (
            self._exited is not None
            and not self.children
            and not self._restarts
            and self.state != "running"
        ):
            if self.state == "closing":
                self.state = "closed"
            self._exited.set()

    # --- work -----------------------------------------------------------------

    def submit(self, batch: Batch) -> None:
        if self.broken is not None:
            batch.fail(PoolBroken(str(self.broken)))
            return
        self.queues[batch.queue].append(batch)
        # Sent now, not a loop turn later: an apply's round trip is mostly
        # wake-ups, and one turn of the loop is one more.
        self._dispatch()

    def cancel(self, batch: Batch) -> None:
        """The caller gave up on ``batch``: drop it if queued, else tell its
        child to cancel the calls (the child still answers, and the answer is
        discarded)."""
        child = batch.runner
        if isinstance(child, Child) and batch.ident in child.inflight:
            with contextlib.suppress(BrokenPipeError, ConnectionError):
                child.channel.send(_wire.CANCEL, batch.ident, b"")
        # Queued batches are skipped at dispatch: their future is done.

    def queued(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def _kick(self) -> None:
        if not self._dispatch_scheduled and self.loop is not None:
            self._dispatch_scheduled = True
            self.loop.call_soon(self._dispatch)

    def _has_room(self, child: Child) -> bool:
        if not child.ready or child.retiring or child.stop_sent:
            return False
        return len(child.inflight) < 2 or child.calls < 2 * self.options.concurrency

    def _dispatch(self) -> None:
        self._dispatch_scheduled = False
        if self.state in ("terminated", "broken"):
            return
        outgoing: dict[Child, list[tuple[int, int, _wire.Payload]]] = {}
        for qid, queue in self.queues.items():
            serving = [c for c in self.children if c.queue == qid]
            while queue:
                candidates = [c for c in serving if self._has_room(c)]
                if not candidates:
                    break
                batch = queue.popleft()
                if batch.future.done():  # cancelled while queued
                    continue
                child = min(candidates, key=lambda c: c.calls)
                batch.runner = child
                child.inflight[batch.ident] = batch
                child.calls += batch.size
                outgoing.setdefault(child, []).append((_wire.TASK, batch.ident, batch.payload))
                batch.payload = b""  # sent: a long map need not keep its pickles
                if self.maxtasks:
                    child.budget -= batch.size
                    if child.budget <= 0:
                        self._retire(child, outgoing)
        if self.state == "closing" and not self.queued():
            for child in self.children:
                if not child.inflight and not child.stop_sent:
                    child.stop_sent = True
                    outgoing.setdefault(child, []).append((_wire.STOP, 0, b""))
        for child, frames in outgoing.items():
            with contextlib.suppress(BrokenPipeError, ConnectionError):
                child.channel.send_many(frames)

    def _retire(
        self, child: Child, outgoing: dict[Child, list[tuple[int, int, _wire.Payload]]]
    ) -> None:
        # maxtasksperchild reached: the child gets nothing more, finishes
        # what it has, and exits; a fresh child takes its place now.
        child.retiring = True
        child.stop_sent = True
        outgoing.setdefault(child, []).append((_wire.STOP, 0, b""))
        self._spawn(child.queue)

    # --- child events ---------------------------------------------------------

    def _on_readable(self, child: Child) -> None:
        assert self.loop is not None
        try:
            frames = child.channel.read_ready()
        except (EOFError, ConnectionError):
            self.loop.remove_reader(child.channel.fileno)
            child.exiting = self.loop.create_task(self._on_exit(child))
            return
        for kind, ident, payload in frames:
            if kind == _wire.RESULT:
                self._on_result(child, ident, payload)
            elif kind == _wire.READY:
                child.ready = True
                self.start_failures = 0
                self.start_kills = 0
            elif kind == _wire.INIT_FAILED:
                child.init_error = _wire.unpack_exception(_wire.loads(payload))
        if frames:
            # Room freed: the next batches go now.
            self._dispatch()

    def _on_result(self, child: Child, ident: int, payload: bytes) -> None:
        batch = child.inflight.pop(ident, None)
        if batch is None:
            return
        child.calls -= batch.size
        batch.deliver(payload)

    async def _on_exit(self, child: Child) -> None:
        process = child.process
        try:
            await asyncio.wait_for(_wait_exit(process), 5.0)
        except asyncio.TimeoutError:
            # End of stream but still alive: it closed its socket, so it can
            # never answer again.
            process.kill()
            await _wait_exit(process)
        # The sentinel closes a moment before the process can be reaped.
        process.join(5)
        if child in self.children:
            self.children.remove(child)
        code = process.exitcode
        if child.inflight:
            how = _describe_exit(code)
            for batch in child.inflight.values():
                batch.fail(
                    WorkerCrashed(
                        f"worker process {process.pid} {how} while running {batch.describe()}"
                    )
                )
            child.inflight.clear()
            child.calls = 0
        delay = 0.0
        if not child.ready and self.state in ("running", "closing"):
            if child.init_error is None and code is not None and code < 0:
                # Killed by a signal while starting: not the child's doing.
                delay = RESTART_DELAYS[min(self.start_kills, len(RESTART_DELAYS) - 1)]
                self.start_kills += 1
            else:
                # The initializer raised, or the child exited on its own
                # before it was ready: that will happen again.
                self.start_failures += 1
                if self.start_failures >= MAX_START_FAILURES:
                    self._break(child, code)
        if not child.retiring and self._needs_replacement(child.queue):
            if delay:
                self._respawn_later(child.queue, delay)
            else:
                self._spawn(child.queue)
        self._kick()
        self._check_all_exited()

    def _respawn_later(self, queue: QueueID, delay: float) -> None:
        assert self.loop is not None

        def respawn() -> None:
            self._restarts.discard(handle)
            if self._needs_replacement(queue):
                self._spawn(queue)
                self._kick()
            self._check_all_exited()

        handle = self.loop.call_later(delay, respawn)
        self._restarts.add(handle)

    def _needs_replacement(self, queue: QueueID) -> bool:
        if self.state == "running":
            return True
        # Closing: only if queued work would otherwise have nobody to run it.
        return (
            self.state == "closing"
            and bool(self.queues[queue])
            and not any(c.queue == queue for c in self.children)
        )

    def _break(self, child: Child, code: int | None) -> None:
        cause = child.init_error
        reason = f"{type(cause).__name__}: {cause}" if cause is not None else _describe_exit(code)
        error = PoolBroken(
            f"the pool's child processes fail to start "
            f"({MAX_START_FAILURES} in a row; last: {reason})"
        )
        if cause is not None:
            error.__cause__ = cause
        self.broken = error
        self.state = "broken"
        self._fail_queued(error)
        for other in list(self.children):
            other.process.terminate()
            other.channel.close()

    def _fail_queued(self, error: BaseException) -> None:
        for queue in self.queues.values():
            while queue:
                queue.popleft().fail(error)


def _wait_exit(process: Any) -> asyncio.Future[None]:
    """A future resolved when ``process`` exits (its sentinel turns
    readable). A plain future, not a coroutine: nothing is left un-awaited if
    the loop stops first."""
    loop = asyncio.get_running_loop()
    exited: asyncio.Future[None] = loop.create_future()
    sentinel = process.sentinel

    def wake() -> None:
        if not exited.done():
            exited.set_result(None)

    def unwatch(_: asyncio.Future[None]) -> None:
        loop.remove_reader(sentinel)

    loop.add_reader(sentinel, wake)
    exited.add_done_callback(unwatch)
    return exited


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"
