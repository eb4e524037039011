"""aioitertools' own test suite (``aioitertools/tests``) against aioxide.itertools.

Deliberate deviations are listed in ``tests/upstream/DEVIATIONS.md``; a test
pinning upstream behaviour we do not copy is replaced here by one asserting
ours, so it still runs.
"""

import asyncio

import pytest

import aioxide.itertools.asyncio as aio
from upstream import load

_asyncio_tests = load("aioitertools", "asyncio")
_helpers = load("aioitertools", "helpers")


class AsyncioTest(_asyncio_tests.AsyncioTest):  # type: ignore[misc,name-defined]
    @_helpers.async_test
    async def test_as_generated_cancelled(self) -> None:
        """Upstream swallows the consumer's cancellation; aioxide propagates it
        (and still delivers everything produced before it)."""

        async def gen():  # type: ignore[no-untyped-def]
            for i in range(5):
                yield i
                await asyncio.sleep(0.1)

        results = []

        async def foo():  # type: ignore[no-untyped-def]
            async for value in aio.as_generated([gen(), gen()]):
                results.append(value)

        task = asyncio.ensure_future(foo())
        await asyncio.sleep(0.15)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert sorted(results) == [0, 0, 1, 1]


BuiltinsTest = load("aioitertools", "builtins").BuiltinsTest
HelpersTest = _helpers.HelpersTest
ItertoolsTest = load("aioitertools", "itertools").ItertoolsTest
MoreItertoolsTest = load("aioitertools", "more_itertools").MoreItertoolsTest
