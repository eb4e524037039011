"""Hostile and unusual SQL text: never a panic, never a statement run in part.

Each case runs on the stdlib ``sqlite3`` (the reference: same SQLite library)
and on aioxide.sqlite, and the outcomes — rows or exception class and
message, and what the table holds afterwards — must agree."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from aioxide import sqlite as aiox
from sqlite3_rules import SECOND_STATEMENT, UNSUPPORTED_PARAMETERS

Run = Callable[[Coroutine[Any, Any, Any]], Any]

TEXTS = [
    "",
    " ",
    ";",
    ";;",
    " ; ",
    "-- only a comment",
    "/* a comment */",
    "/* unterminated",
    "\n\t",
    "; select 1",
    "select 1;",
    "select 1; -- trailing",
    "select 1; select 2",
    "delete from t\x00 where id = 1",
    "\x00",
    "select 1 -- \x00",
    "insert into t values (9)\x00; delete from t",
]


# What the interpreter's sqlite3 may raise for bad SQL text: its error
# classes, plus (before Python 3.11) ValueError for a NUL and
# sqlite3.Warning for a second statement.
REFUSALS = (sqlite3.Error, sqlite3.Warning, ValueError)


def outcome_of(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("rows", [tuple(r) for r in call()])
    except REFUSALS as err:
        return (type(err).__name__, str(err))


@pytest.mark.parametrize("text", TEXTS)
def test_execute_agrees_with_the_stdlib(run: Run, text: str) -> None:
    reference = sqlite3.connect(":memory:")
    reference.execute("create table t (id)")
    reference.executemany("insert into t values (?)", [(1,), (2,)])
    expected = outcome_of(lambda: reference.execute(text).fetchall())
    expected_rows = reference.execute("select id from t order by id").fetchall()
    expected_tx = reference.in_transaction
    reference.close()

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table t (id)")
            await db.executemany("insert into t values (?)", [(1,), (2,)])
            got: tuple[str, Any]
            try:
                got = ("rows", [tuple(r) for r in await db.execute_fetchall(text)])
            except REFUSALS as err:
                got = (type(err).__name__, str(err))
            assert got == expected
            assert db.in_transaction == expected_tx
            assert await db.execute_fetchall("select id from t order by id") == expected_rows
            # The cursor form too, and the connection still works.
            cursor = await db.cursor()
            via_cursor: tuple[str, Any]
            try:
                await cursor.execute(text)
                via_cursor = ("rows", [tuple(r) for r in await cursor.fetchall()])
            except REFUSALS as err:
                via_cursor = (type(err).__name__, str(err))
            assert via_cursor == expected
            assert await db.execute_fetchall("select 42") == [(42,)]

    run(main())


EXECUTEMANY_TEXTS = [
    "",
    ";",
    "-- x",
    "insert into t values (?)\x00",
    "select ?",
    "values (?)",
    "/* c */ insert into t values (?)",
    "with a as (select 1) insert into t values (?)",
    "create table u (x)",
    "pragma user_version = 1",
    "insert into t values (?) returning id",
    "begin",
    "explain insert into t values (?)",
]


@pytest.mark.parametrize("text", EXECUTEMANY_TEXTS)
def test_executemany_agrees_with_the_stdlib(run: Run, text: str) -> None:
    reference = sqlite3.connect(":memory:")
    reference.execute("create table t (id)")
    expected = outcome_of(lambda: reference.executemany(text, [(1,)]).fetchall())
    expected_count = reference.execute("select count(*) from t").fetchall()
    expected_tx = reference.in_transaction
    reference.close()

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table t (id)")
            try:
                got: tuple[str, Any] = (
                    "rows",
                    [tuple(r) for r in await (await db.executemany(text, [(1,)])).fetchall()],
                )
            except REFUSALS as err:
                got = (type(err).__name__, str(err))
            assert got == expected
            assert await db.execute_fetchall("select count(*) from t") == expected_count
            assert db.in_transaction == expected_tx

    run(main())


def test_a_statement_that_fails_to_prepare_leaves_no_transaction_open(run: Run) -> None:
    # Prepared before the implicit BEGIN, as the stdlib does: otherwise a
    # failed INSERT held an open transaction (and, with IMMEDIATE, the lock).
    async def main() -> None:
        async with aiox.connect(":memory:", isolation_level="IMMEDIATE") as db:
            await db.execute("create table t (id)")
            with pytest.raises(sqlite3.OperationalError, match="no such table"):
                await db.execute("insert into missing values (1)")
            assert not db.in_transaction
            with pytest.raises(sqlite3.OperationalError, match="no such table"):
                await db.executemany("insert into missing values (?)", [(1,)])
            assert not db.in_transaction

    run(main())


@pytest.mark.parametrize("timeout", [1e300, float("inf"), 0.0, 1e-9])
def test_any_non_negative_timeout_opens(run: Run, timeout: float) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:", timeout=timeout) as db:
            assert await db.execute_fetchall("select 1") == [(1,)]

    run(main())


@pytest.mark.parametrize("timeout", [-1.0, float("nan")])
def test_a_negative_or_nan_timeout_is_a_clear_error(run: Run, timeout: float) -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match="timeout must be a non-negative number"):
            await aiox.connect(":memory:", timeout=timeout)

    run(main())


def test_extra_semicolons_after_a_statement_run_it(run: Run) -> None:
    # A listed deviation: the stdlib's "one statement" check counts a bare
    # ";" after the statement as a second one; SQLite finds none there.
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            assert await db.execute_fetchall("select 1;;") == [(1,)]
            with pytest.raises(SECOND_STATEMENT, match="one statement at a time"):
                await db.execute("select 1;; select 2")

    run(main())


@pytest.mark.parametrize("parameters", ["a", b"a", "ab"])
def test_a_string_is_not_taken_as_a_parameter_sequence(run: Run, parameters: Any) -> None:
    # A listed deviation: the stdlib binds a str or bytes one character per
    # placeholder ("a" works, "ab" then fails on the count), a classic slip
    # for (value,); aioxide refuses it clearly.
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            with pytest.raises(UNSUPPORTED_PARAMETERS, match="parameters are of unsupported type"):
                await db.execute("select ?", parameters)

    run(main())


def test_fetchmany_zero_and_chunk_size_zero_are_every_row(run: Run) -> None:
    # fetchmany(0) returns every remaining row, as the stdlib's (and so
    # aiosqlite's) does; it returned none here until the streaming cursor's
    # differential test caught it. async for with iter_chunk_size 0 yields
    # every row (it once yielded none: a silent loss), as aiosqlite does.
    async def main() -> None:
        async with aiox.connect(":memory:", iter_chunk_size=0) as db:
            await db.execute("create table t (x)")
            await db.executemany("insert into t values (?)", [(1,), (2,), (3,)])
            cursor = await db.execute("select x from t order by x")
            assert await cursor.fetchmany(0) == [(1,), (2,), (3,)]
            assert [r async for r in cursor] == []
            cursor = await db.execute("select x from t order by x")
            assert [r async for r in cursor] == [(1,), (2,), (3,)]
            cursor = await db.execute("select x from t order by x")
            cursor.iter_chunk_size = -5
            assert [r async for r in cursor] == [(1,), (2,), (3,)]

    run(main())


def test_a_text_factory_failing_part_way_through_a_row(run: Run) -> None:
    # Rows are filled in place: a failure on a later cell leaves a tuple
    # with empty slots behind, which a garbage collection run at that very
    # moment (the factory runs one) must walk, and which must then be freed
    # without touching them. Same error as the stdlib; the connection stays
    # usable and loses nothing.
    import gc

    def factory(raw: bytes) -> str:
        gc.collect()
        if raw == b"bad":
            raise ValueError("this text cannot be read")
        return raw.decode()

    rows = [("a", "b", "c"), ("d", "bad", "f"), ("g", "h", "i")]
    reference = sqlite3.connect(":memory:")
    reference.text_factory = factory
    reference.execute("create table t (x, y, z)")
    reference.executemany("insert into t values (?, ?, ?)", rows)
    with pytest.raises(ValueError, match="cannot be read"):
        reference.execute("select * from t order by x").fetchall()

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            db.text_factory = factory
            await db.execute("create table t (x, y, z)")
            await db.executemany("insert into t values (?, ?, ?)", rows)
            for _ in range(3):
                with pytest.raises(ValueError, match="cannot be read"):
                    await db.execute_fetchall("select * from t order by x")
            assert await db.execute_fetchall("select * from t where y != 'bad' order by x") == [
                ("a", "b", "c"),
                ("g", "h", "i"),
            ]
            db.text_factory = str
            assert len(await db.execute_fetchall("select * from t")) == 3

    run(main())
