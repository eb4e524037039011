"""aioxide: the OmniLib asyncio toolkit rebuilt on a Rust core.

Each module is a drop-in for its OmniLib counterpart; :mod:`aioxide.compat`
makes existing imports resolve to aioxide with one call::

    import aioxide.compat
    aioxide.compat.install("aiosqlite")
"""

from ._core import __version__

__all__ = ["__version__"]
