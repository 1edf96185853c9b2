"""Commands of temporary assistance (临时救助) with Qinhuai's "1+4" (docs/domain.md §5).

Part of :class:`~jiuzhu.service.service.CaseService`.  The grant is computed here from the
dibao line in force on the decision's day and written into the event (with that line), and
the workflow checks the arithmetic again; the payment's ledger lines follow from the event.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection

from ..errors import GuardRejected, InvalidInput
from ..money import to_fen
from ..workflows import get as get_workflow
from ..workflows import standard, temporary
from ..workflows.base import CaseModel
from ..workflows.workdays import workday_limit
from . import inputs
from .actors import Actor
from .standard import PathCommands
from .views import CaseView

MAX_MULTIPLIER_INPUT = 100  # the policy's range (1-5) is checked by the workflow


class TemporaryCommands(PathCommands):
    """Temporary assistance: apply, assess "1+4", decide, pay (or assist first), close."""

    def apply_temporary(self, actor: Actor, *, household_id: str, applicant_id: str,
                        kind: str = "emergency", new_citizen: bool = False,
                        waiting_on: str | None = None, expenditure: object = None,
                        idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Open a temporary-assistance case where the household lives.

        ``new_citizen``: the family has no local hukou (Qinhuai's "1+4").  ``waiting_on``: the
        household's standard-path case still pending (assistance while it waits, People's Daily report).
        ``expenditure``: the sudden or rigid expense in yuan, if known.
        """
        inputs.choice(kind, "kind", temporary.KINDS)
        if not isinstance(new_citizen, bool):
            raise InvalidInput("new_citizen must be true or false", "新市民标记应为是或否")
        extra: dict[str, Any] = {"programme": temporary.PROGRAMME, "kind": kind,
                                 "new_citizen": new_citizen}  # fmt: skip
        if expenditure is not None:
            extra["expenditure_fen"] = to_fen(expenditure, what="expenditure",
                                              maximum_yuan=100_000_000)  # fmt: skip

        def waiting(conn: Connection, payload: dict[str, Any]) -> dict[str, Any]:
            if waiting_on is None:
                return {}
            row = self._other_case(conn, waiting_on, "standard case")
            if row.workflow != standard.NAME or row.household_id != payload["household_id"]:
                raise GuardRejected(
                    f"case {row.id} is not a standard-path case of household "
                    f"{payload['household_id']}",
                    "所引用的案件不是该家庭的常规审核确认案件",
                )
            if row.state not in standard.PENDING:
                raise GuardRejected(
                    f"standard case {row.id} is '{row.state}': it is no longer pending",
                    "所引用的常规审核确认案件已办结",
                )
            return {"waiting_on": row.id}

        return self._open_path(actor, get_workflow(temporary.NAME), "apply_temporary",
                               household_id=household_id, applicant_id=applicant_id,
                               extra=extra, idempotency_key=idempotency_key, check=waiting)  # fmt: skip

    def assess_temporary(self, actor: Actor, case_id: str, *, income: object = None,
                         income_evidence: str | None = None, dependants: str | None = None,
                         sudden_event: str | None = None, commitment_signed_by: str | None = None,
                         commitment_evidence: str | None = None,
                         expected_version: int | None = None,
                         idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Record the "1+4" assessment: which of the four conditions hold, with evidence.

        ``income``: the six-month average monthly income per person in yuan (condition 1
        holds when it is below 2 x the line in force); ``dependants``/``sudden_event``: the
        evidence of conditions 2 and 3; ``commitment_signed_by``: the member who signed the
        integrity commitment (condition 4).  At least one must hold.
        """
        conditions = _conditions(income, income_evidence, dependants, sudden_event,
                                 commitment_signed_by, commitment_evidence)  # fmt: skip
        return self._temporary_step(actor, "assess_temporary", case_id, expected_version,
                                    idempotency_key, "assess", conditions)  # fmt: skip

    def complete_paperwork(self, actor: Actor, case_id: str, *, income: object = None,
                           income_evidence: str | None = None, dependants: str | None = None,
                           sudden_event: str | None = None,
                           commitment_signed_by: str | None = None,
                           commitment_evidence: str | None = None,
                           expected_version: int | None = None,
                           idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """After assisting first: the "1+4" assessment that completes the paperwork."""
        conditions = _conditions(income, income_evidence, dependants, sudden_event,
                                 commitment_signed_by, commitment_evidence)  # fmt: skip
        return self._temporary_step(actor, "assess_temporary", case_id, expected_version,
                                    idempotency_key, "complete_paperwork", conditions)  # fmt: skip

    def _temporary_step(self, actor: Actor, command: str, case_id: str,
                        expected_version: int | None, idempotency_key: str | None, trigger: str,
                        conditions: dict[str, dict[str, Any]]) -> CaseView:  # fmt: skip
        def build(model: CaseModel, today: date) -> tuple[str, dict[str, Any]]:
            policy = self.policy_in_force(model.facts["org_path"], today)
            assessed = {name: dict(item) for name, item in conditions.items()}
            if "income" in assessed:
                limit = temporary.income_limit_fen(policy)
                assessed["income"].update(limit_fen=limit,
                                          holds=assessed["income"]["average_fen"] < limit)  # fmt: skip
            return trigger, {"conditions": assessed, "policy": policy,
                             "assessed_on": today.isoformat()}  # fmt: skip

        return self._step(actor, command, case_id, expected_version, idempotency_key, build,
                          workflow=temporary.NAME)  # fmt: skip

    def decide_temporary(self, actor: Actor, case_id: str, *, decision: str,
                         multiplier: int | None = None, in_kind: object = "0",
                         reason: str | None = None, expected_version: int | None = None,
                         idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Approve the grant (multiplier x line in force today x household size; ``in_kind``
        yuan of it in kind, the rest in cash) or reject it with reasons."""
        verdict = inputs.choice(decision, "decision", {"approve": 1, "reject": 1})
        if verdict == "reject":
            why = inputs.text(reason, "reason", required=True)
            return self._step(actor, "decide_temporary", case_id, expected_version,
                              idempotency_key, lambda model, today: (
                                  "reject", {"reason": why, "decided_on": today.isoformat()}),
                              workflow=temporary.NAME)  # fmt: skip
        return self._grant(actor, case_id, "approve", multiplier, in_kind, reason,
                           expected_version, idempotency_key)  # fmt: skip

    def assist_first(self, actor: Actor, case_id: str, *, multiplier: int, reason: str,
                     in_kind: object = "0", expected_version: int | None = None,
                     idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """先行救助: pay the grant now in an emergency; the paperwork limit starts."""
        inputs.text(reason, "reason", required=True)
        return self._grant(actor, case_id, "assist_first", multiplier, in_kind, reason,
                           expected_version, idempotency_key)  # fmt: skip

    def _grant(self, actor: Actor, case_id: str, trigger: str, multiplier: object,
               in_kind: object, reason: str | None, expected_version: int | None,
               idempotency_key: str | None) -> CaseView:  # fmt: skip
        if multiplier is None:
            raise InvalidInput("give the multiplier (1-5 times the dibao line per person)",
                               "请填写救助倍数（1—5 倍低保标准）")  # fmt: skip
        times = inputs.count(multiplier, "multiplier")
        if not 1 <= times <= MAX_MULTIPLIER_INPUT:
            raise InvalidInput(f"multiplier must be a whole number from 1, got {multiplier!r}",
                               f"救助倍数应为正整数，实际为 {multiplier!r}")  # fmt: skip
        goods = to_fen(in_kind, what="in-kind part", maximum_yuan=10_000_000)
        why = inputs.text(reason, "reason", required=False)

        def build(model: CaseModel, today: date) -> tuple[str, dict[str, Any]]:
            policy = self.policy_in_force(model.facts["org_path"], today)
            if trigger == "assist_first":  # the paperwork limit must be countable
                workday_limit(self.clock.now(), model.facts["policy"]["assist_first_paperwork_wd"])
            size = len(model.facts["member_ids"])
            total = times * policy["dibao_line_fen"] * size
            payload = {"multiplier": times, "household_size": size, "total_fen": total,
                       "in_kind_fen": goods, "cash_fen": total - goods, "policy": policy,
                       "decided_on": today.isoformat()}  # fmt: skip
            return trigger, payload | ({"reason": why} if why else {})

        return self._step(actor, "decide_temporary", case_id, expected_version, idempotency_key,
                          build, workflow=temporary.NAME)  # fmt: skip

    def pay_temporary(self, actor: Actor, case_id: str, *, expected_version: int | None = None,
                      idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Hand over the approved grant: its cash and in-kind parts go to the ledger."""

        def build(model: CaseModel, today: date) -> tuple[str, dict[str, Any]]:
            grant = model.facts.get("grant", {})
            return "pay", {"cash_fen": grant.get("cash_fen", 0),
                           "in_kind_fen": grant.get("in_kind_fen", 0),
                           "paid_on": today.isoformat()}  # fmt: skip

        return self._step(actor, "pay_temporary", case_id, expected_version, idempotency_key,
                          build, workflow=temporary.NAME)  # fmt: skip

    def close_temporary(self, actor: Actor, case_id: str, *, note: str | None = None,
                        expected_version: int | None = None,
                        idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        text = inputs.text(note, "note", required=False)
        return self._step(actor, "pay_temporary", case_id, expected_version, idempotency_key,
                          lambda model, today: ("close", {"closed_on": today.isoformat()}
                                                | ({"note": text} if text else {})),
                          workflow=temporary.NAME)  # fmt: skip


def _conditions(income: object, income_evidence: str | None, dependants: str | None,
                sudden_event: str | None, signed_by: str | None,
                commitment_evidence: str | None) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The conditions claimed, with evidence (condition 1's outcome is computed later)."""
    out: dict[str, dict[str, Any]] = {}
    if income is not None:
        out["income"] = {"average_fen": to_fen(income, what="six-month average income",
                                               maximum_yuan=10_000_000),
                         "evidence": inputs.text(income_evidence, "income evidence",
                                                 required=True)}  # fmt: skip
    for name, evidence in (("dependants", dependants), ("sudden_event", sudden_event)):
        text = inputs.text(evidence, f"{name} evidence", required=False)
        if text is not None:
            out[name] = {"holds": True, "evidence": text}
    if signed_by is not None:
        out["commitment"] = {"holds": True, "signed_by": inputs.record_id(signed_by, "signer id"),
                             "evidence": inputs.text(commitment_evidence, "commitment evidence",
                                                     required=False) or "诚信承诺书 signed"}  # fmt: skip
    if not out:
        raise InvalidInput(
            "give the evidence of at least one of the four conditions (income, dependants, "
            "sudden_event, commitment)",
            "请至少提供“1+4”四项条件之一的证明",
        )
    return out
