"""Every statement shape of aioxide.sql, executed on SQLite, PostgreSQL and
MariaDB (real servers on loopback, started by the test session)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aioxide.sql import Join, Location, Not, Or, Primary, Text, fn, raw, table
from aioxide.sql.engines.base import Connection
from aioxide.sql.errors import UnsupportedQuery
from sql_helpers import TABLES, Note, Person, Tag, TagMeta, Word, person, reset, run

BACKENDS = ["sqlite", "postgres", "mariadb"]


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Any) -> Location:
    if request.param == "sqlite":
        return Location("sqlite", database=str(tmp_path / "test.db"))
    if request.param == "postgres":
        pg = request.getfixturevalue("postgres")
        return Location(
            "postgresql", host="127.0.0.1", port=pg.port, user="postgres", database="postgres"
        )
    my = request.getfixturevalue("mariadb")
    return Location(
        "mysql",
        host="127.0.0.1",
        port=my.port,
        user=my.user,
        password=my.password,
        database=my.database,
    )


def kind(db: Connection) -> str:
    return {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mariadb"}[db.location.engine]


async def seeded(db: Connection) -> list[Any]:
    await reset(db)
    people = [
        person("Ann", city="Oslo", score=3.5, born=dt.date(1990, 5, 17)),
        person("bob", city="Bergen", score=1.0, active=False),
        person("Cy", city="Oslo", score=2.0, seen=dt.datetime(2024, 1, 2, 3, 4, 5, 678000)),
        person("dee", score=5.0, bio="long\ntext", avatar=b"\x00\xff"),
    ]
    await db.execute(Person.insert().values(*people))
    await db.execute(
        Note.insert().values(Note(1, 1, "first"), Note(2, 1, "second"), Note(3, 3, "third"))
    )
    await db.commit()
    return people


async def names(db: Connection, query: Any) -> list[str]:
    return [row.name for row in await db.execute(query)]


def test_create_insert_select_round_trips_every_type(location: Location) -> None:
    async def body(db: Connection) -> None:
        await seeded(db)
        rows = await db.execute(Person.select().orderby(Person.id))
        assert [p.id for p in rows] == [1, 2, 3, 4]
        ann, bob, cy, dee = rows
        assert isinstance(ann, Person._source)
        assert (ann.name, ann.city, ann.score, ann.active, ann.born) == (
            "Ann",
            "Oslo",
            3.5,
            True,
            dt.date(1990, 5, 17),
        )
        assert bob.active is False
        assert bob.born is None
        assert bob.city == "Bergen"
        assert cy.seen == dt.datetime(2024, 1, 2, 3, 4, 5, 678000)
        assert dee.bio == "long\ntext"
        assert dee.avatar == b"\x00\xff"
        assert dee.city is None
        # create(if_not_exists=True) on an existing table is fine
        await db.execute(Person.create(if_not_exists=True))

    run(location, body)


def test_inserts_from_dataclass_namedtuple_attrs_tuple_and_dict(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        await db.execute(
            Note.insert().values(
                Note(1, 7, "dc"), (2, 7, "tuple"), {"note_id": 3, "person_id": 7, "body": "dict"}
            )
        )
        await db.execute(Tag.insert().values(Tag("a", 2), Tag("b")))
        await db.execute(Word.insert().values(Word("w1"), ("w2",)))
        await db.execute(
            Note.insert(Note.note_id, Note.person_id, Note.body).values((4, 8, "cols"))
        )
        await db.commit()
        assert [n.body for n in await db.execute(Note.select().orderby(Note.note_id))] == [
            "dc",
            "tuple",
            "dict",
            "cols",
        ]
        tags = await db.execute(Tag.select().orderby(Tag.tag))
        assert tags == [Tag("a", 2), Tag("b", 1)]
        assert isinstance(tags[0], tuple)
        words = await db.execute(Word.select().orderby(Word.word))
        assert words == [Word("w1"), Word("w2")]

    run(location, body)


def test_where_operators(location: Location) -> None:
    async def body(db: Connection) -> None:
        await seeded(db)
        q = Person.select
        assert await names(db, q().where(Person.name == "Ann")) == ["Ann"]
        assert await names(db, q().where(Person.name != "Ann").orderby(Person.id)) == [
            "bob",
            "Cy",
            "dee",
        ]
        assert await names(db, q().where(Person.score > 2).orderby(Person.id)) == ["Ann", "dee"]
        assert await names(db, q().where(Person.score >= 2).orderby(Person.id)) == [
            "Ann",
            "Cy",
            "dee",
        ]
        assert await names(db, q().where(Person.score < 2)) == ["bob"]
        assert await names(db, q().where(Person.score <= 2).orderby(Person.id)) == ["bob", "Cy"]
        assert await names(
            db, q().where(Person.name.in_(["Ann", "dee", "zed"])).orderby(Person.id)
        ) == [
            "Ann",
            "dee",
        ]
        assert await names(
            db, q().where(Person.name.not_in(["Ann", "dee"])).orderby(Person.id)
        ) == [
            "bob",
            "Cy",
        ]
        assert await names(db, q().where(Person.name.in_([]))) == []
        assert len(await names(db, q().where(Person.name.not_in([])))) == 4
        assert await names(db, q().where(Person.score.between(1.5, 3.5)).orderby(Person.id)) == [
            "Ann",
            "Cy",
        ]
        assert await names(
            db, q().where(Person.score.not_between(1.5, 3.5)).orderby(Person.id)
        ) == [
            "bob",
            "dee",
        ]
        assert await names(db, q().where(Person.city == None)) == ["dee"]  # noqa: E711
        assert await names(db, q().where(Person.city.is_null())) == ["dee"]
        assert len(await names(db, q().where(Person.city != None))) == 3  # noqa: E711
        assert len(await names(db, q().where(Person.city.is_not_null()))) == 3
        not_oslo = q().where(Not(Person.city == "Oslo"), Person.city.is_not_null())
        assert await names(db, not_oslo) == ["bob"]
        assert await names(db, q().where(~(Person.score > 1)).orderby(Person.id)) == ["bob"]
        either = (Person.name == "Ann") | (Person.name == "bob")
        assert await names(db, q().where(either).orderby(Person.id)) == ["Ann", "bob"]
        both = (Person.city == "Oslo") & (Person.score < 3)
        assert await names(db, q().where(both)) == ["Cy"]
        grouped = (
            q().where(Person.name == "Ann", Person.name == "dee", grouping=Or).orderby(Person.id)
        )
        assert await names(db, grouped) == ["Ann", "dee"]
        # a subquery, and a raw fragment with its own parameter
        sub = Note.select(Note.person_id).where(Note.body.like("%ir%"))
        assert await names(db, q().where(Person.id.in_(sub)).orderby(Person.id)) == ["Ann", "Cy"]
        assert await names(db, q().where(raw("LENGTH(name) > ?", 2)).orderby(Person.id)) == [
            "Ann",
            "bob",
            "dee",
        ]

    run(location, body)


def test_like_is_case_sensitive_and_ilike_is_not_on_every_backend(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        words = ["Apple", "apple", "APPLE", "a_ple", "a%ple", "b*?[x]", "abc"]
        # Not a key column: MariaDB's default collation makes 'Apple' = 'apple'.
        await db.execute(Note.insert().values(*[Note(i, 0, w) for i, w in enumerate(words)]))
        await db.commit()

        async def match(comparison: Any) -> list[str]:
            rows = await db.execute(Note.select(Note.body).where(comparison))
            return sorted(r.body for r in rows)

        assert await match(Note.body.like("apple")) == ["apple"]
        assert await match(Note.body.like("A%")) == ["APPLE", "Apple"]
        assert await match(Note.body.ilike("apple")) == ["APPLE", "Apple", "apple"]
        assert await match(Note.body.ilike("A_PLE")) == sorted(
            ["APPLE", "Apple", "a%ple", "a_ple", "apple"]
        )
        assert await match(Note.body.like(r"a\_ple")) == ["a_ple"]
        assert await match(Note.body.like(r"a\%ple")) == ["a%ple"]
        assert await match(Note.body.like("b*?[x]")) == ["b*?[x]"]
        assert await match(Note.body.like("b%")) == ["b*?[x]"]
        assert await match(Note.body.not_like("a%")) == sorted(["APPLE", "Apple", "b*?[x]"])
        assert await match(Note.body.not_ilike("a%")) == ["b*?[x]"]

    run(location, body)


def test_joins_groupby_having_aggregates_and_aliases(location: Location) -> None:
    async def body(db: Connection) -> None:
        await seeded(db)
        rows = await db.execute(
            Person.select(Person.name, Note.body)
            .join(Note)
            .on(Note.person_id == Person.id)
            .orderby(Note.note_id)
        )
        assert [(r.name, r.body) for r in rows] == [
            ("Ann", "first"),
            ("Ann", "second"),
            ("Cy", "third"),
        ]
        left = await db.execute(
            Person.select(Person.name, Note.note_id)
            .join(Note, Join.left)
            .on(Note.person_id == Person.id)
            .where(Note.note_id == None)  # noqa: E711
            .orderby(Person.id)
        )
        assert [r.name for r in left] == ["bob", "dee"]
        right = await db.execute(
            Note.select(Note.body, Person.name)
            .join(Person, Join.right)
            .on(Note.person_id == Person.id)
            .orderby(Person.id, Note.note_id)
        )
        assert [r.name for r in right] == ["Ann", "Ann", "bob", "Cy", "dee"]
        counts = await db.execute(
            Person.select(Person.city, fn.count().as_("n"), fn.max(Person.score).as_("best"))
            .where(Person.city != None)  # noqa: E711
            .groupby(Person.city)
            .having(fn.count() > 1)
        )
        assert [(r.city, r.n, r.best) for r in counts] == [("Oslo", 2, 3.5)]
        total = await db.execute(
            Person.select(fn.sum(Person.score).as_("total"), fn.count(Person.city))
        )
        assert total[0].total == 11.5
        assert total[0].count_city == 3
        distinct = await db.execute(
            Person.select(Person.city).distinct().where(Person.city == "Oslo")
        )
        assert [r.city for r in distinct] == ["Oslo"]

    run(location, body)


def test_join_on_other_columns_and_using(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        await db.execute(Note.insert().values(Note(1, 10, "x"), Note(2, 20, "y")))
        await db.execute(Tag.insert().values(("x", 5), ("y", 1)))
        await db.execute(TagMeta.insert().values(("x", "red")))
        await db.commit()
        rows = await db.execute(Note.select(Note.note_id).join(Tag).on(Tag.tag == Note.body))
        assert sorted(r.note_id for r in rows) == [1, 2]
        using = await db.execute(
            Tag.select(Tag.tag, Tag.weight, TagMeta.color).join(TagMeta).using(TagMeta.tag)
        )
        assert [(r.tag, r.weight, r.color) for r in using] == [("x", 5, "red")]

    run(location, body)


def test_functions(location: Location) -> None:
    async def body(db: Connection) -> None:
        await seeded(db)
        row = (
            await db.execute(
                Person.select(
                    fn.min(Person.score).as_("low"),
                    fn.avg(Person.score).as_("mean"),
                    fn.sum(Person.score, distinct=True).as_("distinct_sum"),
                    fn.count(Person.city, distinct=True).as_("cities"),
                )
            )
        )[0]
        assert (row.low, row.mean, row.distinct_sum, row.cities) == (1.0, 2.875, 11.5, 2)
        names = await db.execute(
            Person.select(fn.upper(Person.name).as_("up"), fn.lower(Person.name).as_("down")).where(
                Person.name == "Ann"
            )
        )
        assert (names[0].up, names[0].down) == ("ANN", "ann")
        cities = await db.execute(
            Person.select(fn.coalesce(Person.city, "nowhere").as_("city")).orderby(Person.id)
        )
        assert [r.city for r in cities] == ["Oslo", "Bergen", "Oslo", "nowhere"]

    run(location, body)


def test_order_limit_offset_edges(location: Location) -> None:
    async def body(db: Connection) -> None:
        await seeded(db)
        by_score = Person.select(Person.name).orderby(Person.score, "desc")
        assert await names(db, by_score) == ["dee", "Ann", "Cy", "bob"]
        assert await names(db, Person.select().orderby(Person.score.desc()).limit(2)) == [
            "dee",
            "Ann",
        ]
        assert await names(db, Person.select().orderby(Person.id).limit(2, offset=1)) == [
            "bob",
            "Cy",
        ]
        # aql ignored limit(0) and emitted OFFSET without LIMIT
        assert await names(db, Person.select().limit(0)) == []
        assert await names(db, Person.select().orderby(Person.id).offset(3)) == ["dee"]

    run(location, body)


def test_select_all_columns_in_another_order_maps_by_name(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        await db.execute(Tag.insert().values(Tag("x", 9)))
        await db.commit()
        rows = await db.execute(Tag.select(Tag.weight, Tag.tag))
        # aql returned Tag(tag=9, weight='x'): same length counted as "all columns"
        assert (rows[0].weight, rows[0].tag) == (9, "x")
        assert not isinstance(rows[0], Tag._source)

    run(location, body)


def test_update_and_delete_shapes(location: Location) -> None:
    async def body(db: Connection) -> None:
        await seeded(db)
        result = db.execute(Person.update(city="Rome").where(Person.city == "Oslo"))
        await result
        assert result.row_count == 2
        result = db.execute(Person.update(Person.score == 0.5).where(Person.score > 0).limit(1))
        await result
        assert result.row_count == 1
        await db.execute(Person.update(active=True).everything())
        await db.commit()
        assert {p.active for p in await db.execute(Person.select())} == {True}
        assert sorted(p.score for p in await db.execute(Person.select())).count(0.5) == 1
        result = db.execute(Person.delete().where(Person.city == "Rome").limit(1))
        await result
        assert result.row_count == 1
        result = db.execute(Person.delete().where(Person.city == "Rome"))
        await result
        assert result.row_count == 1
        await db.execute(Person.delete().everything())
        await db.commit()
        assert await db.execute(Person.select()) == []

    run(location, body)


def test_returning(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        rows = await db.execute(
            Person.insert().values(person("Ann"), person("bob")).returning(Person.id, Person.name)
        )
        assert sorted((r.id, r.name) for r in rows) == [(1, "Ann"), (2, "bob")]
        gone = await db.execute(Person.delete().where(Person.name == "bob").returning(Person.name))
        assert [r.name for r in gone] == ["bob"]
        update = Person.update(score=9.0).where(Person.id == 1).returning()
        if kind(db) == "mariadb":
            with pytest.raises(UnsupportedQuery, match="UPDATE"):
                await db.execute(update)
        else:
            rows = await db.execute(update)
            assert len(rows) == 1
            assert isinstance(rows[0], Person._source)
            assert rows[0].score == 9.0
        await db.commit()

    run(location, body)


def test_upsert(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        await db.execute(Tag.insert().values(Tag("a", 1), Tag("b", 1)))
        await db.execute(Tag.insert().values(Tag("a", 5), Tag("c", 5)).on_conflict())
        assert await db.execute(Tag.select().orderby(Tag.tag)) == [
            Tag("a", 1),
            Tag("b", 1),
            Tag("c", 5),
        ]
        await db.execute(
            Tag.insert().values(Tag("a", 7), Tag("d", 7)).on_conflict(Tag.tag, update=True)
        )
        assert await db.execute(Tag.select().orderby(Tag.tag)) == [
            Tag("a", 7),
            Tag("b", 1),
            Tag("c", 5),
            Tag("d", 7),
        ]
        await db.execute(Tag.insert().values(Tag("b", 3)).on_conflict(update=[Tag.weight]))
        assert (await db.get(Tag, tag="b")).weight == 3
        await db.commit()

    run(location, body)


def test_raw_statements_use_each_backends_placeholders(location: Location) -> None:
    async def body(db: Connection) -> None:
        await seeded(db)
        q = '"' if kind(db) == "postgres" else "`"
        rows = await db.execute(
            raw(
                f"SELECT name FROM {q}sqlt_person{q} "
                "WHERE score > ? AND name LIKE '%e%' ORDER BY id",
                2,
            )
        )
        assert rows == [("dee",)]
        rows = await db.execute(
            raw(
                "SELECT ? || 'literal ?'"
                if kind(db) != "mariadb"
                else "SELECT CONCAT(?, 'literal ?')",
                "x",
            )
        )
        assert rows == [("xliteral ?",)]

    run(location, body)


def test_transactions_commit_roll_back_and_nest(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        async with db.transaction():
            await db.execute(Word.insert().values(("kept",)))

        async def failing(word: str) -> None:
            async with db.transaction():
                await db.execute(Word.insert().values((word,)))
                raise RuntimeError(f"{word} fails")

        with pytest.raises(RuntimeError, match="dropped fails"):
            await failing("dropped")
        async with db.transaction():
            await db.execute(Word.insert().values(("outer",)))
            with pytest.raises(RuntimeError, match="inner fails"):
                await failing("inner")
        assert sorted(w.word for w in await db.execute(Word.select())) == ["kept", "outer"]

    run(location, body)
    # a fresh connection sees what was committed
    assert sorted(w.word for w in run(location, lambda db: db.execute(Word.select()))) == [
        "kept",
        "outer",
    ]


def test_uncommitted_work_is_not_kept(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        await db.execute(Word.insert().values(("pending",)))

    run(location, body)
    assert run(location, lambda db: db.execute(Word.select())) == []


def test_object_helpers(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        assert await db.insert(Note(1, 1, "a"), Note(2, 1, "b"), Tag("t", 3)) == 3
        note = await db.get(Note, note_id=2)
        assert note == Note._source(2, 1, "b")
        assert await db.get(Note, Note.body == "zzz") is None
        note.body = "changed"
        assert await db.update(note) == 1
        assert (await db.get(Note, note_id=2)).body == "changed"
        assert await db.delete(note) == 1
        assert await db.get(Note, note_id=2) is None
        await db.commit()

    run(location, body)


def test_async_for_streams_typed_rows(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        await db.execute(Note.insert().values(*[Note(i, i % 3, f"n{i}") for i in range(1200)]))
        await db.commit()
        seen = [n.note_id async for n in db.execute(Note.select().orderby(Note.note_id))]
        assert seen == list(range(1200))
        first = await db.execute(Note.select().orderby(Note.note_id)).first()
        assert first == Note._source(0, 0, "n0")

    run(location, body)


def test_cursor_last_id_and_row_count(location: Location) -> None:
    async def body(db: Connection) -> None:
        await reset(db)
        result = db.execute(Person.insert().values(person("a")))
        await result
        assert result.row_count == 1
        if kind(db) == "postgres":
            assert result.last_id is None  # PostgreSQL reports none: use returning()
        else:
            assert result.last_id == 1  # aql raised TypeError here
        cursor = await db.cursor()
        assert cursor.row_count in (-1, 0)
        await db.commit()

    run(location, body)


def test_quoting_odd_identifiers_and_injection(location: Location) -> None:
    from aioxide.sql import Column, Table

    odd = Table('we`ird "t', [Column('c`ol "x', str), Column("select", int), Column("100%", int)])

    async def body(db: Connection) -> None:
        q = '"' if kind(db) == "postgres" else "`"
        name = odd._name.replace(q, q + q)
        await db.execute(raw(f"DROP TABLE IF EXISTS {q}{name}{q}"))
        await db.execute(odd.create())
        evil = "x'); DROP TABLE sqlt_person; --"
        await db.execute(odd.insert().values((evil, 1, 2)))
        await db.commit()
        rows = await db.execute(odd.select().where(odd['c`ol "x'] == evil, odd["select"] == 1))
        assert [tuple(attr_values(r)) for r in rows] == [(evil, 1, 2)]
        # the column named "select" did not hide the builder method
        assert callable(odd.select)
        await db.execute(raw(f"DROP TABLE {q}{name}{q}"))
        await db.commit()

    run(location, body)


def attr_values(row: Any) -> list[Any]:
    import attr

    return list(attr.astuple(row))


def test_every_table_of_the_helpers_is_exercised() -> None:
    assert {t._name for t in TABLES} == {
        "sqlt_person",
        "sqlt_note",
        "sqlt_tag",
        "sqlt_word",
        "sqlt_tagmeta",
    }


def test_large_insert_is_sent_in_parts(location: Location) -> None:
    """More values than one statement can bind (SQLite 32,766, PostgreSQL
    32,767): the insert goes out in parts, counted and returned as one."""

    async def body(db: Connection) -> None:
        await reset(db)
        notes = [Note(i, i % 7, f"n{i}") for i in range(25_000)]  # 75,000 values
        result = db.execute(Note.insert().values(*notes))
        await result
        assert result.row_count == 25_000
        if kind(db) != "mariadb":
            more = [Note(i, 0, "x") for i in range(25_000, 36_000)]
            returned = await db.execute(Note.insert().values(*more).returning(Note.note_id))
            assert [r.note_id for r in returned] == list(range(25_000, 36_000))
        await db.commit()
        counted = await db.execute(Note.select(fn.count().as_("n")))
        assert counted[0].n == (25_000 if kind(db) == "mariadb" else 36_000)

    run(location, body)


def test_the_docs_example_runs_on_each_backend(location: Location) -> None:
    import asyncio
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "sql_contacts.py"
    spec = importlib.util.spec_from_file_location("sql_contacts", path)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = example  # @table resolves the annotations through it
    spec.loader.exec_module(example)

    async def drop(db: Connection) -> None:
        await reset(db, example.Contact)  # drops and creates: the example starts empty

    run(location, drop)
    loc = location
    if loc.engine == "sqlite":
        uri = f"sqlite://{loc.database}"
    elif loc.engine == "postgresql":
        uri = f"postgresql://{loc.user}@{loc.host}:{loc.port}/{loc.database}"
    else:
        uri = f"mysql://{loc.user}:{loc.password}@{loc.host}:{loc.port}/{loc.database}"
    lines = asyncio.run(example.main(uri))
    assert lines[:2] == ["Ann <ann@example.com> Oslo", "Cy <cy@example.com> Oslo"]
    assert lines[2].startswith("Oslo: 2 contacts, mean score 2.75")
    assert lines[3] == "Bob moved to Bergen"


def test_table_level_constraints(location: Location) -> None:
    """A composite primary key, a named unique constraint and a two-column
    index are created on each backend, and enforced."""
    import sqlite3

    import asyncpg
    import pymysql

    from aioxide.sql import Index, Primary, Unique, table

    @table(
        "sqlt_edge",
        Primary("src", "dst"),
        Unique("label", name="edge_label"),
        Index("dst", "weight"),
    )
    class Edge:
        src: int
        dst: int
        label: str
        weight: float = 1.0

    duplicate = (sqlite3.IntegrityError, asyncpg.UniqueViolationError, pymysql.err.IntegrityError)

    async def body(db: Connection) -> None:
        await reset(db, Edge)
        await db.execute(Edge.insert().values(Edge(1, 2, "a"), Edge(2, 1, "b")))
        await db.commit()
        with pytest.raises(duplicate):
            await db.execute(Edge.insert().values(Edge(1, 2, "c")))
        await db.rollback()
        with pytest.raises(duplicate):
            await db.execute(Edge.insert(Edge.src, Edge.dst, Edge.label).values((3, 4, "a")))
        await db.rollback()
        rows = await db.execute(
            Edge.select(Edge.label, raw("? + 1", 41).as_("answer")).orderby(Edge.label)
        )
        assert [(r.label, r.answer) for r in rows] == [("a", 42), ("b", 42)]

    run(location, body)


def test_tasks_sharing_a_connection_take_turns(location: Location) -> None:
    """asyncpg and aiomysql connections run one operation at a time: many
    tasks on one connection all get their own, right answers."""

    async def body(db: Connection) -> None:
        import asyncio

        await reset(db)
        await db.execute(Note.insert().values(*[Note(i, i, f"n{i}") for i in range(100)]))
        await db.commit()

        async def lookup(i: int) -> str:
            rows = await db.execute(Note.select().where(Note.note_id == i))
            return str(rows[0].body)

        async def write(i: int) -> None:
            await db.execute(Note.update(body=f"w{i}").where(Note.note_id == i))

        found = await asyncio.gather(
            *(lookup(i) for i in range(100)), *(write(i) for i in range(0, 100, 10))
        )
        assert all(body in (f"n{i}", f"w{i}") for i, body in enumerate(found[:100]))
        await db.commit()
        rows = await db.execute(Note.select().where(Note.body.like("w%")))
        assert sorted(r.note_id for r in rows) == list(range(0, 100, 10))

    run(location, body)


def test_a_changed_table_does_not_break_cached_statements(location: Location) -> None:
    """PostgreSQL statements are prepared once per connection; after the
    table changes shape the same query is prepared again, not failed."""

    async def body(db: Connection) -> list[Any]:
        q = '"' if kind(db) == "postgres" else "`"
        await db.execute(raw(f"DROP TABLE IF EXISTS {q}sqlt_shape{q}"))
        await db.execute(raw(f"CREATE TABLE {q}sqlt_shape{q} (a INTEGER)"))
        await db.execute(raw(f"INSERT INTO {q}sqlt_shape{q} (a) VALUES (1)"))
        first = await db.execute(raw(f"SELECT * FROM {q}sqlt_shape{q}"))
        await db.execute(raw(f"DROP TABLE {q}sqlt_shape{q}"))
        await db.execute(raw(f"CREATE TABLE {q}sqlt_shape{q} (a INTEGER, b VARCHAR(10))"))
        await db.execute(raw(f"INSERT INTO {q}sqlt_shape{q} (a, b) VALUES (2, 'x')"))
        second = await db.execute(raw(f"SELECT * FROM {q}sqlt_shape{q}"))
        await db.execute(raw(f"DROP TABLE {q}sqlt_shape{q}"))
        await db.commit()
        return [first, second]

    assert run(location, body) == [[(1,)], [(2, "x")]]


def test_defaults_of_every_type_round_trip(location: Location) -> None:
    """DDL defaults are literals (no parameters in CREATE TABLE): quotes,
    backslashes (escapes on MySQL), bytes, dates and booleans survive."""

    @table("sqlt_defaults")
    class Defaults:
        id: Primary[int]
        text: str = "it's a \\ back'slash %s"
        long: Text = "line\\nnot a newline"
        data: bytes = b"\x00\xff'"
        day: dt.date = dt.date(2024, 2, 29)
        at: dt.datetime = dt.datetime(2024, 2, 29, 12, 30, 1)
        flag: bool = False
        ratio: float = 0.25
        count: int = -7

    async def body(db: Connection) -> Any:
        await reset(db, Defaults)
        await db.execute(Defaults.insert(Defaults.id).values((1,)))
        await db.commit()
        return (await db.execute(Defaults.select()))[0]

    assert run(location, body) == Defaults(1)
