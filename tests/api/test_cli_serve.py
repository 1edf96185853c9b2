"""``jiuzhu token`` and ``jiuzhu serve`` as a user runs them: real processes, real port."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from helpers import Org
from http_support import clean_env, running_serve

from jiuzhu import CaseService


def jiuzhu_cli(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jiuzhu.cli", *args], capture_output=True,
                          text=True, env=clean_env(JIUZHU_DATABASE_URL=db), timeout=120,
                          check=False)  # fmt: skip


@pytest.fixture
def server(db_url: str, org: Org) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with running_serve(["--db", db_url, "--with-worker", "--log-level", "warning"],
                       clean_env()) as running:  # fmt: skip
        yield running


def test_token_made_on_the_command_line_works_over_http_until_revoked(
    svc: CaseService, org: Org, db_url: str, server: tuple[str, subprocess.Popen[str]]
) -> None:
    base, process = server
    made = jiuzhu_cli("token", "create", "--role", "county", "--org", org.county.org,
                      "--expires", "30d", "--note", "county back end", "--json", db=db_url)  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)
    assert (token["role"], token["org"], token["status"]) == ("county", "320922", "active")
    auth = {"Authorization": f"Bearer {token['token']}"}
    assert httpx.get(f"{base}/cases", headers=auth).status_code == 200
    listed = jiuzhu_cli("token", "list", "--json", db=db_url)
    assert [t["id"] for t in json.loads(listed.stdout)] == [token["id"]]
    assert token["token"] not in listed.stdout
    assert jiuzhu_cli("token", "revoke", token["id"], db=db_url).returncode == 0
    assert httpx.get(f"{base}/cases", headers=auth).status_code == 401
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert "stopped:" in output  # the deadline worker was stopped, not killed


def test_token_create_refuses_an_unknown_unit_in_both_languages(sqlite_url: str) -> None:
    result = jiuzhu_cli("token", "create", "--role", "village", "--org", "999999999999",
                        db=sqlite_url)  # fmt: skip
    assert result.returncode == 4 and "Error [not_found]" in result.stderr
    assert "not found" in result.stderr and "未找到单位" in result.stderr
    assert "Traceback" not in result.stderr
