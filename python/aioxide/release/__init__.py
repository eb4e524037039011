"""aioxide.release: OmniLib's release tool (attribution) on a Rust core.

Changelogs from annotated tag messages and ``git shortlog``, version files,
and a ``tag`` command that cuts a release. A drop-in for attribution::

    import aioxide.compat
    aioxide.compat.install("attribution")

Reading a repository's tags and history happens in-process (gitoxide), not
in a git subprocess per question; writing (commit, tag, signing) uses git
itself, so the user's config and hooks apply.
"""

from .._core import __version__

# Not `from typing import TYPE_CHECKING`: typing takes longer to import than
# the whole native `generate` (cli.py); type checkers read this name alike.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .project import Project
    from .tag import Tag

__author__ = "aioxide"
__all__ = ["Project", "Tag", "__version__"]


def __getattr__(name: str) -> object:
    # Imported on first use: `aioxide-release generate` starts without the
    # Python model (see cli.py), and importing this package must not load it.
    if name == "Project":
        from .project import Project

        return Project
    if name == "Tag":
        from .tag import Tag

        return Tag
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
