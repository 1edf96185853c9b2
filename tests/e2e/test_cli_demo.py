"""``jiuzhu demo``: the seed's stories and a generated caseload, then a passing audit."""

from __future__ import annotations

import re

import pytest
from cli_support import Cli

pytestmark = pytest.mark.slow
ID_NUMBER = re.compile(r"\b[1-9]\d{16}[\dX]\b")


def test_demo_runs_200_cases_prints_the_summary_and_passes_the_audit(cli: Cli) -> None:
    result = cli.ok("demo", "--cases", "200", "--db", str(cli.cwd / "demo.db"))
    out = result.stdout
    assert "容缺审批案件 fast-track cases by state" in out
    for label in ("核对通过", "verified", "先行批准", "provisionally approved", "已撤销",
                  "revoked"):  # fmt: skip
        assert label in out
    assert "applications: 200 generated + 4 stories" in out
    assert "refused at intake" in out and "commands/s" in out
    stories = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line
               and re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", line)}  # fmt: skip
    assert "核对通过 verified" in stories["陈必华 Chen Bihua (seed)"]
    assert "已撤销 revoked" in stories["falsification 弄虚作假"]
    assert "不予批准 rejected" in stories["failed appraisal 评议未通过"]
    assert "已撤回 withdrawn" in stories["withdrawn 撤回"]
    assert "audit passed" in out
    assert not ID_NUMBER.search(out + result.stderr)


def test_demo_recreates_its_default_file_but_keeps_other_files_unless_fresh(cli: Cli) -> None:
    first = cli.ok("demo", "--cases", "20")
    assert (cli.cwd / "jiuzhu-demo.db").exists() and "audit passed" in first.stdout
    second = cli.ok("demo", "--cases", "20")
    assert "removed the previous demo database" in second.stderr
    other = cli.cwd / "mine.db"
    cli.ok("db", "upgrade", "--db", str(other))
    refused = cli("demo", "--cases", "20", "--db", str(other))
    assert refused.returncode == 2 and "--fresh" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "audit passed" in cli.ok("demo", "--cases", "20", "--db", str(other), "--fresh").stdout
