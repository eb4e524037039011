"""Shared fixtures: every async test runs on stock asyncio and on uvloop."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

try:
    import uvloop
except ImportError:  # pragma: no cover - CI installs uvloop
    if os.environ.get("CI") == "true":
        raise RuntimeError("uvloop must be installed in CI: the bridge is tested on it") from None
    uvloop = None

LOOP_KINDS = ["asyncio", "uvloop"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--start-method",
        default=None,
        choices=["spawn", "forkserver", "fork"],
        help="aioxide.multiprocess start method for the whole run (default: its own, spawn); "
        "make py-matrix runs the pool suites under forkserver, Python 3.14's default",
    )


def pytest_configure(config: pytest.Config) -> None:
    method = config.getoption("--start-method")
    if method is not None:
        from aioxide.multiprocess import set_start_method

        set_start_method(method)


@pytest.fixture(autouse=True)
def no_rust_panic() -> Any:
    """Fails any test during which aioxide's Rust code panicked, on any
    thread, even if the panic was caught and became an exception."""
    from aioxide._core import panic_count

    before = panic_count()
    yield
    after = panic_count()
    assert after == before, f"{after - before} Rust panic(s) during this test (see stderr)"


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        if uvloop is None:
            pytest.skip("uvloop is not installed (CI installs it)")
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


@pytest.fixture(params=LOOP_KINDS)
def loop_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def run(loop_kind: str) -> Callable[[Coroutine[Any, Any, T]], T]:
    """Runs a coroutine to completion on a fresh loop of the parametrised kind."""

    def runner(coro: Coroutine[Any, Any, T]) -> T:
        loop = new_loop(loop_kind)
        try:
            return loop.run_until_complete(coro)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    return runner


def _real_server(start: Callable[[], T]) -> T:
    import db_servers

    try:
        return start()
    except db_servers.ServerUnavailable as missing:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"CI must run the real-server tests: {missing}") from None
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def postgres() -> Any:
    """A private PostgreSQL server on loopback for the whole session."""
    import db_servers

    server = _real_server(db_servers.start_postgres)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mariadb() -> Any:
    """A private MariaDB server on loopback for the whole session."""
    import db_servers

    server = _real_server(db_servers.start_mariadb)
    yield server
    server.stop()
