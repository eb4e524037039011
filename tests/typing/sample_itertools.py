"""A program using every aioxide.itertools function, checked with
``mypy --strict`` by ``make lint`` (and run by tests/test_typing_sample.py).

The annotations are the point: ``map`` over an async function yields the
awaited results, ``gather`` returns the results' type.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aioxide import itertools as ait
from aioxide.itertools import asyncio as aio
from aioxide.itertools import more_itertools as mit


async def numbers(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


async def double(x: int) -> int:
    return x * 2


def is_odd(x: int) -> bool:
    return x % 2 == 1


async def main() -> dict[str, object]:
    out: dict[str, object] = {}
    doubled: list[int] = await ait.list(ait.map(double, numbers(5)))
    out["map"] = doubled
    out["map_limit"] = await ait.list(ait.map(double, range(5), limit=2, ordered=False))
    out["builtins"] = (
        await ait.all([1, 2]),
        await ait.any([0, 1]),
        await ait.list(ait.enumerate("ab")),
        await ait.next(ait.iter([1])),
        await ait.max([1, 3]),
        await ait.min([1, 3]),
        await ait.set([1, 1]),
        await ait.sum([1, 2]),
        await ait.tuple([1, 2]),
        await ait.list(ait.zip([1, 2], numbers(2))),
    )
    out["itertools"] = (
        await ait.list(ait.accumulate(numbers(4), initial=1)),
        await ait.list(ait.batched(range(5), 2)),
        await ait.list(ait.chain([1], numbers(2))),
        await ait.list(ait.chain.from_iterable([[1], [2]])),
        await ait.list(ait.combinations(range(3), 2)),
        await ait.list(ait.combinations_with_replacement(range(2), 2)),
        await ait.list(ait.compress("abc", [1, 0, 1])),
        await mit.take(3, ait.count(5)),
        await mit.take(3, ait.cycle([1, 2])),
        await ait.list(ait.dropwhile(is_odd, [1, 2, 3])),
        await ait.list(ait.filterfalse(is_odd, range(5))),
        await ait.list(ait.groupby([1, 1, 2])),
        await ait.list(ait.islice(range(10), 1, 8, 3)),
        await ait.list(ait.permutations(range(3), 2)),
        await ait.list(ait.product([1, 2], "ab")),
        await ait.list(ait.repeat("x", 2)),
        await ait.list(ait.starmap(lambda a, b: a + b, [(1, 2)])),
        await ait.list(ait.takewhile(is_odd, [1, 3, 4])),
        [await ait.list(copy) for copy in ait.tee(range(3))],
        await ait.list(ait.zip_longest([1], [1, 2], fillvalue=0)),
    )
    first, rest = await mit.before_and_after(is_odd, [1, 3, 4, 5])
    out["more"] = (
        await mit.take(2, range(5)),
        await ait.list(mit.chunked(range(5), 2)),
        await ait.list(first),
        await ait.list(rest),
    )
    gathered: list[int] = await aio.gather(double(1), double(2), limit=1)
    out["gather"] = gathered
    out["gather_iter"] = await aio.gather_iter([double(3), 4])
    out["as_completed"] = [r async for r in aio.as_completed([double(5)])]
    out["as_generated"] = await ait.list(aio.as_generated([numbers(2), numbers(1)]))
    out["merge"] = await ait.list(aio.merge(numbers(2), [9]))
    value: int = await ait.helpers.maybe_await(double(21))
    out["maybe_await"] = value
    return out


if __name__ == "__main__":
    print(asyncio.run(main()))
