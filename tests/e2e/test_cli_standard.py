"""``jiuzhu standard``, ``jiuzhu temporary`` and ``jiuzhu policy`` through the real program.

The console program runs at the simulated time of ``cli_support``: from the seed's day,
2024-03-15, inside the years the holiday calendar covers, so that a working-day limit can
always be computed.  History that needs passed limits is written in-process on a clock in
2024, and ``jiuzhu worker --once`` run in November 2026 then fires what fell due, as after a
downtime.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli_support import SEED_DAY, Cli
from helpers import make_county, make_household
from test_cli_cases import assert_refused, snapshot

import jiuzhu
from jiuzhu import FakeClock
from jiuzhu.clock import SHANGHAI, parse_iso_utc

COUNTY = ("--role", "county", "--org", "320104")
TOWNSHIP = ("--role", "township", "--org", "320104100")
VILLAGE = ("--role", "village", "--org", "320104100001")


def set_up_qinhuai(cli: Cli, members: int = 2) -> dict[str, Any]:
    cli.ok("org", "add", "--role", "admin", "--id", "320104", "--name", "秦淮区",
           "--level", "county")  # fmt: skip
    cli.ok("org", "add", *COUNTY, "--id", "320104100", "--name", "夫子庙街道",
           "--level", "township", "--parent", "320104")  # fmt: skip
    cli.ok("org", "add", *COUNTY, "--id", "320104100001", "--name", "贡院社区",
           "--level", "village", "--parent", "320104100")  # fmt: skip
    people = ["居民0101,110105198001010016,head", "居民0102,110105198201010029,spouse",
              "居民0103,110105201501010017,child"][:members]  # fmt: skip
    return cli.json("household", "add", *VILLAGE, *(a for p in people for a in ("--member", p)))  # type: ignore[no-any-return]


def test_temporary_assistance_runs_through_the_cli(cli: Cli) -> None:
    home = set_up_qinhuai(cli)
    case = cli.json("temporary", "apply", *VILLAGE, "--household", home["id"],
                    "--applicant", home["member_ids"][0], "--new-citizen")  # fmt: skip
    assert (case["workflow"], case["state"]) == ("temporary", "applied")
    case_id = case["id"]
    case = cli.json("temporary", "assess", case_id, *VILLAGE, "--income", "1800",
                    "--income-evidence", "六个月工资流水")  # fmt: skip
    assert case["facts"]["assessment"]["conditions"]["income"]["holds"] is True
    before = snapshot(cli.db)
    refused = cli("temporary", "approve", case_id, *TOWNSHIP, "--multiplier", "6")
    assert_refused(refused, 5, "rule_refused", "救助倍数 6 超出", "multiplier 6 is outside 1-5")
    assert snapshot(cli.db) == before
    shown = cli.ok("temporary", "approve", case_id, *TOWNSHIP, "--multiplier", "3",
                   "--in-kind", "1000").stdout  # fmt: skip
    assert "3 × 945.00 × 2 = 5,670.00" in shown and "4,670.00" in shown
    paid = cli.json("temporary", "pay", case_id, *TOWNSHIP)
    assert paid["state"] == "paid" and paid["facts"]["paid"]["cash_fen"] == 467_000
    assert cli.json("temporary", "close", case_id, *TOWNSHIP)["state"] == "closed"
    history = cli.ok("case", "history", case_id, *COUNTY).stdout
    for label in ("“1+4”评估", "批准临时救助", "发放救助（现金和实物）", "已结案"):
        assert label in history
    assert "居民0101" not in history and "110105198001010016" not in history


def test_standard_apply_and_accept_through_the_cli(cli: Cli) -> None:
    home = set_up_qinhuai(cli, members=3)
    case = cli.json("standard", "apply", *VILLAGE, "--household", home["id"],
                    "--applicant", home["member_ids"][0], "--fast-track-expenditure", "12000")  # fmt: skip
    assert (case["workflow"], case["state"], case["expenditure_fen"]) == (
        "standard",
        "applied",
        1_200_000,
    )
    assert case["facts"]["referral"]["reason"] == "below_threshold"
    assert cli.now is not None and cli.now.date() == SEED_DAY.date()  # Friday, 2024-03-15
    accepted = cli.json("standard", "accept", case["id"], *TOWNSHIP)
    assert accepted["state"] == "accepted"
    # 30 working days from Monday 18 March, the Qingming holidays (4-6 April) left out and the
    # make-up Sundays 7 and 28 April counted: the 30th is 28 April; the limit passes at 00:00
    # on the 29th, Shanghai time.
    assert accepted["deadlines"]["overall_limit"] == "2024-04-28T16:00:00.000000Z"
    wrong = cli("standard", "decide", case["id"], *VILLAGE, "--decision", "confirm")
    assert_refused(wrong, 5, "permission_denied", "无权", "may not decide standard")


def history_in_2024(db: Path) -> str:
    """A Qinhuai standard case taken to the county in March 2024, never decided."""
    svc = jiuzhu.connect(str(db), clock=FakeClock(datetime(2024, 3, 15, 2, tzinfo=UTC)))
    try:
        org = make_county(svc, "320104")
        home = make_household(svc, org.village, 3)
        case = svc.apply_standard(org.village, household_id=home.id,
                                  applicant_id=home.member_ids[0])  # fmt: skip
        svc.accept_standard(org.township, case.id)
        svc.start_investigation(org.township, case.id, investigators=["nj-01", "nj-02"])
        svc.complete_investigation(org.township, case.id, household_income="1200",
                                   signed_by=home.member_ids[0], investigators=["nj-01", "nj-02"])  # fmt: skip
        svc.record_check(org.county, case.id, result="meets_standard")
        svc.give_opinion(org.township, case.id, recommend=False, opinion="报县审核")
    finally:
        svc.close()
    return case.id


def test_passed_limits_reach_the_alarm_list_and_the_county_decides(cli: Cli) -> None:
    case_id = history_in_2024(cli.db)
    cli.now = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # the county's next look at it
    assert cli.json("standard", "alarms", *COUNTY) == []
    worker = cli.ok("worker", "--once")
    assert '"fired": 2' in worker.stdout  # the county review limit and the overall limit
    seen_at = cli.now
    alarms = cli.json("standard", "alarms", *COUNTY)
    assert sorted(a["limit"] for a in alarms) == ["overall_limit", "review_due"]
    for alarm in alarms:
        late = (seen_at - parse_iso_utc(alarm["due_at"])).total_seconds() / 86400
        assert alarm["case_id"] == case_id and abs(alarm["late_days"] - late) <= 0.1
    overall = next(a for a in alarms if a["limit"] == "overall_limit")
    assert (overall["due_at"], overall["late_days"]) == ("2024-04-28T16:00:00.000000Z", 917.4)
    table = cli.ok("standard", "alarms", *COUNTY).stdout
    assert "县级审核时限" in table and "总办理时限" in table
    decided = cli.json("standard", "decide", case_id, *COUNTY, "--decision", "confirm")
    assert (decided["state"], decided["monthly_amount_fen"]) == ("confirmed", 163_500)
    assert cli.json("standard", "alarms", *COUNTY) == []
    assert len(cli.json("standard", "alarms", *COUNTY, "--all")) == 2


def test_policy_show_lists_the_sourced_line_and_configured_ones(cli: Cli) -> None:
    shown = cli.ok("policy", "show").stdout
    assert "3201" in shown and "945.00" in shown and "宁民救〔2020〕95号" in shown
    config = cli.cwd / "policy.json"
    config.write_text('{"dibao_lines": {"3209": [{"from": "2024-01-01", "yuan": "800"}]}}',
                      encoding="utf-8")  # fmt: skip
    data = cli.json("policy", "show", "--policy", str(config))
    assert data["dibao_lines"]["3209"][0]["yuan"] == "800.00"
    config.write_text("not json", encoding="utf-8")
    bad = cli("policy", "show", "--policy", str(config))
    assert_refused(bad, 4, "invalid_input", "政策配置不是有效的 JSON", "not valid JSON")
