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
