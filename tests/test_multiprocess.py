"""aioxide.multiprocess: the pool API, every fault in the issue's list, the
start methods, and the single-process ``Process`` / ``Worker``.

Faults are checked for the caller's answer (type and message) and for the
pool still working afterwards.
"""

from __future__ import annotations

import asyncio
import math
import operator
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

import aioxide.multiprocess as amp
import mp_helpers as h
from aioxide.multiprocess import (
    Pool,
    PoolBroken,
    PoolTerminated,
    ProxyException,
    RemoteTraceback,
    WorkerCrashed,
)

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]


async def still_works(pool: Pool) -> None:
    assert await pool.apply(h.double, (21,)) == 42


async def both_children_ready(pool: Pool) -> set[int]:
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while len(pids) < pool.process_count and time.monotonic() < deadline:
        pids.update(await pool.map(h.pid_after, [0.02] * 8, chunksize=1))
    assert len(pids) == pool.process_count
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# --- the API ---------------------------------------------------------------


def test_apply_map_starmap(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(2) as pool:
            assert pool.process_count == 2
            assert len(pool.processes) == 2
            assert await pool.apply(h.add, (1, 2), {"c": 3}) == 6
            assert await pool.apply(h.add, kwds={"a": 5}) == 5
            assert await pool.map(h.double, range(100)) == [x * 2 for x in range(100)]
            for chunksize in (1, 7, 1000):
                assert await pool.map(h.double, range(50), chunksize=chunksize) == [
                    x * 2 for x in range(50)
                ]
            assert await pool.starmap(h.add, [(1, 2), (3, 4)]) == [3, 7]
            assert await pool.map(h.double, []) == []
            assert await pool.map(h.double, (x for x in range(5))) == [0, 2, 4, 6, 8]
            result = pool.map(h.double, range(10))
            assert isinstance(result, amp.PoolResult)
            assert [x async for x in result] == [x * 2 for x in range(10)]
            assert await result == [x * 2 for x in range(10)]  # awaiting twice works

    run(main())


def test_results_as_they_complete(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(2) as pool:
            delays = [0.3, 0.2, 0.1, 0.0]
            order = [
                x
                async for x in pool.starmap(
                    h.sleep_return, list(enumerate(delays)), chunksize=1
                ).as_completed()
            ]
            assert order == [3, 2, 1, 0]
            unordered = [x async for x in pool.imap_unordered(h.double, range(40), chunksize=3)]
            assert sorted(unordered) == [x * 2 for x in range(40)]

    run(main())


def test_map_reduce(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(2) as pool:
            assert (
                await pool.map_reduce(h.double, range(1000), operator.add) == sum(range(1000)) * 2
            )
            assert (
                await pool.map_reduce(h.double, range(10), operator.add, initial=100, chunksize=3)
                == 190
            )
            assert await pool.map_reduce(h.double, [], operator.add, initial=5) == 5

            async def concat(a: list[int], b: list[int]) -> list[int]:
                return a + b

            wrapped = await pool.map_reduce(h.echo, [[1], [2], [3], [4]], concat, chunksize=3)
            # Order kept; the async reducer ran in the child and in the parent.
            assert wrapped == [1, 2, 3, 4]
            with pytest.raises(TypeError, match="empty iterable with no initial value"):
                await pool.map_reduce(h.double, [], operator.add)
            with pytest.raises(ValueError, match="item 3 is bad"):
                await pool.starmap(h.fail_after, [(x, 3) for x in range(6)])
            await still_works(pool)

    run(main())


def test_lambdas_and_local_functions_travel_by_value(run: Run[None]) -> None:
    async def main() -> None:
        offset = 10

        async def local(x: int) -> int:
            return x + offset

        async with Pool(1) as pool:
            assert await pool.apply(local, (1,)) == 11
            assert await pool.map(local, [1, 2]) == [11, 12]
            assert await pool.apply(lambda: h.double(4)) == 8

    run(main())


def test_initializer_and_loop_initializer(run: Run[None]) -> None:
    import uvloop

    async def main() -> None:
        async with Pool(
            2,
            initializer=h.set_initialized,
            initargs=("yes",),
            loop_initializer=uvloop.new_event_loop,
        ) as pool:
            assert await pool.apply(h.get_initialized) == ["yes"]
            assert await pool.apply(h.current_loop_name) == "uvloop"

    run(main())


def test_suspending_calls_get_their_own_task_and_context(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(1, childconcurrency=4) as pool:
            results = await pool.map(h.context_probe, ["a", "b", "c", "d"], chunksize=4)
            assert results == [("unset", True)] * 4

    run(main())


def test_child_concurrency_overlaps_waits() -> None:
    async def main() -> float:
        async with Pool(1, childconcurrency=50) as pool:
            await still_works(pool)
            start = time.perf_counter()
            await pool.map(h.sleep_return, range(100), chunksize=100)
            return time.perf_counter() - start

    # 100 x 10 ms at 50 at a time: two rounds, not a hundred.
    assert asyncio.run(main()) < 0.5


def test_least_loaded_and_round_robin_queues(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(2, queuecount=2, scheduler=amp.RoundRobin()) as pool:
            pids = Counter(await pool.map(h.pid_after, [0.01] * 20, chunksize=1))
            assert len(pids) == 2
            assert set(pids.values()) == {10}
        with pytest.raises(ValueError, match="queue count must be <= process count"):
            Pool(2, queuecount=3)

    run(main())


def test_large_payloads_both_ways(run: Run[None]) -> None:
    async def main() -> None:
        blob = os.urandom(20 * 1024 * 1024)
        async with Pool(1) as pool:
            assert await pool.apply(h.echo, (blob,)) == blob

    run(main())


# --- errors reach their caller -----------------------------------------------


def test_exceptions_keep_type_and_child_traceback(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(1) as pool:
            with pytest.raises(ValueError, match="bad value in child") as info:
                await pool.apply(h.fail, ("value",))
            assert isinstance(info.value, ProxyException)
            cause = info.value.__cause__
            assert isinstance(cause, RemoteTraceback)
            assert 'raise ValueError("bad value in child")' in cause.tb
            with pytest.raises(h.CustomError) as custom:
                await pool.apply(h.fail, ("custom",))
            assert custom.value.code == 42
            assert custom.value.args == ("custom", 42)
            with pytest.raises(KeyError):
                await pool.apply(h.fail, ("other",))
            with pytest.raises(amp.RemoteError, match="UnpicklableError: cannot travel"):
                await pool.apply(h.fail, ("unpicklable",))
            await still_works(pool)

    run(main())


def test_exception_handler_runs_in_child(tmp_path: Path) -> None:
    async def main() -> None:
        async with Pool(1, exception_handler=h.set_initialized) as pool:
            with pytest.raises(ValueError, match="bad value in child"):
                await pool.apply(h.fail, ("value",))
            # The handler ran in the child (it recorded the exception there).
            recorded = await pool.apply(h.get_initialized)
            assert len(recorded) == 1
            assert isinstance(recorded[0], ValueError)

    asyncio.run(main())


def test_not_a_coroutine_function_or_wrong_arguments(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(1) as pool:
            with pytest.raises(TypeError, match=r"math\.sqrt\(4\) returned float, not a coroutine"):
                await pool.apply(math.sqrt, (4,))
            with pytest.raises(TypeError, match="returned int, not a coroutine"):
                await pool.apply(h.sync_function, (1,))
            with pytest.raises(TypeError, match="missing 1 required positional argument"):
                await pool.apply(h.double)
            with pytest.raises(TypeError, match="is not callable"):
                await pool.apply(42)  # type: ignore[arg-type]
            await still_works(pool)

    run(main())


def test_unpicklable_argument_and_result(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(1) as pool:
            with pytest.raises(TypeError, match=r"cannot send .*echo.* to a child process"):
                await pool.apply(h.echo, (threading.Lock(),))
            with pytest.raises(
                TypeError, match=r"result of .*return_lock\(\) could not be pickled"
            ):
                await pool.apply(h.return_lock)
            with pytest.raises(RuntimeError, match="could not be unpickled in the parent") as info:
                await pool.apply(h.return_unloadable)
            assert "cannot be rebuilt" in str(info.value.__cause__)
            # One bad result in a map fails that call alone.
            result = pool.starmap(h.lock_if, [(x, 2) for x in range(4)], chunksize=4)
            with pytest.raises(
                TypeError, match=r"result of .*lock_if\(2, 2\) could not be pickled"
            ):
                await result
            seen = []

            async def consume() -> None:
                async for value in result:
                    seen.append(value)

            with pytest.raises(TypeError, match="could not be pickled"):
                await consume()
            assert seen == [0, 1]
            await still_works(pool)

    run(main())


@pytest.mark.parametrize("how", ["exit", "kill", "segfault"])
def test_child_death_fails_exactly_its_tasks(how: str) -> None:
    async def main() -> None:
        async with Pool(2) as pool:
            before = await both_children_ready(pool)
            sleepers = [asyncio.ensure_future(pool.apply(h.pid_after, (1.0,))) for _ in range(2)]
            # Both sleepers sent, one per child (least loaded first).
            await h.until(lambda: all(c.inflight for c in pool._backend.children))
            with pytest.raises(
                WorkerCrashed, match=rf"worker process \d+ .* while running .*die\('{how}'\)"
            ):
                await pool.apply(h.die, (how,))
            outcomes = await asyncio.gather(*sleepers, return_exceptions=True)
            crashed = [o for o in outcomes if isinstance(o, WorkerCrashed)]
            finished = [o for o in outcomes if isinstance(o, int)]
            assert len(crashed) == 1, outcomes
            assert len(finished) == 1, outcomes
            assert "pid_after(1.0)" in str(crashed[0])
            await still_works(pool)
            after = await both_children_ready(pool)
            assert len(after - before) == 1  # the dead child was replaced

    asyncio.run(main())


def test_cancelling_the_caller_cancels_the_child_coroutine(run: Run[None], tmp_path: Path) -> None:
    marker = tmp_path / "cancelled"

    async def main() -> None:
        async with Pool(1) as pool:
            await still_works(pool)
            call = asyncio.ensure_future(pool.apply(h.wait_for_cancel_signalling, (str(marker),)))
            started = Path(f"{marker}.started")
            deadline = time.monotonic() + 10
            # The child writes the file once the coroutine runs: nothing to await.
            while not started.exists() and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            deadline = time.monotonic() + 10
            # The marker is written by the child process: nothing to await.
            while not marker.exists() and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            assert marker.read_text().startswith("cancelled in")
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(pool.apply(h.sleep_return, (1, 5.0)), 0.2)
            await still_works(pool)

    run(main())


def test_initializer_that_always_fails_breaks_the_pool_clearly() -> None:
    async def main() -> None:
        pool = Pool(1, initializer=h.broken_initializer)
        with pytest.raises(PoolBroken, match="initializer is broken"):
            await asyncio.wait_for(pool.apply(h.double, (1,)), 30)
        with pytest.raises(PoolBroken):
            await pool.apply(h.double, (1,))
        pool.close()
        await asyncio.wait_for(pool.join(), 10)

    asyncio.run(main())


# --- lifecycle -----------------------------------------------------------------


def test_maxtasksperchild_is_exact(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(1, maxtasksperchild=3, childconcurrency=8) as pool:
            pids = Counter(await pool.map(h.pid, [()] * 0 or [], chunksize=None))
            pids = Counter(await pool.starmap(h.pid, [()] * 12))
            assert sorted(pids.values()) == [3, 3, 3, 3]

    run(main())


def test_close_lets_queued_work_finish(run: Run[None]) -> None:
    async def main() -> None:
        pool = Pool(2, childconcurrency=2)
        result = pool.map(h.sleep_return, range(20), chunksize=1)
        pool.close()
        with pytest.raises(RuntimeError, match="pool is closed"):
            await pool.apply(h.double, (1,))
        await asyncio.wait_for(pool.join(), 30)
        assert await result == list(range(20))
        assert not pool.processes

    run(main())


def test_terminate_fails_pending_calls_and_leaves_no_process(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(2) as pool:
            pids = await both_children_ready(pool)
            slow = asyncio.ensure_future(pool.apply(h.sleep_return, (1, 30.0)))
            await asyncio.sleep(0)  # the apply's task runs and submits its call
            pending = pool.starmap(h.sleep_return, [(1, 30.0)] * 40, chunksize=1)
            await h.until(lambda: any(c.inflight for c in pool._backend.children))
            pool.terminate()
            with pytest.raises(PoolTerminated, match="terminated"):
                await slow
            with pytest.raises(PoolTerminated):
                await pending
            await asyncio.wait_for(pool.join(), 10)
        assert not any(alive(p) for p in pids)

    run(main())


def test_leaving_async_with_stops_children(run: Run[None]) -> None:
    async def main() -> set[int]:
        async with Pool(2) as pool:
            return await both_children_ready(pool)

    pids = run(main())
    assert not any(alive(p) for p in pids)


EXIT_SCRIPT = """
import asyncio, os, signal, sys
sys.path.insert(0, {tests!r})
import mp_helpers as h
from aioxide.multiprocess import Pool

async def main():
    pool = Pool(2)
    pids = set()
    while len(pids) < 2:
        pids.update(await pool.map(h.pid_after, [0.02] * 8, chunksize=1))
    print(" ".join(map(str, pids)), flush=True)
    if {mode!r} == "sigint":
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(30)
    # "exit": return with the pool still open

if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
"""


@pytest.mark.parametrize("mode", ["exit", "sigint"])
def test_interpreter_exit_and_ctrl_c_leave_no_orphans(tmp_path: Path, mode: str) -> None:
    script = tmp_path / "prog.py"
    script.write_text(EXIT_SCRIPT.format(tests=str(Path(__file__).parent), mode=mode))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == (130 if mode == "sigint" else 0), done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids)


def test_parent_killed_children_exit(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        EXIT_SCRIPT.format(tests=str(Path(__file__).parent), mode="sigint").replace(
            "os.kill(os.getpid(), signal.SIGINT)", "os.kill(os.getpid(), signal.SIGKILL)"
        )
    )
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids)  # end of stream on their socket


def test_pool_created_before_the_loop_starts_on_first_use() -> None:
    pool = Pool(1)

    async def main() -> int:
        async with pool:
            return await pool.apply(h.double, (2,))

    assert asyncio.run(main()) == 4


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="initializer must be synchronous"):
        Pool(1, initializer=h.double)  # type: ignore[arg-type]

    async def main() -> None:
        async with Pool(1) as pool:
            with pytest.raises(ValueError, match="chunksize must be at least 1"):
                pool.map(h.double, [1], chunksize=0)
            with pytest.raises(RuntimeError, match="pool is still open"):
                await pool.join()

    asyncio.run(main())


# --- start methods ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_start_methods(method: str) -> None:
    amp.set_start_method(method)
    try:

        async def main() -> None:
            async with Pool(2) as pool:
                assert pool.context.get_start_method() == method
                assert await pool.map(h.double, range(30)) == [x * 2 for x in range(30)]
                with pytest.raises(WorkerCrashed):
                    await pool.apply(h.die, ("kill",))
                await still_works(pool)
            assert await amp.Worker(target=h.double, args=(5,)) == 10

        asyncio.run(main())
    finally:
        amp.set_start_method()


# --- Process and Worker ------------------------------------------------------------


def test_worker_result_error_and_timeout(run: Run[None]) -> None:
    async def main() -> None:
        assert await amp.Worker(target=h.add, args=(1, 2), kwargs={"c": 3}) == 6
        error = await amp.Worker(target=h.worker_fail)
        assert isinstance(error, ValueError)
        assert isinstance(error, ProxyException)
        big = await amp.Worker(target=h.echo, args=(b"x" * (8 * 1024 * 1024),))
        assert len(big) == 8 * 1024 * 1024
        p = amp.Process(target=h.sleep_return, args=(1, 5.0))
        p.start()
        with pytest.raises(asyncio.TimeoutError):
            await p.join(timeout=0.05)
        p.kill()
        await p.join()
        assert p.exitcode == -signal.SIGKILL
        with pytest.raises(ValueError, match="target must be coroutine function"):
            amp.Process(target=h.sync_function)

    run(main())


def test_cancelling_a_map_cancels_its_calls_and_the_pool_goes_on(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(2, childconcurrency=4) as pool:
            await still_works(pool)
            slow = pool.starmap(h.sleep_return, [(x, 30.0) for x in range(40)], chunksize=2)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(slow.results(), 0.3)
            # The children dropped the cancelled calls: new work runs at once.
            start = time.perf_counter()
            assert await pool.map(h.sleep_return, range(8), chunksize=1) == list(range(8))
            assert time.perf_counter() - start < 5.0

    run(main())


LEFTOVER_SCRIPT = """
import asyncio, os, sys
import aioxide.multiprocess as amp

MARKS = sys.argv[1]

async def background():
    try:
        await asyncio.sleep(3600)
    finally:
        with open(os.path.join(MARKS, str(os.getpid())), "a") as f:
            f.write("cleaned up\\n")

async def leave_a_task(x):
    asyncio.get_running_loop().create_task(background())
    return x * 2

async def main():
    process = amp.Process(target=leave_a_task, args=(1,))
    process.start()
    await process.join()
    worker = amp.Worker(target=leave_a_task, args=(2,))
    worker.start()
    print(await worker.join())
    async with amp.Pool(2) as pool:
        print(await pool.map(leave_a_task, range(4)))

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_children_exit_quietly_and_cancel_leftover_tasks(tmp_path: Path) -> None:
    # aiomultiprocess prints nothing when a target leaves a task pending; a
    # closed loop with a pending task made every aioxide child print "Task
    # was destroyed but it is pending!". Leftover tasks are now cancelled
    # (their finally blocks run) and the loop closes quietly.
    script = tmp_path / "leftover.py"
    script.write_text(LEFTOVER_SCRIPT)
    marks = tmp_path / "marks"
    marks.mkdir()
    done = subprocess.run(
        [sys.executable, str(script), str(marks)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["4", "[0, 2, 4, 6]"]
    assert done.stderr == ""
    cleaned = [p.read_text() for p in marks.iterdir()]
    # The Process and the Worker (leaving `async with Pool` terminates its
    # children, as aiomultiprocess does, so theirs need not run).
    assert len(cleaned) >= 2
    assert all(text.strip().split("\n")[0] == "cleaned up" for text in cleaned)


def test_children_killed_while_starting_are_replaced_not_fatal(tmp_path: Path) -> None:
    # Five children in a row die by SIGKILL before they are ready (an OOM
    # killer does this); that is not a broken initializer, so the pool keeps
    # replacing them (with a growing delay) and then works normally.
    marks = tmp_path / "starts"

    async def main() -> None:
        async with Pool(1, initializer=h.killed_while_starting, initargs=(str(marks), 5)) as pool:
            assert await asyncio.wait_for(pool.apply(h.double, (21,)), 60) == 42
            assert await pool.map(h.double, range(4)) == [0, 2, 4, 6]

    asyncio.run(main())
    assert marks.stat().st_size == 6


def test_children_that_exit_while_starting_break_the_pool(tmp_path: Path) -> None:
    # An exit of their own before they are ready happens again every time:
    # after three in a row the pool is broken, with the reason.
    marks = tmp_path / "starts"

    async def main() -> None:
        pool = Pool(1, initializer=h.exits_while_starting, initargs=(str(marks),))
        with pytest.raises(PoolBroken, match=r"fail to start .*exit"):
            await asyncio.wait_for(pool.apply(h.double, (1,)), 30)
        pool.close()
        await asyncio.wait_for(pool.join(), 10)

    asyncio.run(main())
    assert marks.stat().st_size == 3


def test_closing_while_a_replacement_waits_still_runs_queued_work(tmp_path: Path) -> None:
    marks = tmp_path / "starts"

    async def main() -> None:
        pool = Pool(1, initializer=h.killed_while_starting, initargs=(str(marks), 2))
        calls = pool.map(h.double, range(3))
        pool.close()
        assert await asyncio.wait_for(calls, 60) == [0, 2, 4]
        await asyncio.wait_for(pool.join(), 30)

    asyncio.run(main())


def test_a_corrupted_stream_from_a_child_fails_its_call_and_the_pool_recovers() -> None:
    # A length field too short for a frame panicked the decoder (a slice out
    # of range in the reader thread); now the link breaks like a dead child:
    # that call fails, the child is replaced, nothing hangs.
    async def main() -> None:
        async with Pool(1) as pool:
            with pytest.raises(WorkerCrashed):
                await asyncio.wait_for(pool.apply(h.corrupt_the_channel), 60)
            assert await asyncio.wait_for(pool.apply(h.double, (21,)), 60) == 42

    asyncio.run(main())


def test_polled_channel_reads_without_a_thread() -> None:
    """The transport as the pool uses it: a polled channel hands out what
    arrived when asked, never waits, and ends with EOFError after the last
    frame; the two ways of reading refuse to be mixed."""
    import select
    import socket

    from aioxide._core import Channel

    ours, theirs = socket.socketpair()
    polled = Channel(ours.fileno(), "polled", polled=True)
    threaded = Channel(theirs.fileno(), "threaded")
    ours.close()
    theirs.close()
    with pytest.raises(RuntimeError, match="polled"):
        polled.recv()
    with pytest.raises(RuntimeError, match="reader thread"):
        threaded.read_ready()
    assert polled.read_ready() == []  # nothing yet, and no wait

    def read_until(count: int) -> list[tuple[int, int, bytes]]:
        got: list[tuple[int, int, bytes]] = []
        deadline = time.monotonic() + 10
        while len(got) < count and time.monotonic() < deadline:
            select.select([polled.fileno], [], [], 1)
            got.extend(polled.read_ready())
        return got

    big = bytes(range(256)) * 4000  # larger than a socket buffer
    threaded.send_many([(1, i, big if i % 2 else b"%d" % i) for i in range(6)])
    frames = read_until(6)
    assert [(k, i) for k, i, _ in frames] == [(1, i) for i in range(6)]
    assert all(p == (big if i % 2 else b"%d" % i) for _, i, p in frames)
    threaded.send(2, 7, b"last")
    assert threaded.flush(10)
    threaded.close()
    assert read_until(1) == [(2, 7, b"last")]
    select.select([polled.fileno], [], [], 10)
    with pytest.raises(EOFError):
        polled.read_ready()
    with pytest.raises(EOFError):  # and stays ended
        polled.read_ready()


def test_a_payload_in_pieces_arrives_as_one_and_bad_pieces_are_refused() -> None:
    # Large pieces are lent to the link (written from the bytes objects
    # themselves, while the sender drops its own references), small ones
    # copied; interleaved with whole payloads, every frame arrives whole.
    import select
    import socket
    import time

    from aioxide._core import Channel

    ours, theirs = socket.socketpair()
    polled = Channel(ours.fileno(), "polled", polled=True)
    sender = Channel(theirs.fileno(), "sender")
    ours.close()
    theirs.close()
    pieces = [bytes([i]) * size for i, size in enumerate([5, 100_000, 7, 300_000, 0, 40_000])]
    expected = b"".join(pieces)
    frames: list[tuple[int, int, Any]] = [
        (1, i, list(pieces) if i % 2 else b"whole %d" % i) for i in range(8)
    ]
    frames.append((1, 8, []))  # an empty list is an empty payload
    sender.send_many(frames)
    del frames, pieces
    with pytest.raises(TypeError, match="bytes or a list of bytes, not str"):
        sender.send_many([(1, 9, "text")])
    with pytest.raises(TypeError, match="piece must be bytes"):
        sender.send_many([(1, 9, [b"ok", bytearray(b"mutable")])])
    sender.send(2, 10, b"after the refusals")  # nothing of them was queued
    got: list[tuple[int, int, bytes]] = []
    deadline = time.monotonic() + 10
    while len(got) < 10 and time.monotonic() < deadline:
        select.select([polled.fileno], [], [], 1)
        got.extend(polled.read_ready())
    assert [(k, i) for k, i, _ in got] == [(1, i) for i in range(9)] + [(2, 10)]
    for _, i, payload in got[:8]:
        assert payload == (expected if i % 2 else b"whole %d" % i)
    assert got[8][2] == b""
    assert got[9][2] == b"after the refusals"
    sender.close()


def test_large_payloads_are_received_into_their_bytes_whole() -> None:
    # Payloads from 256 KiB up are read straight into the bytes object
    # Python gets; around that size and far past it, between small frames,
    # each must arrive as a plain, complete, hashable bytes. A peer that
    # closes in the middle of one ends the channel with EOFError.
    import hashlib
    import select
    import socket
    import time

    from aioxide._core import Channel

    ours, theirs = socket.socketpair()
    polled = Channel(ours.fileno(), "polled", polled=True)
    sender = Channel(theirs.fileno(), "sender")
    ours.close()
    theirs.close()
    sizes = [256 * 1024 - 1, 3, 256 * 1024, 256 * 1024 + 1, 0, 5_000_000, 11]
    payloads = [
        (hashlib.sha256(b"%d" % i).digest() * (size // 32 + 1))[:size]
        for i, size in enumerate(sizes)
    ]
    sender.send_many([(3, i, p) for i, p in enumerate(payloads)])
    got: list[tuple[int, int, bytes]] = []
    deadline = time.monotonic() + 20
    while len(got) < len(sizes) and time.monotonic() < deadline:
        select.select([polled.fileno], [], [], 1)
        got.extend(polled.read_ready())
    assert [(k, i) for k, i, _ in got] == [(3, i) for i in range(len(sizes))]
    for (_, i, payload), sent in zip(got, payloads, strict=True):
        assert type(payload) is bytes
        assert len(payload) == len(sent), i
        assert payload == sent, i
        assert hash(payload) == hash(bytes(sent))

    # Half of a large frame, then the sender goes away.
    from aioxide.multiprocess import _wire

    assert _wire.MAX_PAYLOAD > 2_000_000
    ours, theirs = socket.socketpair()
    polled = Channel(ours.fileno(), "polled", polled=True)
    ours.close()
    header = (2_000_000 + 9).to_bytes(4, "little") + b"\x01" + (7).to_bytes(8, "little")
    theirs.sendall(header + b"x" * 150_000)  # within the socket's buffer
    theirs.close()
    deadline = time.monotonic() + 10
    ended: BaseException | None = None
    while ended is None and time.monotonic() < deadline:
        select.select([polled.fileno], [], [], 1)
        try:
            assert polled.read_ready() == []
        except EOFError as err:
            ended = err
    assert isinstance(ended, EOFError)
    sender.close()


def test_arguments_are_pickled_when_map_is_called(run: Run[None]) -> None:
    # Large bytes-like arguments reach the pickler's file as themselves; a
    # mutable one changed after map() returns must not change what the
    # child gets (pickle.dumps semantics).
    async def main() -> None:
        async with Pool(1) as pool:
            blocker = pool.apply(h.sleep_return, (0, 0.3))  # keeps the child busy
            arg = bytearray(b"a" * 200_000)
            result = pool.map(h.echo, [arg], chunksize=1)
            arg[:] = b"b" * 200_000
            await blocker
            [back] = await result
            assert back == bytearray(b"a" * 200_000)

    run(main())


def test_a_child_loop_that_cannot_watch_sockets_reads_with_a_thread(run: Run[None]) -> None:
    async def main() -> None:
        async with Pool(1) as pool:
            watched = await pool.apply(h.thread_count)
        async with Pool(1, loop_initializer=h.LoopWithoutReaders) as pool:
            assert await pool.map(h.double, range(100)) == [2 * x for x in range(100)]
            assert await pool.apply(h.sleep_return, (5, 0.01)) == 5
            # The channel's reader thread is the one extra.
            assert await pool.apply(h.thread_count) == watched + 1

    run(main())


def test_payloads_too_large_for_a_frame_fail_their_call_not_the_pool(
    run: Run[None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over 4 GiB pickled cannot travel in one frame. The channel refused
    such a batch while it was being sent (and a result too large left the
    caller waiting for ever); now the call fails with a clear error before
    anything is sent, and the pool goes on. The limits are lowered here:
    4 GiB is more than a test should allocate."""
    from aioxide.multiprocess import _wire

    async def main() -> None:
        async with Pool(1, initializer=h.set_max_payload, initargs=(2_000,)) as pool:
            # The child's answers: over its lowered limit, an error instead.
            assert await pool.apply(h.echo, (b"x" * 100,)) == b"x" * 100
            with pytest.raises(ValueError, match="more than one message between processes"):
                await asyncio.wait_for(pool.apply(h.echo, (b"x" * 5_000,)), 60)
            items = [bytes([i]) * 500 for i in range(10)]  # distinct: pickle shares repeats
            with pytest.raises(ValueError, match="smaller chunks may fit"):
                await asyncio.wait_for(pool.map(h.echo, items, chunksize=10), 60)
            assert await pool.map(h.echo, items, chunksize=1) == items
            # The parent's batches: refused before they are queued.
            monkeypatch.setattr(_wire, "MAX_PAYLOAD", 1_000)
            with pytest.raises(ValueError, match=r"mp_helpers\.echo.*bytes pickled"):
                await pool.apply(h.echo, (b"z" * 5_000,))
            assert await pool.apply(h.double, (21,)) == 42

    run(main())
