"""What the interpreter's ``sqlite3`` raises where Python 3.11 changed it.

aioxide.sqlite follows the running interpreter's module, so the tests
expect whichever class it has.
"""

from __future__ import annotations

import sqlite3
import sys

BEFORE_311 = sys.version_info < (3, 11)

#: Text with a second statement (``"select 1; select 2"``).
SECOND_STATEMENT: type[Exception] = sqlite3.Warning if BEFORE_311 else sqlite3.ProgrammingError
#: A parameter argument that is neither a sequence nor a mapping.
UNSUPPORTED_PARAMETERS: type[Exception] = ValueError if BEFORE_311 else sqlite3.ProgrammingError
#: A parameter value of a type SQLite cannot hold: its class and words.
UNSUPPORTED_VALUE: tuple[type[Exception], str] = (
    (sqlite3.InterfaceError, "probably unsupported type")
    if BEFORE_311
    else (sqlite3.ProgrammingError, "is not supported")
)
