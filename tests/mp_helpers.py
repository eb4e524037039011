"""Coroutines the multiprocess tests send to child processes.

They live in an importable module so spawned children can find them by name.
"""

from __future__ import annotations

import asyncio
import contextvars
import ctypes
import os
import signal
import threading
from pathlib import Path
from typing import Any

marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")
INITIALIZED: list[str] = []


async def double(x: int) -> int:
    return x * 2


async def add(a: int, b: int = 0, *, c: int = 0) -> int:
    return a + b + c


async def pid() -> int:
    return os.getpid()


async def pid_after(delay: float) -> int:
    await asyncio.sleep(delay)
    return os.getpid()


async def sleep_return(x: int, delay: float = 0.01) -> int:
    await asyncio.sleep(delay)
    return x


async def fail(kind: str) -> None:
    if kind == "value":
        raise ValueError("bad value in child")
    if kind == "custom":
        raise CustomError("custom", 42)
    if kind == "unpicklable":
        raise UnpicklableError("cannot travel")
    raise KeyError(kind)


async def fail_after(x: int, bad: int) -> int:
    await asyncio.sleep(0)
    if x == bad:
        raise ValueError(f"item {x} is bad")
    return x


class CustomError(Exception):
    def __init__(self, text: str, code: int) -> None:
        super().__init__(text, code)
        self.code = code


class UnpicklableError(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lock = threading.Lock()


async def die(how: str) -> None:
    await asyncio.sleep(0.05)
    if how == "exit":
        os._exit(7)
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "segfault":
        ctypes.string_at(0)


async def return_lock() -> Any:
    return threading.Lock()


def _explode() -> None:
    raise RuntimeError("this value cannot be rebuilt in the parent")


class Unloadable:
    def __reduce__(self) -> Any:
        return (_explode, ())


async def return_unloadable() -> Unloadable:
    return Unloadable()


async def wait_for_cancel(path: str) -> None:
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        Path(path).write_text(f"cancelled in {os.getpid()}")
        raise


async def context_probe(value: str) -> tuple[str, bool]:
    before = marker.get()
    marker.set(value)
    await asyncio.sleep(0)
    return before, asyncio.current_task() is not None


async def current_loop_name() -> str:
    return type(asyncio.get_running_loop()).__module__


def sync_function(x: int) -> int:
    return x


def set_initialized(value: str) -> None:
    INITIALIZED.append(value)


async def get_initialized() -> list[str]:
    return INITIALIZED


def broken_initializer() -> None:
    raise RuntimeError("initializer is broken")


async def echo(value: Any) -> Any:
    return value


async def worker_fail() -> None:
    raise ValueError("worker failed")


async def lock_if(x: int, bad: int) -> Any:
    return threading.Lock() if x == bad else x


async def die_once(marker: str) -> str:
    """Kills its process the first time it runs (per marker file)."""
    path = Path(marker)
    await asyncio.sleep(0.05)
    if not path.exists():
        path.write_text(str(os.getpid()))
        os._exit(1)
    return "survived"


async def until(predicate: Any, timeout: float = 10.0) -> None:
    """Yields to the loop until ``predicate()`` holds (a state, not a delay)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not reached within {timeout} s")
        await asyncio.sleep(0)


async def wait_for_cancel_signalling(path: str) -> None:
    """Marks its start (``path + '.started'``), then waits to be cancelled."""
    Path(path + ".started").write_text(str(os.getpid()))
    await wait_for_cancel(path)


def killed_while_starting(marks: str, kills: int) -> None:
    """An initializer whose first ``kills`` runs die by SIGKILL (as the OOM
    killer would kill a child while it starts); later ones start normally."""
    with open(marks, "ab") as f:
        f.write(b"x")
    if os.path.getsize(marks) <= kills:
        os.kill(os.getpid(), signal.SIGKILL)


def exits_while_starting(marks: str) -> None:
    """An initializer that makes every child exit with status 1 at start-up."""
    with open(marks, "ab") as f:
        f.write(b"x")
    os._exit(1)


async def corrupt_the_channel() -> None:
    """Writes bytes that are not a frame to every socket this child holds
    (its channel to the parent): a foreign writer corrupting the stream."""
    import stat

    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, b"\x03\x00\x00\x00abc" + b"\x00" * 32)
        except OSError:
            pass
    await asyncio.sleep(3600)


class LoopWithoutReaders(asyncio.SelectorEventLoop):
    """A loop that cannot watch file descriptors (as Windows' proactor
    loop): the child must read its channel with a thread instead."""

    def add_reader(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("this loop does not watch file descriptors")


async def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def set_max_payload(size: int) -> None:
    """Initializer: this child refuses results pickled larger than ``size``
    (the real limit, 4 GiB, is too large to reach in a test)."""
    from aioxide.multiprocess import _wire

    _wire.MAX_PAYLOAD = size
