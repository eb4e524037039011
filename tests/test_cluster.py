"""The Pool API on a real Dask distributed cluster: a scheduler and two
worker processes on loopback (``LocalCluster(processes=True)``), including a
worker killed mid-batch and a lost scheduler."""

from __future__ import annotations

import asyncio
import operator
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster

import mp_helpers as h
from aioxide.multiprocess import (
    ClusterLost,
    Pool,
    PoolTerminated,
    ProxyException,
    RemoteTraceback,
    WorkerCrashed,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
    ) as local:
        yield local


def pool_on(cluster: LocalCluster, **kwargs: Any) -> Pool:
    return Pool(cluster=cluster.scheduler_address, **kwargs)


def test_api_on_the_cluster(cluster: LocalCluster) -> None:
    async def main() -> None:
        async with pool_on(cluster) as pool:
            assert await pool.apply(h.add, (1, 2), {"c": 3}) == 6
            assert await pool.map(h.double, range(1000)) == [x * 2 for x in range(1000)]
            assert await pool.starmap(h.add, [(1, 2), (3, 4)], chunksize=1) == [3, 7]
            assert [x async for x in pool.map(h.double, range(10))] == [x * 2 for x in range(10)]
            unordered = [x async for x in pool.imap_unordered(h.double, range(30), chunksize=4)]
            assert sorted(unordered) == [x * 2 for x in range(30)]
            total = await pool.map_reduce(h.double, range(500), operator.add)
            assert total == sum(range(500)) * 2
            assert await pool.apply(lambda: h.double(5)) == 10
            pids = set(await pool.map(h.pid_after, [0.05] * 8, chunksize=1))
            assert len(pids) == 2  # both workers used

    asyncio.run(main())


def test_cluster_given_as_client_or_cluster_object(cluster: LocalCluster) -> None:
    async def main() -> None:
        async with Pool(cluster=cluster) as pool:
            assert await pool.apply(h.double, (1,)) == 2
        async with (
            Client(cluster.scheduler_address, asynchronous=True) as client,
            Pool(cluster=client) as pool,
        ):
            assert await pool.apply(h.double, (2,)) == 4

    asyncio.run(main())


def test_errors_keep_their_type_and_the_pool_keeps_working(cluster: LocalCluster) -> None:
    async def main() -> None:
        async with pool_on(cluster) as pool:
            with pytest.raises(ValueError, match="bad value in child") as info:
                await pool.apply(h.fail, ("value",))
            assert isinstance(info.value, ProxyException)
            assert isinstance(info.value.__cause__, RemoteTraceback)
            assert "bad value in child" in info.value.__cause__.tb
            with pytest.raises(TypeError, match="returned int, not a coroutine"):
                await pool.apply(h.sync_function, (1,))
            with pytest.raises(TypeError, match="missing 1 required positional argument"):
                await pool.apply(h.double)
            with pytest.raises(TypeError, match=r"cannot send .* to a child process"):
                await pool.apply(h.echo, (threading.Lock(),))
            with pytest.raises(TypeError, match="could not be pickled"):
                await pool.apply(h.return_lock)
            assert await pool.apply(h.double, (4,)) == 8

    asyncio.run(main())


def test_initializer_and_concurrency_per_worker(cluster: LocalCluster) -> None:
    tag = f"init-{uuid.uuid4().hex}"

    async def main() -> float:
        async with pool_on(
            cluster, initializer=h.set_initialized, initargs=(tag,), childconcurrency=50
        ) as pool:
            assert tag in await pool.apply(h.get_initialized)
            start = time.perf_counter()
            # 100 x 0.1 s over two workers at 50 at a time: one round, not 100.
            await pool.starmap(h.sleep_return, [(x, 0.1) for x in range(100)], chunksize=50)
            return time.perf_counter() - start

    assert asyncio.run(main()) < 1.0


