"""Async iterables whose ``__aiter__`` does not return themselves.

``async for`` calls ``__aiter__()`` and steps what it returns. aiobotocore's
paginators are shaped like ``Paginated`` below: ``__aiter__`` returns an async
generator, and ``__anext__`` is itself an async *generator* function, so
stepping the object directly (calling its ``__anext__``) yields an async
generator instead of an item. Every function must go through ``__aiter__``,
as Python and aioitertools do; each result is compared with aioitertools'."""

from __future__ import annotations

import asyncio
import operator
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import Any

import aioitertools
import aioitertools.asyncio
import aioitertools.more_itertools
import pytest

import aioxide.itertools as ait
import aioxide.itertools.asyncio as aitasyncio
import aioxide.itertools.more_itertools as aitmore

Run = Callable[[Coroutine[Any, Any, Any]], Any]


class Paginated:
    """aiobotocore's PageIterator protocol: pages of a listing."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __aiter__(self) -> AsyncGenerator[Any, None]:
        return self.__anext__()

    async def __anext__(self) -> AsyncGenerator[Any, None]:  # type: ignore[misc]
        for item in self.items:
            await asyncio.sleep(0)
            yield item


async def drain(result: Any) -> Any:
    if hasattr(result, "__aiter__"):
        return [x async for x in result]
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        return await result
    return result


def pages(n: int = 6) -> Paginated:
    return Paginated(list(range(n)))


async def plain(n: int = 6) -> AsyncGenerator[int, None]:
    for item in range(n):
        await asyncio.sleep(0)
        yield item


async def is_even(x: int) -> bool:
    return x % 2 == 0


# name -> call taking (module namespace, fresh iterable factory)
CASES: dict[str, Callable[[Any, Callable[..., Any]], Any]] = {
    "iter": lambda m, p: m.iter(p()),
    "list": lambda m, p: m.list(p()),
    "tuple": lambda m, p: m.tuple(p()),
    "set": lambda m, p: m.set(p()),
    "sum": lambda m, p: m.sum(p()),
    "min": lambda m, p: m.min(p()),
    "max": lambda m, p: m.max(p()),
    "any": lambda m, p: m.any(p()),
    "all": lambda m, p: m.all(p()),
    "enumerate": lambda m, p: m.enumerate(p()),
    "map": lambda m, p: m.map(str, p()),
    "map_async": lambda m, p: m.map(is_even, p()),
    "zip": lambda m, p: m.zip(p(), p()),
    "accumulate": lambda m, p: m.accumulate(p(), operator.add),
    "batched": lambda m, p: m.batched(p(), 4),
    "chain": lambda m, p: m.chain(p(), p()),
    "chain_from_iterable": lambda m, p: m.chain.from_iterable([p(), p()]),
    "combinations": lambda m, p: m.combinations(p(4), 2),
    "combinations_with_replacement": lambda m, p: m.combinations_with_replacement(p(3), 2),
    "compress": lambda m, p: m.compress(p(), [1, 0, 1, 0, 1, 0]),
    "cycle": lambda m, p: m.islice(m.cycle(p(3)), 8),
    "dropwhile": lambda m, p: m.dropwhile(lambda x: x < 3, p()),
    "filterfalse": lambda m, p: m.filterfalse(is_even, p()),
    "groupby": lambda m, p: m.map(lambda kv: kv[0], m.groupby(p(), lambda x: x // 2)),
    "islice": lambda m, p: m.islice(p(), 1, 5, 2),
    "permutations": lambda m, p: m.permutations(p(3)),
    "product": lambda m, p: m.product(p(2), p(2)),
    "starmap": lambda m, p: m.starmap(operator.add, m.zip(p(), p())),
    "takewhile": lambda m, p: m.takewhile(lambda x: x < 3, p()),
    "zip_longest": lambda m, p: m.zip_longest(p(3), p(5), fillvalue=-1),
}


def _tee(m: Any, p: Callable[..., Any]) -> Any:
    async def both() -> Any:
        a, b = m.tee(p())
        return [x async for x in a], [x async for x in b]

    return both()


def _take(m: Any, p: Callable[..., Any]) -> Any:
    return m.take(3, p())


def _chunked(m: Any, p: Callable[..., Any]) -> Any:
    return m.chunked(p(), 4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_function_steps_what_aiter_returns(run: Run, name: str) -> None:
    call = CASES[name]
    expected = run(drain(call(aioitertools, plain)))
    assert run(drain(call(ait, pages))) == expected


@pytest.mark.parametrize(
    ("name", "call"),
    [("tee", _tee), ("take", _take), ("chunked", _chunked)],
)
def test_more_functions_step_what_aiter_returns(run: Run, name: str, call: Any) -> None:
    upstream = aioitertools if name == "tee" else aioitertools.more_itertools
    ours = ait if name == "tee" else aitmore
    expected = run(drain(call(upstream, plain)))
    assert run(drain(call(ours, pages))) == expected


def test_iter_returns_an_async_iterator_as_it_is_like_aioitertools() -> None:
    # aioitertools' own suite pins this (test_iter_iterator); what matters is
    # that everything consuming it goes through __aiter__, as async for does.
    paginator = pages(2)
    assert ait.iter(paginator) is paginator
    assert aioitertools.iter(paginator) is paginator


def test_merge_and_as_generated_take_paginated_sources(run: Run) -> None:
    async def main() -> Any:
        merged = sorted([x async for x in aitasyncio.merge(pages(3), pages(2))])
        generated = sorted([x async for x in aitasyncio.as_generated([pages(3), pages(2)])])
        return merged, generated

    assert run(main()) == ([0, 0, 1, 1, 2], [0, 0, 1, 1, 2])


class NoNext:
    def __aiter__(self) -> object:
        return object()


def test_aiter_returning_a_non_iterator_is_a_type_error_as_in_python(run: Run) -> None:
    async def python() -> str:
        with pytest.raises(TypeError) as info:
            async for _ in NoNext():  # type: ignore[attr-defined]
                pass
        return str(info.value)

    message = run(python())

    async def ours() -> None:
        for make in [lambda: ait.map(str, NoNext()), lambda: ait.chain(NoNext())]:
            with pytest.raises(TypeError, match="does not implement __anext__"):
                await drain(make())

    assert "__anext__" in message
    run(ours())


def _stops(kind: type[BaseException]) -> Callable[[int], int]:
    def fn(*args: int) -> int:
        if args[0] == 2:
            raise kind
        return args[0]

    return fn


def _stops_async(kind: type[BaseException]) -> Callable[..., Any]:
    async def fn(*args: int) -> int:
        if args[0] == 2:
            raise kind
        return args[0]

    return fn


STOPPING_CALLS: dict[str, Callable[[Any, Any], Any]] = {
    "map": lambda m, f: m.map(f, [1, 2, 3]),
    "filterfalse": lambda m, f: m.filterfalse(f, [1, 2, 3]),
    "takewhile": lambda m, f: m.takewhile(f, [1, 2, 3]),
    "dropwhile": lambda m, f: m.dropwhile(lambda x: f(x) if x == 2 else True, [1, 2, 3]),
    "starmap": lambda m, f: m.starmap(f, [(1,), (2,), (3,)]),
}


@pytest.mark.parametrize("name", sorted(STOPPING_CALLS))
@pytest.mark.parametrize("kind", [StopAsyncIteration, StopIteration])
@pytest.mark.parametrize("is_async", [False, True], ids=["sync-fn", "async-fn"])
def test_a_stop_raised_by_a_user_function_is_an_error_not_the_end(
    run: Run, name: str, kind: type[BaseException], is_async: bool
) -> None:
    # It silently ended the stream; aioitertools (and any async generator)
    # raises RuntimeError with the stop as its cause.
    make = _stops_async if is_async else _stops

    async def outcome(module: Any) -> Any:
        seen: list[Any] = []
        try:
            async for x in STOPPING_CALLS[name](module, make(kind)):
                seen.append(x)
        except RuntimeError as err:
            return seen, str(err), type(err.__cause__)
        return seen, None, None

    expected = run(outcome(aioitertools))
    assert expected[1] is not None
    assert run(outcome(ait)) == expected


class BadNext:
    """``__anext__`` returns something that is not awaitable."""

    def __aiter__(self) -> BadNext:
        return self

    def __anext__(self) -> int:
        return 5


# (aioitertools' zip gathers __anext__() results and words its TypeError
# differently; ours is Python's, as for the others.)
@pytest.mark.parametrize("name", ["map", "enumerate", "chain", "islice", "list"])
def test_a_non_awaitable_from_anext_is_the_type_error_python_raises(run: Run, name: str) -> None:
    calls: dict[str, Callable[[Any], Any]] = {
        "map": lambda m: m.map(str, BadNext()),
        "enumerate": lambda m: m.enumerate(BadNext()),
        "chain": lambda m: m.chain(BadNext()),
        "islice": lambda m: m.islice(BadNext(), 2),
        "list": lambda m: m.list(BadNext()),
    }

    async def outcome(module: Any) -> tuple[type[BaseException], str]:
        with pytest.raises(TypeError) as info:
            await drain(calls[name](module))
        return info.type, str(info.value)

    expected = run(outcome(aioitertools))
    assert expected == (TypeError, "'async for' received an invalid object from __anext__: int")
    assert run(outcome(ait)) == expected
