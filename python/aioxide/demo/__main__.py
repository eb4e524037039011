"""``python -m aioxide.demo [--endpoints N] [--servers S] [--db PATH]``."""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..multiprocess import Pool
from .fleet import Fleet, expected_outcome
from .probe import Report, merge, probe_shard
from .store import Summary, store_and_query


class DemoFailure(Exception):
    """The run finished but its results are wrong."""


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m aioxide.demo", description=__doc__)
    parser.add_argument("--endpoints", type=int, default=5000, help="paths to probe (default 5000)")
    parser.add_argument(
        "--servers", type=int, default=4, help="HTTP servers in the fleet (default 4)"
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=Path("aioxide-demo.sqlite"),
        help="results file (default ./aioxide-demo.sqlite)",
    )
    parser.add_argument(
        "--processes", type=int, default=None, help="pool children (default: one per core)"
    )
    parser.add_argument(
        "--shard", type=int, default=50, help="endpoints per pool task (default 50)"
    )
    parser.add_argument(
        "--limit", type=int, default=16, help="requests in flight per shard (default 16)"
    )
    parser.add_argument(
        "--shards-in-flight",
        type=int,
        default=16,
        help="shards each child works on at once (default 16)",
    )
    args = parser.parse_args(argv)
    for name in ("endpoints", "servers", "shard", "limit", "shards_in_flight"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.processes is not None and args.processes < 1:
        parser.error("--processes must be at least 1")
    return args


class Progress:
    """A live bar on a terminal; a few plain lines otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.tty = sys.stderr.isatty()
        self.last_step = -1
        self.start = time.perf_counter()

    def show(self, done: int) -> None:
        fraction = min(1.0, done / self.total)
        elapsed = time.perf_counter() - self.start
        if self.tty:
            filled = int(fraction * 40)
            bar = "#" * filled + "-" * (40 - filled)
            sys.stderr.write(f"\r  probing [{bar}] {done}/{self.total} {elapsed:5.1f} s")
            sys.stderr.flush()
        elif int(fraction * 4) > self.last_step:
            self.last_step = int(fraction * 4)
            print(
                f"  probed {done}/{self.total} ({fraction:.0%}) after {elapsed:.1f} s", flush=True
            )

    def finish(self, done: int) -> None:
        self.show(done)
        if self.tty:
            sys.stderr.write("\n")


async def run(args: argparse.Namespace) -> Summary:
    fleet = Fleet(args.servers)
    fleet.start()
    try:
        urls = fleet.urls(args.endpoints)
        shards = [urls[i : i + args.shard] for i in range(0, len(urls), args.shard)]
        processes = args.processes or os.cpu_count() or 2
        print(
            f"aioxide demo: {len(urls)} endpoints on {args.servers} local servers, "
            f"{processes} pool children x {args.shards_in_flight} shards "
            f"x {args.limit} requests in flight"
        )
        progress = Progress(len(urls))
        started = time.perf_counter()
        async with Pool(processes, childconcurrency=args.shards_in_flight) as pool:
            work = asyncio.ensure_future(
                pool.map_reduce(functools.partial(probe_shard, limit=args.limit), shards, merge)
            )
            while not work.done():
                progress.show(fleet.served)
                await asyncio.wait([work], timeout=0.1)
            report: Report = work.result()
        progress.finish(len(report.rows))
        probed = time.perf_counter() - started
    finally:
        fleet.stop()
    check(report, args.endpoints)
    summary = await store_and_query(args.db, report.rows)
    if summary.stored != args.endpoints:
        raise DemoFailure(f"stored {summary.stored} rows, expected {args.endpoints}")
    print(
        f"probed {len(report.rows)} endpoints in {probed:.2f} s "
        f"({len(report.rows) / probed:,.0f}/s)"
    )
    return summary


def check(report: Report, endpoints: int) -> None:
    """Every endpoint probed once, each with the outcome the fleet planned."""
    if len(report.rows) != endpoints:
        raise DemoFailure(f"{len(report.rows)} results for {endpoints} endpoints")
    seen = Counter(int(url.rsplit("/", 1)[1]) for url, *_ in report.rows)
    if len(seen) != endpoints or max(seen.values()) != 1:
        raise DemoFailure("some endpoints were probed twice and others not at all")
    wrong = [
        (url, status, error)
        for url, status, _, error, _ in report.rows
        if expected_outcome(int(url.rsplit("/", 1)[1])) != (status, error)
    ]
    if wrong:
        raise DemoFailure(f"{len(wrong)} results differ from the plan, e.g. {wrong[:3]}")


def render(summary: Summary, db: Path) -> None:
    print(f"\nresults stored in {db} (run {summary.run}, {summary.stored} rows)")
    print("\noutcomes:")
    for outcome, count in summary.by_outcome:
        print(f"  {outcome:>10}  {count:6d}")
    print("\nslowest endpoints that answered:")
    for url, latency, status in summary.slowest:
        print(f"  {latency:8.1f} ms  {status}  {url}")
    print("\nper pool child:")
    for pid, count, latency in summary.by_child:
        print(f"  pid {pid:>7}  {count:6d} probes  mean {latency:6.1f} ms")
    print("\nevery endpoint probed once, every outcome as planned")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        summary = asyncio.run(run(args))
    except DemoFailure as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    render(summary, args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