def test_worker_killed_mid_batch_is_retried_by_default(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    marker = tmp_path / "died"

    async def main() -> None:
        async with pool_on(cluster) as pool:
            others = pool.starmap(h.sleep_return, [(x, 0.2) for x in range(10)], chunksize=1)
            assert await pool.apply(h.die_once, (str(marker),)) == "survived"
            assert marker.exists()  # it really died once
            assert await others == list(range(10))

    asyncio.run(main())


def test_worker_killed_mid_batch_fails_that_batch_when_asked(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    marker = tmp_path / "died"

    async def main() -> None:
        async with pool_on(cluster, on_worker_loss="fail") as pool:
            await pool.map(h.double, range(10))  # both workers up and known
            others = pool.starmap(h.sleep_return, [(x, 0.2) for x in range(10)], chunksize=1)
            with pytest.raises(WorkerCrashed, match=r"die_once\(.*was lost; not retried"):
                await pool.apply(h.die_once, (str(marker),))
            assert await others == list(range(10))
            assert await pool.apply(h.double, (3,)) == 6

    asyncio.run(main())


def test_terminate_fails_pending_calls(cluster: LocalCluster) -> None:
    async def main() -> None:
        pool = pool_on(cluster)
        await pool.__aenter__()
        slow = pool.starmap(h.sleep_return, [(1, 30.0)] * 4, chunksize=1)
        await h.until(lambda: len(pool._backend.client.futures) == 4)  # on the cluster
        pool.terminate()
        with pytest.raises(PoolTerminated):
            await slow
        await asyncio.wait_for(pool.join(), 30)

    asyncio.run(main())


def test_lost_scheduler_is_a_clear_error() -> None:
    async def main() -> None:
        local = LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        )
        try:
            async with pool_on(local) as pool:
                assert await pool.apply(h.double, (1,)) == 2
                pending = asyncio.ensure_future(pool.apply(h.sleep_return, (1, 30.0)))
                backend = pool._backend
                second = f"aioxide-{backend.token[:12]}-2"  # the second batch's Dask key
                await h.until(lambda: second in backend.client.futures)  # submitted
                await asyncio.get_running_loop().run_in_executor(None, local.close)
                with pytest.raises(ClusterLost, match="scheduler"):
                    await asyncio.wait_for(pending, 60)
                start = time.perf_counter()
                with pytest.raises(ClusterLost):
                    await pool.apply(h.double, (1,))
                assert time.perf_counter() - start < 1.0  # no second wait for the dead scheduler
        finally:
            local.close()

    asyncio.run(main())


def test_unreachable_scheduler_is_a_clear_error() -> None:
    # How long to try is Dask's own setting (30 s by default).
    import dask

    async def main() -> None:
        pool = Pool(cluster="tcp://127.0.0.1:9")  # nothing listens on the discard port
        with pytest.raises(ClusterLost, match="cannot reach the Dask scheduler"):
            await asyncio.wait_for(pool.apply(h.double, (1,)), 120)
        pool.terminate()
        await pool.join()

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        asyncio.run(main())


def test_bad_cluster_arguments() -> None:
    with pytest.raises(TypeError, match="cluster must be a scheduler address"):
        Pool(cluster=42)
    with pytest.raises(ValueError, match="on_worker_loss must be one of"):
        Pool(cluster="tcp://127.0.0.1:8786", on_worker_loss="ignore")


def test_without_dask_importing_works_and_asking_explains() -> None:
    code = (
        "import sys; sys.modules['distributed'] = None\n"
        "import aioxide, aioxide.multiprocess as amp\n"
        "try:\n"
        "    amp.Pool(cluster='tcp://127.0.0.1:8786')\n"
        "except amp.ClusterUnavailable as e:\n"
        "    print('unavailable:', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "pip install 'aioxide[cluster]'" in done.stdout


def test_the_documented_example_runs() -> None:
    example = Path(__file__).parent.parent / "examples" / "cluster_job.py"
    done = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "local pool:" in done.stdout
    assert "Dask cluster:" in done.stdout


def test_close_lets_submitted_work_finish(cluster: LocalCluster) -> None:
    async def main() -> None:
        pool = pool_on(cluster)
        await pool.__aenter__()
        result = pool.starmap(h.sleep_return, [(x, 0.05) for x in range(20)], chunksize=2)
        pool.close()
        with pytest.raises(RuntimeError, match="pool is closed"):
            await pool.apply(h.double, (1,))
        await asyncio.wait_for(pool.join(), 60)
        assert await result == list(range(20))

    asyncio.run(main())
