"""Finding cases through the real console program: case numbers in every list and view, ``case
show`` by number, ``case search``, ``queue`` and ``audit reads``; ids whole at 80 columns."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from cli_support import (
    COUNTY,
    ID_NUMBER,
    NAME,
    SPOUSE_ID,
    SPOUSE_NAME,
    TOWNSHIP,
    VILLAGE,
    Binhai,
    Cli,
)

AUDITOR = ("--role", "auditor", "--org", "320922")
CASE_NO = re.compile(r"\b320922-2024-\d{6}\b")


def narrow(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    """The command on an 80-column terminal."""
    env = cli.env() | {"COLUMNS": "80"}
    result = subprocess.run([sys.executable, "-m", "jiuzhu.cli", *args], capture_output=True,
                            text=True, encoding="utf-8", env=env, cwd=cli.cwd, timeout=120,
                            check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


def case_no_of(cli: Cli, case_id: str) -> str:
    number: str = cli.json("case", "show", case_id, *VILLAGE)["case_no"]
    assert CASE_NO.fullmatch(number)
    return number


def test_lists_and_views_show_the_case_number_and_the_village_by_name(
    cli: Cli, binhai: Binhai
) -> None:
    number = case_no_of(cli, binhai.approved_case)
    show = cli.ok("case", "show", number, *TOWNSHIP).stdout  # by number
    assert number in show and binhai.approved_case in show
    assert "团结社区 (320922100001)" in show
    listed = narrow(cli, "case", "list", *COUNTY).stdout
    assert number in listed and binhai.approved_case in listed and "团结社区" in listed
    history = cli.ok("case", "history", number, *VILLAGE).stdout
    assert number in history and "受理申请" in history
    applied = cli.ok("case", "apply", *VILLAGE, "--household", binhai.household_id,
                     "--applicant", binhai.member_ids[0], "--programme", "dibao",
                     "--cause", "accident", "--expenditure", "50000").stdout  # fmt: skip
    [new_number] = CASE_NO.findall(applied)
    assert int(new_number[-6:]) == int(number[-6:]) + 1


def test_no_id_is_cut_at_80_columns(cli: Cli, binhai: Binhai) -> None:
    ids = [binhai.approved_case]
    for _ in range(2):
        ids.append(cli.json("case", "apply", *VILLAGE, "--household", binhai.household_id,
                            "--applicant", binhai.member_ids[0], "--programme", "dibao",
                            "--cause", "accident", "--expenditure", "50000")["id"])  # fmt: skip
    numbers = [case_no_of(cli, case_id) for case_id in ids]
    outputs = [
        narrow(cli, "case", "list", *VILLAGE).stdout,
        narrow(cli, "case", "search", "--name", "陈", *VILLAGE).stdout,
        narrow(cli, "queue", "waiting", *VILLAGE).stdout,
    ]
    for text in outputs[:2]:
        for case_id, number in zip(ids, numbers, strict=True):
            assert case_id in text and number in text
        assert "…" not in text
    for case_id in ids[1:]:  # the new applications wait for the village's commitment
        assert case_id in outputs[2]
    reads = narrow(cli, "audit", "reads", *COUNTY).stdout
    assert binhai.member_ids[0] in reads and "…" not in reads
    assert max(len(line) for text in (*outputs, reads) for line in text.splitlines()) <= 80


def test_search_by_name_id_number_and_case_number(cli: Cli, binhai: Binhai) -> None:
    number = case_no_of(cli, binhai.approved_case)
    by_name = cli.ok("case", "search", "--name", "必华", *VILLAGE).stdout
    assert NAME in by_name and number in by_name and "户主" in by_name
    [hit] = cli.json("case", "search", "--id-number", SPOUSE_ID, *TOWNSHIP)
    assert (hit["person_name"], hit["case"]["case_no"]) == (SPOUSE_NAME, number)
    [hit] = cli.json("case", "search", "--case-no", number, *COUNTY)
    assert hit["person_id"] == binhai.member_ids[0] and hit["case"]["id"] == binhai.approved_case
    audited = cli.ok("case", "search", "--name", "必华", *AUDITOR).stdout
    assert number in audited and NAME not in audited and ID_NUMBER not in audited


def test_search_refuses_bad_input_in_both_languages(cli: Cli, binhai: Binhai) -> None:
    bad = cli("case", "search", "--id-number", "123", *VILLAGE)
    assert bad.returncode == 4 and "身份证号码应为 18 位" in bad.stderr
    assert "ID number must have 18 characters" in bad.stderr and "Traceback" not in bad.stderr
    both = cli("case", "search", "--name", "陈", "--case-no", "320922-2024-000001", *VILLAGE)
    assert both.returncode == 4 and "exactly one" in both.stderr
    wrong = cli("queue", "urgent", *VILLAGE)
    assert (
        wrong.returncode == 4 and "due_this_week" in wrong.stderr and "未知待办队列" in wrong.stderr
    )


def test_audit_reads_lists_who_read_whom_without_names(cli: Cli, binhai: Binhai) -> None:
    cli.ok("case", "search", "--name", "陈", *VILLAGE, "--user", "bh-07")
    members = cli.ok("household", "members", binhai.household_id, *TOWNSHIP).stdout
    assert NAME in members and SPOUSE_NAME in members and ID_NUMBER not in members
    entries = cli.json("audit", "reads", *AUDITOR)
    assert [(e["actor_role"], e["purpose"]) for e in entries][:3] == [
        ("township", "household"), ("township", "household"), ("village", "search")]  # fmt: skip
    assert {e["person_id"] for e in entries} == set(binhai.member_ids)
    table = cli.ok("audit", "reads", *COUNTY).stdout
    assert "团结社区" in table and "bh-07" in table and "查询 search" in table
    for personal in (NAME, ID_NUMBER, SPOUSE_NAME, SPOUSE_ID):
        assert personal not in table and personal not in json.dumps(entries, ensure_ascii=False)
    refused = cli("audit", "reads", *VILLAGE)
    assert refused.returncode == 5 and "仅审计监督和县（区）民政局" in refused.stderr
