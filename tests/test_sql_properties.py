"""The SQL renderer on random query trees, for every dialect.

hypothesis builds tables with odd names (quotes, backticks, spaces, ``%``,
keywords, non-ASCII) and random conditions (comparisons, IN, LIKE, BETWEEN,
IS NULL, nested And/Or/Not) inside selects, updates and deletes. For every
dialect the renderer must not fail or panic, every identifier must appear
quoted (its quote characters doubled), and placeholders must match the
parameters. For SQLite the statement must also be accepted by SQLite
itself: ``EXPLAIN`` prepares it against a table made by the same module."""

from __future__ import annotations

import sqlite3
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aioxide.sql import And, Column, Index, Join, Not, Or, Table, Unique, fn
from aioxide.sql.engines import MysqlEngine, PostgresEngine, SqlEngine, SqliteEngine
from sql_helpers import differential_profile

PROFILE = differential_profile(3)

ENGINES = {"sqlite": SqliteEngine(), "mysql": MysqlEngine(), "postgres": PostgresEngine()}
QUOTES = {"sqlite": "`", "mysql": "`", "postgres": '"'}

NAMES = st.one_of(
    st.sampled_from(["id", "select", "we`ird", 'dou"ble', "with space", "100%", "ünï", "from"]),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="\x00"),
        min_size=1,
        max_size=8,
    ),
).filter(lambda name: not name.lower().startswith("sqlite_"))  # SQLite reserves these


@st.composite
def tables(draw: st.DrawFn, qualified: bool | None = None) -> Table:
    """A table with 2-4 columns (str, int, str, ...) and maybe indexes. Its
    columns name their table (``"t"."c"`` in SQL, as ``@table`` classes
    do) when ``qualified``; else they are bare, as aql renders a ``Table``
    built by hand."""
    # Not "sqlite...": SQLite reserves "sqlite_" names, and index names
    # start with the table's name.
    name = draw(NAMES.filter(lambda n: not n.lower().startswith("sqlite")))
    if qualified is None:
        qualified = draw(st.booleans())
    names = draw(st.lists(NAMES, min_size=2, max_size=4, unique_by=str.lower))
    columns: list[Any] = [
        Column(c, int if i % 2 else str, table_name=name if qualified else "")
        for i, c in enumerate(names)
    ]
    # Indexes (and unique ones) on distinct random column sets: the DDL and
    # its follow-up CREATE INDEX statements are rendered and run too.
    picks = st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True)
    for picked in draw(st.lists(picks, max_size=2, unique_by=lambda p: tuple(sorted(p)))):
        columns.append(draw(st.sampled_from([Index, Unique]))(*picked))
    return Table(name, columns)


def conditions(table: Table, other: Table | None = None) -> st.SearchStrategy[Any]:
    columns = [table[c.name] for c in table._columns]

    @st.composite
    def leaf(draw: st.DrawFn) -> Any:
        index = draw(st.integers(0, len(columns) - 1))
        column = columns[index]
        if index % 2 == 0:  # a str column (see tables())
            text = draw(st.one_of(st.none(), st.text(max_size=6)))
            kind = draw(st.integers(0, 5))
            if kind == 0:
                return column == text
            if kind == 1:
                return column != draw(st.text(max_size=6))
            if kind == 2:
                return column.like(draw(st.text(max_size=5)))
            if kind == 3:
                return column.ilike(draw(st.text(max_size=5)))
            if kind == 4:
                return column.is_null() if draw(st.booleans()) else column.is_not_null()
            return column.in_(draw(st.lists(st.text(max_size=3), min_size=1, max_size=3)))
        number = st.integers(-(2**63), 2**63 - 1)
        kind = draw(st.integers(0, 6))
        if kind == 0:
            return column == draw(st.one_of(st.none(), number))
        if kind == 1:
            return column > draw(number)
        if kind == 2:
            return column.in_(draw(st.lists(st.integers(-5, 5), min_size=1, max_size=4)))
        if kind == 3:
            return column.between(draw(st.integers(-9, 0)), draw(st.integers(0, 9)))
        if kind == 4:
            return column.not_in(draw(st.lists(st.integers(-5, 5), min_size=1, max_size=3)))
        if kind == 5 and other is not None:
            # A subquery on the other table: IN (SELECT ...).
            inner = other[other._columns[1].name]
            return column.in_(other.select(inner).where(inner > draw(st.integers(-5, 5))))
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
def queries(draw: st.DrawFn) -> tuple[list[Table], Any]:
    """``(tables the query uses, query)``: a select (maybe joined, grouped,
    distinct, with an offset), insert, update, delete or create."""
    kind = draw(
        st.sampled_from(["select", "join", "group", "insert", "update", "delete", "create"])
    )
    # A join names its columns' tables, or SQL could not tell them apart.
    qualified = True if kind == "join" else None
    table = draw(tables(qualified))
    other = draw(tables(qualified).filter(lambda t: t._name.lower() != table._name.lower()))
    first = table[table._columns[0].name]
    second = table[table._columns[1].name]  # an int column
    used = [table]
    if kind in ("select", "update", "delete"):
        where = draw(conditions(table, other if kind == "select" else None))
        if kind == "select":
            query = table.select().where(where).orderby(first).limit(draw(st.integers(0, 10)))
            if draw(st.booleans()):
                query = query.distinct().offset(draw(st.integers(0, 5)))
            used.append(other)
        elif kind == "update":
            query = table.update(first == draw(st.text(max_size=4))).where(where)
        else:
            query = table.delete().where(where)
    elif kind == "join":
        on = other[other._columns[1].name] == second
        how = draw(st.sampled_from([Join.inner, Join.left]))
        query = (
            table.select(first, other[other._columns[0].name])
            .join(other, how)
            .on(on)
            .where(draw(conditions(table)))
        )
        used.append(other)
    elif kind == "group":
        query = (
            table.select(first, fn.count(second, distinct=draw(st.booleans())).as_(ALIAS))
            .groupby(first)
            .having(fn.count() > draw(st.integers(0, 3)))
        )
    elif kind == "insert":
        rows = draw(
            st.lists(
                st.tuples(st.text(max_size=4), st.integers(-(2**63), 2**63 - 1)),
                min_size=1,
                max_size=3,
            )
        )
        query = table.insert(first, second).values(*rows)
    else:
        query = table.create(if_not_exists=draw(st.booleans()))
    return used, query


