"""The timeline written out: one sentence template per event type, with a plain fallback.

Amounts are fen in the events and yuan on the page (``1,200.00 元``); instants are shown in
Shanghai time.  Events carry person ids, never names (docs/domain.md §2): a sentence names a
person only through the household's member list the page already holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..clock import SHANGHAI
from ..workflows import circumstance, fast_track, service_plan

# event type -> (zh, en); placeholders are filled from the payload by ``_values``
TEMPLATES: dict[str, tuple[str, str]] = {
    "apply": (
        "受理申请：因{cause}突发支出 {expenditure} 元",
        "applied: a sudden expenditure of {expenditure} yuan ({cause_en})",
    ),
    "promise": (
        "{signer}签署信用承诺书（{signed_on}）",
        "{signer} signed the credit commitment ({signed_on})",
    ),
    "review": (
        "民主评议通过：到会 {attendance} 人，赞成 {votes_for}，反对 {votes_against}，弃权 "
        "{abstentions}",
        "democratic appraisal passed: {attendance} present, {votes_for} "
        "for, {votes_against} against, {abstentions} abstaining",
    ),
    "fail_appraisal": (
        "民主评议未通过：到会 {attendance} 人，赞成 {votes_for}，反对 {votes_against}",
        "democratic appraisal failed: {attendance} present, "
        "{votes_for} for, {votes_against} against",
    ),
    "approve": ("先行批准，每月 {monthly} 元", "provisionally approved, {monthly} yuan a month"),
    "refuse": ("不予批准：{reason}", "refused: {reason}"),
    "verify": (
        "家庭经济状况核对通过（{checked_on}）",
        "the data check found the household eligible ({checked_on})",
    ),
    "revoke": (
        "核对发现弄虚作假，撤销救助并追回：{reason}",
        "revoked for falsification, with recovery: {reason}",
    ),
    "terminate": ("核对不符合条件，终止救助：{reason}", "terminated, not eligible: {reason}"),
    "withdraw": ("撤回申请：{reason}", "withdrawn: {reason}"),
    "mark_overdue": ("家庭经济状况核对已逾期", "the data check is overdue"),
    "remind": ("核对逾期催办", "overdue data check: reminder sent"),
    "pay_allowance": (
        "发放 {period} 救助金 {amount} 元",
        "paid the allowance for {period}: {amount} yuan",
    ),
    "record_medical_bill": ("医疗救助结算 {amount} 元", "medical assistance paid: {amount} yuan"),
    "record_out_of_area": (
        "登记户籍地低保、特困身份（{status}）：{unit_name}（{unit_code}）出具，有效期至 {valid_until}",
        "out-of-area {status} status recorded: issued by {unit_name} ({unit_code}), valid "
        "until {valid_until}",
    ),
    "reconfirm_out_of_area": (
        "复核户籍地身份：有效期延至 {valid_until}",
        "out-of-area status re-confirmed: valid until {valid_until}",
    ),
    "start_review": ("复核到期，启动复核", "the re-review fell due and opened"),
    "open_review": ("启动复核：{reason}", "re-review opened: {reason}"),
    "investigate_review": ("复核入户调查：{findings}", "re-review investigation: {findings}"),
    "give_review_opinion": ("复核乡镇意见：{opinion}", "re-review opinion: {opinion}"),
    "decide_review": (
        "复核决定（{outcome}）：{reasons}",
        "re-review decided ({outcome}): {reasons}",
    ),
    "stop_review": ("复核决定停止保障：{reasons}", "re-review: assistance stopped: {reasons}"),
    "transfer": (
        "家庭迁居，案件由 {from_village_id} 转至 {to_village_id}：{reason}",
        "the household moved; the case passed from {from_village_id} to {to_village_id}: {reason}",
    ),
    "record_circumstance": (
        "记录家庭情况变化（{change}），启动复核",
        "change of circumstance recorded ({change_en}); the re-review opened",
    ),
    "decide_phase_out": (
        "决定渐退 {months} 个月，发放至 {last_month}：{reasons}",
        "phase-out of {months} months decided, paid through {last_month}: {reasons}",
    ),
    "record_rigid_expenditure": ("认定刚性支出困难：{rigid}", "rigid-expenditure status: {rigid}"),
    "renew_rigid_expenditure": ("刚性支出认定续期", "rigid-expenditure status renewed"),
    "lapse_rigid_expenditure": (
        "刚性支出认定到期未续（至 {until}），启动复核",
        "rigid-expenditure status not renewed (held until {until}); a re-review opened",
    ),
    "impose_fine": ("处以罚款 {amount} 元：{reason}", "fined {amount} yuan: {reason}"),
    "record_repayment": ("退还追回款 {amount} 元", "repaid {amount} yuan"),
    "write_off": ("核销欠款 {amount} 元：{reason}", "wrote off {amount} yuan: {reason}"),
    "plan.open": ("设立服务计划：{plan_kind}", "opened a service plan: {plan_kind_en}"),
    "plan.visit": ("完成服务：{what}", "visit done: {what}"),
    "plan.miss": ("服务逾期未完成", "a visit was missed"),
    "plan.suspend": ("暂停服务计划：{reason}", "suspended a service plan: {reason}"),
    "plan.resume": ("恢复服务计划", "resumed a service plan"),
    "plan.end": ("结束服务计划：{reason}", "ended a service plan: {reason}"),
    "oneoff.opened": (
        "设立一次性服务项目：{what}（{due_on} 前完成）",
        "opened a one-off project: {what} (due {due_on})",
    ),
    "oneoff.completed": ("一次性服务项目已完成", "one-off project completed"),
    "oneoff.overdue": (
        "一次性服务项目逾期未完成（{due_on}）",
        "one-off project not completed by {due_on}",
    ),
}
_AMOUNT_KEYS = ("amount_fen", "paid_fen", "fine_fen", "medical_fen")


def yuan_text(fen: int | None) -> str:
    """Fen as yuan with thousands separators: 120000 -> '1,200.00'."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def shanghai(instant: datetime | None) -> str:
    if instant is None:
        return "—"
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def duration(seconds: float, lang: str) -> str:
    """A time span in days and hours (or hours and minutes under a day)."""
    total = int(abs(seconds)) // 60
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if lang == "en":
        return f"{days} d {hours} h" if days else f"{hours} h {minutes} min"
    return f"{days} 天 {hours} 小时" if days else f"{hours} 小时 {minutes} 分"


