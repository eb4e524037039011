"""Engines by backend: generic SQL, SQLite, MySQL/MariaDB, PostgreSQL.

>>> sorted(Connection._connectors)
['mysql', 'postgres', 'postgresql', 'sqlite']
"""

from .base import Connection, Engine
from .mysql import MysqlConnection, MysqlEngine
from .postgres import PostgresConnection, PostgresEngine
from .sql import SqlEngine
from .sqlite import SqliteConnection, SqliteEngine

Connection._connectors.setdefault("postgres", (PostgresConnection, PostgresEngine))

__all__ = [
    "Connection",
    "Engine",
    "MysqlConnection",
    "MysqlEngine",
    "PostgresConnection",
    "PostgresEngine",
    "SqlEngine",
    "SqliteConnection",
    "SqliteEngine",
]
