"""Exit codes with one meaning each, and errors as JSON on stdout for ``--json``."""

from __future__ import annotations

import json
import sqlite3
import sys
from typing import Any

import pytest
from cli_support import COUNTY, VILLAGE, Binhai, Cli
from test_cli_cases import assert_refused, snapshot
from typer.testing import CliRunner

import jiuzhu.cli as cli_module
from jiuzhu.cli import EXIT_CODES, EXIT_MEANINGS, app, program
from jiuzhu.errors import JiuzhuError

REFUSALS = {
    "conflict": (3, lambda b: ("case", "verify", b.approved_case, *COUNTY, "--result",
                               "meets_standard", "--expect-version", "3"),
                 "请刷新后重新办理", "changed since you read it"),
    "invalid_input": (4, lambda b: ("case", "show", "not-a-case", *VILLAGE), "格式不正确",
                      "is malformed"),
    "not_found": (4, lambda b: ("case", "show", "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d",
                                *VILLAGE), "未找到案件", "not found"),
    "rule_refused": (5, lambda b: ("case", "apply", *VILLAGE, "--household", b.household_id,
                                   "--applicant", b.member_ids[0], "--programme", "dibao",
                                   "--cause", "accident", "--expenditure", "29999.99"),
                     "低于容缺审批门槛", "below the fast-track threshold"),
    "permission_denied": (5, lambda b: ("case", "verify", b.approved_case, *VILLAGE,
                                        "--result", "meets_standard"),
                          "无权", "may not record verification"),
    "storage": (6, lambda b: ("case", "list", "--role", "admin", "--db", "/"),  # not a file
                "无法打开数据库", "cannot open the database"),
}  # fmt: skip


@pytest.mark.parametrize("code", list(REFUSALS))
def test_a_refusal_given_json_prints_the_error_as_json_on_stdout(cli: Cli, binhai: Binhai,
                                                                 code: str) -> None:  # fmt: skip
    exit_code, args, zh, en = REFUSALS[code]
    if code == "storage":
        cli.now = None  # simulated time is refused first where no simulation database exists
    before = snapshot(cli.db)
    result = cli(*args(binhai), "--json")
    assert_refused(result, exit_code, code, zh, en, as_json=True)
    assert EXIT_CODES[code] == exit_code
    assert snapshot(cli.db) == before


def test_report_format_json_prints_its_error_as_json_too(cli: Cli, binhai: Binhai) -> None:
    result = cli("report", "--org", "999999", "--format", "json")  # an auditor of no such unit
    assert_refused(result, 5, "permission_denied", "“999999”不存在", "unknown organisation unit",
                   as_json=True)  # fmt: skip


def test_the_same_refusal_without_json_prints_nothing_on_stdout(cli: Cli, binhai: Binhai) -> None:
    exit_code, args, zh, en = REFUSALS["conflict"]
    assert_refused(cli(*args(binhai)), exit_code, "conflict", zh, en)


def test_a_json_error_carries_the_errors_details(cli: Cli, binhai: Binhai) -> None:
    result = cli("case", "approve", binhai.approved_case, "--role", "township", "--org",
                 "320922100", "--monthly-amount", "2000", "--json")  # fmt: skip
    error = json.loads(result.stdout)["error"]
    assert result.returncode == error["exit_code"] == 5
    assert (error["code"], error["case_id"]) == ("transition_not_allowed", binhai.approved_case)
    assert error["state"] == "provisionally_approved" and "verify" in error["allowed"]


def test_a_case_whose_events_do_not_replay_is_an_audit_failure(cli: Cli, binhai: Binhai) -> None:
    case_id = binhai.approved_case
    with sqlite3.connect(cli.db) as conn:  # what write access to the file allows
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET type = 'approve' WHERE case_id = ? AND seq = 1",
                     (case_id,))  # fmt: skip
    result = cli("audit", "replay", case_id, "--as-of", "2999-01-01", "--json")
    assert_refused(result, 1, "replay_failed", "首个事件不是受理事件",
                   "not the opening 'apply'", as_json=True)  # fmt: skip


def test_worker_once_exits_6_when_a_due_deadline_cannot_fire(cli: Cli, binhai: Binhai) -> None:
    with sqlite3.connect(cli.db) as conn:  # the allowance falls due, but its facts are gone
        conn.execute("UPDATE deadlines SET due_at = '2020-01-01 00:00:00.000000' "
                     "WHERE kind = 'allowance_due'")  # fmt: skip
        conn.execute("UPDATE cases SET facts = json_remove(facts, '$.allowance'), "
                     "deadlines = json_set(deadlines, '$.allowance_due', "
                     "'2020-01-01T00:00:00.000000Z')")  # fmt: skip
    result = cli("worker", "--once")
    assert result.returncode == 6, result.stderr
    assert json.loads(result.stdout)["failed"] == 1
    assert "could not fire" in result.stderr and "Traceback" not in result.stderr


def test_help_lists_every_exit_code_with_its_meaning_and_error_codes() -> None:
    result = CliRunner().invoke(app, ["--help"], prog_name="jiuzhu")
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())  # however the terminal wrapped it
    assert "Exit codes 退出码:" in shown
    for number, meaning in EXIT_MEANINGS.items():
        codes = ", ".join(c for c, n in EXIT_CODES.items() if n == number)
        entry = f"{number} {' '.join(meaning.split())}" + (f" ({codes})" if codes else "")
        assert entry in shown, f"exit code {number} in --help"


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             raised: BaseException, *args: str) -> tuple[int, Any, str]:  # fmt: skip
    """``jiuzhu.cli.main`` in process, with a command that raises ``raised``."""

    def command(**_: Any) -> None:
        raise raised

    monkeypatch.setattr(program, "app", command)
    monkeypatch.setattr(sys, "argv", ["jiuzhu", *args])
    with pytest.raises(SystemExit) as ended:
        cli_module.main()
    out, err = capsys.readouterr()
    return int(ended.value.code or 0), json.loads(out) if out else None, err


def test_a_defect_exits_7_with_its_traceback_and_a_json_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data, err = run_main(monkeypatch, capsys, KeyError("allowance"), "case", "list",
                               "--json")  # fmt: skip
    assert code == 7
    assert data["error"]["code"] == "internal_error" and data["error"]["exit_code"] == 7
    assert "KeyError" in err and "内部错误" in err and "please report it" in err


def test_an_error_code_missing_from_the_table_exits_7_not_a_guessed_bucket(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Unmapped(JiuzhuError):
        code = "not_in_the_table"

    code, data, err = run_main(monkeypatch, capsys, Unmapped("new", "新"), "case", "list")
    assert code == 7 and data is None
    assert "Error [not_in_the_table]: new" in err and "Traceback" not in err


def test_a_database_error_the_service_did_not_translate_exits_6(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy.exc import OperationalError

    raised = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    code, data, err = run_main(monkeypatch, capsys, raised, "report", "--format=json")
    assert code == 6 and data["error"]["code"] == "storage"
    assert data["error"]["message"] == "database error: server closed the connection"
    assert "数据库错误：server closed the connection" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["case", "list", "--json"], True), (["report", "--format", "json"], True),
     (["report", "--format=json"], True), (["report", "--format", "csv"], False),
     (["case", "list"], False), (["case", "show", "--", "--json"], False)],
)  # fmt: skip
def test_json_is_detected_from_the_command_line(args: list[str], expected: bool) -> None:
    assert cli_module.wants_json(args) is expected
