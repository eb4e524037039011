"""Work functions for the multiprocess benchmarks (importable by children)."""

from __future__ import annotations

import asyncio


async def double(x: int) -> int:
    return x * 2


def double_sync(x: int) -> int:
    return x * 2


async def nap(x: int) -> int:
    await asyncio.sleep(0.01)
    return x


async def nothing() -> None:
    return None


def nothing_sync() -> None:
    return None


def pid_after_sync(delay: float) -> int:
    """Busy for ``delay`` seconds, then this process's pid: a batch of these
    reaches every worker, which is how the warm-up knows all are running."""
    import os
    import time

    time.sleep(delay)
    return os.getpid()


async def pid_after(delay: float) -> int:
    import os

    await asyncio.sleep(delay)
    return os.getpid()


async def echo(data: bytes) -> bytes:
    return data


def echo_sync(data: bytes) -> bytes:
    return data
