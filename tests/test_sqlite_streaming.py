"""Queries with more rows than one chunk: the statement stays open on the
connection thread and the cursor reads it chunk by chunk.

What a program sees must be what the stdlib cursor gives (same rows, same
order, for any mix of fetchone / fetchmany / fetchall / async for and any
chunk size); what it holds must be one chunk; and an open statement must
never outlive its cursor (closed, re-executed, collected), hang a close, or
lose rows when a fetch is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioxide import sqlite as aiox

ROWS = 1000


async def _filled(path: str = ":memory:", rows: int = ROWS, **kwargs: Any) -> aiox.Connection:
    db = await aiox.connect(path, **kwargs)
    await db.execute("create table t (x integer, label text)")
    await db.executemany("insert into t values (?, ?)", [(i, f"row {i}") for i in range(rows)])
    await db.commit()
    return db


def test_async_iteration_holds_one_chunk_at_a_time() -> None:
    async def main() -> None:
        db = await _filled(iter_chunk_size=16)
        try:
            cursor = await db.execute("select x from t order by x")
            held = []
            seen = []
            async for row in cursor:
                held.append(len(cursor._batch.rows))
                seen.append(row[0])
            assert seen == list(range(ROWS))
            assert max(held) <= 16, "a cursor must hold at most iter_chunk_size rows"
        finally:
            await db.close()

    asyncio.run(main())


FETCHES = st.lists(
    st.one_of(
        st.just(("one",)),
        st.tuples(st.just("many"), st.integers(min_value=-1, max_value=150)),
        st.just(("all",)),
    ),
    max_size=8,
)


@settings(
    max_examples=int(os.environ.get("AIOXIDE_STREAM_EXAMPLES", "150")),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.integers(min_value=0, max_value=300),
    chunk=st.integers(min_value=-1, max_value=70),
    arraysize=st.integers(min_value=1, max_value=5),
    fetches=FETCHES,
    then_iterate=st.booleans(),
)
def test_fetch_sequences_match_the_stdlib(
    rows: int, chunk: int, arraysize: int, fetches: list[tuple[Any, ...]], then_iterate: bool
) -> None:
    """Any mix of fetches, any chunk size, then maybe `async for` over the
    rest: the rows the stdlib gives. (Leaving an `async for` early drops
    the rest of its chunk, in aiosqlite too, so iteration runs to the end.)"""
    if then_iterate:
        fetches = [*fetches, ("iterate",)]
    reference = sqlite3.connect(":memory:")
    reference.execute("create table t (x)")
    reference.executemany("insert into t values (?)", [(i,) for i in range(rows)])
    ref = reference.execute("select x from t order by x")
    ref.arraysize = arraysize

    def ref_fetch(op: tuple[Any, ...]) -> Any:
        if op[0] == "one":
            return ref.fetchone()
        if op[0] == "many":
            return ref.fetchmany(op[1])
        if op[0] == "all":
            return ref.fetchall()
        return list(ref)

    async def main() -> list[Any]:
        db = await aiox.connect(":memory:", iter_chunk_size=chunk)
        try:
            await db.execute("create table t (x)")
            await db.executemany("insert into t values (?)", [(i,) for i in range(rows)])
            cursor = await db.execute("select x from t order by x")
            cursor.arraysize = arraysize
            got = []
            for op in fetches:
                if op[0] == "one":
                    got.append(await cursor.fetchone())
                elif op[0] == "many":
                    got.append(await cursor.fetchmany(op[1]))
                elif op[0] == "all":
                    got.append(await cursor.fetchall())
                else:
                    got.append([row async for row in cursor])
            return got
        finally:
            await db.close()

    ours = asyncio.run(main())
    expected = [ref_fetch(op) for op in fetches]
    reference.close()
    for op, mine, theirs in zip(fetches, ours, expected, strict=True):
        assert mine == theirs, (op, mine, theirs)


def test_a_closed_or_reexecuted_cursor_releases_its_table() -> None:
    async def main() -> None:
        db = await _filled()
        try:
            cursor = await db.execute("select x from t")
            assert await cursor.fetchone() == (0,)
            # Open (rows left), the query keeps the table in use, as in the
            # stdlib: dropping it fails ...
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await db.execute("drop table t")
            # ... and re-executing the cursor lets the old statement go
            # before the new one runs.
            await cursor.execute("create table other (y)")
            await db.execute("drop table other")
            second = await db.execute("select x from t")
            await second.close()
            third = await db.execute("select x from t")
            del third
            gc.collect()
            await db.execute("drop table t")
        finally:
            await db.close()

    asyncio.run(main())


def test_leaving_async_with_releases_the_statement() -> None:
    async def main() -> None:
        db = await _filled()
        try:
            async with db.execute("select x from t") as cursor:
                assert (await cursor.fetchone()) == (0,)
            with pytest.raises(sqlite3.ProgrammingError):
                await cursor.fetchone()
            await db.execute("drop table t")
        finally:
            await db.close()

    asyncio.run(main())


def test_concurrent_fetches_on_one_cursor_lose_nothing_and_keep_order() -> None:
    async def main() -> None:
        db = await _filled(iter_chunk_size=7)
        try:
            cursor = await db.execute("select x from t order by x")
            rows = await asyncio.gather(*(cursor.fetchone() for _ in range(ROWS + 3)))
            assert [r[0] for r in rows[:ROWS]] == list(range(ROWS))
            assert rows[ROWS:] == [None, None, None]
        finally:
            await db.close()

    asyncio.run(main())


def test_a_cancelled_fetch_loses_no_rows() -> None:
    async def main() -> None:
        db = await _filled(rows=20_000, iter_chunk_size=50)
        try:
            cursor = await db.execute("select x from t order by x")
            seen = [row[0] for row in await cursor.fetchmany(50)]
            for attempt in range(20):
                # Cancel a read at once and after it started (the rows it
                # read then wait in the stream for the next fetch).
                task = asyncio.ensure_future(cursor.fetchmany(120))
                for _ in range(attempt % 3):
                    await asyncio.sleep(0)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    seen.extend(row[0] for row in await task)
            seen.extend(row[0] for row in await cursor.fetchall())
            assert seen == list(range(20_000)), "every row exactly once, in order"
        finally:
            await db.close()

    asyncio.run(main())


def test_closing_the_connection_mid_query_closes_cleanly() -> None:
    async def main() -> None:
        db = await _filled()
        cursor = await db.execute("select x from t")
        await cursor.fetchone()
        await db.close()  # the open statement must not make the close fail
        with pytest.raises(ValueError, match="closed"):
            await cursor.fetchone()

    asyncio.run(main())


def test_an_error_mid_query_comes_after_the_rows_before_it() -> None:
    def fragile(x: int) -> int:
        if x == 100:
            raise ValueError("row 100")
        return x

    async def main() -> None:
        db = await _filled()
        try:
            await db.create_function("fragile", 1, fragile)
            cursor = await db.execute("select fragile(x) from t")
            got = [(await cursor.fetchone())[0] for _ in range(100)]
            assert got == list(range(100))
            with pytest.raises(sqlite3.OperationalError, match="user-defined function"):
                await cursor.fetchone()
            # As the stdlib cursor: nothing more after the error, and the
            # connection goes on.
            assert await cursor.fetchone() is None
            assert await db.execute_fetchall("select count(*) from t") == [(ROWS,)]
        finally:
            await db.close()

    asyncio.run(main())


def test_backups_leave_an_open_query_reading_and_restores_end_it(tmp_path: Path) -> None:
    async def main() -> None:
        db = await _filled(str(tmp_path / "source.db"))
        target = await aiox.connect(str(tmp_path / "target.db"))
        try:
            cursor = await db.execute("select x from t order by x")
            await db.backup(target)  # reads the database: the query goes on
            assert len(await cursor.fetchall()) == ROWS
            reading = await target.execute("select x from t order by x")
            await reading.fetchone()
            await db.backup(target)  # replaces what `reading` was reading
            with pytest.raises(sqlite3.InterfaceError, match="rows are gone"):
                await reading.fetchall()
            assert await target.execute_fetchall("select count(*) from t") == [(ROWS,)]
        finally:
            await db.close()
            await target.close()

    asyncio.run(main())


def test_queries_sent_to_readers_stream_from_them(tmp_path: Path) -> None:
    async def main() -> None:
        db = await _filled(str(tmp_path / "pooled.db"), readers=2)
        try:
            cursor = await db.execute("select x from t order by x")
            assert cursor._batch.more is not None
            assert [row[0] async for row in cursor] == list(range(ROWS))
        finally:
            await db.close()

    asyncio.run(main())


def test_non_positive_chunk_sizes_read_everything_at_once() -> None:
    async def main() -> None:
        for size in (0, -5):
            db = await _filled(iter_chunk_size=size)
            try:
                cursor = await db.execute("select x from t")
                assert len(cursor._batch.rows) == ROWS
                assert cursor._batch.more is None
            finally:
                await db.close()

    asyncio.run(main())


def test_writes_and_row_factories_are_unaffected() -> None:
    async def main() -> None:
        db = await _filled(iter_chunk_size=4)
        try:
            # A write with RETURNING finishes before execute() returns, all
            # its rows with it (its transaction must not wait on a cursor).
            cursor = await db.execute("update t set x = x + 1 returning x")
            assert cursor._batch.more is None
            assert cursor.rowcount == ROWS
            assert len(await cursor.fetchall()) == ROWS
            await db.rollback()
            db.row_factory = aiox.Row
            cursor = await db.execute("select x, label from t order by x")
            rows = [row async for row in cursor]
            assert [(r["x"], r["label"]) for r in rows[:2]] == [(0, "row 0"), (1, "row 1")]
            assert len(rows) == ROWS
            assert cursor.description[0][0] == "x"
            assert (cursor.lastrowid, cursor.rowcount) == (ROWS, -1)
        finally:
            await db.close()

    asyncio.run(main())
