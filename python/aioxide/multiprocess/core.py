"""Single child processes running one coroutine: ``Process`` and ``Worker``,
and the start-method context every pool and process uses.

``spawn`` is the default start method on every platform, as in
aiomultiprocess. Joining waits on the process sentinel with the event loop
(no polling), and a ``Worker`` returns its result through a pipe instead of a
Manager process.
"""

from __future__ import annotations

import asyncio
import inspect
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import multiprocessing.managers
import multiprocessing.process
import os
from collections.abc import Callable, Generator, Sequence
from typing import Any

from . import _wire
from ._loop_exit import close_loop
from .types import Context, LoopInitializer, R, Unit

__all__ = [
    "Process",
    "Worker",
    "context",
    "get_context",
    "get_manager",
    "not_implemented",
    "set_context",
    "set_start_method",
]

DEFAULT_START_METHOD = "spawn"

#: The context used for new processes and pools (``spawn`` by default).
context: multiprocessing.context.BaseContext = multiprocessing.get_context(DEFAULT_START_METHOD)
_manager: multiprocessing.managers.SyncManager | None = None


def get_manager() -> multiprocessing.managers.SyncManager:
    """A shared ``SyncManager`` (started on first use; aioxide itself never
    needs one).

    >>> callable(get_manager)
    True
    """
    global _manager
    if _manager is None:
        _manager = context.Manager()
    return _manager


def set_start_method(method: str | None = DEFAULT_START_METHOD) -> None:
    """Selects the start method for processes and pools created afterwards:
    ``"spawn"`` (default), ``"forkserver"``, ``"fork"``, or ``None`` for the
    platform's default. Unknown names raise ``ValueError``.

    >>> set_start_method("spawn"); get_context().get_start_method()
    'spawn'
    """
    global context
    context = multiprocessing.get_context(method)


def set_context(method: str | None = None) -> None:
    """Deprecated alias of :func:`set_start_method` (kept for compatibility)."""
    set_start_method(method)


def get_context() -> Context:
    """The context currently used for new processes.

    >>> get_context().get_start_method() in ("spawn", "fork", "forkserver")
    True
    """
    return context


async def not_implemented(*args: Any, **kwargs: Any) -> None:
    """The default target: raises ``NotImplementedError``."""
    raise NotImplementedError()


