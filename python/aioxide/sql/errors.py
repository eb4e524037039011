"""The exceptions of :mod:`aioxide.sql` (aql's, plus a few precise ones).

Every error derives from :class:`AqlError`; errors found while building or
rendering a query derive from :class:`BuildError`.

>>> issubclass(UnknownColumn, BuildError)
True
"""

from __future__ import annotations


class AqlError(Exception):
    """Base class of every aioxide.sql error."""


class UnknownConnector(AqlError):
    """``connect()`` was given an engine name no connection is registered for."""


class InvalidColumnType(AqlError):
    """A column annotation that no SQL type corresponds to."""


class InvalidURI(AqlError):
    """``connect()`` was given a string that is not ``engine://location``."""


class BuildError(AqlError):
    """A query that cannot be built as asked (wrong order, missing parts...)."""


class DuplicateColumnName(AqlError):
    """Two columns of one table share a name."""


class QueryError(AqlError):
    """A query the database or its driver could not run as built."""


class UnsafeQuery(AqlError):
    """A DELETE or UPDATE that would touch every row without ``everything()``."""


class NoConnection(AqlError):
    """The connection is not open (never connected, or already closed)."""


class UnknownColumn(BuildError, KeyError):
    """A column name the table does not have."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class InvalidValue(BuildError, TypeError):
    """A value of the wrong type for its column (or not a value SQL can hold)."""


class InvalidIdentifier(BuildError, ValueError):
    """A table, column, alias or function name SQL cannot carry."""


class UnsupportedQuery(BuildError, NotImplementedError):
    """A statement or clause this engine or dialect cannot express."""
