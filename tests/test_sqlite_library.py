"""aioxide.sqlite and the stdlib sqlite3 module share one SQLite library.

Two copies of SQLite in one process keep separate lock tables and separate
shared caches: a write lock held by one copy is invisible to the other, and
a commit in one can then fail with "disk I/O error" or corrupt the file.
These tests mix both modules on one database the way real programs do (a
sync migration or fixture beside the async app) and check that they behave
exactly as aiosqlite, which uses the stdlib's library, does."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from aioxide import sqlite as aiox

Run = Callable[[Coroutine[Any, Any, Any]], Any]

# Defaults a program can observe (and that ORMs and migrations rely on).
DEFAULT_PRAGMAS = [
    "foreign_keys",
    "recursive_triggers",
    "journal_mode",
    "synchronous",
    "cache_size",
    "page_size",
    "auto_vacuum",
    "temp_store",
    "secure_delete",
    "case_sensitive_like",
    "automatic_index",
    "cell_size_check",
    "legacy_alter_table",
    "trusted_schema",
    "defer_foreign_keys",
    "reverse_unordered_selects",
    "query_only",
    "mmap_size",
    "locking_mode",
    "wal_autocheckpoint",
    "encoding",
    "max_page_count",
]

MATH_FUNCTIONS = ["pow(2, 10)", "ceil(1.5)", "floor(1.5)", "log(100)", "sqrt(16)", "pi()"]


def test_the_library_is_the_interpreters() -> None:
    info = aiox.sqlite_library
    assert info["origin"] == "interpreter", info
    assert info["reason"] is None
    assert aiox.sqlite_version == sqlite3.sqlite_version
    assert aiox.sqlite_version_info == sqlite3.sqlite_version_info
    import _sqlite3

    assert info["location"] == _sqlite3.__file__


def test_defaults_and_compile_options_are_the_stdlibs(run: Run) -> None:
    reference = sqlite3.connect(":memory:")

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            for pragma in DEFAULT_PRAGMAS:
                expected = reference.execute(f"pragma {pragma}").fetchall()
                assert await db.execute_fetchall(f"pragma {pragma}") == expected, pragma
            options = reference.execute("pragma compile_options").fetchall()
            assert await db.execute_fetchall("pragma compile_options") == options
            assert aiox.sqlite_library["compile_options"] == [o for (o,) in options]
            for call in MATH_FUNCTIONS:
                expected = reference.execute(f"select {call}").fetchall()
                assert await db.execute_fetchall(f"select {call}") == expected, call

    try:
        run(main())
    finally:
        reference.close()


def test_a_bind_limit_past_999_works_as_in_the_stdlib(run: Run) -> None:
    # MAX_VARIABLE_NUMBER comes from the library: the same statement either
    # works on both or fails on both.
    count = 5000
    sql = f"select {count - 1} in (" + ", ".join("?" for _ in range(count)) + ")"
    reference = sqlite3.connect(":memory:")
    expected = reference.execute(sql, list(range(count))).fetchall()
    reference.close()

    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            assert await db.execute_fetchall(sql, list(range(count))) == expected

    run(main())


def test_foreign_keys_are_off_by_default_as_in_sqlite(run: Run) -> None:
    # A child row before its parent (Alembic batch migrations, fixtures that
    # load rows parent-last) is accepted, as on the stdlib.
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            await db.execute("create table parent (id integer primary key)")
            await db.execute("create table child (parent_id references parent(id))")
            await db.execute("insert into child values (7)")
            assert await db.execute_fetchall("select * from child") == [(7,)]

    run(main())


async def _hold_write_lock_then_try_stdlib(db: Any, path: Path) -> tuple[str, list[tuple[int]]]:
    """With a write transaction open on ``db``, a stdlib connection asks for
    the write lock; returns what it got, then commits ``db``."""
    await db.execute("begin immediate")
    await db.execute("insert into t values (1)")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("begin immediate")
        other.execute("insert into t values (2)")
        other.execute("commit")
        outcome = "acquired"
    except sqlite3.OperationalError as err:
        outcome = str(err)
    finally:
        other.close()
    await db.commit()
    rows = await db.execute_fetchall("select x from t order by x")
    return outcome, list(rows)


def test_a_write_lock_is_seen_by_the_stdlib_exactly_as_with_aiosqlite(
    run: Run, tmp_path: Path
) -> None:
    results = []
    for name, module in [("aiosqlite", aiosqlite), ("aioxide", aiox)]:
        path = tmp_path / f"{name}.db"
        setup = sqlite3.connect(path)
        setup.execute("create table t (x)")
        setup.commit()
        setup.close()

        async def main(module: Any = module, path: Path = path) -> Any:
            async with module.connect(path) as db:
                return await _hold_write_lock_then_try_stdlib(db, path)

        results.append(run(main()))
    assert results[0] == ("database is locked", [(1,)])
    assert results[1] == results[0]


def test_a_shared_cache_memory_database_of_the_stdlib_is_visible(run: Run) -> None:
    uri = "file:aioxide_shared_cache_test?mode=memory&cache=shared"
    keeper = sqlite3.connect(uri, uri=True)
    try:
        keeper.execute("create table notes (body text)")
        keeper.execute("insert into notes values ('written by the stdlib')")
        keeper.commit()

        async def main() -> None:
            async with aiox.connect(uri, uri=True) as db:
                rows = await db.execute_fetchall("select body from notes")
                assert rows == [("written by the stdlib",)]
                await db.execute("insert into notes values ('written by aioxide')")
                await db.commit()

        run(main())
        bodies = [b for (b,) in keeper.execute("select body from notes order by rowid")]
        assert bodies == ["written by the stdlib", "written by aioxide"]
    finally:
        keeper.close()


@pytest.mark.parametrize("journal_mode", ["wal", "delete"])
def test_concurrent_writes_from_both_modules_lose_nothing(
    run: Run, tmp_path: Path, journal_mode: str
) -> None:
    path = tmp_path / "mixed.db"
    setup = sqlite3.connect(path)
    setup.execute(f"pragma journal_mode = {journal_mode}")
    setup.execute("create table log (writer text, n integer)")
    setup.commit()
    setup.close()
    per_writer = 150
    errors: list[BaseException] = []

    def stdlib_writer(name: str) -> None:
        try:
            conn = sqlite3.connect(path, timeout=30)
            for n in range(per_writer):
                with conn:
                    conn.execute("insert into log values (?, ?)", (name, n))
            conn.close()
        except BaseException as err:  # reported after the join
            errors.append(err)

    async def aioxide_writer(name: str) -> None:
        async with aiox.connect(path, timeout=30) as db:
            for n in range(per_writer):
                await db.execute("insert into log values (?, ?)", (name, n))
                await db.commit()

    async def main() -> None:
        threads = [threading.Thread(target=stdlib_writer, args=(f"s{i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        await asyncio.gather(*(aioxide_writer(f"a{i}") for i in range(2)))
        for thread in threads:
            await asyncio.to_thread(thread.join)

    run(main())
    assert not errors, errors
    check = sqlite3.connect(path)
    try:
        assert check.execute("pragma integrity_check").fetchall() == [("ok",)]
        counts = dict(check.execute("select writer, count(distinct n) from log group by writer"))
        assert counts == {name: per_writer for name in ["s0", "s1", "a0", "a1"]}
    finally:
        check.close()


BUNDLED_PROBE = """
import asyncio, json
import aioxide.sqlite as aiox

