"""Machine instructions per item, counted with valgrind.

Timings on a shared 2-core VM swing by tens of percent; instruction counts do
not. Each contender runs twice under callgrind, at a small and a large size;
the difference of the two program totals, divided by the extra items, is the
per-item cost with start-up and imports cancelled out. Cases:

- ``chain``: an item of ``chain`` over two async generators (aioxide,
  aioitertools, and the bare source loop without any chain);
- ``sql-lookup``: a primary-key lookup through aioxide.sql (build, render,
  run, one object) next to the same statement as plain aioxide.sqlite calls;
- ``sql-render``: building and rendering the select of the SQL benchmark
  (join, where, order, limit), aioxide.sql next to aql;
- ``sqlite-idioms``: one point select on aioxide.sqlite written each of the
  three ways people write it, next to the stdlib ``sqlite3`` doing it
  synchronously (``execute().fetchone()``);
- ``sqlite-inserts``: one insert of many in one transaction (an implicit
  BEGIN, one commit at the end), aioxide.sqlite next to the stdlib;
- ``pool-map``: one call of ``map`` over trivial calls with two children,
  parent and children together (valgrind follows the spawned children),
  next to ``multiprocessing.Pool.map``.

    .venv/bin/python -m benchmarks.instructions [chain|sql-lookup ...]

Needs `valgrind` on PATH (not installed by `make`: this is a diagnostic, not
part of `make bench`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHAIN = """
import asyncio, sys
import aioitertools
import aioxide.itertools as ait

async def source(n):
    for i in range(n):
        yield i

async def main(kind, n):
    count = 0
    if kind == "bare":
        for _ in range(2):
            async for _ in source(n):
                count += 1
        return
    lib = ait if kind == "aioxide.itertools" else aioitertools
    async for _ in lib.chain(source(n), source(n)):
        count += 1

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""

SQL_LOOKUP = """
import asyncio, sys
import aioxide.sql as sql

@sql.table("contact")
class Contact:
    contact_id: sql.Primary[int]
    name: str
    title: str = ""

async def main(kind, n):
    async with sql.connect("sqlite://:memory:") as db:
        await db.execute(Contact.create())
        await db.execute(Contact.insert().values(*[(i, f"n{i}", "t") for i in range(1000)]))
        raw = db._live()
        for i in range(n):
            if kind == "aioxide.sql":
                await db.execute(Contact.select().where(Contact.contact_id == i % 1000))
            else:
                cursor = await raw.execute(
                    "SELECT contact_id, name, title FROM contact WHERE contact_id = ?",
                    (i % 1000,),
                )
                await cursor.fetchall()

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""

# The very query code the timed SQL suite runs (benchmarks/bench_sql.py);
# its imports (SQLAlchemy ...) cancel out in the N vs 6N difference.
SQL_RENDER = """
import sys
sys.path.insert(0, sys.argv[3])
from benchmarks import bench_sql
from aioxide.sql.engines.sqlite import SqliteEngine
from aql.engines.sqlite import SqliteEngine as AqlSqliteEngine

def main(kind, n):
    if kind == "aioxide.sql":
        engine, select = SqliteEngine(), bench_sql._aioxide_select
    else:
        engine, select = AqlSqliteEngine(), bench_sql._aql_select
    for _ in range(n):
        select(engine)

main(sys.argv[1], int(sys.argv[2]))
"""

SQLITE_IDIOMS = """
import asyncio, sqlite3, sys
import aioxide.sqlite as aiox

Q = "select v, s from t where id = ?"

def sync(n):
    db = sqlite3.connect(":memory:")
    db.execute("create table t (id integer primary key, v, s)")
    db.executemany("insert into t (v, s) values (?, ?)", [(i, str(i)) for i in range(1000)])
    for i in range(n):
        db.execute(Q, (i % 1000 + 1,)).fetchone()

async def main(kind, n):
    async with aiox.connect(":memory:") as db:
        await db.execute("create table t (id integer primary key, v, s)")
        rows = [(i, str(i)) for i in range(1000)]
        await db.executemany("insert into t (v, s) values (?, ?)", rows)
        for i in range(n):
            key = (i % 1000 + 1,)
            if kind == "await":
                cursor = await db.execute(Q, key)
                await cursor.fetchone()
            elif kind == "async-with":
                async with db.execute(Q, key) as cursor:
                    await cursor.fetchone()
            else:
                await db.execute_fetchall(Q, key)

if sys.argv[1] == "sync":
    sync(int(sys.argv[2]))
