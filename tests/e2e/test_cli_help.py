"""Every command group and command answers ``--help`` with its English and Chinese terms."""

from __future__ import annotations

import pytest
from cli_support import Cli
from typer.testing import CliRunner

from jiuzhu.cli import app
from jiuzhu.diagrams import expected_files

HELP = {
    (): "救助",
    ("db",): "数据库",
    ("db", "upgrade"): "升级数据库结构",
    ("db", "current"): "当前数据库结构版本",
    ("org",): "组织单位",
    ("org", "add"): "添加单位",
    ("household",): "家庭",
    ("household", "add"): "登记家庭",
    ("case",): "容缺审批",
    ("case", "apply"): "受理容缺审批申请",
    ("case", "promise"): "信用承诺书",
    ("case", "appraise"): "村级民主评议",
    ("case", "approve"): "先行审批",
    ("case", "refuse"): "不予批准",
    ("case", "verify"): "家庭经济状况核对",
    ("case", "withdraw"): "撤回申请",
    ("case", "show"): "查看案件",
    ("case", "history"): "案件历史",
    ("case", "list"): "案件列表",
    ("circumstance",): "家庭情况变化",
    ("circumstance", "phase-out"): "决定渐退",
    ("audit",): "审计",
    ("audit", "verify"): "核验审计链",
    ("audit", "replay"): "事件重放",
    ("audit", "cosign"): "见证副签",
    ("diagrams",): "状态图",
    ("worker",): "期限调度进程",
    ("demo",): "滨海县",
}


def test_help_of_the_console_program_lists_every_command_group(cli: Cli) -> None:
    result = cli.ok("--help")
    assert "Usage: jiuzhu" in result.stdout and HELP[()] in result.stdout
    for (group,) in (c for c in HELP if len(c) == 1):
        assert group in result.stdout and HELP[(group,)] in result.stdout


@pytest.mark.parametrize("command", [c for c in HELP if c], ids=" ".join)
def test_help_of_each_group_and_command_names_it_in_english_and_chinese(
    command: tuple[str, ...],
) -> None:
    # In process: the very Typer app the console program runs, without 23 more interpreters.
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="jiuzhu", terminal_width=200)
    assert result.exit_code == 0, result.output
    assert f"Usage: jiuzhu {' '.join(command)}" in result.output
    assert HELP[command] in result.output


def test_diagrams_command_writes_the_mermaid_file_of_every_workflow(cli: Cli) -> None:
    out = cli.cwd / "drawn"
    result = cli.ok("diagrams", "--out", str(out))
    expected = expected_files()
    assert {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.mmd")} == expected
    assert all(name in result.stdout for name in expected)


def test_version_prints_the_installed_packages_version(cli: Cli) -> None:
    from importlib.metadata import version

    assert cli.ok("--version").stdout.strip() == f"jiuzhu {version('jiuzhu')}"


# What the commands run on, none of which `jiuzhu --help` needs.  (The package ``jiuzhu.service``
# itself is loaded by ``import jiuzhu`` for its roles and actors; the service is
# ``jiuzhu.service.service``.)
HEAVY = ("jiuzhu.demo", "jiuzhu.service.service", "jiuzhu.migrations", "jiuzhu.models",
         "jiuzhu.audit", "jiuzhu.scheduler", "jiuzhu.api", "alembic", "sqlalchemy", "sqlmodel",
         "fastapi", "uvicorn", "apscheduler")  # fmt: skip
PROBE = """
import sys
from contextlib import redirect_stdout
from io import StringIO

sys.argv = ["jiuzhu", *sys.argv[1:]]
import jiuzhu.cli

with redirect_stdout(StringIO()) as shown:
    try:
        jiuzhu.cli.main()
    except SystemExit as ended:
        assert not ended.code, shown.getvalue()
assert "Usage: jiuzhu" in shown.getvalue()
print(" ".join(name for name in sys.modules if name.split(".")[0] in ("jiuzhu", *{heavy})))
"""


@pytest.mark.parametrize("args", [["--help"], ["case", "--help"], ["--version"]],
                         ids=" ".join)  # fmt: skip
def test_help_loads_none_of_what_the_commands_run_on(args: list[str]) -> None:
    import subprocess
    import sys

    heavy = {name.split(".")[0] for name in HEAVY if not name.startswith("jiuzhu")}
    code = PROBE.replace("{heavy}", repr(tuple(heavy)))
    if args == ["--version"]:
        code = code.replace('assert "Usage: jiuzhu" in shown.getvalue()', "")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=False, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "jiuzhu.cli.program" in loaded  # the probe did run the program
    assert [name for name in HEAVY if any(m == name or m.startswith(f"{name}.")
                                          for m in loaded)] == []  # fmt: skip


def test_the_case_group_says_it_holds_every_workflows_reads_not_only_the_fast_track() -> None:
    result = CliRunner().invoke(app, ["case", "--help"], prog_name="jiuzhu", terminal_width=200)
    shown = " ".join(result.output.split())
    assert "Fast-track cases" not in shown
    assert "容缺审批" in shown and "any workflow" in shown
    assert "审核确认" in shown and "临时救助" in shown
