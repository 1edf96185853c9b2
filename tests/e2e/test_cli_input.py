"""What the command line refuses, and how: a database that is not there, a malformed URL,
unknown filter values, absurd numbers -- each in both languages or as a usage error, never
with a traceback, and never by quietly doing something else."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import typer.main
from cli_support import COUNTY, Binhai, Cli, apply
from test_cli_cases import assert_refused
from typer.testing import CliRunner

from jiuzhu.cli import app
from jiuzhu.clock import SHANGHAI

# Every kind of command that reads a database: none of them may create one.
READERS = {
    "case list": ("case", "list", *COUNTY),
    "org add": ("org", "add", "--role", "admin", "--id", "320922", "--name", "滨海县",
                "--level", "county"),
    "deadlines missed": ("deadlines", "missed", *COUNTY),
    "report": ("report",),
    "audit findings": ("audit", "findings"),
    "calendar show": ("calendar", "show"),
    "policy show": ("policy", "show"),
    "db current": ("db", "current"),
    "token list": ("token", "list"),
    "worker --once": ("worker", "--once"),
    "serve": ("serve", "--port", "0"),
}  # fmt: skip


@pytest.mark.parametrize("command", list(READERS))
def test_a_mistyped_database_path_is_refused_and_never_created(cli: Cli, command: str) -> None:
    missing = cli.cwd / "jiuzhu-typo.db"
    result = cli(*READERS[command], "--db", str(missing))
    assert_refused(result, 4, "invalid_input", f"数据库文件 {missing} 不存在",
                   f"there is no database at {missing}")  # fmt: skip
    assert f"jiuzhu db upgrade --db {missing}" in result.stderr  # what makes one
    assert not missing.exists()


def test_a_mistyped_database_variable_is_refused_too(cli: Cli) -> None:
    cli.db = cli.cwd / "elsewhere" / "jiuzhu.db"  # $JIUZHU_DATABASE_URL names no file
    result = cli("case", "list", *COUNTY, "--json")
    assert_refused(result, 4, "invalid_input", "不存在", "there is no database at",
                   as_json=True)  # fmt: skip
    assert json.loads(result.stdout)["error"]["path"] == str(cli.db)
    assert not cli.db.parent.exists()


@pytest.mark.parametrize("url", ["postgresql://::::", "postgresql://app@db:99999/jiuzhu",
                                 "postgresql://[::1/jiuzhu"])  # fmt: skip
def test_a_malformed_database_url_is_invalid_input_not_a_traceback(cli: Cli, url: str) -> None:
    result = cli("case", "list", *COUNTY, "--db", url)
    assert_refused(result, 4, "invalid_input", "不是有效的数据库地址", "is not a database URL")
    assert url in result.stderr


def test_case_list_refuses_an_unknown_state_or_programme_naming_the_valid_ones(
    cli: Cli, binhai: Binhai
) -> None:
    state = cli("case", "list", *COUNTY, "--state", "nonsense")
    assert_refused(state, 4, "invalid_input", "“nonsense”无效", "--state 'nonsense' is unknown")
    for valid in ("provisionally_approved", "verified", "accepted", "paid"):  # every workflow
        assert valid in state.stderr
    programme = cli("case", "list", *COUNTY, "--programme", "dibo", "--json")
    assert_refused(programme, 4, "invalid_input", "无效", "--programme 'dibo' is unknown",
                   as_json=True)  # fmt: skip
    assert {"dibao", "tekun", "temporary"} <= set(json.loads(programme.stdout)["error"]["valid"])
    listed = cli.json("case", "list", *COUNTY, "--state", "provisionally_approved",
                      "--programme", "dibao")  # fmt: skip
    assert [c["id"] for c in listed] == [binhai.approved_case]


@pytest.mark.parametrize(
    ("args", "valid"),
    [(("temporary", "apply", "--household", "h", "--applicant", "a", "--kind", "urgent"),
      "emergency"),
     (("serve", "--log-level", "loud"), "warning"),
     (("report", "--format", "xml"), "csv")],
    ids=["temporary --kind", "serve --log-level", "report --format"],
)  # fmt: skip
def test_a_value_outside_a_fixed_list_is_a_usage_error_naming_the_list(
    args: tuple[str, ...], valid: str
) -> None:
    result = CliRunner().invoke(app, list(args), prog_name="jiuzhu", terminal_width=200)
    assert result.exit_code == 2, result.output
    assert "Invalid value" in result.output and valid in result.output
    assert isinstance(result.exception, SystemExit)


def test_limit_cuts_the_case_list_and_says_so(cli: Cli, binhai: Binhai) -> None:
    second = apply(cli, binhai, expenditure="50000")["id"]
    shown = cli.ok("case", "list", *COUNTY, "--limit", "1")
    assert binhai.approved_case in shown.stdout and second not in shown.stdout
    assert "showing 1 of 2; use --limit" in shown.stdout and "显示 1 条，共 2 条" in shown.stdout
    page = cli.ok("case", "list", *COUNTY, "--limit", "1", "--offset", "1", "--json")
    assert [c["id"] for c in json.loads(page.stdout)] == [second]  # stdout: the JSON alone
    assert "showing 2–2 of 2; use --limit/--offset" in page.stderr
    whole = cli.ok("case", "list", *COUNTY)
    assert "showing" not in whole.stdout + whole.stderr  # nothing was cut
    for bad in ("0", "-5"):
        refused = cli("case", "list", *COUNTY, "--limit", bad)
        assert refused.returncode == 2 and "--limit" in refused.stderr
        assert "Traceback" not in refused.stderr


def test_case_show_shows_an_expenditure_only_for_a_case_that_has_one(
    cli: Cli, binhai: Binhai
) -> None:
    from test_cli_standard import VILLAGE as QINHUAI_VILLAGE
    from test_cli_standard import set_up_qinhuai

    fast_track = cli.ok("case", "show", binhai.approved_case, *COUNTY).stdout
    assert "突发支出 expenditure (yuan)" in fast_track and "90,000.00" in fast_track
    home = set_up_qinhuai(cli)
    standard = cli.json("standard", "apply", *QINHUAI_VILLAGE, "--household", home["id"],
                        "--applicant", home["member_ids"][0])  # fmt: skip
    shown = cli.ok("case", "show", standard["id"], *QINHUAI_VILLAGE).stdout
    assert "standard v1" in shown
    assert "突发支出" not in shown and "expenditure" not in shown
    listed = cli.ok("case", "list", *QINHUAI_VILLAGE).stdout
    assert "0.00" not in listed  # the outlay column shows a dash for it


def test_policy_show_gives_what_is_in_force_on_the_day_of_the_databases_clock(cli: Cli) -> None:
    config = cli.cwd / "policy.json"
    config.write_text('{"changes": [{"from": "2024-06-01", "pay_day": 10}]}', encoding="utf-8")
    before = cli.json("policy", "show", "--policy", str(config), "--db", str(cli.db))
    assert before["in_force"]["on"] == "2024-03-15"  # the simulated day of the test database
    assert before["in_force"]["settings"]["pay_day"] == 15 and before["defaults"]["pay_day"] == 15
    assert before["in_force"]["dibao_lines"]["3201"]["dibao_line_fen"] == 94_500
    cli.now = datetime(2024, 7, 1, 9, 0, tzinfo=SHANGHAI)
    after = cli.ok("policy", "show", "--policy", str(config), "--db", str(cli.db)).stdout
    assert "今日 2024-07-01" in after and "自 from 2024-06-01: pay_day=10" in after
    row = next(line for line in after.splitlines() if line.strip().startswith("pay_day"))
    assert row.split()[1:3] == ["15", "10"]  # the default, and what is in force that day


# -- numbers: every numeric option is bounded, and an absurd value is a usage error ----------
PROGRAM = typer.main.get_command(app)  # built once: the parser the console program runs


def numeric_options() -> Iterator[tuple[tuple[str, ...], Any]]:
    """(command path, parameter) of every int or float option and argument of the program."""

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, (*path, name))
        for param in command.params:
            descriptor = getattr(param, "type_descriptor", None)  # how this Typer keeps a type
            kind = descriptor.annotation if descriptor is not None else None
            click_type = getattr(getattr(param, "type", None), "name", "")  # a Typer on Click
            if kind in (int, float) or click_type in ("integer", "float"):
                yield path, param

    yield from walk(PROGRAM, ())


def parse(args: list[str]) -> tuple[int, str, BaseException | None]:
    """Run the program on ``args`` in process: (exit code, output, exception other than exit)."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        try:
            PROGRAM.main(args=args, prog_name="jiuzhu")
        except SystemExit as ended:
            return int(ended.code or 0), output.getvalue(), None
        except Exception as exc:  # noqa: BLE001 - what the test reports
            return -1, output.getvalue(), exc
    return 0, output.getvalue(), None


