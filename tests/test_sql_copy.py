"""Copying, pickling and the private parts of a query, side by side with aql.

aql's query tree is plain Python objects: ``copy.copy`` shares a query's
lists, ``copy.deepcopy`` copies everything (the table too), ``pickle``
works on a table built by hand, and a client that appends to ``q._where``
changes the query. aioxide's tree is native, so each of these is built
(``crates/sql/src/tree/state.rs``); a hypothesis differential runs random
builder calls, copies and private appends on both libraries and compares
every live query's parts, and whether each call raised.
"""

from __future__ import annotations

import contextlib
import copy
import pickle
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import aql
import pytest
from aql import types as aql_types
from aql.column import Column as AqlColumn
from aql.errors import AqlError as AqlsError
from aql.table import Table as AqlTable
from hypothesis import given
from hypothesis import strategies as st

import aioxide.sql as ox
from aioxide import compat
from aioxide.sql import Column, Table
from aioxide.sql import types as ox_types
from aioxide.sql.column import NO_DEFAULT
from aioxide.sql.engines import SqliteEngine
from aioxide.sql.errors import AqlError
from sql_helpers import differential_profile

PROFILE = differential_profile(3)

# Imported before any test installs the compat shim: the real aql.
assert aql is not ox, "aql must be the original package here"


@contextlib.contextmanager
def original_aql() -> Iterator[None]:
    """The real aql's modules in ``sys.modules`` (pickle finds its classes
    there): the upstream suite, collected after this module, aliases aql to
    aioxide.sql for the session; ``uninstall`` puts the originals back."""
    aliased = "aql" in compat.installed()
    if aliased:
        compat.uninstall("aql")
    try:
        assert sys.modules[AqlTable.__module__].Table is AqlTable
        yield
    finally:
        if aliased:
            compat.install("aql")


@dataclass
class Lib:
    """One library's names, so one script runs on either."""

    name: str
    table: Callable[..., Any]
    column: Callable[..., Any]
    order: Any
    join: Any
    error: type[Exception]
    and_: Any
    or_: Any
    comparison: type[Any]


AQL = Lib(
    "aql",
    AqlTable,
    AqlColumn,
    aql_types.Order,
    aql_types.Join,
    AqlsError,
    aql_types.And,
    aql_types.Or,
    aql_types.Comparison,
)
OX = Lib("aioxide", Table, Column, ox.Order, ox.Join, AqlError, ox.And, ox.Or, ox.Comparison)

INT_COLUMNS = ("id", "age")
STR_COLUMNS = ("name",)


def tables(lib: Lib) -> tuple[Any, Any]:
    """Two tables built by hand (pickle needs no decorated class)."""

    def make(name: str) -> Any:
        return lib.table(
            name,
            [
                lib.column("id", int, table_name=name),
                lib.column("name", str, table_name=name),
                lib.column("age", int, table_name=name),
            ],
        )

    return make("person"), make("pet")


def norm(x: Any) -> Any:
    """A query part as plain data, the same for both libraries."""
    if isinstance(x, (AqlColumn, Column)):
        return ("col", x.table_name, x.name)
    if isinstance(x, (aql_types.Comparison, ox.Comparison)):
        return ("cmp", norm(x.column), x.operator.name, norm(x.value))
    if isinstance(x, (aql_types.And, ox.And)):
        return ("and", norm(x.clauses))
    if isinstance(x, (aql_types.Or, ox.Or)):
        return ("or", norm(x.clauses))
    if isinstance(x, (aql_types.TableJoin, ox_types.TableJoin)):
        return ("join", x.table._name, x.style.name, norm(x.on), norm(x.using))
    if isinstance(x, (AqlTable, Table)):
        return ("table", x._name)
    if isinstance(x, Enum):
        return x.name
    if isinstance(x, (list, tuple)):
        return tuple(norm(i) for i in x)
    if isinstance(x, dict):
        return tuple(sorted((repr(norm(k)), norm(v)) for k, v in x.items()))
    return x


