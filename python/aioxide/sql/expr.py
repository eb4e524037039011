"""Operands of the DSL: anything that can be compared, selected or ordered.

Columns, SQL functions (``fn.count(T.id)``), aliases (``expr.as_("n")``),
raw fragments (``raw("length(?)", "x")``) and subqueries share the operator
methods defined here.

>>> from aioxide.sql import Column
>>> (fn.count(Column("id")).as_("n")).name
'n'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .._core import OperandCore
from .errors import InvalidIdentifier, InvalidValue
from .types import Comparison, Operator, Order

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class QueryBase:
    """Marker base of :class:`aioxide.sql.Query`: a query is a valid operand
    (a subquery) wherever a value is."""

    __slots__ = ()


class Operand(OperandCore):
    """Comparison and matching operators shared by every operand."""

    __slots__ = ()
    #: Value types a comparison with this operand accepts (None: anything).
    _accepts: tuple[type, ...] | None = None

    def _operand(self, value: Any) -> Any:
        accepts = self._accepts
        if accepts is not None and value is not None and not isinstance(value, accepts):
            raise InvalidValue(f"{self!r} cannot be compared with {type(value).__name__} {value!r}")
        return value

    # ==, !=, <, <=, >, >= and like()/ilike() are native (OperandCore): a
    # comparison is built in one call, checked against ``_accepts``.

    __hash__ = object.__hash__

    def _members(self, values: Any) -> Any:
        if isinstance(values, QueryBase):
            return values
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise InvalidValue(f"in_() takes a collection of values or a query, not {values!r}")
        return [self._operand(v) for v in values]

    def in_(self, values: Any) -> Comparison:
        """``IN (...)``: a collection of values, or a subquery.

        An empty collection matches nothing (it renders as a false condition).
        """
        return Comparison(self, Operator.in_, self._members(values))

    def not_in(self, values: Any) -> Comparison:
        """``NOT IN (...)``: a collection of values, or a subquery."""
        return Comparison(self, Operator.not_in, self._members(values))

    def _pattern(self, pattern: Any) -> str:
        if not isinstance(pattern, str):
            raise InvalidValue(f"a LIKE pattern must be a str, not {type(pattern).__name__}")
        return pattern

    def not_like(self, pattern: str) -> Comparison:
        return Comparison(self, Operator.not_like, self._pattern(pattern))

    def not_ilike(self, pattern: str) -> Comparison:
        return Comparison(self, Operator.not_ilike, self._pattern(pattern))

    def between(self, low: Any, high: Any) -> Comparison:
        """``BETWEEN low AND high`` (both ends included)."""
        return Comparison(self, Operator.between, (self._operand(low), self._operand(high)))

    def not_between(self, low: Any, high: Any) -> Comparison:
        return Comparison(self, Operator.not_between, (self._operand(low), self._operand(high)))

    def is_null(self) -> Comparison:
        """``IS NULL`` (``== None`` means the same)."""
        return Comparison(self, Operator.eq, None)

    def is_not_null(self) -> Comparison:
        """``IS NOT NULL`` (``!= None`` means the same)."""
        return Comparison(self, Operator.ne, None)

    def as_(self, name: str) -> Alias:
        """Name this operand in a select list: ``fn.count().as_("n")``."""
        return Alias(self, name)

    def asc(self) -> tuple[Operand, Order]:
        return (self, Order.asc)

    def desc(self) -> tuple[Operand, Order]:
        return (self, Order.desc)


def check_identifier(name: Any, what: str) -> str:
    """Names are quoted (and quotes doubled) when rendered; only names no SQL
    dialect can carry at all are refused."""
    if not isinstance(name, str) or not name:
        raise InvalidIdentifier(f"{what} name must be a non-empty str, not {name!r}")
    if "\x00" in name:
        raise InvalidIdentifier(f"{what} name {name!r} contains a NUL character")
    return name


class Func(Operand):
    """A SQL function call over operands; build with :data:`fn`."""

    __slots__ = ("args", "distinct", "name")

    def __init__(self, name: str, args: tuple[Any, ...], distinct: bool = False) -> None:
        if not _IDENTIFIER.match(name):
            raise InvalidIdentifier(f"function name {name!r} is not a plain SQL identifier")
        self.name = name
        self.args = args
        self.distinct = distinct

    @property
    def label(self) -> str:
        """The field name a row gets for this call when it has no alias."""
        parts = [self.name.lower()]
        parts += [getattr(a, "name", "") for a in self.args if getattr(a, "name", "")]
        return "_".join(parts)

    def __repr__(self) -> str:
        return f"<Func: {self.name}({', '.join(map(repr, self.args))})>"


class Alias(Operand):
    """``expr AS name`` in a select list; elsewhere it refers to ``name``."""

    __slots__ = ("expr", "name")

    def __init__(self, expr: Any, name: str) -> None:
        self.expr = expr
        self.name = check_identifier(name, "alias")

    def __repr__(self) -> str:
        return f"<Alias: {self.name}>"


class Raw(Operand):
    """A hand-written SQL fragment with ``?`` placeholders and its parameters.

    The placeholders become the dialect's own (``$1``, ``%s``) when rendered,
    and the parameters are bound, never spliced into the text.

    >>> raw("length(name) > ?", 3).params
    [3]
    """

    __slots__ = ("params", "sql")

    def __init__(self, sql: str, params: Sequence[Any] = ()) -> None:
        if not isinstance(sql, str):
            raise InvalidValue(f"raw SQL must be a str, not {type(sql).__name__}")
        self.sql = sql
        self.params = list(params)

    def __repr__(self) -> str:
        return f"<Raw: {self.sql!r}>"


def raw(sql: str, *params: Any) -> Raw:
    """A raw SQL fragment or statement, with ``?`` placeholders.

    >>> raw("select ?", 1).sql
    'select ?'
    """
    return Raw(sql, params)


class _Functions:
    """SQL functions: ``fn.count()``, ``fn.sum(T.x)``, ``fn.call("name", ...)``."""

    def count(self, operand: Any = None, *, distinct: bool = False) -> Func:
        """``COUNT(*)`` without an operand, ``COUNT([DISTINCT] x)`` with one."""
        return Func("COUNT", () if operand is None else (operand,), distinct)

    def sum(self, operand: Any, *, distinct: bool = False) -> Func:
        return Func("SUM", (operand,), distinct)

    def avg(self, operand: Any, *, distinct: bool = False) -> Func:
        return Func("AVG", (operand,), distinct)

    def min(self, operand: Any) -> Func:
        return Func("MIN", (operand,))

    def max(self, operand: Any) -> Func:
        return Func("MAX", (operand,))

    def lower(self, operand: Any) -> Func:
        return Func("LOWER", (operand,))

    def upper(self, operand: Any) -> Func:
        return Func("UPPER", (operand,))

    def coalesce(self, *operands: Any) -> Func:
        return Func("COALESCE", operands)

    def call(self, name: str, *args: Any) -> Func:
        """Any other function, by a plain identifier name."""
        return Func(name, args)


#: The SQL function namespace.
fn = _Functions()
