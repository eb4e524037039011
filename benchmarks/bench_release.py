"""aioxide.release against attribution 1.8.0 and git-cliff 2.14.

Each contender is run as its command line (``generate`` / ``git cliff``
with its default configuration) in the same generated history, start-up
included, as a user runs it: 30 tags x 10 commits, 300 x 10 and 1,000 x 20,
annotated tags, four authors, Conventional Commit subjects (so git-cliff's
default configuration keeps every commit). aioxide.release and attribution
print the same changelog byte for byte (checked here too); git-cliff prints
its own format.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .harness import Case, Suite, at_most, faster

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from release_histories import build, linear

AIOXIDE = "aioxide.release"
ATTRIBUTION = "attribution 1.8.0"
CLIFF = "git-cliff 2.14"
SIZES = {
    "30 tags x 10 commits": (30, 10),
    "300 tags x 10 commits": (300, 10),
    "1,000 tags x 20 commits": (1000, 20),
}
_BIN = Path(sys.executable).parent
_repos: dict[str, Path] = {}
_outputs: dict[tuple[str, str], bytes] = {}


def _repo(case: str) -> Path:
    if case not in _repos:
        tags, commits = SIZES[case]
        where = Path(tempfile.mkdtemp(prefix="aioxide-release-bench-"))
        _repos[case] = build(linear(tags, commits), where / "repo")
    return _repos[case]


def _command(contender: str) -> list[str]:
    if contender == AIOXIDE:
        return [str(_BIN / "aioxide-release"), "generate"]
    if contender == ATTRIBUTION:
        return [str(_BIN / "attribution"), "generate"]
    return [str(_BIN / "git-cliff")]


def _runner(case: str):  # type: ignore[no-untyped-def]
    def run(contender: str, quick: bool) -> float:
        repo = _repo(case)
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        start = time.perf_counter()
        done = subprocess.run(_command(contender), cwd=repo, capture_output=True, env=env)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{contender} failed: {done.stderr.decode()[-500:]}")
        _outputs[(case, contender)] = done.stdout
        theirs = _outputs.get((case, ATTRIBUTION))
        ours = _outputs.get((case, AIOXIDE))
        if theirs is not None and ours is not None and theirs != ours:
            raise RuntimeError(f"{case}: aioxide.release and attribution disagree")
        return elapsed

    return run


SUITE = Suite(
    module="release",
    title="Release: aioxide.release vs attribution vs git-cliff (changelog of a history)",
    notes=(
        "Wall time of one `generate` command line, interpreter or binary start-up "
        "included. The histories are built with git fast-import once per size. "
        "aioxide.release reads tags, tag objects, describe and shortlog in-process "
        "(gitoxide); attribution runs about three git subprocesses per tag; git-cliff "
        "parses every commit with its default configuration."
    ),
    cases=[
        Case(case, [AIOXIDE, ATTRIBUTION, CLIFF], {ATTRIBUTION, CLIFF}, _runner(case))
        for case in SIZES
    ],
    floors=[
        faster("300 tags x 10 commits", AIOXIDE, ATTRIBUTION, 20.0),
        *(at_most(case, AIOXIDE, CLIFF, 1.0) for case in SIZES),
    ],
)
