"""The web front under test: a real uvicorn server on a loopback port and Debian's chromium.

One server runs for the session (in a thread), serving ``create_app`` with ``mount`` applied;
each test points it at its own service (a fresh SQLite database on the test's ``FakeClock``)
with the county of ``helpers.make_county`` and one person per role.  The browser is
Playwright's sync API driving ``/usr/bin/chromium``; when chromium or Playwright is missing the
tests are skipped with the reason -- except when ``$CI`` is set, where they fail.

Nothing here sleeps for the application: tests wait on conditions of the page (``expect``,
``wait_for_url``).  Screenshots go to ``test-artifacts/web/`` (git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from helpers import make_county, served
from web_support import CHROMIUM, CHROMIUM_ARGS, PASSWORD, PEOPLE, Site

import jiuzhu
from jiuzhu import CaseService, FakeClock
from jiuzhu.api import create_app
from jiuzhu.web import mount


def _unavailable(reason: str) -> None:
    message = f"the browser tests need chromium and Playwright: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set: browser tests may not be skipped)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """The pages are the same on either engine: the web tests run on SQLite only."""
    return sqlite_url


@dataclass
class LiveServer:
    app: Any
    base_url: str


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    placeholder = jiuzhu.connect(f"sqlite:///{tmp_path_factory.mktemp('web') / 'idle.db'}")
    app = create_app(placeholder)
    mount(app, placeholder)
    try:
        with served(app, "web-test-server") as base_url:
            yield LiveServer(app, base_url)
    finally:
        placeholder.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc})")
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(
    web_server: LiveServer, svc: CaseService, clock: FakeClock, browser: Any
) -> Iterator[Site]:
    org = make_county(svc)
    for user, (role, where, name) in PEOPLE.items():
        actor = getattr(org, where)
        svc.create_user(org.admin, username=user, password=PASSWORD, role=role, org=actor.org,
                        display_name=name)  # fmt: skip
    web_server.app.state.web.service = svc
    web_server.app.state.backend.service = svc
    yield Site(web_server.base_url, svc, org, clock, browser)
    for context in browser.contexts:
        context.close()
