"""The demo (`make demo`) runs end to end in a small configuration."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_and_reports_per_completion_cost() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aioxide.demo", "--count", "4000", "--concurrency", "32"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "µs per completion" in proc.stdout
    assert "every result reached its loop" in proc.stdout


def test_demo_rejects_bad_arguments() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aioxide.demo", "--count", "1", "--concurrency", "8"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "--count must be at least --concurrency" in proc.stderr