NUMERIC = list(numeric_options())
ABSURD = ("1000000000000", "-1000000000000", "1" + "0" * 400, "nan", "1e400")


def test_the_program_has_numeric_options_and_each_is_bounded_on_both_sides() -> None:
    assert len(NUMERIC) > 30  # --expect-version on every command, limits, ports, years...
    unbounded = [(" ".join(path), param.name) for path, param in NUMERIC
                 if getattr(param, "min", None) is None or getattr(param, "max", None) is None]  # fmt: skip
    assert unbounded == []


@pytest.mark.parametrize(("path", "param"), NUMERIC,
                         ids=[f"{' '.join(p)} {q.name}" for p, q in NUMERIC])  # fmt: skip
def test_an_absurd_number_is_a_usage_error_never_a_traceback(
    path: tuple[str, ...], param: Any
) -> None:
    option = param.opts[0] if param.opts[0].startswith("-") else None
    for value in ABSURD:
        args = [*path, option, value] if option else [*path, "--", value]
        code, output, raised = parse(args)
        assert (code, raised) == (2, None), (args, output, raised)
        assert "Invalid value" in output and "Traceback" not in output


def test_the_absurd_values_that_used_to_raise_are_refused_by_the_program(cli: Cli) -> None:
    lease = cli("worker", "--once", "--lease-seconds", "1000000000000")
    assert lease.returncode == 2 and "--lease-seconds" in lease.stderr
    assert "Traceback" not in lease.stderr and "OverflowError" not in lease.stderr
    url = cli("worker", "--once", "--db", "postgresql://::::")
    assert_refused(url, 4, "invalid_input", "不是有效的数据库地址", "is not a database URL")


@pytest.mark.parametrize("args", [("audit", "replay", "{case}", "--as-of", "0001-01-01"),
                                  ("audit", "export", "--out", "x", "--from", "0001-01-01"),
                                  ("audit", "findings", "--now", "9999-12-31T23:59")],
                         ids=["replay --as-of", "export --from", "findings --now"])  # fmt: skip
def test_a_date_time_at_the_end_of_the_calendar_is_invalid_input_not_an_overflow(
    cli: Cli, binhai: Binhai, args: tuple[str, ...]
) -> None:
    result = cli(*(a.replace("{case}", binhai.approved_case) for a in args))
    assert_refused(result, 4, "invalid_input", "超出范围", "the year must be 1970 to 2999")
