"""Tables and connection helpers shared by the aioxide.sql tests."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, Optional, TypeVar

import attr
from hypothesis import HealthCheck, settings

from aioxide.sql import AutoIncrement, Index, Location, Primary, Text, Unique, connect, raw, table
from aioxide.sql.engines.base import Connection

T = TypeVar("T")


def differential_profile(share: int, least: int = 1) -> Any:
    """hypothesis settings for a property test taking 1/``share`` of
    ``AIOXIDE_DIFF_EXAMPLES`` examples (at least ``least``): fixed examples
    in CI, no example database, no deadline (CI machines vary)."""
    return settings(
        max_examples=max(least, int(os.environ.get("AIOXIDE_DIFF_EXAMPLES", "3000")) // share),
        derandomize=os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci",
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )


@table("sqlt_person", Index("city"))
class Person:
    id: Primary[AutoIncrement[int]]
    name: Unique[str]
    city: Optional[str] = None  # noqa: UP045 - aql's annotation style
    score: float = 0.0
    active: bool = True
    born: Optional[dt.date] = None  # noqa: UP045
    seen: Optional[dt.datetime] = None  # noqa: UP045
    bio: Text = ""
    avatar: Optional[bytes] = None  # noqa: UP045


@table("sqlt_note")
@dataclasses.dataclass
class Note:
    note_id: Primary[int]
    person_id: int
    body: str


@table("sqlt_tag")
class Tag(NamedTuple):
    tag: Primary[str]
    weight: int = 1


@table("sqlt_word")
@attr.s(auto_attribs=True, frozen=True)
class Word:
    word: Primary[str]


@table("sqlt_tagmeta")
class TagMeta:
    tag: Primary[str]
    color: str


TABLES = [Person, Note, Tag, Word, TagMeta]


def person(name: str, **fields: Any) -> Any:
    return Person(None, name, **fields)


async def reset(db: Connection, *tables: Any) -> None:
    """Drop and create the tables (quoted the backend's way)."""
    quote = '"' if db.location.engine.startswith("postgres") else "`"
    for t in tables or TABLES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MariaDB warns of a missing table
            await db.execute(raw(f"DROP TABLE IF EXISTS {quote}{t._name}{quote}"))
        await db.execute(t.create())
    await db.commit()


def run(location: Location, body: Callable[[Connection], Awaitable[T]]) -> T:
    async def main() -> T:
        async with connect(location) as db:
            return await body(db)

    return asyncio.run(main())
