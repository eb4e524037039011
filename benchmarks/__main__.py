"""`python -m benchmarks [--only MODULE ...] [--quick]`: run the suites, print
progress, save raw results and rewrite benchmarks/RESULTS.md. Several suites
run one after another, each in a fresh interpreter."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

from .harness import (
    REPORT,
    RESULTS_DIR,
    Suite,
    render_report,
    run_suite,
    save,
    stderr_progress,
)

SUITES = [
    "bridge",
    "sqlite",
    "itertools",
    "multiprocess",
    "cluster",
    "sql",
    "release",
    "growth",
    "memory",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", action="append", choices=SUITES, help="run just this suite")
    parser.add_argument("--quick", action="store_true", help="smaller workloads, fewer repeats")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per measurement")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    names = args.only or SUITES
    if len(names) > 1:
        return _each_in_its_own_interpreter(names, args.quick, repeats, args.no_write)
    failed_floors = 0
    for name in names:
        suite: Suite = importlib.import_module(f"benchmarks.bench_{name}").SUITE
        result = run_suite(suite, quick=args.quick, repeats=repeats, progress=stderr_progress)
        for floor in result["floors"]:
            mark = "met" if floor["met"] else "NOT MET"
            print(f"{name}: floor {mark}: {floor['text']} -> {floor['figure']}")
            failed_floors += not floor["met"]
        if not args.no_write:
            save(result)
    if not args.no_write:
        REPORT.write_text(render_report())
        print(f"wrote {REPORT}")
    print(f"{failed_floors} floor(s) not met", file=sys.stderr)
    return 0


def _each_in_its_own_interpreter(
    names: list[str], quick: bool, repeats: int, no_write: bool
) -> int:
    """One suite per fresh interpreter. In one process, a suite's imports and
    leftovers (Dask, SQLAlchemy, a cluster) stay on the heap that every
    later suite's garbage collections walk: fetching 100,000 rows as
    objects measured 5.1x tuples after the cluster suite, 2.7x alone."""
    failed_floors = 0
    for name in names:
        command = [sys.executable, "-m", "benchmarks", "--only", name, "--repeats", str(repeats)]
        command += ["--quick"] * quick + ["--no-write"] * no_write
        subprocess.run(command, check=True)
        if not no_write:
            saved = json.loads((RESULTS_DIR / f"{name}.json").read_text())
            failed_floors += sum(not floor["met"] for floor in saved["floors"])
    if not no_write:
        print(f"wrote {REPORT}")
        print(f"{failed_floors} floor(s) not met", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
