"""aioxide.sqlite: asyncio SQLite on a Rust engine, a drop-in for aiosqlite.

>>> import asyncio
>>> from aioxide import sqlite
>>> async def main():
...     async with sqlite.connect(":memory:") as db:
...         await db.execute("create table t (x)")
...         await db.executemany("insert into t values (?)", [(1,), (2,)])
...         return await db.execute_fetchall("select sum(x) from t")
>>> asyncio.run(main())
[(3,)]
"""

from sqlite3 import (
    PARSE_COLNAMES,
    PARSE_DECLTYPES,
    SQLITE_DENY,
    SQLITE_IGNORE,
    SQLITE_OK,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
    paramstyle,
    register_adapter,
    register_converter,
)

from .._core import __version__
from .._core import sqlite_library as _sqlite_library
from .context import Result
from .core import LEGACY_TRANSACTION_CONTROL, Connection, connect
from .cursor import Cursor
from .row import Row

#: Which SQLite library aioxide.sqlite calls: ``origin`` is "interpreter"
#: (the library of the stdlib ``sqlite3`` module, shared with it: one set of
#: locks, one shared cache, the same defaults) or "bundled" (aioxide's own
#: copy, used only where the interpreter's cannot be reached, ``reason`` says
#: why); also ``location``, ``version``, ``version_number``, ``missing`` and
#: ``compile_options``.
sqlite_library: dict[str, object] = _sqlite_library()

#: The version of the SQLite library in use (the stdlib's, unless bundled).
sqlite_version: str = str(sqlite_library["version"])
sqlite_version_info: tuple[int, int, int] = tuple(  # type: ignore[assignment]
    int(part) for part in sqlite_version.split(".")[:3]
)

__all__ = [
    "LEGACY_TRANSACTION_CONTROL",
    "PARSE_COLNAMES",
    "PARSE_DECLTYPES",
    "SQLITE_DENY",
    "SQLITE_IGNORE",
    "SQLITE_OK",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Result",
    "Row",
    "Warning",
    "__version__",
    "connect",
    "paramstyle",
    "register_adapter",
    "register_converter",
    "sqlite_library",
    "sqlite_version",
    "sqlite_version_info",
]
