"""The benchmark harness: warm-up, repeats, medians and spreads, ratios
against the anchors measured in the same run, floors, and the report.

A suite is a module in this package with a ``SUITE`` attribute. Each suite
measures *cases* (one workload each) for several *contenders* (aioxide and
the libraries it replaces), and lists the *floors* its issue sets.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from . import charts

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
REPORT = HERE / "RESULTS.md"


@dataclass
class Measurement:
    """Per-operation times (seconds) of one contender on one case, one per repeat."""

    case: str
    contender: str
    samples: list[float]
    anchor: bool = False  # a library we compare against, not aioxide itself

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """(max - min) / median over the repeats: how noisy this figure is."""
        return (max(self.samples) - min(self.samples)) / self.median if self.median else 0.0


@dataclass
class Floor:
    """A target from an issue: ``check`` turns the results into (figure, met)."""

    text: str
    check: Callable[[dict[tuple[str, str], Measurement]], tuple[str, bool]]


@dataclass
class Case:
    """One workload. ``run(contender, quick)`` returns seconds per operation
    (or, in a suite whose ``unit`` is ``"bytes"``, bytes)."""

    name: str
    contenders: list[str]
    anchors: set[str]
    run: Callable[[str, bool], float]


@dataclass
class Suite:
    module: str
    title: str
    cases: list[Case]
    floors: list[Floor] = field(default_factory=list)
    notes: str = ""
    #: What the cases return: ``"seconds"`` per operation, or ``"bytes"``.
    unit: str = "seconds"
    #: Stops what the cases started and kept for reuse (a cluster), so the
    #: suites after this one do not share the machine with it.
    teardown: Callable[[], None] | None = None


def _prefixed(progress: Callable[[str], None], label: str, text: str) -> None:
    progress(f"{label} {text}")


def measure_interleaved(
    case: Case, quick: bool, repeats: int, progress: Callable[[str], None]
) -> dict[str, list[float]]:
    """One warm-up each, then the contenders take turns for every repeat:
    a slow phase of this (virtual) machine then hits all of them alike,
    instead of whichever happened to be measured during it."""
    for contender in case.contenders:
        progress(f"warming up {contender} ...")
        case.run(contender, quick)
    samples: dict[str, list[float]] = {c: [] for c in case.contenders}
    for repeat in range(1, repeats + 1):
        for contender in case.contenders:
            progress(f"repeat {repeat}/{repeats} :: {contender} ...")
            samples[contender].append(case.run(contender, quick))
    return samples


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=HERE,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            # Results written earlier in this same run do not make the code dirty.
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!benchmarks/results",
                ":!benchmarks/RESULTS.md",
                ":!benchmarks/charts",
            ],
            capture_output=True,
            text=True,
            # The whole checkout: a change to the Rust core is what a figure
            # most often depends on.
            cwd=HERE.parent,
            check=True,
        ).stdout.strip()
        commit += "+uncommitted" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    import sqlite3

    try:
        import uvloop

        uvloop_version = uvloop.__version__
    except ImportError:
        uvloop_version = "not installed"
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}",
        "python": platform.python_version(),
        "sqlite (stdlib sqlite3)": sqlite3.sqlite_version,
        "sqlite (aioxide, bundled)": _bundled_sqlite(),
        "uvloop": uvloop_version,
        "commit": commit,
    }


def _bundled_sqlite() -> str:
    try:
        from aioxide.sqlite import sqlite_version
    except ImportError:
        return "not built"
    return sqlite_version


def format_bytes(size: float) -> str:
    if size >= 2**30:
        return f"{size / 2**30:.2f} GiB"
    if size >= 2**20:
        return f"{size / 2**20:.1f} MiB"
    return f"{size / 2**10:.0f} KiB"


def format_value(value: float, unit: str) -> str:
    return format_bytes(value) if unit == "bytes" else format_time(value)


def format_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.0f} ns"


def run_suite(suite: Suite, quick: bool, repeats: int, progress: Callable[[str], None]) -> dict:
    results: dict[tuple[str, str], Measurement] = {}
    total = len(suite.cases)
    try:
        for done, case in enumerate(suite.cases, 1):
            label = f"[{suite.module} {done}/{total}] {case.name}"
            samples = measure_interleaved(case, quick, repeats, partial(_prefixed, progress, label))
            for contender in case.contenders:
                anchor = contender in case.anchors
                m = Measurement(case.name, contender, samples[contender], anchor=anchor)
                results[(case.name, contender)] = m
                spread = f"±{m.spread * 100:.0f}%"
                progress(f"{label} :: {contender}: {format_value(m.median, suite.unit)} {spread}\n")
    finally:
        if suite.teardown is not None:
            suite.teardown()
    floors = []
    for floor in suite.floors:
        try:
            figure, met = floor.check(results)
        except KeyError as missing:
            figure, met = f"not measured ({missing})", False
        floors.append({"text": floor.text, "figure": figure, "met": met})
    return {
        "module": suite.module,
        "title": suite.title,
        "notes": suite.notes,
        "unit": suite.unit,
        "machine": machine(),
        "quick": quick,
        "repeats": repeats,
        "cases": [
            {
                "case": case.name,
                "anchors": sorted(case.anchors),
                "measurements": [asdict(results[(case.name, c)]) for c in case.contenders],
            }
            for case in suite.cases
        ],
        "floors": floors,
    }


def save(result: dict) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{result['module']}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


def render_report() -> str:
    """RESULTS.md from every saved suite result (so ``--only`` keeps the others)."""
    lines = [
        "# aioxide benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks`). Each figure is the median",
        "time per operation over the repeats, after a warm-up; *spread* is",
        "(max - min) / median. Ratios compare contenders measured in the same run,",
        "so they hold better than absolute times on a noisy machine.",
        "Raw figures: `benchmarks/results/*.json`.",
        "",
    ]
    for path in sorted(RESULTS_DIR.glob("*.json")):
        result = json.loads(path.read_text())
        chart = charts.render(result)
        lines += render_suite(result)
        lines += [f"![{result['module']}: {charts.caption(result)}](charts/{chart.name})", ""]
    return "\n".join(lines).rstrip() + "\n"


def render_suite(result: dict) -> list[str]:
    info = result["machine"]
    quick = " (quick run)" if result["quick"] else ""
    lines = [f"## {result['title']}{quick}", ""]
    lines.append(
        f"{info['date']} · {info['machine']} · Python {info['python']} · "
        f"SQLite {info['sqlite (stdlib sqlite3)']} (stdlib), "
        f"{info.get('sqlite (aioxide, bundled)', 'n/a')} (aioxide) · uvloop {info['uvloop']} · "
        f"commit {info['commit']} · {result['repeats']} repeats"
    )
    lines.append("")
    if result["notes"]:
        lines += [result["notes"], ""]
    for case in result["cases"]:
        ms = case["measurements"]
        ours = [m for m in ms if not m["anchor"]]
        anchors = [m for m in ms if m["anchor"]]
        unit = result.get("unit", "seconds")
        header = (
            "| contender | per op | spread |"
            if unit == "seconds"
            else "| contender | size | spread |"
        )
        rule = "|---|---:|---:|"
        for a in anchors:
            header += f" vs {a['contender']} |"
            rule += "---:|"
        lines += [f"**{case['case']}**", "", header, rule]
        for m in ours + anchors:
            med = statistics.median(m["samples"])
            spread = (max(m["samples"]) - min(m["samples"])) / med if med else 0.0
            row = f"| {m['contender']} | {format_value(med, unit)} | ±{spread * 100:.0f}% |"
            for a in anchors:
                ratio = med / statistics.median(a["samples"])
                row += f" {ratio:.2f}x |"
            lines.append(row)
        lines.append("")
    if result["floors"]:
        lines += ["| floor | measured | met |", "|---|---|---|"]
        for f in result["floors"]:
            lines.append(f"| {f['text']} | {f['figure']} | {'met' if f['met'] else 'NOT met'} |")
        lines.append("")
    return lines


def stderr_progress(text: str) -> None:
    """Rewrites the status line on a terminal; prints finished lines elsewhere."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + text)
    elif text.endswith("\n"):
        sys.stderr.write(text)
    sys.stderr.flush()


def timed(fn: Callable[[], None], ops: int) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) / ops


def at_most(case: str, ours: str, other: str, limit: float) -> Floor:
    """Floor: ``ours`` takes at most ``limit`` times ``other``'s time on ``case``."""

    def check(results: dict[tuple[str, str], Measurement]) -> tuple[str, bool]:
        ratio = results[(case, ours)].median / results[(case, other)].median
        return f"{ratio:.2f}x {other}", ratio <= limit

    return Floor(f"{case}: at most {limit}x {other}", check)


def faster(case: str, ours: str, other: str, factor: float) -> Floor:
    """Floor: ``ours`` is at least ``factor`` times faster than ``other`` on ``case``."""

    def check(results: dict[tuple[str, str], Measurement]) -> tuple[str, bool]:
        speedup = results[(case, other)].median / results[(case, ours)].median
        return f"{speedup:.2f}x faster than {other}", speedup >= factor

    return Floor(f"{case}: at least {factor}x faster than {other}", check)
