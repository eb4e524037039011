"""aioxide.itertools: the fixes over aioitertools and the new helpers.

aioitertools' own suite runs in tests/upstream; these tests cover what it
does not: each upstream defect (numbered as in the anchors, B1..B15), the
new functions, early exit and cancellation."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from aioxide import itertools as ait
from aioxide.itertools import asyncio as aio
from aioxide.itertools import more_itertools as mit

Run = Callable[[Coroutine[Any, Any, Any]], Any]


async def agen(n: int, delay: float = 0.0) -> AsyncIterator[int]:
    for i in range(n):
        if delay:
            await asyncio.sleep(delay)
        yield i


async def failing_after(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i
    raise KeyError("source broke")


def test_zip_raises_source_errors_and_is_empty_without_arguments(run: Run) -> None:  # B1, B2
    async def main() -> None:
        it = ait.zip(failing_after(2), agen(10))
        assert await ait.next(it) == (0, 0)
        assert await ait.next(it) == (1, 1)
        with pytest.raises(KeyError, match="source broke"):
            await ait.next(it)
        assert await ait.list(ait.zip()) == []

    run(main())


def test_cycle_of_nothing_ends(run: Run) -> None:  # B3
    async def main() -> None:
        assert await ait.list(ait.cycle([])) == []
        assert await ait.list(ait.cycle(agen(0))) == []
        assert await mit.take(5, ait.cycle([1, 2])) == [1, 2, 1, 2, 1]

    run(main())


@pytest.mark.parametrize("limit", [0, -2, 1.5, True])
def test_gather_rejects_bad_limits(run: Run, limit: Any) -> None:  # B4
    async def main() -> None:
        coro = asyncio.sleep(0)
        with pytest.raises(ValueError, match="limit must be"):
            await aio.gather(coro, limit=limit)
        coro.close()

    run(main())


def test_gather_limit_none_means_unbounded(run: Run) -> None:
    async def main() -> list[int]:
        return await aio.gather(*(asyncio.sleep(0, i) for i in range(5)), limit=None)  # type: ignore[arg-type]

    assert run(main()) == [0, 1, 2, 3, 4]


class Alive:
    """Counts the coroutines running at once, and the most there were."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    async def work(self, i: int, pause: float = 0.0) -> int:
        self.now += 1
        self.peak = max(self.peak, self.now)
        await asyncio.sleep(pause)
        self.now -= 1
        return i


def test_gather_never_has_more_than_limit_alive(run: Run) -> None:
    alive = Alive()

    async def main() -> list[int]:
        return await aio.gather(*(alive.work(i, 0.001 * (i % 3)) for i in range(200)), limit=7)

    assert run(main()) == list(range(200))
    assert alive.peak == 7


def test_gather_starts_every_input_without_waiting_for_any_to_finish(run: Run) -> None:
    # Nothing finishes until the last of 1,000 inputs has started: the waves
    # of task creation must go on while every earlier task is still blocked.
    n = 1_000
    started = 0
    all_started = asyncio.Event()

    async def work(i: int) -> int:
        nonlocal started
        started += 1
        if started == n:
            all_started.set()
        await all_started.wait()
        return i

    async def main() -> list[int]:
        return await asyncio.wait_for(aio.gather(*(work(i) for i in range(n))), 10)

    assert run(main()) == list(range(n))


def test_gather_of_short_coroutines_keeps_few_tasks_alive(run: Run) -> None:
    # Unbounded, but tasks are created a wave per loop iteration, so
    # coroutines that finish at once never pile up: 20,000 of them run with
    # at most a few waves alive at a time.
    alive = Alive()

    async def main() -> list[int]:
        return await aio.gather(*(alive.work(i) for i in range(20_000)))

    assert run(main()) == list(range(20_000))
    assert 0 < alive.peak <= 2 * aio._WAVE


