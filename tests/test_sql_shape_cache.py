"""The statement-shape cache against rendering from scratch.

A select whose SQL was rendered once is rendered from its shape the next
time: its values are bound, its text looked up. hypothesis draws a shape
(selected columns, a join, nested And/Or/Not of comparisons with every
operator, order, limit, offset, distinct) and two sets of values for it —
ints, floats, strings, bytes, bools, None, dates, lists of any length,
columns — and the second query, rendered after the first filled the cache,
must give exactly what it gives with the cache empty: the same SQL, the
same parameters, or the same error, on every dialect."""

from __future__ import annotations

import datetime as dt
import gc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioxide import _core
from aioxide.sql import And, Column, Join, Not, Or, Order, Table
from aioxide.sql.engines import MysqlEngine, PostgresEngine, SqlEngine, SqliteEngine
from aioxide.sql.types import Comparison, Operator
from sql_helpers import differential_profile

PROFILE = differential_profile(3)

ENGINES = [SqliteEngine(), MysqlEngine(), PostgresEngine(), SqlEngine()]

T = Table("t", [Column(n, object, table_name="t") for n in ("a", "b", "c")])
U = Table("u", [Column(n, object, table_name="u") for n in ("x", "y")])
# A column of the same name whose table is not in the query.
STRAY = Column("a", object, table_name="elsewhere")

OPERATORS = list(Operator)
SCALARS = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.binary(max_size=3),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.lists(SCALARS, max_size=3).map(tuple),
    st.sampled_from([T["b"], U["y"], STRAY]),
)

# A shape: ("cmp", column, operator) leaves under ("and" | "or", [...]) and
# ("not", inner) nodes; every leaf takes one value.
LEAVES = st.tuples(
    st.just("cmp"), st.sampled_from([T["a"], T["c"], U["x"], STRAY]), st.sampled_from(OPERATORS)
)
CLAUSES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["and", "or"]), st.lists(inner, max_size=3)),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=6,
)


def leaves(shape: Any) -> int:
    if shape[0] == "cmp":
        return 1
    if shape[0] == "not":
        return leaves(shape[1])
    return sum(leaves(s) for s in shape[1])


def clause(shape: Any, values: list[Any]) -> Any:
    if shape[0] == "cmp":
        return Comparison(shape[1], shape[2], values.pop())
    if shape[0] == "not":
        return Not(clause(shape[1], values))
    children = [clause(s, values) for s in shape[1]]
    return And(*children) if shape[0] == "and" else Or(*children)


@st.composite
def shapes(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "columns": draw(st.sampled_from([(), (T["a"],), (T["c"], T["a"]), (T["a"], U["x"])])),
        "join": draw(st.sampled_from([None, Join.inner, Join.left])),
        "on": draw(st.lists(CLAUSES, max_size=2)),
        "where": draw(st.lists(CLAUSES, max_size=3)),
        "order": draw(
            st.lists(st.tuples(st.sampled_from([T["a"], T["b"]]), st.sampled_from(Order)))
        ),
        "limit": draw(st.booleans()),
        "offset": draw(st.booleans()),
        "distinct": draw(st.booleans()),
    }


def values_for(shape: dict[str, Any]) -> st.SearchStrategy[list[Any]]:
    n = sum(leaves(c) for c in shape["on"] + shape["where"])
    bounds = st.lists(st.integers(0, 2**40), min_size=2, max_size=2)
    return st.tuples(bounds, st.lists(VALUES, min_size=n, max_size=n)).map(lambda p: p[0] + p[1])


def build(shape: dict[str, Any], values: list[Any]) -> Any:
    values = list(values)
    offset, limit = values.pop(0), values.pop(0)
    query = T.select(*shape["columns"])
    if shape["distinct"]:
        query = query.distinct()
    if shape["join"] is not None:
        query = query.join(U, shape["join"])
        if shape["on"]:
            query = query.on(*(clause(c, values) for c in shape["on"]))
    for group in shape["where"]:
        query = query.where(clause(group, values))
    for column, direction in shape["order"]:
        query = query.orderby(column, direction)
    if shape["limit"]:
        query = query.limit(limit)
    if shape["offset"]:
        query = query.offset(offset)
    return query


