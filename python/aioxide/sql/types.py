"""Plain value types of the query DSL: enums, comparisons and boolean groups.

>>> Operator.like.name
'like'
"""

from __future__ import annotations

from enum import Enum, IntEnum, auto
from typing import Any, Generic, NewType, TypeVar, Union

from attr import dataclass

# The tree's node classes are native: building a query is a chain of native
# calls and rendering reads them without attribute lookups.
from .._core import And as And
from .._core import Comparison as Comparison
from .._core import Not as Not
from .._core import Or as Or
from .._core import TableJoin as TableJoin

T = TypeVar("T")


@dataclass
class Location:
    """Where a database is: its engine name plus whatever that engine needs.

    >>> Location("sqlite", database=":memory:").engine
    'sqlite'
    """

    engine: str
    socket: str | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    database: str | None = None


#: Longer text and binary columns (TEXT / BLOB instead of VARCHAR / VARBINARY).
Text = NewType("Text", str)
Blob = NewType("Blob", bytes)


class QueryAction(IntEnum):
    unset = auto()
    create = auto()
    insert = auto()
    select = auto()
    update = auto()
    delete = auto()


class Operator(IntEnum):
    """Comparison operators; the Rust renderer reads their integer values."""

    eq = auto()
    ne = auto()
    gt = auto()
    ge = auto()
    lt = auto()
    le = auto()
    in_ = auto()
    like = auto()
    ilike = auto()
    not_in = auto()
    not_like = auto()
    not_ilike = auto()
    between = auto()
    not_between = auto()


class Boolean(Enum):
    and_ = "and"
    or_ = "or"


class Select(IntEnum):
    all = 0
    distinct = 1


class Join(IntEnum):
    inner = auto()
    left = auto()
    right = auto()


class Order(Enum):
    asc = "asc"
    desc = "desc"


def _same_operand(a: Any, b: Any) -> bool:
    # Column.__eq__ builds a Comparison (always truthy), so columns are
    # compared by what they name, never with ==.
    from .expr import Operand

    if isinstance(a, Operand) or isinstance(b, Operand):
        return a is b or (type(a) is type(b) and a._key() == b._key())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_operand(x, y) for x, y in zip(a, b, strict=True))
    return bool(a is b or a == b)


Clause = Union[Comparison, And, Or, Not, Any]  # noqa: UP007 - a runtime alias


SqlParams = tuple[str, list[Any]]


class PrimaryKey(Generic[T]):
    """Kept for import compatibility with aql (unused there too)."""

    def __init__(self, value: T) -> None:
        self.value = value


class Unique(Generic[T]):
    """Kept for import compatibility with aql; use ``aioxide.sql.column.Unique``."""

    def __init__(self, value: T) -> None:
        self.value = value
