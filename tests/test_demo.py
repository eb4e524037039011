"""The demo (`make demo`, `python -m aioxide.demo`) end to end, small."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from aioxide.demo.__main__ import DemoFailure, check
from aioxide.demo.fleet import expected_outcome
from aioxide.demo.probe import Report


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aioxide.demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_runs_twice_and_stores_checked_results(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    for run in (1, 2):
        proc = demo("--endpoints", "600", "--servers", "2", "--db", str(db))
        assert proc.returncode == 0, proc.stderr
        assert f"(run {run}, 600 rows)" in proc.stdout
        assert "every endpoint probed once, every outcome as planned" in proc.stdout
        assert "slowest endpoints that answered" in proc.stdout
        assert "Traceback" not in proc.stderr
    with sqlite3.connect(db) as conn:
        counts = dict(conn.execute("SELECT run, COUNT(*) FROM results GROUP BY run").fetchall())
        statuses = Counter(
            row[0]
            for row in conn.execute("SELECT COALESCE(error, status) FROM results WHERE run = 2")
        )
    assert counts == {1: 600, 2: 600}
    planned = Counter(str(e or s) for s, e in (expected_outcome(n) for n in range(600)))
    assert {str(k): v for k, v in statuses.items()} == planned


def test_demo_rejects_bad_arguments() -> None:
    proc = demo("--endpoints", "0")
    assert proc.returncode == 2
    assert "--endpoints must be at least 1" in proc.stderr


def test_demo_fails_clearly_when_it_cannot_store(tmp_path: Path) -> None:
    proc = demo("--endpoints", "50", "--db", str(tmp_path / "missing" / "dir" / "demo.sqlite"))
    assert proc.returncode == 1
    assert proc.stderr.startswith("demo failed: ")
    assert "unable to open database file" in proc.stderr


def test_results_are_checked_against_the_plan() -> None:
    good = [(f"http://h/svc/{n}", *expected_outcome(n)) for n in range(3)]
    rows = [(url, status, 1.0, error, 1) for url, status, error in good]
    check(Report(list(rows)), 3)
    with pytest.raises(DemoFailure, match="differ from the plan"):
        check(Report([rows[0], (rows[1][0], 500, 1.0, None, 1), rows[2]]), 3)
    with pytest.raises(DemoFailure, match="probed twice"):
        check(Report([rows[0], rows[0], rows[2]]), 3)
    with pytest.raises(DemoFailure, match="2 results for 3 endpoints"):
        check(Report(rows[:2]), 3)
