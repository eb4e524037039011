"""``Row``: a tuple-like row indexable by position and by column name.

It stands in for ``sqlite3.Row`` (which only accepts a stdlib cursor):
setting ``row_factory = sqlite3.Row`` on an aioxide connection or cursor
gives this class.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, SupportsIndex, overload


class Row:
    """A result row: ``row[0]``, ``row["name"]`` (case-insensitive), ``row.keys()``.

    >>> r = Row(None, (1, "x"), ("id", "name"))
    >>> r["NAME"], r[0], r.keys(), tuple(r)
    ('x', 1, ['id', 'name'], (1, 'x'))
    """

    __slots__ = ("_keys", "_values")

    def __init__(self, cursor: Any, values: tuple[Any, ...], keys: tuple[str, ...] | None = None):
        if not isinstance(values, tuple):
            raise TypeError("Row() argument 2 must be a tuple")
        if keys is None:
            description = getattr(cursor, "description", None) or ()
            keys = tuple(d[0] for d in description)
        self._values = values
        self._keys = keys

    @overload
    def __getitem__(self, key: SupportsIndex | str) -> Any: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[Any, ...]: ...
    def __getitem__(self, key: SupportsIndex | str | slice) -> Any:
        if isinstance(key, str):
            folded = key.casefold()
            for i, name in enumerate(self._keys):
                if name.casefold() == folded:
                    return self._values[i]
            raise IndexError("No item with that key")
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._keys)

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return self._keys == other._keys and self._values == other._values

    def __hash__(self) -> int:
        return hash(self._keys) ^ hash(self._values)

    def __repr__(self) -> str:
        return f"<aioxide.sqlite.Row {dict(zip(self._keys, self._values, strict=False))!r}>"
