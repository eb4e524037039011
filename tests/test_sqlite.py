"""aioxide.sqlite: API behaviour, type round trips and failure paths.

Every failure test checks the exception class and message, and that the
connection still works afterwards."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from aioxide import sqlite as aiox
from sqlite3_rules import SECOND_STATEMENT, UNSUPPORTED_PARAMETERS, UNSUPPORTED_VALUE

Run = Callable[[Coroutine[Any, Any, Any]], Any]


async def still_works(db: aiox.Connection) -> None:
    assert await db.execute_fetchall("select 41 + 1") == [(42,)]


class RunningSignal:
    """A SQL function ``started()`` that reports when a statement begins on
    the connection thread (not an inline attempt on this one), so tests can
    cancel mid-statement without guessing at timing."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def started(self) -> int:
        if threading.current_thread() is not threading.main_thread():
            self.event.set()
        return 1

    async def install(self, db: aiox.Connection) -> None:
        await db.create_function("started", 0, self.started)

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, self.event.wait, 30)


ENDLESS = "with recursive c(x) as (select started() union all select x + 1 from c)"


@pytest.mark.parametrize(
    "value",
    [
        None,
        0,
        -1,
        2**63 - 1,
        -(2**63),
        1.5,
        float("inf"),
        "",
        "plain",
        "nul\x00inside",
        "non-BMP \U0001f600 ✓",
        b"",
        b"\x00\xff" * 1000,
    ],
)
def test_value_round_trip(run: Run, value: Any) -> None:
    async def main() -> Any:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table t (v)")
            await db.execute("insert into t values (?)", (value,))
            (got,) = (await db.execute_fetchall("select v from t"))[0]
            (typed,) = (await db.execute_fetchall("select typeof(v) from t"))[0]
            return got, typed

    got, typed = run(main())
    assert got == value
    assert type(got) is type(value)
    expected = {type(None): "null", int: "integer", float: "real", str: "text", bytes: "blob"}
    assert typed == expected[type(value)]


def test_bytearray_and_memoryview_bind_as_blobs(run: Run) -> None:
    async def main() -> Any:
        async with aiox.connect(":memory:") as db:
            return await db.execute_fetchall("select ?, ?", (bytearray(b"ab"), memoryview(b"cd")))

    assert run(main()) == [(b"ab", b"cd")]


def test_adapters_are_honoured(run: Run) -> None:
    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    aiox.register_adapter(Point, lambda p: f"{p.x};{p.y}")

    async def main() -> Any:
        async with aiox.connect(":memory:") as db:
            return await db.execute_fetchall("select ?", (Point(1, 2),))

    assert run(main()) == [("1;2",)]


def test_named_parameters(run: Run) -> None:
    async def main() -> Any:
        async with aiox.connect(":memory:") as db:
            rows = await db.execute_fetchall(
                "select :a, @b, $c", {"a": 1, "b": "two", "c": None, "unused": object()}
            )
            with pytest.raises(sqlite3.ProgrammingError, match="binding parameter :a"):
                await db.execute("select :a", {"b": 1})
            await still_works(db)
            return rows

    assert run(main()) == [(1, "two", None)]


