"""attribution's own test suite, run against aioxide.release.

When attribution is installed, this package's modules are attribution's
``attribution/tests/*.py`` themselves: with ``aioxide.compat.install(
"attribution")``, ``import attribution.tests.tag`` loads attribution's test
module as ``aioxide.release.tests.tag``, whose relative imports (``from ..tag
import Tag``) then find aioxide's modules. Without attribution this package
is empty.
"""

from __future__ import annotations

import importlib.machinery

_spec = importlib.machinery.PathFinder.find_spec("attribution")
if _spec is not None and _spec.submodule_search_locations:
    from pathlib import Path

    _tests = Path(next(iter(_spec.submodule_search_locations))) / "tests"
    if _tests.is_dir():
        __path__.append(str(_tests))
