"""Compliance findings (docs/domain.md): what an inspector looks for, from the events alone.

Each case is replayed (its own workflow version and the policy recorded when it opened) and
its ledger rebuilt; the stored credit records are read alongside.  Findings, by ``code``:

* ``approval_without_commitment`` / ``approval_without_appraisal`` -- a fast-track approval
  with no signed credit commitment, or no passed democratic appraisal, before it;
* ``payment_after_revocation`` -- money paid out by an event after the revocation;
* ``revocation_without_recovery`` -- a revoked case that had been paid, with no recovery order;
* ``revocation_without_credit_record`` -- a revocation for falsification with no credit record;
* ``verification_overdue`` -- the data check has not returned and its due time has passed
  (``days`` says by how long, at ``now``); ``verification_late`` -- it returned, late;
* ``visit_missed`` -- a service-plan visit that was not made;
* ``oneoff_overdue`` -- a one-off service project (a repair) not completed by its due day;
* ``review_overdue`` -- a step of a re-review (复核: the village's investigation, the township's
  opinion, the county's decision) whose working-day limit has passed and which is not done, or
  a re-review after a change of circumstance not decided by its ``recheck_due`` (``days`` says
  by how long, at ``now``);
* ``amount_outside_policy`` -- a monthly amount outside the policy's bounds, an allowance paid
  at another amount than the one approved, or an expenditure below the fast-track threshold;
* ``overlap_withheld`` -- an allowance month withheld, or left out of the arrears a decision
  paid, because the household's same programme was already paid for it under another case
  (one assistance chain per household): one finding per month, naming the other case, at the
  amount this case would have paid;
* ``stuck_claim`` -- a due deadline held by a claim whose lease is longer than any worker is
  given, or which is still held long after its lease ended: it does not fire (the stored
  deadline rows, not the events; naming the deadline kind and the claimer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from .. import ledger
from ..clock import iso_utc, parse_iso_utc
from ..errors import JiuzhuError
from ..models.db import snapshot
from ..workflows import circumstance
from ..workflows.adoption import IMPORT
from ..workflows.allowance import amount_for, overlapping
from . import sources
from .claims import bad_claims
from .replay import fold, ledger_entries

LABELS = {
    "approval_without_commitment": "无信用承诺即批准 approval without a commitment",
    "approval_without_appraisal": "未经民主评议即批准 approval without an appraisal",
    "payment_after_revocation": "撤销后仍发放 payment after revocation",
    "revocation_without_recovery": "撤销未追回 revocation without a recovery order",
    "revocation_without_credit_record": "撤销未记入信用记录 revocation without a credit record",
    "verification_overdue": "核对逾期未返回 verification overdue",
    "verification_late": "核对逾期后返回 verification returned late",
    "visit_missed": "服务漏访 missed visit",
    "oneoff_overdue": "一次性服务项目逾期 one-off project overdue",
    "review_overdue": "复核逾期未办结 re-review step overdue",
    "amount_outside_policy": "金额超出政策 amount outside policy",
    "overlap_withheld": "同户他案已发放当月救助金 allowance withheld: paid under another case",
    "stuck_claim": "期限被占用未触发 deadline held by a stuck claim",
}
DAY = 86400


@dataclass(frozen=True)
class Finding:
    case_id: str
    seq: int  # the event the finding is about (the case's last event for open overdue checks)
    code: str
    detail: str
    org_path: str
    days: float | None = None  # how late, where lateness is the finding
    amount_fen: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def findings_of(events: list[dict[str, Any]], credit_seqs: set[int],
                now: datetime) -> list[Finding]:  # fmt: skip
    """Every finding about one case, given its events and the seqs of its credit records."""
    try:
        entries = ledger_entries(events)
    except (JiuzhuError, KeyError, TypeError, ValueError):
        entries = []
    try:
        model = fold(events)
    except (JiuzhuError, KeyError, TypeError, ValueError):
        model = None  # it does not replay (a verification break): judge the events only
    opening = events[0]["payload"]
    out: list[Finding] = []
    path = opening.get("org_path", "")

    def add(seq: int, code: str, detail: str, **extra: Any) -> None:
        out.append(Finding(events[0]["case_id"], seq, code, detail, path, **extra))

    _approvals(events, add)
    _revocation(events, entries, credit_seqs, add)
    if model is not None:
        _verification(events, model.deadlines, model.facts, now, add)
        _reviews(events, model.facts, now, add)
    for ev in events:
        if ev["type"] == "plan.miss":
            add(ev["seq"], "visit_missed", f"plan {ev['payload'].get('plan_id')} occurrence "
                f"{ev['payload'].get('n')} was not made")  # fmt: skip
        if ev["type"] == "oneoff.overdue":
            add(ev["seq"], "oneoff_overdue", f"one-off {ev['payload'].get('oneoff_id')} due "
                f"{ev['payload'].get('due_on')} was not completed by then")  # fmt: skip
    _amounts(events, entries, opening.get("policy", {}), add)
    _overlaps(events, model.facts if model is not None else {}, add)
    return out


def _approvals(events: list[dict[str, Any]], add: Callable[..., None]) -> None:
    seen: set[str] = set()
    for ev in events:
        if ev["type"] == "approve" and events[0]["payload"].get("workflow") == "fast_track":
            if "promise" not in seen:
                add(ev["seq"], "approval_without_commitment", "approved before any commitment")
            if "review" not in seen:
                add(ev["seq"], "approval_without_appraisal", "approved before a passed appraisal")
        seen.add(ev["type"])


def _revocation(events: list[dict[str, Any]], entries: list[ledger.Entry],
                credit_seqs: set[int], add: Callable[..., None]) -> None:  # fmt: skip
    revoke = next((ev for ev in events if ev["type"] == "revoke"), None)
    if revoke is None:
        return
    at = revoke["seq"]
    for e in entries:
        if e.seq > at and e.kind in ledger.PAID_OUT:
            add(e.seq, "payment_after_revocation", f"{e.kind} paid after the revocation at seq "
                f"{at}", amount_fen=e.amount_fen)  # fmt: skip
    paid = sum(e.amount_fen for e in entries if e.kind in ledger.PAID_OUT and e.seq <= at)
    recovered = sum(e.amount_fen for e in entries if e.kind == "recovery")
    if paid > recovered:
        add(at, "revocation_without_recovery", f"{paid - recovered} fen paid and not ordered "
            "to be recovered", amount_fen=paid - recovered)  # fmt: skip
    if at not in credit_seqs:
        add(at, "revocation_without_credit_record", "no credit record names this revocation")


def _verification(events: list[dict[str, Any]], deadlines: dict[str, datetime],
                  facts: dict[str, Any], now: datetime, add: Callable[..., None]) -> None:  # fmt: skip
    due = deadlines.get("verification_due")
    overdue = facts.get("overdue")
    last = events[-1]["seq"]
    if due is not None and due < now:
        add(last, "verification_overdue", f"due {iso_utc(due)}, not returned",
            days=round((now - due).total_seconds() / DAY, 1))  # fmt: skip
    elif overdue and "verification_reminder" in deadlines:
        since = parse_iso_utc(overdue["due_at"])
        add(last, "verification_overdue", f"due {overdue['due_at']}, not returned; "
            f"{overdue.get('reminders', 0)} reminder(s)",
            days=round((now - since).total_seconds() / DAY, 1))  # fmt: skip
    elif overdue:
        result = next((ev for ev in reversed(events)
                       if ev["type"] in ("verify", "revoke", "terminate")), None)  # fmt: skip
        if result is not None:
            late = parse_iso_utc(result["occurred_at"]) - parse_iso_utc(overdue["due_at"])
            add(result["seq"], "verification_late", f"due {overdue['due_at']}, returned "
                f"{result['occurred_at']}", days=round(late.total_seconds() / DAY, 1))  # fmt: skip


def _amounts(events: list[dict[str, Any]], entries: list[ledger.Entry], policy: dict[str, Any],
             add: Callable[..., None]) -> None:  # fmt: skip
    opening = events[0]["payload"]
    threshold = policy.get("threshold_fen")
    if opening.get("workflow") == "fast_track" and threshold is not None and (
            opening.get("expenditure_fen", 0) < threshold):  # fmt: skip
        add(1, "amount_outside_policy", f"expenditure {opening.get('expenditure_fen')} fen is "
            f"below the fast-track threshold {threshold}", amount_fen=opening.get("expenditure_fen"))  # fmt: skip
    maximum = policy.get("max_monthly_amount_yuan")
    approved: int | None = None
    for ev in events:
        amount = ev["payload"].get("monthly_amount_fen") if ev["type"] == "approve" else None
        if ev["type"] == IMPORT:  # a running case brought in: the amount it was decided at
            amount = ev["payload"].get("decision", {}).get("monthly_fen")
        if amount is None:
            continue
        approved = amount
        if amount <= 0 or (maximum is not None and amount > maximum * 100):
            add(ev["seq"], "amount_outside_policy", f"monthly amount {amount} fen is outside "
                f"(0, {maximum} yuan]", amount_fen=amount)  # fmt: skip
    if approved is None:
        return
    # a re-review may change the amount from a month on (复核: workflows.review)
    decided = {"monthly_fen": approved, "changes": [
        {"from_month": ev["payload"]["from_month"], "monthly_fen": ev["payload"]["monthly_fen"]}
        for ev in events if ev["type"] == "decide_review" and ev["payload"].get("outcome") == "change"]}  # fmt: skip
    for e in entries:
        expected = amount_for(decided, e.period or "")
        if e.kind == "allowance" and e.amount_fen != expected:
            add(e.seq, "amount_outside_policy", f"allowance for {e.period} paid at {e.amount_fen}"
                f" fen, approved {expected}", amount_fen=e.amount_fen)  # fmt: skip


def _overlaps(events: list[dict[str, Any]], facts: dict[str, Any],
              add: Callable[..., None]) -> None:  # fmt: skip
    allowance = facts.get("allowance") or {}
    for ev in events:
        payload = ev["payload"]
        if ev["type"] == "pay_allowance" and overlapping(payload, ev["case_id"]):
            months = {payload["month"]: payload["overlap_case"]}
        else:  # the arrears a decision paid, less the months another case was paid for
            months = payload.get("overlap_months") or {}
        if not isinstance(months, dict):
            continue
        for month, other in sorted(months.items()):
            fen = amount_for(allowance, month) if "monthly_fen" in allowance else None
            add(ev["seq"], "overlap_withheld", f"allowance for {month} withheld: the household "
                f"was paid it under case {other}", amount_fen=fen)  # fmt: skip


LIMITS = circumstance.LIMITS  # a re-review's steps, and its due day after a change of circumstance


def _reviews(events: list[dict[str, Any]], facts: dict[str, Any], now: datetime,
             add: Callable[..., None]) -> None:  # fmt: skip
    for alarm in facts.get("alarms", []):
        if alarm["limit"] in LIMITS and alarm["resolved_at"] is None:
            late = (now - parse_iso_utc(alarm["due_at"])).total_seconds() / DAY
            add(events[-1]["seq"], "review_overdue", f"{LIMITS[alarm['limit']].en} due "
                f"{alarm['due_at']}, not done", days=round(late, 1))  # fmt: skip


def database_findings(engine: Engine, *, now: datetime,
                      progress: Callable[[int], None] | None = None) -> Iterator[Finding]:  # fmt: skip
    """Every finding in the database, case by case (streamed, one case in memory)."""
    with snapshot(engine) as conn:
        source = sources.DatabaseSource(conn)
        credits = sources.grouped(source.rows(
            f"SELECT case_id, seq FROM credit_records ORDER BY {source.order}, seq"))  # fmt: skip
        for _case_id, (events, credit) in sources.merge(source.events(), credits):
            if events:
                yield from findings_of(events, {row[1] for row in credit or ()}, now)
                if progress is not None:
                    progress(len(events))
        for claim in bad_claims(conn, now=now):
            yield Finding(claim.case_id, claim.seq, "stuck_claim", claim.detail, claim.org_path)
