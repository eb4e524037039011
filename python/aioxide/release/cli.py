"""The ``aioxide-release`` entry point: ``generate`` straight to Rust,
everything else through the click command line (:mod:`.main`).

``generate`` with no options is what CI jobs and editors run most, and for a
small project importing click, logging and the Python model costs more than
the changelog itself. Here it imports only the extension module: the
repository is read and the changelog rendered in one native call
(``GitHistory.changelog``), giving the same bytes as the full path (the
tests compare both with attribution). Anything unusual — other commands or
options, no repository, a shallow clone, Python 3.10 (no ``tomllib``) —
takes the full path, which also gives the clear errors.
"""

from __future__ import annotations

import os
import sys

__all__ = ["run"]

#: Set to 0 to always take the full (click) path.
NATIVE = "AIOXIDE_RELEASE_NATIVE"


def _project_name(cwd: str) -> str | None:
    """``[tool.attribution].name``, or the directory's name (None when the
    file cannot be read here)."""
    path = os.path.join(cwd, "pyproject.toml")
    if not os.path.isfile(path):
        return os.path.basename(cwd)
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            with open(path, "rb") as file:
                table = tomllib.load(file).get("tool", {}).get("attribution", {})
        except (OSError, ValueError):
            return None
        options = ("co_authors", "template", "conventional_commits")
        if table and any(table.get(option) for option in options):
            return None  # co-author credits, a user's template: the full path renders them
        name = str(table.get("name", "")) if table else ""
        return name or os.path.basename(cwd)
    return None  # no tomllib (Python 3.10): the full path reads it with tomlkit


def _generate_natively() -> bool:
    """Prints the changelog if the native path can; False to fall back."""
    from .._core import GitHistory

    cwd = os.getcwd()
    name = _project_name(cwd)
    if name is None:
        return False
    try:
        history = GitHistory(cwd)
    except ValueError:
        return False
    if history.shallow:
        return False
    text, warnings = history.changelog(name)
    for warning in warnings:
        sys.stderr.write(f"WARNING:aioxide.release.tag:{warning}\n")
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return True


def run() -> None:
    """``aioxide-release``: see :mod:`aioxide.release.main` for the commands."""
    native = sys.argv[1:] == ["generate"] and os.environ.get(NATIVE, "1") != "0"
    if native and _generate_natively():
        return
    from .main import main

    main(prog_name="aioxide-release")


if __name__ == "__main__":
    run()
