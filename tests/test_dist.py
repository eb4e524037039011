"""The built wheels and the sdist install and run where users install them.

``make dist-test`` (part of ``make test``, the slow part): every wheel in
``dist/`` goes into a fresh venv of its own Python whose ``PATH`` has no Rust
toolchain, imports every module of the package and runs a smoke job (each
module doing real work) and the end-to-end demo; the sdist is built from
source by pip in a fresh venv and runs the same job.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.dist

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
EXTRAS = "release,cluster,postgres,mysql,uvloop"

# Runs as a file (spawned pool children import its functions from __main__).
SMOKE_JOB = """
import asyncio, importlib, json, pkgutil, sys

import aioxide

def imported_modules():
    names = []
    for info in pkgutil.walk_packages(aioxide.__path__, "aioxide."):
        # attribution's own test suite, mounted only where attribution is installed
        if ".tests" in info.name:
            continue
        importlib.import_module(info.name)
        names.append(info.name)
    return names

async def double(x):
    return 2 * x

async def job():
    from aioxide import sqlite, itertools as ait, sql
    from aioxide.multiprocess import Pool

    async with sqlite.connect(":memory:") as db:
        await db.execute("create table t (x)")
        await db.executemany("insert into t values (?)", [(i,) for i in range(100)])
        total = (await db.execute_fetchall("select sum(x) from t"))[0][0]
    evens = [x async for x in ait.filterfalse(lambda x: x % 4, ait.map(double, range(10)))]

    @sql.table("notes")
    class Note:
        id: sql.Primary[int]
        text: str

    async with sql.connect("sqlite://:memory:") as db:
        await db.execute(Note.create())
        await db.execute(Note.insert().values(Note(1, "hi"), Note(2, "there")))
        notes = [n.text for n in await db.execute(Note.select().orderby(Note.id))]
    async with Pool(processes=2) as pool:
        mapped = await pool.map(double, range(20))
    return {"sum": total, "evens": evens, "notes": notes, "mapped": mapped}

if __name__ == "__main__":
    from aioxide.release import cli  # the console script's entry point imports
    modules = imported_modules()
    result = asyncio.run(job())
    result["modules"] = len(modules)
    result["core"] = aioxide._core.__file__
    result["sqlite_library"] = dict(__import__("aioxide.sqlite").sqlite.sqlite_library)["origin"]
    print(json.dumps(result))
"""


def _interpreters() -> dict[str, str]:
    """``{"cp311": "/path/to/python3.11", ...}`` from scripts/pythons.sh."""
    listing = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pythons.sh")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in listing.splitlines():
        version, path = line.split(" ", 1)
        found["cp" + version.replace(".", "")] = path
    return found


def _without_rust(path: str) -> str:
    """PATH minus every directory holding cargo or rustc."""
    kept = [
        d
        for d in path.split(os.pathsep)
        if not any((Path(d) / t).exists() for t in ("cargo", "rustc"))
    ]
    return os.pathsep.join(kept)


def _fresh_venv(python: str, where: Path) -> Path:
    subprocess.run([python, "-m", "venv", str(where)], check=True)
    return where / "bin" / "python"


def _run(python: Path, args: list[str], workdir: Path, env: dict[str, str]) -> str:
    """Runs the venv's python with ``args``; its standard output."""
    done = subprocess.run(
        [str(python), *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _run_smoke_job(python: Path, workdir: Path, env: dict[str, str]) -> dict[str, object]:
    script = workdir / "smoke_job.py"
    script.write_text(SMOKE_JOB)
    out = _run(python, [str(script)], workdir, env)
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    assert result["sum"] == 4950
    assert result["evens"] == [0, 4, 8, 12, 16]
    assert result["notes"] == ["hi", "there"]
    assert result["mapped"] == [2 * i for i in range(20)]
    # Every module imported, from the installed package (not this checkout).
    assert isinstance(result["modules"], int)
    assert result["modules"] >= 40
    assert str(ROOT / "python") not in str(result["core"])
    # The interpreter's own SQLite, in the wheel too (docs/architecture.md).
    assert result["sqlite_library"] == "interpreter"
    demo = _run(
        python, ["-m", "aioxide.demo", "--endpoints", "400", "--db", "d.sqlite"], workdir, env
    )
    assert "every endpoint probed once, every outcome as planned" in demo
    return result


def _wheels() -> list[Path]:
    return sorted(DIST.glob("aioxide-*.whl"))


def test_dist_holds_an_sdist_and_a_manylinux_wheel_per_supported_python() -> None:
    tags = {re.search(r"-(cp3\d+)-cp3\d+-", w.name).group(1) for w in _wheels()}  # type: ignore[union-attr]
    assert tags == set(_interpreters()), f"wheels for {sorted(tags)}"
    for wheel in _wheels():
        assert "manylinux2014_x86_64" in wheel.name or "manylinux_2_17_x86_64" in wheel.name
    assert len(list(DIST.glob("aioxide-*.tar.gz"))) == 1


@pytest.mark.parametrize("tag", ["cp310", "cp311", "cp312", "cp313"])
def test_the_wheel_installs_and_runs_without_rust(tag: str, tmp_path: Path) -> None:
    interpreters = _interpreters()
    if tag not in interpreters:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tag} is not on this machine; CI tests every supported Python")
        pytest.skip(f"{tag} is not on this machine")
    [wheel] = [w for w in _wheels() if f"-{tag}-{tag}-" in w.name]
    python = _fresh_venv(interpreters[tag], tmp_path / "venv")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CARGO", "RUSTUP", "VIRTUAL_ENV"))
    }
    env["PATH"] = str(python.parent) + os.pathsep + _without_rust(os.environ["PATH"])
    assert shutil.which("cargo", path=env["PATH"]) is None
    assert shutil.which("rustc", path=env["PATH"]) is None
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--only-binary",
            ":all:",
            f"{wheel}[{EXTRAS}]",
        ],
        env=env,
        check=True,
        timeout=600,
    )
    _run_smoke_job(python, tmp_path, env)


def test_the_sdist_builds_and_installs_in_a_fresh_venv(tmp_path: Path) -> None:
    [sdist] = list(DIST.glob("aioxide-*.tar.gz"))
    python = _fresh_venv(sys.executable, tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = str(python.parent) + os.pathsep + os.environ["PATH"]
    # A target directory of its own outside the checkout's, kept between
    # runs so a second run only recompiles what changed.
    env["CARGO_TARGET_DIR"] = str(ROOT / "target" / "sdist-build")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"{sdist}[{EXTRAS}]"],
        env=env,
        check=True,
        timeout=1800,
    )
    _run_smoke_job(python, tmp_path, env)
