"""Files people open: each table's columns declared once, XLSX with yuan as numbers, real dates
and a frozen header, CSV with a byte-order mark and the same columns whatever the data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
import typer

from jiuzhu import sheets
from jiuzhu.cli.files import DEFAULT_LIMIT, view_of
from jiuzhu.sheets import Column, Sheet

PAID = Sheet("paid", "发放", "Payments", (
    Column("unit_name", "单位名称", "Unit"), Column("unit", "单位代码", "Unit code"),
    Column("paid_fen", "发放金额", "Paid", "yuan"), Column("people", "人数", "People", "count"),
    Column("day", "日期", "Day", "date"), Column("at", "时间", "At", "datetime"),
))  # fmt: skip
ROW = {"unit_name": "滨海县", "unit": "320922", "paid_fen": 123450, "people": 3,
       "day": "2024-03-15", "at": "2024-03-15T16:30:00.000000Z"}  # fmt: skip


def workbook(data: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return sheet


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_header_names_both_languages_and_the_unit() -> None:
    assert PAID.columns[2].header == "发放金额（元） Paid (yuan)"
    assert PAID.columns[5].header == "时间（北京时间） At (UTC+8)"
    assert PAID.columns[0].header == "单位名称 Unit"


def test_xlsx_holds_yuan_as_numbers_dates_as_dates_under_a_frozen_filtered_header() -> None:
    sheet = workbook(sheets.xlsx_bytes(PAID, [ROW]))
    assert [c.value for c in sheet[1]] == [c.header for c in PAID.columns]
    name, code, paid, people, day, at = sheet[2]
    assert (name.value, code.value) == ("滨海县", "320922")  # the unit by name and by code
    assert paid.value == 1234.5 and paid.number_format == "#,##0.00"
    assert people.value == 3 and isinstance(people.value, int)
    assert day.value == datetime(2024, 3, 15) and day.number_format == "yyyy-mm-dd"
    assert at.value == datetime(2024, 3, 16, 0, 30)  # 16:30 UTC is 00:30 next day in Shanghai
    assert at.number_format == "yyyy-mm-dd hh:mm"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F2"
    assert sheet.column_dimensions["C"].width >= len("Paid (yuan)")


def test_xlsx_is_the_same_bytes_for_the_same_data_and_dated_by_the_data() -> None:
    first, second = sheets.xlsx_bytes(PAID, [ROW]), sheets.xlsx_bytes(PAID, [ROW])
    assert first == second
    properties = openpyxl.load_workbook(io.BytesIO(first)).properties
    assert properties.created == datetime(2024, 3, 16, 0, 30)  # the latest instant in the rows
    assert properties.created == properties.modified


def test_an_empty_xlsx_keeps_its_header_and_a_fixed_date() -> None:
    data = sheets.xlsx_bytes(PAID, [])
    sheet = workbook(data)
    assert sheet.max_row == 1 and [c.value for c in sheet[1]][2] == "发放金额（元） Paid (yuan)"
    assert openpyxl.load_workbook(io.BytesIO(data)).properties.created == sheets.FIXED_STAMP


def test_csv_starts_with_the_byte_order_mark_and_writes_yuan() -> None:
    data = sheets.csv_bytes(PAID, [ROW])
    assert data.startswith(b"\xef\xbb\xbf")  # Excel on Chinese Windows then reads UTF-8
    header, row = csv_rows(data)
    assert header[2] == "发放金额（元） Paid (yuan)"
    assert row == ["滨海县", "320922", "1234.50", "3", "2024-03-15", "2024-03-16 00:30"]


def test_csv_columns_stay_the_same_on_empty_sparse_and_full_data() -> None:
    empty = csv_rows(sheets.csv_bytes(PAID, []))
    sparse = csv_rows(sheets.csv_bytes(PAID, [{"unit": "320922", "paid_fen": None}]))
    full = csv_rows(sheets.csv_bytes(PAID, [ROW, ROW]))
    assert empty[0] == sparse[0] == full[0] == [c.header for c in PAID.columns]
    assert sparse[1] == ["", "320922", "", "", "", ""]  # empty cells, never a dropped column
    assert all(len(line) == len(PAID.columns) for line in full)


def test_negative_and_odd_fen_become_exact_yuan() -> None:
    column = PAID.columns[2]
    assert [sheets.text_cell(column, fen) for fen in (0, 1, -5, 9_000_000)] == [
        "0.00", "0.01", "-0.05", "90000.00"]  # fmt: skip
    assert sheets.typed(PAID.columns[4], date(2024, 3, 1)) == date(2024, 3, 1)
    assert sheets.typed(PAID.columns[5], datetime(2024, 1, 1, tzinfo=UTC)) == datetime(
        2024, 1, 1, 8
    )


def test_the_report_has_a_column_for_every_state_whatever_the_data() -> None:
    from jiuzhu.workflows import REGISTRY

    report = sheets.report_sheet()
    states = {s for wf in REGISTRY.values() for s in wf.states}
    assert {c.key.removeprefix("state:") for c in report.columns if c.key.startswith("state:")} \
        == states  # fmt: skip
    row = {"unit": "320922", "name": "滨海县", "level": "county", "states": {"verified": 2},
           **{k: 1 for k in ("cases", "fast_track_cases", "beneficiaries", "open_recoveries",
                             "overdue_verifications", "missed_visits")},
           "paid_this_month_fen": 200_000, "paid_total_fen": 450_050, "owed_fen": 0}  # fmt: skip
    header, line = csv_rows(sheets.csv_bytes(report, sheets.report_rows([row])))
    cells = dict(zip(header, line, strict=True))
    assert cells["累计发放（元） Paid in total (yuan)"] == "4500.50"
    assert (
        cells["状态：核对通过 State: verified"] == "2"
        and cells["状态：已撤销 State: revoked"] == "0"
    )
    assert (cells["单位名称 Unit"], cells["单位代码 Unit code"]) == ("滨海县", "320922")
    assert not any("_fen" in h for h in header)


@pytest.mark.parametrize("sheet", [sheets.report_sheet(), sheets.CASES, sheets.CREDIT,
                                   sheets.OVERDUE, sheets.MISSED, sheets.ALARMS,
                                   sheets.FINDINGS, sheets.QUEUE], ids=lambda s: s.name)  # fmt: skip
def test_every_table_has_unique_bilingual_headers_and_says_yuan(sheet: Sheet) -> None:
    headers = [c.header for c in sheet.columns]
    assert len(set(headers)) == len(headers) and len(set(sheet.keys)) == len(sheet.keys)
    for column in sheet.columns:
        assert column.zh and column.en.isascii()
        assert (column.kind == "yuan") == ("（元）" in column.header and "(yuan)" in column.header)
        assert (column.kind == "yuan") == column.key.endswith("_fen")


# -- the command line's choice of format -----------------------------------------------------
def test_the_table_and_json_keep_the_default_limit_and_files_take_every_row() -> None:
    assert view_of(None, None, None).limit == DEFAULT_LIMIT
    assert view_of(None, None, None, json_out=True).fmt == "json"
    assert view_of("csv", None, None).limit is None
    assert view_of("csv", None, 7).limit == 7


def test_the_format_follows_the_file_ending(tmp_path: Path) -> None:
    assert view_of(None, tmp_path / "r.XLSX", None).fmt == "xlsx"
    assert view_of(None, tmp_path / "r.csv", None).fmt == "csv"
    assert view_of(None, tmp_path / "r.json", None).limit == DEFAULT_LIMIT


@pytest.mark.parametrize(("fmt", "output", "json_out", "en", "zh"), [
    ("pdf", None, False, "'pdf' is unknown; expected one of: table, csv, xlsx, json", "无效"),
    (None, "r.txt", False, "cannot tell the format", "无法从文件名"),
    ("table", "r.csv", False, "--output writes a file", "用于写文件"),
    ("csv", None, True, "--json and --format csv contradict", "相互矛盾"),
    ("csv", "missing/r.csv", False, "does not exist", "不存在"),
    ("csv", ".", False, "is a directory", "是目录"),
])  # fmt: skip
def test_bad_formats_and_paths_are_bilingual_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str | None, output: str | None,
    json_out: bool, en: str, zh: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    with pytest.raises(typer.BadParameter) as raised:
        view_of(fmt, None if output is None else Path(output), None, json_out)
    assert en in raised.value.message and zh in raised.value.message
    assert raised.value.exit_code == 2