def _values(payload: Mapping[str, Any], person: Any) -> dict[str, Any]:
    cause = fast_track.CAUSES.get(payload.get("cause", ""))
    amount = next((payload[k] for k in _AMOUNT_KEYS if isinstance(payload.get(k), int)), None)
    kind = service_plan.KINDS.get(payload.get("kind", ""))
    return {
        **{k: v for k, v in payload.items() if isinstance(v, str | int)},
        "expenditure": yuan_text(payload.get("expenditure_fen")),
        "cause": cause.zh if cause else payload.get("cause", ""),
        "cause_en": cause.en if cause else payload.get("cause", ""),
        "monthly": yuan_text(payload.get("monthly_amount_fen")),
        "amount": yuan_text(amount),
        "signer": person(payload.get("signed_by")),
        "plan_kind": kind.zh if kind else payload.get("kind", ""),
        "plan_kind_en": kind.en if kind else payload.get("kind", ""),
        "reason": payload.get("reason", ""),
        "period": payload.get("period", payload.get("month", "")),
        **_circumstance(payload),
    }


def _circumstance(payload: Mapping[str, Any]) -> dict[str, Any]:
    change = circumstance.KINDS.get(payload.get("kind", ""))
    months = payload.get("paid_months")
    return {"change": change.zh if change else "", "change_en": change.en if change else "",
            "last_month": months[-1] if isinstance(months, list) and months else "",
            "rigid": payload.get("expenditure") if isinstance(payload.get("expenditure"), str)
            else ""}  # fmt: skip


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "—"


def sentence(event: Any, lang: str, person: Any = None) -> str:
    """What ``event`` (an EventView) did, as a sentence in ``lang``.  ``person(id)`` names a
    person the page may name (else the sentence says "a household member")."""

    def named(person_id: Any) -> str:
        found = person(person_id) if person and person_id else None
        return found or ("家庭成员" if lang == "zh" else "a household member")

    template = TEMPLATES.get(event.type)
    if template is None:  # the plain fallback: the event's own label
        return str(event.type_en if lang == "en" else event.type_zh)
    text = template[1] if lang == "en" else template[0]
    return text.format_map(_Blank(_values(event.payload, named)))
