"""The fluent query builder.

A :class:`Query` is mutable and every method returns it, as in aql. Methods
check the order they are called in (``where`` needs a started select, update
or delete ...) and the values they are given, and raise :class:`BuildError`
(or a subclass naming the problem) at once.

>>> from aioxide.sql import table
>>> @table
... class Item:
...     id: int
...     name: str
>>> q = Item.select().where(Item.id > 3).orderby(Item.name).limit(5)
>>> q._limit
5
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from attr import make_class

# PreparedQuery: SQL text and parameters for a driver (``db.execute(*prepared)``);
# its ``statements`` must follow (CREATE INDEX ...).
from .._core import PreparedQuery as PreparedQuery
from .._core import QueryCore
from .column import Column
from .errors import BuildError
from .expr import Alias, Func, QueryBase
from .types import QueryAction

if TYPE_CHECKING:  # pragma: no cover
    pass

T = TypeVar("T")

_SELECT = QueryAction.select


_ROW_CLASSES: dict[tuple[str, ...], type] = {}


def row_class(names: tuple[str, ...]) -> type:
    """The frozen attrs ``Row`` class for a selection of these field names."""
    cls = _ROW_CLASSES.get(names)
    if cls is None:
        cls = make_class("Row", list(names), slots=True, frozen=True)
        _ROW_CLASSES[names] = cls
    return cls


def _python_name(name: str) -> str:
    # Columns may be named anything SQL can quote; row fields must be identifiers.
    if name.isidentifier() and not keyword.iskeyword(name):
        return name
    cleaned = re.sub(r"\W", "_", name)
    if not cleaned or cleaned[0].isdigit():
        cleaned = "f_" + cleaned
    return cleaned + "_" if keyword.iskeyword(cleaned) else cleaned


def field_names(selection: Sequence[Any]) -> tuple[str, ...]:
    """The names rows of this selection get: identifiers, duplicates made unique."""
    names: list[str] = []
    for i, item in enumerate(selection):
        if isinstance(item, (Column, Alias)):
            name = item.name
        elif isinstance(item, Func):
            name = item.label
        else:
            name = f"column_{i}"
        name = _python_name(name)
        if name in names and isinstance(item, Column) and item.table_name:
            name = _python_name(f"{item.table_name}_{name}")
        while name in names:
            name += "_"
        names.append(name)
    return tuple(names)


class Query(QueryCore, QueryBase, Generic[T]):
    """A query on one table, built step by step; every method returns the query.

    The builder methods (``select``, ``where``, ``join`` ...) are native
    (``aioxide._core.QueryCore``); each checks it is called at a valid point
    and raises :class:`BuildError` (or a subclass naming the problem).
    """

    __slots__ = ()

    def _selection(self) -> list[Any] | None:
        if self._action is _SELECT:
            return self._columns
        if self._returning:
            return self._returning
        return None

    def factory(self) -> type:
        """The class rows of this query are built as: the table's own class
        when every column is selected in table order, else a frozen ``Row``."""
        selection = self._selection()
        if selection is None:
            raise BuildError(f"a {self._action.name} query returns no rows")
        columns = self.table._columns
        source = self.table._source
        if (
            source is not None
            and len(selection) == len(columns)
            and all(a is b for a, b in zip(selection, columns, strict=True))
        ):
            return source  # type: ignore[no-any-return]
        return row_class(field_names(selection))

    def __repr__(self) -> str:
        return f"<Query: {self._action.name} {self.table!r}>"
