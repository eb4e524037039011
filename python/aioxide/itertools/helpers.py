"""Small helpers shared by the itertools modules."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def maybe_await(obj: Awaitable[T] | T) -> T:
    """Await ``obj`` if it is awaitable, else return it as is.

    >>> import asyncio
    >>> asyncio.run(maybe_await(3))
    3
    """
    if inspect.isawaitable(obj):
        return await obj
    return obj


# Results of these types are never awaitable: checking the type first keeps
# sync callables almost as cheap as in a hand-written loop.
_PLAIN = frozenset({bool, int, float, str, bytes, tuple, list, dict, set, type(None)})


def needs_await(value: object) -> bool:
    """Whether ``value`` must be awaited (fast for plain values)."""
    return type(value) not in _PLAIN and inspect.isawaitable(value)


def _check_positive(n: int, name: str) -> None:
    if n < 1:
        raise ValueError(f"{name} must be at least one")
