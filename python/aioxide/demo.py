"""``python -m aioxide.demo``: the project's main job, run by ``make demo``.

Until the end-to-end monitoring demo lands, it exercises the asyncio bridge
the way every module uses it: thousands of operations completed on a Rust
thread and awaited concurrently, cancellation reaching the worker, and
several event loops in several threads sharing one worker. It prints the
measured cost per completion and exits non-zero if any result is wrong.

>>> main(["--count", "2000", "--concurrency", "16"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from collections.abc import Callable, Sequence

from .bridge import EchoWorker


class DemoFailure(Exception):
    """A result came back wrong."""


def _loop_factories() -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    factories: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
        "asyncio": asyncio.new_event_loop
    }
    try:
        import uvloop
    except ImportError:
        pass
    else:
        factories["uvloop"] = uvloop.new_event_loop
    return factories


async def _fan_out(worker: EchoWorker, count: int, concurrency: int) -> float:
    """``concurrency`` tasks each awaiting results one after another."""
    per_task = count // concurrency

    async def one(base: int) -> int:
        total = 0
        for i in range(per_task):
            total += await worker.submit(base + i)
        return total

    start = time.perf_counter()
    totals = await asyncio.gather(*[one(k * per_task) for k in range(concurrency)])
    elapsed = time.perf_counter() - start
    expected = [sum(range(k * per_task, (k + 1) * per_task)) for k in range(concurrency)]
    if totals != expected:
        raise DemoFailure("fan-out: results came back wrong")
    return elapsed / (per_task * concurrency)


async def _cancellation(worker: EchoWorker, count: int) -> float:
    """Operations that would run for a minute, abandoned by a timeout."""
    before = worker.stats()
    start = time.perf_counter()
    for _ in range(count):
        try:
            await asyncio.wait_for(worker.submit(None, delay_us=60_000_000), timeout=0.001)
        except asyncio.TimeoutError:
            pass
        else:
            raise DemoFailure("cancellation: a one-minute operation finished early")
    worker.flush()
    elapsed = time.perf_counter() - start
    started, completed, cancelled = (a - b for a, b in zip(worker.stats(), before, strict=True))
    # Each abandoned operation was either woken mid-sleep or skipped before it started.
    if completed != 0 or started != cancelled or started > count:
        raise DemoFailure(
            f"cancellation: {count} abandoned, {started} started, "
            f"{cancelled} cancelled, {completed} completed"
        )
    return elapsed


def _threads(worker: EchoWorker, threads: int, count: int) -> None:
    """Several loops in several threads, each getting its own results back."""
    errors: list[BaseException] = []

    def run(index: int) -> None:
        async def main() -> None:
            values = [index * count + i for i in range(count)]
            got: list[int] = await asyncio.gather(*[worker.submit(v) for v in values])
            if got != values:
                raise DemoFailure(f"thread {index}: results reached the wrong loop")

        try:
            asyncio.run(main())
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bridge demo; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m aioxide.demo", description=__doc__)
    parser.add_argument("--count", type=int, default=64_000, help="completions per loop kind")
    parser.add_argument("--concurrency", type=int, default=64, help="tasks awaiting at once")
    args = parser.parse_args(argv)
    if args.count < args.concurrency or args.concurrency < 1:
        parser.error("--count must be at least --concurrency, which must be at least 1")

    worker = EchoWorker()
    try:
        print(f"aioxide bridge demo: {args.count:,} completions from a Rust worker thread")
        for name, factory in _loop_factories().items():
            loop = factory()
            try:
                per_op = loop.run_until_complete(_fan_out(worker, args.count, args.concurrency))
                cancel_time = loop.run_until_complete(_cancellation(worker, 100))
            finally:
                loop.close()
            print(
                f"  {name:8} {args.concurrency} tasks in flight: "
                f"{per_op * 1e6:6.2f} µs per completion; "
                f"100 one-minute operations cancelled in {cancel_time * 1e3:.0f} ms"
            )
        _threads(worker, threads=4, count=max(args.count // 16, 1))
        print("  4 event loops in 4 threads sharing one worker: every result reached its loop")
        started, completed, cancelled = worker.stats()
        print(
            f"  worker totals: {started:,} started, {completed:,} completed, {cancelled} cancelled"
        )
    except DemoFailure as failure:
        print(f"demo failed: {failure}", file=sys.stderr)
        return 1
    finally:
        worker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
