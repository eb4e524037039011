"""How fetched rows become objects: which class, which fields, which
conversions, and the fastest way to build instances of that class.

Classes whose generated ``__init__`` only stores its arguments (plain attrs
classes and dataclasses without validators, converters or post-init hooks)
are filled field by field in Rust without calling ``__init__``; NamedTuples
are built as tuples; any other class is called with the row.

>>> import attr
>>> @attr.s(auto_attribs=True)
... class P:
...     x: int
>>> build_mode(P, ("x",))
1
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Callable, Sequence
from typing import Any

import attr

from .._core import RowShape
from .column import KIND, Column
from .expr import Alias
from .query import Query, field_names

# The build modes are declared once, on the Rust class.
CALL, FIELDS, TUPLE = RowShape.CALL, RowShape.FIELDS, RowShape.TUPLE

_MODES: dict[tuple[type, tuple[str, ...]], int] = {}


def _attrs_mode(cls: type, names: tuple[str, ...]) -> int:
    fields = attr.fields(cls)
    plain = all(f.init and f.validator is None and f.converter is None for f in fields)
    hooks = hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__")
    if plain and not hooks and {f.name for f in fields} == set(names):
        return FIELDS
    return CALL


def _dataclass_mode(cls: type, names: tuple[str, ...]) -> int:
    fields = dataclasses.fields(cls)
    plain = all(f.init for f in fields) and not hasattr(cls, "__post_init__")
    if plain and {f.name for f in fields} == set(names):
        return FIELDS
    return CALL


def build_mode(cls: type, names: tuple[str, ...]) -> int:
    """How instances of ``cls`` are built from rows with these field names."""
    key = (cls, names)
    mode = _MODES.get(key)
    if mode is None:
        if issubclass(cls, tuple) and tuple(getattr(cls, "_fields", ())) == names:
            mode = TUPLE
        elif attr.has(cls):
            mode = _attrs_mode(cls, names)
        elif dataclasses.is_dataclass(cls):
            mode = _dataclass_mode(cls, names)
        else:
            mode = CALL
        _MODES[key] = mode
    return mode


def _date(value: Any) -> Any:
    return value if isinstance(value, _dt.date) else _dt.date.fromisoformat(value)


def _datetime(value: Any) -> Any:
    return value if isinstance(value, _dt.datetime) else _dt.datetime.fromisoformat(value)


#: Per dialect, what a column kind's stored value needs to become its Python type.
TEXT_STORED: dict[int, Callable[[Any], Any]] = {
    KIND["bool"]: bool,
    KIND["date"]: _date,
    KIND["datetime"]: _datetime,
}
BOOL_AS_INT: dict[int, Callable[[Any], Any]] = {1: bool}


class RowPlan:
    """What one query's rows become: factory, field names, mode, conversions."""

    __slots__ = ("converters", "factory", "mode", "names", "shape")

    def __init__(self, query: Query[Any], conversions: dict[int, Callable[[Any], Any]]) -> None:
        selection = query._selection() or []
        self.factory = query.factory()
        self.names = field_names(selection)
        self.mode = build_mode(self.factory, self.names)
        converters: list[tuple[int, Callable[[Any], Any]]] = []
        if conversions:
            for i, item in enumerate(selection):
                if isinstance(item, Alias):
                    item = item.expr
                if isinstance(item, Column):
                    convert = conversions.get(item._kind)
                    if convert is not None:
                        converters.append((i, convert))
        self.converters = converters
        #: The native builder; the SQLite engine uses it while reading rows.
        self.shape = RowShape(self.factory, self.names, self.mode, converters)

    def build(self, rows: Sequence[Any]) -> list[Any]:
        return self.shape.build_all(rows)


_PLANS: dict[tuple[int, ...], tuple[tuple[Any, ...], RowPlan]] = {}
_MAX_PLANS = 1024


def plan_for(query: Query[Any], conversions: dict[int, Callable[[Any], Any]]) -> RowPlan | None:
    """The cached plan for this query's selection (a query is rebuilt for
    every execution; its selection is usually the same objects); None when
    the query returns no rows."""
    table = query.table
    if query._all_columns:
        # Every column in table order (``T.select()``): the table's own plan.
        held = table._plans.get(id(conversions))
        if held is not None and held[0] is conversions:
            cached: RowPlan = held[1]
            return cached
        plan = RowPlan(query, conversions)
        table._plans[id(conversions)] = (conversions, plan)
        return plan
    selection = query._selection()
    if selection is None:
        return None
    # Keyed by identity; the entry keeps the objects alive, so ids stay theirs.
    key = (id(conversions), id(table), *map(id, selection))
    hit = _PLANS.get(key)
    if hit is not None:
        return hit[1]
    plan = RowPlan(query, conversions)
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = ((conversions, table, *selection), plan)
    return plan