def outcome(engine: Any, query: Any) -> tuple[Any, ...]:
    try:
        if callable(query):
            query = query()
        prepared = engine.prepare(query)
    except Exception as exc:  # the error is the outcome compared
        return ("error", type(exc), str(exc))
    return (prepared.sql, list(prepared.parameters), list(prepared.statements))


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal outcomes; parameters compared by type and value (NaN-free)."""
    if a[0] == "error" or b[0] == "error":
        return a == b
    return (
        a[0] == b[0]
        and a[2] == b[2]
        and [(type(p), p) for p in a[1]] == [(type(p), p) for p in b[1]]
    )


@PROFILE
@given(st.data())
def test_a_cached_shape_renders_what_a_fresh_render_gives(data: st.DataObject) -> None:
    shape = data.draw(shapes())
    first = data.draw(values_for(shape))
    second = data.draw(values_for(shape))
    for engine in ENGINES:
        _core.sql_shape_cache_clear()
        fresh = outcome(engine, lambda: build(shape, second))
        _core.sql_shape_cache_clear()
        outcome(engine, lambda: build(shape, first))
        cached = outcome(engine, lambda: build(shape, second))
        assert same(cached, fresh), (engine.name, cached, fresh)
        # And once more, now certainly from the cache when it is cacheable.
        assert same(outcome(engine, lambda: build(shape, second)), fresh)


def test_a_lookup_is_cached_once_and_binds_each_value() -> None:
    _core.sql_shape_cache_clear()
    engine = SqliteEngine()
    for i in range(5):
        prepared = engine.prepare(T.select().where(T["a"] == i))
        assert prepared.sql == "SELECT ALL `t`.`a`, `t`.`b`, `t`.`c` FROM `t` WHERE (`t`.`a` = ?)"
        assert list(prepared.parameters) == [i]
    assert _core.sql_shape_cache_size() == 1
    # == None is another shape (IS NULL), not a value.
    assert engine.prepare(T.select().where(T["a"] == None)).sql.endswith("IS NULL)")  # noqa: E711
    assert _core.sql_shape_cache_size() == 2


def test_in_over_an_iterator_is_rendered_not_used_up() -> None:
    engine = SqliteEngine()
    for _ in range(2):
        prepared = engine.prepare(T.select().where(T["a"].in_(iter([1, 2, 3]))))
        assert prepared.sql.endswith("IN (?,?,?))")
        assert list(prepared.parameters) == [1, 2, 3]


def test_an_entry_keeps_its_tables_so_a_new_table_never_takes_its_sql() -> None:
    # Tables made and dropped in a loop: without the entry holding each, a
    # new one could be allocated where an old one was and be taken for it.
    _core.sql_shape_cache_clear()
    engine = SqliteEngine()
    for i in range(200):
        table = Table(f"t{i}", [Column("a", int, table_name=f"t{i}")])
        assert engine.prepare(table.select().where(table["a"] == 1)).sql.startswith(
            f"SELECT ALL `t{i}`.`a` FROM `t{i}`"
        )
        del table
        gc.collect()


def test_the_cache_is_bounded() -> None:
    _core.sql_shape_cache_clear()
    engine = SqliteEngine()
    tables = [Table(f"b{i}", [Column("a", int, table_name=f"b{i}")]) for i in range(1_100)]
    for table in tables:
        engine.prepare(table.select())
    assert 0 < _core.sql_shape_cache_size() <= 1_024
    assert engine.prepare(tables[-1].select()).sql == "SELECT ALL `b1099`.`a` FROM `b1099`"


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)
def test_errors_are_the_renderers_own_on_every_render(engine: Any) -> None:
    # A column of a table not in the query: the first render and every
    # later one raise the same error (the shape is never cached).
    query = T.select().where(STRAY == 1)
    first = outcome(engine, query)
    assert first[0] == "error"
    assert outcome(engine, T.select().where(STRAY == 2)) == first


def test_sqlite_dates_bind_as_iso_text_from_the_cache() -> None:
    engine = SqliteEngine()
    day = dt.date(2026, 12, 3)
    for _ in range(2):
        prepared = engine.prepare(T.select().where(T["a"] > day))
        assert list(prepared.parameters) == ["2026-12-03"]