def test_cancelling_gather_between_waves_starts_no_more(run: Run) -> None:
    started: list[int] = []
    first_wave = asyncio.Event()

    async def work(i: int) -> None:
        started.append(i)
        if len(started) == aio._WAVE:
            first_wave.set()
        await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.ensure_future(aio.gather(*(work(i) for i in range(10 * aio._WAVE))))
        await first_wave.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        count = len(started)
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(started) == count < 10 * aio._WAVE

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "coroutine was never awaited"
        run(main())
        gc.collect()


def test_gather_return_exceptions_keeps_cancelled_inputs(run: Run) -> None:  # B6
    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        cancelled = loop.create_future()
        cancelled.cancel()
        return await aio.gather(asyncio.sleep(0, "ok"), cancelled, return_exceptions=True)

    ok, cancelled = run(main())
    assert ok == "ok"
    assert isinstance(cancelled, asyncio.CancelledError)


def test_gather_failure_cancels_siblings_and_closes_unstarted(run: Run) -> None:  # B7
    started: list[int] = []
    finished: list[int] = []

    async def work(i: int) -> int:
        started.append(i)
        if i == 1:
            raise ValueError("one failed")
        await asyncio.sleep(10)
        finished.append(i)
        return i

    async def main() -> None:
        with pytest.raises(ValueError, match="one failed"):
            await aio.gather(*(work(i) for i in range(10)), limit=3)
        await asyncio.sleep(0)

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "coroutine was never awaited"
        run(main())
        gc.collect()
    assert started == [0, 1, 2]
    assert finished == []


def test_cancelling_gather_cancels_its_tasks(run: Run) -> None:
    cancelled: list[int] = []
    started: list[int] = []
    both_started = asyncio.Event()

    async def work(i: int) -> None:
        started.append(i)
        if len(started) == 2:
            both_started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(i)
            raise

    async def main() -> None:
        task = asyncio.ensure_future(aio.gather(*(work(i) for i in range(4)), limit=2))
        await both_started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert sorted(cancelled) == [0, 1]


def test_gather_iter_passes_plain_values_and_repeats(run: Run) -> None:
    async def main() -> list[Any]:
        shared = asyncio.ensure_future(asyncio.sleep(0, "s"))
        return await aio.gather_iter([1, shared, asyncio.sleep(0, 2), shared], limit=2)

    assert run(main()) == [1, "s", 2, "s"]


def test_as_generated_propagates_consumer_cancellation(run: Run) -> None:  # B8
    async def main() -> None:
        seen: list[int] = []
        some_seen = asyncio.Event()

        async def consume() -> None:
            async for value in aio.as_generated([agen(100, 0.01), agen(100, 0.01)]):
                seen.append(value)
                if len(seen) == 4:
                    some_seen.set()

        task = asyncio.ensure_future(consume())
        await some_seen.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert seen
        assert len(seen) < 200

    run(main())


def test_as_generated_errors_raise_or_are_returned(run: Run) -> None:
    async def main() -> None:
        with pytest.raises(KeyError):
            await ait.list(aio.as_generated([failing_after(3), agen(3)]))
        values = await ait.list(aio.as_generated([failing_after(1)], return_exceptions=True))
        assert values[0] == 0
        assert isinstance(values[1], KeyError)

    run(main())


def test_merge_interleaves_as_items_arrive(run: Run) -> None:
    async def slow() -> AsyncIterator[str]:
        await asyncio.sleep(0.05)
        yield "slow"

    async def fast() -> AsyncIterator[str]:
        yield "fast1"
        yield "fast2"

    async def main() -> list[str]:
        return await ait.list(aio.merge(slow(), fast(), ["sync"]))

    merged = run(main())
    assert sorted(merged) == ["fast1", "fast2", "slow", "sync"]
    assert merged[-1] == "slow"


def test_repeat_with_negative_count_is_empty(run: Run) -> None:  # B9
    async def main() -> None:
        assert await ait.list(ait.repeat("x", -5)) == []
        assert await ait.list(ait.repeat("x", 0)) == []
        assert await mit.take(3, ait.repeat("x")) == ["x", "x", "x"]

    run(main())


