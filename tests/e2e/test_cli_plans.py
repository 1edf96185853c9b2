"""``jiuzhu plan`` and ``jiuzhu deadlines`` through the real console program.

The plan commands run at the simulated time of ``cli_support`` (from the seed's day, 2024-03-15
10:00 in Shanghai).  The deadline lists need deadlines that fell due: that history is written
in-process on a clock set 50 days back, and ``jiuzhu worker --once`` then catches up on
everything that fell due meanwhile -- exactly what a worker does after a downtime.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cli_support import COUNTY, TOWNSHIP, VILLAGE, Binhai, Cli, apply
from helpers import case_in, make_county
from test_cli_cases import assert_refused, snapshot
from typer.testing import CliRunner

import jiuzhu
from jiuzhu import FakeClock
from jiuzhu.cli import app

CLEANING = ("--kind", "cleaning", "--provider-name", "暖心洁家",
            "--cron", "day=1,8,15,22 hour=9")  # fmt: skip


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_plan_lifecycle_opens_visits_suspends_resumes_and_ends_with_json_output(
    cli: Cli, binhai: Binhai
) -> None:
    case_id = binhai.approved_case
    opened = cli.json("plan", "open", case_id, *TOWNSHIP, *CLEANING)
    plan, plan_id = opened["plan"], opened["plan"]["plan_id"]
    assert (plan["kind"], plan["provider"], plan["state"], plan["n"]) == (
        "cleaning", {"name": "暖心洁家"}, "active", 1)  # fmt: skip
    assert plan["recurrence"] == {"type": "cron", "day": "1,8,15,22", "hour": 9}
    first = utc(plan["scheduled_at"])
    assert first == datetime(2024, 3, 22, 1, 0, tzinfo=UTC)  # opened on the 15th after 09:00
    due = opened["case"]["deadlines"][f"visit_due/{plan_id}"]
    assert utc(due) == first + timedelta(hours=24)

    visited = cli.json("plan", "visit", case_id, *VILLAGE, "--plan", plan_id,
                       "--what", "打扫卫生、整理房间", "--notes", "家属在家")  # fmt: skip
    assert (visited["plan"]["done"], visited["plan"]["n"]) == (1, 2)
    assert utc(visited["plan"]["scheduled_at"]) > first

    listed = cli.ok("plan", "list", case_id, *VILLAGE).stdout
    for text in (plan_id, "清洁照料", "cleaning and care", "暖心洁家", "服务中", "active"):
        assert text in listed
    assert cli.json("plan", "list", case_id, *COUNTY) == [visited["plan"]]

    suspended = cli.json("plan", "suspend", case_id, *TOWNSHIP, "--plan", plan_id,
                         "--reason", "住院治疗")  # fmt: skip
    assert (suspended["plan"]["state"], suspended["plan"]["scheduled_at"]) == ("suspended", None)
    assert f"visit_due/{plan_id}" not in suspended["case"]["deadlines"]
    resumed = cli.json("plan", "resume", case_id, *TOWNSHIP, "--plan", plan_id)
    assert resumed["plan"]["state"] == "active" and resumed["plan"]["scheduled_at"] is not None
    ended = cli.json("plan", "end", case_id, *TOWNSHIP, "--plan", plan_id, "--reason", "服务期满")
    assert (ended["plan"]["state"], ended["plan"]["done"]) == ("ended", 1)
    assert list(ended["case"]["deadlines"]) == ["allowance_due", "verification_due"]

    history = cli.json("case", "history", case_id, *COUNTY)
    assert [e["type"] for e in history][4:] == [
        "plan.open", "plan.visit", "plan.suspend", "plan.resume", "plan.end"]  # fmt: skip
    assert history[5]["payload"]["what"] == "打扫卫生、整理房间"


def test_plan_open_reads_times_without_offset_as_shanghai_time(cli: Cli, binhai: Binhai) -> None:
    result = cli.ok("plan", "open", binhai.approved_case, *VILLAGE, "--kind", "home_visit",
                    "--provider-org", "320922100001", "--every-days", "2",
                    "--starts", "2030-01-01T15:00", "--grace-hours", "12")  # fmt: skip
    assert "上门探访 home visit" in result.stdout and "every 2 days" in result.stdout
    assert "2030-01-01 15:00" in result.stdout  # shown in Shanghai time, as given
    plan = cli.json("plan", "list", binhai.approved_case, *VILLAGE)[0]
    assert plan["recurrence"] == {"type": "interval", "days": 2}
    assert plan["provider"] == {"org": "320922100001"}
    assert plan["scheduled_at"] == "2030-01-01T07:00:00.000000Z"


def past_history(cli: Cli, days_ago: float) -> tuple[str, str]:
    """An approved case with a visit every other day, both started ``days_ago`` and never done.

    Written in-process on a clock that long ago (the CLI would stamp them now); returns
    (case id, plan id).
    """
    assert cli.now is not None
    start = cli.now - timedelta(days=days_ago)
    # without the monthly payment run: this history is about visits and the overdue check
    svc = jiuzhu.connect(str(cli.db), clock=FakeClock(start), policy={"monthly_payments": False})
    try:
        org = make_county(svc)
        case = case_in(svc, org, "provisionally_approved")
        view = svc.open_service_plan(org.village, case.id, kind="home_visit",
                                     provider={"org": org.village.org},
                                     recurrence={"type": "interval", "days": 2})  # fmt: skip
    finally:
        svc.close()
    return case.id, next(iter(view.facts["plans"]))


def test_deadlines_lists_show_what_the_worker_caught_up_on(cli: Cli) -> None:
    case_id, plan_id = past_history(cli, days_ago=50.05)
    report = json.loads(cli.ok("worker", "--once").stdout.splitlines()[-1])
    # occurrences at day 0, 2, ..., 48 passed their 24 hours of grace; plus the overdue check
    assert (report["fired"], report["failed"]) == (25 + 1, 0)

    overdue = cli.json("deadlines", "overdue", *COUNTY)
    assert [(o["case_id"], o["reminders"]) for o in overdue] == [(case_id, 0)]
    assert 18.5 < overdue[0]["late_days"] < 22.5  # 50 days minus a calendar month
    shown = cli.ok("deadlines", "overdue", *TOWNSHIP).stdout
    assert "核对逾期" in shown and "overdue verifications (1)" in shown and case_id in shown

    missed = cli.json("deadlines", "missed", *COUNTY)
    assert len(missed) == 25
    assert {(m["case_id"], m["plan_id"], m["service"]) for m in missed} == {
        (case_id, plan_id, "home_visit")}  # fmt: skip
    dues = [utc(m["due_at"]) for m in missed]
    assert all(b - a == timedelta(days=2) for a, b in zip(dues, dues[1:], strict=False))
    assert cli.json("plan", "missed", "--case", case_id, *VILLAGE) == missed
    assert "漏访 missed visits (25)" in cli.ok("deadlines", "missed", *TOWNSHIP).stdout
    plan = cli.json("plan", "list", case_id, *VILLAGE)[0]
    assert (plan["missed"], plan["done"], plan["n"]) == (25, 0, 26)

    cli.ok("case", "verify", case_id, *COUNTY, "--result", "meets_standard")
    assert cli.json("deadlines", "overdue", *COUNTY) == []


def test_a_long_deadline_list_is_cut_at_the_limit_with_a_line_saying_so(cli: Cli) -> None:
    past_history(cli, days_ago=12.05)  # visits on days 0, 2, ..., 10 missed: six
    cli.ok("worker", "--once")
    table = cli.ok("deadlines", "missed", *COUNTY, "--limit", "4").stdout
    assert "漏访 missed visits (6)" in table and table.count("home visit") == 4
    assert "showing 4 of 6; use --limit" in table and "显示 4 条，共 6 条" in table
    cut = cli.ok("plan", "missed", *COUNTY, "--limit", "4", "--json")
    assert len(json.loads(cut.stdout)) == 4 and "showing 4 of 6" in cut.stderr
    whole = cli.ok("deadlines", "missed", *COUNTY)  # the default limit, 50, cuts nothing
    assert whole.stdout.count("home visit") == 6 and "showing" not in whole.stdout
    for bad in ("0", "-1"):
        refused = cli("deadlines", "missed", *COUNTY, "--limit", bad)
        assert refused.returncode == 2 and "--limit" in refused.stderr
        assert "Traceback" not in refused.stderr


OPEN = ("plan", "open", "{case}", *TOWNSHIP)


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        ((*OPEN, "--provider-name", "暖心洁家", "--every-days", "2"), "请用 --kind",
         "give the service with --kind"),
        ((*OPEN, *CLEANING, "--every-days", "2"), "服务频次", "not both"),
        ((*OPEN, "--kind", "cleaning", "--provider-name", "x", "--cron", "day:1"),
         "格式不正确", "expected fields such as"),
        ((*OPEN, *CLEANING, "--starts", "next monday"), "不是有效时间", "is not a date-time"),
        (("plan", "visit", "{case}", *VILLAGE, "--plan", "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d",
          "--what", "打扫"), "没有服务计划", "has no service plan"),
        (("plan", "end", "{case}", *TOWNSHIP, "--plan", "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d"),
         "请用 --reason", "give the reason with --reason"),
    ],
    ids=["no-kind", "two-recurrences", "malformed-cron", "bad-start", "unknown-plan",
         "end-without-reason"],
)  # fmt: skip
def test_invalid_plan_input_exits_4_in_both_languages_and_writes_nothing(
    cli: Cli, binhai: Binhai, args: tuple[str, ...], zh: str, en: str
) -> None:
    before = snapshot(cli.db)
    result = cli(*(a.format(case=binhai.approved_case) for a in args))
    assert_refused(result, 4, "invalid_input", zh, en)
    assert snapshot(cli.db) == before


def test_plan_open_on_a_case_not_yet_approved_is_refused_by_the_rule(
    cli: Cli, binhai: Binhai
) -> None:
    applied = apply(cli, binhai)["id"]
    before = snapshot(cli.db)
    result = cli("plan", "open", applied, *TOWNSHIP, *CLEANING)
    assert_refused(result, 5, "rule_refused", "救助开始后方可设立服务计划",
                   "service plans start once assistance has started")  # fmt: skip
    assert snapshot(cli.db) == before


HELP: dict[tuple[str, ...], str] = {
    ("plan",): "服务计划",
    ("plan", "open"): "设立服务计划",
    ("plan", "visit"): "记录服务",
    ("plan", "suspend"): "暂停服务计划",
    ("plan", "resume"): "恢复服务计划",
    ("plan", "end"): "结束服务计划",
    ("plan", "list"): "服务计划列表",
    ("plan", "missed"): "漏访",
    ("deadlines",): "期限",
    ("deadlines", "overdue"): "核对逾期",
    ("deadlines", "missed"): "漏访",
}


@pytest.mark.parametrize("command", list(HELP), ids=" ".join)
def test_help_of_plan_and_deadline_commands_names_them_in_english_and_chinese(
    command: tuple[str, ...],
) -> None:
    result: Any = CliRunner().invoke(app, [*command, "--help"], prog_name="jiuzhu",
                                     terminal_width=200)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Usage: jiuzhu {' '.join(command)}" in result.output
    assert HELP[command] in result.output
