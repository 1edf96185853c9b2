"""Files people open in Excel or WPS: one declaration of a table's columns, two writers.

A :class:`Sheet` declares its columns once (key, Chinese and English header, kind); rows are
plain dicts keyed by the columns' keys, holding what the service returns: amounts in integer
fen, instants as datetimes or UTC ISO text, days as dates or ISO text.  The writers turn them
into what a reader expects:

* :func:`xlsx_bytes`: amounts as numbers in yuan (format ``#,##0.00``, the unit named in the
  header), real dates and date-times (Shanghai local time), the header row frozen, an
  autofilter, column widths from the content;
* :func:`csv_bytes`: UTF-8 with a byte-order mark (Excel on Chinese Windows reads the Chinese
  right), every declared column always (an empty cell, never a dropped column), amounts as
  ``1234.50`` yuan.

Both are deterministic: the same rows give the same bytes (the workbook's times come from the
data, never the clock; the zip entries carry a fixed date).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from .clock import SHANGHAI

Kind = Literal["text", "yuan", "count", "number", "date", "datetime"]
UNIT_SUFFIX: dict[str, tuple[str, str]] = {
    "yuan": ("（元）", " (yuan)"),
    "datetime": ("（北京时间）", " (UTC+8)"),
}
NUMBER_FORMATS = {"yuan": "#,##0.00", "count": "0", "number": "0.0", "date": "yyyy-mm-dd",
                  "datetime": "yyyy-mm-dd hh:mm"}  # fmt: skip
FIXED_STAMP = datetime(2000, 1, 1)  # the workbook's time when the data has no instant
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry


@dataclass(frozen=True)
class Column:
    """One column: ``key`` in the rows, its Chinese and English header, and its kind."""

    key: str
    zh: str
    en: str
    kind: Kind = "text"

    @property
    def header(self) -> str:
        """The bilingual header, naming the unit: "发放金额（元） Paid (yuan)"."""
        zh, en = UNIT_SUFFIX.get(self.kind, ("", ""))
        return f"{self.zh}{zh} {self.en}{en}"


@dataclass(frozen=True)
class Sheet:
    """A table's columns, declared once, and its title (the worksheet's and the file's name)."""

    name: str  # a file name stem, ASCII: "report-units"
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    def with_columns(self, *extra: Column) -> Sheet:
        return Sheet(self.name, self.title_zh, self.title_en, self.columns + extra)


# -- cell values ---------------------------------------------------------------------------
def yuan(fen: int) -> Decimal:
    """Integer fen as exact yuan: 123450 -> Decimal('1234.50')."""
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def local_datetime(value: datetime | str) -> datetime:
    """An instant (aware datetime, or UTC ISO text) as naive Shanghai wall-clock time."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)


def as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return local_datetime(value).date()
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def typed(column: Column, value: Any) -> Any:
    """The cell's value as its kind (None stays None, an empty cell)."""
    if value is None or value == "":
        return None
    kind = column.kind
    if kind == "yuan":
        return yuan(int(value))
    if kind == "count":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "date":
        return as_date(value)
    if kind == "datetime":
        return local_datetime(value)
    return value if isinstance(value, str) else str(value)


def text_cell(column: Column, value: Any) -> str:
    """The cell as CSV text: yuan "1234.50", dates "2024-03-22", times "2024-03-22 09:00"."""
    cell = typed(column, value)
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, float):
        return f"{cell:.1f}"
    return cell.isoformat() if isinstance(cell, date) else str(cell)


def cells(sheet: Sheet, rows: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """The rows as typed cells, one per declared column (missing keys are empty cells)."""
    return [[typed(c, row.get(c.key)) for c in sheet.columns] for row in rows]


# -- the writers ---------------------------------------------------------------------------
def csv_bytes(sheet: Sheet, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows as CSV: UTF-8 with BOM, the bilingual header, every declared column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in sheet.columns])
    for row in rows:
        writer.writerow([text_cell(c, row.get(c.key)) for c in sheet.columns])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheet: Sheet, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows as an XLSX workbook of one worksheet (see the module's docstring)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    table = cells(sheet, rows)
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook has its one worksheet
    ws.title = sheet.title_zh[:31]
    ws.append([c.header for c in sheet.columns])
    for line in table:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in line])
    bold = Font(bold=True)
    for index, column in enumerate(sheet.columns, start=1):
        head = ws.cell(row=1, column=index)
        head.font = bold
        head.alignment = Alignment(wrap_text=True, vertical="top")
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format:
            for r in range(2, len(table) + 2):
                ws.cell(row=r, column=index).number_format = number_format
        values = [text_cell(column, line[index - 1]) for line in table]
        ws.column_dimensions[get_column_letter(index)].width = _width(column, values)
    ws.freeze_panes = "A2"
    if sheet.columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(table) + 1}"
    stamp = _stamp(table)
    wb.properties.creator = "jiuzhu"
    wb.properties.title = f"{sheet.title_zh} {sheet.title_en}"
    wb.properties.created = wb.properties.modified = stamp
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook: it stamps the clock's time
    return _fixed_dates(buffer.getvalue())