def parts(q: Any) -> dict[str, Any]:
    return {
        name: norm(getattr(q, name))
        for name in (
            "table",
            "_action",
            "_selector",
            "_columns",
            "_updates",
            "_joins",
            "_groupby",
            "_having",
            "_where",
            "_order",
            "_limit",
            "_offset",
            "_everything",
        )
    }


# A step: (kind, target query index, arguments). Arguments name columns by
# name and values by plain data, so both libraries get the same call.
COMPARE = st.tuples(
    st.sampled_from(INT_COLUMNS + STR_COLUMNS),
    st.sampled_from(["eq", "ne", "gt", "le", "in_", "like"]),
    st.integers(-3, 3),
)

STEPS = st.one_of(
    st.tuples(st.just("where"), st.integers(0, 3), st.lists(COMPARE, min_size=1, max_size=3)),
    st.tuples(st.just("where_or"), st.integers(0, 3), st.lists(COMPARE, min_size=1, max_size=2)),
    st.tuples(
        st.just("orderby"),
        st.integers(0, 3),
        st.tuples(st.sampled_from(INT_COLUMNS + STR_COLUMNS), st.sampled_from(["", "asc", "desc"])),
    ),
    st.tuples(st.just("limit"), st.integers(0, 3), st.integers(0, 9)),
    st.tuples(st.just("offset"), st.integers(0, 3), st.integers(0, 9)),
    st.tuples(st.just("groupby"), st.integers(0, 3), st.sampled_from(INT_COLUMNS)),
    st.tuples(st.just("having"), st.integers(0, 3), COMPARE),
    st.tuples(st.just("distinct"), st.integers(0, 3), st.none()),
    st.tuples(st.just("everything"), st.integers(0, 3), st.none()),
    st.tuples(st.just("join"), st.integers(0, 3), st.sampled_from(["inner", "left"])),
    st.tuples(st.just("on"), st.integers(0, 3), st.sampled_from(INT_COLUMNS)),
    st.tuples(st.just("copy"), st.integers(0, 3), st.sampled_from(["copy", "deepcopy", "pickle"])),
    st.tuples(
        st.just("append"),
        st.integers(0, 3),
        st.tuples(st.sampled_from(["_where", "_order", "_columns", "_having"]), COMPARE),
    ),
)

STARTS = st.sampled_from(["select", "select_some", "update", "delete"])


def comparison(lib: Lib, table: Any, spec: tuple[str, str, int]) -> Any:
    name, op, n = spec
    column = table[name]
    value: Any = n if name in INT_COLUMNS else f"v{n}"
    if op == "in_":
        return column.in_([value])
    if op == "like":
        return column.like(f"{value}%") if name in STR_COLUMNS else column == value
    return {
        "eq": column.__eq__,
        "ne": column.__ne__,
        "gt": column.__gt__,
        "le": column.__le__,
    }[op](value)


def run_script(lib: Lib, start: str, steps: list[Any]) -> tuple[list[Any], list[bool]]:
    """The live queries after the steps, and whether each step raised."""
    person, pet = tables(lib)
    if start == "select":
        first = person.select()
    elif start == "select_some":
        first = person.select(person["name"], person["id"])
    elif start == "update":
        first = person.update(person["name"] == "x")
    else:
        first = person.delete()
    live = [first]
    raised = []
    for kind, index, arg in steps:
        q = live[index % len(live)]
        table = q.table
        try:
            if kind == "where":
                q.where(*(comparison(lib, table, c) for c in arg))
            elif kind == "where_or":
                q.where(
                    *(comparison(lib, table, c) for c in arg),
                    grouping=(aql_types.Boolean if lib is AQL else ox.Boolean).or_,
                )
            elif kind == "orderby":
                name, direction = arg
                if direction:
                    q.orderby(table[name], lib.order(direction))
                else:
                    q.orderby(table[name])
            elif kind == "limit":
                q.limit(arg)
            elif kind == "offset":
                q.offset(arg)
            elif kind == "groupby":
                q.groupby(table[arg])
            elif kind == "having":
                q.having(comparison(lib, table, arg))
            elif kind == "distinct":
                q.distinct()
            elif kind == "everything":
                q.everything()
            elif kind == "join":
                q.join(pet, getattr(lib.join, arg))
            elif kind == "on":
                if not q._joins:
                    raised.append(False)
                    continue
                q.on(pet[arg] == table[arg])
            elif kind == "copy":
                if arg == "copy":
                    live.append(copy.copy(q))
                elif arg == "deepcopy":
                    live.append(copy.deepcopy(q))
                else:
                    live.append(pickle.loads(pickle.dumps(q)))
            elif kind == "append":
                part, spec = arg
                item: Any = comparison(lib, table, spec)
                if part == "_order":
                    item = (item.column, lib.order.desc)
                elif part == "_columns":
                    item = item.column
                elif part in ("_where", "_having"):
                    item = lib.and_(item)
                getattr(q, part).append(item)
            raised.append(False)
        except lib.error:
            raised.append(True)
    return live, raised


