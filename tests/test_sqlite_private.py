"""aiosqlite's private attributes, as real clients use them, side by side.

Each scenario runs on aiosqlite and on aioxide.sqlite and must give the same
result: what Tortoise ORM, SQLAlchemy's dialect, langgraph and applications
do with ``_conn``, ``_tx`` and ``_thread``. An attribute aioxide cannot
honour raises a clear error instead of being silently dropped."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import aiosqlite
import pytest

from aioxide import sqlite as aiox

Run = Callable[[Coroutine[Any, Any, Any]], Any]
MODULES = [pytest.param(aiosqlite, id="aiosqlite"), pytest.param(aiox, id="aioxide")]


def both(run: Run, scenario: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    """The scenario's result on aiosqlite, checked equal to aioxide's."""
    expected = run(scenario(aiosqlite))
    assert run(scenario(aiox)) == expected
    return expected


def test_row_factory_set_through_conn_is_used(run: Run) -> None:
    # Tortoise ORM: self._connection._conn.row_factory = sqlite3.Row
    async def scenario(module: Any) -> Any:
        async with module.connect(":memory:", isolation_level=None) as db:
            db._conn.row_factory = sqlite3.Row
            await db.execute("create table t (a, b)")
            await db.execute("insert into t values (1, 'x')")
            rows = await db.execute_fetchall("select a, b from t")
            cursor = await db.execute("select a, b from t")
            row = await cursor.fetchone()
            return (
                [dict(r) for r in rows],
                row["b"],
                list(row.keys()),
                db.row_factory is sqlite3.Row,
                db._conn.row_factory is sqlite3.Row,
            )

    assert both(run, scenario) == ([{"a": 1, "b": "x"}], "x", ["a", "b"], True, True)


def test_text_factory_set_through_conn_is_used(run: Run) -> None:
    async def scenario(module: Any) -> Any:
        async with module.connect(":memory:") as db:
            db._conn.text_factory = bytes
            rows = await db.execute_fetchall("select 'abc'")
            return rows[0][0], db.text_factory is bytes

    assert both(run, scenario) == (b"abc", True)


def test_public_settings_are_seen_through_conn(run: Run) -> None:
    async def scenario(module: Any) -> Any:
        async with module.connect(":memory:") as db:
            db.row_factory = sqlite3.Row
            seen = [db._conn.row_factory is sqlite3.Row, db._conn.isolation_level]
            await db.execute("create table t (x)")
            await db.execute("insert into t values (1)")
            seen += [db._conn.in_transaction, db._conn.total_changes]
            await db.commit()
            seen.append(db._conn.in_transaction)
            return seen

    assert both(run, scenario) == [True, "", True, 1, False]


def test_conn_is_one_object(run: Run) -> None:
    async def scenario(module: Any) -> bool:
        async with module.connect(":memory:") as db:
            return db._conn is db._conn

    assert both(run, scenario) is True


def test_isolation_level_through_tx_and_conn_as_sqlalchemy_does(run: Run) -> None:
    # SQLAlchemy's AsyncAdapt_aiosqlite_connection.isolation_level setter.
    async def scenario(module: Any) -> Any:
        async with module.connect(":memory:") as db:

            def set_level(connection: Any, value: Any) -> None:
                connection.isolation_level = value

            future = asyncio.get_running_loop().create_future()
            db._tx.put_nowait((future, partial(set_level, db._conn, None)))
            await future
            await db.execute("create table t (x)")
            await db.execute("insert into t values (1)")
            return db.isolation_level, db.in_transaction

    assert both(run, scenario) == (None, False)


def test_conn_after_close_says_no_active_connection(run: Run) -> None:
    async def scenario(module: Any) -> str:
        db = await module.connect(":memory:")
        await db.close()
        with pytest.raises(ValueError, match="no active connection") as info:
            db._conn  # noqa: B018 - the access is the test
        return str(info.value)

    assert both(run, scenario) == "no active connection"


def test_thread_is_alive_as_langgraph_checks_it(run: Run) -> None:
    async def main() -> list[bool]:
        db = aiox.connect(":memory:")
        states = [db._thread.is_alive()]
        await db
        states.append(db._thread.is_alive())
        await db.close()
        states.append(db._thread.is_alive())
        return states

    assert run(main()) == [False, True, False]


@pytest.mark.parametrize(
    "name", ["execute", "cursor", "create_function", "set_authorizer", "backup", "commit"]
)
def test_what_conn_cannot_honour_is_a_clear_error(run: Run, name: str) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            with pytest.raises(AttributeError, match=rf"_conn\.{name} is not available"):
                getattr(db._conn, name)
            with pytest.raises(AttributeError, match=rf"_conn\.{name} is not available"):
                setattr(db._conn, name, None)
            # The connection still works.
            assert await db.execute_fetchall("select 1") == [(1,)]

    run(main())


def test_setting_an_unknown_attribute_on_conn_is_not_silently_dropped(run: Run) -> None:
    async def main() -> None:
        async with aiox.connect(":memory:") as db:
            with pytest.raises(AttributeError, match="not available"):
                db._conn.some_setting = 1
            assert not hasattr(db._conn, "some_setting")

    run(main())
