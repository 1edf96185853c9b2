"""``jiuzhu provider`` and ``jiuzhu oneoff`` through the real console program: a township
registers a provider, a plan and a one-off are assigned to it, its staff see them and do them."""

from __future__ import annotations

import json
from datetime import timedelta

from cli_support import TOWNSHIP, VILLAGE, Binhai, Cli


def test_a_provider_is_registered_assigned_and_does_its_visits_and_one_off(
    cli: Cli, binhai: Binhai
) -> None:
    provider = cli.json("provider", "register", *TOWNSHIP, "--unit", "320922100",
                        "--name", "暖心居家养老服务中心")  # fmt: skip
    assert [p["id"] for p in cli.json("provider", "list", *VILLAGE)] == [provider["id"]]
    staff = ("--role", "provider", "--org", "320922100", "--provider", provider["id"],
             "--user", "nurse-1")  # fmt: skip
    case_id = binhai.approved_case
    project = cli.json("project", "register", *TOWNSHIP, "--unit", "320922100",
                       "--name", "暖心助老", "--year", "2024")["id"]  # fmt: skip
    plan = cli.json("plan", "open", case_id, *VILLAGE, "--kind", "home_visit", "--project",
                    project, "--provider-id", provider["id"], "--every-days", "2")["plan"]  # fmt: skip
    oneoff = cli.json("oneoff", "open", case_id, *VILLAGE, "--kind", "rewiring",
                      "--what", "更换老化电线", "--due", "2024-04-30", "--project", project,
                      "--provider-id", provider["id"])["oneoff"]  # fmt: skip
    todo = cli.json("provider", "plans", *staff)
    assert {t.get("plan_id") or t.get("oneoff_id") for t in todo} == {
        plan["plan_id"], oneoff["oneoff_id"]}  # fmt: skip
    listed = cli.ok("provider", "plans", *staff).stdout
    assert plan["plan_id"] in listed and oneoff["oneoff_id"] in listed
    assert cli.now is not None
    cli.now += timedelta(hours=1)
    visited = cli.json("plan", "visit", case_id, *staff, "--plan", plan["plan_id"],
                       "--what", "测血压")  # fmt: skip
    assert visited["plan"]["done"] == 1 and visited["case"]["household_id"] == ""
    done = cli.json("oneoff", "complete", case_id, *staff, "--oneoff", oneoff["oneoff_id"])
    assert done["oneoff"]["state"] == "completed"
    [row] = json.loads(cli.ok("project", "report", *TOWNSHIP, "--year", "2024", "--format",
                              "json").stdout)  # fmt: skip
    assert (row["beneficiary_households"], row["person_times"]) == (1, 2)
    assert "服务人次 person-times 2" in cli.ok("project", "report", *TOWNSHIP).stdout
    # the county's report per project: the same row, read with an auditor's rights of each county
    [county_row] = json.loads(cli.ok("report", "--projects", "--year", "2024", "--format",
                                     "json").stdout)  # fmt: skip
    assert county_row == row
    assert json.loads(cli.ok("report", "--projects", "--year", "2023", "--format",
                             "json").stdout) == []  # fmt: skip
    refused = cli("case", "show", case_id, *staff)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
