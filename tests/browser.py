"""Real headless Chromium for page tests: Debian's /usr/bin/chromium driven by Playwright from PyPI.

No tool downloads a browser of its own (`scripts/browser-deps.sh` installs Chromium and the CJK fonts). A test
takes `page` (a fresh context and tab per test) or `browser` (one Chromium per test module) and marks itself
`@pytest.mark.browser`. Screenshots for the docs go through `screenshot(page, name)`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
# The machine's network is closed: without these, Chromium keeps trying Google's hosts at every start.
QUIET_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_args() -> list[str]:
    args = list(QUIET_FLAGS)
    if os.geteuid() == 0:  # Chromium refuses to run its sandbox as root
        args.append("--no-sandbox")
    return args


# One Chromium per module, not per session: Playwright's sync API keeps an event loop running in the thread while
# it is open, and a later test of the same worker that calls asyncio.run() would find it.
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/browser-deps.sh (as root) first")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=chromium_args())
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save the page as docs/screenshots/NAME.png (the README shows these)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
