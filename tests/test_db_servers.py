"""The real database servers the SQL tests run against start, answer over
TCP on loopback with the drivers aioxide uses, and are private instances."""

from __future__ import annotations

import asyncio
from typing import Any

import aiomysql
import asyncpg


def test_postgres_answers_on_loopback(postgres: Any) -> None:
    async def main() -> tuple[int, str]:
        conn = await asyncpg.connect(postgres.dsn)
        try:
            return await conn.fetchval("SELECT 1 + 1"), await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()

    two, version = asyncio.run(main())
    assert two == 2
    assert int(version.split(".")[0]) >= 13


def test_mariadb_answers_on_loopback(mariadb: Any) -> None:
    async def main() -> tuple[Any, ...]:
        conn = await aiomysql.connect(
            host="127.0.0.1",
            port=mariadb.port,
            user=mariadb.user,
            password=mariadb.password,
            db=mariadb.database,
        )
        try:
            async with conn.cursor() as cur:
                await cur.execute("SELECT 1 + 1, VERSION(), DATABASE()")
                return tuple(await cur.fetchone())
        finally:
            conn.close()

    two, version, database = asyncio.run(main())
    assert two == 2
    assert "MariaDB" in version
    assert database == "test"
