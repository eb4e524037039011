"""Load an OmniLib package's own bundled test modules against aioxide.

The upstream suites live inside the installed packages (``aiosqlite/tests``).
They are loaded from there under a private package name, with the library
itself aliased to aioxide by :mod:`aioxide.compat`, so ``import aiosqlite``
inside them gets aioxide while their relative imports still find their
helpers.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path

from aioxide import compat


def upstream_tests_dir(package: str) -> Path:
    # PathFinder skips compat's alias finder: this is the real installation.
    spec = importlib.machinery.PathFinder.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{package} is not installed; `make test` installs it into .venv")
    return Path(next(iter(spec.submodule_search_locations))) / "tests"


def load(package: str, module: str) -> types.ModuleType:
    """Import ``<package>/tests/<module>.py`` with ``package`` resolving to aioxide."""
    compat.install(package)
    tests_dir = upstream_tests_dir(package)
    holder = f"_upstream_{package}_tests"
    if holder not in sys.modules and importlib.util.find_spec(holder) is not None:
        # A real package (see _upstream_aiomultiprocess_tests): child
        # processes can import the test helpers by name too.
        importlib.import_module(holder)
    if holder not in sys.modules:
        pkg = types.ModuleType(holder)
        pkg.__path__ = [str(tests_dir)]
        sys.modules[holder] = pkg
    name = f"{holder}.{module}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, tests_dir / f"{module}.py")
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {tests_dir / module}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
