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


def test_served_responses_carry_no_server_banner_and_the_log_no_token(
    db_url: str, org: Org
) -> None:
    """A token sent in the query string is refused, and uvicorn's access log shows it redacted."""
    made = jiuzhu_cli("token", "create", "--role", "county", "--org", org.county.org, "--json",
                      db=db_url)  # fmt: skip
    secret = json.loads(made.stdout)["token"]
    with running_serve(["--db", db_url, "--log-level", "info"], clean_env()) as (base, process):
        answers = [httpx.get(f"{base}/cases", params={name: secret})
                   for name in ("token", "access_token", "Access-Token")]  # fmt: skip
        good = httpx.get(f"{base}/cases", headers={"Authorization": f"Bearer {secret}"})
        process.send_signal(signal.SIGTERM)
        log, _ = process.communicate(timeout=60)
    for answer in answers:
        assert answer.status_code == 401
        assert (
            "Authorization" in answer.json()["detail"] and "请求头" in answer.json()["message_zh"]
        )
    assert good.status_code == 200
    for response in (*answers, good):
        assert "server" not in response.headers
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "GET /cases?token=[redacted]" in log and "access_token=[redacted]" in log
    assert secret not in log and secret.split("_", 2)[2] not in log  # the secret may hold "_"


def test_json_log_lines_carry_the_request_id_the_caller_sent_or_a_new_one(
    db_url: str, org: Org
) -> None:
    args = ["--db", db_url, "--log-level", "info", "--log-format", "json"]
    with running_serve(args, clean_env()) as (base, process):
        given = httpx.get(f"{base}/cases", headers={"X-Request-Id": "trace-42"})
        odd = httpx.get(f"{base}/cases", headers={"X-Request-Id": "no spaces allowed"})
        process.send_signal(signal.SIGTERM)
        log, _ = process.communicate(timeout=60)
    assert given.status_code == 401 and given.headers["x-request-id"] == "trace-42"
    made = odd.headers["x-request-id"]
    assert len(made) == 32 and int(made, 16) >= 0  # a new id for one that is not a plain token
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = {line["request_id"]: line for line in lines if line["name"] == "uvicorn.access"}
    assert '"GET /cases HTTP/1.1" 401' in access["trace-42"]["message"]
    assert made in access and access["trace-42"]["levelname"] == "INFO"
    assert {"time", "levelname", "name", "request_id", "message"} <= set(access[made])
    started = [line for line in lines if "Application startup complete" in line["message"]]
    assert started and started[0]["request_id"] == "-"  # outside any request


def test_token_lifetime_is_capped_and_the_cap_stated_in_help(sqlite_url: str) -> None:
    helped = jiuzhu_cli("token", "create", "--help", db=sqlite_url)
    assert "365" in helped.stdout and "90d" in helped.stdout
    result = jiuzhu_cli("token", "create", "--role", "county", "--org", "320922", "--expires",
                        "99999w", db=sqlite_url)  # fmt: skip
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "at most 365 days" in result.stderr and "最长 365 天" in result.stderr