@pytest.mark.parametrize("args", [(-1,), (0, -1), (1, 5, 0), (1, 5, -1)])
def test_islice_rejects_negative_and_zero_step(run: Run, args: tuple[int, ...]) -> None:  # B10
    async def main() -> None:
        with pytest.raises(ValueError, match="islice"):
            await ait.list(ait.islice(range(10), *args))

    run(main())


def test_tee_copies_read_in_any_order(run: Run) -> None:  # B12
    async def main() -> None:
        a, b, c = ait.tee(agen(5), 3)
        assert await ait.list(c) == [0, 1, 2, 3, 4]  # the last copy first
        assert await ait.list(a) == [0, 1, 2, 3, 4]
        assert await ait.next(b) == 0
        assert await ait.list(b) == [1, 2, 3, 4]

    run(main())


def test_tee_with_limit_keeps_copies_close(run: Run) -> None:
    async def main() -> list[tuple[int, int]]:
        a, b = ait.tee(agen(50), limit=3)
        return await ait.list(ait.zip(a, b))

    assert run(main()) == [(i, i) for i in range(50)]


def test_tee_errors_reach_every_copy(run: Run) -> None:
    async def main() -> None:
        a, b = ait.tee(failing_after(2))
        with pytest.raises(KeyError):
            await ait.list(a)
        assert await ait.next(b) == 0
        assert await ait.next(b) == 1
        with pytest.raises(KeyError):
            await ait.next(b)

    run(main())


def test_all_and_any_short_circuit(run: Run) -> None:  # B13
    consumed: list[int] = []

    async def tracked(values: list[int]) -> AsyncIterator[int]:
        for v in values:
            consumed.append(v)
            yield v

    async def main() -> None:
        assert not await ait.all(tracked([1, 0, 1, 1]))
        assert consumed == [1, 0]
        consumed.clear()
        assert await ait.any(tracked([0, 2, 0, 0]))
        assert consumed == [0, 2]
        assert await ait.all([asyncio.sleep(0, 1), 1])  # awaitable items are awaited

    run(main())


def test_accumulate_initial(run: Run) -> None:  # B15
    async def main() -> None:
        assert await ait.list(ait.accumulate([1, 2, 3], initial=10)) == [10, 11, 13, 16]
        assert await ait.list(ait.accumulate([], initial=10)) == [10]

    run(main())


def test_map_of_several_iterables_and_async_key_for_max(run: Run) -> None:  # B15
    async def key(x: int) -> int:
        return -x

    async def main() -> None:
        assert await ait.list(ait.map(lambda a, b: a + b, [1, 2], agen(5))) == [1, 3]
        assert await ait.max([1, 5, 3], key=key) == 1

    run(main())


def test_map_with_limit_is_bounded_and_ordered_or_not(run: Run) -> None:
    alive = 0
    peak = 0

    async def slow_double(x: int) -> int:
        nonlocal alive, peak
        alive += 1
        peak = max(peak, alive)
        await asyncio.sleep(0.001 * (5 - x % 5))
        alive -= 1
        return x * 2

    async def main() -> None:
        nonlocal peak
        ordered = await ait.list(ait.map(slow_double, range(30), limit=4))
        assert ordered == [x * 2 for x in range(30)]
        assert peak <= 4
        peak = 0
        unordered = await ait.list(ait.map(slow_double, range(30), limit=4, ordered=False))
        assert sorted(unordered) == [x * 2 for x in range(30)]
        assert unordered != ordered  # slower items came later
        assert peak <= 4
        with pytest.raises(ValueError, match="limit"):
            ait.map(slow_double, range(3), limit=0)

    run(main())


def test_map_with_limit_early_exit_cancels_running_calls(run: Run) -> None:
    cancelled = 0

    async def slow(x: int) -> int:
        nonlocal cancelled
        try:
            await asyncio.sleep(0.01 if x == 0 else 10)
        except asyncio.CancelledError:
            cancelled += 1
            raise
        return x

    async def main() -> None:
        it = ait.map(slow, range(100), limit=5)
        assert await ait.next(it) == 0
        await it.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0)

    run(main())
    assert cancelled == 4


