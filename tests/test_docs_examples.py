"""Every code example in the docs runs.

Each ```` ```python ```` block of README.md and of every page of the site
(``docs/*.md``) is a complete program: it runs as a script of its own in a
fresh directory and must exit 0. A block of ``>>>`` lines runs as a doctest.
Shell blocks that call aioxide's own command (``aioxide-release ...``) run in
a scratch git repository; the others are set-up instructions (``make``,
``pip install``) that CI performs itself.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for number, match in enumerate(FENCE.finditer(page.read_text()), 1):
            if match.group(1) == language:
                found.append((f"{page.relative_to(ROOT)}#{number}", match.group(2)))
    return found


PYTHON = blocks("python")
SHELL = [
    (where, line) for where, text in blocks("sh") + blocks("console") for line in text.splitlines()
]


def test_the_pages_have_examples() -> None:
    # A changed fence syntax must not make this file test nothing.
    assert len(PYTHON) >= 12
    assert {where.split("#")[0] for where, _ in PYTHON} >= {
        "README.md",
        "docs/index.md",
        "docs/sqlite.md",
        "docs/itertools.md",
        "docs/multiprocess.md",
        "docs/cluster.md",
        "docs/sql.md",
        "docs/release.md",
        "docs/bridge.md",
    }


@pytest.mark.parametrize(("where", "code"), PYTHON, ids=[where for where, _ in PYTHON])
def test_python_example_runs(where: str, code: str, tmp_path: Path) -> None:
    if code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(code, {}, where, where, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.failures == 0, f"{where}: doctest failed"
        return
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stderr}"


def _aioxide_commands() -> list[tuple[str, str]]:
    commands = []
    for where, line in SHELL:
        line = line.split("#", 1)[0].strip()
        line = line.removeprefix("$ ").strip()
        if line.startswith(("aioxide-release", "python -m aioxide")):
            commands.append((where, line))
    return commands


COMMANDS = _aioxide_commands()


def test_the_shell_examples_are_found() -> None:
    assert any("aioxide-release tag" in line for _, line in COMMANDS)


@pytest.mark.parametrize(("where", "line"), COMMANDS, ids=[line for _, line in COMMANDS])
def test_shell_example_runs_in_a_scratch_repository(where: str, line: str, tmp_path: Path) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="Ann", GIT_AUTHOR_EMAIL="ann@example.com")
    env.update(GIT_COMMITTER_NAME="Ann", GIT_COMMITTER_EMAIL="ann@example.com")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.attribution]\nname = "proj"\nsigned_tags = false\n'
    )
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    git("tag", "-a", "v0.9.0", "-m", "v0.9.0")
    argv = shlex.split(line)
    if argv[0] == "python":
        argv[0] = sys.executable
    elif argv[0] == "aioxide-release":
        argv = [sys.executable, "-m", "aioxide.release", *argv[1:]]
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{where}: {line}\n{done.stdout}\n{done.stderr}"
