"""``jiuzhu token`` and ``jiuzhu serve`` as a user runs them: real processes, real port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from helpers import Org

from jiuzhu import CaseService


def jiuzhu_cli(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIUZHU_")}
    env.update(JIUZHU_DATABASE_URL=db, PYTHONUTF8="1")
    return subprocess.run([sys.executable, "-m", "jiuzhu.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(db_url: str, org: Org) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIUZHU_")}
    env["PYTHONUTF8"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "jiuzhu.cli", "serve", "--db", db_url, "--port", str(port),
         "--with-worker", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    while True:  # start-up of a process, not a domain deadline
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() - started < 60, "jiuzhu serve did not start within 60 s"
        time.sleep(0.1)
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


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
