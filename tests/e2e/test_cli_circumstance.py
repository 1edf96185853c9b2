"""``jiuzhu circumstance record|phase-out|rigid|renew`` through the real program: a confirmed
standard household's income rises above the line and the county phases it out over 3 months."""

from __future__ import annotations

from datetime import datetime

from cli_support import Cli
from test_cli_cases import assert_refused, snapshot
from test_cli_standard import COUNTY, TOWNSHIP, VILLAGE, history_in_2024

from jiuzhu.clock import SHANGHAI


def test_an_income_rise_is_recorded_and_phased_out_through_the_cli(cli: Cli) -> None:
    case_id = history_in_2024(cli.db)
    cli.now = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    case = cli.json("standard", "decide", case_id, *COUNTY, "--decision", "confirm")
    before = snapshot(cli.db)
    unknown = cli("circumstance", "record", case_id, *VILLAGE, "--kind", "lottery",
                  "--person", case_id)  # fmt: skip
    assert_refused(unknown, 4, "invalid_input", "情况变化", "change of circumstance")
    assert snapshot(cli.db) == before
    case = cli.json("circumstance", "record", case_id, *VILLAGE, "--kind", "income_change",
                    "--income", "3000")  # fmt: skip
    assert case["facts"]["circumstances"][0]["above_line"] is True
    assert (
        case["facts"]["review"]["state"] == "investigating" and "recheck_due" in case["deadlines"]
    )
    cli.json("review", "investigate", case_id, *VILLAGE, "--findings", "长子已就业")
    cli.json("review", "opinion", case_id, *TOWNSHIP, "--opinion", "建议渐退")
    denied = cli("circumstance", "phase-out", case_id, *TOWNSHIP, "--months", "3",
                 "--reasons", "收入超过低保标准")  # fmt: skip
    assert denied.returncode != 0 and "Traceback" not in denied.stderr
    too_long = cli("circumstance", "phase-out", case_id, *COUNTY, "--months", "99",
                   "--reasons", "x")  # fmt: skip
    assert too_long.returncode == 2 and "Traceback" not in too_long.stderr
    case = cli.json("circumstance", "phase-out", case_id, *COUNTY, "--months", "3",
                    "--reasons", "收入超过低保标准")  # fmt: skip
    assert case["state"] == "stopped"
    assert case["facts"]["phase_out"]["paid_months"] == ["2026-12", "2027-01", "2027-02"]
    history = cli.ok("case", "history", case_id, *COUNTY).stdout
    for label in ("记录情况变化", "决定渐退"):
        assert label in history


def test_a_rigid_expenditure_status_is_recorded_and_renewed(cli: Cli) -> None:
    case_id = history_in_2024(cli.db)
    cli.now = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    cli.json("standard", "decide", case_id, *COUNTY, "--decision", "confirm")
    case = cli.json("circumstance", "rigid", case_id, *VILLAGE, "--expenditure", "长期血液透析")
    assert case["facts"]["rigid_expenditure"]["until"] == "2027-11-01"
    cli.now = datetime(2027, 10, 20, 10, 0, tzinfo=SHANGHAI)
    case = cli.json("circumstance", "renew", case_id, *TOWNSHIP)
    assert case["facts"]["rigid_expenditure"]["until"] == "2028-10-19"


def test_the_circumstance_commands_explain_themselves_in_chinese_and_english(cli: Cli) -> None:
    for command, option, zh in (("record", "--kind", "家庭情况变化"), ("phase-out", "--months",
                                "决定渐退"), ("rigid", "--expenditure", "刚性支出"),
                                ("renew", "--note", "续期")):  # fmt: skip
        shown = cli.ok("circumstance", command, "--help").stdout
        assert option in shown and zh in shown
