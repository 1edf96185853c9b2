"""Which event of a case makes which letter, and the facts of that letter (pure).

A letter reports one event: ``approval`` the approval of a case (the fast track's provisional
approval, the standard path's confirmation, a temporary-assistance grant), ``refusal`` its
refusal, ``recovery`` the fast track's revocation with its recovery order, ``commitment`` the
credit commitment a fast-track application is signed on.  Its facts are read from the events
alone -- the event's payload, the case folded up to it and the ledger derived from the events
up to it -- so a letter reports the case as it stood at its event, whatever happened later.
Facts hold ids, amounts (fen) and dates, never a name or an ID number: they are what the check
code (:mod:`.code`) is computed over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from ..audit.replay import fold, ledger_entries
from ..clock import local_date, parse_iso_utc
from ..errors import InvalidInput, NotFound
from ..ledger import balance
from ..workflows.base import Label
from ..workflows.calendar import month_of, next_month

FACTS_VERSION = 1
REPAY_DAYS = 30  # a recovery notice asks for repayment within this many days of its date

KINDS = {
    "approval": Label("审批决定书", "decision of approval"),
    "refusal": Label("不予批准告知书", "notice of refusal"),
    "recovery": Label("撤销及追回通知书", "notice of revocation and recovery"),
    "commitment": Label("诚信承诺书", "credit commitment"),
}
# what a fact is called in Chinese (a check names the facts that differ)
FACT_LABELS = {
    "kind": "文书种类", "case_id": "案件 ID", "case_no": "案件编号", "workflow": "办理程序",
    "programme": "救助项目", "seq": "事件序号", "event": "事件", "event_hash": "事件哈希",
    "date": "文书日期", "monthly_fen": "月救助金额", "from_month": "起始月份",
    "expenditure_fen": "申报支出", "verification_due": "核对截止日期", "items": "追回明细",
    "total_fen": "合计金额", "repaid_fen": "已退还", "written_off_fen": "已核销",
    "outstanding_fen": "尚欠", "repay_by": "缴回期限", "cause": "支出原因", "votes": "评议票数",
    "cash_fen": "现金", "in_kind_fen": "实物", "multiplier": "救助倍数",
    "household_size": "家庭人口", "code": "校验码",
}  # fmt: skip
# kind -> workflow -> the triggers whose events make that letter
TRIGGERS: dict[str, dict[str, tuple[str, ...]]] = {
    "approval": {"fast_track": ("approve",), "standard": ("confirm",),
                 "temporary": ("approve", "assist_first")},
    "refusal": {"fast_track": ("refuse", "fail_appraisal"), "standard": ("reject",),
                "temporary": ("reject",)},
    "recovery": {"fast_track": ("revoke",)},
    "commitment": {"fast_track": ("apply",)},
}  # fmt: skip

Event = Mapping[str, Any]


def workflow_of(events: Sequence[Event]) -> str:
    return str(events[0]["payload"]["workflow"])


def kind_of(workflow: str, event: Event) -> str | None:
    """The kind of letter ``event`` makes on a case of ``workflow``, or None."""
    for kind, by_workflow in TRIGGERS.items():
        if event["type"] in by_workflow.get(workflow, ()):
            return kind
    return None


def letter_events(events: Sequence[Event]) -> list[tuple[str, Event]]:
    """(kind, event) for every event of the case that makes a letter, in order."""
    workflow = workflow_of(events)
    found = [(kind_of(workflow, ev), ev) for ev in events]
    return [(kind, ev) for kind, ev in found if kind is not None]


def kinds_of(events: Sequence[Event]) -> list[str]:
    return list(dict.fromkeys(kind for kind, _ in letter_events(events)))


def check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        listed = ", ".join(KINDS)
        raise InvalidInput(
            f"letter kind '{kind}' is unknown; expected one of: {listed}",
            f"文书种类“{kind}”无效，应为以下之一：{listed}"
            f"（{'、'.join(label.zh for label in KINDS.values())}）",
            valid=list(KINDS),
        )
    return kind


def pick(events: Sequence[Event], kind: str, seq: int | None = None) -> Event:
    """The event the letter ``kind`` reports: the one at ``seq``, or the latest of that kind."""
    kind = check_kind(kind)
    case_no = events[0]["payload"].get("case_no", events[0]["case_id"])
    candidates = [ev for k, ev in letter_events(events) if k == kind]
    if not candidates:
        has = kinds_of(events)
        listed = ", ".join(has) or "none"
        listed_zh = "、".join(f"{k}（{KINDS[k].zh}）" for k in has) or "无"
        raise InvalidInput(
            f"case {case_no} has no event for a {kind} letter; the letters this case has: {listed}",
            f"案件 {case_no} 没有可出具“{KINDS[kind].zh}”的事件；本案可出具的文书：{listed_zh}",
            kinds=has,
        )
    if seq is None:
        return candidates[-1]
    for ev in candidates:
        if ev["seq"] == seq:
            return ev
    seqs = ", ".join(str(ev["seq"]) for ev in candidates)
    raise NotFound(
        f"case {case_no} has no {kind} letter at event {seq}; its {kind} events: {seqs}",
        f"案件 {case_no} 第 {seq} 号事件不是“{KINDS[kind].zh}”的事件；可选事件序号：{seqs}",
        seqs=[ev["seq"] for ev in candidates],
    )


def event_day(event: Event) -> date:
    """The Shanghai date of the event: the letter's date."""
    return local_date(parse_iso_utc(str(event["occurred_at"])))


