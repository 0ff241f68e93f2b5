"""Browser tests of the portal: real headless Chromium (Debian's package) driven by Playwright.

Never ``playwright install``: the browser is the system's ``/usr/bin/chromium``. Without it
every test here is skipped, saying so. Screenshots go to ``test-artifacts/portal/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.browser.fixtures import ARTIFACTS, portal_url

__all__ = ["portal_url"]  # a fixture, imported for pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the browser tests, with the reason, when the system Chromium is missing."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator:
    """One headless Chromium for the session."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
async def new_page(browser, portal_url: str):
    """Factory: a page in a fresh browser context (own cookies), English unless told."""
    contexts = []

    async def make(locale: str = "en-US"):
        context = await browser.new_context(base_url=portal_url, locale=locale,
                                            viewport={"width": 1280, "height": 900},
                                            accept_downloads=True)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return await context.new_page()

    yield make
    for context in contexts:
        await context.close()
