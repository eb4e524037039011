"""attribution's own suite (``attribution/tests``, 20 unittest tests)
against aioxide.release.

With ``aioxide.compat.install("attribution")``, ``attribution.tests.tag``
is attribution's test file loaded as ``aioxide.release.tests.tag`` (see that
package): its ``from ..tag import Tag`` gets aioxide's ``Tag``, and its
``patch("attribution.tag.sh")`` patches aioxide's command runner, through
which every git command goes (read-only ones are then answered in-process).
"""

from __future__ import annotations

import importlib

from aioxide import compat

compat.install("attribution")

GenerateTest = importlib.import_module("attribution.tests.generate").GenerateTest
HelpersTest = importlib.import_module("attribution.tests.helpers").HelpersTest
ProjectTest = importlib.import_module("attribution.tests.project").ProjectTest
TagTest = importlib.import_module("attribution.tests.tag").TagTest


def test_the_suite_is_attributions_own_and_runs_on_aioxide() -> None:
    import attribution
    import attribution.tag

    assert attribution.__name__ == "aioxide.release"
    assert attribution.tag.__name__ == "aioxide.release.tag"
    assert TagTest.__module__ == "aioxide.release.tests.tag"
    assert "site-packages/attribution/tests" in importlib.import_module(TagTest.__module__).__file__
