"""A pool child's native loop for calls that cannot suspend
(``_core.run_ready_calls``, used by ``multiprocess._runner``): the same
results, errors and context isolation as running each call as a task."""

from __future__ import annotations

import asyncio
import contextvars
import pickle
from typing import Any

from aioxide._core import run_ready_calls
from aioxide.multiprocess import _runner, _wire

seen: contextvars.ContextVar[int] = contextvars.ContextVar("seen", default=0)
calls_made: list[int] = []


async def sets_and_reads(x: int) -> int:
    before = seen.get()
    seen.set(x)  # must not leak into the next call
    return before


async def fails_on_odd(x: int) -> int:
    if x % 2:
        raise ValueError(f"odd {x}")
    return x


async def counted(x: int) -> int:
    calls_made.append(x)
    return x * 10


async def waits(x: int) -> int:
    await asyncio.sleep(0)
    return x


def test_each_call_runs_in_its_own_copy_of_the_context() -> None:
    seen.set(7)
    calls = [((i,), None) for i in range(1, 5)]
    values, failures, rest = run_ready_calls(sets_and_reads, calls, sets_and_reads.__code__, False)
    assert values == [7, 7, 7, 7]
    assert failures == []
    assert rest == []
    assert seen.get() == 7


def test_failures_are_reported_by_index_with_the_exception() -> None:
    calls = [((i,), None) for i in range(4)]
    values, failures, rest = run_ready_calls(fails_on_odd, calls, fails_on_odd.__code__, False)
    assert values == [0, None, 2, None]
    assert [(i, type(e), str(e)) for i, e in failures] == [
        (1, ValueError, "odd 1"),
        (3, ValueError, "odd 3"),
    ]
    assert rest == []


def test_keyword_arguments_and_bad_arguments() -> None:
    calls = [((), {"x": 2}), ((1, 2), None)]
    values, failures, _ = run_ready_calls(fails_on_odd, calls, fails_on_odd.__code__, False)
    assert values[0] == 2
    [(index, err)] = failures
    assert index == 1
    assert isinstance(err, TypeError)


def test_a_call_of_other_code_is_handed_back_called_once() -> None:
    calls_made.clear()
    calls = [((i,), None) for i in range(3)]
    values, failures, rest = run_ready_calls(counted, calls, waits.__code__, False)
    assert values == [None, None, None]
    assert failures == []
    assert [i for i, _ in rest] == [0, 1, 2]
    for _, coro in rest:
        assert asyncio.run(coro) in (0, 10, 20)
    assert calls_made == [0, 1, 2]  # called exactly once each


def test_a_malformed_call_fails_alone() -> None:
    calls = [[(1,), None], ((2,), None)]
    values, failures, _ = run_ready_calls(counted, calls, counted.__code__, False)
    assert values == [None, 20]
    [(index, err)] = failures
    assert index == 0
    assert isinstance(err, TypeError)
    assert "(args, kwargs) tuple" in str(err)


def test_single_argument_calls_as_map_sends_them() -> None:
    values, failures, rest = run_ready_calls(fails_on_odd, [0, 1, 2], fails_on_odd.__code__, True)
    assert values == [0, None, 2]
    assert [i for i, _ in failures] == [1]
    assert rest == []


def _run_batch(func: Any, calls: list[Any]) -> Any:
    async def main() -> Any:
        replies: list[bytes] = []
        done = asyncio.Event()

        def reply(ident: int, payload: _wire.Payload) -> None:
            replies.append(_wire.joined(payload))
            done.set()

        runner = _runner.BatchRunner(_runner.ChildOptions(concurrency=4), reply, lambda: None)
        runner.start_batch(1, _wire.dumps((func, calls, None, False)))
        runner.pump()
        await asyncio.wait_for(done.wait(), 10)
        return pickle.loads(replies[0])

    return asyncio.run(main())


def test_the_runner_gives_the_same_answer_native_and_as_tasks() -> None:
    calls = [((i,), None) for i in range(20)]
    native = _run_batch(fails_on_odd, calls)  # never suspends: native loop
    assert native[0] == "values"
    assert native[1] == [i if i % 2 == 0 else None for i in range(20)]
    assert sorted(native[2]) == list(range(1, 20, 2))
    as_tasks = _run_batch(waits, calls)  # suspends: tasks
    assert as_tasks[1] == list(range(20))
    assert as_tasks[2] == {}
