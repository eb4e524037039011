"""The same job on a local pool and on a Dask cluster.

    python examples/cluster_job.py                      # starts a throw-away local cluster
    python examples/cluster_job.py tcp://scheduler:8786 # or uses yours

The job: fetch-like coroutines (a short wait each) spread over the workers,
with per-worker partial sums (map-reduce).
"""

from __future__ import annotations

import asyncio
import operator
import sys
import time

from aioxide.multiprocess import Pool


async def probe(n: int) -> int:
    """Stands in for an HTTP request: waits, then returns a number."""
    await asyncio.sleep(0.01)
    return n % 7


async def job(pool: Pool) -> tuple[int, int]:
    statuses = await pool.map(probe, range(2_000))
    total = await pool.map_reduce(probe, range(2_000), operator.add)
    return sum(statuses), total


async def main(address: str) -> None:
    start = time.perf_counter()
    async with Pool(childconcurrency=64) as pool:  # local: one child per core
        local = await job(pool)
    print(f"local pool:   {local} in {time.perf_counter() - start:.2f} s")

    start = time.perf_counter()
    async with Pool(cluster=address, childconcurrency=64) as pool:  # the only change
        remote = await job(pool)
    print(f"Dask cluster: {remote} in {time.perf_counter() - start:.2f} s")
    assert local == remote


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(sys.argv[1]))
    else:
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
            asyncio.run(main(cluster.scheduler_address))
