"""容缺审批 — the fast track (the Jiangsu pilot in Binhai county).

A household hit by a sudden expenditure of at least the policy threshold, caused by a major
illness, a disaster or an accident, is provisionally approved the same day on a signed credit
commitment and a passed village democratic appraisal; the household economic data check
follows, and its result verifies, revokes (falsification) or terminates (no falsification).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from .. import ledger
from ..clock import iso_utc, local_date, parse_iso_utc
from ..errors import GuardRejected
from ..money import yuan
from ..policy import DEFAULT_SETTINGS
from . import allowance as pay_run
from . import service_plan
from .base import CaseModel, DeadlineRule, Label, SubFlow, Transition, Workflow
from .calendar import add_months

month_of, months_through, next_month = ledger.month_of, ledger.months_through, ledger.next_month

NAME = "fast_track"
VERSION = 1

PROGRAMMES = {
    "dibao": Label("最低生活保障", "minimum living guarantee (dibao)"),
    "tekun": Label("特困人员供养", "support for the extremely poor (tekun)"),
    "near_dibao": Label("低保边缘家庭", "near-dibao household"),
    "rigid_expenditure": Label("刚性支出困难家庭", "rigid-expenditure household"),
}
CAUSES = {
    "major_illness": Label("重大疾病", "major illness"),
    "disaster": Label("灾害", "disaster"),
    "accident": Label("意外事故", "accident"),
}
VERIFICATION_RESULTS = {
    "meets_standard": ("verify", Label("核对符合条件", "meets the standard")),
    "falsification": ("revoke", Label("核对不符且弄虚作假", "fails, with falsification")),
    "fails_without_falsification": (
        "terminate",
        Label("核对不符但无弄虚作假", "fails, without falsification"),
    ),
}

# what the fast track's ``apply`` event records of the settings in force (jiuzhu.policy), under
# the keys its guards and deadline rules read; replay reads them from the event, never the book
RECORDED = (
    "verification_months", "max_expenditure_yuan", "max_monthly_amount_yuan", "reminder_days",
    "suspend_when_overdue", "monthly_payments", "pay_day", "medical_ratio_pct",
    "medical_cap_yuan", "max_bill_yuan", "recover_on_termination",
)  # fmt: skip
# the values cases opened before a key was recorded were decided by (never read from the book)
RECORDED_BEFORE = {"medical_ratio_pct": 85, "medical_cap_yuan": 60_000, "reminder_days": 7}


def recorded_policy(settings: Mapping[str, Any], on: date | None = None) -> dict[str, Any]:
    """The fast track's part of ``settings`` (a day's values of the policy book) as its
    ``apply`` event records it: the threshold in fen, the rest as they are."""
    recorded = {"threshold_fen": int(settings["fast_track_threshold_yuan"]) * 100,
                **{key: settings[key] for key in RECORDED}}  # fmt: skip
    if on is not None:
        recorded["in_force_on"] = on.isoformat()
    return recorded


DEFAULT_POLICY = recorded_policy(DEFAULT_SETTINGS)
"""The defaults as an ``apply`` event records them (for tests and tools)."""


STATES = {
    "applied": Label("已申请", "applied"),
    "promised": Label("已承诺", "commitment signed"),
    "reviewed": Label("已评议", "appraisal passed"),
    "provisionally_approved": Label("先行批准", "provisionally approved"),
    "verified": Label("核对通过", "verified"),
    "revoked": Label("已撤销", "revoked"),
    "terminated": Label("已终止", "terminated"),
    "rejected": Label("不予批准", "rejected"),
    "withdrawn": Label("已撤回", "withdrawn"),
}
FINAL = ("verified", "revoked", "terminated", "rejected", "withdrawn")

TRIGGERS = {
    "apply": Label("受理申请", "apply"),
    "promise": Label("签署信用承诺", "sign the credit commitment"),
    "review": Label("民主评议通过", "pass the democratic appraisal"),
    "fail_appraisal": Label("民主评议未通过", "fail the democratic appraisal"),
    "approve": Label("先行审批", "approve provisionally"),
    "refuse": Label("不予批准", "refuse"),
    "verify": Label("核对通过", "verify"),
    "revoke": Label("撤销并追回", "revoke and recover"),
    "terminate": Label("终止救助", "terminate"),
    "withdraw": Label("撤回申请", "withdraw"),
    "mark_overdue": Label("核对逾期", "verification overdue"),
    "remind": Label("逾期催办", "overdue reminder"),
    pay_run.TRIGGER: pay_run.LABEL,
    "record_medical_bill": Label("医疗救助结算", "pay medical assistance on a bill"),
    "impose_fine": Label("处以罚款", "impose a fine"),
    "record_repayment": Label("退还追回款", "record a repayment"),
    "write_off": Label("核销欠款", "write off what is owed"),
}
PAYING = ("provisionally_approved", "verified")


# -- guards: pure predicates over (projection, payload); they raise with the reason ------------
def check_application(payload: Mapping[str, Any]) -> None:
    policy = payload["policy"]
    if payload["programme"] not in PROGRAMMES:
        raise GuardRejected(
            f"unknown programme '{payload['programme']}'; the fast track serves: "
            + ", ".join(PROGRAMMES),
            f"未知救助项目“{payload['programme']}”；容缺审批适用于："
            + "、".join(label.zh for label in PROGRAMMES.values()),
        )
    if payload["cause"] not in CAUSES:
        raise GuardRejected(
            f"cause '{payload['cause']}' does not qualify; expected one of: " + ", ".join(CAUSES),
            f"支出原因“{payload['cause']}”不符合容缺审批条件；应为重大疾病、灾害或意外事故",
        )
    threshold = policy["threshold_fen"]
    if payload["expenditure_fen"] < threshold:
        raise GuardRejected(
            f"sudden expenditure of {yuan(payload['expenditure_fen'])} yuan is below the "
            f"fast-track threshold of {yuan(threshold)} yuan; apply on the standard path instead",
            f"突发支出 {yuan(payload['expenditure_fen'])} 元低于容缺审批门槛 {yuan(threshold)} 元，"
            "请按常规程序申请",
            threshold_fen=threshold,
        )
    if payload["applicant_id"] not in payload["member_ids"]:
        raise GuardRejected(
            "the applicant must be a member of the applying household",
            "申请人必须是申请家庭的成员",
        )


def _signer_is_member(model: CaseModel, payload: dict[str, Any]) -> None:
    if payload["signed_by"] not in model.facts["member_ids"]:
        raise GuardRejected(
            f"person {payload['signed_by']} is not a member of the applying household; "
            "the commitment must be signed by a member",
            "信用承诺书必须由申请家庭成员签署",
        )


def _votes_add_up(model: CaseModel, payload: dict[str, Any]) -> None:
    cast = payload["votes_for"] + payload["votes_against"] + payload["abstentions"]
    if payload["attendance"] < 1 or cast > payload["attendance"]:
        raise GuardRejected(
            f"appraisal counts do not add up: {cast} votes from {payload['attendance']} present",
            f"评议票数不符：出席 {payload['attendance']} 人，票数 {cast}",
        )


def _outcome(expected: str) -> Any:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        if payload["outcome"] != expected:
            raise GuardRejected(f"appraisal outcome must be '{expected}'", "评议结果不符")

    guard.__name__ = f"outcome_is_{expected}"
    return guard


def _amount_in_policy(model: CaseModel, payload: dict[str, Any]) -> None:
    maximum = model.facts["policy"]["max_monthly_amount_yuan"] * 100
    if not 0 < payload["monthly_amount_fen"] <= maximum:
        raise GuardRejected(
            f"monthly amount {yuan(payload['monthly_amount_fen'])} yuan is outside "
            f"(0, {yuan(maximum)}] yuan",
            f"月救助金额 {yuan(payload['monthly_amount_fen'])} 元不在 (0, {yuan(maximum)}] 元范围内",
        )


def _result(expected: str) -> Any:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        if payload["result"] != expected:
            raise GuardRejected(f"verification result must be '{expected}'", "核对结果不符")

    guard.__name__ = f"result_is_{expected}"
    return guard


# -- effects: change only the in-memory projection ---------------------------------------------
def _record(key: str) -> Any:
    def effect(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
        model.facts[key] = dict(payload)

    effect.__name__ = f"record_{key}"
    return effect


def _approved(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["monthly_amount_fen"] = payload["monthly_amount_fen"]
    model.facts["approved_at"] = iso_utc(at)
    # included that day (the Jiangsu pilot): the month of the approval is paid in full, on its
    # pay day, or at once when the approval comes on or after the pay day
    model.facts["allowance"] = pay_run.start(payload["monthly_amount_fen"],
                                             month_of(local_date(at)), at)  # fmt: skip
    ledger.money(model.facts)


def _ended(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    """Revoked or terminated: arrears (if any) paid, recovery ordered (if any), plans ended."""
    model.facts["verification"] = {k: v for k, v in payload.items()
                                   if k not in ("allowance_months", "allowance_fen", "recover",
                                                "credit")}  # fmt: skip
    _pay_arrears(model, payload)
    model.facts.pop("allowance", None)  # nothing more falls due
    if payload.get("recover"):
        totals = ledger.money(model.facts)
        totals["recovered_fen"] += totals["paid_fen"]
        totals["owed_fen"] += totals["paid_fen"]
    if payload.get("credit"):
        model.facts["credit_record"] = dict(payload["credit"])
    service_plan.end_all(model)  # a revoked or terminated case ends its service plans


def _verified(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["verification"] = {k: v for k, v in payload.items()
                                   if k not in ("allowance_months", "allowance_fen")}  # fmt: skip
    model.facts.pop("assistance_suspended", None)  # a late result that meets the standard
    _pay_arrears(model, payload)  # months withheld while the check was overdue


# -- money ---------------------------------------------------------------------------------
def arrears(facts: Mapping[str, Any], *, through: str | None) -> list[str]:
    """Months owed to the household now: those withheld, and (``through`` a month) the unpaid
    months up to it -- a termination pays through its own month ("stops from the next")."""
    allowance = facts.get("allowance")
    if not allowance:
        return []
    months = list(allowance.get("withheld", ()))
    if through is not None:
        months += months_through(allowance["next_month"], through)
    return months


def _pay_arrears(model: CaseModel, payload: dict[str, Any]) -> None:
    months = payload.get("allowance_months", [])
    if not months:
        return
    allowance = model.facts["allowance"]
    totals = ledger.money(model.facts)
    totals["paid_fen"] += len(months) * payload["allowance_fen"]
    allowance["withheld"] = []
    last = max(months)
    if last >= allowance["next_month"]:
        allowance["next_month"] = next_month(last)


def _arrears_agree(mode: str | None) -> Any:
    """The arrears a decision pays must be exactly what is owed: nothing on revocation, the
    withheld months on verification, and through the month of termination on termination."""

    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        want = [] if mode is None else arrears(model.facts, through=payload.get("through_month"))
        got = list(payload.get("allowance_months", []))
        monthly = model.facts.get("allowance", {}).get("monthly_fen")
        if got != want or (got and payload.get("allowance_fen") != monthly):
            raise GuardRejected(
                f"allowance arrears {got} do not match what is owed: {want}",
                "补发月份与应发月份不符",
            )

    guard.__name__ = f"arrears_agree_{mode}"
    return guard


def inclusion_day(facts: Mapping[str, Any]) -> date:
    """The day of inclusion (Shanghai): medical assistance counts from this day
    (the Jiangsu pilot)."""
    return local_date(parse_iso_utc(facts["approved_at"]))


def medical_assistance(facts: Mapping[str, Any], billed_on: date, total_fen: int,
                       insurance_fen: int) -> int:  # fmt: skip
    """What medical assistance pays on a bill: the policy share of what insurance left,
    within what remains of the case's yearly cap."""
    policy = facts["policy"]
    ratio = policy.get("medical_ratio_pct", RECORDED_BEFORE["medical_ratio_pct"])
    cap = policy.get("medical_cap_yuan", RECORDED_BEFORE["medical_cap_yuan"]) * 100
    used = facts.get("medical", {}).get("used_fen", {}).get(str(billed_on.year), 0)
    share = (total_fen - insurance_fen) * ratio // 100
    return max(0, min(share, cap - used))


