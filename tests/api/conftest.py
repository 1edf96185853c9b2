"""The HTTP service under test: a real uvicorn server on a loopback port, in this process.

One server runs for the whole session (in a thread).  Each test points it at that test's own
service -- the ``svc`` fixture: a fresh database on SQLite or PostgreSQL, driven by the test's
``FakeClock`` -- so that the server reads and writes exactly the database the test prepared
and inspects.  ``api`` adds the Binhai county of ``helpers.make_county``, a second county, and
one bearer token per actor (made as ``jiuzhu token create`` makes them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from helpers import Org, make_county, served
from http_support import Api

import jiuzhu
from jiuzhu import CaseService, FakeClock
from jiuzhu.api import create_app

OTHER_COUNTY = "320923"


@dataclass
class LiveServer:
    app: Any
    base_url: str


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    placeholder = jiuzhu.connect(f"sqlite:///{tmp_path_factory.mktemp('api') / 'idle.db'}")
    app = create_app(placeholder)
    try:
        with served(app, "api-test-server") as base_url:
            yield LiveServer(app, base_url)
    finally:
        placeholder.close()


@pytest.fixture
def api(live_server: LiveServer, svc: CaseService, org: Org, clock: FakeClock) -> Iterator[Api]:
    live_server.app.state.backend.service = svc
    other = make_county(svc, OTHER_COUNTY)
    with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
        yield Api(http, svc, org, other, clock)
