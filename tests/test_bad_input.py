"""Bad input to public functions: a clear exception naming the problem.

Each row is a call with a wrong type, an absurd size or a closed object, the
exception it must raise and words its message must contain. Never a panic
(the autouse fixture checks every test), a hang (pytest-timeout) or a wrong
answer; the object stays usable afterwards. Sizes beyond what anything can
produce (``islice(it, 10**30)``, ``batched(it, 10**30)``) are accepted and
behave as aioitertools does, instead of overflowing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import aioxide.itertools as ait
import aioxide.multiprocess as amp
from aioxide import sqlite as aiox
from aioxide.sql import Column, Primary, Table, raw, table
from aioxide.sql.engines import SqliteEngine
from aioxide.sql.errors import BuildError, InvalidIdentifier, InvalidValue, UnsafeQuery
from sqlite3_rules import UNSUPPORTED_PARAMETERS

Run = Callable[[Coroutine[Any, Any, Any]], Any]


async def settle(result: Any) -> Any:
    """Awaits and drains whatever a call returned."""
    if asyncio.iscoroutine(result) or hasattr(result, "__await__"):
        result = await result
    if hasattr(result, "__aiter__"):
        result = [x async for x in result]
    return result


# -- aioxide.sqlite -----------------------------------------------------------

SQLITE_CASES: list[tuple[str, Callable[[Any, Any], Any], type[BaseException], str]] = [
    ("execute(None)", lambda db, cur: db.execute(None), TypeError, "str"),
    ("execute(123)", lambda db, cur: db.execute(123), TypeError, "str"),
    ("executescript(None)", lambda db, cur: db.executescript(None), TypeError, "str"),
    ("executemany(sql, 5)", lambda db, cur: db.executemany("insert into t values (?)", 5),
     TypeError, "not iterable"),
    ("executemany(sql, [5])", lambda db, cur: db.executemany("insert into t values (?)", [5]),
     UNSUPPORTED_PARAMETERS, "unsupported type"),
    ("fetchmany('x')", lambda db, cur: cur.fetchmany("x"), TypeError, "integer"),
    ("create_function(narg=10**12)", lambda db, cur: db.create_function("f", 10**12, abs),
     sqlite3.OperationalError, "Error creating function"),
    ("create_function(narg=-5)", lambda db, cur: db.create_function("f", -5, abs),
     sqlite3.OperationalError, "Error creating function"),
    ("create_function(name=None)", lambda db, cur: db.create_function(None, 1, abs),
     TypeError, "str"),
    ("set_progress_handler(n=10**12)", lambda db, cur: db.set_progress_handler(abs, 10**12),
     OverflowError, "out of range"),
    ("backup(5)", lambda db, cur: db.backup(5), TypeError, "backup target must be a connection"),
    ("isolation_level = 5", lambda db, cur: setattr(db, "isolation_level", 5),
     TypeError, "isolation_level must be str or None"),
    ("isolation_level = 'bogus'", lambda db, cur: setattr(db, "isolation_level", "bogus"),
     ValueError, "isolation_level string must be"),
    ("row_factory = 5", lambda db, cur: (setattr(db, "row_factory", 5),
                                        db.execute_fetchall("select 1"))[1],
     TypeError, "not callable"),
    ("text_factory = 5", lambda db, cur: (setattr(db, "text_factory", 5),
                                         db.execute_fetchall("select 'a'"))[1],
     TypeError, "not callable"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "call", "error", "words"), SQLITE_CASES, ids=[c[0] for c in SQLITE_CASES]
)
def test_sqlite_bad_input(
    run: Run, name: str, call: Any, error: type[BaseException], words: str
) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table t (x)")
            cursor = await db.execute("select 1")
            with pytest.raises(error, match=words):
                await settle(call(db, cursor))
            db.row_factory = None
            db.text_factory = str
            assert await db.execute_fetchall("select 41 + 1") == [(42,)]

    run(main())


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"timeout": "x"}, TypeError, "timeout must be a real number"),
        ({"timeout": -1}, ValueError, "timeout must be a non-negative number"),
        ({"isolation_level": "bogus"}, ValueError, "isolation_level string must be"),
        ({"isolation_level": 3}, TypeError, "isolation_level must be str or None"),
        ({"autocommit": 7}, ValueError, "autocommit must be True, False"),
    ],
)
def test_sqlite_bad_connect_options(
    run: Run, options: dict[str, Any], error: type[BaseException], words: str
) -> None:
    async def main() -> None:
        with pytest.raises(error, match=words):
            await aiox.connect(":memory:", **options)

    run(main())


@pytest.mark.parametrize("cached", [-1, 0, 10**30])
def test_sqlite_any_statement_cache_size_opens(run: Run, cached: int) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:", cached_statements=cached) as db:
            assert await db.execute_fetchall("select 1") == [(1,)]

    run(main())


def test_sqlite_closed_cursor(run: Run) -> None:
    # (A closed connection: tests/test_sqlite.py::test_use_after_close.)
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            cursor = await db.execute("select 1")
            await cursor.close()
            with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
                await cursor.fetchall()
            assert await db.execute_fetchall("select 1") == [(1,)]

    run(main())


def test_sqlite_connection_outlives_the_loop_that_opened_it() -> None:
    # Opened on one loop, that loop closed, used on another: it works, as a
    # connection shared across threads with their own loops does.
    async def open_it() -> aiox.Connection:
        return await aiox.connect(":memory:")

    db = asyncio.run(open_it())

    async def use() -> Any:
        rows = await db.execute_fetchall("select 42")
        await db.close()
        return rows

    assert asyncio.run(use()) == [(42,)]


def test_sqlite_connection_used_from_another_thread(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            results: list[Any] = []

            def other() -> None:
                results.append(asyncio.run(db.execute_fetchall("select 7")))

            thread = threading.Thread(target=other)
            thread.start()
            await asyncio.to_thread(thread.join)
            assert results == [[(7,)]]

    run(main())


# -- aioxide.itertools --------------------------------------------------------

ITERTOOLS_CASES: list[tuple[str, Callable[[], Any], type[BaseException], str]] = [
    ("islice(-1)", lambda: ait.islice([1], -1), ValueError, "Indices for islice"),
    ("islice('x')", lambda: ait.islice([1], "x"), ValueError, "must be None or an integer"),
    ("islice(step=0)", lambda: ait.islice([1], 0, 1, 0), ValueError, "Step for islice"),
    ("batched(0)", lambda: ait.batched([1], 0), ValueError, "n must be at least one"),
    ("combinations(r=-1)", lambda: ait.combinations([1], -1), ValueError, "non-negative"),
    ("permutations(r=-1)", lambda: ait.permutations([1], -1), ValueError, "non-negative"),
    ("count(step='x')", lambda: ait.islice(ait.count(0, "x"), 2), TypeError, "unsupported operand"),
    ("tee(n=0)", lambda: ait.tee([1], 0), ValueError, "n must be at least one"),
    ("zip(5)", lambda: ait.zip(5), TypeError, "not iterable"),
    ("map(5, [1])", lambda: ait.map(5, [1]), TypeError, "not callable"),
    ("chain(5)", lambda: ait.chain(5), TypeError, "not iterable"),
    ("accumulate(func=5)", lambda: ait.accumulate([1, 2], 5), TypeError, "not callable"),
    ("repeat(n='x')", lambda: ait.repeat(1, "x"), TypeError, "integer"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "call", "error", "words"), ITERTOOLS_CASES, ids=[c[0] for c in ITERTOOLS_CASES]
)
def test_itertools_bad_input(
    run: Run, name: str, call: Any, error: type[BaseException], words: str
) -> None:
    async def main() -> None:
        with pytest.raises(error, match=words):
            await settle(call())
        assert [x async for x in ait.map(str, [1, 2])] == ["1", "2"]

    run(main())


@pytest.mark.parametrize(
    ("name", "call", "expected"),
    [
        ("islice(10**30)", lambda: ait.islice([1, 2], 10**30), [1, 2]),
        ("islice(10**30, 10**31)", lambda: ait.islice([1, 2], 10**30, 10**31), []),
        ("batched(10**30)", lambda: ait.batched([1, 2], 10**30), [(1, 2)]),
        ("batched(2**40)", lambda: ait.batched([1], 2**40), [(1,)]),
        ("repeat(n=10**30)", lambda: ait.islice(ait.repeat(1, 10**30), 2), [1, 1]),
        ("enumerate(start=10**30)", lambda: ait.enumerate([1], 10**30), [(10**30, 1)]),
    ],
)
def test_itertools_absurd_sizes_behave_as_aioitertools(
    run: Run, name: str, call: Any, expected: Any
) -> None:
    # They overflowed (OverflowError) or, for batched, panicked reserving
    # the batch up front.
    assert run(settle(call())) == expected


# -- aioxide.multiprocess -------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"processes": -1}, ValueError, "processes must be at least 1"),
        ({"processes": "x"}, TypeError, "not supported between"),
    ],
)
def test_pool_bad_options(options: dict[str, Any], error: type[BaseException], words: str) -> None:
    with pytest.raises(error, match=words):
        amp.Pool(**options)


def test_pool_bad_calls_and_closed_pool() -> None:
    async def main() -> None:
        pool = amp.Pool(1)
        with pytest.raises(TypeError):
            await pool.apply(5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="not iterable"):
            await pool.map(abs, 5)  # type: ignore[arg-type]
        pool.close()
        with pytest.raises(RuntimeError):
            await pool.apply(abs, (1,))  # type: ignore[arg-type]
        await asyncio.wait_for(pool.join(), 30)

    asyncio.run(main())


# -- aioxide.sql --------------------------------------------------------------


@table
class T:
    id: Primary[int]
    name: str


def _sql_cases() -> list[tuple[str, Callable[[], Any], type[BaseException], str]]:
    e = SqliteEngine()
    return [
        ("limit(-1)", lambda: e.prepare(T.select().limit(-1)), InvalidValue, "non-negative"),
        ("limit('x')", lambda: e.prepare(T.select().limit("x")), InvalidValue, "non-negative int"),
        ("offset(-5)", lambda: e.prepare(T.select().limit(1).offset(-5)), InvalidValue,
         "non-negative"),
        ("where(5)", lambda: e.prepare(T.select().where(5)), BuildError, "expects comparisons"),
        ("select(5)", lambda: e.prepare(T.select(5)), BuildError, "expects columns"),
        ("orderby(5)", lambda: e.prepare(T.select().orderby(5)), BuildError, "Column objects"),
        ("name == object()", lambda: T.name == object(), InvalidValue, "cannot be compared"),
        ("id == 'x'", lambda: T.id == "x", InvalidValue, "cannot be compared with str"),
        ("in_(5)", lambda: T.id.in_(5), InvalidValue, "collection of values"),
        ("like(5)", lambda: T.name.like(5), InvalidValue, "LIKE pattern must be a str"),
        ("values(5)", lambda: e.prepare(T.insert().values(5)), BuildError, "has no attribute"),
        ("values((1,))", lambda: e.prepare(T.insert().values((1,))), BuildError,
         "1 values for 2"),
        ("Table('')", lambda: Table("", [Column("a", int)]), InvalidIdentifier, "non-empty"),
        ("Table with NUL", lambda: Table("t\x00", [Column("a", int)]), InvalidIdentifier, "NUL"),
        ("Column of object", lambda: e.prepare(Table("t", [Column("a", object)]).create()),
         BuildError, "Unsupported column type"),
        ("raw(5)", lambda: raw(5), InvalidValue, "raw SQL must be a str"),
        ("table(5)", lambda: table(5), TypeError, "expects a class"),
        ("delete without where", lambda: e.prepare(T.delete()), UnsafeQuery, "specify where"),
        ("groupby(5)", lambda: e.prepare(T.select().groupby(5)), BuildError, "expects columns"),
        ("prepare(5)", lambda: e.prepare(5), TypeError, "QueryCore"),
    ]  # fmt: skip


SQL_CASES = _sql_cases()


@pytest.mark.parametrize(
    ("name", "call", "error", "words"), SQL_CASES, ids=[c[0] for c in SQL_CASES]
)
def test_sql_bad_input(name: str, call: Any, error: type[BaseException], words: str) -> None:
    with pytest.raises(error, match=words):
        call()
    # The module still works afterwards.
    t = Table("t", [Column("a", int)])
    assert SqliteEngine().prepare(t.select().where(t["a"] == 1)).sql.endswith("WHERE (`a` = ?)")


@pytest.mark.parametrize("size", [10**30, 2**63])
def test_sql_absurd_limits_are_bound_not_overflowed(size: int) -> None:
    t = Table("t", [Column("a", int)])
    prepared = SqliteEngine().prepare(t.select().limit(size).offset(size))
    assert list(prepared.parameters) == [size, size]


# -- aioxide.compat and aioxide.bridge ----------------------------------------


@pytest.mark.parametrize("name", ["nope", "", None, 5, "aiohttp"])
def test_compat_names_it_cannot_replace(name: Any) -> None:
    import aioxide.compat

    with pytest.raises(aioxide.compat.CompatError, match="aioxide has no replacement for"):
        aioxide.compat.install(name)


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((1, -1), OverflowError, "negative"),
        ((1, 10**30), OverflowError, "too big"),
        ((1, "x"), TypeError, "cannot be interpreted|object cannot|'str'"),
    ],
)
def test_bridge_echo_worker_bad_delays(
    run: Run, args: tuple[Any, ...], error: type[BaseException], words: str
) -> None:
    from aioxide.bridge import EchoWorker

    async def main() -> None:
        worker = EchoWorker()
        try:
            with pytest.raises(error, match=words):
                await worker.submit(*args)
            assert await worker.submit("still works") == "still works"
        finally:
            worker.close()

    run(main())


def test_bridge_echo_worker_error_that_is_not_an_exception(run: Run) -> None:
    from aioxide.bridge import EchoWorker

    async def main() -> None:
        worker = EchoWorker()
        try:
            with pytest.raises(TypeError, match="BaseException"):
                await worker.submit(1, 0, 5)
            assert await worker.submit(2) == 2
        finally:
            worker.close()

    run(main())


@pytest.mark.parametrize("timeout", [1e300, float("inf"), float("nan"), -5.0, 0.0])
def test_pool_channel_flush_with_any_timeout(timeout: float) -> None:
    """The pool transport's flush: a timeout too long to add to a clock
    waits without a deadline (it panicked: "overflow when adding duration
    to instant"); NaN and negatives do not wait."""
    import socket

    from aioxide._core import Channel

    ours, theirs = socket.socketpair()
    channel = Channel(ours.fileno(), "bad-input")
    try:
        assert channel.flush(timeout) is True  # nothing queued: written at once
        channel.close()
        assert channel.flush(timeout) is True
    finally:
        ours.close()
        theirs.close()
