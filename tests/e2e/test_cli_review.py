"""``jiuzhu review open|investigate|opinion|decide`` and ``--category`` through the real program:
a standard case confirmed with members able to work is re-reviewed and its amount changed."""

from __future__ import annotations

from datetime import datetime

from cli_support import Cli
from test_cli_cases import assert_refused, snapshot
from test_cli_standard import COUNTY, TOWNSHIP, VILLAGE, history_in_2024

from jiuzhu.clock import SHANGHAI


def test_a_re_review_runs_through_the_cli_and_changes_the_amount(cli: Cli) -> None:
    case_id = history_in_2024(cli.db)
    cli.now = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    before = snapshot(cli.db)
    refused = cli("standard", "decide", case_id, *COUNTY, "--decision", "confirm",
                  "--category", "rich")  # fmt: skip
    assert_refused(refused, 5, "rule_refused", "家庭类别", "household category")
    assert snapshot(cli.db) == before
    case = cli.json("standard", "decide", case_id, *COUNTY, "--decision", "confirm",
                    "--category", "able_to_work")  # fmt: skip
    assert case["deadlines"]["rereview_due"] == "2027-04-30T16:00:00.000000Z"  # 1 May 2027
    case = cli.json("review", "open", case_id, *TOWNSHIP, "--reason", "家庭成员就业")
    assert case["facts"]["review"]["state"] == "investigating"
    denied = cli("review", "decide", case_id, *VILLAGE, "--outcome", "continue", "--reasons", "x")
    assert denied.returncode != 0 and "Traceback" not in denied.stderr
    cli.json("review", "investigate", case_id, *VILLAGE, "--findings", "长子已就业",
             "--investigator", "qh-01", "--income", "2000")  # fmt: skip
    cli.json("review", "opinion", case_id, *TOWNSHIP, "--opinion", "建议调减")
    before = snapshot(cli.db)
    early = cli("review", "decide", case_id, *COUNTY, "--outcome", "change", "--reasons", "收入增加",
                "--monthly-amount", "835", "--from-month", "2026-11")  # fmt: skip
    assert_refused(
        early, 5, "rule_refused", "尚未发放的第一个月为 2026-12", "first month not yet paid"
    )
    assert snapshot(cli.db) == before
    case = cli.json("review", "decide", case_id, *COUNTY, "--outcome", "change", "--reasons",
                    "收入增加", "--monthly-amount", "835", "--from-month", "2026-12")  # fmt: skip
    assert case["monthly_amount_fen"] == 83_500
    assert case["facts"]["allowance"]["changes"] == [{"from_month": "2026-12",
                                                      "monthly_fen": 83_500}]  # fmt: skip
    history = cli.ok("case", "history", case_id, *COUNTY).stdout
    for label in ("启动复核", "复核入户调查", "复核乡镇意见", "复核决定"):
        assert label in history


def test_the_review_commands_explain_themselves_in_chinese_and_english(cli: Cli) -> None:
    for command, option, zh in (("open", "--reason", "启动复核"), ("investigate", "--findings",
                                "调查情况"), ("opinion", "--opinion", "乡镇意见"),
                                ("decide", "--outcome", "复核决定")):  # fmt: skip
        shown = cli.ok("review", command, "--help").stdout
        assert option in shown and zh in shown
