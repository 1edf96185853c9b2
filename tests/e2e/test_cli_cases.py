"""The case commands through the real console program: a lifecycle, refusals and conflicts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cli_support import (
    APPRAISAL,
    COUNTY,
    ID_NUMBER,
    NAME,
    SPOUSE_ID,
    SPOUSE_NAME,
    TOWNSHIP,
    VILLAGE,
    Binhai,
    Cli,
    apply,
)

from jiuzhu.migrations import head


def snapshot(db: Path) -> tuple[Any, ...]:
    """Everything a command could have written: events, case rows, deadlines."""
    with sqlite3.connect(db) as conn:
        return tuple(
            conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("events", "cases", "deadlines", "households", "persons")
        )


def assert_refused(result: Any, exit_code: int, code: str, zh: str, en: str, *,
                   as_json: bool = False) -> None:  # fmt: skip
    """Refused with ``exit_code`` and ``code``, in both languages on stderr; with ``--json``
    the same error as a JSON object on stdout, else nothing there."""
    assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr
    assert f"Error [{code}]" in result.stderr
    assert zh in result.stderr and en in result.stderr
    if not as_json:
        assert result.stdout == ""
        return
    error = json.loads(result.stdout)["error"]
    assert (error["code"], error["exit_code"]) == (code, exit_code)
    assert zh in error["message_zh"] and en in error["message"]


def test_db_upgrade_brings_a_new_file_to_head_and_repeats_harmlessly(cli: Cli) -> None:
    target = cli.cwd / "explicit.db"
    cli.now = None  # a database of the system clock (the schema records no time of the day)
    before = cli("db", "current", "--db", str(target))  # only db upgrade makes a database
    assert_refused(before, 4, "invalid_input", "不存在", f"there is no database at {target}")
    assert f"jiuzhu db upgrade --db {target}" in before.stderr and not target.exists()
    first = cli.ok("db", "upgrade", "--db", str(target))
    assert f"none → {head()}" in first.stdout
    second = cli.ok("db", "upgrade", "--db", str(target))
    assert f"already at head: revision {head()}" in second.stdout
    assert "up to date" in cli.ok("db", "current", "--db", str(target)).stdout


def test_fast_track_lifecycle_runs_end_to_end_with_json_output(cli: Cli, binhai: Binhai) -> None:
    case = apply(cli, binhai)
    assert (case["state"], case["row_version"]) == ("applied", 1)
    assert case["expenditure_fen"] == 9_000_000
    case_id = case["id"]
    case = cli.json("case", "promise", case_id, *VILLAGE, "--signed-by", binhai.member_ids[1],
                    "--expect-version", "1")  # fmt: skip
    assert (case["state"], case["state_zh"]) == ("promised", "已承诺")
    case = cli.json("case", "appraise", case_id, *VILLAGE, *APPRAISAL)
    assert case["state"] == "reviewed"
    case = cli.json("case", "approve", case_id, *TOWNSHIP, "--monthly-amount", "2000")
    assert (case["state"], case["monthly_amount_fen"]) == ("provisionally_approved", 200_000)
    assert list(case["deadlines"]) == ["allowance_due", "verification_due"]
    case = cli.json("case", "verify", case_id, *COUNTY, "--result", "meets_standard")
    assert (case["state"], case["state_en"], case["row_version"]) == ("verified", "verified", 5)

    shown = cli.json("case", "show", case_id, "--role", "auditor", "--org", "320922")
    assert shown == case
    history = cli.json("case", "history", case_id, *VILLAGE)
    assert [e["type"] for e in history] == ["apply", "promise", "review", "approve", "verify"]
    assert [e["seq"] for e in history] == [1, 2, 3, 4, 5]
    assert history[-1]["hash"] == case["head_hash"]
    listed = cli.json("case", "list", *TOWNSHIP, "--state", "verified")
    assert [c["id"] for c in listed] == [case_id]


def test_refusal_and_withdrawal_end_cases_with_their_reasons(cli: Cli, binhai: Binhai) -> None:
    refused = apply(cli, binhai)["id"]
    cli.ok("case", "promise", refused, *VILLAGE, "--signed-by", binhai.member_ids[0])
    cli.ok("case", "appraise", refused, *VILLAGE, *APPRAISAL)
    case = cli.json("case", "refuse", refused, *TOWNSHIP, "--reason", "家庭有稳定收入")
    assert (case["state"], case["facts"]["refusal"]["reason"]) == ("rejected", "家庭有稳定收入")
    withdrawn = apply(cli, binhai)["id"]
    case = cli.json("case", "withdraw", withdrawn, *VILLAGE, "--reason", "主动撤回")
    assert (case["state"], case["allowed"]) == ("withdrawn", [])


def test_show_and_history_print_chinese_and_english_labels_but_no_personal_data(
    cli: Cli, binhai: Binhai
) -> None:
    case_id = binhai.approved_case
    show = cli.ok("case", "show", case_id, *VILLAGE).stdout
    for text in ("先行批准", "provisionally approved", "90,000.00", "2,000.00", "verification_due",
                 "核对通过"):  # fmt: skip
        assert text in show
    history = cli.ok("case", "history", case_id, *VILLAGE).stdout
    for label in ("受理申请", "apply", "签署信用承诺", "sign the credit commitment", "已申请",
                  "已承诺", "先行审批", "先行批准", "village@320922100001",
                  "township@320922100"):  # fmt: skip
        assert label in history
    outputs = show + history
    outputs += cli.ok("case", "show", case_id, *VILLAGE, "--json").stdout
    outputs += cli.ok("case", "history", case_id, *VILLAGE, "--json").stdout
    for personal in (NAME, ID_NUMBER, SPOUSE_NAME, SPOUSE_ID):
        assert personal not in outputs


def test_household_add_prints_member_ids_and_masked_id_numbers_only(
    cli: Cli, binhai: Binhai
) -> None:
    result = cli.ok("household", "add", *VILLAGE, "--member", "居民0003,110105195001010039,head")
    assert "110105********0039" in result.stdout
    assert "110105195001010039" not in result.stdout and "居民0003" not in result.stdout


def test_invalid_transition_exits_5_in_both_languages_and_writes_nothing(
    cli: Cli, binhai: Binhai
) -> None:
    case_id = binhai.approved_case
    before = snapshot(cli.db)
    result = cli("case", "approve", case_id, *TOWNSHIP, "--monthly-amount", "2000")
    assert_refused(result, 5, "transition_not_allowed", "当前为“先行批准”，不能办理“先行审批”",
                   "is 'provisionally_approved': 'approve' is not allowed there")  # fmt: skip
    assert case_id in result.stderr
    assert snapshot(cli.db) == before


def test_wrong_role_exits_5_and_writes_nothing(cli: Cli, binhai: Binhai) -> None:
    before = snapshot(cli.db)
    result = cli("case", "verify", binhai.approved_case, *VILLAGE, "--result", "meets_standard")
    assert_refused(result, 5, "permission_denied", "无权", "may not record verification")
    assert snapshot(cli.db) == before


def test_stale_expect_version_exits_3_and_writes_nothing(cli: Cli, binhai: Binhai) -> None:
    before = snapshot(cli.db)
    result = cli("case", "verify", binhai.approved_case, *COUNTY, "--result", "meets_standard",
                 "--expect-version", "3")  # fmt: skip
    assert_refused(result, 3, "conflict", "请刷新后重新办理", "changed since you read it")
    assert snapshot(cli.db) == before


def test_repeated_idempotency_key_returns_the_first_result_without_a_new_event(
    cli: Cli, binhai: Binhai
) -> None:
    args = ("case", "verify", binhai.approved_case, *COUNTY, "--result", "meets_standard",
            "--idempotency-key", "verify-1")  # fmt: skip
    first = cli.json(*args)
    after_first = snapshot(cli.db)
    again = cli.json(*args)
    assert (again["replayed"], again["row_version"], again["head_hash"]) == (
        True, first["row_version"], first["head_hash"])  # fmt: skip
    assert snapshot(cli.db) == after_first
    assert "replayed" in cli.ok(*args).stdout


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (("case", "list"), "--role", "give the acting role with --role"),
        (("case", "list", "--role", "mayor", "--org", "320922"), "未知角色",
         "unknown role 'mayor'"),
        (("case", "list", "--role", "village"), "--org", "with --org"),
        (("case", "show", "not-a-case", *VILLAGE), "格式不正确", "is malformed"),
        (("case", "show", "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d", *VILLAGE), "未找到案件",
         "not found"),  # not_found: the only one here that is not invalid_input
        (("household", "add", *VILLAGE, "--member", "居民0009"), "格式应为", "expected 'name,"),
        (("household", "add", *VILLAGE, "--member", "居民0009,110105195001010013"), "校验码",
         "check character"),
    ],
    ids=["no-role", "unknown-role", "no-org", "malformed-case", "unknown-case", "bad-member",
         "bad-id-number"],
)  # fmt: skip
def test_bad_input_exits_4_with_both_languages_and_no_traceback(
    cli: Cli, binhai: Binhai, args: tuple[str, ...], zh: str, en: str
) -> None:
    before = snapshot(cli.db)
    result = cli(*args)
    assert result.returncode == 4, result.stderr
    code = "not_found" if "未找到" in zh else "invalid_input"
    assert f"Error [{code}]" in result.stderr
    assert "Traceback" not in result.stderr
    assert zh in result.stderr and en in result.stderr
    assert snapshot(cli.db) == before


def test_below_threshold_application_is_refused_by_the_rule_with_exit_5(
    cli: Cli, binhai: Binhai
) -> None:
    before = snapshot(cli.db)
    result = cli("case", "apply", *VILLAGE, "--household", binhai.household_id,
                 "--applicant", binhai.member_ids[0], "--programme", "dibao",
                 "--cause", "accident", "--expenditure", "29999.99")  # fmt: skip
    assert_refused(result, 5, "rule_refused", "低于容缺审批门槛", "below the fast-track threshold")
    assert snapshot(cli.db) == before
