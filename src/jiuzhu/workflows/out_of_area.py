"""Out-of-area dibao or tekun status of a new-citizen household, and its medical assistance
(docs/domain.md §5, Qinhuai's "1+4"; pure).

A temporary-assistance case records that the household holds dibao (低保) or tekun (特困) at its
hukou place (``record_out_of_area``): the status, the issuing unit (name and 6-digit division
code, never the case's own county), its document and a valid-until day.  While the status is
valid the household gets, where it lives, the medical assistance dibao households get:
``record_medical_bill`` pays the policy share of a bill dated within the validity, booked as a
``medical`` ledger line, with the fast track's calculation (:mod:`.fast_track_money`).

Two deadlines follow the status (``state=None``: these effects open and close them):

* ``out_of_area_reconfirm`` -- ``out_of_area_notice_days`` before valid-until (00:00
  Shanghai); firing it (``mark_reconfirm_due``) puts the case on the county's alarm list until
  ``reconfirm_out_of_area`` records a new document and valid-until;
* ``out_of_area_lapse`` -- 00:00 Shanghai the day after valid-until; firing it
  (``lapse_out_of_area``) ends the status: a bill dated later is refused, and only a new
  ``record_out_of_area`` brings it back (bills within the earlier validity stay payable).

The case's end (close, reject, withdraw: :func:`ending`) closes both and resolves the alarm.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..clock import SHANGHAI, iso_utc
from ..errors import GuardRejected
from .calendar import add_months
from .common import limit_passed
from .fast_track_money import bill_adds_up, bill_paid
from .model import CaseModel, DeadlineRule, Effect, Label, Transition

STATUSES = {
    "dibao": Label("低保", "dibao (minimum living guarantee)"),
    "tekun": Label("特困供养", "tekun (extreme-poverty support)"),
}
TRIGGERS = {
    "record_out_of_area": Label("登记户籍地低保、特困身份", "record the out-of-area status"),
    "reconfirm_out_of_area": Label("复核户籍地低保、特困身份", "re-confirm the out-of-area status"),
    "mark_reconfirm_due": Label("户籍地身份待复核", "out-of-area status due for re-confirmation"),
    "lapse_out_of_area": Label("户籍地身份已失效", "out-of-area status lapsed"),
    "record_medical_bill": Label("医疗救助结算", "pay medical assistance on a bill"),
}
LIMITS = {"out_of_area_reconfirm": Label("户籍地低保、特困身份复核", "out-of-area re-confirmation")}
DEADLINES = ("out_of_area_reconfirm", "out_of_area_lapse")
RULES = (
    DeadlineRule("out_of_area_reconfirm", None, fires="mark_reconfirm_due"),
    DeadlineRule("out_of_area_lapse", None, fires="lapse_out_of_area"),
)
# what the recording and re-confirming events keep of the policy in force (jiuzhu.policy)
RECORDED = ("out_of_area_notice_days", "out_of_area_max_months")
_CODE = re.compile(r"[0-9]{6}")


def _midnight(day: date) -> datetime:
    """00:00 Shanghai on ``day``, as a UTC instant."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def _county(facts: Mapping[str, Any]) -> str:
    return str(facts["org_path"]).split("/", 1)[0]


# -- guards ---------------------------------------------------------------------------------------
def _valid_until_fits(payload: Mapping[str, Any], today_key: str) -> None:
    """Valid-until is after the day of the command and at most N months ahead (the policy)."""
    today = date.fromisoformat(payload[today_key])
    until = date.fromisoformat(payload["valid_until"])
    months = int(payload["policy"]["out_of_area_max_months"])
    latest = add_months(_midnight(today), months).astimezone(SHANGHAI).date()
    if not today < until <= latest:
        raise GuardRejected(
            f"valid-until {until} must be after {today} and at most {months} months ahead "
            f"(on or before {latest})",
            f"有效期至 {until} 应晚于 {today}，且不超过 {months} 个月（不晚于 {latest}）",
            valid_until=until.isoformat(), latest=latest.isoformat(),
        )  # fmt: skip


def _may_record(model: CaseModel, payload: dict[str, Any]) -> None:
    held = model.facts.get("out_of_area")
    if held is not None and held["state"] != "lapsed":
        raise GuardRejected("the out-of-area status is recorded already: re-confirm it instead",
                            "户籍地身份已登记，请办理复核")  # fmt: skip
    if payload["status"] not in STATUSES:
        raise GuardRejected(f"status '{payload['status']}' is not one of dibao, tekun",
                            "户籍地身份应为低保或特困")  # fmt: skip
    code = payload["unit_code"]
    if not _CODE.fullmatch(code):
        raise GuardRejected(f"the issuing unit's division code '{code}' is not 6 digits",
                            f"出具单位的行政区划代码“{code}”应为 6 位数字")  # fmt: skip
    if code == _county(model.facts):
        raise GuardRejected(
            f"the issuing unit {code} is this case's own county: an out-of-area status is "
            "issued at the hukou place elsewhere",
            f"出具单位 {code} 即本案所在区县；户籍地身份应由外地户籍所在地出具",
        )
    _valid_until_fits(payload, "recorded_on")


