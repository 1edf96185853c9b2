"""``jiuzhu letter``: the demo's falsification case gets its recovery notice, which checks valid
(the one CLI test of letters; the rest are library and HTTP tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli_support import Cli

COUNTY = ("--role", "county", "--org", "320922")
AUDITOR = ("--role", "auditor", "--org", "320922")


def test_the_demo_fraud_case_prints_its_recovery_notice_and_it_checks(cli: Cli,
                                                                      tmp_path: Path) -> None:  # fmt: skip
    demo = tmp_path / "demo.db"
    shown = cli.ok("demo", "--cases", "0", "--db", str(demo)).stdout
    line = next(line for line in shown.splitlines() if "falsification" in line)
    case_id = re.search(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", line)
    assert case_id, line
    pdf = tmp_path / "notice.pdf"
    printed = json.loads(cli.ok("letter", "print", case_id[0], "recovery", "-o", str(pdf),
                                "--db", str(demo), *COUNTY, "--json").stdout)  # fmt: skip
    assert printed["kind"] == "recovery" and pdf.read_bytes().startswith(b"%PDF")
    checked = cli.ok("letter", "check", "--pdf", str(pdf), "--db", str(demo), *AUDITOR)
    assert "有效" in checked.stdout and "2024-05-10" in checked.stdout  # the revocation's day
    forged = cli("letter", "check", "--code", "0000-0000-0000-0000", "--case",
                 printed["case_no"], "--db", str(demo), *AUDITOR)  # fmt: skip
    assert forged.returncode == 1 and "无效" in forged.stdout and "Traceback" not in forged.stderr
