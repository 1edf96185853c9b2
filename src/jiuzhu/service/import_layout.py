"""The layout of an import file (docs/import.md): its columns, its headers, how it is read.

Two kinds: ``households`` (one row per person) and ``cases`` (one row per running case).  A
header may be the Chinese name, the English key or both (``户编号 household_key``); blanks,
case and full-width brackets do not matter.  CSV files are UTF-8 (with or without a BOM) or,
when the start of the file is not UTF-8, GB18030; XLSX files are read with python-calamine
(the first sheet).  Row 1 is the header; blank rows are skipped but keep their numbers, so a
row number is the one a spreadsheet shows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..errors import InvalidInput

KINDS = ("households", "cases")
KIND_LABELS = {"households": "家庭成员", "cases": "在办案件"}


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = True
    example: str = ""

    @property
    def header(self) -> str:
        return f"{self.zh} {self.key}"


HOUSEHOLD_COLUMNS = (
    Column("household_key", "户编号", "the household's key in the source system", True, "HB-0001"),
    Column("name", "姓名", "the person's name", True, "张三"),
    Column("id_number", "身份证号", "18-character resident ID number", True,
           "11010519491231002X"),
    Column("relation", "与户主关系", "relation to the head: head, spouse, child, parent, "
           "grandchild, grandparent, sibling, other (or 户主, 配偶, …)", True, "户主"),
    Column("village", "村（社区）代码", "the village unit's code in jiuzhu", True, "v01"),
    Column("address", "住址", "address (accepted, not kept)", False, ""),
)  # fmt: skip
CASE_COLUMNS = (
    Column("household_key", "户编号", "household key (as in the households file), or", False,
           "HB-0001"),
    Column("head_id_number", "户主身份证号", "the head's ID number", False, ""),
    Column("programme", "救助项目", "dibao, tekun, near_dibao, rigid_expenditure", True, "dibao"),
    Column("workflow", "办理流程", "standard (审核确认) or fast_track (容缺审批)", True, "standard"),
    Column("state", "当前状态", "confirmed; fast_track: provisionally_approved or verified", True,
           "confirmed"),
    Column("monthly_amount", "月救助金额（元）", "monthly amount in yuan", True, "650.00"),
    Column("decision_date", "决定日期", "decision day YYYY-MM-DD", True, "2026-06-18"),
    Column("start_month", "起始发放月份", "first month paid YYYY-MM", True, "2026-07"),
    Column("paid_through", "已发放至月份", "last month paid in the source system YYYY-MM",
           False, "2026-11"),
    Column("verification_due", "核对截止日期", "fast track: data check due YYYY-MM-DD "
           "(default: the rule's)", False, ""),
    Column("applicant_id_number", "申请人身份证号", "applicant (default: the head)", False, ""),
    Column("cause", "支出原因", "fast track: major_illness, disaster, accident", False, ""),
    Column("expenditure", "突发支出金额（元）", "fast track: the sudden expenditure in yuan",
           False, ""),
    Column("source_case_no", "原系统案件编号", "the case's number in the source system", False,
           "DB-2026-0042"),
)  # fmt: skip
COLUMNS = {"households": HOUSEHOLD_COLUMNS, "cases": CASE_COLUMNS}


def kind_of(kind: object) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"unknown import kind '{kind}'; expected households or cases",
                           f"未知导入类型“{kind}”，应为 households（家庭成员）或 cases（在办案件）")  # fmt: skip
    return str(kind)


def _norm(text: str) -> str:
    text = text.replace("\ufeff", "").replace("（", "(").replace("）", ")")
    return "".join(text.split()).lower()


def _aliases(column: Column) -> set[str]:
    return {_norm(column.zh), _norm(column.key), _norm(column.header),
            _norm(column.zh.split("（")[0])}  # fmt: skip


def map_header(kind: str, header: list[str]) -> dict[str, int]:
    """Column key -> position; refuses unknown, repeated and missing required columns."""
    columns = COLUMNS[kind]
    lookup = {alias: c.key for c in columns for alias in _aliases(c)}
    positions: dict[str, int] = {}
    for i, cell in enumerate(header):
        if not cell.strip():
            continue
        key = lookup.get(_norm(cell))
        if key is None:
            raise InvalidInput(
                f"column {i + 1} '{cell}' is not a column of a {kind} file; expected: "
                + ", ".join(c.header for c in columns),
                f"第 {i + 1} 列“{cell}”不是{KIND_LABELS[kind]}文件的列；应为："
                + "、".join(c.zh for c in columns),
            )
        if key in positions:
            raise InvalidInput(f"column '{cell}' appears twice", f"列“{cell}”重复")
        positions[key] = i
    missing = [c for c in columns if c.required and c.key not in positions]
    if kind == "cases" and not {"household_key", "head_id_number"} & set(positions):
        missing.insert(0, columns[0])
    if missing:
        raise InvalidInput(
            f"the {kind} file lacks the column(s): " + ", ".join(c.header for c in missing)
            + " (see jiuzhu import template)",
            f"{KIND_LABELS[kind]}文件缺少列：" + "、".join(c.zh for c in missing)
            + "（可用 jiuzhu import template 生成模板）",
        )  # fmt: skip
    return positions


# -- reading ---------------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _format(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if not head.strip():
        raise InvalidInput(f"{path.name} is empty", f"文件 {path.name} 为空")
    if b"\x00" in head or path.suffix.lower() in (".xls", ".xlsx", ".pdf", ".zip"):
        raise InvalidInput(
            f"{path.name} is neither a CSV nor an XLSX file (save it as .csv in UTF-8, or .xlsx)",
            f"文件 {path.name} 不是 CSV 或 XLSX 文件（请另存为 UTF-8 编码的 .csv 或 .xlsx）",
        )
    return "csv"


def _encoding(path: Path) -> str:
    """utf-8-sig when the first 64 KiB decode as UTF-8, else gb18030 (a cheap, honest guess)."""
    with path.open("rb") as f:
        sample = f.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every non-blank row, the header (row 1) first."""
    if _format(path) == "xlsx":
        yield from _xlsx_rows(path)
        return
    encoding = _encoding(path)
    try:
        with path.open(encoding=encoding, newline="") as f:
            for number, cells in enumerate(csv.reader(f), 1):
                if any(c.strip() for c in cells):
                    yield number, [c.strip() for c in cells]
    except (UnicodeDecodeError, csv.Error) as err:
        raise InvalidInput(f"{path.name} cannot be read as CSV ({encoding}): {err}",
                           f"文件 {path.name} 无法按 CSV（{encoding}）读取") from None  # fmt: skip


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception as err:  # calamine raises its own types for a damaged workbook
        raise InvalidInput(f"{path.name} is not a readable XLSX workbook ({type(err).__name__})",
                           f"文件 {path.name} 不是可读取的 XLSX 工作簿") from None  # fmt: skip
    for number, row in enumerate(rows, 1):
        cells = [_cell(v) for v in row]
        if any(cells):
            yield number, cells


def count_rows(path: Path) -> int:
    """How many data rows (non-blank, after the header) the file holds."""
    return max(sum(1 for _ in read_rows(path)) - 1, 0)


# -- templates ---------------------------------------------------------------------------------
def write_template(kind: str, out: Path) -> Path:
    """An empty file of ``kind``: the header row only (docs/import.md shows examples)."""
    headers = [c.header for c in COLUMNS[kind_of(kind)]]
    suffix = out.suffix.lower()
    if suffix == ".csv":
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerow(headers)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(KIND_LABELS[kind])
        sheet.append(headers)
        book.save(out)
    else:
        raise InvalidInput(f"a template is written as .csv or .xlsx, not '{out.name}'",
                           f"模板文件应为 .csv 或 .xlsx，而不是“{out.name}”")  # fmt: skip
    return out


__all__ = ["CASE_COLUMNS", "COLUMNS", "HOUSEHOLD_COLUMNS", "KINDS", "Column", "count_rows",
           "file_sha256", "kind_of", "map_header", "read_rows", "write_template"]  # fmt: skip
