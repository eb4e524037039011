"""Run real clients' own test suites on the originals and on aioxide.

    python -m tests.downstream.run            # every client, both runs
    python -m tests.downstream.run databases  # one client
    python -m tests.downstream.run --lock NAME  # (re)write NAME's lock file

Each client gets a venv under ``.venv-downstream/NAME`` with exactly the
packages of ``tests/downstream/locks/NAME.txt`` (made once, reused while the
lock and the sdist pin are unchanged), the client's sdist unpacked beside it,
and aioxide importable from this checkout (a ``.pth`` file: the extension
``make build`` built). Its suite runs once as it is (the originals) and once
with ``AIOXIDE_COMPAT`` set, which makes a second ``.pth`` file call
``aioxide.compat.install`` for the named libraries before anything imports
them. The suites' test code is never edited.

The job passes when, for every client, the tests that pass on the originals
pass on aioxide too, nothing fails on either, and every deselected test still
fails on the originals. The last line is ``downstream: N passed, M failed``
over the aioxide runs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .clients import CLIENTS, Client

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LOCKS = HERE / "locks"
WORK = ROOT / ".venv-downstream"

STARTUP_PTH = (
    "import os; exec(os.environ['AIOXIDE_DOWNSTREAM_STARTUP']) "
    "if os.environ.get('AIOXIDE_DOWNSTREAM_STARTUP') else None\n"
)

COMPAT_PTH = (
    'import os; exec("import aioxide.compat as _c\\n'
    "for _m in os.environ['AIOXIDE_COMPAT'].split(','): _c.install(_m)\") "
    "if os.environ.get('AIOXIDE_COMPAT') else None\n"
)

# One suite may take this long (CI's whole budget is 90 minutes).
SUITE_TIMEOUT = 1200


@dataclass
class Outcome:
    passed: set[str]
    failed: set[str]
    skipped: set[str]
    seconds: float
    log: str

    def counts(self) -> str:
        return f"{len(self.passed)} passed, {len(self.failed)} failed, {len(self.skipped)} skipped"


def log(message: str) -> None:
    print(message, flush=True)


def venv_python(client: Client) -> Path:
    return WORK / client.name / "venv" / "bin" / "python"


def _pip(client: Client, *args: str) -> None:
    subprocess.run(
        [str(venv_python(client)), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
    )


def _site_packages(client: Client) -> Path:
    out = subprocess.run(
        [str(venv_python(client)), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return Path(out)


def _stamp(client: Client) -> str:
    lock = LOCKS / f"{client.name}.txt"
    digest = hashlib.sha256()
    digest.update(client.sdist.encode())
    digest.update(repr(sorted(client.remove)).encode())
    digest.update(lock.read_bytes() if lock.exists() else b"")
    digest.update(sys.version.encode())
    return digest.hexdigest()


def prepare(client: Client, requirements: tuple[str, ...] = ()) -> Path:
    """The client's venv and unpacked sdist; returns the sdist directory."""
    base = WORK / client.name
    stamp = base / "stamp"
    source = base / "src"
    if stamp.exists() and stamp.read_text() == _stamp(client) and source.exists():
        return next(p for p in source.iterdir() if p.is_dir())
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True)
    _pip(client, "install", "--upgrade", "pip")
    lock = LOCKS / f"{client.name}.txt"
    if requirements:
        _pip(client, "install", client.sdist, *requirements)
    else:
        _pip(client, "install", "--no-deps", "-r", str(lock))
    downloads = base / "sdist"
    _pip(
        client, "download", "--no-deps", "--no-binary", ":all:", "-d", str(downloads), client.sdist
    )
    archive = next(downloads.iterdir())
    source.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(source, filter="data")
    tree = next(p for p in source.iterdir() if p.is_dir())
    for relative in client.remove:
        target = tree / relative
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    site = _site_packages(client)
    (site / "aioxide-checkout.pth").write_text(str(ROOT / "python") + "\n")
    (site / "aioxide-compat.pth").write_text(COMPAT_PTH)
    (site / "aioxide-startup.pth").write_text(STARTUP_PTH)
    stamp.write_text(_stamp(client))
    return tree


