"""Columns and the annotations that describe them.

``Primary[...]``, ``Unique[...]``, ``Index[...]`` and ``AutoIncrement[int]``
wrap a column's annotation; ``Primary("a", "b")`` etc. are table constraints.

>>> ColumnType.parse(Primary[AutoIncrement[int]]).autoincrement
True
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Generic, TypeVar, Union

from attr import dataclass

from .._core import SQL_CODES, ColumnCore
from .errors import InvalidColumnType
from .expr import Operand, QueryBase
from .types import Blob, Text


class _NoDefault:
    """What a column without a default has: one object, which ``copy`` and
    ``pickle`` keep (a copied column of aql's gets a new ``object()`` and
    then renders it as its default)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __reduce__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()
T = TypeVar("T")


class AutoIncrement(Generic[T]):
    """``AutoIncrement[int]``: the database numbers new rows."""


class Index(Generic[T]):
    """``Index[str]`` on a column, or ``Index("a", "b")`` as a table constraint."""

    _AUTO_PREFIX = "idx"

    def __init__(self, *columns: str, name: str | None = None) -> None:
        self._columns = list(columns)
        # Generated names get the table's name prefixed where index names
        # are per schema (SQLite, PostgreSQL).
        self._auto_named = name is None
        if name is not None:
            self._name = name
        else:
            self._name = "_".join([self._AUTO_PREFIX, *columns])

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._columns == other._columns  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self._columns))})"


class Unique(Index[T]):
    _AUTO_PREFIX = "unq"


class Primary(Index[T]):
    _AUTO_PREFIX = "pri"


#: Column kinds by their codes, declared in Rust (crates/sql/src/codes.rs;
#: 0: untyped).
KIND = SQL_CODES["kind"]
KINDS: dict[Any, int] = {
    bool: KIND["bool"],
    int: KIND["int"],
    float: KIND["float"],
    str: KIND["str"],
    bytes: KIND["bytes"],
    Text: KIND["Text"],
    Blob: KIND["Blob"],
    _dt.date: KIND["date"],
    _dt.datetime: KIND["datetime"],
}

# Python types a value for each kind may have (comparisons also accept operands).
_VALUE_TYPES: dict[int, tuple[type, ...]] = {
    KIND["bool"]: (bool,),
    KIND["int"]: (int,),
    KIND["float"]: (int, float),
    KIND["str"]: (str,),
    KIND["bytes"]: (bytes, bytearray, memoryview),
    KIND["Text"]: (str,),
    KIND["Blob"]: (bytes, bytearray, memoryview),
    KIND["date"]: (_dt.date,),
    KIND["datetime"]: (_dt.datetime,),
}


@dataclass
class ColumnType:
    root: type | None
    nullable: bool = False
    autoincrement: bool = False
    constraint: type[Index[Any]] | None = None

    @staticmethod
    def parse(t: Any) -> ColumnType:
        """Unwrap ``Optional``/``Primary``/``Unique``/``Index``/``AutoIncrement``."""
        ctype = ColumnType(None)
        while hasattr(t, "__origin__"):
            origin = t.__origin__
            args = list(t.__args__)
            if origin is Union:
                if type(None) in args:
                    ctype.nullable = True
                    args.remove(type(None))
            elif origin is AutoIncrement:
                ctype.autoincrement = True
            elif isinstance(origin, type) and issubclass(origin, Index):
                if ctype.constraint:
                    raise InvalidColumnType(f"Unsupported double constraint: {t}")
                ctype.constraint = origin
            else:
                raise InvalidColumnType(f"Unsupported type origin {origin}")
            if len(args) > 1:
                raise InvalidColumnType(f"Unsupported union type: {args}")
            t = args[0]
        ctype.root = t
        if ctype.autoincrement and ctype.root is not int:
            raise InvalidColumnType(f"Autoincrement not supported with {ctype.root}")
        return ctype


class Column(ColumnCore, Operand):
    """One column: a name, an optional type annotation and default.

    The fields live in the native ``ColumnCore``, read directly by the renderer.

    >>> c = Column("id", int, table_name="users")
    >>> c.full_name
    'users.id'
    """

    __slots__ = ()

    def __init__(
        self,
        name: str,
        ctype: Any = None,
        default: Any = NO_DEFAULT,
        table_name: str = "",
    ) -> None:
        self.name = name
        self.ctype = ctype
        self.default = default
        self.table_name = table_name
        # _kind, _nullable, _auto, _accepts start untyped in ColumnCore.

    def _typed(self, ctype: ColumnType) -> None:
        # Called by Table once the annotation is parsed.
        self._kind = KINDS.get(ctype.root, 0)
        self._nullable = ctype.nullable
        self._auto = ctype.autoincrement
        if self._kind:
            self._accepts = (*_VALUE_TYPES[self._kind], Operand, QueryBase)

    def __repr__(self) -> str:
        return f"<Column: {self.full_name}>"

    def __hash__(self) -> int:
        return hash((self.name, self.ctype, self.default, self.table_name))

    @property
    def full_name(self) -> str:
        return f"{self.table_name}.{self.name}" if self.table_name else self.name
