"""``Row``: a tuple-like row indexable by position and by column name.

The class is native (``aioxide._core.Row``). It stands in for
``sqlite3.Row`` (which only accepts a stdlib cursor): setting
``row_factory = sqlite3.Row`` on an aioxide connection or cursor gives this
class.

>>> r = Row(None, (1, "x"), ("id", "name"))
>>> r["NAME"], r[0], r[-1], r[:1], r.keys(), tuple(r)
('x', 1, 'x', (1,), ['id', 'name'], (1, 'x'))
"""

from .._core import Row

__all__ = ["Row"]