def write_lock(client: Client, requirements: tuple[str, ...]) -> None:
    shutil.rmtree(WORK / client.name, ignore_errors=True)
    prepare(client, requirements)
    frozen = subprocess.run(
        [str(venv_python(client)), "-m", "pip", "freeze", "--all", "--exclude", "pip"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    LOCKS.mkdir(exist_ok=True)
    header = f"# {client.sdist}: what its test suite needs, as pip freeze wrote it.\n"
    (LOCKS / f"{client.name}.txt").write_text(header + frozen)
    (WORK / client.name / "stamp").write_text(_stamp(client))


def _parse_junit(path: Path) -> tuple[set[str], set[str], set[str]]:
    passed: set[str] = set()
    failed: set[str] = set()
    skipped: set[str] = set()
    if not path.exists():
        return passed, failed, skipped
    for case in ET.parse(path).iter("testcase"):
        ident = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            failed.add(ident)
        elif "skipped" in kinds:
            skipped.add(ident)
        else:
            passed.add(ident)
    return passed, failed, skipped


def _pytest_config(tree: Path) -> Path:
    """The sdist's own pytest configuration, or an empty one: never this
    checkout's (pytest would otherwise search upwards and find it)."""
    sections = {
        "pytest.ini": "[pytest]",
        "pyproject.toml": "[tool.pytest",
        "tox.ini": "[pytest]",
        "setup.cfg": "[tool:pytest]",
    }
    for name, marker in sections.items():
        path = tree / name
        if path.exists() and marker in path.read_text(errors="replace"):
            return path
    empty = tree.parent / "pytest-empty.ini"
    empty.write_text("[pytest]\n")
    return empty


def run_suite(
    client: Client, tree: Path, on_aioxide: bool, only: list[str] | None = None
) -> Outcome:
    label = "aioxide" if on_aioxide else "original"
    report = WORK / client.name / f"junit-{label}{'-deselected' if only else ''}.xml"
    report.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "AIOXIDE_COMPAT"}}
    env.update(client.env)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if client.startup:
        env["AIOXIDE_DOWNSTREAM_STARTUP"] = client.startup
    if on_aioxide:
        env["AIOXIDE_COMPAT"] = ",".join(client.compat)
    args = [
        str(venv_python(client)),
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-c",
        str(_pytest_config(tree)),
        "--rootdir",
        str(tree),
        f"--junitxml={report}",
        *client.options,
    ]
    if only is None:
        args += client.paths
        for ident in client.deselect:
            args += ["--deselect", ident]
    else:
        args += only
    started = time.monotonic()
    done = subprocess.run(
        args,
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT,
    )
    passed, failed, skipped = _parse_junit(report)
    if not (passed or failed or skipped) and done.returncode != 0:
        failed.add(f"<{client.name} suite did not run: exit {done.returncode}>")
    return Outcome(passed, failed, skipped, time.monotonic() - started, done.stdout + done.stderr)


@dataclass
class Verdict:
    client: Client
    original: Outcome
    aioxide: Outcome
    deselected_on_original: Outcome | None
    problems: list[str]


