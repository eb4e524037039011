"""The results file: written and queried through ``aioxide.sqlite``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import sqlite
from .probe import Row

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL,
    endpoints INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run INTEGER NOT NULL REFERENCES runs(id),
    url TEXT NOT NULL,
    status INTEGER,
    latency_ms REAL NOT NULL,
    error TEXT,
    pid INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS results_by_run ON results(run);
"""


@dataclass
class Summary:
    run: int
    stored: int
    slowest: list[tuple[str, float, int]]
    by_outcome: list[tuple[str, int]]
    by_child: list[tuple[int, int, float]]


async def store_and_query(path: Path, rows: Sequence[Row]) -> Summary:
    """Stores one run's rows, then reads the summary back with SQL."""
    async with sqlite.connect(str(path)) as db:
        await db.executescript(SCHEMA)
        cursor = await db.execute(
            "INSERT INTO runs (started, endpoints) VALUES (?, ?)", (time.time(), len(rows))
        )
        run = cursor.lastrowid
        assert run is not None
        await db.executemany(
            "INSERT INTO results (run, url, status, latency_ms, error, pid) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(run, *row) for row in rows],
        )
        await db.commit()
        stored = await _one(db, "SELECT COUNT(*) FROM results WHERE run = ?", run)
        slowest = await db.execute_fetchall(
            "SELECT url, latency_ms, status FROM results WHERE run = ? AND error IS NULL "
            "ORDER BY latency_ms DESC LIMIT 5",
            (run,),
        )
        by_outcome = await db.execute_fetchall(
            "SELECT COALESCE(error, CAST(status AS TEXT)) AS outcome, COUNT(*) FROM results "
            "WHERE run = ? GROUP BY outcome ORDER BY COUNT(*) DESC, outcome",
            (run,),
        )
        by_child = await db.execute_fetchall(
            "SELECT pid, COUNT(*), AVG(latency_ms) FROM results WHERE run = ? "
            "GROUP BY pid ORDER BY pid",
            (run,),
        )
    return Summary(
        run,
        stored,
        [tuple(r) for r in slowest],
        [tuple(r) for r in by_outcome],
        [tuple(r) for r in by_child],
    )


async def _one(db: Any, sql: str, *args: Any) -> int:
    rows = list(await db.execute_fetchall(sql, args))
    return int(rows[0][0])
