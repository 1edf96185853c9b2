"""Checking one row of an import file on its own (no database): what it says, or why not.

A refused row raises :class:`RowRefused` naming its column and the reason in Chinese and
English; the reason never quotes an ID number (the error report shows it masked).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from ..errors import JiuzhuError
from ..idnumber import validate_id_number
from ..money import to_fen
from ..workflows import fast_track, standard
from ..workflows.adoption import importable_states
from ..workflows.calendar import month_of, next_month
from . import inputs
from .registry import RELATIONS

MAX_MONTHLY_YUAN = 100_000  # an absurd amount is refused here; the policy's limit in the rules
MAX_EXPENDITURE_YUAN = 100_000_000
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_COLUMNS = ("id_number", "head_id_number", "applicant_id_number")

WORKFLOWS = {standard.NAME: standard.WORKFLOW, fast_track.NAME: fast_track.WORKFLOW}
WORKFLOW_NAMES = {"审核确认": standard.NAME, "常规": standard.NAME, "容缺审批": fast_track.NAME}
PROGRAMMES = {standard.NAME: {standard.PROGRAMME: "最低生活保障"},
              fast_track.NAME: {k: v.zh for k, v in fast_track.PROGRAMMES.items()}}  # fmt: skip


class RowRefused(Exception):
    def __init__(self, column: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.column, self.zh, self.en = column, zh, en


T = TypeVar("T")


def checked(column: str, parse: Callable[[], T]) -> T:
    """``parse()``, its error turned into a refusal of ``column``."""
    try:
        return parse()
    except JiuzhuError as err:
        raise RowRefused(column, err.zh, err.message) from None


def refuse(column: str, zh: str, en: str) -> RowRefused:
    return RowRefused(column, zh, en)


def _required(cells: Mapping[str, str], column: str, what: str, zh: str) -> str:
    value = cells.get(column, "")
    if not value:
        raise refuse(column, f"请填写{zh}", f"{what} is required")
    return value


def _text(cells: Mapping[str, str], column: str, what: str, zh: str, limit: int) -> str:
    value = _required(cells, column, what, zh)
    return checked(column, lambda: inputs.text(value, what, required=True,
                                               max_length=limit) or "")  # fmt: skip


def id_number(cells: Mapping[str, str], column: str, today: date, *,
              required: bool = True) -> str | None:  # fmt: skip
    value = cells.get(column, "")
    if not value and not required:
        return None
    if not value:
        raise refuse(column, "请填写身份证号", "the ID number is required")
    return checked(column, lambda: validate_id_number(value, today=today))


def month(cells: Mapping[str, str], column: str, today: date, *,
          required: bool) -> str | None:  # fmt: skip
    """A ``YYYY-MM`` month, at the latest next month (a case is not paid further ahead)."""
    value = cells.get(column, "")
    if not value and not required:
        return None
    if not _MONTH.match(value):
        raise refuse(column, f"月份“{value}”格式不正确，应为 YYYY-MM（如 2026-07）",
                     f"month '{value}' is malformed; expected YYYY-MM, e.g. 2026-07")  # fmt: skip
    latest = next_month(month_of(today))
    if value > latest:
        raise refuse(column, f"月份 {value} 晚于下月（{latest}）",
                     f"month {value} is after next month ({latest})")  # fmt: skip
    return value


def day(cells: Mapping[str, str], column: str, today: date, *, required: bool,
        past: bool = True) -> str | None:  # fmt: skip
    value = cells.get(column, "")
    if not value and not required:
        return None
    try:
        parsed = date.fromisoformat(value) if _DAY.match(value) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise refuse(column, f"日期“{value}”无效，应为 YYYY-MM-DD（如 2026-06-18）",
                     f"date '{value}' is not a valid day; expected YYYY-MM-DD, e.g. 2026-06-18")  # fmt: skip
    if past and parsed > today:
        raise refuse(column, f"日期 {value} 晚于今天", f"date {value} is after today")
    return value


@dataclass(frozen=True)
class HouseholdRow:
    row_no: int
    key: str
    name: str
    id_number: str
    relation: str
    village: str


def household_row(row_no: int, cells: Mapping[str, str], today: date) -> HouseholdRow:
    key = _text(cells, "household_key", "household key", "户编号", 64)
    name = _text(cells, "name", "name", "姓名", 100)
    number = id_number(cells, "id_number", today) or ""
    relation = cells.get("relation", "") or "other"
    by_zh = {zh: key for key, zh in RELATIONS.items()}
    relation = by_zh.get(relation, relation.lower())
    if relation not in RELATIONS:
        raise refuse("relation", f"与户主关系“{relation}”无效；可选：{'、'.join(RELATIONS.values())}",
                     f"relation '{relation}' is not known; expected one of: "
                     + ", ".join(RELATIONS))  # fmt: skip
    village = _required(cells, "village", "village unit code", "村（社区）代码")
    return HouseholdRow(row_no, key, name, number, relation, village)


@dataclass(frozen=True)
class CaseRow:
    row_no: int
    household_key: str | None
    head_number: str | None
    workflow: str
    programme: str
    state: str
    decision: dict[str, Any]
    applicant_number: str | None
    cause: str | None
    expenditure_fen: int
    source_case_no: str | None


def _choice(cells: Mapping[str, str], column: str, what: str, zh: str,
            options: Mapping[str, str]) -> str:  # fmt: skip
    """A key of ``options`` given as the key or its Chinese label (``options`` key -> zh)."""
    value = _required(cells, column, what, zh)
    by_zh = {label: key for key, label in options.items()}
    found = by_zh.get(value, value if value in options else value.lower())
    if found not in options:
        raise refuse(column, f"{zh}“{value}”无效；可选：{'、'.join(options)}",
                     f"{what} '{value}' is not known; expected one of: {', '.join(options)}")  # fmt: skip
    return found


def case_row(row_no: int, cells: Mapping[str, str], today: date) -> CaseRow:
    key = cells.get("household_key") or None
    head = id_number(cells, "head_id_number", today, required=False)
    if key is None and head is None:
        raise refuse("household_key", "请填写户编号或户主身份证号",
                     "give the household key or the head's ID number")  # fmt: skip
    names = {name: name for name in WORKFLOWS} | WORKFLOW_NAMES
    workflow = names.get(_required(cells, "workflow", "workflow", "办理流程"))
    if workflow is None:
        raise refuse("workflow", f"办理流程“{cells['workflow']}”无效；可选：standard（审核确认）、"
                     "fast_track（容缺审批）", f"workflow '{cells['workflow']}' is not known; "
                     "expected standard or fast_track")  # fmt: skip
    wf = WORKFLOWS[workflow]
    programme = _choice(cells, "programme", "programme", "救助项目", PROGRAMMES[workflow])
    states = {s: wf.states[s].zh for s in wf.states}
    state = _choice(cells, "state", "state", "当前状态", states)
    importable = importable_states(workflow)
    if state not in importable:
        raise refuse("state", f"“{states[state]}”状态的案件不能导入；可导入："
                     + "、".join(f"{states[s]}（{s}）" for s in importable),
                     f"a {workflow} case in state '{state}' cannot be imported; importable: "
                     + ", ".join(importable))  # fmt: skip
    amount = _required(cells, "monthly_amount", "monthly amount", "月救助金额")
    monthly = checked("monthly_amount", lambda: to_fen(amount, what="monthly amount",
                                                       maximum_yuan=MAX_MONTHLY_YUAN))  # fmt: skip
    if monthly <= 0:
        raise refuse(
            "monthly_amount", "月救助金额应大于零", "the monthly amount must be above zero"
        )
    due = day(cells, "verification_due", today, required=False, past=False)
    if due is not None and state != "provisionally_approved":
        raise refuse("verification_due", "只有先行批准的容缺审批案件填写核对截止日期",
                     "a verification due date belongs only to a provisionally approved fast-track "
                     "case")  # fmt: skip
    decision = {"monthly_fen": monthly,
                "decided_on": day(cells, "decision_date", today, required=True),
                "start_month": month(cells, "start_month", today, required=True),
                "paid_through": month(cells, "paid_through", today, required=False),
                "verification_due_on": due}  # fmt: skip
    cause, expenditure = None, 0
    if workflow == fast_track.NAME:
        cause = _choice(cells, "cause", "cause", "支出原因",
                        {k: v.zh for k, v in fast_track.CAUSES.items()})  # fmt: skip
        spent = _required(cells, "expenditure", "sudden expenditure", "突发支出金额")
        expenditure = checked("expenditure", lambda: to_fen(
            spent, what="sudden expenditure", maximum_yuan=MAX_EXPENDITURE_YUAN))  # fmt: skip
    source_no = cells.get("source_case_no") or None
    if source_no is not None:
        checked("source_case_no", lambda: inputs.text(source_no, "source case number",
                                                      required=False, max_length=64))  # fmt: skip
    return CaseRow(row_no, key, head, workflow, programme, state, decision,
                   id_number(cells, "applicant_id_number", today, required=False), cause,
                   expenditure, source_no)  # fmt: skip


__all__ = ["CaseRow", "HouseholdRow", "ID_COLUMNS", "RowRefused", "case_row", "checked",
           "household_row", "refuse"]  # fmt: skip
