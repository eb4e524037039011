"""An importable home for aiomultiprocess' bundled tests.

The pool tests send their helper coroutines to spawned children by reference
(``<package>.base.mapper``), so the package holding them must be importable
in a fresh interpreter too: this one points its path at the installed
``aiomultiprocess/tests`` and aliases ``aiomultiprocess`` to aioxide, in the
parent and in every child that imports it.
"""

import importlib.machinery
from pathlib import Path

from aioxide import compat

compat.install("aiomultiprocess")

_spec = importlib.machinery.PathFinder.find_spec("aiomultiprocess")
if _spec is None or not _spec.submodule_search_locations:
    raise RuntimeError("aiomultiprocess is not installed; `make test` installs it into .venv")
__path__ = [str(Path(next(iter(_spec.submodule_search_locations))) / "tests")]