class _PicklableUnit:
    """Carries a :class:`Unit` to the child. The target and initializers are
    pickled by aioxide (cloudpickle when needed: lambdas, local functions);
    the arguments go through multiprocessing's own pickler, so its queues,
    pipes and locks can be passed as they can to ``multiprocessing``."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def __reduce__(self) -> Any:
        u = self.unit
        callables = _wire.dumps(
            (u.target, u.initializer, u.loop_initializer, u.runner), by_value=u.target
        )
        return _rebuild_unit, (callables, u.args, u.kwargs, u.namespace, u.initargs)


def _rebuild_unit(
    callables: bytes,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    namespace: Any,
    initargs: Sequence[Any],
) -> _PicklableUnit:
    target, initializer, loop_initializer, runner = _wire.loads(callables)
    return _PicklableUnit(
        Unit(target, args, kwargs, namespace, initializer, initargs, loop_initializer, runner)
    )


class Process:
    """Runs one coroutine function in a child process with its own loop.

    >>> import asyncio
    >>> async def hello() -> None:
    ...     print("hi")
    >>> p = Process(target=hello)   # then: p.start(); await p.join()
    >>> p.daemon
    False
    """

    def __init__(
        self,
        group: None = None,
        target: Callable[..., Any] | None = None,
        name: str | None = None,
        args: Sequence[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        daemon: bool | None = None,
        initializer: Callable[..., Any] | None = None,
        initargs: Sequence[Any] = (),
        loop_initializer: LoopInitializer | None = None,
        process_target: Callable[..., Any] | None = None,
    ) -> None:
        if target is not None and not inspect.iscoroutinefunction(target):
            raise ValueError("target must be coroutine function")
        if initializer is not None and inspect.iscoroutinefunction(initializer):
            raise ValueError("initializer must be synchronous function")
        if loop_initializer is not None and inspect.iscoroutinefunction(loop_initializer):
            raise ValueError("loop_initializer must be synchronous function")
        self.unit = Unit(
            target=target or not_implemented,
            args=args or (),
            kwargs=kwargs or {},
            namespace=None,
            initializer=initializer,
            initargs=initargs,
            loop_initializer=loop_initializer,
        )
        self._result_reader: multiprocessing.connection.Connection | None = None
        run_args: tuple[Any, ...] = (_PicklableUnit(self.unit),)
        if self._returns_result():
            reader, writer = context.Pipe(duplex=False)
            self._result_reader = reader
            self._result_writer: multiprocessing.connection.Connection | None = writer
            run_args = (_PicklableUnit(self.unit), writer)
        else:
            self._result_writer = None
        self.aio_process: multiprocessing.process.BaseProcess = context.Process(  # type: ignore[attr-defined]
            group=group,
            target=process_target or _run_unit,
            name=name,
            args=run_args,
            daemon=daemon,
        )

    def _returns_result(self) -> bool:
        return False

    def __await__(self) -> Generator[Any, None, Any]:
        """Starts the process if needed, then waits for it to exit."""
        if self.exitcode is None and self.pid is None:
            self.start()
        return self.join().__await__()

    def start(self) -> None:
        """Starts the child process."""
        self.aio_process.start()
        if self._result_writer is not None:
            self._result_writer.close()  # the child holds its own copy

    async def join(self, timeout: float | None = None) -> None:
        """Waits (without blocking the loop) until the child exits;
        ``asyncio.TimeoutError`` after ``timeout`` seconds."""
        if self.pid is None:
            raise ValueError("must start process before joining it")
        waiting = _wait_readable(self.aio_process.sentinel)
        if timeout is not None:
            await asyncio.wait_for(waiting, timeout)
        else:
            await waiting
        self._reap()

    def _reap(self) -> None:
        # The sentinel turns readable as the child closes its descriptors,
        # a moment before the kernel lets it be reaped: wait that moment.
        self.aio_process.join(5)

    @property
    def name(self) -> str:
        return str(self.aio_process.name)

    def is_alive(self) -> bool:
        return bool(self.aio_process.is_alive())

    @property
    def daemon(self) -> bool:
        return bool(self.aio_process.daemon)

    @daemon.setter
    def daemon(self, value: bool) -> None:
        self.aio_process.daemon = value

    @property
    def pid(self) -> int | None:
        pid: int | None = self.aio_process.pid
        return pid

    @property
    def exitcode(self) -> int | None:
        code: int | None = self.aio_process.exitcode
        return code

    def terminate(self) -> None:
        """Sends SIGTERM to the child."""
        self.aio_process.terminate()

    def kill(self) -> None:
        """Sends SIGKILL to the child."""
        self.aio_process.kill()

    def close(self) -> None:
        """Releases the process object (``ValueError`` while it runs)."""
        self.aio_process.close()


class Worker(Process):
    """A :class:`Process` whose coroutine's result comes back to the parent.

    ``await worker`` (or ``await worker.join()``) returns the result, or the
    exception instance the coroutine raised (it is returned, not raised, as
    in aiomultiprocess; it keeps its type and is a ``ProxyException``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._result: Any = None
        self._has_result = False

    def _returns_result(self) -> bool:
        return True

    async def join(self, timeout: float | None = None) -> Any:
        if self.pid is None:
            raise ValueError("must start process before joining it")
        await asyncio.wait_for(self._collect(), timeout)
        return self.result

    async def _collect(self) -> None:
        reader = self._result_reader
        if reader is not None and not self._has_result:
            # The result can be larger than a pipe buffer: read it before
            # waiting for the exit, or the child could never finish writing.
            await _wait_any_readable(reader.fileno(), self.aio_process.sentinel)
            outcome: Any = None
            # uvloop leaves descriptors it watched non-blocking; the result is
            # read whole, so the pipe must block until the child wrote it all.
            os.set_blocking(reader.fileno(), True)
            if reader.poll():
                try:
                    outcome = _wire.loads(reader.recv_bytes())
                except EOFError:  # the child died before writing a result
                    outcome = None
            if outcome is None:
                await _wait_readable(self.aio_process.sentinel)
                self._reap()
                outcome = (
                    "error",
                    _wire.pack_exception(
                        RuntimeError(
                            f"worker process {self.pid} exited with code "
                            f"{self.exitcode} without a result"
                        )
                    ),
                )
            status, value = outcome
            self._result = value if status == "ok" else _wire.unpack_exception(value)
            self._has_result = True
            reader.close()
            self._result_reader = None
        await _wait_readable(self.aio_process.sentinel)
        self._reap()

    @property
    def result(self) -> R:  # type: ignore[type-var]
        """The coroutine's result; ``ValueError`` until it has completed."""
        if not self._has_result:
            raise ValueError("coroutine not completed")
        return self._result  # type: ignore[no-any-return]


def _run_unit(
    carrier: _PicklableUnit, result_writer: multiprocessing.connection.Connection | None = None
) -> None:
    """Child side of a :class:`Process`: build the loop, run the coroutine."""
    unit = carrier.unit
    if unit.loop_initializer is not None:
        loop = unit.loop_initializer()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        if unit.initializer is not None:
            unit.initializer(*unit.initargs)
        try:
            value = loop.run_until_complete(unit.target(*unit.args, **unit.kwargs))
        except BaseException as exc:
            if result_writer is None:
                raise
            _send_result(result_writer, ("error", _wire.pack_exception(exc)))
            return
        if result_writer is not None:
            _send_result(result_writer, ("ok", value))
    finally:
        close_loop(loop)


def _send_result(writer: multiprocessing.connection.Connection, outcome: Any) -> None:
    try:
        payload = _wire.dumps(outcome)
    except Exception as exc:
        payload = _wire.dumps(
            (
                "error",
                _wire.pack_exception(TypeError(f"the worker's result could not be pickled: {exc}")),
            )
        )
    writer.send_bytes(payload)
    writer.close()


async def _wait_readable(fd: int) -> None:
    await _wait_any_readable(fd)


async def _wait_any_readable(*fds: int) -> None:
    """Waits until one of ``fds`` is readable (a process sentinel becomes
    readable when the process exits)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    for fd in fds:
        loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        for fd in fds:
            loop.remove_reader(fd)
