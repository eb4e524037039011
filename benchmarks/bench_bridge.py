"""The asyncio bridge: cost per completion delivered from a worker thread.

Contenders, each a worker thread handing results to awaiting tasks:
- aioxide port: `EchoWorker.submit`, delivered through the completion port;
- Rust thread, per-result call_soon_threadsafe: the same Rust worker, but it
  attaches to the interpreter and calls `loop.call_soon_threadsafe` per result;
- Python thread, per-result call_soon_threadsafe: a `threading.Thread` doing
  the same, which is how aiosqlite delivers results.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aioxide.bridge import EchoWorker

from .harness import Case, Floor, Measurement, Suite, format_time

PORT = "aioxide port"
RUST_CST = "Rust thread, call_soon_threadsafe per result"
PY_CST = "Python thread, call_soon_threadsafe per result"
CONTENDERS = [PORT, RUST_CST, PY_CST]


class PythonWorker:
    """A plain Python worker thread resolving futures one call_soon_threadsafe each."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[tuple[asyncio.Future[Any], Any] | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            future, value = job
            future.get_loop().call_soon_threadsafe(future.set_result, value)

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def make_call(contender: str) -> tuple[Callable[[int], Awaitable[Any]], Callable[[], None]]:
    if contender == PORT:
        echo = EchoWorker()
        return echo.submit, echo.close
    if contender == RUST_CST:
        echo = EchoWorker()

        def rust_call(value: int) -> Awaitable[Any]:
            future = asyncio.get_running_loop().create_future()
            echo.submit_threadsafe(future, value)
            return future

        return rust_call, echo.close
    py = PythonWorker()

    def py_call(value: int) -> Awaitable[Any]:
        future = asyncio.get_running_loop().create_future()
        py.jobs.put((future, value))
        return future

    return py_call, py.close


def in_flight(loop_kind: str, tasks: int) -> Callable[[str, bool], float]:
    def run(contender: str, quick: bool) -> float:
        per_task = (300 if quick else 1_500) if tasks > 1 else (1_000 if quick else 4_000)
        call, close = make_call(contender)

        async def one() -> None:
            for i in range(per_task):
                await call(i)

        async def main() -> float:
            await one()  # warm the port and the worker
            start = time.perf_counter()
            await asyncio.gather(*[one() for _ in range(tasks)])
            return (time.perf_counter() - start) / (tasks * per_task)

        loop = new_loop(loop_kind)
        try:
            return loop.run_until_complete(main())
        finally:
            loop.close()
            close()

    return run


def _port_floor(results: dict[tuple[str, str], Measurement]) -> tuple[str, bool]:
    case = "64 in flight, asyncio"
    port = results[(case, PORT)].median
    py = results[(case, PY_CST)].median
    ratio = port / py
    figure = f"{format_time(port)} per completion, {ratio:.2f}x the Python-thread baseline"
    return figure, port <= 2e-6 and ratio <= 0.5


SUITE = Suite(
    module="bridge",
    title="Bridge: completions from a worker thread to asyncio",
    notes=(
        "Per completion: a task submits to the worker and awaits the result. "
        "*N in flight* = N tasks each awaiting one result at a time. The anchors "
        "are the two per-result `call_soon_threadsafe` designs the port replaces."
    ),
    cases=[
        Case(f"{n} in flight, {kind}", CONTENDERS, {RUST_CST, PY_CST}, in_flight(kind, n))
        for kind in ("asyncio", "uvloop")
        for n in (64, 1)
    ],
    floors=[
        Floor(
            # Round 2 (issue #18): 2 µs per completion (round 1: 5 µs).
            "port at 64 in flight on asyncio: <= 2 µs per completion and <= 0.5x the "
            "Python-thread call_soon_threadsafe baseline",
            _port_floor,
        )
    ],
)
