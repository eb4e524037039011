"""What runs in the pool's children: probing endpoints, bounded, and
reducing a child's results before they travel back."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TypeAlias
from urllib.parse import urlsplit

from ..itertools import asyncio as aio
from .fleet import PROBE_TIMEOUT

#: One stored result: url, status (None on error), latency in ms, error, pid.
ProbeRow: TypeAlias = tuple[str, "int | None", float, "str | None", int]


@dataclass
class Report:
    """Probe results of some shards, merged (the map-reduce value)."""

    rows: list[ProbeRow] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    shards: int = 0


async def _get(host: str, port: int, path: str, netloc: str) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {netloc}\r\n\r\n".encode())
        await writer.drain()
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        await reader.read()
        return status
    finally:
        writer.close()


async def fetch(url: str) -> ProbeRow:
    """GET ``url`` with a bounded wait; never raises."""
    parts = urlsplit(url)
    start = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        request = _get(parts.hostname or "", parts.port or 80, parts.path, parts.netloc)
        status = await asyncio.wait_for(request, PROBE_TIMEOUT)
    except asyncio.TimeoutError:
        error = "timeout"
    except (OSError, ValueError, IndexError) as exc:
        error = type(exc).__name__
    latency = (time.perf_counter() - start) * 1000
    return url, status, round(latency, 3), error, os.getpid()


async def probe_shard(urls: list[str], limit: int = 32) -> Report:
    """Probes ``urls`` with at most ``limit`` requests in flight."""
    rows = await aio.gather(*(fetch(url) for url in urls), limit=limit)
    report = Report(list(rows), Counter(), 1)
    for _, status, _, error, _ in rows:
        report.outcomes[error or str(status)] += 1
    return report


def merge(a: Report, b: Report) -> Report:
    """The reducer: runs in each child over its own shards, then in the
    parent over the children's partial reports."""
    a.rows.extend(b.rows)
    a.outcomes.update(b.outcomes)
    a.shards += b.shards
    return a