async def main():
    async with aiox.connect(":memory:") as db:
        pragmas = {p: (await db.execute_fetchall(f"pragma {p}"))[0][0]
                   for p in ["foreign_keys", "recursive_triggers", "secure_delete"]}
        math = [(await db.execute_fetchall(f"select {c}"))[0][0]
                for c in ["pow(2, 10)", "ceil(1.5)", "floor(1.5)", "sqrt(16)"]]
        many = await db.execute_fetchall(
            "select 4999 in (" + ", ".join("?" * 5000) + ")", list(range(5000)))
    info = {k: v for k, v in aiox.sqlite_library.items()}
    print(json.dumps({"info": info, "pragmas": pragmas, "math": math, "many": many[0][0]}))

asyncio.run(main())
"""


def test_the_bundled_fallback_says_so_and_keeps_sqlites_defaults() -> None:
    env = dict(os.environ, AIOXIDE_SQLITE_LIBRARY="bundled")
    out = subprocess.run(
        [sys.executable, "-c", BUNDLED_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    report = json.loads(out)
    info = report["info"]
    assert info["origin"] == "bundled"
    assert info["reason"] == "AIOXIDE_SQLITE_LIBRARY=bundled"
    assert info["location"] is None
    # SQLite's documented defaults, which CPython's builds keep.
    assert report["pragmas"] == {"foreign_keys": 0, "recursive_triggers": 0, "secure_delete": 0}
    assert report["math"] == [1024.0, 2.0, 1.0, 4.0]
    assert report["many"] == 1
    options = info["compile_options"]
    assert "ENABLE_MATH_FUNCTIONS" in options
    assert "MAX_VARIABLE_NUMBER=250000" in options
    assert not any(o.startswith("DEFAULT_FOREIGN_KEYS") for o in options)
