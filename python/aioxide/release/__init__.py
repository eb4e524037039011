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
from .project import Project
from .tag import Tag

__author__ = "aioxide"
__all__ = ["Project", "Tag", "__version__"]
