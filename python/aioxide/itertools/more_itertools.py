"""Selected ``more_itertools`` functions over sync and async iterables."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, TypeVar

from . import builtins as ab
from .helpers import maybe_await
from .itertools import islice
from .types import AnyIterable

T = TypeVar("T")


async def take(n: int, iterable: AnyIterable[T]) -> list[T]:
    """The first ``n`` items as a list.

    >>> import asyncio
    >>> asyncio.run(take(2, "abc"))
    ['a', 'b']
    """
    if n < 0:
        raise ValueError("take's first parameter can't be negative")
    return await ab.list(islice(iterable, n))


async def chunked(iterable: AnyIterable[T], n: int) -> AsyncIterator[list[T]]:
    """Lists of ``n`` items (the last may be shorter)."""
    iterator = ab.iterator_of(iterable)
    while chunk := await take(n, iterator):
        yield chunk


async def before_and_after(
    predicate: Callable[[T], Any], iterable: AnyIterable[T]
) -> tuple[AsyncIterable[T], AsyncIterable[T]]:
    """Split into the leading items that satisfy ``predicate`` and the rest.

    The second part is meant to be read after the first is exhausted.
    """
    iterator = ab.iterator_of(iterable)
    boundary: list[T] = []

    async def before() -> AsyncIterator[T]:
        async for item in iterator:
            if not await maybe_await(predicate(item)):
                boundary.append(item)
                return
            yield item

    async def after() -> AsyncIterator[T]:
        for item in boundary:
            yield item
        async for item in iterator:
            yield item

    return before(), after()


__all__ = ["before_and_after", "chunked", "take"]
