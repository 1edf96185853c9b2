"""``jiuzhu money`` and ``jiuzhu report`` in the console program: a medical bill from the day of
inclusion, the worker paying the first month, revocation with recovery and credit record,
repayment (more than owed refused with exit 5), the ledger and the county report."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from cli_support import COUNTY, SEED_DAY, TOWNSHIP, Binhai, Cli

TODAY = SEED_DAY.date()  # the template's case was approved on the seed's day, a pay day


def test_money_commands_run_the_fraud_case_end_to_end(cli: Cli, binhai: Binhai) -> None:
    case = binhai.approved_case
    bill = cli.json("money", "bill", case, *TOWNSHIP, "--date", TODAY.isoformat(), "--total",
                    "90000", "--insurance", "50000", "--hospital", "滨海县人民医院")  # fmt: skip
    assert bill["facts"]["medical"]["used_fen"] == {str(TODAY.year): 3_400_000}

    early = cli("money", "bill", case, *TOWNSHIP, "--date",
                (TODAY - timedelta(days=1)).isoformat(), "--total", "100", "--hospital", "医院")  # fmt: skip
    assert early.returncode == 5 and "Error [rule_refused]" in early.stderr
    assert "医疗救助自纳入之日起计算" in early.stderr and "day of inclusion" in early.stderr

    report = json.loads(cli.ok("worker", "--once").stdout.splitlines()[-1])
    assert report["fired"] == 1  # this month's allowance, paid on the day of inclusion

    revoked = cli.json("case", "verify", case, *COUNTY, "--result", "falsification",
                       "--reason", "隐瞒存款")  # fmt: skip
    assert revoked["state"] == "revoked"
    assert revoked["facts"]["money"]["owed_fen"] == 3_400_000 + 200_000

    ledger = cli.json("money", "ledger", case, *COUNTY)
    kinds = [e["kind"] for e in ledger["entries"]]
    assert kinds == ["medical", "allowance", "recovery", "recovery"]
    assert ledger["balance"]["owed_fen"] == 3_600_000

    too_much = cli("money", "repay", case, *TOWNSHIP, "--amount", "36000.01")
    assert too_much.returncode == 5 and "Error [rule_refused]" in too_much.stderr
    assert "超过尚欠" in too_much.stderr
    cli.ok("money", "repay", case, *TOWNSHIP, "--amount", "6000")
    fine = cli("money", "fine", case, *TOWNSHIP, "--multiple", "1.5", "--reason", "骗取")
    assert fine.returncode == 5 and "Error [permission_denied]" in fine.stderr  # the county's
    shown = cli.ok("money", "ledger", case, *COUNTY).stdout
    assert "追回 recovery order" in shown and "30,000.00" in shown  # still owed

    credit = cli.json("money", "credit", *COUNTY)
    assert [(c["case_id"], c["reason"]) for c in credit] == [(case, "隐瞒存款")]
    assert credit[0]["person_id"] in binhai.member_ids
    cli.ok("audit", "verify")


def test_report_shows_the_county_and_its_townships_as_table_csv_and_json(
    cli: Cli, binhai: Binhai
) -> None:
    cli.ok("worker", "--once")
    rows = json.loads(cli.ok("report", "--format", "json").stdout)
    assert [(r["unit"], r["level"]) for r in rows] == [("320922", "county"),
                                                       ("320922100", "township")]  # fmt: skip
    assert rows[0]["paid_this_month_fen"] == rows[0]["paid_total_fen"] == 200_000
    assert rows[0]["beneficiaries"] == 2 and rows[0]["fast_track_cases"] == 1

    table = list(csv.DictReader(io.StringIO(cli.ok("report", "--format", "csv").stdout)))
    assert table[0]["累计发放（元） Paid in total (yuan)"] == "2000.00"  # yuan, and it says so
    assert table[0]["状态：先行批准 State: provisionally_approved"] == "1"
    assert table[0]["状态：已撤销 State: revoked"] == "0"  # every state's column, always

    shown = cli.ok("report", "--org", "320922100").stdout
    assert "东坎街道" in shown and "2,000.00" in shown and "本月发放" in shown
    assert "先行批准 provisionally_approved 1" in shown
    month = f"{date(TODAY.year - 1, 1, 1):%Y-%m}"  # (paid this month: 2024-03, by default)
    old = json.loads(cli.ok("report", "--format", "json", "--month", month).stdout)
    assert old[0]["paid_this_month_fen"] == 0

    bad = cli("report", "--org", "999999")
    assert bad.returncode == 5 and "999999" in bad.stderr  # an auditor of no such unit
    assert "Error [permission_denied]" in bad.stderr
