"""The process pool as a hypothesis state machine.

Random sequences of calls that return, raise, return something that cannot
be pickled, run for a while and get cancelled, and children killed in the
middle (SIGKILL, exit, segfault). Whatever happens, every call is answered
exactly once — with its result, its own exception, ``WorkerCrashed`` when a
child died under it, or ``CancelledError`` when it was cancelled — nothing
hangs, later calls still work, and no child outlives the pool.

Examples: ``AIOXIDE_POOL_EXAMPLES`` (25 in ``make test``, fixed seed; more
with ``HYPOTHESIS_PROFILE=fuzz``, as ``make fuzz`` runs it).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import mp_helpers as h
from aioxide.multiprocess import Pool, WorkerCrashed

EXAMPLES = int(os.environ.get("AIOXIDE_POOL_EXAMPLES", "25"))
SETTLE_SECONDS = 60


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class PoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.pool = self.loop.run_until_complete(self._open())
        # (task, what the call must give: ("value", v) | ("raises", type))
        self.calls: list[tuple[asyncio.Task[Any], tuple[str, Any]]] = []
        self.killed = False
        self.pids: set[int] = set()

    async def _open(self) -> Pool:
        return Pool(2, childconcurrency=4)

    def _submit(self, make: Any, expected: tuple[str, Any]) -> asyncio.Task[Any]:
        # The call is made inside the loop (the pool's methods need one).
        async def call() -> Any:
            return await make()

        task = self.loop.create_task(call())
        self.calls.append((task, expected))
        return task

    def _turn(self) -> None:
        # One turn of the loop: what has arrived is delivered.
        self.loop.run_until_complete(asyncio.sleep(0))

    @rule(x=st.integers(-1000, 1000))
    def returns(self, x: int) -> None:
        self._submit(lambda: self.pool.apply(h.double, (x,)), ("value", 2 * x))

    @rule(xs=st.lists(st.integers(-50, 50), max_size=20))
    def maps(self, xs: list[int]) -> None:
        self._submit(lambda: self.pool.map(h.double, xs), ("value", [2 * x for x in xs]))

    @rule(kind=st.sampled_from(["value", "custom", "key"]))
    def raises(self, kind: str) -> None:
        expected = {"value": ValueError, "custom": h.CustomError, "key": KeyError}[kind]
        self._submit(lambda: self.pool.apply(h.fail, (kind,)), ("raises", expected))

    @rule()
    def unpicklable_result(self) -> None:
        self._submit(lambda: self.pool.apply(h.return_lock), ("raises", TypeError))

    @rule(x=st.integers(0, 9))
    def slow_then_cancelled(self, x: int) -> None:
        task = self._submit(
            lambda: self.pool.apply(h.sleep_return, (x, 30.0)), ("raises", asyncio.CancelledError)
        )
        self._turn()
        task.cancel()

    @rule(how=st.sampled_from(["kill", "exit", "segfault"]))
    def a_child_dies(self, how: str) -> None:
        self.killed = True
        self._submit(lambda: self.pool.apply(h.die, (how,)), ("raises", WorkerCrashed))

    @rule()
    def loop_turns(self) -> None:
        self._turn()

    @precondition(lambda self: len(self.calls) > 0)
    @rule()
    def settle(self) -> None:
        tasks = [task for task, _ in self.calls]
        self.loop.run_until_complete(asyncio.wait(tasks, timeout=SETTLE_SECONDS))
        for task, expected in self.calls:
            assert task.done(), "a call was never answered"
            self._check(task, expected)
        self.calls.clear()
        self.killed = False

        # The pool still works, and its children are known.
        async def pids() -> list[int]:
            return await self.pool.map(h.pid_after, [0.01] * 4, chunksize=1)

        self.pids.update(self.loop.run_until_complete(pids()))

    def _check(self, task: asyncio.Task[Any], expected: tuple[str, Any]) -> None:
        kind, want = expected
        if task.cancelled():
            assert want is asyncio.CancelledError, "a call was cancelled that nobody cancelled"
            return
        error = task.exception()
        if error is None:
            assert kind == "value", f"expected {want}, got {task.result()!r}"
            assert task.result() == want
            return
        if isinstance(error, WorkerCrashed) and self.killed:
            return  # a child died while this call was on it
        assert kind == "raises", f"expected {want!r}, got {error!r}"
        assert isinstance(error, want), f"expected {want}, got {error!r}"

    @invariant()
    def answered_at_most_once(self) -> None:
        # asyncio guarantees a task completes once; what must never happen
        # is a call answered for another (results travel by id).
        for task, (kind, want) in self.calls:
            if task.done() and not task.cancelled() and task.exception() is None:
                assert kind == "value"
                assert task.result() == want

    def teardown(self) -> None:
        try:
            if self.calls:
                self.settle()
            self.pool.close()
            self.loop.run_until_complete(asyncio.wait_for(self.pool.join(), SETTLE_SECONDS))
        finally:
            self.loop.close()
        # join() returned: every child has exited and been reaped.
        assert not any(alive(pid) for pid in self.pids), "a pool child outlived its pool"


PoolMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=12,
    derandomize=os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
test_pool_state_machine = PoolMachine.TestCase