def test_batched_flushes_partial_batches_after_timeout(run: Run) -> None:
    async def bursts() -> AsyncIterator[int]:
        for i in range(3):
            yield i
        await asyncio.sleep(0.2)
        for i in range(3, 5):
            yield i

    async def main() -> list[tuple[int, ...]]:
        return await ait.list(ait.batched(bursts(), 10, timeout=0.05))

    assert run(main()) == [(0, 1, 2), (3, 4)]


def test_as_completed_async_for_sync_for_and_timeout(run: Run) -> None:
    async def main() -> None:
        aws = [asyncio.sleep(0.03, "slow"), asyncio.sleep(0.0, "fast")]
        assert [r async for r in aio.as_completed(aws)] == ["fast", "slow"]
        results = []
        for next_done in aio.as_completed([asyncio.sleep(0.02, 2), asyncio.sleep(0, 1)]):
            results.append(await next_done)
        assert results == [1, 2]
        late = aio.as_completed([asyncio.sleep(10, "never"), asyncio.sleep(0, "now")], timeout=0.05)
        assert await late.__anext__() == "now"
        with pytest.raises(asyncio.TimeoutError):
            await late.__anext__()

    run(main())


def test_early_exit_from_async_for(run: Run) -> None:
    async def main() -> None:
        seen = []
        async for i, v in ait.enumerate(ait.filterfalse(lambda x: x % 2, agen(100))):
            seen.append((i, v))
            if i == 2:
                break
        assert seen == [(0, 0), (1, 2), (2, 4)]

    run(main())


def test_exceptions_from_callables_propagate(run: Run) -> None:
    async def boom(x: int) -> bool:
        raise RuntimeError(f"bad {x}")

    async def main() -> None:
        for make in (
            lambda: ait.map(boom, [1]),
            lambda: ait.filterfalse(boom, [1]),
            lambda: ait.takewhile(boom, [1]),
            lambda: ait.dropwhile(boom, [1]),
            lambda: ait.accumulate([1, 2], lambda a, b: boom(a)),
        ):
            with pytest.raises(RuntimeError, match="bad"):
                await ait.list(make())

    run(main())


def test_cancellation_in_the_middle_of_iteration(run: Run) -> None:
    async def main() -> None:
        midway = asyncio.Event()

        async def consume() -> None:
            async for x in ait.map(lambda x: x, agen(1000, 0.001)):
                if x == 10:
                    midway.set()

        task = asyncio.ensure_future(consume())
        await midway.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())


# -- the native combinators ---------------------------------------------------


async def slow_agen(n: int) -> AsyncIterator[int]:
    for i in range(n):
        await asyncio.sleep(0)
        yield i


