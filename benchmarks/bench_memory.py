"""Memory: peak resident memory of the work itself (peak RSS minus RSS
before it started, in a fresh interpreter per measurement) for fetching 1M
rows, and the resident memory of a started, warmed pool's parent and each
child — aioxide next to the libraries it replaces and the stdlib.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .harness import Case, Suite, at_most

AIOXIDE = "aioxide.sqlite"
AIOSQLITE = "aiosqlite"
SYNC = "sqlite3 (sync)"
ROWS = 1_000_000

# Runs in a fresh interpreter on a database built beforehand by the parent
# (so the peak is the fetch's, not the build's): how much the resident set
# grew at its peak while the rows were fetched.
FETCH_PROGRAM = """
import asyncio, json, sqlite3, sys, os

def rss_now():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

contender, how, rows, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if contender == "sqlite3 (sync)":
    db = sqlite3.connect(path)
    before = rss_now()
    if how == "fetchall":
        count = len(db.execute("select * from t").fetchall())
    else:
        count = sum(1 for _ in db.execute("select * from t"))
else:
    import aiosqlite, aioxide.sqlite as aiox
    module = aiox if contender == "aioxide.sqlite" else aiosqlite
    async def main():
        async with module.connect(path) as db:
            await db.execute("select 1")
            start = rss_now()
            cursor = await db.execute("select * from t")
            if how == "fetchall":
                n = len(await cursor.fetchall())
            else:
                n = 0
                async for _ in cursor:
                    n += 1
            return start, n
    before, count = asyncio.run(main())
assert count == rows, count
# The high-water mark of this process's own memory (VmHWM), not ru_maxrss:
# Linux carries ru_maxrss over from the forked parent across exec, so a
# large parent (a whole `make bench` run) made every fetch look ~190 MiB.
with open("/proc/self/status") as f:
    peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
print(json.dumps({"grown": peak - before}))
"""


def _measured(program: str, args: list[str]) -> dict[str, float]:
    """Runs ``program`` in a fresh interpreter; the JSON its last line prints."""
    with tempfile.TemporaryDirectory() as scratch:
        # A file next to this one: spawned pool children import its functions.
        script = Path(__file__).with_name(f"_memory_{Path(scratch).name}.py")
        script.write_text(program)
        try:
            out = subprocess.run(
                [sys.executable, str(script), *args],
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            ).stdout
        finally:
            script.unlink(missing_ok=True)
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _fetch(how: str) -> Callable[[str, bool], float]:
    def run(contender: str, quick: bool) -> float:
        rows = ROWS // 10 if quick else ROWS
        with tempfile.TemporaryDirectory() as scratch:
            path = str(Path(scratch) / "rows.sqlite")
            setup = sqlite3.connect(path)
            setup.execute("create table t (id integer primary key, v integer, s text)")
            setup.executemany(
                "insert into t (v, s) values (?, ?)", ((i, f"row {i}") for i in range(rows))
            )
            setup.commit()
            setup.close()
            grown = _measured(FETCH_PROGRAM, [contender, how, str(rows), path])["grown"]
        return float(grown)

    return run


# Runs in a fresh interpreter importing only the contender's library:
# starts a 2-child pool, has every child answer, reports parent and child RSS.
POOL_PROGRAM = """
import asyncio, json, os, sys, time
sys.path.insert(0, sys.argv[2])
from benchmarks import mp_work

def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024

def report(children):
    print(json.dumps({"parent": rss(os.getpid()),
                      "child": sum(rss(p) for p in children) / len(children)}))

contender = sys.argv[1]
if __name__ == "__main__":
    if contender == "multiprocessing.Pool":
        import multiprocessing
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            seen = set()
            while len(seen) < 2:
                seen.update(pool.map(mp_work.pid_after_sync, [0.02] * 8, chunksize=1))
            report(list(seen))
    else:
        if contender == "aioxide.multiprocess":
            from aioxide.multiprocess import Pool
        else:
            from aiomultiprocess import Pool
        async def main():
            async with Pool(2) as pool:
                seen = set()
                while len(seen) < 2:
                    seen.update(await pool.map(mp_work.pid_after, [0.02] * 8))
                report(list(seen))
        asyncio.run(main())
"""

POOL_AIOXIDE = "aioxide.multiprocess"
POOL_AMP = "aiomultiprocess"
POOL_MP = "multiprocessing.Pool"


def _pool_rss(which: str) -> Callable[[str, bool], float]:
    """RSS of the parent (``which == "parent"``) or the mean of the children,
    after the pool is started and every child answered."""

    def run(contender: str, quick: bool) -> float:
        root = str(Path(__file__).parent.parent)
        return float(_measured(POOL_PROGRAM, [contender, root])[which])

    return run


FETCHALL = f"fetch {ROWS:,} rows with fetchall: peak RSS growth"
ITERATE = f"fetch {ROWS:,} rows with async for (sync: for): peak RSS growth"
PARENT = "a started 2-child pool: parent RSS"
CHILD = "a started 2-child pool: RSS per child"

SUITE = Suite(
    module="memory",
    title="Memory: resident set size, aioxide vs the originals and the stdlib",
    notes=(
        "Fetches run in a fresh interpreter each, on a file database built first; the "
        "figure is peak RSS minus RSS just before the fetch. Pools: RSS of the parent "
        "(after importing the library, which counts) and the mean RSS of the children, "
        "once every child answered."
    ),
    unit="bytes",
    cases=[
        Case(FETCHALL, [AIOXIDE, AIOSQLITE, SYNC], {AIOSQLITE, SYNC}, _fetch("fetchall")),
        Case(ITERATE, [AIOXIDE, AIOSQLITE, SYNC], {AIOSQLITE, SYNC}, _fetch("iterate")),
        Case(PARENT, [POOL_AIOXIDE, POOL_AMP, POOL_MP], {POOL_AMP, POOL_MP}, _pool_rss("parent")),
        Case(CHILD, [POOL_AIOXIDE, POOL_AMP, POOL_MP], {POOL_AMP, POOL_MP}, _pool_rss("child")),
    ],
    floors=[
        # The Python rows, plus at most the engine's chunks in flight (two of
        # REST_CHUNK rows: under 1 MiB here): within 5% of aiosqlite.
        at_most(FETCHALL, AIOXIDE, AIOSQLITE, 1.05),
        # Streaming: async for holds one chunk (iter_chunk_size rows) at a
        # time, as aiosqlite's does; 2x the sync loop's few MiB is the bound.
        at_most(ITERATE, AIOXIDE, SYNC, 2.0),
    ],
)
