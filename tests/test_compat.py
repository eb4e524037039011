"""aioxide.compat: one call makes OmniLib imports resolve to aioxide."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
from collections.abc import Iterator

import pytest

import aioxide
import aioxide.bridge
import aioxide.compat
from aioxide import compat


@pytest.fixture(autouse=True)
def clean_aliases() -> Iterator[None]:
    # Other test modules (the upstream suites) install aliases for the session.
    saved = compat.installed()
    compat.uninstall()
    yield
    compat.uninstall()
    for name in [n for n in sys.modules if n.split(".")[0] in {"fakepkg", "fakebridge"}]:
        del sys.modules[name]
    for original, replacement in saved.items():
        compat.alias(original, replacement)


def test_alias_resolves_the_package_and_its_submodules() -> None:
    compat.alias("fakepkg", "aioxide")
    import fakepkg  # type: ignore[import-not-found]
    import fakepkg.bridge  # type: ignore[import-not-found]
    from fakepkg.compat import install  # type: ignore[import-not-found]

    assert fakepkg is aioxide
    assert fakepkg.bridge is aioxide.bridge
    assert install is compat.install
    # The module keeps describing itself, not the alias.
    assert aioxide.bridge.__spec__ is not None
    assert aioxide.bridge.__spec__.name == "aioxide.bridge"
    assert compat.installed() == {"fakepkg": "aioxide"}


def test_alias_replaces_a_module_imported_before() -> None:
    sys.modules["fakebridge"] = types.ModuleType("fakebridge")
    compat.alias("fakebridge", "aioxide.bridge")
    assert importlib.import_module("fakebridge") is aioxide.bridge


def test_missing_submodule_is_a_plain_module_not_found() -> None:
    compat.alias("fakepkg", "aioxide")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("fakepkg.no_such_module")
    # The alias still works afterwards.
    assert importlib.import_module("fakepkg.compat") is compat


def test_uninstall_restores_normal_imports() -> None:
    compat.alias("fakepkg", "aioxide")
    compat.uninstall("fakepkg")
    assert compat.installed() == {}
    assert "fakepkg" not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("fakepkg")


def test_uninstall_puts_back_the_modules_the_alias_displaced() -> None:
    # A program imported the original, made objects of its classes, then
    # installed and uninstalled the alias: the original modules must be the
    # ones imports (and pickle, which looks classes up there) find again.
    import pickle

    original = types.ModuleType("fakebridge")
    original_sub = types.ModuleType("fakebridge.sub")
    sys.modules["fakebridge"] = original
    sys.modules["fakebridge.sub"] = original_sub
    compat.alias("fakebridge", "aioxide.bridge")
    compat.alias("fakebridge", "aioxide.bridge")  # twice: the originals are kept once
    assert importlib.import_module("fakebridge") is aioxide.bridge
    compat.uninstall("fakebridge")
    assert sys.modules["fakebridge"] is original
    assert sys.modules["fakebridge.sub"] is original_sub
    assert importlib.import_module("fakebridge") is original
    from aql.types import Operator  # the real aql, imported before any alias here

    assert pickle.loads(pickle.dumps(Operator.eq)) is Operator.eq
    compat.alias("aql", "aioxide.sql")
    compat.uninstall("aql")
    assert pickle.loads(pickle.dumps(Operator.eq)) is Operator.eq


def test_alias_to_a_missing_module_fails_clearly() -> None:
    with pytest.raises(compat.CompatError, match=r"aioxide\.nothing_here"):
        compat.alias("fakepkg", "aioxide.nothing_here")
    assert compat.installed() == {}


@pytest.mark.parametrize("bad", ["", "aioxide", "aioxide.sqlite"])
def test_aliasing_aioxide_itself_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot alias"):
        compat.alias(bad, "aioxide.bridge")


def test_unknown_library_names_the_ones_it_replaces() -> None:
    with pytest.raises(compat.CompatError, match=r"no replacement for 'requests'.*aiosqlite"):
        compat.install("requests")


@pytest.mark.parametrize(("name", "target"), sorted(compat.REPLACEMENTS.items()))
def test_install_each_replacement_or_explain_why_not(name: str, target: str) -> None:
    if name in compat.available():
        compat.install(name)
        assert importlib.import_module(name) is importlib.import_module(target)
    else:
        with pytest.raises(compat.CompatError, match=f"cannot replace '{name}' yet: {target}"):
            compat.install(name)
        assert name not in compat.installed()


def test_install_is_all_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    replacements = {"fakepkg": "aioxide", "fakebridge": "aioxide.not_built_yet"}
    monkeypatch.setattr(compat, "REPLACEMENTS", replacements)
    assert compat.available() == ["fakepkg"]
    with pytest.raises(compat.CompatError, match="cannot replace 'fakebridge' yet"):
        compat.install("fakepkg", "fakebridge")
    assert compat.installed() == {}
    compat.install()  # no names: everything that is built
    assert compat.installed() == {"fakepkg": "aioxide"}


@pytest.mark.parametrize(
    "imports",
    [
        "import aql.table",
        "from aql import table as t; import aql.table",
        "import aql.table as module",
        "from aql.table import Table",
    ],
)
def test_a_submodule_imported_by_its_alias_does_not_shadow_its_namesake(imports: str) -> None:
    # A fresh interpreter: the first import of the package under the alias
    # happens here, as in a client's test suite.
    program = (
        "from aioxide import compat\n"
        "compat.install('aql')\n"
        f"{imports}\n"
        "import aql, aioxide.sql\n"
        "module = sys.modules['aioxide.sql.table']\n"
        "assert aql is aioxide.sql\n"
        "assert aql.table is module.table, aql.table\n"
        "assert sys.modules['aql.table'] is module\n"
        "print('ok')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", "import sys\n" + program],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.strip() == "ok", run.stderr
