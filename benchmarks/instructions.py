"""Machine instructions per item of `chain`, counted with valgrind.

Timings on a shared 2-core VM swing by tens of percent; instruction counts do
not. Each contender runs twice under callgrind, over 1,000 and 51,000 items
per source; the difference of the two program totals, divided by the 100,000
extra items, is the per-item cost with start-up and imports cancelled out.

    .venv/bin/python -m benchmarks.instructions

Needs `valgrind` on PATH (not installed by `make`: this is a diagnostic, not
part of `make bench`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROGRAM = """
import asyncio, sys
import aioitertools
import aioxide.itertools as ait

async def source(n):
    for i in range(n):
        yield i

async def main(kind, n):
    count = 0
    if kind == "bare":
        for _ in range(2):
            async for _ in source(n):
                count += 1
        return
    lib = ait if kind == "aioxide.itertools" else aioitertools
    async for _ in lib.chain(source(n), source(n)):
        count += 1

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""

CONTENDERS = ["aioxide.itertools", "aioitertools", "bare"]
SMALL, LARGE = 1_000, 51_000


def total_instructions(script: Path, kind: str, n: int) -> int:
    with tempfile.NamedTemporaryFile(suffix=".out") as out:
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out.name}",
                sys.executable,
                str(script),
                kind,
                str(n),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if found is None:
        raise RuntimeError(f"no instruction total in valgrind's output:\n{run.stderr}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "chain_items.py"
        script.write_text(PROGRAM)
        items = 2 * (LARGE - SMALL)
        for kind in CONTENDERS:
            small = total_instructions(script, kind, SMALL)
            large = total_instructions(script, kind, LARGE)
            label = "bare source loop (no chain)" if kind == "bare" else f"chain, {kind}"
            print(f"{label}: {(large - small) / items:,.0f} instructions per item")
    return 0


if __name__ == "__main__":
    sys.exit(main())
