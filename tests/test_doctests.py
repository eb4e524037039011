"""The examples in the package's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "aioxide",
    "aioxide.bridge",
    "aioxide.compat",
    "aioxide.demo",
    "aioxide.demo.fleet",
    "aioxide.multiprocess",
    "aioxide.multiprocess.core",
    "aioxide.multiprocess.scheduler",
    "aioxide.multiprocess._wire",
    "aioxide.multiprocess._runner",
    "aioxide.multiprocess._loop_exit",
    "aioxide.release.generate",
    "aioxide.release.git",
    "aioxide.release.helpers",
    "aioxide.release.main",
    "aioxide.release.project",
    "aioxide.release.tag",
    "aioxide.sql",
    "aioxide.sql.column",
    "aioxide.sql.connector",
    "aioxide.sql.engines",
    "aioxide.sql.engines.base",
    "aioxide.sql.engines.mysql",
    "aioxide.sql.engines.postgres",
    "aioxide.sql.engines.sql",
    "aioxide.sql.engines.sqlite",
    "aioxide.sql.errors",
    "aioxide.sql.expr",
    "aioxide.sql.mapping",
    "aioxide.sql.query",
    "aioxide.sql.table",
    "aioxide.sql.types",
    "aioxide.sqlite",
    "aioxide.sqlite.row",
    "aioxide.sqlite.private_views",
    "aioxide.itertools",
    "aioxide.itertools.builtins",
    "aioxide.itertools.itertools",
    "aioxide.itertools.asyncio",
    "aioxide.itertools.more_itertools",
    "aioxide.itertools.helpers",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
