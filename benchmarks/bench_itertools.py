"""aioxide.itertools against hand-written async generators, aioitertools,
asyncstdlib and aiostream on the same operations, in one run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import aioitertools
import aioitertools.asyncio
import asyncstdlib
from aiostream import pipe, stream

from aioxide import itertools as ait
from aioxide.itertools import asyncio as aio

from .harness import Case, Floor, Measurement, Suite, at_most, faster, format_time

AIOXIDE = "aioxide.itertools"
HAND = "hand-written async generators"
AIOITERTOOLS = "aioitertools"
ASYNCSTDLIB = "asyncstdlib"
AIOSTREAM = "aiostream"


async def source(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


def _per_item(run: Callable[[], Coroutine[Any, Any, int]], n: int) -> float:
    async def main() -> float:
        start = time.perf_counter()
        count = await run()
        elapsed = time.perf_counter() - start
        assert count > 0
        return elapsed / n

    return asyncio.run(main())


def _is_odd(x: int) -> bool:
    return bool(x & 1)


def _double(x: int) -> int:
    return x * 2


def _below(n: int) -> Callable[[int], bool]:
    return lambda x: x < n


# -- the four-stage pipeline ------------------------------------------------


async def _count(it: Any) -> int:
    n = 0
    async for _ in it:
        n += 1
    return n


def pipeline(contender: str, quick: bool) -> float:
    n = 20_000 if quick else 200_000
    stop = n // 2

    def build() -> Any:
        src = source(n)
        if contender == AIOXIDE:
            return ait.islice(ait.enumerate(ait.filterfalse(_is_odd, ait.map(_double, src))), stop)
        if contender == AIOITERTOOLS:
            a = aioitertools
            return a.islice(a.enumerate(a.filterfalse(_is_odd, a.map(_double, src))), stop)
        if contender == ASYNCSTDLIB:
            s = asyncstdlib
            return s.islice(s.enumerate(s.filterfalse(_is_odd, s.map(_double, src))), stop)
        if contender == AIOSTREAM:
            return (
                stream.iterate(src)
                | pipe.map(_double)
                | pipe.filter(lambda x: not _is_odd(x))
                | pipe.enumerate()
                | pipe.take(stop)
            )

        async def mapped(it: AsyncIterator[int]) -> AsyncIterator[int]:
            async for x in it:
                yield _double(x)

        async def kept(it: AsyncIterator[int]) -> AsyncIterator[int]:
            async for x in it:
                if not _is_odd(x):
                    yield x

        async def numbered(it: AsyncIterator[int]) -> AsyncIterator[tuple[int, int]]:
            i = 0
            async for x in it:
                yield i, x
                i += 1

        async def first(it: AsyncIterator[Any], k: int) -> AsyncIterator[Any]:
            if k <= 0:
                return
            seen = 0
            async for x in it:
                yield x
                seen += 1
                if seen >= k:
                    return

        return first(numbered(kept(mapped(src))), stop)

    async def run() -> int:
        it = build()
        if contender == AIOSTREAM:
            async with it.stream() as streamer:
                return await _count(streamer)
        return await _count(it)

    return _per_item(run, n)


# -- single combinators ------------------------------------------------------


def _hand(op: str, n: int) -> Any:
    src = source(n)

    async def gen() -> AsyncIterator[Any]:
        if op == "map":
            async for x in src:
                yield _double(x)
        elif op == "filterfalse":
            async for x in src:
                if not _is_odd(x):
                    yield x
        elif op == "enumerate":
            i = 0
            async for x in src:
                yield i, x
                i += 1
        elif op == "islice":
            i = 0
            async for x in src:
                if i % 2 == 0:
                    yield x
                i += 1
        elif op == "takewhile":
            below = _below(n)
            async for x in src:
                if not below(x):
                    return
                yield x
        elif op == "chain":
            async for x in src:
                yield x
            async for x in source(n):
                yield x
        elif op == "batched":
            batch: list[int] = []
            async for x in src:
                batch.append(x)
                if len(batch) == 10:
                    yield tuple(batch)
                    batch = []
            if batch:
                yield tuple(batch)

    return gen()


def _library(lib: Any, op: str, n: int) -> Any:
    src = source(n)
    if op == "map":
        return lib.map(_double, src)
    if op == "filterfalse":
        return lib.filterfalse(_is_odd, src)
    if op == "enumerate":
        return lib.enumerate(src)
    if op == "islice":
        return lib.islice(src, 0, None, 2)
    if op == "takewhile":
        return lib.takewhile(_below(n), src)
    if op == "chain":
        return lib.chain(src, source(n))
    if op == "batched":
        return lib.batched(src, 10)
    raise ValueError(op)


def single(op: str) -> Callable[[str, bool], float]:
    def run_case(contender: str, quick: bool) -> float:
        n = 20_000 if quick else 100_000

        def build() -> Any:
            if contender == HAND:
                return _hand(op, n)
            lib = {AIOXIDE: ait, AIOITERTOOLS: aioitertools, ASYNCSTDLIB: asyncstdlib}[contender]
            return _library(lib, op, n)

        return _per_item(lambda: _count(build()), n)

    return run_case


# -- zip -----------------------------------------------------------------------


def zip_two(contender: str, quick: bool) -> float:
    n = 10_000 if quick else 200_000
    if contender == AIOITERTOOLS:
        n = n // 10  # ~20 µs per item: a tenth is plenty to measure

    def build() -> Any:
        if contender == AIOXIDE:
            return ait.zip(source(n), source(n))
        if contender == AIOITERTOOLS:
            return aioitertools.zip(source(n), source(n))
        if contender == ASYNCSTDLIB:
            return asyncstdlib.zip(source(n), source(n))

        async def zipped(a: AsyncIterator[int], b: AsyncIterator[int]) -> AsyncIterator[Any]:
            while True:
                try:
                    yield await a.__anext__(), await b.__anext__()
                except StopAsyncIteration:
                    return

        return zipped(source(n), source(n))

    return _per_item(lambda: _count(build()), n)


# -- gather ----------------------------------------------------------------------


async def _tick(i: int) -> int:
    await asyncio.sleep(0)
    return i


def gather_limited(contender: str, quick: bool) -> float:
    n = 2_000 if quick else 10_000

    async def run() -> int:
        coros = [_tick(i) for i in range(n)]
        if contender == AIOXIDE:
            results = await aio.gather(*coros, limit=64)
        elif contender == AIOITERTOOLS:
            results = await aioitertools.asyncio.gather(*coros, limit=64)
        else:
            results = await asyncio.gather(*coros)
        return len(results)

    return _per_item(run, n)


def one_at_a_time(n_full: int) -> Callable[[str, bool], float]:
    """N tasks that finish one after another (each waits for the previous)."""

    def run_case(contender: str, quick: bool) -> float:
        n = n_full // 4 if quick else n_full

        async def run() -> int:
            loop = asyncio.get_running_loop()
            gates = [loop.create_future() for _ in range(n + 1)]

            async def step(i: int) -> int:
                await gates[i]
                gates[i + 1].set_result(None)
                return i

            coros = [step(i) for i in reversed(range(n))]
            gates[0].set_result(None)
            if contender == AIOXIDE:
                results = await aio.gather(*coros)
            elif contender == AIOITERTOOLS:
                results = await aioitertools.asyncio.gather(*coros)
            else:
                results = await asyncio.gather(*coros)
            return len(results)

        return _per_item(run, n)

    return run_case


# -- floors ------------------------------------------------------------------------


def _at_most(case: str, other: str, limit: float) -> Floor:
    return at_most(case, AIOXIDE, other, limit)


def _faster(case: str, other: str, factor: float) -> Floor:
    return faster(case, AIOXIDE, other, factor)


def _linear(small: str, large: str, scale: float) -> Floor:
    def check(results: dict[tuple[str, str], Measurement]) -> tuple[str, bool]:
        per_small = results[(small, AIOXIDE)].median
        per_large = results[(large, AIOXIDE)].median
        growth = per_large / per_small  # per-item cost: 1.0 means linear total time
        return (
            f"per task {format_time(per_small)} -> {format_time(per_large)} ({growth:.2f}x)",
            growth <= 1.5,
        )

    return Floor(f"gather, one-at-a-time completions: linear in N ({scale:.0f}x more tasks)", check)


PIPELINE = "pipeline map -> filterfalse -> enumerate -> islice (200,000 items)"
ZIP = "zip of two 200,000-item async generators"
GATHER = "gather 10,000 coroutines, limit=64 (vs unbounded asyncio.gather)"
SERIAL_SMALL = "gather, 2,000 tasks completing one at a time"
SERIAL_LARGE = "gather, 8,000 tasks completing one at a time"
SINGLES = ["map", "chain", "enumerate", "islice", "filterfalse", "takewhile", "batched"]

_cases = [
    Case(
        PIPELINE,
        [AIOXIDE, HAND, AIOITERTOOLS, ASYNCSTDLIB, AIOSTREAM],
        {HAND, AIOITERTOOLS, ASYNCSTDLIB, AIOSTREAM},
        pipeline,
    ),
    *[
        Case(
            f"{op} (100,000 items)",
            [AIOXIDE, HAND, AIOITERTOOLS, ASYNCSTDLIB],
            {HAND, AIOITERTOOLS, ASYNCSTDLIB},
            single(op),
        )
        for op in SINGLES
    ],
    Case(
        ZIP, [AIOXIDE, HAND, AIOITERTOOLS, ASYNCSTDLIB], {HAND, AIOITERTOOLS, ASYNCSTDLIB}, zip_two
    ),
    Case(
        GATHER,
        [AIOXIDE, "asyncio.gather", AIOITERTOOLS],
        {"asyncio.gather", AIOITERTOOLS},
        gather_limited,
    ),
    Case(
        SERIAL_SMALL,
        [AIOXIDE, "asyncio.gather", AIOITERTOOLS],
        {"asyncio.gather", AIOITERTOOLS},
        one_at_a_time(2_000),
    ),
    Case(SERIAL_LARGE, [AIOXIDE, "asyncio.gather"], {"asyncio.gather"}, one_at_a_time(8_000)),
]

SUITE = Suite(
    module="itertools",
    title="itertools: aioxide.itertools vs hand-written async generators and peers",
    notes=(
        "Per item (per coroutine for gather). aioitertools' zip is measured on a tenth "
        "of the items (it costs ~20 µs each); its one-at-a-time gather only at 2,000 "
        "(it is quadratic: ~21 s at 8,000)."
    ),
    cases=_cases,
    floors=[
        _at_most(PIPELINE, HAND, 1.0),
        *[_at_most(f"{op} (100,000 items)", HAND, 1.5) for op in SINGLES],
        *[_faster(f"{op} (100,000 items)", AIOITERTOOLS, 1.0) for op in SINGLES],
        _faster(ZIP, AIOITERTOOLS, 20.0),
        _at_most(GATHER, "asyncio.gather", 1.5),
        _linear(SERIAL_SMALL, SERIAL_LARGE, 4),
    ],
)
