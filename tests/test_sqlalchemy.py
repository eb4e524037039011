"""SQLAlchemy's asyncio engine on aioxide: ``compat.install("aiosqlite")`` and
the URL ``sqlite+aiosqlite://``, with SQLAlchemy's own aiosqlite dialect
unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

import aioxide.sqlite
from aioxide import compat

Run = Callable[[Coroutine[Any, Any, Any]], Any]


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    members: Mapped[list[User]] = relationship(back_populates="team")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    karma: Mapped[int] = mapped_column(default=0)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    team: Mapped[Team | None] = relationship(back_populates="members")


@pytest.fixture(autouse=True)
def aiosqlite_is_aioxide() -> Iterator[None]:
    compat.install("aiosqlite")
    return


async def make_engine(path: Path) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    # The dialect really is driving aioxide, not the aiosqlite package.
    assert engine.dialect.dbapi.aiosqlite is aioxide.sqlite  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    return engine


def test_orm_insert_select_update(run: Run, tmp_path: Path) -> None:
    async def main() -> None:
        engine = await make_engine(tmp_path / "orm.db")
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as session:
            red = Team(name="red")
            session.add_all([User(name="ada", team=red), User(name="bob", team=red)])
            await session.commit()
        async with sessions() as session:
            users = (await session.scalars(select(User).order_by(User.name))).all()
            assert [u.name for u in users] == ["ada", "bob"]
            await session.execute(update(User).where(User.name == "bob").values(karma=5))
            await session.commit()
        async with sessions() as session:
            bob = (await session.scalars(select(User).where(User.name == "bob"))).one()
            assert bob.karma == 5
            count = await session.scalar(select(func.count()).select_from(User))
            assert count == 2
        await engine.dispose()

    run(main())


def test_rollback_and_failed_transaction(run: Run, tmp_path: Path) -> None:
    async def main() -> None:
        engine = await make_engine(tmp_path / "tx.db")
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as session:
            session.add(Team(name="blue"))
            await session.commit()
        async with sessions() as session:
            session.add(User(name="temp"))
            await session.flush()
            await session.rollback()
        async with sessions() as session:
            session.add(Team(name="blue"))  # violates UNIQUE
            with pytest.raises(IntegrityError):
                await session.commit()
            await session.rollback()
            session.add(Team(name="green"))
            await session.commit()
        async with sessions() as session:
            names = (await session.scalars(select(Team.name).order_by(Team.name))).all()
            assert names == ["blue", "green"]
            assert await session.scalar(select(func.count()).select_from(User)) == 0
        await engine.dispose()

    run(main())


def test_concurrent_sessions(run: Run, tmp_path: Path) -> None:
    async def main() -> None:
        engine = await make_engine(tmp_path / "many.db")
        sessions = async_sessionmaker(engine, expire_on_commit=False)

        async def add(i: int) -> None:
            async with sessions() as session:
                session.add(User(name=f"user{i}", karma=i))
                await session.commit()

        await asyncio.gather(*[add(i) for i in range(20)])
        async with sessions() as session:
            total = await session.scalar(select(func.sum(User.karma)))
            assert total == sum(range(20))
        await engine.dispose()

    run(main())


def test_isolation_level_autocommit(run: Run, tmp_path: Path) -> None:
    async def main() -> None:
        engine = await make_engine(tmp_path / "auto.db")
        auto = engine.execution_options(isolation_level="AUTOCOMMIT")
        async with auto.connect() as conn:
            await conn.execute(Team.__table__.insert().values(name="solo"))
        async with engine.connect() as conn:
            names = (await conn.execute(select(Team.name))).scalars().all()
            assert names == ["solo"]
        await engine.dispose()

    run(main())
