"""The real clients whose own test suites run against aioxide.

Each client is pinned (its sdist and, in ``locks/<name>.txt``, every package
its suite needs, as ``pip freeze`` wrote them), and its suite runs twice in a
venv of its own: once on the original libraries and once with
``aioxide.compat`` installed, unchanged. A test that fails on the originals
too in this environment (no network, no server it wants) is deselected here
with the reason beside it; the harness checks that each of those still fails
on the originals, so the list cannot hide a regression.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Client:
    #: Short name: the venv, the lock file and the report use it.
    name: str
    #: The sdist whose tests run, e.g. "databases==0.9.0".
    sdist: str
    #: What ``aioxide.compat`` replaces for the aioxide run.
    compat: tuple[str, ...]
    #: Test paths inside the sdist.
    paths: tuple[str, ...]
    #: Further pytest options for every run.
    options: tuple[str, ...] = ()
    #: Environment for both runs.
    env: dict[str, str] = field(default_factory=dict)
    #: Test ids that fail on the originals too here, with the reason.
    deselect: dict[str, str] = field(default_factory=dict)
    #: Test ids (junit form, ``module.path::name``) that fail on the
    #: originals here but pass on aioxide, with the reason: they run in both
    #: runs, and the harness checks exactly that.
    improved: dict[str, str] = field(default_factory=dict)
    #: Files (relative to the sdist) removed before running: test modules
    #: that cannot even be imported here, with the reason.
    remove: dict[str, str] = field(default_factory=dict)
    #: Python run at interpreter start in both runs (the same for both), for
    #: what the environment must provide and the suite cannot be told.
    startup: str = ""
    #: Does the suite tolerate running while another one runs beside it?
    parallel: bool = True


# pyenv builds CPython without --enable-loadable-sqlite-extensions: the
# stdlib sqlite3.Connection has no enable_load_extension here.
_NO_STDLIB_EXTENSIONS = (
    "the sync SqliteStore loads sqlite-vec through the stdlib "
    "sqlite3.Connection.enable_load_extension, which this interpreter's "
    "sqlite3 module is built without (no aiosqlite involved)"
)

_NEEDS_AWS_CREDENTIALS = (
    "signs a request before the moto fixture's credentials apply and needs real "
    "AWS credentials in the environment (NoCredentialsError); there are none here"
)

CLIENTS: list[Client] = [
    Client(
        name="databases",
        sdist="databases==0.9.0",
        compat=("aiosqlite",),
        paths=("tests",),
        env={"TEST_DATABASE_URLS": "sqlite:///testsuite,sqlite+aiosqlite:///testsuite"},
    ),
    Client(
        name="ormar",
        sdist="ormar==0.26.0",
        compat=("aiosqlite",),
        paths=("tests",),
        env={"DATABASE_URL": "sqlite:///test.db"},
    ),
    Client(
        name="langgraph-checkpoint-sqlite",
        sdist="langgraph-checkpoint-sqlite==3.1.2",
        compat=("aiosqlite",),
        paths=("tests",),
        deselect={
            "tests/test_conformance_delta.py::test_delta_channel_conformance": (
                "langgraph-checkpoint-conformance 0.0.2, the newest on the index, "
                "has no 'delta_channel_history' capability (ValueError)"
            ),
            **{
                f"tests/test_store.py::{name}": _NO_STDLIB_EXTENSIONS
                for name in [
                    "test_basic_store_operations",
                    "test_embed_with_path[cosine]",
                    "test_embed_with_path_operation_config[cosine]",
                    "test_list_namespaces_operations",
                    "test_non_ascii[cosine]",
                    *(
                        f"test_scores[{db}-{case}]"
                        for db in ("memory", "file")
                        for case in ("aaa", "bbb", "ccc", "abcd", "poisson")
                    ),
                    "test_search_items",
                    "test_vector_insert_with_auto_embedding[memory-cosine]",
                    "test_vector_insert_with_auto_embedding[file-cosine]",
                    "test_vector_search_edge_cases[cosine]",
                    "test_vector_search_pagination[cosine]",
                    "test_vector_search_with_filters[cosine]",
                    "test_vector_store_initialization",
                    "test_vector_update_with_embedding[memory-cosine]",
                    "test_vector_update_with_embedding[file-cosine]",
                ]
            },
        },
        improved={
            f"tests.test_async_store::{name}": (
                "AsyncSqliteStore loads sqlite-vec with await conn.enable_load_extension(True); "
                "aiosqlite forwards it to the stdlib method this interpreter lacks, "
                "aioxide.sqlite calls SQLite's own sqlite3_enable_load_extension"
            )
            for name in [
                "test_basic_store_ops",
                "test_embed_with_path",
                "test_list_namespaces",
                "test_search_items",
                "test_vector_insert_with_auto_embedding[file]",
                "test_vector_insert_with_auto_embedding[memory]",
                "test_vector_search_edge_cases",
                "test_vector_search_pagination",
                "test_vector_search_with_filters[file]",
                "test_vector_search_with_filters[memory]",
                "test_vector_store_initialization",
                "test_vector_update_with_embedding[file]",
                "test_vector_update_with_embedding[memory]",
            ]
        },
    ),
    Client(
        name="fastapi-users-db-sqlalchemy",
        sdist="fastapi-users-db-sqlalchemy==7.0.0",
        compat=("aiosqlite",),
        paths=("tests",),
    ),
    Client(
        name="aiobotocore",
        sdist="aiobotocore==3.10.0",
        compat=("aioitertools",),
        # The suites that page through listings (paginators, aioitertools'
        # tee and zip_longest over them) against a local moto server.
        paths=(
            "tests/test_basic_s3.py",
            "tests/test_client.py",
            "tests/test_session.py",
            "tests/test_tee.py",
        ),
        deselect={
            "tests/test_basic_s3.py::test_succeed_proxy_request[asyncio-aiohttp]": (
                "expects an HTTP proxy already listening on 127.0.0.1:54321, which "
                "aiobotocore's CI starts outside the suite (ProxyConnectionError)"
            ),
            "tests/test_basic_s3.py::test_unicode_system_character[asyncio-aiohttp]": (
                _NEEDS_AWS_CREDENTIALS
            ),
            "tests/test_basic_s3.py::test_presign_with_existing_query_string_values"
            "[asyncio-aiohttp-s3-us-east-1]": _NEEDS_AWS_CREDENTIALS,
        },
        # moto's ThreadedMotoServer listens on 0.0.0.0 unless told; the suite
        # cannot be told, so its default becomes loopback for both runs.
        startup=(
            "import functools, moto.server as s; "
            "s.ThreadedMotoServer.__init__ = functools.partialmethod("
            "s.ThreadedMotoServer.__init__, ip_address='127.0.0.1')"
        ),
    ),
]