@PROFILE
@given(STARTS, st.lists(STEPS, max_size=12))
def test_builder_copies_and_private_parts_match_aql(start: str, steps: list[Any]) -> None:
    with original_aql():
        theirs, their_raised = run_script(AQL, start, steps)
    ours, our_raised = run_script(OX, start, steps)
    assert our_raised == their_raised
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs, strict=True):
        assert parts(mine) == parts(reference)


@PROFILE
@given(STARTS, st.lists(STEPS, max_size=10))
def test_a_copied_query_renders_as_the_original(start: str, steps: list[Any]) -> None:
    ours, _ = run_script(OX, start, steps)
    engine = SqliteEngine()
    for q in ours:
        try:
            expected = engine.prepare(q)
        except AqlError:
            continue  # not a complete query (a delete without where ...)
        for copied in (copy.copy(q), copy.deepcopy(q), pickle.loads(pickle.dumps(q))):
            again = engine.prepare(copied)
            assert (again.sql, list(again.parameters)) == (expected.sql, list(expected.parameters))


@original_aql()
def test_shallow_copy_shares_the_lists_as_aql_does() -> None:
    for lib in (AQL, OX):
        person, _ = tables(lib)
        base = person.select()
        branch = copy.copy(base)
        branch.where(person["id"] == 1)
        assert len(base._where) == 1, lib.name
        deep = copy.deepcopy(base)
        deep.where(person["id"] == 2)
        assert len(base._where) == 1, lib.name
        assert len(deep._where) == 2, lib.name


def test_a_deep_copy_brings_its_own_table_and_keeps_its_columns_its_tables() -> None:
    person, _ = tables(OX)
    q = person.select().where(person["age"] > 3)
    deep = copy.deepcopy(q)
    assert deep.table is not person
    assert deep._columns[0] is deep.table["id"]
    assert deep._where[0].clauses[0].column is deep.table["age"]
    assert deep.table.select is not person.select
    rendered = SqliteEngine().prepare(deep.table.select().where(deep.table["id"] == 5))
    assert rendered.parameters == [5]


def test_every_private_list_is_kept_when_first_read() -> None:
    person, _ = tables(OX)
    delete = person.delete()
    delete._where.append(ox.And(person["id"] == 7))
    prepared = SqliteEngine().prepare(delete)
    assert "WHERE" in prepared.sql
    assert prepared.parameters == [7]
    q = person.select()
    for name in ("_columns", "_rows", "_joins", "_groupby", "_having", "_where", "_order"):
        assert getattr(q, name) is getattr(q, name), name
    assert q._updates is q._updates
    insert = person.insert()
    insert._rows.append((1, "a", 2))
    assert SqliteEngine().prepare(insert).parameters == [1, "a", 2]
    update = person.update(person["name"] == "a").where(person["id"] == 1)
    update._updates[person["age"]] = 9
    assert SqliteEngine().prepare(update).parameters == ["a", 9, 1]