def _bill_is_eligible(model: CaseModel, payload: dict[str, Any]) -> None:
    billed_on = date.fromisoformat(payload["billed_on"])
    first = inclusion_day(model.facts)
    if billed_on < first:
        raise GuardRejected(
            f"the bill is dated {billed_on}, before the day of inclusion {first}: medical "
            "assistance counts only from the day the household was included",
            f"票据日期 {billed_on} 早于纳入救助之日 {first}，医疗救助自纳入之日起计算",
            billed_on=billed_on.isoformat(), inclusion_day=first.isoformat(),
        )  # fmt: skip
    if payload["insurance_fen"] > payload["total_fen"]:
        raise GuardRejected(
            f"insurance paid {yuan(payload['insurance_fen'])} yuan, more than the bill's "
            f"{yuan(payload['total_fen'])} yuan",
            "医保已报销金额不能超过票据总额",
        )
    if payload["bill_id"] in model.facts.get("medical", {}).get("bills", []):
        raise GuardRejected(
            f"bill {payload['bill_id']} was recorded already", f"票据 {payload['bill_id']} 已结算"
        )
    want = medical_assistance(model.facts, billed_on, payload["total_fen"],
                              payload["insurance_fen"])  # fmt: skip
    if payload["assistance_fen"] != want:
        raise GuardRejected(
            f"medical assistance {yuan(payload['assistance_fen'])} differs from the policy's "
            f"{yuan(want)} yuan",
            "医疗救助金额与政策计算结果不符",
        )


