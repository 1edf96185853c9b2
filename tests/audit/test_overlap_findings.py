"""The audit surfaces an allowance withheld because another case of the household was paid that
month (``overlap_withheld``): from the events alone, by the library, in the findings summary,
in ``jiuzhu audit findings`` and over HTTP ``GET /findings``; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import Org, case_in, fire, make_household
from typer.testing import CliRunner

from jiuzhu import CaseService, FakeClock
from jiuzhu.api import create_app, tokens
from jiuzhu.audit.findings import LABELS, database_findings
from jiuzhu.cli import output
from jiuzhu.cli.program import app
from jiuzhu.scheduler.sweep import sweep

KIND = "overlap_withheld"


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def withheld(svc: CaseService, clock: FakeClock) -> list[tuple[str, int, str, int | None]]:
    return [(f.case_id, f.seq, f.detail, f.amount_fen)
            for f in database_findings(svc.engine, now=clock.now()) if f.code == KIND]  # fmt: skip


def two_cases(svc: CaseService, org: Org, clock: FakeClock) -> tuple[Any, Any]:
    """Two approved cases of one household, March and April paid to the first only."""
    home = make_household(svc, org.village, 2)
    first = case_in(svc, org, "provisionally_approved", household=home)
    second = case_in(svc, org, "provisionally_approved", household=home,
                     applicant_id=home.member_ids[1])  # fmt: skip
    clock.set(shanghai(2024, 4, 15))
    sweep(svc, worker="test", now=clock.now())
    return first, second


def test_each_month_withheld_for_another_case_is_a_finding_naming_it(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    first, second = two_cases(svc, org, clock)
    found = withheld(svc, clock)
    assert [(c, d, fen) for c, _, d, fen in found] == [
        (second.id, f"allowance for 2024-03 withheld: the household was paid it under case "
         f"{first.id}", 200_000),
        (second.id, f"allowance for 2024-04 withheld: the household was paid it under case "
         f"{first.id}", 200_000),
    ]  # fmt: skip
    page = svc.findings(org.auditor, kind=KIND)
    assert page.total == 2
    assert {(i["kind_zh"], i["kind_en"]) for i in page.items} == {
        ("同户他案已发放当月救助金", "allowance withheld: paid under another case")}  # fmt: skip
    assert {i["case_no"] for i in page.items} == {second.case_no}
    summary = [s for s in svc.findings_summary(org.county) if s["kind"] == KIND]
    assert [(s["unit_id"], s["count"], s["kind_zh"]) for s in summary] == [
        (org.township.org, 2, "同户他案已发放当月救助金")]  # fmt: skip


@pytest.mark.policy(suspend_when_overdue=True)
def test_arrears_left_out_of_a_late_verification_are_a_finding(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    home = make_household(svc, org.village, 2)
    first = case_in(svc, org, "provisionally_approved", household=home)
    clock.set(shanghai(2024, 5, 20))
    sweep(svc, worker="test", now=clock.now())  # March, April paid; May withheld (overdue)
    second = case_in(svc, org, "provisionally_approved", household=home,
                     applicant_id=home.member_ids[1])  # fmt: skip
    clock.set(shanghai(2024, 5, 20, 1))
    sweep(svc, worker="test", now=clock.now())  # May paid to the second case
    assert withheld(svc, clock) == []
    verified = fire(svc, org, svc.get_case(org.county, first.id), "verify")
    [(case_id, seq, detail, fen)] = withheld(svc, clock)
    assert (case_id, seq, fen) == (first.id, verified.last_seq, 200_000)
    assert detail.endswith(f"2024-05 withheld: the household was paid it under case {second.id}")


def test_the_cli_and_http_list_the_finding_with_its_label(
    db_url: str, svc: CaseService, org: Org, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_cases(svc, org, clock)
    for name in ("JIUZHU_SIMULATED_TIME", "JIUZHU_DATABASE_URL", "JIUZHU_ROLE", "JIUZHU_ORG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    output.out.cache_clear()
    try:
        runner = CliRunner()
        shown = runner.invoke(app, ["audit", "findings", "--db", db_url, "--now",
                                    "2024-04-16T00:00:00Z", "--json"], prog_name="jiuzhu")  # fmt: skip
        assert shown.exit_code == 0, shown.output
        listed = [f for f in json.loads(shown.stdout) if f["code"] == KIND]
        assert [f["case_id"] for f in listed] == [second.id, second.id]
        table = runner.invoke(app, ["audit", "findings", "--db", db_url, "--now",
                                    "2024-04-16T00:00:00Z"], prog_name="jiuzhu")  # fmt: skip
        assert table.exit_code == 0 and "同户他案已发放当月救助金" in table.stdout
    finally:
        output.out.cache_clear()
    _, token = tokens.create_token(svc.engine, clock, role="auditor", org=org.auditor.org)
    with TestClient(create_app(svc)) as http:
        answer = http.get("/findings", params={"kind": KIND},
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 2 and {i["kind"] for i in body["items"]} == {KIND}
    assert LABELS[KIND].startswith(body["items"][0]["kind_zh"])
    assert first.id in body["items"][0]["detail"]
