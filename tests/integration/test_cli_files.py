"""The list commands' files, in process: ``--format csv|xlsx`` and ``-o FILE`` write every row
(unless ``--limit``) in yuan under bilingual headers, ``--format json`` keeps fen, the table
keeps its limit, and the report's table stays whole at 80 columns."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from helpers import case_in, make_county, open_case
from rich.cells import cell_len
from typer.testing import CliRunner

import jiuzhu
from jiuzhu import FakeClock
from jiuzhu.cli import output
from jiuzhu.cli.program import app
from jiuzhu.scheduler.sweep import sweep

COUNTY = ("--role", "county", "--org", "320922")
PAID = "累计发放（元） Paid in total (yuan)"


@pytest.fixture
def db(sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Binhai county with three cases, one of them paid its month (2024-03)."""
    for name in ("JIUZHU_SIMULATED_TIME", "JIUZHU_DATABASE_URL", "JIUZHU_ROLE", "JIUZHU_ORG"):
        monkeypatch.delenv(name, raising=False)
    svc = jiuzhu.connect(sqlite_url, clock=clock, upgrade=False)
    org = make_county(svc)
    case_in(svc, org, "provisionally_approved")
    open_case(svc, org)
    open_case(svc, org, village=org.far_village)
    sweep(svc, worker="files", now=clock.now())
    svc.close()
    output.out.cache_clear()
    yield sqlite_url.removeprefix("sqlite:///")
    output.out.cache_clear()  # the next test's console reads its own COLUMNS


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(app, list(args), prog_name="jiuzhu")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout_bytes, result.stderr


def test_report_as_xlsx_holds_yuan_and_json_keeps_fen(db: str, tmp_path: Path) -> None:
    code, out, _ = run("report", "--db", db, "--month", "2024-03", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["paid_total_fen"] == 200_000  # fen, the keys unchanged
    target = tmp_path / "报表.xlsx"
    code, _, err = run("report", "--db", db, "--month", "2024-03", "-o", str(target))
    assert code == 0 and f"wrote 3 rows to {target}" in err  # county and two townships
    sheet = openpyxl.load_workbook(target).active
    headers = [c.value for c in sheet[1]]
    county = {h: c.value for h, c in zip(headers, sheet[2], strict=True)}
    assert county[PAID] == 2000.0 and county["本月发放（元） Paid this month (yuan)"] == 2000.0
    assert (county["单位名称 Unit"], county["单位代码 Unit code"]) == ("滨海县", "320922")
    assert sheet.freeze_panes == "A2"


def test_report_as_csv_on_stdout_has_the_byte_order_mark(db: str) -> None:
    code, out, _ = run("report", "--db", db, "--month", "2024-03", "--format", "csv")
    assert code == 0 and out.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"))))
    assert rows[0][PAID] == "2000.00" and rows[0]["状态：已申请 State: applied"] == "2"


def test_report_table_keeps_names_and_amounts_whole_at_80_columns(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run("report", "--db", db, "--month", "2024-03")
    text = out.decode()
    tables = text.split("按状态 cases by state:")[0]
    assert code == 0 and max(cell_len(line) for line in tables.splitlines()) <= 80
    assert "…" not in tables
    assert "滨海县" in tables and "东坎街道" in tables and "2,000.00" in tables
    assert "尚欠" in tables and "owed back" in tables and "recoveries" in tables


def test_files_take_every_row_and_the_table_keeps_its_limit(db: str, tmp_path: Path) -> None:
    code, out, _ = run("case", "list", *COUNTY, "--db", db, "--limit", "2")
    assert code == 0 and "showing 2 of 3" in out.decode()
    code, out, _ = run("case", "list", *COUNTY, "--db", db, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"))))
    assert code == 0 and len(rows) == 3  # a file: every case, no --limit given
    monthly = sorted(r["月救助金（元） Monthly amount (yuan)"] for r in rows)
    assert monthly == ["", "", "2000.00"]  # applied cases have none yet: an empty cell
    assert all(r["村（社区）代码 Village code"] and r["村（社区） Village"] for r in rows)
    code, _, err = run("case", "list", *COUNTY, "--db", db, "--limit", "2",
                       "-o", str(tmp_path / "cases.csv"))  # fmt: skip
    assert code == 0 and "wrote 2 rows of 3" in err
    assert len((tmp_path / "cases.csv").read_text(encoding="utf-8-sig").splitlines()) == 3


def test_an_empty_list_still_writes_its_header(db: str, tmp_path: Path) -> None:
    for command in (("money", "credit"), ("deadlines", "missed"), ("standard", "alarms")):
        target = tmp_path / f"{command[0]}.xlsx"
        code, _, _ = run(*command, *COUNTY, "--db", db, "-o", str(target))
        sheet = openpyxl.load_workbook(target).active
        assert code == 0 and sheet.max_row == 1 and sheet.freeze_panes == "A2"
        assert all(" " in str(c.value) for c in sheet[1])  # "中文 English" headers


def test_xlsx_goes_to_a_redirected_stdout_and_a_bad_path_is_a_usage_error(
    db: str, tmp_path: Path
) -> None:
    code, out, _ = run("queue", "waiting", *COUNTY, "--db", db, "--format", "xlsx")
    assert code == 0 and out.startswith(b"PK")  # stdout is no terminal here: the workbook
    code, _, err = run("report", "--db", db, "-o", str(tmp_path / "nowhere" / "r.xlsx"))
    assert code == 2 and "'--output'" in err and "不存在" in err
    assert not (tmp_path / "nowhere").exists()
