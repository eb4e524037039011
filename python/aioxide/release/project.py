"""``Project``: a repository's release settings and its tags.

Settings come from ``[tool.attribution]`` in ``pyproject.toml`` (the same
table as attribution's, so a project switches without edits):

>>> Project.load(Path("/nonexistent/my-lib")).package
'my_lib'
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .helpers import canonical_namespace, sh
from .tag import Tag, Tags
from .types import Version

__all__ = ["DEFAULTS", "Project"]

LOG = logging.getLogger(__name__)

#: The settings a project has when its table does not say.
DEFAULTS: dict[str, Any] = {
    "cargo_packages": [],
    "ignored_authors": [],
    "version_file": True,
    "signed_tags": True,
}


def _read_toml(text: str) -> dict[str, Any]:
    """Parsed TOML as plain values (tomllib where the interpreter has it:
    it imports in a fraction of tomlkit's time, and reading is all a
    changelog needs)."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)
    import tomlkit

    parsed: dict[str, Any] = tomlkit.loads(text).unwrap()
    return parsed


def _author_list(value: Any) -> list[str]:
    """``ignored_authors`` as a list of names: one string is one author
    (attribution split it into characters), non-strings are dropped."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        kept = []
        for author in value:
            if isinstance(author, str):
                kept.append(author)
            else:
                LOG.warning(f"ignored_authors value {author!r} must be string")
        return kept
    LOG.warning("ignored_authors must be string or list of strings")
    return []


@dataclass
class Project:
    """A project: its name, package namespace, settings and root."""

    name: str
    package: str
    config: dict[str, Any] = field(default_factory=dict)
    root: Path = field(default_factory=Path.cwd)
    _shortlog: str | None = field(default=None, compare=False)
    _tags: Tags = field(default_factory=list, compare=False)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Project):
            return self.name == other.name and self.package == other.package
        return False

    __hash__ = None  # type: ignore[assignment]

    @property
    def tags(self) -> Tags:
        """The version tags, newest first (read once)."""
        if not self._tags:
            self._tags = Tag.all_tags()
            if self.config.get("co_authors"):
                for tag in self._tags:
                    tag._co_authors = True
        return self._tags

    def get_tag(self, version: Version) -> Tag | None:
        """The tag for ``version``, if there is one."""
        return next((tag for tag in self.tags if tag.version == version), None)

    @property
    def latest(self) -> Tag:
        """The newest tag, or ``v0`` when there is none."""
        tags = self.tags
        return tags[0] if tags else Tag.null()

    @property
    def shortlog_cmd(self) -> str:
        return "git shortlog -s"

    @property
    def shortlog(self) -> str:
        """Commits per author over the whole history."""
        if self._shortlog is None:
            try:
                self._shortlog = sh(self.shortlog_cmd).rstrip()
            except subprocess.CalledProcessError:
                LOG.exception(f"failed to generate shortlog for {self.name}")
                self._shortlog = ""
        return self._shortlog

    def log_since_tag_cmd(self, tag: Tag | None = None) -> Sequence[str]:
        """``git log`` of the commits since ``tag`` (all without one), leaving
        out ``ignored_authors``."""
        cmd = ["git", "log", "--reverse"]
        if tag:
            cmd.append(f"{tag.name}..")
        ignored = self.config.get("ignored_authors", [])
        if ignored:
            alternatives = "|".join(re.escape(author) for author in ignored)
            cmd += [
                "--perl-regexp",
                "--regexp-ignore-case",
                rf"--author=^((?!({alternatives})).*)$",
            ]
        return cmd

    @classmethod
    def load(cls, path: Path | None = None) -> Project:
        """The project at ``path`` (default: the current directory)."""
        if path is None:
            path = Path.cwd()
        config = {key: (list(v) if isinstance(v, list) else v) for key, v in DEFAULTS.items()}
        name = package = ""
        pyproject = cls.pyproject_path(path)
        if pyproject.is_file():
            table = _read_toml(pyproject.read_text()).get("tool", {}).get("attribution", {})
            if table:
                config.update(table)
                name = str(config.get("name", ""))
                package = str(config.get("package", ""))
                config["ignored_authors"] = _author_list(config.get("ignored_authors", []))
        return Project(
            name=name or path.name,
            package=package or canonical_namespace(path.name),
            config=config,
            root=path,
        )

    @classmethod
    def pyproject_path(cls, path: Path | None = None) -> Path:
        """Where the project's ``pyproject.toml`` is."""
        return (Path.cwd() if path is None else path) / "pyproject.toml"
