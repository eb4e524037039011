"""Make existing imports of the OmniLib libraries resolve to aioxide.

After ``install("aiosqlite")``, ``import aiosqlite`` (and ``aiosqlite.*``)
returns :mod:`aioxide.sqlite`, so a program written for aiosqlite runs on
aioxide unchanged::

    import aioxide.compat
    aioxide.compat.install("aiosqlite")

    import aiosqlite  # this is aioxide.sqlite
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

__all__ = ["REPLACEMENTS", "CompatError", "alias", "available", "install", "installed", "uninstall"]

#: The OmniLib module each aioxide module replaces.
REPLACEMENTS: dict[str, str] = {
    "aiosqlite": "aioxide.sqlite",
    "aioitertools": "aioxide.itertools",
    "aiomultiprocess": "aioxide.multiprocess",
    "aql": "aioxide.sql",
    "attribution": "aioxide.release",
}


class CompatError(ImportError):
    """Raised when a library is named that aioxide cannot stand in for (yet)."""


_lock = threading.Lock()
_aliases: dict[str, str] = {}
#: The original modules an alias took out of ``sys.modules``, put back by
#: :func:`uninstall`: objects made before the alias keep pickling (pickle
#: finds classes through ``sys.modules``) and are the same classes as
#: after it.
_displaced: dict[str, dict[str, ModuleType]] = {}


def _is_ours(module: ModuleType) -> bool:
    return str(getattr(module, "__name__", "")).startswith("aioxide")


def _is_aliased(fullname: str, original: str) -> bool:
    return fullname == original or fullname.startswith(original + ".")


class _AliasLoader(importlib.abc.Loader):
    """Hands out the already-imported replacement module itself."""

    def __init__(self, replacement: str) -> None:
        self._replacement = replacement
        self._spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self._replacement)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        alias_spec = module.__spec__
        # The import system stamps the alias spec onto the module; the module
        # keeps describing itself (for reload, pickling, tracebacks).
        module.__spec__ = self._spec
        if alias_spec is None:
            return
        # The replacement's submodules already imported become importable
        # under the alias at once. The import system then finds them in
        # sys.modules and does not bind them onto the package, where a
        # submodule would shadow a namesake: ``import aql.table`` would
        # replace the ``table`` decorator with the ``aioxide.sql.table`` module.
        prefix = self._replacement + "."
        for name, submodule in list(sys.modules.items()):
            if name.startswith(prefix):
                sys.modules.setdefault(alias_spec.name + name[len(self._replacement) :], submodule)


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        for original, replacement in list(_aliases.items()):
            if _is_aliased(fullname, original):
                real = replacement + fullname[len(original) :]
                if importlib.util.find_spec(real) is None:
                    return None  # let the import fail as ModuleNotFoundError
                return importlib.util.spec_from_loader(fullname, _AliasLoader(real))
        return None


_finder = _AliasFinder()


def available() -> list[str]:
    """The OmniLib names that have a built aioxide replacement.

    >>> "aiosqlite" in REPLACEMENTS
    True
    """
    return [name for name, target in REPLACEMENTS.items() if _exists(target)]


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def alias(original: str, replacement: str) -> None:
    """Make ``import original`` (and its submodules) return ``replacement``.

    Modules already imported under ``original`` are replaced too, so the
    alias holds whether it is set before or after the first import.

    >>> alias("fastjson", "json")
    >>> import fastjson  # doctest: +SKIP
    """
    if not original or original.startswith("aioxide"):
        raise ValueError(f"cannot alias {original!r}")
    if not _exists(replacement):
        raise CompatError(f"cannot alias {original!r}: module {replacement!r} does not exist")
    with _lock:
        first = original not in _aliases
        _aliases[original] = replacement
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
        taken = {
            n: sys.modules.pop(n) for n in [n for n in sys.modules if _is_aliased(n, original)]
        }
        if first:
            _displaced[original] = {n: m for n, m in taken.items() if not _is_ours(m)}
    importlib.import_module(original)


def install(*names: str) -> None:
    """Make imports of the named OmniLib libraries resolve to aioxide.

    With no names, every library aioxide already replaces is installed.
    Naming a library aioxide does not replace, or one whose replacement is
    not built yet, raises :class:`CompatError` and installs nothing.

    >>> install("aiosqlite")  # doctest: +SKIP
    """
    wanted = list(names) if names else available()
    for name in wanted:
        target = REPLACEMENTS.get(name)
        if target is None:
            known = ", ".join(sorted(REPLACEMENTS))
            raise CompatError(f"aioxide has no replacement for {name!r} (it replaces {known})")
        if not _exists(target):
            raise CompatError(
                f"aioxide cannot replace {name!r} yet: {target} is not built in this version"
            )
    for name in wanted:
        alias(name, REPLACEMENTS[name])


def installed() -> dict[str, str]:
    """The aliases currently in force, original name to replacement."""
    with _lock:
        return dict(_aliases)


def uninstall(*names: str) -> None:
    """Undo :func:`alias` / :func:`install` (all aliases when no names are given)."""
    with _lock:
        for name in list(names) if names else list(_aliases):
            if _aliases.pop(name, None) is None:
                continue
            for mod in [n for n in sys.modules if _is_aliased(n, name)]:
                del sys.modules[mod]
            sys.modules.update(_displaced.pop(name, {}))
        if not _aliases and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
