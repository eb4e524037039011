"""``connect()``: a connection from a URI or a :class:`Location`.

``sqlite://path`` (or ``sqlite://:memory:``), ``postgresql://user:pw@host:port/db``
and ``mysql://user:pw@host:port/db``.

>>> type(connect("sqlite://:memory:")).__name__
'SqliteConnection'
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from .engines.base import Connection
from .errors import InvalidURI
from .types import Location

_uri_regex = re.compile(r"(?P<engine>\w+)://(?P<location>.+)")
_SERVERS = {"mysql", "postgres", "postgresql"}


def _server_location(engine: str, uri: str) -> Location:
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError as e:
        raise InvalidURI(f"Invalid database connection URI {uri}: {e}") from None
    return Location(
        engine,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=parts.path.lstrip("/") or None,
    )


def connect(location: str | Location, *args: Any, **kwargs: Any) -> Connection:
    """A connection (not yet open: use ``async with`` or ``await conn.connect()``)."""
    if isinstance(location, str):
        match = _uri_regex.match(location)
        if not match:
            raise InvalidURI(f"Invalid database connection URI {location}")
        engine, rest = match.groups()
        if engine.lower() in _SERVERS and ("@" in rest or ":" in rest.split("/")[0]):
            location = _server_location(engine, location)
        else:
            location = Location(engine, database=rest)
    connector, engine_kls = Connection.get_connector(location.engine.lower())
    return connector(engine_kls(), location, *args, **kwargs)