def _bill_paid(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    medical = model.facts.setdefault("medical", {"bills": [], "used_fen": {}})
    medical["bills"].append(payload["bill_id"])
    year = payload["billed_on"][:4]
    medical["used_fen"][year] = medical["used_fen"].get(year, 0) + payload["assistance_fen"]
    ledger.money(model.facts)["paid_fen"] += payload["assistance_fen"]


def fine_amount(basis_fen: int, multiple_pct: int) -> int:
    return basis_fen * multiple_pct // 100


def _fine_allowed(model: CaseModel, payload: dict[str, Any]) -> None:
    totals = ledger.money(model.facts)
    if totals["fined_fen"]:
        raise GuardRejected("a fine was imposed on this case already", "本案已处罚款")
    if not 100 <= payload["multiple_pct"] <= 300:
        raise GuardRejected(
            f"a fine is 1 to 3 times what was obtained, not {payload['multiple']}",
            f"罚款为所骗取金额的一倍以上三倍以下，而非 {payload['multiple']} 倍",
        )
    if payload["basis_fen"] != totals["recovered_fen"] or payload["amount_fen"] != fine_amount(
        totals["recovered_fen"], payload["multiple_pct"]
    ):
        raise GuardRejected("the fine does not match what was obtained", "罚款金额与骗取金额不符")
    if payload["amount_fen"] <= 0:
        raise GuardRejected("nothing was obtained, so there is nothing to fine", "无骗取金额")


def _fined(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    totals = ledger.money(model.facts)
    totals["fined_fen"] += payload["amount_fen"]
    totals["owed_fen"] += payload["amount_fen"]


def _within_owed(what: str, zh: str) -> Any:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        owed = ledger.money(model.facts)["owed_fen"]
        if not 0 < payload["amount_fen"] <= owed:
            raise GuardRejected(
                f"{what} of {yuan(payload['amount_fen'])} yuan is more than the "
                f"{yuan(owed)} yuan still owed" if owed else "nothing is owed on this case",
                f"{zh}金额 {yuan(payload['amount_fen'])} 元超过尚欠的 {yuan(owed)} 元",
                owed_fen=owed,
            )  # fmt: skip

    guard.__name__ = "within_owed"
    return guard


def _reduces_owed(key: str) -> Any:
    def effect(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
        totals = ledger.money(model.facts)
        totals[key] += payload["amount_fen"]
        totals["owed_fen"] -= payload["amount_fen"]

    effect.__name__ = f"add_{key}"
    return effect


def _overdue(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    policy = model.facts["policy"]
    model.facts["overdue"] = {"due_at": payload["due_at"], "reminders": 0}
    if policy.get("suspend_when_overdue", False):
        model.facts["assistance_suspended"] = True
    model.deadlines.pop("verification_due", None)
    model.deadlines["verification_reminder"] = _next_reminder(at, policy)


def _next_reminder(at: datetime, policy: Mapping[str, Any]) -> datetime:
    return at + timedelta(days=policy.get("reminder_days", RECORDED_BEFORE["reminder_days"]))


def _reminded(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    policy = model.facts["policy"]
    model.facts["overdue"]["reminders"] += 1
    model.deadlines["verification_reminder"] = _next_reminder(at, policy)


def _plans_allowed(model: CaseModel) -> None:
    if model.state not in ("provisionally_approved", "verified"):
        raise GuardRejected(
            f"service plans start once assistance has started; the case is '{model.state}'",
            f"救助开始后方可设立服务计划，案件当前为“{STATES[model.state].zh}”",
        )


def open_facts(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The projection's facts right after the ``apply`` event."""
    check_application(payload)
    return {k: payload[k] for k in sorted(payload)}


def _verification_due(entered_at: datetime, policy: Mapping[str, Any]) -> datetime:
    return add_months(entered_at, int(policy.get("verification_months", 1)))


PENDING = ("applied", "promised", "reviewed")

WORKFLOW = Workflow(
    name=NAME,
    version=VERSION,
    states=STATES,
    initial="applied",
    final=FINAL,
    trigger_labels=TRIGGERS,
    opener=open_facts,
    transitions=(
        Transition(
            "promise", ("applied",), "promised", (_signer_is_member,), _record("commitment")
        ),
        Transition(
            "review",
            ("promised",),
            "reviewed",
            (_votes_add_up, _outcome("passed")),
            _record("appraisal"),
        ),
        Transition(
            "fail_appraisal",
            ("promised",),
            "rejected",
            (_votes_add_up, _outcome("failed")),
            _record("appraisal"),
        ),
        Transition(
            "approve", ("reviewed",), "provisionally_approved", (_amount_in_policy,), _approved
        ),
        Transition("refuse", ("reviewed",), "rejected", (), _record("refusal")),
        Transition(
            "verify",
            ("provisionally_approved",),
            "verified",
            (_result("meets_standard"), _arrears_agree("withheld")),
            _verified,
        ),
        Transition(
            "revoke",
            ("provisionally_approved",),
            "revoked",
            (_result("falsification"), _arrears_agree(None)),
            _ended,
        ),
        Transition(
            "terminate",
            ("provisionally_approved",),
            "terminated",
            (_result("fails_without_falsification"), _arrears_agree("through")),
            _ended,
        ),
        Transition("withdraw", PENDING, "withdrawn", (), _record("withdrawal")),
        Transition("mark_overdue", ("provisionally_approved",), None, (), _overdue, system=True),
        Transition("remind", ("provisionally_approved",), None, (), _reminded, system=True),
        Transition(
            pay_run.TRIGGER, PAYING, None, (pay_run.month_is_next,), pay_run.paid, system=True
        ),  # fmt: skip
        Transition("record_medical_bill", PAYING, None, (_bill_is_eligible,), _bill_paid),
        Transition("impose_fine", ("revoked",), None, (_fine_allowed,), _fined),
        Transition(
            "record_repayment",
            ("revoked", "terminated"),
            None,
            (_within_owed("repayment", "退还"),),
            _reduces_owed("repaid_fen"),
        ),
        Transition(
            "write_off",
            ("revoked", "terminated"),
            None,
            (_within_owed("write-off", "核销"),),
            _reduces_owed("written_off_fen"),
        ),
    ),
    deadline_rules=(
        DeadlineRule("verification_due", "provisionally_approved", _verification_due),
        DeadlineRule("verification_reminder", "provisionally_approved"),
    ),
    subflows={
        "plan": SubFlow(
            service_plan.WORKFLOW,
            collection="plans",
            id_key="plan_id",
            open_trigger="open",
            may_open=_plans_allowed,
            after_open=service_plan.after_open,
        )
    },
    on_deadline={
        "verification_due": "mark_overdue",
        "verification_reminder": "remind",
        "visit_due": "plan.miss",
        **pay_run.ON_DEADLINE,
    },
    allowance_states=PAYING,
)