ALIAS = 'n`"a%'


def quoted(name: str, dialect: str) -> str:
    quote = QUOTES[dialect]
    text = name.replace(quote, quote + quote)
    if dialect == "mysql":  # the driver formats the statement: % doubled
        text = text.replace("%", "%%")
    return quote + text + quote


def quoted_identifiers(text: str, dialect: str) -> list[str] | None:
    """The quoted identifiers in ``text``, unquoted (None if a quote is left
    open). Outside identifiers the renderer writes only keywords,
    punctuation and placeholders: no string literals."""
    quote = QUOTES[dialect]
    found: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != quote:
            i += 1
            continue
        j = i + 1
        name = []
        while True:
            if j >= len(text):
                return None
            if text[j] == quote:
                if j + 1 < len(text) and text[j + 1] == quote:
                    name.append(quote)
                    j += 2
                    continue
                break
            name.append(text[j])
            j += 1
        unquoted = "".join(name)
        if dialect == "mysql":  # the driver formats the statement: % doubled
            unquoted = unquoted.replace("%%", "%")
        found.append(unquoted)
        i = j + 1
    return found


def check_rendering(case: tuple[list[Table], Any]) -> None:
    """The property itself: shared with the cargo fuzz target (fuzz/)."""
    used, query = case
    names = {ALIAS}
    for table in used:
        names |= {table._name, *(c.name for c in table._columns)}
        names |= {index._name for index in table._indexes}
        names |= {f"{table._name}_{index._name}" for index in table._indexes}
    for dialect, engine in ENGINES.items():
        prepared = engine.prepare(query)
        sql, params = prepared.sql, list(prepared.parameters)
        assert quoted(used[0]._name, dialect) in sql
        # Every identifier is quoted whole: reading the text as the database
        # does, each quoted run (quote characters doubled inside) is one of
        # the names, and no quote is left over (values are bound as
        # parameters, never written into the text).
        for text in [sql, *prepared.statements]:
            found = quoted_identifiers(text, dialect)
            assert found is not None, (dialect, text)
            assert set(found) <= names, (dialect, text, set(found) - names)
        placeholders = {"sqlite": sql.count("?"), "mysql": sql.count("%s")}
        if dialect in placeholders:
            # Quoted names may hold ? or %s themselves; never fewer.
            assert placeholders[dialect] >= len(params)
        else:
            assert all(f"${i}" in sql for i in range(1, len(params) + 1))
    # SQLite itself accepts the statement, against tables made the same way
    # (a CREATE is run itself, with its CREATE INDEX follow-ups).
    prepared = ENGINES["sqlite"].prepare(query)
    creates = prepared.sql.startswith("CREATE")
    db = sqlite3.connect(":memory:")
    try:
        for table in [] if creates else used:
            create = ENGINES["sqlite"].prepare(table.create())
            db.execute(create.sql, list(create.parameters))
            for statement in create.statements:
                db.execute(statement)
        db.execute("EXPLAIN " + prepared.sql, list(prepared.parameters)).fetchall()
        if creates:
            db.execute(prepared.sql, list(prepared.parameters))
            for statement in prepared.statements:
                db.execute(statement)
    finally:
        db.close()


@PROFILE
@given(queries())
def test_every_dialect_renders_random_trees_quoted_and_sqlite_accepts_them(
    case: tuple[list[Table], Any],
) -> None:
    check_rendering(case)


def test_the_generic_dialect_renders_too() -> None:
    table = Table("t", [Column("a", int)])
    prepared = SqlEngine().prepare(table.select().where(Not(Or(table["a"] == 1, table["a"] > 2))))
    assert "NOT" in prepared.sql