def test_rowcount_lastrowid_description(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            cursor = await db.execute("create table t (id integer primary key, v)")
            assert cursor.rowcount == -1
            assert cursor.description is None
            cursor = await db.executemany("insert into t (v) values (?)", [(i,) for i in range(5)])
            assert cursor.rowcount == 5
            cursor = await db.execute("update t set v = v + 1 where id > 2")
            assert cursor.rowcount == 3
            assert (await db.execute_insert("insert into t (v) values (9)")) == (6,)
            cursor = await db.execute("select id as ident, v from t")
            assert cursor.description == (
                ("ident", None, None, None, None, None, None),
                ("v", None, None, None, None, None, None),
            )
            assert len(await cursor.fetchmany(2)) == 2
            assert await cursor.fetchone() == (3, 3)
            assert len(await cursor.fetchall()) == 3
            assert await cursor.fetchone() is None

    run(main())


def test_row_factory_row_and_sqlite3_row(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            db.row_factory = sqlite3.Row  # the stdlib class works too
            row = (await db.execute_fetchall("select 1 as One, 'x' as two"))[0]
            assert isinstance(row, aiox.Row)
            assert row["one"] == 1
            assert row["TWO"] == "x"
            assert row[1] == "x"
            assert row.keys() == ["One", "two"]
            with pytest.raises(IndexError):
                row["three"]
            db.row_factory = lambda cursor, values: dict(
                zip([d[0] for d in cursor.description], values, strict=True)
            )
            assert await db.execute_fetchall("select 1 as a") == [{"a": 1}]

    run(main())


def test_text_factory(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            db.text_factory = bytes
            assert await db.execute_fetchall("select 'é'") == [("é".encode(),)]
            db.text_factory = lambda b: b.decode().upper()
            assert await db.execute_fetchall("select 'abc'") == [("ABC",)]

    run(main())


def test_transactions_commit_and_rollback(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "tx.db"

    async def main() -> None:
        async with aiox.connect(path) as db:
            await db.execute("create table t (v)")
            await db.execute("insert into t values (1)")
            assert db.in_transaction
            await db.rollback()
            assert not db.in_transaction
            await db.execute("insert into t values (2)")
            await db.commit()
            db.isolation_level = None
            await db.execute("insert into t values (3)")
            assert not db.in_transaction
        async with aiox.connect(path) as db:
            assert await db.execute_fetchall("select v from t") == [(2,), (3,)]

    run(main())


def test_bad_isolation_level_is_refused(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            with pytest.raises(ValueError, match="isolation_level"):
                db.isolation_level = "SOMETIMES"  # type: ignore[assignment]
            assert db.isolation_level == ""

    run(main())


def test_invalid_sql_and_parameter_errors_leave_connection_usable(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            with pytest.raises(sqlite3.OperationalError, match="syntax error"):
                await db.execute("selec 1")
            with pytest.raises(sqlite3.ProgrammingError, match="uses 1, and there are 2"):
                await db.execute("select ?", (1, 2))
            with pytest.raises(UNSUPPORTED_VALUE[0], match=UNSUPPORTED_VALUE[1]):
                await db.execute("select ?", (object(),))
            with pytest.raises(SECOND_STATEMENT, match="one statement at a time"):
                await db.execute("select 1; select 2")
            with pytest.raises(OverflowError):
                await db.execute("select ?", (2**64,))
            with pytest.raises(UNSUPPORTED_PARAMETERS, match="unsupported type"):
                await db.execute("select ?", 5)
            await still_works(db)

    run(main())


def test_constraint_violation_is_integrity_error_with_code(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table t (v unique)")
            await db.execute("insert into t values (1)")
            with pytest.raises(sqlite3.IntegrityError, match="UNIQUE") as caught:
                await db.execute("insert into t values (1)")
            # SQLITE_CONSTRAINT_UNIQUE (sqlite3 names the constant from 3.11 on)
            assert caught.value.sqlite_errorcode == 2067
            # The extended name, as the stdlib gives it.
            assert caught.value.sqlite_errorname == "SQLITE_CONSTRAINT_UNIQUE"
            await still_works(db)

    run(main())


def test_use_after_close(run: Run) -> None:
    async def main() -> None:
        db = await aiox.connect(":memory:")
        cursor = await db.execute("select 1")
        await db.close()
        with pytest.raises(ValueError, match="no active connection"):
            await db.execute("select 1")
        with pytest.raises(ValueError, match="Connection closed"):
            await cursor.fetchall()
        with pytest.raises(ValueError, match="no active connection"):
            _ = db.in_transaction
        await db.close()  # idempotent

    run(main())


def test_file_that_is_not_a_database(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not a database, just some text " * 100)

    async def main() -> None:
        async with aiox.connect(path) as db:
            with pytest.raises(sqlite3.DatabaseError, match="not a database"):
                await db.execute("select * from sqlite_master")
            # A statement that needs no schema does what it does on the
            # stdlib's connection (it depends on the SQLite version, and the
            # library is the same one); the connection still closes cleanly.
            reference = sqlite3.connect(path)
            try:
                expected: object = reference.execute("select 1").fetchall()
            except sqlite3.DatabaseError as err:
                expected = str(err)
            finally:
                reference.close()
            try:
                got: object = await db.execute_fetchall("select 1")
            except sqlite3.DatabaseError as err:
                got = str(err)
            assert got == expected
        assert path.read_bytes().startswith(b"this is not a database")

    run(main())


def test_missing_directory_cannot_be_opened(run: Run, tmp_path: Path) -> None:
    async def main() -> None:
        with pytest.raises(sqlite3.OperationalError, match="unable to open database"):
            await aiox.connect(tmp_path / "missing" / "x.db")

    run(main())


def test_read_only_database_refuses_writes(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    sqlite3.connect(path).execute("create table t (v)").connection.close()

    async def main() -> None:
        async with aiox.connect(f"file:{path}?mode=ro", uri=True) as db:
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                await db.execute("insert into t values (1)")
            await db.rollback()
            await still_works(db)

    run(main())


def test_locked_database_honours_busy_timeout(run: Run, tmp_path: Path) -> None:
    # The lock holder is another aioxide connection: SQLite's in-process lock
    # bookkeeping is per library copy, so the stdlib's sqlite3 (a different
    # copy) cannot be used to hold locks against aioxide in the same process.
    path = tmp_path / "locked.db"

    async def main() -> None:
        async with aiox.connect(path, isolation_level=None) as holder:
            await holder.execute("create table t (v)")
            await holder.execute("begin exclusive")
            async with aiox.connect(path, timeout=0.2) as db:
                loop = asyncio.get_running_loop()
                start = loop.time()
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    await db.execute("insert into t values (1)")
                assert loop.time() - start >= 0.15  # it waited for the lock, then gave up
                await holder.execute("commit")
                await db.rollback()
                await db.execute("insert into t values (1)")
                await db.commit()
                assert await db.execute_fetchall("select v from t") == [(1,)]

    run(main())


def test_full_database(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table t (v)")
            await db.execute("pragma max_page_count = 8")
            with pytest.raises(sqlite3.OperationalError, match="full"):
                await db.executemany(
                    "insert into t values (?)", [(b"x" * 4000,) for _ in range(100)]
                )
            await db.rollback()
            await still_works(db)

    run(main())


def test_user_function_that_raises(run: Run) -> None:
    def boom(x: int) -> int:
        raise RuntimeError("no")

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.create_function("boom", 1, boom)
            await db.create_function("double", 1, lambda x: x * 2, deterministic=True)
            with pytest.raises(sqlite3.OperationalError, match="user-defined function raised"):
                await db.execute("select boom(1)")
            assert await db.execute_fetchall("select double(21)") == [(42,)]

    run(main())


def test_enormous_blob(run: Run) -> None:
    blob = bytes(range(256)) * (64 * 1024)  # 16 MiB

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table t (b)")
            await db.execute("insert into t values (?)", (blob,))
            (got,) = (await db.execute_fetchall("select b from t"))[0]
            assert got == blob
            with pytest.raises(sqlite3.DataError):
                await db.execute("select zeroblob(2000000000)")
            await still_works(db)

    run(main())


def test_cancelled_query_is_interrupted(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            running = RunningSignal()
            await running.install(db)
            task = asyncio.ensure_future(db.execute(ENDLESS + " select count(*) from c"))
            await running.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # Without the interrupt this would queue behind an endless query.
            await asyncio.wait_for(still_works(db), timeout=30)

    run(main())


def test_interrupt_stops_a_running_query(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            running = RunningSignal()
            await running.install(db)
            task = asyncio.ensure_future(db.execute(ENDLESS + " select count(*) from c"))
            await running.wait()
            await db.interrupt()
            with pytest.raises(sqlite3.OperationalError, match="interrupted"):
                await task
            await still_works(db)

    run(main())


def test_executescript_and_iterdump(run: Run) -> None:
    async def main() -> list[str]:
        async with aiox.connect(":memory:") as db:
            await db.executescript(
                """
                create table a (id integer primary key autoincrement, name text);
                insert into a (name) values ('it''s'), (NULL);
                create index a_name on a (name);
                create view v as select * from a;
                """
            )
            return [line async for line in db.iterdump()]

    reference = sqlite3.connect(":memory:")
    reference.executescript(
        """
        create table a (id integer primary key autoincrement, name text);
        insert into a (name) values ('it''s'), (NULL);
        create index a_name on a (name);
        create view v as select * from a;
        """
    )
    assert run(main()) == list(reference.iterdump())


def test_backup_into_file_databases(run: Run, tmp_path: Path) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as source, aiox.connect(tmp_path / "b.db") as target:
            await source.execute("create table t (v)")
            await source.executemany("insert into t values (?)", [(i,) for i in range(100)])
            await source.commit()
            pages: list[tuple[int, int, int]] = []
            await source.backup(target, progress=lambda *a: pages.append(a))
            assert pages
            assert pages[-1][1] == 0
            await source.backup(sqlite3.connect(tmp_path / "c.db"))
        for name in ("b.db", "c.db"):
            conn = sqlite3.connect(tmp_path / name)
            assert conn.execute("select count(*) from t").fetchone() == (100,)
            conn.close()

    run(main())


def test_trace_progress_and_authorizer(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            seen: list[str] = []
            await db.set_trace_callback(seen.append)
            await db.execute("select 7")
            assert "select 7" in seen
            await db.set_trace_callback(None)

            def no_pragmas(action: int, *args: Any) -> int:
                return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_PRAGMA else sqlite3.SQLITE_OK

            await db.set_authorizer(no_pragmas)
            with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
                await db.execute("pragma user_version")
            await db.set_authorizer(None)
            await db.execute("pragma user_version")

            await db.set_progress_handler(lambda: 1, 1)
            with pytest.raises(sqlite3.OperationalError, match="interrupted"):
                await db.execute("select 1")
            await db.set_progress_handler(None, 1)
            await still_works(db)

    run(main())


def test_gathered_statements_run_in_order_on_one_transaction(run: Run) -> None:
    async def main() -> list[tuple[int]]:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table t (v)")
            await asyncio.gather(
                *[db.execute("insert into t values (?)", (i,)) for i in range(200)]
            )
            await db.commit()
            return await db.execute_fetchall("select v from t")

    assert run(main()) == [(i,) for i in range(200)]


def test_double_await_is_refused(run: Run) -> None:
    async def main() -> None:
        db = aiox.connect(":memory:")
        await db
        with pytest.raises(RuntimeError, match="only be started once"):
            await db
        await db.close()

    run(main())


def test_interpreter_exit_with_open_connections_does_not_hang(tmp_path: Path) -> None:
    script = f"""
import asyncio
import gc
from aioxide import sqlite
DB = None
CURSOR = None
async def main():
    global DB, CURSOR
    DB = await sqlite.connect({str(tmp_path / "exit.db")!r})   # never closed
    await DB.execute("create table t (v)")
    await DB.execute("insert into t values (1)")
    CURSOR = await DB.execute("select v from t")        # a live cursor too
    # and a statement still running on the connection thread
    asyncio.ensure_future(DB.execute(
        "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"))
    await asyncio.sleep(0)
asyncio.run(main())
print("done")
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "done"


def test_loop_closed_before_the_connection(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    db = loop.run_until_complete(aiox.connect(tmp_path / "x.db"))
    loop.run_until_complete(db.execute("create table t (v)"))
    loop.close()
    # Used from another loop afterwards: still works, and closes cleanly.
    assert asyncio.run(db.execute_fetchall("select count(*) from t")) == [(0,)]
    db.stop()
    assert not db._running


def test_detect_types_decltypes_and_colnames(run: Run) -> None:
    import datetime

    aiox.register_converter("POINT", lambda b: tuple(int(x) for x in b.split(b";")))
    aiox.register_adapter(
        datetime.date, lambda d: d.isoformat()
    )  # the stdlib's own adapter is deprecated in 3.12
    aiox.register_converter("day", lambda b: datetime.date.fromisoformat(b.decode()))

    async def main() -> None:
        detect = aiox.PARSE_DECLTYPES | aiox.PARSE_COLNAMES
        async with aiox.connect(":memory:", detect_types=detect) as db:
            await db.execute("create table t (p point, d day, n integer not null, x)")
            await db.execute(
                "insert into t values (?, ?, ?, ?)", ("1;2", datetime.date(2026, 11, 21), 7, "")
            )
            await db.execute("insert into t values (null, null, 8, null)")
            rows = await db.execute_fetchall("select p, d, n, x from t")
            assert rows == [((1, 2), datetime.date(2026, 11, 21), 7, ""), (None, None, 8, None)]
            cursor = await db.execute('select x as "x [point]", 3 as "three [integer]" from t')
            assert [d[0] for d in cursor.description or ()] == ["x", "three"]
            # The converter named by the column wins; empty and NULL give None.
            assert await cursor.fetchall() == [(None, 3), (None, 3)]
        async with aiox.connect(":memory:") as db:  # detect_types off: raw values
            await db.execute("create table t (p point)")
            await db.execute("insert into t values ('1;2')")
            assert await db.execute_fetchall("select p from t") == [("1;2",)]

    run(main())


def test_create_aggregate_and_window_function(run: Run) -> None:
    class Sum:
        def __init__(self) -> None:
            self.total = 0

        def step(self, value: int) -> None:
            self.total += value

        def finalize(self) -> int:
            return self.total

    class WindowSum(Sum):
        def inverse(self, value: int) -> None:
            self.total -= value

        def value(self) -> int:
            return self.total

    class Broken(Sum):
        def step(self, value: int) -> None:
            raise ValueError("no")

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.create_aggregate("mysum", 1, Sum)
            await db.create_window_function("winsum", 1, WindowSum)
            await db.create_aggregate("broken", 1, Broken)
            await db.execute("create table t (v)")
            await db.executemany("insert into t values (?)", [(i,) for i in range(1, 6)])
            assert await db.execute_fetchall("select mysum(v) from t") == [(15,)]
            assert await db.execute_fetchall("select mysum(v) from t where v > 99") == [(None,)]
            rows = await db.execute_fetchall(
                "select winsum(v) over (order by v rows between 1 preceding and current row) from t"
            )
            assert rows == [(1,), (3,), (5,), (7,), (9,)]
            with pytest.raises(sqlite3.OperationalError, match="'step' method raised error"):
                await db.execute("select broken(v) from t")
            await db.create_aggregate("mysum", 1, None)
            with pytest.raises(sqlite3.OperationalError, match="no such function"):
                await db.execute("select mysum(v) from t")
            await still_works(db)

    run(main())


def test_cursor_factory_and_connection(run: Run) -> None:
    class Tagged(aiox.Cursor):
        tag = "mine"

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            cursor = await db.cursor(factory=Tagged)
            assert isinstance(cursor, Tagged)
            assert cursor.connection is db
            await cursor.execute("select 1")
            assert await cursor.fetchone() == (1,)
            with pytest.raises(TypeError, match="factory must return a cursor"):
                await db.cursor(factory=lambda conn, rf: object())  # type: ignore[arg-type]

    run(main())


def test_autocommit_attribute(run: Run, tmp_path: Path) -> None:
    async def main() -> None:
        async with aiox.connect(tmp_path / "a.db", autocommit=False) as db:
            assert db.autocommit is False
            assert db.in_transaction  # PEP 249: always in a transaction
            await db.execute("create table t (v)")
            await db.execute("insert into t values (1)")
            await db.commit()
            assert db.in_transaction  # the next one is open already
            db.autocommit = True
            await db.execute("insert into t values (2)")
            assert not db.in_transaction
            with pytest.raises(ValueError, match="autocommit must be"):
                db.autocommit = 5
            assert db.autocommit is True
        async with aiox.connect(tmp_path / "a.db") as db:
            assert db.autocommit == aiox.LEGACY_TRANSACTION_CONTROL
            assert await db.execute_fetchall("select v from t") == [(1,), (2,)]

    run(main())


def test_pooled_connection_spreads_queries_over_readers(run: Run, tmp_path: Path) -> None:
    big_query = "select count(*), max(seen()) from t, (select 1 union all select 2)"

    async def main() -> set[int]:
        async with aiox.connect(tmp_path / "pool.db", readers=2) as db:
            assert db._native_checked().reader_count == 2
            threads: set[int] = set()

            def seen() -> int:
                threads.add(threading.get_native_id())
                return 1

            await db.create_function("seen", 0, seen)
            await db.execute("create table t (v)")
            await db.executemany("insert into t values (?)", [(i,) for i in range(5_000)])
            # In a transaction, queries stay on the writer: they see its writes.
            assert db.in_transaction
            assert await db.execute_fetchall("select count(*) from t") == [(5_000,)]
            await db.commit()
            assert (await db.execute_fetchall("pragma journal_mode")) == [("wal",)]
            # Committed: long queries go to the readers, several at once.
            results = await asyncio.gather(*[db.execute_fetchall(big_query) for _ in range(8)])
            assert results == [[(10_000, 1)]] * 8
            # A write after them is not overtaken, and later reads see it.
            await db.execute("insert into t values (-1)")
            await db.commit()
            assert await db.execute_fetchall("select count(*) from t") == [(5_001,)]
            return threads

    threads = run(main())
    assert len(threads) >= 2  # the function ran on more than one reader thread


def test_pool_arguments_are_checked(run: Run, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="in-memory database is private"):
        aiox.connect(":memory:", readers=2)
    with pytest.raises(ValueError, match="non-negative integer"):
        aiox.connect(tmp_path / "x.db", readers=-1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        aiox.connect(tmp_path / "x.db", reader=1)


def test_what_a_cancelled_write_rolls_back(run: Run) -> None:
    running = RunningSignal()

    async def cancel_midway(db: aiox.Connection) -> None:
        running.event.clear()
        task = asyncio.ensure_future(db.execute("insert into t " + ENDLESS + " select x from c"))
        await running.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await running.install(db)
            await db.execute("create table t (v)")
            # Inside a transaction: SQLite rolls the whole transaction back.
            await db.execute("insert into t values (1)")
            assert db.in_transaction
            await cancel_midway(db)
            assert await db.execute_fetchall("select count(*) from t") == [(0,)]
            assert not db.in_transaction
            # Outside one (autocommit): only the interrupted statement.
            db.isolation_level = None
            await db.execute("insert into t values (2)")
            await cancel_midway(db)
            assert await db.execute_fetchall("select count(*) from t") == [(1,)]

    run(main())


def _sqlite_threads() -> set[str]:
    """Ids of the connection threads alive in this process (Rust threads
    carry their name)."""
    alive = set()
    for comm in Path("/proc/self/task").glob("*/comm"):
        try:
            if comm.read_text().startswith("aioxide-sqlite"):
                alive.add(comm.parent.name)
        except FileNotFoundError:  # a thread that just exited
            continue
    return alive


def test_a_connection_collected_unclosed_warns_and_stops_its_thread(run: Run) -> None:
    # As aiosqlite 0.22 and the stdlib (3.13): a ResourceWarning naming the
    # fix, and the connection is closed anyway, so nothing leaks or hangs.
    async def main() -> None:
        before = _sqlite_threads()
        held = [await aiox.connect(":memory:")]
        await held[0].execute("create table t (x)")
        [thread] = _sqlite_threads() - before  # this connection's thread
        with pytest.warns(ResourceWarning, match="deleted before being closed"):
            held.clear()  # the last reference: collected here
        # The thread finishes its queue, then exits; a Rust thread's exit has
        # no event to wait on from Python, so poll /proc, bounded at 2 s.
        for _ in range(200):
            if thread not in _sqlite_threads():
                break
            await asyncio.sleep(0.01)
        assert thread not in _sqlite_threads()
        # A closed connection says nothing when collected.
        async with aiox.connect(":memory:") as closed:
            await closed.execute("select 1")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            del closed
            gc.collect()

    run(main())


def test_an_unclosed_connection_does_not_hold_up_interpreter_exit() -> None:
    script = (
        "import asyncio, aioxide.sqlite as aiox\n"
        "leak = []\n"
        "async def main():\n"
        "    db = await aiox.connect(':memory:')\n"
        "    await db.execute('create table t (x)')\n"
        "    leak.append(db)\n"
        "asyncio.run(main())\n"
        "del leak[:]\n"
        "print('exiting')\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always::ResourceWarning", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "exiting\n"
    assert "ResourceWarning" in done.stderr
    assert "deleted before being closed" in done.stderr


def test_execute_as_a_context_manager_and_execute_fetchall_keep_their_semantics(run: Run) -> None:
    # Both have fast paths of their own (no coroutine per call): the cursor
    # is closed on leaving, also on an error; row factories get the cursor.
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table t (a, b)")
            await db.executemany("insert into t values (?, ?)", [(1, "x"), (2, "y")])
            async with db.execute("select a, b from t order by a") as cursor:
                assert await cursor.fetchone() == (1, "x")
            with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
                await cursor.fetchone()
            with pytest.raises(ZeroDivisionError):
                async with db.execute("select 1") as failing:
                    _ = 1 / 0
            with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
                await failing.fetchall()
            assert await db.execute_fetchall("select a from t order by a") == [(1,), (2,)]
            assert await asyncio.create_task(db.execute_fetchall("select count(*) from t")) == [
                (2,)
            ]
            seen: list[Any] = []

            def factory(cursor: Any, row: tuple[Any, ...]) -> dict[str, Any]:
                seen.append(cursor)
                return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}

            db.row_factory = factory
            assert await db.execute_fetchall("select a, b from t where a = 2") == [
                {"a": 2, "b": "y"}
            ]
            assert isinstance(seen[0], aiox.Cursor)
            db.row_factory = aiox.Row
            [row] = await db.execute_fetchall("select a, b from t where a = 1")
            assert (row["a"], row["b"]) == (1, "x")
            with pytest.raises(sqlite3.OperationalError, match="no such table"):
                await db.execute_fetchall("select * from missing")
            async with db.execute_fetchall("select a from t") as rows:  # as aiosqlite allows
                assert len(list(rows)) == 2

    run(main())


def test_named_placeholders_given_a_sequence_follow_the_running_python(run: Run) -> None:
    # As the interpreter's sqlite3: bound in order up to 3.11, a
    # DeprecationWarning per named placeholder on 3.12 and 3.13 (3.12.0-3.12.3
    # also for numbered ones like ?2), and a ProgrammingError from 3.14 (the
    # native rule is unit-tested in Rust).
    reference = sqlite3.connect(":memory:")
    with warnings.catch_warnings(record=True) as stdlib_warnings:
        warnings.simplefilter("always")
        try:
            expected: Any = reference.execute("select :a, ?2", (1, 2)).fetchall()
        except sqlite3.ProgrammingError as err:
            expected = str(err)
    reference.close()

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            with warnings.catch_warnings(record=True) as ours:
                warnings.simplefilter("always")
                try:
                    got: Any = await db.execute_fetchall("select :a, ?2", (1, 2))
                except sqlite3.ProgrammingError as err:
                    got = str(err)
            assert got == expected
            assert [str(w.message) for w in ours] == [str(w.message) for w in stdlib_warnings]
            assert all(w.category is DeprecationWarning for w in ours)
            assert bool(ours) == ((3, 12) <= sys.version_info < (3, 14))

    run(main())
