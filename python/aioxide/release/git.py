"""Read-only git questions answered in-process.

attribution asks git the same few questions about every tag (``git tag``,
``git cat-file tag NAME``, ``git describe --tags --abbrev=0 --always REV``,
``git tag -l NAME``, ``git shortlog -s [A...]B``), one subprocess each.
:func:`answer` recognises exactly those command lines and answers them from
a :class:`aioxide._core.GitHistory` (gitoxide, in Rust) with the text git
would have printed, or ``None`` for anything else, which then runs as a
subprocess. A history is opened once per repository and reopened when its
refs change (a commit or a tag made since).

>>> answer(("echo", "hi")) is None
True
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .._core import GitHistory

__all__ = ["answer", "history", "is_shallow"]

_GLOB = set("*?[\\")
_cache: dict[str, tuple[tuple[int, ...], GitHistory]] = {}
_git_dirs: dict[str, Path | None] = {}


def _git_dir(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = candidate.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                return (directory / text[len("gitdir:") :].strip()).resolve()
    return None


def _fingerprint(git_dir: str) -> tuple[int, ...]:
    """Changes whenever a ref git could report on changes: a new commit
    (HEAD, its branch), a new or moved tag, packed refs."""
    stamps = []
    head = os.path.join(git_dir, "HEAD")
    paths = [head, os.path.join(git_dir, "packed-refs"), os.path.join(git_dir, "refs", "tags")]
    try:
        with open(head, encoding="utf-8") as file:
            text = file.read().strip()
        if text.startswith("ref: "):
            paths.append(os.path.join(git_dir, text[5:]))
    except OSError:
        pass
    for path in paths:
        try:
            stat = os.stat(path)
            stamps.append(stat.st_mtime_ns)
            stamps.append(stat.st_size)
        except OSError:
            stamps.append(-1)
    # A new or moved loose tag is a rename into refs/tags: its mtime changes.
    return tuple(stamps)


def history(cwd: Path | None = None) -> GitHistory | None:
    """The repository containing ``cwd`` (default: the current directory),
    or None outside a repository."""
    where = os.getcwd() if cwd is None else str(cwd)
    if where not in _git_dirs:
        _git_dirs[where] = _git_dir(Path(where).resolve())
    git_dir = _git_dirs[where]
    if git_dir is None:
        return None
    key = str(git_dir)
    stamp = _fingerprint(key)
    cached = _cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        opened = GitHistory(where)
    except ValueError:
        return None
    _cache[key] = (stamp, opened)
    return opened


def is_shallow(cwd: Path | None = None) -> bool:
    """Whether the repository is a shallow clone (history cut off)."""
    found = history(cwd)
    return found is not None and found.shallow


def _failed(cmd: Sequence[str], message: str) -> subprocess.CalledProcessError:
    return subprocess.CalledProcessError(128, list(cmd), output=f"fatal: {message}\n")


def answer(cmd: Sequence[str]) -> str | None:
    """What git prints for ``cmd`` (stdout and stderr, as
    :func:`aioxide.release.helpers.sh` returns it), or None when ``cmd`` is
    not one of the questions answered here. Raises
    :class:`subprocess.CalledProcessError` where git would exit non-zero."""
    args = tuple(cmd)
    if len(args) < 2 or args[0] != "git":
        return None
    shape = args[1:]
    if shape not in {("tag",)} and not _known(shape):
        return None
    repo = history()
    if repo is None:
        return None
    if shape == ("tag",):
        return "".join(f"{name}\n" for name in repo.tag_names())
    if shape[:2] == ("cat-file", "tag"):
        text: str | None = repo.tag_object(shape[2])
        if text is None:
            raise _failed(args, f"git cat-file: could not get object info for {shape[2]}")
        return text
    if shape[:4] == ("describe", "--tags", "--abbrev=0", "--always"):
        try:
            return repo.describe(shape[4]) + "\n"
        except ValueError as err:
            raise _failed(args, str(err)) from None
    if shape[:2] == ("tag", "-l"):
        name = shape[2]
        return f"{name}\n" if repo.has_tag(name) else ""
    # ("shortlog", "-s", [the co-author groups,] spec)
    co_authors = len(shape) == 5
    base, _, tip = shape[-1].rpartition("...")
    try:
        return repo.shortlog(base or None, tip, co_authors)
    except ValueError as err:
        raise _failed(args, str(err)) from None


def _known(shape: tuple[str, ...]) -> bool:
    if len(shape) == 3 and shape[:2] == ("cat-file", "tag"):
        return not shape[2].startswith("-")
    if len(shape) == 5 and shape[:4] == ("describe", "--tags", "--abbrev=0", "--always"):
        return not shape[4].startswith("-")
    if len(shape) == 3 and shape[:2] == ("tag", "-l"):
        return not (set(shape[2]) & _GLOB) and not shape[2].startswith("-")
    co_author_groups = ("--group=author", "--group=trailer:co-authored-by")
    if len(shape) == 5 and shape[:2] == ("shortlog", "-s") and shape[2:4] == co_author_groups:
        shape = shape[:2] + shape[4:]
    if len(shape) == 3 and shape[:2] == ("shortlog", "-s"):
        spec = shape[2]
        base, _, tip = spec.rpartition("...")
        return bool(tip) and not spec.startswith("-") and ".." not in tip and ".." not in base
    return False
