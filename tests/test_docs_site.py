"""The built documentation site (``make docs`` -> docs/_build/html) holds
together: every internal link and anchor resolves, and the pages render in
a real browser (headless Chromium) without console errors or missing assets.

``make docs-test`` builds the site, then runs this file (``-m docs``).
Screenshots of the rendered pages go to target/docs-screenshots/ (not
committed) for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "_build" / "html"
SHOTS = ROOT / "target" / "docs-screenshots"


class _Page(HTMLParser):
    """The ids a page defines and the local URLs it points at."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key):
                self.ids.add(str(values[key]))
        for key in ("href", "src"):
            url = values.get(key)
            if url and not urlsplit(url).scheme and not url.startswith("//"):
                self.links.append(url)


@functools.cache
def _parsed(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pages() -> list[Path]:
    if not (SITE / "index.html").is_file():
        pytest.fail("the site is not built: run `make docs` (make docs-test does)")
    return sorted(SITE.rglob("*.html"))


def test_the_site_has_every_part_the_issue_names() -> None:
    names = {p.relative_to(SITE).as_posix() for p in _pages()}
    for page in [
        "index.html",
        "sqlite.html",
        "itertools.html",
        "multiprocess.html",
        "cluster.html",
        "sql.html",
        "release.html",
        "switching.html",
        "benchmarks.html",
        "changelog.html",
        "api/aioxide/index.html",
        "api/aioxide/sqlite/index.html",
        "api/aioxide/itertools/index.html",
        "api/aioxide/multiprocess/index.html",
        "api/aioxide/sql/index.html",
        "api/aioxide/release/index.html",
    ]:
        assert page in names, f"{page} is missing from the site"
    # The reference covers native names too, with the stub's types.
    itertools_api = (SITE / "api/aioxide/itertools/index.html").read_text()
    assert "chain" in itertools_api
    assert "AsyncIterator" in itertools_api
    assert "Connection" in (SITE / "api/aioxide/sqlite/index.html").read_text()
    # The charts are on the benchmarks page, and present.
    benchmarks = _parsed(SITE / "benchmarks.html")
    charts = [link for link in benchmarks.links if link.endswith(".png")]
    assert len(charts) >= 6


def test_every_internal_link_and_anchor_resolves() -> None:
    broken = []
    for page in _pages():
        for link in _parsed(page).links:
            parts = urlsplit(link)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(SITE)} -> {link}"
            if not target.exists():
                broken.append(f"{where} (no such file)")
            elif (
                parts.fragment
                and target.suffix == ".html"
                and unquote(parts.fragment) not in _parsed(target).ids
            ):
                broken.append(f"{where} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


@pytest.fixture(scope="module")
def served_site() -> Iterator[str]:
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Outside CI a machine without a browser skips this check; under CI=true
    # (where make docs-test installs everything) a missing piece fails it.
    in_ci = os.environ.get("CI") == "true"
    try:
        from selenium import webdriver
    except ImportError:
        if in_ci:
            pytest.fail("selenium is missing: requirements-dev.txt installs it")
        pytest.skip("selenium is not installed (requirements-dev.txt)")
    binary = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        if in_ci:
            pytest.fail("chromium/chromedriver missing: scripts/install-browser.sh installs them")
        pytest.skip("chromium/chromedriver are not installed (scripts/install-browser.sh)")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


# A script run in the page once it has loaded: what did not arrive.
MISSING_ASSETS = """
const missing = [];
for (const img of document.images) {
  if (!img.complete || img.naturalWidth === 0) missing.push('image ' + img.src);
}
for (const link of document.querySelectorAll('link[rel=stylesheet]')) {
  if (!link.sheet) missing.push('stylesheet ' + link.href);
}
for (const entry of performance.getEntriesByType('resource')) {
  if (entry.responseStatus !== undefined && entry.responseStatus >= 400)
    missing.push(entry.responseStatus + ' ' + entry.name);
}
return missing;
"""


@pytest.mark.parametrize("page", ["index.html", "sqlite.html", "benchmarks.html"])
def test_the_page_renders_in_a_browser(browser: object, served_site: str, page: str) -> None:
    driver: object = browser
    driver.get(f"{served_site}/{page}")  # type: ignore[attr-defined]
    driver.execute_script(  # type: ignore[attr-defined]
        "return new Promise(done => document.readyState === 'complete' ? done() "
        ": addEventListener('load', () => done()))"
    )
    # Images below the fold load lazily; bring each into view first.
    driver.execute_script(  # type: ignore[attr-defined]
        "for (const img of document.images) { img.loading = 'eager'; }"
        "return Promise.all([...document.images].map(img => img.decode().catch(() => null)))"
    )
    errors = [
        entry["message"]
        for entry in driver.get_log("browser")  # type: ignore[attr-defined]
        if entry["level"] == "SEVERE"
    ]
    assert not errors, f"console errors on {page}: {errors}"
    missing = driver.execute_script(MISSING_ASSETS)  # type: ignore[attr-defined]
    assert not missing, f"missing assets on {page}: {missing}"
    # The theme's styles applied: the sidebar lays out beside the content.
    title = driver.title  # type: ignore[attr-defined]
    assert "aioxide" in title
    width = driver.execute_script(  # type: ignore[attr-defined]
        "return document.querySelector('.sidebar-drawer').getBoundingClientRect().width"
    )
    assert width > 100
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / page.replace(".html", ".png")))  # type: ignore[attr-defined]