def _width(column: Column, values: list[str]) -> float:
    """Wide enough for the longest value (CJK characters count twice), within 8..60."""

    def shown(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    header = max(shown(column.zh + UNIT_SUFFIX.get(column.kind, ("", ""))[0]),
                 shown(column.en + UNIT_SUFFIX.get(column.kind, ("", ""))[1]))  # fmt: skip
    longest = max([header, *(shown(v) for v in values)])
    return float(min(max(longest + 2, 8), 60))


def _stamp(table: list[list[Any]]) -> datetime:
    """The workbook's created/modified time: the latest instant in the data, else fixed."""
    instants = [v for line in table for v in line if isinstance(v, datetime)]
    return max(instants) if instants else FIXED_STAMP


def _fixed_dates(data: bytes) -> bytes:
    """The same zip with every entry dated :data:`ZIP_DATE` (zip entries carry the clock's)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:  # fmt: skip
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_bytes(sheet: Sheet, rows: Iterable[Mapping[str, Any]], fmt: str) -> bytes:
    return xlsx_bytes(sheet, rows) if fmt == "xlsx" else csv_bytes(sheet, rows)


# -- the tables: each declared once, for the CLI's files and the HTTP service's ------------
def _c(key: str, zh: str, en: str, kind: Kind = "text") -> Column:
    return Column(key, zh, en, kind)


UNIT = (_c("unit_name", "单位名称", "Unit"), _c("unit", "单位代码", "Unit code"))
VILLAGE = (_c("village_name", "村（社区）", "Village"),
           _c("village_id", "村（社区）代码", "Village code"))  # fmt: skip
CASE = (_c("case_no", "案件编号", "Case no"), _c("case_id", "案件ID", "Case id"))
LEVELS = {"county": "县 county", "township": "乡镇 township", "village": "村 village"}

REPORT = Sheet("report-units", "救助统计", "Assistance report", (
    *UNIT, _c("level", "层级", "Level"),
    _c("cases", "案件数", "Cases", "count"),
    _c("fast_track_cases", "容缺受理", "Fast-track cases", "count"),
    _c("beneficiaries", "受益人数", "Beneficiaries", "count"),
    _c("paid_this_month_fen", "本月发放", "Paid this month", "yuan"),
    _c("paid_total_fen", "累计发放", "Paid in total", "yuan"),
    _c("open_recoveries", "待追回案件", "Open recoveries", "count"),
    _c("owed_fen", "尚欠金额", "Owed back", "yuan"),
    _c("overdue_verifications", "核对逾期", "Overdue checks", "count"),
    _c("missed_visits", "漏访", "Missed visits", "count"),
))  # fmt: skip


PROJECTS = Sheet("report-projects", "帮扶项目统计", "Projects report", (
    _c("name", "项目名称", "Project"), _c("year", "年度", "Year", "count"), *UNIT,
    _c("beneficiary_households", "受益户数", "Beneficiary households", "count"),
    _c("person_times", "服务人次", "Person-times", "count"),
    _c("visits", "上门服务次数", "Visits done", "count"),
    _c("oneoffs_completed", "完成一次性项目", "One-offs completed", "count"),
    _c("plans", "服务计划数", "Plans", "count"),
    _c("oneoffs", "一次性项目数", "One-offs", "count"),
    _c("project_id", "项目ID", "Project id"),
))  # fmt: skip


def report_sheet() -> Sheet:
    """The report's columns, with one count per state of every workflow (fixed, whatever
    states the data holds)."""
    from .workflows import REGISTRY

    states: dict[str, str] = {}
    for wf in REGISTRY.values():
        for name, state in wf.states.items():
            states.setdefault(name, state.zh)
    return REPORT.with_columns(*(_c(f"state:{name}", f"状态：{zh}", f"State: {name}", "count")
                                 for name, zh in sorted(states.items())))  # fmt: skip


def report_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The service's report rows, flat: names and codes, every state's count (0 if none)."""
    flat = []
    for r in rows:
        row = {k: v for k, v in r.items() if k != "states"}
        row |= {"unit_name": r["name"], "level": LEVELS.get(r["level"], r["level"])}
        flat.append(row | {f"state:{s}": n for s, n in r["states"].items()})
    keys = [c.key for c in report_sheet().columns if c.key.startswith("state:")]
    return [{k: 0 for k in keys} | row for row in flat]


