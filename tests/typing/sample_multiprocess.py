"""A program using the aioxide.multiprocess API, checked with
``mypy --strict`` by ``make lint`` (and run by tests/test_typing_sample.py).

The annotations are the point: ``apply`` returns the coroutine's result
type, ``map`` gives a ``PoolResult`` of it, ``map_reduce`` what the reducer
returns.
"""

from __future__ import annotations

import operator

from aioxide.multiprocess import Pool, PoolResult, Worker, WorkerCrashed


async def double(x: int) -> int:
    return x * 2


async def label(x: int, prefix: str) -> str:
    return f"{prefix}{x}"


async def main() -> dict[str, object]:
    out: dict[str, object] = {}
    async with Pool(2, childconcurrency=8) as pool:
        one: int = await pool.apply(double, (21,))
        out["apply"] = one
        results: PoolResult[int] = pool.map(double, range(5))
        doubled: list[int] = await results
        out["map"] = doubled
        labels: list[str] = await pool.starmap(label, [(1, "a"), (2, "b")])
        out["starmap"] = labels
        streamed: list[int] = [x async for x in pool.map(double, range(3))]
        out["async_for"] = streamed
        unordered: list[int] = [x async for x in pool.imap_unordered(double, range(4))]
        out["imap_unordered"] = sorted(unordered)
        total = await pool.map_reduce(double, range(10), operator.add)
        out["map_reduce"] = total
        try:
            await pool.apply(double)  # the argument is missing: a TypeError in the child
        except WorkerCrashed:
            raise
        except TypeError as exc:
            out["error"] = type(exc).__name__
    worker: Worker = Worker(target=double, args=(4,))
    out["worker"] = await worker
    return out
