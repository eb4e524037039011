"""aioxide.multiprocess on a Dask cluster (two local worker processes)
against the local pool and against one Dask task per coroutine, in one run.

The cluster is started once (outside every timed part) and reused; each
measurement opens its own pool on it and warms it with one call.
"""

from __future__ import annotations

import asyncio
import atexit
import time
from typing import Any

import aioxide.multiprocess as aiox

from . import mp_work
from .bench_multiprocess import timed_map
from .harness import Case, Floor, Measurement, Suite, format_time

CLUSTER_POOL = "aioxide Pool on Dask (2 workers)"
LOCAL_POOL = "aioxide Pool, local (2 processes)"
DASK_TASKS = "Dask, one task per coroutine"
WORKERS = 2
CONCURRENCY = 32
TRIVIAL = 20_000
SLEEPERS = 2_000
SLEEP_FLOOR = SLEEPERS * 0.01 / (WORKERS * CONCURRENCY)

_cluster: Any = None


def _scheduler() -> str:
    global _cluster
    if _cluster is None:
        from distributed import LocalCluster

        _cluster = LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        )
        atexit.register(_close_cluster)
    return str(_cluster.scheduler_address)


def _close_cluster() -> None:
    # Run after the suite: the workers and the scheduler's heartbeats would
    # otherwise share the machine with every suite measured after this one.
    global _cluster
    if _cluster is not None:
        _cluster.close()
        _cluster = None


def _pool(contender: str) -> aiox.Pool:
    if contender == CLUSTER_POOL:
        return aiox.Pool(cluster=_scheduler(), childconcurrency=CONCURRENCY)
    return aiox.Pool(WORKERS, childconcurrency=CONCURRENCY)


def _timed_map(contender: str, func: Any, n: int) -> float:
    async def main() -> float:
        async with _pool(contender) as pool:
            await pool.apply(mp_work.nothing)
            await asyncio.sleep(0.5)  # every worker started
            return await timed_map(func, n)(pool)

    return asyncio.run(main())


def trivial(contender: str, quick: bool) -> float:
    if contender == DASK_TASKS:
        return _dask_tasks(2_000 if not quick else 500)
    return _timed_map(contender, mp_work.double, TRIVIAL)


def _dask_tasks(n: int) -> float:
    from distributed import Client

    with Client(_scheduler(), set_as_default=False) as client:
        client.submit(mp_work.double_sync, -1, pure=False).result()
        start = time.perf_counter()
        futures = client.map(mp_work.double_sync, range(n), pure=False)
        results = client.gather(futures)
        elapsed = time.perf_counter() - start
        assert len(results) == n
        return elapsed / n


def sleepers(contender: str, quick: bool) -> float:
    return _timed_map(contender, mp_work.nap, SLEEPERS)


def _overhead_floor(results: dict[tuple[str, str], Measurement]) -> tuple[str, bool]:
    per = results[(TRIVIAL_CASE, CLUSTER_POOL)].median
    local = results[(TRIVIAL_CASE, LOCAL_POOL)].median
    tasks = results[(TRIVIAL_CASE, DASK_TASKS)].median
    return (
        f"{format_time(per)} per coroutine (local pool {format_time(local)}, "
        f"a Dask task each {format_time(tasks)})",
        per <= 50e-6,
    )


def _sleep_floor(results: dict[tuple[str, str], Measurement]) -> tuple[str, bool]:
    total = results[(SLEEP_CASE, CLUSTER_POOL)].median * SLEEPERS
    ratio = total / SLEEP_FLOOR
    return f"{total * 1e3:.0f} ms = {ratio:.2f}x the {SLEEP_FLOOR * 1e3:.1f} ms floor", ratio <= 1.5


TRIVIAL_CASE = f"{TRIVIAL:,} trivial coroutines (per coroutine)"
SLEEP_CASE = f"{SLEEPERS:,} coroutines awaiting sleep(0.01), childconcurrency={CONCURRENCY}"

SUITE = Suite(
    module="cluster",
    teardown=_close_cluster,
    title=(
        "cluster: aioxide.multiprocess on Dask distributed vs the local pool and plain Dask tasks"
    ),
    notes=(
        f"LocalCluster with {WORKERS} worker processes, one thread each, on loopback. "
        "'Dask, one task per coroutine' runs the equivalent sync function as one Dask task "
        "per item (measured on 2,000 items). Figures are per coroutine."
    ),
    cases=[
        Case(
            TRIVIAL_CASE, [CLUSTER_POOL, LOCAL_POOL, DASK_TASKS], {LOCAL_POOL, DASK_TASKS}, trivial
        ),
        Case(SLEEP_CASE, [CLUSTER_POOL, LOCAL_POOL], {LOCAL_POOL}, sleepers),
    ],
    floors=[
        Floor(f"{TRIVIAL_CASE}: overhead at most 50 µs per coroutine", _overhead_floor),
        Floor(f"{SLEEP_CASE}: within 1.5x of work / total concurrency", _sleep_floor),
    ],
)
