"""Version numbers, as attribution parses tag names (PEP 440, a leading
``v`` allowed): :class:`packaging.version.Version`."""

import packaging.version

# Bound as names, not imported, so that readers of the source (the API
# reference) see them as this module's.
InvalidVersion = packaging.version.InvalidVersion
Version = packaging.version.Version

__all__ = ["InvalidVersion", "Version"]