def test_native_combinators_drive_async_callables_and_sources(run: Run) -> None:
    async def is_odd(x: int) -> bool:
        await asyncio.sleep(0)
        return bool(x & 1)

    async def add(a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a + b

    async def main() -> None:
        assert await ait.list(ait.filterfalse(is_odd, slow_agen(6))) == [0, 2, 4]
        assert await ait.list(ait.takewhile(lambda x: x < 3, slow_agen(6))) == [0, 1, 2]
        assert await ait.list(ait.dropwhile(is_odd, [1, 3, 4, 5])) == [4, 5]
        assert await ait.list(ait.accumulate(slow_agen(4), add, initial=10)) == [10, 10, 11, 13, 16]
        assert await ait.list(ait.zip(slow_agen(3), "abc", slow_agen(9))) == [
            (0, "a", 0),
            (1, "b", 1),
            (2, "c", 2),
        ]
        nested = ait.chain.from_iterable(ait.map(lambda n: slow_agen(n), slow_agen(4)))
        assert await ait.list(nested) == [0, 0, 1, 0, 1, 2]
        assert await ait.list(ait.batched(slow_agen(5), 2)) == [(0, 1), (2, 3), (4,)]
        with pytest.raises(ValueError, match="incomplete batch"):
            await ait.list(ait.batched(range(5), 2, strict=True))

    run(main())


def test_native_cancellation_reaches_the_awaited_callable(run: Run) -> None:
    cancelled = []
    entered = asyncio.Event()

    async def forever(x: int) -> int:
        entered.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(x)
            raise
        return x

    async def main() -> None:
        it = ait.map(forever, [7])
        task = asyncio.ensure_future(ait.next(it))
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert cancelled == [7]


def test_native_awaitables_are_single_use_and_not_reentrant(run: Run) -> None:
    async def main() -> None:
        it = ait.map(lambda x: x, slow_agen(3))
        first = it.__anext__()
        second = it.__anext__()
        assert await first == 0
        with pytest.raises(RuntimeError, match="already awaited"):
            await first
        assert await second == 1
        # Two awaits in flight on one iterator: the second is refused.
        racing = ait.map(lambda x: x, slow_agen(3))
        a = asyncio.ensure_future(racing.__anext__())
        b = asyncio.ensure_future(racing.__anext__())
        results = await asyncio.gather(a, b, return_exceptions=True)
        assert 0 in results
        assert any(isinstance(r, RuntimeError) for r in results)

    run(main())


def test_chain_passes_items_suspensions_and_errors_through(run: Run) -> None:
    started: list[str] = []

    async def failing() -> AsyncIterator[int]:
        started.append("failing")
        await asyncio.sleep(0)
        yield 10
        raise KeyError("source broke")

    class Never:
        def __iter__(self) -> Any:
            started.append("never")
            return iter([99])

    async def main() -> None:
        it = ait.chain(slow_agen(2), [5], failing(), Never())
        assert [await ait.next(it) for _ in range(4)] == [0, 1, 5, 10]
        with pytest.raises(KeyError, match="source broke"):
            await ait.next(it)
        # The error ends the chain: the iterable after it is never started.
        with pytest.raises(StopAsyncIteration):
            await ait.next(it)
        assert started == ["failing"]

    run(main())


def test_a_source_reaching_back_into_its_own_chain_is_refused(run: Run) -> None:
    async def reentrant() -> AsyncIterator[int]:
        yield 1
        await ait.next(it)  # the chain is in the middle of this very step
        yield 2

    async def closing() -> AsyncIterator[int]:
        yield 1
        await closer.aclose()  # type: ignore[attr-defined]
        yield 2

    it = ait.chain(reentrant())
    closer = ait.chain(closing(), [3])

    async def main() -> None:
        assert await ait.next(it) == 1
        with pytest.raises(RuntimeError, match="already running"):
            await ait.next(it)
        # aclose() from inside a step is refused too, and nothing is lost:
        # the error ends the chain like any source error.
        assert await ait.next(closer) == 1
        with pytest.raises(RuntimeError, match="already running"):
            await ait.next(closer)
        with pytest.raises(StopAsyncIteration):
            await ait.next(closer)

    run(main())


def test_a_collection_in_the_middle_of_a_step_is_safe() -> None:
    import weakref

    class Holder:
        it: Any = None

    async def collecting(holder: Holder) -> AsyncIterator[int]:
        for i in range(3):
            # Runs while the chain's state is in use; the chain is in a
            # cycle (holder -> chain -> this generator -> holder).
            gc.collect()
            yield i

    async def main() -> weakref.ref[Holder]:
        holder = Holder()
        holder.it = ait.chain(collecting(holder), [3])
        assert [await ait.next(holder.it) for _ in range(2)] == [0, 1]
        # Left in the middle: the cycle runs through the chain's state.
        return weakref.ref(holder)

    ref = asyncio.run(main())
    gc.collect()
    assert ref() is None


def test_native_errors_end_the_iteration(run: Run) -> None:
    async def main() -> None:
        it = ait.map(lambda x: 1 // (x - 1), range(5))
        assert await ait.next(it) == -1
        with pytest.raises(ZeroDivisionError):
            await ait.next(it)
        with pytest.raises(StopAsyncIteration):
            await ait.next(it)
        with pytest.raises(TypeError, match="not iterable"):
            ait.map(str, 5)

    run(main())


def test_native_aclose_closes_an_async_source(run: Run) -> None:
    closed = []

    async def tracked() -> AsyncIterator[int]:
        try:
            for i in range(100):
                yield i
        finally:
            closed.append(True)

    async def main() -> None:
        it = ait.enumerate(tracked())
        assert await ait.next(it) == (0, 0)
        await it.aclose()  # type: ignore[attr-defined]
        with pytest.raises(StopAsyncIteration):
            await ait.next(it)

    run(main())
    assert closed == [True]


def test_native_iterators_in_reference_cycles_are_collected() -> None:
    import weakref

    class Holder:
        pass

    async def main() -> weakref.ref[Holder]:
        holder = Holder()
        holder.it = ait.map(lambda x: holder, range(3))  # type: ignore[attr-defined]
        return weakref.ref(holder)

    ref = asyncio.run(main())
    gc.collect()
    assert ref() is None


def test_native_compress_groupby_zip_longest_cycle_with_async_inputs(run: Run) -> None:
    async def key(x: int) -> int:
        await asyncio.sleep(0)
        return x // 3

    async def main() -> None:
        assert await ait.list(ait.compress(slow_agen(6), slow_agen(6))) == [1, 2, 3, 4, 5]
        assert await ait.list(ait.compress("abcd", [1, 0, 1])) == ["a", "c"]
        grouped = await ait.list(ait.groupby(slow_agen(7), key))
        assert grouped == [(0, [0, 1, 2]), (1, [3, 4, 5]), (2, [6])]
        assert await ait.list(ait.groupby("aabbba")) == [
            ("a", ["a", "a"]),
            ("b", ["b", "b", "b"]),
            ("a", ["a"]),
        ]
        assert await ait.list(ait.zip_longest(slow_agen(2), "xyz", fillvalue="-")) == [
            (0, "x"),
            (1, "y"),
            ("-", "z"),
        ]
        assert await mit.take(5, ait.cycle(slow_agen(2))) == [0, 1, 0, 1, 0]
        assert await mit.take(3, ait.count(0.5, 0.25)) == [0.5, 0.75, 1.0]

    run(main())


def test_deeply_nested_native_combinators_raise_recursion_error(run: Run) -> None:
    # `stream = chain(stream, batch)` per batch, 10,000 times, overflowed the
    # stack (a segfault); aioitertools raises RecursionError. So do we, and
    # a shallower nesting still works.
    async def main() -> None:
        stream: Any = ait.chain([0])
        for i in range(10_000):
            stream = ait.chain(stream, [i])
        with pytest.raises(RecursionError, match="nesting depth of native async iterators"):
            [x async for x in stream]
        shallow: Any = ait.chain([0])
        for i in range(500):
            shallow = ait.map(lambda x: x, ait.chain(shallow, [i]))
        assert len([x async for x in shallow]) == 501

    run(main())


def test_nesting_is_bounded_by_the_threads_stack_too() -> None:
    # A thread with a small stack reaches its end long before the layer
    # limit: RecursionError, not a segfault.
    outcome: list[BaseException] = []

    def in_thread() -> None:
        async def main() -> None:
            stream: Any = ait.chain([0])
            for i in range(1_999):
                stream = ait.chain(stream, [i])
            [x async for x in stream]

        try:
            asyncio.run(main())
        except BaseException as err:
            outcome.append(err)

    old = threading.stack_size(512 * 1024)
    try:
        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old)
    assert len(outcome) == 1
    assert isinstance(outcome[0], RecursionError), outcome
    assert "stack is nearly used up" in str(outcome[0])
