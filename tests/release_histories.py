"""Git histories built for the release tool's tests and benchmarks.

A history is a list of steps (commits on the main line or a side branch,
merges, annotated or lightweight tags, signed-looking tag messages) written
into a fresh repository with ``git fast-import`` in one go, so even 20,000
commits and 1,000 tags take about a second.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

AUTHORS = [
    ("Alice", "alice@example.com"),
    ("Bob", "bob@example.com"),
    ("bob", "BOB@example.com"),
    ("Émile Zola", "emile@example.com"),
    ("李雷", "lilei@example.com"),
    ("dependabot[bot]", "bot@example.com"),
]

FAKE_SIGNATURE = (
    "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEEexample\n=abcd\n-----END PGP SIGNATURE-----\n"
)


@dataclass
class Commit:
    author: int = 0
    side: bool = False  # on the side branch instead of the main line
    message: str = "change"


@dataclass
class Merge:
    author: int = 0  # merges the side branch into the main line


@dataclass
class TagStep:
    name: str
    message: str | None = "Release"  # None: a lightweight tag
    side: bool = False
    signed: bool = False  # append a PGP signature block to the message


@dataclass
class History:
    steps: list[Commit | Merge | TagStep] = field(default_factory=list)
    mailmap: str | None = None


def _data(text: str) -> str:
    raw = text.encode()
    return f"data {len(raw)}\n{text}\n"


def build(history: History, path: Path) -> Path:
    """Writes ``history`` into a new repository at ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream: list[str] = []
    mark = 0
    tips: dict[bool, int | None] = {False: None, True: None}
    when = 1_700_000_000

    def commit(author: int, message: str, side: bool, merge: int | None = None) -> None:
        nonlocal mark, when
        mark += 1
        when += 60
        name, email = AUTHORS[author % len(AUTHORS)]
        branch = "refs/heads/side" if side else "refs/heads/main"
        stream.append(f"commit {branch}\nmark :{mark}\n")
        stream.append(f"author {name} <{email}> {when} +0000\n")
        stream.append(f"committer {name} <{email}> {when} +0000\n")
        stream.append(_data(message))
        parent = tips[side]
        if parent is None and side:
            parent = tips[False]  # the side branch forks from the main line
        if parent is not None:
            stream.append(f"from :{parent}\n")
        if merge is not None:
            stream.append(f"merge :{merge}\n")
        stream.append("\n")
        tips[side] = mark

    for step in history.steps:
        if isinstance(step, Commit):
            commit(step.author, step.message, step.side)
        elif isinstance(step, Merge):
            if tips[True] is not None and tips[False] is not None:
                commit(step.author, "merge side", False, merge=tips[True])
        else:
            target = tips[step.side] or tips[False]
            if target is None:
                commit(0, "initial", False)
                target = tips[False]
            if step.message is None:
                stream.append(f"reset refs/tags/{step.name}\nfrom :{target}\n\n")
            else:
                when += 1
                text = step.message + ("\n" + FAKE_SIGNATURE if step.signed else "")
                stream.append(f"tag {step.name}\nfrom :{target}\n")
                stream.append(f"tagger Releaser <rel@example.com> {when} +0000\n")
                stream.append(_data(text))
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input="".join(stream).encode(),
        check=True,
    )
    subprocess.run(["git", "-C", str(path), "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
    if history.mailmap is not None:
        (path / ".mailmap").write_text(history.mailmap)
    return path


def linear(tags: int, commits_per_tag: int, authors: int = 4) -> History:
    """``tags`` annotated version tags, each after ``commits_per_tag``
    commits by a rotation of ``authors`` people (the benchmark histories).
    Commit subjects are Conventional Commits (``feat:``/``fix:``), so tools
    that read those (git-cliff's default configuration) see every commit."""
    steps: list[Commit | Merge | TagStep] = []
    n = 0
    for t in range(tags):
        for _ in range(commits_per_tag):
            kind = "feat" if n % 3 else "fix"
            steps.append(Commit(author=n % authors, message=f"{kind}: change {n}"))
            n += 1
        steps.append(TagStep(name=f"v{t // 100}.{t % 100}.0", message=f"Release {t}\n\nNotes."))
    return History(steps)
