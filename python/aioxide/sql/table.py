"""Tables: a name, columns, constraints, and the class rows are built as.

>>> @table
... class Point:
...     x: int
...     y: int = 0
>>> Point.x.full_name, Point(1).y
('Point.x', 0)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Union, get_type_hints, overload

import attr

from .._core import sql_select
from .column import NO_DEFAULT, Column, ColumnType, Index, Primary
from .errors import AqlError, DuplicateColumnName, UnknownColumn
from .expr import check_identifier
from .query import Query
from .types import Comparison

T = TypeVar("T")

#: The table each decorated class was turned into (for db.update(obj) etc.).
TABLES_BY_SOURCE: dict[type, Table[Any]] = {}


class Table(Generic[T]):
    """Table specification using custom columns and a source type.

    A column is an attribute of the table (``T.name``) unless its name is
    taken by the table itself (``select``, ``_name`` ...); ``T["name"]``
    always works.
    """

    def __init__(
        self,
        name: str,
        cons: Iterable[Column | Index[Any]],
        source: type[T] | None = None,
    ) -> None:
        self._name = check_identifier(name, "table")
        self._columns: list[Column] = []
        self._column_names: set[str] = set()
        self._by_name: dict[str, Column] = {}
        self._column_types: dict[Column, ColumnType] = {}
        self._indexes: list[Index[Any]] = []
        self._source: type[T] | None = source
        #: Row plans of ``select()`` (every column), by conversions table
        #: (``aioxide.sql.mapping.plan_for``); the entry holds the table.
        self._plans: dict[int, tuple[Any, Any]] = {}
        # ``T.select(...)`` is the hot path of every lookup: the instance's
        # own attribute (a native call) shadows the method, saving a Python
        # frame per query. The method below stays for the class itself.
        self.select = functools.partial(sql_select, self)  # type: ignore[method-assign]
        for con in cons:
            if isinstance(con, Column):
                self._add_column(con)
            elif isinstance(con, Index):
                self._indexes.append(con)
            else:
                raise ValueError(f"Unexpected constraint {con!r}: expected a Column or an Index")
        for index in self._indexes:
            for col in index._columns:
                if col not in self._column_names:
                    raise UnknownColumn(
                        f"{type(index).__name__}({col!r}): {name} has no column {col!r}"
                    )

    def _add_column(self, con: Column) -> None:
        check_identifier(con.name, "column")
        if con.name in self._column_names:
            raise DuplicateColumnName(f"column {con.name} already exists in {self._name}")
        self._columns.append(con)
        self._column_names.add(con.name)
        self._by_name[con.name] = con
        if not (con.name.startswith("_") or hasattr(Table, con.name)):
            # setattr, not ``self.__dict__[...]``: touching ``__dict__`` turns
            # CPython's inline attribute values into a real dict, and every
            # ``T.col`` then costs ~3x (35 ns instead of 11 on 3.11).
            setattr(self, con.name, con)
        if not con.ctype:
            return
        ctype = ColumnType.parse(con.ctype)
        if ctype.constraint is Index:
            self._indexes.append(Index(con.name))
        self._column_types[con] = ctype
        con._typed(ctype)

    @property
    def _primary(self) -> list[Column]:
        """The primary key's columns (from ``Primary[...]`` or ``Primary(...)``)."""
        for column, ctype in self._column_types.items():
            if ctype.constraint is Primary:
                return [column]
        for index in self._indexes:
            if type(index) is Primary:
                return [self._by_name[c] for c in index._columns]
        return []

    def __getstate__(self) -> dict[str, Any]:
        # The row plans are a cache and ``select`` a shortcut bound to this
        # very table: a copy (or an unpickled table) makes its own.
        state = dict(vars(self))
        del state["_plans"], state["select"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # setattr, not ``__dict__.update``: see ``_add_column``.
        for name, value in state.items():
            setattr(self, name, value)
        self._plans = {}
        self.select = functools.partial(sql_select, self)  # type: ignore[method-assign]

    if TYPE_CHECKING:
        # Columns are attributes (T.email): let type checkers see them.
        def __getattr__(self, name: str) -> Column: ...

    def __repr__(self) -> str:
        return f"<Table: {self._name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        """Build a row of the original source type."""
        if self._source is None:
            raise AqlError(f"No source specified for table {self._name}, cannot call")
        return self._source(*args, **kwargs)

    def __contains__(self, name: object) -> bool:
        return name in self._column_names

    def __getitem__(self, name: str) -> Column:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownColumn(f"no column {name!r} in table {self._name}") from None

    def create(self, if_not_exists: bool = False) -> Query[T]:
        """``CREATE TABLE`` (plus its indexes)."""
        return Query(self).create(if_not_exists=if_not_exists)

    def insert(self, *columns: Column) -> Query[T]:
        """``INSERT INTO``; add rows with ``.values(...)``."""
        return Query(self).insert(*columns)

    def select(self, *columns: Any) -> Query[T]:
        """``SELECT`` (every column when none are named)."""
        return Query(self).select(*columns)

    def update(self, *comps: Comparison, **values: Any) -> Query[T]:
        """``UPDATE ... SET`` from ``T.col == value`` pairs and keywords."""
        return Query(self).update(*comps, **values)

    def delete(self) -> Query[T]:
        """``DELETE FROM``; needs ``where()``, ``limit()`` or ``everything()``."""
        return Query(self).delete()


def _defaults(cls: type) -> dict[str, Any]:
    if issubclass(cls, tuple):
        return dict(getattr(cls, "_field_defaults", {}))
    if dataclasses.is_dataclass(cls):
        out = {}
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
        return out
    if attr.has(cls):
        return {
            k: a.default
            for k, a in attr.fields_dict(cls).items()
            if a.default is not attr.NOTHING and not isinstance(a.default, attr.Factory)  # type: ignore[arg-type]
        }
    raise AqlError(
        f"@table needs a plain class, a dataclass, an attrs class or a NamedTuple; "
        f"{cls.__name__} is none of these"
    )


@overload
def table(cls_or_name: type[T], *args: Index[Any]) -> Table[T]: ...
@overload
def table(cls_or_name: str, *args: Index[Any]) -> Callable[[type[T]], Table[T]]: ...
@overload
def table(cls_or_name: Index[Any], *args: Index[Any]) -> Callable[[type[T]], Table[T]]: ...


def table(cls_or_name: Any, *args: Index[Any]) -> Any:
    """Turn an annotated class into a :class:`Table` (a decorator).

    ``@table``, ``@table("name", *indexes)`` or ``@table(*indexes)``. Plain
    classes become slotted attrs classes (``T(...)`` builds one); dataclasses,
    attrs classes and NamedTuples are used as they are.

    >>> @table("people")
    ... class Person:
    ...     name: str
    >>> Person._name
    'people'
    """
    table_name: str | None = None
    if isinstance(cls_or_name, str):
        table_name = cls_or_name
    elif isinstance(cls_or_name, Index):
        args = (cls_or_name, *args)

    def wrapper(cls: type[T]) -> Table[T]:
        if not isinstance(cls, type):
            raise TypeError(f"@table expects a class, not {type(cls).__name__} {cls!r}")
        name = table_name or cls.__name__
        if cls.__bases__ == (object,) and not dataclasses.is_dataclass(cls) and not attr.has(cls):
            # A slotted attrs class (aql: a dict-based one): one allocation
            # per row, and fetched rows are built faster (see the SQL bench).
            cls = attr.s(auto_attribs=True, slots=True)(cls)
        defaults = _defaults(cls)
        hints = get_type_hints(cls)
        if not hints:
            raise AqlError(f"@table class {cls.__name__} has no annotated columns")
        cons: list[Union[Column, Index[Any]]] = list(args)  # noqa: UP007
        for key, value in hints.items():
            cons.append(
                Column(key, ctype=value, table_name=name, default=defaults.get(key, NO_DEFAULT))
            )
        tbl = Table(name, cons=cons, source=cls)
        TABLES_BY_SOURCE[cls] = tbl
        return tbl

    if isinstance(cls_or_name, (str, Index)):
        return wrapper
    return wrapper(cls_or_name)
