"""aioxide.sql's selects on SQLite run in one native call (``DslRun``, set
on the connection as ``_fused``): render, execute, rows built as objects.

The general path (``Result.rows()``: run, driver cursor, fetch, shape) is
the reference. A hypothesis differential runs random selects over random
rows both ways on the same database and compares rows, their classes,
``row_count``, ``last_id``, ``factory`` and exceptions; the other tests
pin the edges (streamed results, row factories, reuse, closed
connections, render errors at ``await``, the ``Table.select`` shortcut).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import aioxide.sql as ox
from aioxide._core import SQLITE_REST_CHUNK, DslRun
from aioxide.sql.engines.sqlite import SqliteConnection
from sql_helpers import differential_profile

PROFILE = differential_profile(20, least=50)


@ox.table("item")
class Item:
    id: ox.Primary[int]
    name: str
    score: float
    flag: bool
    day: dt.date


@ox.table("note")
class Note:
    note_id: int
    item_id: int
    text: str


def general(db: Any) -> None:
    """Makes ``db`` take the general path (the class's ``_fused``: None)."""
    db.__dict__.pop("_fused", None)


def native(db: Any) -> None:
    engine = db.engine
    db._fused = DslRun(engine.DIALECT, engine.CONVERSIONS, ox.mapping.plan_for)


async def outcome(db: Any, query: Any) -> tuple[Any, ...]:
    result = db.execute(query)
    try:
        rows = await result
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))
    return (
        rows,
        [type(r).__name__ for r in rows],
        result.row_count,
        result.last_id,
        result.factory,
        await result,  # a second await: nothing more
    )


ROWS = st.lists(
    st.tuples(
        st.text(max_size=6),
        st.floats(allow_nan=False, width=32),
        st.booleans(),
        st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)),
    ),
    max_size=12,
)
COLUMNS = [Item.id, Item.name, Item.score, Item.flag, Item.day]
VALUES = {
    "id": st.integers(-2, 14),
    "name": st.text(max_size=3),
    "score": st.floats(allow_nan=False, width=32),
    "flag": st.booleans(),
    "day": st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)),
}


@st.composite
def selects(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):
        query = Item.select()
    else:
        picked = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5))
        query = Item.select(*picked)
    for _ in range(draw(st.integers(0, 2))):
        column = draw(st.sampled_from(COLUMNS))
        value = draw(VALUES[column.name])
        op = draw(st.sampled_from(["==", "!=", "<", ">=", "in"]))
        if op == "in":
            clause = column.in_(draw(st.lists(VALUES[column.name], max_size=3)))
        else:
            clause = {
                "==": column == value,
                "!=": column != value,
                "<": column < value,
                ">=": column >= value,
            }[op]
        query.where(clause)
    if draw(st.booleans()):
        query.orderby(draw(st.sampled_from(COLUMNS)), draw(st.sampled_from(list(ox.Order))))
    if draw(st.booleans()):
        query.limit(draw(st.integers(0, 5)))
    return query


@PROFILE
@given(rows=ROWS, queries=st.lists(selects(), min_size=1, max_size=4))
def test_native_selects_match_the_general_path(rows: list[Any], queries: list[Any]) -> None:
    async def main() -> None:
        async with ox.connect("sqlite://:memory:") as db:
            await db.execute(Item.create())
            if rows:
                await db.execute(Item.insert().values(*[(i, *r) for i, r in enumerate(rows)]))
            for query in queries:
                assert "_fused" in vars(db)
                fast = await outcome(db, query)
                general(db)
                slow = await outcome(db, query)
                native(db)
                assert fast == slow, query

    asyncio.run(main())


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def filled(rows: int = 3) -> Any:
    db = ox.connect("sqlite://:memory:")
    await db.connect()
    await db.execute(Item.create())
    await db.execute(Note.create())
    values = [(i, f"n{i}", i / 2, i % 2 == 0, dt.date(2020, 1, 1 + i % 28)) for i in range(rows)]
    await db.execute(Item.insert().values(*values))
    return db


def test_a_result_bigger_than_one_chunk_streams_the_rest() -> None:
    async def main() -> None:
        db = await filled(SQLITE_REST_CHUNK * 2 + 5)
        try:
            rows = await db.execute(Item.select().orderby(Item.id))
            assert [r.id for r in rows] == list(range(SQLITE_REST_CHUNK * 2 + 5))
            assert all(type(r) is Item._source for r in rows)
            assert rows[3].day == dt.date(2020, 1, 4)
            assert rows[2].flag is True
            # The connection is free for the next statement at once.
            assert len(await db.execute(Item.select().where(Item.id < 3))) == 3
        finally:
            await db.close()

    run(main())


def test_a_row_factory_on_the_driver_is_applied_as_on_the_general_path() -> None:
    async def main() -> list[Any]:
        outs = []
        for take_general in (False, True):
            db = await filled()
            try:
                db._live().row_factory = lambda cursor, row: ("wrapped", row.id)
                if take_general:
                    general(db)
                outs.append(await db.execute(Item.select().orderby(Item.id)))
            finally:
                await db.close()
        return outs

    fast, slow = run(main())
    assert fast == slow == [("wrapped", 0), ("wrapped", 1), ("wrapped", 2)]