else:
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""

SQLITE_INSERTS = """
import asyncio, sqlite3, sys
import aioxide.sqlite as aiox

Q = "insert into t values (?, ?)"

def sync(n):
    db = sqlite3.connect(":memory:")
    db.execute("create table t (a, b)")
    for i in range(n):
        db.execute(Q, (i, "x"))
    db.commit()

async def main(n):
    async with aiox.connect(":memory:") as db:
        await db.execute("create table t (a, b)")
        for i in range(n):
            await db.execute(Q, (i, "x"))
        await db.commit()

if sys.argv[1] == "sync":
    sync(int(sys.argv[2]))
else:
    asyncio.run(main(int(sys.argv[2])))
"""

POOL_MAP = """
import asyncio, multiprocessing, sys

async def double(x):
    return x * 2

def double_sync(x):
    return x * 2

async def main(n):
    from aioxide.multiprocess import Pool
    async with Pool(2) as pool:
        await pool.map(double, range(n))

if __name__ == "__main__":
    kind, n = sys.argv[1], int(sys.argv[2])
    if kind == "aioxide":
        asyncio.run(main(n))
    else:
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            pool.map(double_sync, range(n))
"""

REPO = Path(__file__).resolve().parents[1]

#: Cases whose program starts processes: their children are counted too.
WITH_CHILDREN = {"pool-map"}

#: case -> (program, contenders with their labels, small size, large size,
#: items per unit of size)
CASES = {
    "chain": (
        CHAIN,
        {
            "aioxide.itertools": "chain, aioxide.itertools",
            "aioitertools": "chain, aioitertools",
            "bare": "bare source loop (no chain)",
        },
        1_000,
        51_000,
        2,
    ),
    "sql-lookup": (
        SQL_LOOKUP,
        {
            "aioxide.sql": "primary-key lookup, aioxide.sql",
            "raw": "the same statement on aioxide.sqlite",
        },
        2_000,
        12_000,
        1,
    ),
    "sql-render": (
        SQL_RENDER,
        {
            "aioxide.sql": "build + render a select with join, where, order, limit: aioxide.sql",
            "aql": "the same with aql",
        },
        1_000,
        6_000,
        1,
    ),
    "sqlite-idioms": (
        SQLITE_IDIOMS,
        {
            "sync": "sqlite3 (sync): execute().fetchone()",
            "await": "aioxide: cur = await execute(); await cur.fetchone()",
            "async-with": "aioxide: async with execute() as cur: await cur.fetchone()",
            "fetchall": "aioxide: await execute_fetchall()",
        },
        1_000,
        11_000,
        1,
    ),
    "sqlite-inserts": (
        SQLITE_INSERTS,
        {
            "sync": "sqlite3 (sync): execute(), per insert",
            "aioxide": "aioxide: await execute(), per insert",
        },
        2_000,
        12_000,
        1,
    ),
    "pool-map": (
        POOL_MAP,
        {
            "aioxide": "aioxide.multiprocess: await pool.map(), per call",
            "mp": "multiprocessing.Pool.map, per call",
        },
        2_000,
        42_000,
        1,
    ),
}


def total_instructions(script: Path, kind: str, n: int, children: bool = False) -> int:
    """Instructions of one run (with ``children``: summed over the process
    and every process it started)."""
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--trace-children={'yes' if children else 'no'}",
                f"--callgrind-out-file={out}/callgrind.%p",
                sys.executable,
                str(script),
                kind,
                str(n),
                str(REPO),
            ],
            capture_output=True,
            text=True,
            check=True,
            # The same string hashes in both runs: dict and set layouts (and
            # so the instructions spent at import) do not differ between them.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    found = re.findall(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if not found:
        raise RuntimeError(f"no instruction total in valgrind's output:\n{run.stderr}")
    return sum(int(total.replace(",", "")) for total in found)


def main(argv: list[str]) -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    names = argv or list(CASES)
    unknown = [name for name in names if name not in CASES]
    if unknown:
        print(f"unknown case(s) {unknown}; choose from {list(CASES)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            program, contenders, small_n, large_n, per_unit = CASES[name]
            script = Path(tmp) / f"{name}.py"
            script.write_text(program)
            items = per_unit * (large_n - small_n)
            for kind, label in contenders.items():
                children = name in WITH_CHILDREN
                small = total_instructions(script, kind, small_n, children)
                large = total_instructions(script, kind, large_n, children)
                print(f"{label}: {(large - small) / items:,.0f} instructions per item")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