CASES = Sheet("cases", "案件", "Cases", (
    *CASE, _c("workflow", "流程", "Workflow"), _c("programme", "救助项目", "Programme"),
    _c("state_zh", "状态", "State (zh)"), _c("state", "状态代码", "State"), *VILLAGE,
    _c("expenditure_fen", "刚性支出", "Outlay", "yuan"),
    _c("monthly_amount_fen", "月救助金", "Monthly amount", "yuan"),
    _c("opened_at", "受理时间", "Opened", "datetime"),
))  # fmt: skip
CREDIT = Sheet("credit-records", "信用记录", "Credit record", (
    _c("recorded_on", "记录日期", "Recorded on", "date"), _c("person_id", "人员ID", "Person id"),
    _c("case_id", "案件ID", "Case id"), _c("seq", "事件序号", "Event seq", "count"),
    _c("reason", "原因", "Reason"),
))  # fmt: skip
OVERDUE = Sheet("overdue-verifications", "核对逾期", "Overdue verifications", (
    _c("case_id", "案件ID", "Case id"), *VILLAGE, _c("due_at", "应核对", "Due", "datetime"),
    _c("late_days", "逾期天数", "Days late", "number"),
    _c("reminders", "已催办次数", "Reminders", "count"),
))  # fmt: skip
MISSED = Sheet("missed-visits", "漏访", "Missed visits", (
    _c("case_id", "案件ID", "Case id"), _c("plan_id", "服务计划ID", "Plan id"),
    _c("service", "服务", "Service"), _c("provider", "提供方", "Provider"), *VILLAGE,
    _c("due_at", "宽限截止", "Due", "datetime"),
    _c("recorded_missed_at", "记录漏访", "Recorded missed", "datetime"),
))  # fmt: skip
ALARMS = Sheet("limit-alarms", "超时预警", "Limit alarms", (
    _c("case_id", "案件ID", "Case id"), _c("workflow", "流程", "Workflow"), *VILLAGE,
    _c("state", "状态", "State"), _c("limit_zh", "时限", "Limit (zh)"),
    _c("limit_en", "时限（英文）", "Limit"), _c("due_at", "到期", "Due", "datetime"),
    _c("late_days", "超时天数", "Days late", "number"),
    _c("raised_at", "预警时间", "Raised", "datetime"),
    _c("resolved_at", "处理时间", "Resolved", "datetime"),
))  # fmt: skip
FINDINGS = Sheet("findings", "合规发现", "Findings", (
    _c("case_id", "案件ID", "Case id"), _c("seq", "事件序号", "Event seq", "count"),
    _c("code", "发现代码", "Finding"), _c("label", "发现", "Finding (label)"),
    _c("village_name", "村（社区）", "Village"), _c("village_id", "村（社区）代码", "Village code"),
    _c("days", "天数", "Days", "number"), _c("amount_fen", "金额", "Amount", "yuan"),
    _c("detail", "说明", "Detail"),
))  # fmt: skip
QUEUE = Sheet("queue", "待办", "Work queue", (
    *CASE, _c("state_zh", "状态", "State (zh)"), _c("state", "状态代码", "State"), *VILLAGE,
    _c("reason_zh", "原因", "Reason (zh)"), _c("reason_en", "原因（英文）", "Reason"),
    _c("due_at", "期限", "Due", "datetime"),
))  # fmt: skip


def case_row(view: Any) -> dict[str, Any]:
    """A :class:`~jiuzhu.service.views.CaseView` as a row of :data:`CASES` (or of a queue)."""
    return {"case_no": view.case_no, "case_id": view.id, "workflow": view.workflow,
            "programme": view.programme, "state_zh": view.state_zh, "state": view.state,
            "village_name": view.village_name, "village_id": view.village_id,
            "expenditure_fen": view.expenditure_fen,
            "monthly_amount_fen": view.monthly_amount_fen, "opened_at": view.opened_at}  # fmt: skip


def named(rows: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows with ``village_name`` from ``village_id`` (the names of the units)."""
    return [{**r, "village_name": names.get(r.get("village_id") or "", "")} for r in rows]


def finding_rows(findings: Iterable[Any], labels: Mapping[str, str],
                 names: Mapping[str, str]) -> list[dict[str, Any]]:  # fmt: skip
    """Compliance findings as rows of :data:`FINDINGS` (the village: the last unit of the
    case's ``org_path``)."""
    rows = []
    for f in findings:
        village = f.org_path.rsplit("/", 1)[-1]
        rows.append({**f.to_dict(), "label": labels.get(f.code, f.code),
                     "village_id": village, "village_name": names.get(village, "")})  # fmt: skip
    return rows


def unit_names(engine: Any) -> dict[str, str]:
    """Every unit's name by its id (for files read without an actor: the audit's findings)."""
    from sqlalchemy import select

    from .models import rows as store

    units = store.org_units
    with engine.connect() as conn:
        return {unit: name for unit, name in conn.execute(select(units.c.id, units.c.name))}