def test_results_used_after_the_native_run_behave_as_after_the_general_one() -> None:
    async def main() -> None:
        db = await filled()
        try:
            result = db.execute(Item.select(Item.name).where(Item.id > 0))
            assert result.row_count == 0
            assert result.last_id is None
            assert result.factory is None
            rows = await result
            assert [r.name for r in rows] == ["n1", "n2"]
            assert result.factory is type(rows[0])
            assert [r async for r in result] == []
            assert await result.first() is None
            cursor = await result.run()
            assert cursor.row_count == -1
            assert await cursor.fetchall() == []
            with pytest.raises(ox.AqlError, match="already ran"):
                await cursor.execute("SELECT 1")
            # async for from the start takes the general path, as before.
            assert [r.name async for r in db.execute(Item.select(Item.name))] == ["n0", "n1", "n2"]
        finally:
            await db.close()

    run(main())


def test_render_errors_come_at_await_and_leave_the_connection_usable() -> None:
    async def main() -> None:
        db = await filled()
        try:
            # A column of a table that is not in the query.
            result = db.execute(Item.select().where(Note.text == "x"))
            with pytest.raises(ox.errors.UnknownColumn):
                await result
            assert len(await db.execute(Item.select())) == 3
            with pytest.raises(Exception, match="no such table"):
                await db.execute(ox.Table("missing", [ox.Column("a", int)]).select())
            assert len(await db.execute(Item.select())) == 3
        finally:
            await db.close()

    run(main())


def test_a_closed_connection_raises_as_on_the_general_path() -> None:
    async def main() -> None:
        db = await filled()
        await db.close()
        with pytest.raises(ox.errors.NoConnection):
            await db.execute(Item.select())

    run(main())


def test_table_select_is_a_native_shortcut_with_the_methods_behaviour() -> None:
    query = Item.select(Item.name)
    assert type(query) is ox.Query
    assert query._columns == [Item.name]
    assert ox.Table.select(Item)._all_columns
    assert Item.select()._all_columns
    assert not Item.select(*COLUMNS)._all_columns
    with pytest.raises(ox.errors.BuildError):
        Item.select(42)
    # A column named like the method is still reached by subscript.
    weird = ox.Table("t", [ox.Column("select", int)])
    assert weird["select"].name == "select"
    assert weird.select()._columns == [weird["select"]]


def test_a_native_run_cancelled_while_reading_runs_again_whole(tmp_path: Any) -> None:
    # A user function holds the connection thread at row 6,000: by then the
    # first chunk (4,096 rows) is back and the rest is being read, so the
    # cancel lands part way through the run, every time.
    reached, release = threading.Event(), threading.Event()

    def gate(item_id: int) -> int:
        if item_id == 6_000 and not release.is_set():
            reached.set()
            release.wait(10)
        return 1

    async def main() -> None:
        db = ox.connect(f"sqlite://{tmp_path / 'big.db'}")
        await db.connect()
        try:
            await db.execute(Item.create())
            values = [(i, f"n{i}", i / 2, False, dt.date(2020, 1, 1)) for i in range(20_000)]
            await db.execute(Item.insert().values(*values))
            await db.commit()
            await db._live().create_function("gate", 1, gate)
            result = db.execute(Item.select().where(ox.raw("gate(id)")))
            task = asyncio.ensure_future(_await(result))
            loop = asyncio.get_running_loop()
            assert await loop.run_in_executor(None, reached.wait, 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            release.set()
            # Only a run read to the end counts: awaited again, it runs again.
            assert result._ran is None
            again = await result
            assert len(again) == 20_000
            assert [r.id for r in again[:3]] == [0, 1, 2]
            assert again[-1].id == 19_999
            assert len(await db.execute(Item.select().where(Item.id < 5))) == 5
        finally:
            release.set()
            await db.close()

    run(main())


async def _await(result: Any) -> Any:
    return await result


def test_a_connection_or_engine_changing_how_queries_run_keeps_the_general_path() -> None:
    ran: list[str] = []

    class Logged(SqliteConnection, name="logged-sqlite-test", engine=ox.engines.SqliteEngine):
        async def _run(self, sql: str, params: Any, plan: Any) -> Any:
            ran.append(sql)
            return await super()._run(sql, params, plan)

    class Planned(ox.engines.SqliteEngine, name="planned-sqlite-test"):
        def row_plan(self, query: Any) -> Any:
            ran.append("planned")
            return super().row_plan(query)

    class Rendered(ox.engines.SqliteEngine, name="rendered-sqlite-test"):
        def select(self, query: Any) -> Any:
            ran.append("rendered")
            return super().select(query)

    async def main() -> None:
        location = ox.types.Location("sqlite", database=":memory:")
        for db in (
            Logged(ox.engines.SqliteEngine(), location),
            SqliteConnection(Planned(), location),
            SqliteConnection(Rendered(), location),
        ):
            await db.connect()
            try:
                assert "_fused" not in vars(db)
                await db.execute(Item.create())
                assert await db.execute(Item.select()) == []
            finally:
                await db.close()

    try:
        run(main())
    finally:
        # Subclassing registers by name; leave the registries as they were.
        ox.Connection._connectors.pop("logged-sqlite-test", None)
        for name in ("planned-sqlite-test", "rendered-sqlite-test"):
            ox.Engine._engines.pop(name, None)
    assert any(sql.startswith("SELECT") for sql in ran)
    assert "planned" in ran
    assert "rendered" in ran
