"""Plain value types of the query DSL: enums, comparisons and boolean groups.

>>> Operator.like.name
'like'
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Any, Generic, NewType, TypeVar, Union

from attr import dataclass

from .._core import SQL_CODES

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


# The integer codes are declared once, in Rust (crates/sql/src/codes.rs):
# a name missing there fails here, at import.
_ACTIONS = SQL_CODES["action"]
_OPERATORS = SQL_CODES["operator"]
_JOINS = SQL_CODES["join"]


class QueryAction(IntEnum):
    """What a query does (its codes are the renderer's, from ``_core.SQL_CODES``)."""

    unset = _ACTIONS["unset"]
    create = _ACTIONS["create"]
    insert = _ACTIONS["insert"]
    select = _ACTIONS["select"]
    update = _ACTIONS["update"]
    delete = _ACTIONS["delete"]


class Operator(IntEnum):
    """Comparison operators; the Rust renderer reads their integer values."""

    eq = _OPERATORS["eq"]
    ne = _OPERATORS["ne"]
    gt = _OPERATORS["gt"]
    ge = _OPERATORS["ge"]
    lt = _OPERATORS["lt"]
    le = _OPERATORS["le"]
    in_ = _OPERATORS["in_"]
    like = _OPERATORS["like"]
    ilike = _OPERATORS["ilike"]
    not_in = _OPERATORS["not_in"]
    not_like = _OPERATORS["not_like"]
    not_ilike = _OPERATORS["not_ilike"]
    between = _OPERATORS["between"]
    not_between = _OPERATORS["not_between"]


class Boolean(Enum):
    """How a group of conditions combines."""

    and_ = "and"
    or_ = "or"


class Select(IntEnum):
    """``SELECT`` or ``SELECT DISTINCT``."""

    all = 0
    distinct = 1


class Join(IntEnum):
    """The kind of a join (its codes are the renderer's, from ``_core.SQL_CODES``)."""

    inner = _JOINS["inner"]
    left = _JOINS["left"]
    right = _JOINS["right"]


class Order(Enum):
    """Sort direction of an ``ORDER BY`` term."""

    asc = "asc"
    desc = "desc"


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
