"""aioxide.sql: typed tables and one query DSL for SQLite, PostgreSQL and
MySQL/MariaDB (aql's API, rendered in Rust).

>>> from aioxide.sql import table, connect
>>> @table
... class Contact:
...     id: int
...     name: str
>>> from aioxide.sql.engines import SqliteEngine
>>> SqliteEngine().prepare(Contact.select().where(Contact.name.like("J%"))).sql
'SELECT ALL `Contact`.`id`, `Contact`.`name` FROM `Contact` WHERE (`Contact`.`name` GLOB ?)'
"""

from . import engines
from .__version__ import __version__
from .column import AutoIncrement, Column, Index, Primary, Unique
from .connector import connect
from .engines.base import Connection, Cursor, Engine, Result
from .errors import AqlError, BuildError, QueryError
from .expr import Alias, Func, Raw, fn, raw
from .query import PreparedQuery, Query
from .table import Table, table
from .types import (
    And,
    Blob,
    Boolean,
    Comparison,
    Join,
    Location,
    Not,
    Operator,
    Or,
    Order,
    Select,
    Text,
)

__all__ = [
    "Alias",
    "And",
    "AqlError",
    "AutoIncrement",
    "Blob",
    "Boolean",
    "BuildError",
    "Column",
    "Comparison",
    "Connection",
    "Cursor",
    "Engine",
    "Func",
    "Index",
    "Join",
    "Location",
    "Not",
    "Operator",
    "Or",
    "Order",
    "PreparedQuery",
    "Primary",
    "Query",
    "QueryError",
    "Raw",
    "Result",
    "Select",
    "Table",
    "Text",
    "Unique",
    "__version__",
    "connect",
    "engines",
    "fn",
    "raw",
    "table",
]
