"""Version numbers, as attribution parses tag names (PEP 440, a leading
``v`` allowed): :class:`packaging.version.Version`."""

from packaging.version import InvalidVersion, Version

__all__ = ["InvalidVersion", "Version"]