def letter_facts(kind: str, events: Sequence[Event], seq: int) -> dict[str, Any]:
    """The facts of the ``kind`` letter on the event ``seq`` (which must make one)."""
    upto = [ev for ev in events if ev["seq"] <= seq]
    event = upto[-1]
    opening = events[0]["payload"]
    day = event_day(event)
    facts: dict[str, Any] = {
        "v": FACTS_VERSION, "kind": kind, "case_id": event["case_id"],
        "case_no": opening.get("case_no", ""), "workflow": opening["workflow"],
        "programme": opening.get("programme", ""), "seq": seq, "event": event["type"],
        "event_hash": event["hash"], "date": day.isoformat(),
    }  # fmt: skip
    payload = event["payload"]
    if kind == "approval":
        facts.update(_approval(opening["workflow"], event, upto, day))
    elif kind == "refusal":
        if event["type"] == "fail_appraisal":
            facts["votes"] = {k: payload[k] for k in ("attendance", "votes_for", "votes_against",
                                                      "abstentions") if k in payload}  # fmt: skip
    elif kind == "recovery":
        facts.update(_recovery(upto, day))
    elif kind == "commitment":
        facts.update(cause=opening.get("cause", ""), expenditure_fen=opening["expenditure_fen"])
    return facts


def amounts(facts: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(fact, fen) of every amount a letter shows: its ``*_fen`` facts and its items'."""
    found = [(k, v) for k, v in sorted(facts.items()) if k.endswith("_fen") and isinstance(v, int)]
    for i, item in enumerate(facts.get("items", ()), 1):
        found.append((f"items[{i}].amount_fen", item["amount_fen"]))
    return found


def _approval(workflow: str, event: Event, upto: Sequence[Event], day: date) -> dict[str, Any]:
    payload = event["payload"]
    if workflow == "fast_track":
        model = fold([dict(ev) for ev in upto])
        due = model.deadlines.get("verification_due")
        return {"monthly_fen": payload["monthly_amount_fen"], "from_month": month_of(day),
                "expenditure_fen": upto[0]["payload"]["expenditure_fen"],
                "verification_due": local_date(due).isoformat() if due else None}  # fmt: skip
    if workflow == "standard":
        return {"monthly_fen": payload["monthly_fen"], "from_month": next_month(month_of(day))}
    return {k: payload[k] for k in ("multiplier", "household_size", "total_fen", "cash_fen",
                                    "in_kind_fen") if k in payload}  # fmt: skip


def _recovery(upto: Sequence[Event], day: date) -> dict[str, Any]:
    """The recovery order booked by the revocation, line by line, and what is owed then."""
    seq = upto[-1]["seq"]
    entries = ledger_entries(upto)
    paid = {f"{e.seq}/{e.line}": e for e in entries}
    items = []
    for entry in entries:
        if entry.kind == "recovery" and entry.seq == seq:
            source = paid.get(entry.ref or "")
            items.append({"for": source.kind if source else "", "period": entry.period,
                          "ref": source.ref if source else None,
                          "amount_fen": entry.amount_fen})  # fmt: skip
    totals = balance(entries)
    return {"items": items, "total_fen": sum(i["amount_fen"] for i in items),
            "repaid_fen": totals["repayment"], "written_off_fen": totals["write_off"],
            "outstanding_fen": totals["owed_fen"],
            "repay_by": (day + timedelta(days=REPAY_DAYS)).isoformat()}  # fmt: skip


__all__ = ["FACT_LABELS", "KINDS", "REPAY_DAYS", "TRIGGERS", "amounts", "check_kind", "event_day", "kind_of",
           "kinds_of", "letter_events", "letter_facts", "pick", "workflow_of"]  # fmt: skip
