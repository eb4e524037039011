"""What ``Connection.execute()`` / ``execute_fetchall()`` return: a native
awaitable (``ExecuteCall``) that must behave as aiosqlite's coroutine does
under every way asyncio and programs drive one — plain ``await``, tasks,
``gather``, ``async with``, the coroutine protocol by hand, cancellation,
reuse — on statements that run inline and ones queued to the thread."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from aioxide import sqlite as aiox


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


async def _db(path: str = ":memory:") -> aiox.Connection:
    db = await aiox.connect(path)
    await db.execute("create table t (x)")
    await db.executemany("insert into t values (?)", [(i,) for i in range(10)])
    await db.commit()
    return db


def test_it_is_a_coroutine_for_asyncio() -> None:
    async def main() -> None:
        db = await _db()
        try:
            call = db.execute("select count(*) from t")
            assert asyncio.iscoroutine(call)
            assert inspect.isawaitable(call)
            task = asyncio.ensure_future(call)
            assert (await (await task).fetchone()) == (10,)
            rows = await asyncio.gather(
                db.execute_fetchall("select 1"), db.execute_fetchall("select 2")
            )
            assert rows == [[(1,)], [(2,)]]
            cursors = await asyncio.gather(*(db.execute("select ?", (i,)) for i in range(5)))
            assert [await c.fetchone() for c in cursors] == [(i,) for i in range(5)]
        finally:
            await db.close()

    run(main())


def test_async_with_closes_the_cursor_and_keeps_errors() -> None:
    async def main() -> None:
        db = await _db()
        try:
            async with db.execute("select x from t order by x") as cursor:
                assert await cursor.fetchone() == (0,)
            with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
                await cursor.fetchone()
            with pytest.raises(ZeroDivisionError):
                async with db.execute("select 1") as cursor:
                    1 / 0  # noqa: B018 - the error must come out unchanged
            with pytest.raises(sqlite3.ProgrammingError):
                await cursor.fetchone()
            async with db.execute_fetchall("select 7") as rows:
                assert rows == [(7,)]
        finally:
            await db.close()

    run(main())


def test_driven_by_hand_as_a_coroutine() -> None:
    async def main() -> None:
        db = await _db()
        try:
            call = db.execute("select 5")
            with pytest.raises(StopIteration) as stop:
                call.send(None)
            cursor = stop.value.value
            assert await cursor.fetchone() == (5,)
            with pytest.raises(RuntimeError, match="already awaited"):
                call.send(None)
            # Thrown into before it starts: the exception comes out, the
            # statement never runs.
            never = db.execute("insert into t values (99)")
            with pytest.raises(KeyError):
                never.throw(KeyError("x"))
            assert await db.execute_fetchall("select count(*) from t where x = 99") == [(0,)]
            closed = db.execute("insert into t values (98)")
            closed.close()
            assert "finished" in repr(closed)
            assert await db.execute_fetchall("select count(*) from t where x = 98") == [(0,)]
        finally:
            await db.close()

    run(main())


def test_errors_come_at_await_as_aiosqlite() -> None:
    async def main() -> None:
        db = aiox.connect(":memory:")
        early = db.execute("select 1")  # not connected yet: no error until awaited
        with pytest.raises(ValueError, match="no active connection"):
            await early
        await db
        bad = db.execute(123)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await bad
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await db.execute("select * from missing")
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await db.execute_fetchall("select * from missing")
        pending = db.execute("select 1")
        await db.close()
        with pytest.raises(ValueError, match="no active connection"):
            await pending

    run(main())


def test_queued_statements_wait_and_cancel(tmp_path: Path) -> None:
    async def main() -> None:
        db = await _db(str(tmp_path / "queued.db"))
        try:
            # A commit to a file runs on the thread: the next statement is
            # queued behind it and awaited through its Completion.
            await db.execute("insert into t values (10)")
            commit = asyncio.ensure_future(db.commit())
            queued = await db.execute("select count(*) from t")
            await commit
            assert await queued.fetchone() == (11,)
            # Cancelled while queued: never runs, the connection goes on.
            await db.execute("insert into t values (11)")
            commit = asyncio.ensure_future(db.commit())
            task = asyncio.ensure_future(db.execute("insert into t values (12)"))
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await commit
            assert await db.execute_fetchall("select count(*) from t where x = 12") in (
                [(0,)],
                [(1,)],
            )
            assert await db.execute_fetchall("select 1") == [(1,)]
        finally:
            await db.close()

    run(main())


def test_execute_fetchall_slow_paths() -> None:
    async def main() -> None:
        db = await aiox.connect(":memory:")
        try:
            await db.execute("create table big (x)")
            await db.executemany("insert into big values (?)", [(i,) for i in range(10_000)])
            rows = await db.execute_fetchall("select x from big order by x")
            assert [r[0] for r in rows] == list(range(10_000))
            db.row_factory = aiox.Row
            rows = await db.execute_fetchall("select x from big order by x limit 3")
            assert [r["x"] for r in rows] == [0, 1, 2]
            db.row_factory = lambda cursor, row: row[0] * 2
            assert await db.execute_fetchall("select x from big order by x limit 3") == [0, 2, 4]
        finally:
            await db.close()

    run(main())


def test_cursor_subclasses_and_attributes_work_over_the_native_base() -> None:
    class Tagged(aiox.Cursor):
        def __init__(self, conn: Any, row_factory: Any = None) -> None:
            super().__init__(conn, row_factory)
            self.tag = "mine"

    async def main() -> None:
        db = await _db()
        try:
            cursor = await db.cursor(Tagged)
            assert isinstance(cursor, Tagged)
            assert cursor.tag == "mine"
            await cursor.execute("select x from t order by x limit 2")
            assert await cursor.fetchone() == (0,)
            cursor.note = 1  # a plain attribute, as on aiosqlite's cursor
            assert cursor.note == 1
            by_hand = aiox.Cursor(db)
            assert await by_hand.fetchone() is None  # nothing executed yet
            assert by_hand.connection is db
            made = await db.execute("select 1")
            assert type(made) is aiox.Cursor
            assert made._pos == 0
            assert made._batch.rows == [(1,)]
        finally:
            await db.close()

    run(main())


def test_fetchone_errors_come_at_await() -> None:
    async def main() -> None:
        db = await _db()
        cursor = await db.execute("select x from t")
        await cursor.close()
        pending = cursor.fetchone()  # no error yet
        with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
            await pending
        cursor = await db.execute("select x from t")
        await db.close()
        pending = cursor.fetchone()
        with pytest.raises(ValueError, match="Connection closed"):
            await pending

    run(main())


def test_connection_settings_follow_the_native_base() -> None:
    async def main() -> None:
        for size, first in ((64, 64), (3, 3), (0, None), (-1, None), (True, 1), (2.5, None)):
            db = await aiox.connect(":memory:", iter_chunk_size=size)
            try:
                assert db._iter_chunk_size is size
                assert db._first_rows == first
                assert (await db.cursor()).iter_chunk_size == size
            finally:
                await db.close()
        db = await _db()
        try:
            assert db.text_factory is str
            db.text_factory = bytes
            assert await db.execute_fetchall("select 'a'") == [(b"a",)]
            db.text_factory = str
            db.row_factory = aiox.Row
            row = await (await db.execute("select 1 as one")).fetchone()
            assert row["one"] == 1
            db.row_factory = None
            assert db.row_factory is None
        finally:
            await db.close()
        assert db._native is not None
        assert db._closed

    run(main())


def test_the_finished_awaitable_follows_the_iterator_protocol() -> None:
    # Python 3.12+ steps a native awaitable with __next__ / send / throw
    # (3.11 uses am_send): each must finish with StopIteration(value) or
    # raise, never hand back a value as if it were yielded.
    async def main() -> None:
        db = await _db()
        try:
            cursor = await db.execute("select x from t order by x limit 2")
            step = cursor.fetchone().__await__()
            with pytest.raises(StopIteration) as stop:
                next(step)
            assert stop.value.value == (0,)
            step = cursor.fetchone().__await__()
            with pytest.raises(StopIteration) as stop:
                step.send(None)
            assert stop.value.value == (1,)
            with pytest.raises(KeyError):
                cursor.fetchone().__await__().throw(KeyError("k"))
            exit_step = db.execute("select 1").__aexit__(None, None, None)
            with pytest.raises(StopIteration):
                next(exit_step.__await__())
        finally:
            await db.close()

    run(main())
