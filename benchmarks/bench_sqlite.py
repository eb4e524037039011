"""aioxide.sqlite against aiosqlite and the synchronous sqlite3 module.

Each case runs on a fresh in-memory database per repeat; figures are per
operation (per row for the fetch cases).
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite
import rapsqlite

from aioxide import sqlite as aioxide_sqlite

from .harness import Case, Floor, Measurement, Suite, format_time

AIOXIDE = "aioxide.sqlite"
AIOXIDE_POOL = "aioxide.sqlite, readers=2"
AIOSQLITE = "aiosqlite"
RAPSQLITE = "rapsqlite"
SYNC = "sqlite3 (sync)"
CONTENDERS = [AIOXIDE, AIOSQLITE, RAPSQLITE, SYNC]
ANCHORS = {AIOSQLITE, RAPSQLITE, SYNC}
ASYNC_MODULES: dict[str, Any] = {
    AIOXIDE: aioxide_sqlite,
    AIOSQLITE: aiosqlite,
    RAPSQLITE: rapsqlite,
}


#: Where the database lives: in memory, or a file in WAL or rollback-journal mode.
STORAGES = {"memory": None, "WAL file": "wal", "rollback-journal file": "delete"}


def _location(storage: str, scratch: Path) -> str:
    return ":memory:" if STORAGES[storage] is None else str(scratch / "bench.sqlite")


def _file_pragmas(storage: str) -> list[str]:
    mode = STORAGES[storage]
    return [] if mode is None else [f"pragma journal_mode = {mode}", "pragma synchronous = normal"]


def _sync_db(rows: int, storage: str = "memory", scratch: Path | None = None) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:" if scratch is None else _location(storage, scratch))
    for pragma in _file_pragmas(storage) if scratch is not None else []:
        db.execute(pragma)
    db.execute("create table t (id integer primary key, v integer, s text)")
    db.executemany("insert into t (v, s) values (?, ?)", ((i, f"row {i}") for i in range(rows)))
    db.commit()
    return db


async def _async_db(
    module: Any, rows: int, storage: str = "memory", scratch: Path | None = None
) -> Any:
    db = await module.connect(":memory:" if scratch is None else _location(storage, scratch))
    for pragma in _file_pragmas(storage) if scratch is not None else []:
        await db.execute(pragma)
    await db.execute("create table t (id integer primary key, v integer, s text)")
    await db.executemany(
        "insert into t (v, s) values (?, ?)", [(i, f"row {i}") for i in range(rows)]
    )
    await db.commit()
    return db


def inserts_one_commit(storage: str) -> Callable[[str, bool], float]:
    """20,000 inserts, one after the other, in the implicit transaction the
    first one opens; the timed part ends with its commit."""

    def run(contender: str, quick: bool) -> float:
        n = 2_000 if quick else 20_000
        with tempfile.TemporaryDirectory() as scratch:
            if contender == SYNC:
                db = _sync_db(0, storage, Path(scratch))
                start = time.perf_counter()
                for i in range(n):
                    db.execute("insert into t (v, s) values (?, ?)", (i, "x"))
                db.commit()
                elapsed = time.perf_counter() - start
                db.close()
                return elapsed / n

            async def main() -> float:
                db = await _async_db(ASYNC_MODULES[contender], 0, storage, Path(scratch))
                start = time.perf_counter()
                for i in range(n):
                    await db.execute("insert into t (v, s) values (?, ?)", (i, "x"))
                await db.commit()
                elapsed = time.perf_counter() - start
                await db.close()
                return elapsed / n

            return asyncio.run(main())

    return run


#: The three ways people write a point select (the sync twin of each in brackets).
IDIOMS = {
    "cur = await execute(); await cur.fetchone()": "fetchone",
    "async with execute() as cur: await cur.fetchone()": "fetchone",
    "await execute_fetchall()": "fetchall",
}


async def _select_loop(db: Any, idiom: str, n: int) -> None:
    """``n`` point selects written as ``idiom``, each loop inline as a program
    writes it (a helper coroutine per select would time a coroutine, a frame
    and the idiom test per statement that the sync loop does not pay)."""
    q = "select v, s from t where id = ?"
    if idiom.startswith("cur ="):
        for i in range(n):
            cursor = await db.execute(q, (i + 1,))
            await cursor.fetchone()
    elif idiom.startswith("async with"):
        for i in range(n):
            async with db.execute(q, (i + 1,)) as cursor:
                await cursor.fetchone()
    else:
        for i in range(n):
            await db.execute_fetchall(q, (i + 1,))


def point_selects(idiom: str, storage: str) -> Callable[[str, bool], float]:
    """20,000 point selects in a row, written as ``idiom``; the sync twin
    is ``execute(q, p).fetchone()`` (or ``.fetchall()``)."""

    def run(contender: str, quick: bool) -> float:
        n = 2_000 if quick else 20_000
        with tempfile.TemporaryDirectory() as scratch:
            if contender == SYNC:
                db = _sync_db(n, storage, Path(scratch))
                fetch = IDIOMS[idiom]
                start = time.perf_counter()
                if fetch == "fetchone":
                    for i in range(n):
                        db.execute("select v, s from t where id = ?", (i + 1,)).fetchone()
                else:
                    for i in range(n):
                        db.execute("select v, s from t where id = ?", (i + 1,)).fetchall()
                elapsed = time.perf_counter() - start
                db.close()
                return elapsed / n

            async def main() -> float:
                db = await _async_db(ASYNC_MODULES[contender], n, storage, Path(scratch))
                start = time.perf_counter()
                await _select_loop(db, idiom, n)
                elapsed = time.perf_counter() - start
                await db.close()
                return elapsed / n

            return asyncio.run(main())

    return run


def shared_connection_selects(contender: str, quick: bool) -> float:
    tasks, per_task = 64, (30 if quick else 300)
    if contender == SYNC:
        db = _sync_db(1_000)
        start = time.perf_counter()
        for i in range(tasks * per_task):
            db.execute("select v, s from t where id = ?", (i % 1_000 + 1,)).fetchone()
        elapsed = time.perf_counter() - start
        db.close()
        return elapsed / (tasks * per_task)

    async def main() -> float:
        db = await _async_db(ASYNC_MODULES[contender], 1_000)

        async def worker(k: int) -> None:
            for i in range(per_task):
                cursor = await db.execute("select v, s from t where id = ?", ((k + i) % 1_000 + 1,))
                await cursor.fetchone()

        start = time.perf_counter()
        await asyncio.gather(*[worker(k) for k in range(tasks)])
        elapsed = time.perf_counter() - start
        await db.close()
        return elapsed / (tasks * per_task)

    return asyncio.run(main())


def fetch_rows(how: str) -> Callable[[str, bool], float]:
    def run(contender: str, quick: bool) -> float:
        n = 10_000 if quick else 100_000
        if contender == SYNC:
            db = _sync_db(n)
            start = time.perf_counter()
            rows = db.execute("select * from t").fetchall()
            elapsed = time.perf_counter() - start
            db.close()
            assert len(rows) == n
            return elapsed / n

        async def main() -> float:
            db = await _async_db(ASYNC_MODULES[contender], n)
            start = time.perf_counter()
            cursor = await db.execute("select * from t")
            if how == "fetchall":
                rows = await cursor.fetchall()
            else:
                rows = [row async for row in cursor]
            elapsed = time.perf_counter() - start
            await db.close()
            assert len(rows) == n
            return elapsed / n

        return asyncio.run(main())

    return run


def pooled_reads(contender: str, quick: bool) -> float:
    """64 tasks each running full-scan aggregate queries on a file database."""
    rows, tasks, per_task = (5_000, 16, 4) if quick else (20_000, 64, 8)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reads.db"
        setup = sqlite3.connect(path)
        setup.execute("pragma journal_mode = wal")
        setup.execute("create table t (id integer primary key, v integer)")
        setup.executemany("insert into t (v) values (?)", ((i,) for i in range(rows)))
        setup.commit()
        setup.close()

        async def main() -> float:
            if contender == AIOXIDE_POOL:
                db = await aioxide_sqlite.connect(path, readers=2)
            else:
                db = await ASYNC_MODULES[contender].connect(path)

            async def worker(k: int) -> None:
                for i in range(per_task):
                    cursor = await db.execute(
                        "select sum(v) from t where v % 7 = ?", ((k + i) % 7,)
                    )
                    await cursor.fetchone()

            start = time.perf_counter()
            await asyncio.gather(*[worker(k) for k in range(tasks)])
            elapsed = time.perf_counter() - start
            await db.close()
            return elapsed / (tasks * per_task)

        return asyncio.run(main())


def loop_gap_during_long_query(contender: str, quick: bool) -> float:
    """The longest a 1 ms ticker on the loop waits while a long query runs."""
    n = 300_000 if quick else 3_000_000
    long_query = (
        "with recursive c(x) as (select 1 union all select x + 1 from c where x < ?) "
        "select count(*) from c"
    )

    async def main() -> float:
        db = await ASYNC_MODULES[contender].connect(":memory:")
        loop = asyncio.get_running_loop()
        worst = 0.0
        done = False

        async def ticker() -> None:
            nonlocal worst
            last = loop.time()
            while not done:
                await asyncio.sleep(0.001)
                now = loop.time()
                worst = max(worst, now - last - 0.001)
                last = now

        tick = asyncio.ensure_future(ticker())
        await asyncio.sleep(0.01)
        cursor = await db.execute(long_query, (n,))
        await cursor.fetchone()
        done = True
        await tick
        await db.close()
        return worst

    return asyncio.run(main())


def _ceiling_floor(case: str, seconds: float) -> Floor:
    def check(results: dict[tuple[str, str], Measurement]) -> tuple[str, bool]:
        worst = max(results[(case, AIOXIDE)].samples)
        return f"worst gap {format_time(worst)}", worst <= seconds

    return Floor(f"{case}: aioxide never above {format_time(seconds)}", check)


def _ratio_floor(case: str, against: str, limit: float, at_most: bool) -> Floor:
    def check(results: dict[tuple[str, str], Measurement]) -> tuple[str, bool]:
        ours = results[(case, AIOXIDE)].median
        theirs = results[(case, against)].median
        if at_most:
            ratio = ours / theirs
            return f"{format_time(ours)}: {ratio:.2f}x {against}", ratio <= limit
        speedup = theirs / ours
        return f"{format_time(ours)}: {speedup:.1f}x faster than {against}", speedup >= limit

    word = "at most" if at_most else "at least"
    unit = f"{limit}x the time of {against}" if at_most else f"{limit}x faster than {against}"
    return Floor(f"{case}: {word} {unit}", check)


INSERTS = "20,000 sequential inserts, one commit"
SELECTS = "20,000 sequential point selects"


def _insert_case(storage: str) -> str:
    return f"{INSERTS} ({storage})"


def _select_case(idiom: str, storage: str) -> str:
    return f"{SELECTS}: {idiom} ({storage})"


SHARED = "64 tasks sharing one connection, point selects"
FETCHALL = "fetch 100,000 rows: fetchall"
ITERATE = "fetch 100,000 rows: async for"

POOLED = "64 tasks, full-scan queries on a WAL file (pooled readers)"
GAP = "event-loop stall while a ~1 s query runs (worst ticker delay)"

SUITE = Suite(
    module="sqlite",
    title="SQLite: aioxide.sqlite vs aiosqlite vs sqlite3",
    notes=(
        "In-memory databases unless noted; file databases use synchronous=normal. "
        "Per operation, or per row for the fetch "
        "cases; the stall case reports the worst delay of a 1 ms ticker. "
        "rapsqlite is a Rust-backed aiosqlite alternative, run as a peer. Every "
        "timed loop is written inline, as a program writes it, for the sync and "
        "the async contenders alike."
    ),
    cases=[
        *(
            Case(_insert_case(storage), CONTENDERS, ANCHORS, inserts_one_commit(storage))
            for storage in STORAGES
        ),
        *(
            Case(_select_case(idiom, storage), CONTENDERS, ANCHORS, point_selects(idiom, storage))
            for storage in STORAGES
            for idiom in IDIOMS
        ),
        Case(SHARED, CONTENDERS, ANCHORS, shared_connection_selects),
        Case(FETCHALL, CONTENDERS, ANCHORS, fetch_rows("fetchall")),
        Case(
            ITERATE, [AIOXIDE, AIOSQLITE, RAPSQLITE], {AIOSQLITE, RAPSQLITE}, fetch_rows("iterate")
        ),
        Case(POOLED, [AIOXIDE_POOL, AIOXIDE, AIOSQLITE], {AIOXIDE, AIOSQLITE}, pooled_reads),
        Case(GAP, [AIOXIDE, AIOSQLITE], {AIOSQLITE}, loop_gap_during_long_query),
    ],
    floors=[
        # Performance round 2 (#18): every idiom and the inserts at most
        # 1.2x sync sqlite3, in memory and on a WAL file.
        *(_ratio_floor(_insert_case(storage), SYNC, 1.2, at_most=True) for storage in STORAGES),
        *(
            _ratio_floor(_select_case(idiom, storage), SYNC, 1.2, at_most=True)
            for storage in STORAGES
            for idiom in IDIOMS
        ),
        _ratio_floor(_insert_case("memory"), AIOSQLITE, 10.0, at_most=False),
        _ratio_floor(_select_case(next(iter(IDIOMS)), "memory"), AIOSQLITE, 10.0, at_most=False),
        _ratio_floor(SHARED, AIOSQLITE, 10.0, at_most=False),
        _ratio_floor(FETCHALL, SYNC, 1.2, at_most=True),
        _ceiling_floor(GAP, 0.005),
    ],
)
