"""The asyncio bridge: ready and suspended results, errors, cancellation,
several loops in several threads, loops that close with work pending, the
call_soon_threadsafe fallback, and interpreter exit."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import threading
import types
import weakref
from collections.abc import Callable, Coroutine, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from aioxide.bridge import EchoWorker, port_counts
from conftest import new_loop

Run = Callable[[Coroutine[Any, Any, Any]], Any]

LONG_US = 600_000_000  # ten minutes: only cancellation can end it in a test run


@pytest.fixture
def worker() -> Iterator[EchoWorker]:
    w = EchoWorker()
    yield w
    w.close()


def echo_threads() -> int:
    """Live threads named after the echo worker, read from /proc."""
    tasks = Path("/proc/self/task")
    return sum(1 for t in tasks.iterdir() if (t / "comm").read_text().strip() == "aioxide-echo")


def test_ready_result_returns_without_suspending(worker: EchoWorker) -> None:
    value = object()
    completion = worker.submit(value)
    worker.flush()
    assert completion.ready()
    # Driven by hand with no loop at all: a ready result never needs one.
    with pytest.raises(StopIteration) as stop:
        completion.send(None)
    assert stop.value.value is value
    assert not completion.ready()


def test_suspended_result_is_the_same_object(run: Run, worker: EchoWorker) -> None:
    value = {"k": [1, 2]}

    async def main() -> Any:
        return await worker.submit(value, delay_us=2_000)

    assert run(main()) is value


def test_tuple_results_are_not_unpacked(run: Run, worker: EchoWorker) -> None:
    async def main() -> Any:
        return await worker.submit((1, 2), delay_us=500), await worker.submit(None)

    assert run(main()) == ((1, 2), None)


def test_thousands_concurrent_results_in_order(run: Run, worker: EchoWorker) -> None:
    async def main() -> list[int]:
        return await asyncio.gather(*[worker.submit(i) for i in range(5_000)])

    assert run(main()) == list(range(5_000))


def test_concurrent_tasks_share_one_port(run: Run, worker: EchoWorker) -> None:
    async def one(k: int) -> int:
        total = 0
        for i in range(200):
            total += await worker.submit(i)
        return total

    async def main() -> list[int]:
        return await asyncio.gather(*[one(k) for k in range(64)])

    assert run(main()) == [sum(range(200))] * 64


def test_error_is_raised_in_the_awaiter(run: Run, worker: EchoWorker) -> None:
    boom = ValueError("boom")

    async def main() -> None:
        with pytest.raises(ValueError, match="boom") as caught:
            await worker.submit(1, delay_us=500, error=boom)
        assert caught.value is boom
        # The worker and the port keep working after a failure.
        assert await worker.submit(7) == 7

    run(main())


def test_ready_error_is_raised_too(worker: EchoWorker) -> None:
    completion = worker.submit(1, error=KeyError("k"))
    worker.flush()
    with pytest.raises(KeyError):
        completion.send(None)


def test_await_and_yield_from_hand_back_the_same_result(run: Run, worker: EchoWorker) -> None:
    """`await` steps a completion through its `am_send` slot (3.11, and
    every Task step); `yield from` through `__next__` and `StopIteration`.
    Both give the very object the worker returned, ready or suspended, and
    both refuse a second use."""
    value = {"k": [1, 2]}

    @types.coroutine
    def via_iterator(completion: Any) -> Generator[Any, None, Any]:
        return (yield from completion)

    async def main() -> list[Any]:
        got = []
        for delay_us in (0, 2_000):
            for drive in (via_iterator, None):
                completion = worker.submit(value, delay_us=delay_us)
                if delay_us == 0:
                    worker.flush()
                    assert completion.ready()
                got.append(await (drive(completion) if drive else completion))
                with pytest.raises(RuntimeError, match="already awaited"):
                    await completion
        return got

    assert all(result is value for result in run(main()))


def test_create_task_and_gather_accept_completions(run: Run, worker: EchoWorker) -> None:
    async def main() -> Any:
        task = asyncio.create_task(worker.submit("task", delay_us=1_000))
        both = await asyncio.gather(worker.submit("a"), worker.submit("b", delay_us=500))
        return await task, both

    assert run(main()) == ("task", ["a", "b"])


def test_completion_is_single_use(run: Run, worker: EchoWorker) -> None:
    async def main() -> None:
        completion = worker.submit(1)
        assert await completion == 1
        with pytest.raises(RuntimeError, match="already awaited"):
            await completion

    run(main())


def test_cancelling_the_task_cancels_the_running_operation(run: Run, worker: EchoWorker) -> None:
    async def main() -> None:
        task = asyncio.ensure_future(worker.submit("never", delay_us=LONG_US))
        await asyncio.sleep(0)  # let the task suspend on the loop future
        worker.wait_started(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The worker was woken: without cancellation this would wait ten minutes.
        worker.flush()
        assert worker.stats() == (1, 0, 1)
        assert await worker.submit("after") == "after"

    run(main())


def test_wait_for_timeout_cancels_the_operation(run: Run, worker: EchoWorker) -> None:
    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(worker.submit(1, delay_us=LONG_US), timeout=0.05)
        worker.flush()
        assert worker.stats()[2] == 1

    run(main())


def test_operation_cancelled_before_it_starts_is_skipped(worker: EchoWorker) -> None:
    blocker = worker.submit(0, delay_us=LONG_US)
    queued = worker.submit(1)
    worker.wait_started(1)
    assert queued.cancel() is True
    assert queued.cancel() is False
    blocker.cancel()
    worker.flush()
    assert worker.stats() == (1, 0, 1)  # the queued one never ran


def test_throw_of_other_exception_propagates_and_cancels(run: Run, worker: EchoWorker) -> None:
    async def main() -> None:
        completion = worker.submit(1, delay_us=LONG_US)
        fut = completion.send(None)
        assert isinstance(fut, asyncio.Future)
        worker.wait_started(1)
        with pytest.raises(KeyError):
            completion.throw(KeyError("x"))
        assert fut.cancelled()
        worker.flush()
        assert worker.stats()[2] == 1

    run(main())


def test_awaiting_outside_a_loop_fails_clearly_and_stays_usable(worker: EchoWorker) -> None:
    completion = worker.submit(5, delay_us=LONG_US)
    with pytest.raises(RuntimeError, match="no running event loop"):
        completion.send(None)
    completion.cancel()
    ok = worker.submit(6, delay_us=1_000)

    async def main() -> int:
        return await ok

    assert asyncio.run(main()) == 6


def test_each_result_reaches_its_own_loop_across_threads(worker: EchoWorker) -> None:
    results: dict[int, Any] = {}

    def thread_main(index: int) -> None:
        kind = "uvloop" if index % 2 and "uvloop" in sys.modules else "asyncio"
        loop = new_loop(kind)

        async def main() -> list[int]:
            me = asyncio.get_running_loop()
            out = []
            for i in range(300):
                completion = worker.submit(index * 1000 + i, delay_us=i % 3 * 100)
                out.append(await completion)
                assert asyncio.get_running_loop() is me
            return out

        try:
            results[index] = loop.run_until_complete(main())
        except BaseException as exc:  # reported by the assertion below
            results[index] = exc
        finally:
            loop.close()

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        assert results[i] == [i * 1000 + k for k in range(300)]


def test_loop_closed_with_work_pending_neither_crashes_nor_leaks(loop_kind: str) -> None:
    gc.collect()
    before_ports = port_counts()[0]
    threads_before = echo_threads()
    worker = EchoWorker()
    worker.flush()  # the thread names itself once it runs
    assert echo_threads() == threads_before + 1
    loop = new_loop(loop_kind)

    async def start() -> asyncio.Future[int]:
        task = asyncio.ensure_future(worker.submit(1, delay_us=20_000))
        await asyncio.sleep(0)  # suspended on the port of this loop
        return task

    task = loop.run_until_complete(start())
    assert port_counts()[0] == before_ports + 1
    loop.close()  # the operation is still running on the worker
    worker.flush()  # it completes into the closed loop's port: nothing happens
    closed_loop = weakref.ref(loop)
    del loop, task
    # The next loop to suspend on the bridge releases the closed loop's port,
    # its undeliverable results, and with them the loop itself.

    async def suspend_once() -> None:
        task = asyncio.ensure_future(worker.submit("next", delay_us=LONG_US))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(suspend_once())
    gc.collect()
    assert closed_loop() is None
    assert port_counts()[0] == before_ports
    worker.close()
    assert worker.closed
    assert echo_threads() == threads_before  # the worker thread is joined
    with pytest.raises(RuntimeError, match="closed"):
        worker.submit(1)


class NoReaderLoop(asyncio.SelectorEventLoop):
    """A loop that cannot watch file descriptors (like the Windows proactor)."""

    def add_reader(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def test_fallback_for_loops_that_cannot_watch_fds(worker: EchoWorker) -> None:
    gc.collect()
    before = port_counts()
    loop = NoReaderLoop()

    async def main() -> list[int]:
        first = await worker.submit(-1, delay_us=1_000)
        assert port_counts() == (before[0] + 1, before[1])  # a port, not watching an fd
        return [first, *await asyncio.gather(*[worker.submit(i, delay_us=10) for i in range(500)])]

    try:
        assert loop.run_until_complete(main()) == [-1, *range(500)]
    finally:
        loop.close()
    del loop
    gc.collect()
    assert port_counts() == before


def test_interpreter_exit_with_operations_pending_does_not_hang() -> None:
    script = """
import asyncio
from aioxide.bridge import EchoWorker
worker = EchoWorker()          # never closed, left in a module global
pending = []
async def main():
    assert await worker.submit(2) == 2
    # One operation mid-run on the worker, its awaiter suspended when the loop ends.
    pending.append(asyncio.ensure_future(worker.submit(1, delay_us=60_000_000)))
    await asyncio.sleep(0)
    worker.wait_started(2)
    # One more queued behind it, never awaited at all.
    pending.append(worker.submit(3, delay_us=60_000_000))
asyncio.run(main())
print("done")
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "done"


def test_repr_shows_state(worker: EchoWorker) -> None:
    completion = worker.submit(1)
    worker.flush()
    assert "ready" in repr(completion)
    with pytest.raises(StopIteration):
        completion.send(None)
    assert "finished" in repr(completion)