def _resolves(client: Client, on_aioxide: bool) -> list[str]:
    """What each compat-replaced name imports as, in the client's venv."""
    env = dict(os.environ, **client.env)
    env.pop("AIOXIDE_COMPAT", None)
    if on_aioxide:
        env["AIOXIDE_COMPAT"] = ",".join(client.compat)
    probe = (
        "import importlib, sys; print(*(importlib.import_module(m).__name__ for m in sys.argv[1:]))"
    )
    out = subprocess.run(
        [str(venv_python(client)), "-c", probe, *client.compat],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def check(client: Client) -> Verdict:
    tree = prepare(client)
    problems: list[str] = []
    # The two runs must really differ in what they import.
    if _resolves(client, on_aioxide=False) != list(client.compat):
        problems.append(f"the originals run does not import {client.compat}")
    replaced = _resolves(client, on_aioxide=True)
    if not all(name.startswith("aioxide.") for name in replaced):
        problems.append(f"the aioxide run imports {replaced}, not aioxide")
    original = run_suite(client, tree, on_aioxide=False)
    aioxide = run_suite(client, tree, on_aioxide=True)
    improved = set(client.improved)
    if original.failed != improved:
        unexpected = sorted(original.failed - improved)
        not_failing = sorted(improved - original.failed)
        problems.append(
            f"on the originals: unexpected failures {unexpected[:10]}, "
            f"'improved' tests that do not fail {not_failing[:10]}"
        )
    if aioxide.failed:
        problems.append(f"fails on aioxide: {sorted(aioxide.failed)[:20]}")
    if original.passed | improved != aioxide.passed:
        lost = sorted(original.passed - aioxide.passed)
        gained = sorted(aioxide.passed - original.passed - improved)
        problems.append(
            f"pass sets differ: only on the originals {lost[:20]}, only on aioxide {gained[:20]}"
        )
    deselected = None
    if client.deselect:
        deselected = run_suite(client, tree, on_aioxide=False, only=list(client.deselect))
        if deselected.passed:
            problems.append(f"deselected but passing on the originals: {sorted(deselected.passed)}")
        # Every id must name a test that fails (a misspelt id would keep
        # nothing deselected, or run nothing here).
        if len(deselected.failed) != len(client.deselect):
            problems.append(
                f"{len(client.deselect)} deselected, but {len(deselected.failed)} of them "
                "ran and failed on the originals"
            )
    return Verdict(client, original, aioxide, deselected, problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="clients to run (default: all)")
    parser.add_argument(
        "--lock",
        nargs="+",
        metavar="REQ",
        help="write the lock of one client from these requirements",
    )
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    chosen = [c for c in CLIENTS if not options.names or c.name in options.names]
    if options.lock:
        (client,) = chosen
        write_lock(client, tuple(options.lock))
        log(f"wrote {LOCKS / (client.name + '.txt')}")
        return 0
    for client in chosen:
        log(f"downstream: preparing {client.name} ({client.sdist})")
        prepare(client)
    verdicts: list[Verdict] = []
    together = [c for c in chosen if c.parallel]
    alone = [c for c in chosen if not c.parallel]
    with concurrent.futures.ThreadPoolExecutor(max_workers=options.jobs) as pool:
        for verdict in pool.map(check, together):
            verdicts.append(verdict)
            report(verdict)
    for client in alone:
        verdict = check(client)
        verdicts.append(verdict)
        report(verdict)
    passed = sum(len(v.aioxide.passed) for v in verdicts)
    failed = sum(
        len(v.aioxide.failed) + (1 if v.problems and not v.aioxide.failed else 0) for v in verdicts
    )
    log("")
    log(f"downstream: {passed} passed, {failed} failed")
    return 1 if any(v.problems for v in verdicts) else 0


def report(verdict: Verdict) -> None:
    c = verdict.client
    log(
        f"downstream: {c.name} ({c.sdist}): originals {verdict.original.counts()} "
        f"in {verdict.original.seconds:.0f} s; aioxide {verdict.aioxide.counts()} "
        f"in {verdict.aioxide.seconds:.0f} s; {len(c.improved)} pass only on aioxide; "
        f"{len(c.deselect)} deselected"
        + (
            f" (all {len(verdict.deselected_on_original.failed)} fail on the originals)"
            if verdict.deselected_on_original is not None
            and not verdict.deselected_on_original.passed
            else ""
        )
    )
    for problem in verdict.problems:
        log(f"  PROBLEM {c.name}: {problem}")
    if verdict.problems:
        tail = "\n".join(verdict.aioxide.log.splitlines()[-60:])
        log(f"  --- {c.name} on aioxide, last lines ---\n{tail}")


if __name__ == "__main__":
    sys.exit(main())
