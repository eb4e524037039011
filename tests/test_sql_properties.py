"""The SQL renderer on random query trees, for every dialect.

hypothesis builds tables with odd names (quotes, backticks, spaces, ``%``,
keywords, non-ASCII) and random conditions (comparisons, IN, LIKE, BETWEEN,
IS NULL, nested And/Or/Not) inside selects, updates and deletes. For every
dialect the renderer must not fail or panic, every identifier must appear
quoted (its quote characters doubled), and placeholders must match the
parameters. For SQLite the statement must also be accepted by SQLite
itself: ``EXPLAIN`` prepares it against a table made by the same module."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioxide.sql import And, Column, Not, Or, Table
from aioxide.sql.engines import MysqlEngine, PostgresEngine, SqlEngine, SqliteEngine

EXAMPLES = int(os.environ.get("AIOXIDE_DIFF_EXAMPLES", "3000")) // 3
PROFILE = settings(
    max_examples=EXAMPLES,
    derandomize=os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

ENGINES = {"sqlite": SqliteEngine(), "mysql": MysqlEngine(), "postgres": PostgresEngine()}
QUOTES = {"sqlite": "`", "mysql": "`", "postgres": '"'}

NAMES = st.one_of(
    st.sampled_from(["id", "select", "we`ird", 'dou"ble', "with space", "100%", "ünï", "from"]),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\x00"),
        min_size=1,
        max_size=8,
    ),
)


@st.composite
def tables(draw: st.DrawFn) -> Table:
    names = draw(st.lists(NAMES, min_size=2, max_size=4, unique_by=str.lower))
    return Table(draw(NAMES), [Column(name, int if i % 2 else str) for i, name in enumerate(names)])


def conditions(table: Table) -> st.SearchStrategy[Any]:
    columns = [table[c.name] for c in table._columns]

    @st.composite
    def leaf(draw: st.DrawFn) -> Any:
        index = draw(st.integers(0, len(columns) - 1))
        column = columns[index]
        if index % 2 == 0:  # a str column (see tables())
            text = draw(st.one_of(st.none(), st.text(max_size=6)))
            kind = draw(st.integers(0, 3))
            if kind == 0:
                return column == text
            if kind == 1:
                return column != draw(st.text(max_size=6))
            if kind == 2:
                return column.like(draw(st.text(max_size=5)))
            return column.in_(draw(st.lists(st.text(max_size=3), min_size=1, max_size=3)))
        number = st.integers(-(2**63), 2**63 - 1)
        kind = draw(st.integers(0, 4))
        if kind == 0:
            return column == draw(st.one_of(st.none(), number))
        if kind == 1:
            return column > draw(number)
        if kind == 2:
            return column.in_(draw(st.lists(st.integers(-5, 5), min_size=1, max_size=4)))
        if kind == 3:
            return column.between(draw(st.integers(-9, 0)), draw(st.integers(0, 9)))
        return column <= draw(number)

    return st.recursive(
        leaf(),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda cs: And(*cs)),
            st.lists(inner, min_size=1, max_size=3).map(lambda cs: Or(*cs)),
            inner.map(Not),
        ),
        max_leaves=12,
    )


@st.composite
def queries(draw: st.DrawFn) -> tuple[Table, Any]:
    table = draw(tables())
    where = draw(conditions(table))
    first = table[table._columns[0].name]
    kind = draw(st.sampled_from(["select", "update", "delete"]))
    if kind == "select":
        query = table.select().where(where).orderby(first).limit(draw(st.integers(0, 10)))
    elif kind == "update":
        query = table.update(first == draw(st.text(max_size=4))).where(where)
    else:
        query = table.delete().where(where)
    return table, query


def quoted(name: str, dialect: str) -> str:
    quote = QUOTES[dialect]
    text = name.replace(quote, quote + quote)
    if dialect == "mysql":  # the driver formats the statement: % doubled
        text = text.replace("%", "%%")
    return quote + text + quote


@PROFILE
@given(queries())
def test_every_dialect_renders_random_trees_quoted_and_sqlite_accepts_them(
    case: tuple[Table, Any],
) -> None:
    table, query = case
    for dialect, engine in ENGINES.items():
        prepared = engine.prepare(query)
        sql, params = prepared.sql, list(prepared.parameters)
        assert quoted(table._name, dialect) in sql
        # Every identifier is quoted whole: with the quoted names taken out
        # (longest first), no quote character is left (values are bound as
        # parameters, never written into the text).
        rest = sql
        names = sorted({table._name, *(c.name for c in table._columns)}, key=len, reverse=True)
        for name in names:
            rest = rest.replace(quoted(name, dialect), "")
        assert QUOTES[dialect] not in rest, (dialect, sql)
        placeholders = {"sqlite": sql.count("?"), "mysql": sql.count("%s")}
        if dialect in placeholders:
            # Quoted names may hold ? or %s themselves; never fewer.
            assert placeholders[dialect] >= len(params)
        else:
            assert all(f"${i}" in sql for i in range(1, len(params) + 1))
    # SQLite itself accepts the statement, against a table made the same way.
    db = sqlite3.connect(":memory:")
    try:
        create = ENGINES["sqlite"].prepare(table.create())
        db.execute(create.sql, list(create.parameters))
        prepared = ENGINES["sqlite"].prepare(query)
        db.execute("EXPLAIN " + prepared.sql, list(prepared.parameters)).fetchall()
    finally:
        db.close()


def test_the_generic_dialect_renders_too() -> None:
    table = Table("t", [Column("a", int)])
    prepared = SqlEngine().prepare(table.select().where(Not(Or(table["a"] == 1, table["a"] > 2))))
    assert "NOT" in prepared.sql
