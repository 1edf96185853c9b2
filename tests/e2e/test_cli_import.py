"""``jiuzhu import``: a county brings households and a running case in from files."""

from __future__ import annotations

import csv
from pathlib import Path

from cli_support import COUNTY, ID_NUMBER, Binhai, Cli

from jiuzhu.idnumber import check_character


def _append(path: Path, rows: list[list[str]]) -> None:
    with path.open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def test_a_county_imports_households_and_cases_from_templates(cli: Cli, binhai: Binhai) -> None:
    village = "320922100001"
    body = "32092219800101003"
    new_head = body + check_character(body)
    households, cases = cli.cwd / "households.csv", cli.cwd / "cases.csv"
    cli.ok("import", "template", "households", "-o", str(households))
    _append(households, [
        ["OLD-1", "陈必华", ID_NUMBER, "户主", village, ""],  # registered already: linked
        ["OLD-2", "刘淑珍", new_head, "户主", village, "东坎街道 1 号"],
        ["OLD-2", "赵志强", new_head[:17] + ("1" if new_head[17] != "1" else "2"), "子女",
         village, ""],  # a bad check character
    ])  # fmt: skip
    done = cli.ok("import", "households", str(households), *COUNTY)
    assert "拒绝 refused" in done.stdout and "households.errors.csv" in done.stdout
    report = (cli.cwd / "households.errors.csv").read_text(encoding="utf-8-sig")
    assert "320922********" in report and new_head[:17] not in report

    cli.ok("import", "template", "cases", "-o", str(cases))
    fast = ["dibao", "fast_track", "provisionally_approved", "800", "2024-03-01", "2024-03",
            "", "", "", "major_illness", "40000", "OLD-CASE-2"]  # fmt: skip
    _append(cases, [["OLD-2", "", *fast], ["OLD-1", "", *fast]])  # OLD-1 has a running case
    result = cli.json("import", "cases", str(cases), *COUNTY)
    assert (result["added_cases"], result["refused"], result["skipped"]) == (1, 1, 0)
    again = cli.json("import", "cases", str(cases), *COUNTY)
    assert (again["job_id"], again["added_cases"], again["skipped"]) == (result["job_id"], 0, 1)
    jobs = cli.json("import", "jobs", *COUNTY)
    assert [(j["kind"], j["state"]) for j in jobs] == [("cases", "done"), ("households", "done")]
    assert cli("audit", "verify").returncode == 0
    (cli.cwd / "bad.csv").write_text("姓名\n张三\n", encoding="utf-8")
    refused = cli("import", "households", str(cli.cwd / "bad.csv"), *COUNTY)
    assert (
        refused.returncode == 4 and "缺少列" in refused.stderr and "Traceback" not in refused.stderr
    )
