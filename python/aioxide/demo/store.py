"""The results file: tables declared with ``aioxide.sql``, written and
queried through its DSL on ``aioxide.sqlite``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..sql import AutoIncrement, Index, Primary, connect, fn, raw, table
from . import probe

# table(...)(cls) rather than @table: type checkers do not apply a class
# decorator's return type, and these names are the tables.


class RunRow:
    id: Primary[AutoIncrement[int]]
    started: float
    endpoints: int


class ProbeRow:
    run: int
    url: str
    status: Optional[int]  # noqa: UP045 - evaluated by @table on Python 3.10 too
    latency_ms: float
    error: Optional[str]  # noqa: UP045
    pid: int


Run = table("runs")(RunRow)
Probe = table("results", Index("run"))(ProbeRow)


@dataclass
class Summary:
    run: int
    stored: int
    slowest: list[tuple[str, float, int]]
    by_outcome: list[tuple[str, int]]
    by_child: list[tuple[int, int, float]]


async def store_and_query(path: Path, rows: Sequence[probe.ProbeRow]) -> Summary:
    """Stores one run's rows, then reads the summary back with queries."""
    async with connect(f"sqlite://{path}") as db:
        await db.execute(Run.create(if_not_exists=True))
        await db.execute(Probe.create(if_not_exists=True))
        async with db.transaction():
            inserted = db.execute(Run.insert().values((None, time.time(), len(rows))))
            await inserted
            run = inserted.last_id
            assert run is not None
            await db.execute(Probe.insert().values(*[(run, *row) for row in rows]))

        this_run = Probe.run == run
        # Partial selects give Row objects (r.n, r.outcome ...), not ProbeRow.
        counted: list[Any] = await db.execute(Probe.select(fn.count().as_("n")).where(this_run))
        slowest: list[Any] = await db.execute(
            Probe.select(Probe.url, Probe.latency_ms, Probe.status)
            .where(this_run, Probe.error.is_null())
            .orderby(Probe.latency_ms.desc())
            .limit(5)
        )
        outcome = fn.coalesce(Probe.error, raw("CAST(status AS TEXT)")).as_("outcome")
        by_outcome: list[Any] = await db.execute(
            Probe.select(outcome, fn.count().as_("n"))
            .where(this_run)
            .groupby(outcome)
            .orderby(fn.count().desc(), outcome)
        )
        by_child: list[Any] = await db.execute(
            Probe.select(Probe.pid, fn.count().as_("n"), fn.avg(Probe.latency_ms).as_("avg"))
            .where(this_run)
            .groupby(Probe.pid)
            .orderby(Probe.pid)
        )
    return Summary(
        run,
        counted[0].n,
        [(r.url, r.latency_ms, r.status) for r in slowest],
        [(r.outcome, r.n) for r in by_outcome],
        [(r.pid, r.n, r.avg) for r in by_child],
    )
