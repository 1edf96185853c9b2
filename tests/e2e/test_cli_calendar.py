"""``jiuzhu calendar import|show`` through the real command line.

The 2027 file is a test fixture (invented dates), not the State Council's notice.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cli_support import Cli

FIXTURE = Path(__file__).parent.parent / "fixtures" / "calendar-2027-test-fixture.toml"
ADMIN = ("--role", "admin")


def revisions(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT year, revision, document FROM calendar_revisions").fetchall()


def test_import_loads_a_year_once_and_show_lists_it_beside_the_built_in_ones(cli: Cli) -> None:
    cli.ok("db", "upgrade")
    first = cli.ok("calendar", "import", str(FIXTURE), *ADMIN)
    assert "已载入 2027 年工作日历第 1 版" in first.stdout and "revision 1" in first.stdout
    again = cli.json("calendar", "import", str(FIXTURE), *ADMIN)
    assert again == {"year": 2027, "revision": 1, "document": "TEST-FIXTURE-2027-1",
                     "effective_from": "2026-11-01", "created": False}  # fmt: skip
    assert revisions(cli.db) == [(2027, 1, "TEST-FIXTURE-2027-1")]
    shown = cli.json("calendar", "show")
    by_year = {y["year"]: y for y in shown["years"]}
    assert by_year[2024]["revisions"][0]["source"] == "built in"
    assert by_year[2027]["revisions"][0]["revision"] == "2027r1 TEST-FIXTURE-2027-1"
    assert by_year[2027]["revisions"][0]["working_days"] == 249
    table = cli.ok("calendar", "show", "2027").stdout
    assert "2027r1 TEST-FIXTURE-2027-1" in table and "载入 loaded" in table


def test_a_malformed_file_or_a_wrong_role_is_refused_and_writes_nothing(cli: Cli) -> None:
    cli.ok("db", "upgrade")
    bad = cli.cwd / "bad.toml"
    bad.write_text(FIXTURE.read_text(encoding="utf-8").replace("2027-02-14,", "2027-02-15,"),
                   encoding="utf-8")  # fmt: skip
    result = cli("calendar", "import", str(bad), *ADMIN)
    assert result.returncode == 4 and "Traceback" not in result.stderr
    assert (
        "Error [invalid_input]" in result.stderr and "workdays[0] = '2027-02-15'" in result.stderr
    )
    assert "周六或周日" in result.stderr
    county = cli("calendar", "import", str(FIXTURE), "--role", "county", "--org", "320922")
    assert county.returncode == 5 and "Error [permission_denied]" in county.stderr
    missing = cli("calendar", "import", str(cli.cwd / "none.toml"), *ADMIN)
    assert missing.returncode == 4 and "cannot read the calendar file" in missing.stderr
    assert revisions(cli.db) == []


def test_on_1_december_2026_acceptance_waits_for_2027_and_runs_into_january_once_loaded(
    cli: Cli,
) -> None:
    from datetime import datetime

    from test_cli_cases import assert_refused
    from test_cli_standard import COUNTY, TOWNSHIP, VILLAGE, set_up_qinhuai

    from jiuzhu.clock import SHANGHAI

    cli.now = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    home = set_up_qinhuai(cli, members=3)
    case = cli.json("standard", "apply", *VILLAGE, "--household", home["id"],
                    "--applicant", home["member_ids"][0])  # fmt: skip
    refused = cli("standard", "accept", case["id"], *TOWNSHIP, "--json")
    assert_refused(refused, 6, "calendar_not_covered", "2027 年的工作日历尚未载入",
                   "no working-day calendar is loaded for 2027", as_json=True)  # fmt: skip
    assert "jiuzhu calendar import FILE" in refused.stderr
    alarms = cli("standard", "alarms", *COUNTY)
    assert alarms.returncode == 0 and "2027 年工作日历尚未载入" in alarms.stderr
    assert "from 2026-11-20: 30 working days" in alarms.stderr
    cli.ok("calendar", "import", str(FIXTURE), *ADMIN)
    accepted = cli.json("standard", "accept", case["id"], *TOWNSHIP)
    # 22 working days left in December 2026 after the 1st, then 8 in January 2027 after the
    # fixture's New Year holiday (1-3 January): the 30th is 13 January, due 00:00 on the 14th
    assert accepted["deadlines"]["overall_limit"] == "2027-01-13T16:00:00.000000Z"
    assert "尚未载入" not in cli.ok("standard", "alarms", *COUNTY).stderr
    assert cli.ok("audit", "verify").returncode == 0
