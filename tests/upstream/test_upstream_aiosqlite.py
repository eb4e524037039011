"""aiosqlite's own test suite (``aiosqlite/tests/smoke.py``) against aioxide.sqlite.

Deliberate deviations are listed in ``tests/upstream/DEVIATIONS.md``.
"""

from upstream import load

smoke = load("aiosqlite", "smoke")

SmokeTest = smoke.SmokeTest
