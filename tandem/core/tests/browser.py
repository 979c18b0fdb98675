"""Fixtures for browser journeys: the system Chromium driven by Playwright, axe-core on each page.

A journey module imports `browser` and `visitor`. A `Visitor` is one person's browser (their own
cookies); every page it lands on must be checked with `visitor.check_page()`, which runs axe-core
and fails on a serious or critical violation. A page left unchecked fails the test at teardown,
so that "axe reports no violation on the pages visited" cannot silently skip a page.

Every page also runs under the site's Content-Security-Policy, and `check_page()` fails when the
browser blocked something on it (an inline script or style, a handler, a foreign resource): the
journeys prove the policy and the pages agree.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Frame,
    Page,
    expect,
    sync_playwright,
)

# `playwright install` cannot download here; CI installs the system package (apt-get install
# chromium) and so do developers. TANDEM_CHROMIUM points elsewhere if theirs lives elsewhere.
CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}
# Generous waits: CI machines and `pytest -n 2` share two cores with the live server.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)
_axe = Axe()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module (per xdist worker)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Browser journeys need Chromium at {CHROMIUM}, which is missing. Install it with "
            "`apt-get install -y chromium` (as .ci/run does) or set TANDEM_CHROMIUM to its path.",
            pytrace=False,
        )
    # Playwright's sync API keeps an asyncio loop running in this thread, which makes Django
    # refuse ORM calls from it. The journeys' ORM calls are plain synchronous code, so lift the
    # guard while the browser lives, and only then: other tests keep Django's check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


_STYLESHEET_LOADED = """() => [...document.styleSheets].some(sheet => {
    try { return sheet.cssRules.length > 0; } catch (error) { return false; }
})"""


# Runs before any script of every page: the browser reports each violation of the policy as a
# `securitypolicyviolation` event; keep them on the window for `check_page()` to read.
_CSP_LISTENER = """(() => {
    window.__tandemCspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
        window.__tandemCspViolations.push({
            directive: event.effectiveDirective || event.violatedDirective,
            blocked: event.blockedURI,
            source: event.sourceFile,
            line: event.lineNumber,
            sample: event.sample,
        });
    });
})();"""
_CSP_VIOLATIONS = "() => window.__tandemCspViolations || []"


@dataclass
class Visit:
    url: str
    checked: bool = False


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core: {len(violations)} serious or critical violation(s) on {url}"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  * {', '.join(str(t) for t in node['target'])}")
            lines.append(f"    {node['html'][:200]}")
            for summary_line in node.get("failureSummary", "").splitlines():
                lines.append(f"      {summary_line}")
    return "\n".join(lines)


def format_csp_violations(url: str, violations: list[dict], console: list[str]) -> str:
    lines = [f"Content-Security-Policy: {len(violations) or len(console)} violation(s) on {url}"]
    for violation in violations:
        where = f" in {violation['source']}:{violation['line']}" if violation.get("source") else ""
        sample = f" ({violation['sample']})" if violation.get("sample") else ""
        blocked = violation["blocked"] or "(unknown)"
        lines.append(f"- {violation['directive']} blocked {blocked}{where}{sample}")
    lines.extend(f"- console: {message}" for message in console)
    return "\n".join(lines)


@dataclass
class Visitor:
    """A person at their browser: a page in its own context, and the pages it has landed on."""

    name: str
    page: Page
    base_url: str
    visits: list[Visit] = field(default_factory=list)
    csp_console: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("framenavigated", self._navigated)
        self.page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        # Chromium also logs each blocked resource: "Refused to … Content Security Policy …".
        if "Content Security Policy" in message.text:
            self.csp_console.append(message.text)

    def _navigated(self, frame: Frame) -> None:
        if frame != self.page.main_frame:
            return
        # A jump to an anchor of the same page (the skip link) is not a new page.
        previous = urldefrag(self.visits[-1].url).url if self.visits else None
        if urldefrag(frame.url).fragment and urldefrag(frame.url).url == previous:
            return
        self.visits.append(Visit(frame.url))

    def open(self, path: str) -> None:
        self.page.goto(path if path.startswith("http") else self.base_url + path)

    def check_page(self) -> None:
        """Run axe-core on the page as it is now; fail on any serious or critical violation."""
        self.page.wait_for_load_state("load")
        url = self.page.url
        # Contrast and focus are judged on the styled page: a stylesheet that failed to load
        # would let axe pass default black-on-white.
        styled = self.page.evaluate(_STYLESHEET_LOADED)
        assert styled, f"no stylesheet with rules on {url}"
        results = _axe.run(self.page)
        blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if self.visits:
            self.visits[-1].checked = True
        self.check_csp()
        if blocking:
            pytest.fail(format_violations(url, blocking), pytrace=False)

    def check_csp(self) -> None:
        """Fail if the browser blocked anything under the Content-Security-Policy on this page
        (or logged a violation since the last check)."""
        violations = self.page.evaluate(_CSP_VIOLATIONS)
        console, self.csp_console = self.csp_console, []
        if violations or console:
            pytest.fail(format_csp_violations(self.page.url, violations, console), pytrace=False)

    def unchecked_pages(self) -> list[str]:
        return [visit.url for visit in self.visits if not visit.checked]


@pytest.fixture
def visitor(browser: Browser, live_server) -> Iterator[Callable[[str], Visitor]]:
    """Make a `Visitor` per person; each has a fresh context (no shared cookies)."""
    contexts: list[BrowserContext] = []
    visitors: list[Visitor] = []

    def make(name: str, timezone_id: str | None = None) -> Visitor:
        # `timezone_id`: the zone the browser says it is in (the machine's own by default).
        context = browser.new_context(
            base_url=live_server.url, locale="en-GB", timezone_id=timezone_id
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(script=_CSP_LISTENER)
        contexts.append(context)
        person = Visitor(name=name, page=context.new_page(), base_url=live_server.url)
        visitors.append(person)
        return person

    yield make
    unchecked = {v.name: v.unchecked_pages() for v in visitors if v.unchecked_pages()}
    for context in contexts:
        context.close()
    if unchecked:
        pytest.fail(f"Pages visited but never checked with axe-core: {unchecked}", pytrace=False)