def _may_reconfirm(model: CaseModel, payload: dict[str, Any]) -> None:
    held = model.facts.get("out_of_area")
    if held is None or held["state"] == "lapsed":
        raise GuardRejected("there is no valid out-of-area status to re-confirm: record it",
                            "没有有效的户籍地身份可复核，请重新登记")  # fmt: skip
    _valid_until_fits(payload, "reconfirmed_on")


def bill_within_status(model: CaseModel, payload: dict[str, Any]) -> None:
    """A bill is paid only when dated within the out-of-area status' validity."""
    held = model.facts.get("out_of_area")
    if held is None:
        raise GuardRejected(
            "this temporary case records no out-of-area dibao or tekun status: medical "
            "assistance needs one", "本案未登记户籍地低保或特困身份，不能给予医疗救助",
        )  # fmt: skip
    billed_on = payload["billed_on"]
    periods = [*held.get("earlier", ()), [held["valid_from"], held["valid_until"]]]
    if not any(start <= billed_on <= end for start, end in periods):
        raise GuardRejected(
            f"the bill is dated {billed_on}, outside the out-of-area status' validity "
            f"{held['valid_from']} to {held['valid_until']}",
            f"票据日期 {billed_on} 不在户籍地身份有效期 {held['valid_from']} 至 "
            f"{held['valid_until']} 之内",
            billed_on=billed_on, valid_from=held["valid_from"], valid_until=held["valid_until"],
        )  # fmt: skip
    bill_adds_up(model.facts, payload)


# -- effects --------------------------------------------------------------------------------------
def _arm(model: CaseModel, held: Mapping[str, Any], at: datetime) -> None:
    until = date.fromisoformat(held["valid_until"])
    notice = int(held["policy"]["out_of_area_notice_days"])
    model.deadlines["out_of_area_reconfirm"] = max(_midnight(until - timedelta(days=notice)), at)
    model.deadlines["out_of_area_lapse"] = _midnight(until + timedelta(days=1))


def _resolve_alarms(model: CaseModel, at: datetime) -> None:
    for alarm in model.facts.get("alarms", []):
        if alarm["limit"] in LIMITS and alarm["resolved_at"] is None:
            alarm["resolved_at"] = iso_utc(at)


def _recorded(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    held = {k: payload[k] for k in ("status", "unit_name", "unit_code", "document",
                                    "valid_until")}  # fmt: skip
    held.update(valid_from=payload["recorded_on"], state="valid", reconfirmed=[],
                policy={k: payload["policy"][k] for k in RECORDED})  # fmt: skip
    before = model.facts.get("out_of_area")
    if before is not None:  # recorded anew after a lapse: bills of the earlier validity stay paid
        held["earlier"] = [
            *before.get("earlier", ()),
            [before["valid_from"], before["valid_until"]],
        ]
    model.facts["out_of_area"] = held
    _resolve_alarms(model, at)
    _arm(model, held, at)


def _reconfirmed(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    held = model.facts["out_of_area"]
    held["reconfirmed"].append({"document": held["document"], "valid_until": held["valid_until"],
                                "on": payload["reconfirmed_on"]})  # fmt: skip
    held.update(document=payload["document"], valid_until=payload["valid_until"], state="valid",
                policy={k: payload["policy"][k] for k in RECORDED})  # fmt: skip
    _resolve_alarms(model, at)
    _arm(model, held, at)


def _reconfirm_due(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    limit_passed(model, payload, at)
    model.facts["out_of_area"]["state"] = "reconfirm_due"


def _lapsed(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    for kind in DEADLINES:
        model.deadlines.pop(kind, None)
    model.facts["out_of_area"]["state"] = "lapsed"


def ending(effect: Effect) -> Effect:
    """``effect`` of a final transition, which also closes the status' deadlines and resolves
    its alarm: the status lives with its case."""

    def ended(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
        effect(model, payload, at)
        for kind in DEADLINES:
            model.deadlines.pop(kind, None)
        _resolve_alarms(model, at)

    ended.__name__ = getattr(effect, "__name__", "effect")
    return ended


def transitions(live: tuple[str, ...]) -> tuple[Transition, ...]:
    """The status' transitions in the case's ``live`` (non-final) states, all internal."""
    return (
        Transition("record_out_of_area", live, None, (_may_record,), _recorded),
        Transition("reconfirm_out_of_area", live, None, (_may_reconfirm,), _reconfirmed),
        Transition("mark_reconfirm_due", live, None, (), _reconfirm_due, system=True),
        Transition("lapse_out_of_area", live, None, (), _lapsed, system=True),
        Transition("record_medical_bill", live, None, (bill_within_status,), bill_paid),
    )


__all__ = ["DEADLINES", "LIMITS", "RECORDED", "RULES", "STATUSES", "TRIGGERS", "bill_within_status",
           "ending", "transitions"]  # fmt: skip
