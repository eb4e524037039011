"""`python -m benchmarks [--only MODULE ...] [--quick]`: run the suites, print
progress, save raw results and rewrite benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import importlib
import sys

from .harness import REPORT, Suite, render_report, run_suite, save, stderr_progress

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
    failed_floors = 0
    for name in args.only or SUITES:
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


if __name__ == "__main__":
    sys.exit(main())