def test_columns_comparisons_and_groups_pickle_and_copy() -> None:
    person, _ = tables(OX)
    column = person["name"]
    pickled = [pickle.loads(pickle.dumps(column, p)) for p in range(pickle.HIGHEST_PROTOCOL + 1)]
    for remade in (copy.copy(column), copy.deepcopy(column), *pickled):
        assert type(remade) is Column
        assert (remade.name, remade.table_name, remade.ctype) == ("name", "person", str)
        assert remade._kind == column._kind
        assert remade._accepts == column._accepts
        assert remade.default is NO_DEFAULT
        with pytest.raises(ox.errors.InvalidValue):
            _ = remade == 3  # still typed: a str column refuses an int
    clause = ox.Not(ox.Or(person["id"] == 1, ox.And(person["age"].in_([1, 2]))))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(clause, protocol))
        assert norm(again.clause) == norm(clause.clause)
    given_op = ox.Comparison(person["id"], ox.Operator.gt, 1)
    assert copy.copy(given_op).operator is ox.Operator.gt
    assert copy.copy(given_op).column is given_op.column
    built = person["id"] <= 4
    assert norm(copy.deepcopy(built)) == norm(built)
    join = ox_types.TableJoin(person, ox.Join.left, [person["id"] == 1], [])
    assert norm(pickle.loads(pickle.dumps(join))) == norm(join)


def test_function_and_alias_operands_copy() -> None:
    person, _ = tables(OX)
    count = ox.fn.count(person["id"])
    query = person.select(person["name"], count).groupby(person["name"])
    expected = SqliteEngine().prepare(query)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(count, protocol))
        assert (again.name, again.distinct) == (count.name, count.distinct)
        assert norm(again.args) == norm(count.args)
        remade = pickle.loads(pickle.dumps(query, protocol))
        assert SqliteEngine().prepare(remade).sql == expected.sql
    assert SqliteEngine().prepare(copy.deepcopy(query)).sql == expected.sql


def test_a_bad_state_raises_and_leaves_the_object_as_it_was() -> None:
    person, _ = tables(OX)
    q = person.select().where(person["id"] == 1).limit(3)
    state = q.__getstate__()
    before = parts(q)
    bad_states: list[tuple[Any, type[Exception], str]] = [
        ([], TypeError, "must be a dict"),
        ({k: v for k, v in state.items() if k != "_where"}, ValueError, "'_where'"),
        ({**state, "_where": ("not", "a list")}, TypeError, "'_where' must be a list"),
        ({**state, "_action": 99}, ValueError, "no code 99"),
        ({**state, "_limit": -1}, TypeError, "'_limit'"),
        ({**state, "_limit": True}, TypeError, "'_limit'"),
        ({**state, "_updates": []}, TypeError, "'_updates' must be a dict"),
        ({**state, "_distinct": "yes"}, TypeError, "'_distinct' must be a bool"),
        ({**state, "extra": 1}, ValueError, "extra"),
    ]
    for bad, error, words in bad_states:
        with pytest.raises(error, match=words):
            q.__setstate__(bad)
        assert parts(q) == before
    column = person["id"]
    column_state = column.__getstate__()
    for bad, error, words in [
        ({**column_state, "name": 5}, TypeError, "'name' must be a str"),
        ({**column_state, "_kind": 200}, ValueError, "no code 200"),
        ({**column_state, "_accepts": [int]}, TypeError, "'_accepts'"),
    ]:
        with pytest.raises(error, match=words):
            column.__setstate__(bad)
        assert (column.name, column._kind) == ("id", person["age"]._kind)
    assert SqliteEngine().prepare(q).parameters == [1, 3]


def test_a_subclass_keeps_its_own_attributes_through_a_copy() -> None:
    class Tagged(Column):
        pass  # no __slots__: instances have a __dict__

    tagged = Tagged("x", int, table_name="t")
    tagged.note = "kept"
    deep = copy.deepcopy(tagged)
    assert type(deep) is Tagged
    assert deep.note == "kept"
    assert deep.name == "x"


def test_no_default_is_one_object_through_copy_and_pickle() -> None:
    assert copy.copy(NO_DEFAULT) is NO_DEFAULT
    assert copy.deepcopy(NO_DEFAULT) is NO_DEFAULT
    assert pickle.loads(pickle.dumps(NO_DEFAULT)) is NO_DEFAULT
    person, _ = tables(OX)
    create = SqliteEngine().prepare(copy.deepcopy(person).create())
    assert create.sql == SqliteEngine().prepare(person.create()).sql
    assert "DEFAULT" not in create.sql
