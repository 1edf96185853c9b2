"""``jiuzhu serve`` and the command line decide by the same policy file.

A real ``jiuzhu serve`` process on loopback is given a policy file (by ``$JIUZHU_POLICY_FILE``
or ``--policy``) with a dibao line for Yancheng 3209, which the built-in book lacks; a
temporary-assistance grant approved over HTTP and one approved through the CLI with the same
file both come to multiplier x that line, and without the file the CLI refuses the city.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import Org, make_household
from http_support import clean_env, running_serve

from jiuzhu import Actor, CaseService, FakeClock
from jiuzhu.api import tokens

POLICY = {"dibao_lines": {"3209": [{"from": "2020-01-01", "yuan": "777",
                                    "source": "configuration (no source known)"}]}}  # fmt: skip
LINE_FEN = 77_700


def jiuzhu_cli(*args: str, db: str, policy: Path | None) -> subprocess.CompletedProcess[str]:
    env = clean_env(JIUZHU_DATABASE_URL=db)
    if policy is not None:
        env["JIUZHU_POLICY_FILE"] = str(policy)
    return subprocess.run([sys.executable, "-m", "jiuzhu.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)  # fmt: skip


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "yancheng.json"
    path.write_text(json.dumps(POLICY), encoding="utf-8")
    return path


@pytest.fixture(params=["environment", "option"])
def server(request: pytest.FixtureRequest, db_url: str, org: Org,
           policy_file: Path) -> Iterator[str]:  # fmt: skip
    args = ["--db", db_url, "--log-level", "warning"]
    env = clean_env()
    if request.param == "environment":
        env["JIUZHU_POLICY_FILE"] = str(policy_file)
    else:
        args += ["--policy", str(policy_file)]
    with running_serve(args, env) as (base, _):
        yield base


def test_serve_and_the_cli_grant_by_the_policy_files_dibao_line(
    svc: CaseService, org: Org, clock: FakeClock, db_url: str, policy_file: Path, server: str
) -> None:
    def bearer(actor: Actor) -> dict[str, str]:
        _, text = tokens.create_token(svc.engine, clock, role=actor.role.value, org=actor.org)
        return {"Authorization": f"Bearer {text}"}

    village, township = bearer(org.village), bearer(org.township)
    over_http = make_household(svc, org.village, size=2)
    with httpx.Client(base_url=server, timeout=30) as http:
        opened = http.post("/cases/temporary", headers=village, json={
            "household_id": over_http.id, "applicant_id": over_http.member_ids[0]})  # fmt: skip
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["id"]
        assert opened.json()["facts"]["policy"]["dibao_line_fen"] == LINE_FEN
        assessed = http.post(f"/cases/{case_id}/assess-temporary", headers=village,
                             json={"sudden_event": "火灾，消防部门证明"})  # fmt: skip
        assert assessed.status_code == 200, assessed.text
        approved = http.post(f"/cases/{case_id}/decide-temporary", headers=township,
                             json={"decision": "approve", "multiplier": 3})  # fmt: skip
        assert approved.status_code == 200, approved.text
    http_grant = approved.json()["facts"]["grant"]
    assert http_grant["total_fen"] == 3 * LINE_FEN * 2

    through_cli = make_household(svc, org.village, size=2)
    at_village = ("--role", "village", "--org", org.village.org, "--json")
    at_township = ("--role", "township", "--org", org.township.org, "--json")
    refused = jiuzhu_cli("temporary", "apply", "--household", through_cli.id, "--applicant",
                         through_cli.member_ids[0], *at_village, db=db_url, policy=None)  # fmt: skip
    assert refused.returncode != 0
    assert "no dibao line is configured for city 3209" in refused.stderr
    cli_run = [
        ("temporary", "apply", "--household", through_cli.id, "--applicant",
         through_cli.member_ids[0], *at_village),
        ("temporary", "assess", "{case}", "--sudden-event", "火灾，消防部门证明", *at_village),
        ("temporary", "approve", "{case}", "--multiplier", "3", *at_township),
    ]  # fmt: skip
    case = ""
    for args in cli_run:
        done = jiuzhu_cli(*(a.replace("{case}", case) for a in args), db=db_url,
                          policy=policy_file)  # fmt: skip
        assert done.returncode == 0, done.stderr
        case = json.loads(done.stdout)["id"]
    cli_grant = svc.get_case(org.county, case).facts["grant"]
    assert cli_grant["total_fen"] == http_grant["total_fen"]
    assert cli_grant["policy"]["dibao_line_fen"] == http_grant["policy"]["dibao_line_fen"]
    assert http_grant["policy"]["line_source"] == "configuration (no source known)"


@pytest.mark.parametrize("command", [("serve", "--port", "0"), ("worker", "--once")])
def test_serve_and_worker_refuse_a_malformed_policy_file_before_starting(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"dibao_lines": {"3209": [{"from": "2024-01-01", "yuan": 700}]}}',
                   encoding="utf-8")  # fmt: skip
    db = tmp_path / "never.db"
    done = subprocess.run([sys.executable, "-m", "jiuzhu.cli", *command, "--db", str(db),
                           "--policy", str(bad)], capture_output=True, text=True,
                          env=clean_env(), timeout=120, check=False)  # fmt: skip
    assert done.returncode != 0
    assert 'dibao_lines.3209[0].yuan: expected a yuan amount as text such as "700"' in done.stderr
    assert "低保标准应写成文字形式的金额" in done.stderr
    assert "Traceback" not in done.stderr
    assert not db.exists()  # refused before anything was opened
