"""``Tag``: one release tag, its message and its shortlog.

The message and shortlog are read lazily through :func:`sh` (answered
in-process for git's read commands), with attribution's rules: the message
is everything after the tag object's headers, a PGP signature block taken
out of it; the shortlog covers the commits since the nearest earlier tag
(``git describe`` of the tag's parent), or all of them for a first tag.
Unlike attribution, a lightweight tag (no tag object) has an empty message
instead of failing the whole changelog.

>>> Tag("v1.0", Version("1.0")) < Tag("v1.1", Version("1.1"))
True
"""

from __future__ import annotations

import logging
import re
import subprocess
from dataclasses import dataclass
from typing import Any

from .helpers import sh
from .types import InvalidVersion, Version

__all__ = ["CO_AUTHOR_GROUPS", "Tag", "Tags"]

#: git's options for a shortlog that also credits co-authors.
CO_AUTHOR_GROUPS = "--group=author --group=trailer:co-authored-by"

LOG = logging.getLogger(__name__)

#: A tag object as ``git cat-file tag`` prints it: four header lines, a blank
#: line, then the message (group ``message``).
TAG_OBJECT = re.compile(
    r"object\s+(?P<object>\w+)\n"
    r"type\s+(?P<type>\w+)\n"
    r"tag\s+(?P<tag>.+)\n"
    r"tagger\s(?P<tagger>.+)\n"
    r"\n"
    r"(?P<message>(?s:.*))$"
)
#: An inline signature, as ``git tag --sign`` appends it to the message: PGP
#: (attribution's pattern) or SSH (``gpg.format = ssh``, which attribution
#: left in the changelog).
PGP_SIGNATURE = re.compile(
    r"-----BEGIN (?P<kind>PGP|SSH) SIGNATURE-----.+-----END (?P=kind) SIGNATURE-----\n",
    re.DOTALL,
)


@dataclass(eq=False)
class Tag:
    """A release: its tag name and the version parsed from it."""

    name: str
    version: Version

    _message: str | None = None
    _signature: str | None = None
    _shortlog_cmd: str | None = None
    _shortlog: str | None = None
    #: Credit ``Co-authored-by:`` trailers too (``co_authors = true``).
    _co_authors: bool = False

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Tag):
            return self.version == other.version and self.name == other.name
        return False

    __hash__ = None  # type: ignore[assignment]

    def __lt__(self, other: Any) -> bool:
        if isinstance(other, Tag):
            return self.version < other.version
        raise TypeError(f"cannot compare Tag with {type(other).__name__}")

    def __gt__(self, other: Any) -> bool:
        if isinstance(other, Tag):
            return self.version > other.version
        raise TypeError(f"cannot compare Tag with {type(other).__name__}")

    @property
    def message(self) -> str:
        """The tag's message (any PGP signature moved to ``_signature``)."""
        if self._message is None:
            try:
                text = sh(f"git cat-file tag {self.name}")
            except subprocess.CalledProcessError:
                # A lightweight tag has no message (attribution crashed here).
                LOG.debug("no tag object for %s: lightweight tag", self.name)
                self._message = ""
                return ""
            found = TAG_OBJECT.match(text)
            if found is None:
                LOG.warning(f"unmatched tag contents for {self.name}")
                LOG.debug(text)
                return ""

            def keep_signature(block: re.Match[str]) -> str:
                self._signature = block.group(0)
                return ""

            self._message = PGP_SIGNATURE.sub(keep_signature, found.group("message"))
        return self._message

    @property
    def shortlog_cmd(self) -> str:
        """The ``git shortlog`` command for this tag's commits."""
        if self._shortlog_cmd is None:
            base = sh(f"git describe --tags --abbrev=0 --always {self.name}~1").strip()
            # describe names the nearest tag, or prints a commit id when no
            # tag is reachable (this is the first tag): then the shortlog
            # covers everything up to this tag. A version-like name is taken
            # to be a tag without asking.
            try:
                Version(base)
            except InvalidVersion:
                base = sh(f"git tag -l {base}").strip()
            spec = f"{base}...{self.name}" if base else self.name
            groups = CO_AUTHOR_GROUPS + " " if self._co_authors else ""
            self._shortlog_cmd = f"git shortlog -s {groups}{spec}"
        return self._shortlog_cmd

    @property
    def shortlog(self) -> str:
        """Commits per author for this tag (empty if git cannot say)."""
        if self._shortlog is None:
            try:
                self._shortlog = sh(self.shortlog_cmd).rstrip()
            except subprocess.CalledProcessError:
                LOG.exception(f"failed to generate shortlog for {self.name}")
                self._shortlog = ""
        return self._shortlog

    @classmethod
    def all_tags(cls) -> list[Tag]:
        """Every tag whose name is a version, newest first (others are
        skipped with a warning)."""
        tags: list[Tag] = []
        for line in sh("git tag").splitlines():
            name = line.strip()
            if not name:
                continue
            try:
                tags.append(Tag(name=name, version=Version(name)))
            except InvalidVersion:
                LOG.warning(f"Skipping tag {name}")
        tags.sort(reverse=True)
        return tags

    @classmethod
    def create(cls, version: Version, message: str, *, signed: bool = False) -> Tag:
        """Make tag ``v<version>`` on HEAD with ``message``."""
        name = f"v{version}"
        sh("git", "tag", "--sign" if signed else "--annotate", name, "-m", message)
        return Tag(name=name, version=version)

    def update(self, message: str | None = None, *, signed: bool = False) -> None:
        """Move this tag to HEAD, keeping its message unless one is given."""
        if message is None:
            message = self.message
        else:
            self._message = None
        sh("git", "tag", "--force", "--sign" if signed else "--annotate", self.name, "-m", message)

    @classmethod
    def null(cls) -> Tag:
        """The version before any tag: ``v0``, with no message or shortlog."""
        null = Tag("v0", Version("0"))
        null._message = ""
        null._shortlog = ""
        return null


Tags = list[Tag]
