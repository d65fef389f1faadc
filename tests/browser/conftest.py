"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright cannot download browsers here, so it launches /usr/bin/chromium. Without it the
browser tests are skipped, unless REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


# Playwright's sync API keeps an event loop on the test thread, and Django then refuses the
# ORM calls that browser tests (and their database set-up and flush) make on it. Those calls
# are not async code, so allow them — for the tests in this directory only, from their set-up
# to the end of their teardown: left set, the variable would leak into other tests (it fails
# `check --deploy`, which test_settings runs in a subprocess).
_ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
_saved_async_unsafe: list[str | None] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    _saved_async_unsafe.append(os.environ.get(_ASYNC_UNSAFE))
    os.environ[_ASYNC_UNSAFE] = "true"
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        previous = _saved_async_unsafe.pop() if _saved_async_unsafe else None
        if previous is None:
            os.environ.pop(_ASYNC_UNSAFE, None)
        else:
            os.environ[_ASYNC_UNSAFE] = previous


@pytest.fixture
def page(browser, live_server, django_db_serialized_rollback) -> Iterator:
    """A fresh browser tab whose relative URLs go to the live server.

    The live server needs committed data, so these tests run in transactions that are
    flushed afterwards; serialized rollback restores what migrations put in the database
    (seeded agencies, the clerk group) for the tests that follow.
    """
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
