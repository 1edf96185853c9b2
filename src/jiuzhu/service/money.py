"""Money commands and reads (docs/domain.md §3, §7): medical bills, fines, repayments, write-offs,
the ledger of a case and the credit record.

Part of :class:`~jiuzhu.service.service.CaseService`.  Each command is one internal
transition of the case and one event in its chain; the ledger lines it books are derived from
that event (the workflow's ``books`` hooks, :meth:`jiuzhu.workflows.base.Workflow.book`) and written in the same transaction.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import ledger
from ..errors import InvalidInput
from ..models import rows
from ..money import to_fen
from ..workflows import fast_track_money
from ..workflows import get as get_workflow
from ..workflows.base import CaseModel
from . import inputs
from .actors import Actor, require_role
from .base import CommandBase
from .views import CaseView

_MULTIPLE = re.compile(r"[0-9](\.[0-9]{1,2})?")


def decision_payload(model: CaseModel, trigger: str, today: date,
                     reason: str | None) -> dict[str, Any]:  # fmt: skip
    """What the data check's decision pays, recovers and records (added to its payload): the
    ``decide`` hook of the case's workflow (see ``jiuzhu.workflows.fast_track_money``)."""
    wf = get_workflow(model.facts["workflow"], model.facts["workflow_version"])
    return wf.decide(model, trigger, today, reason=reason)


@dataclass(frozen=True)
class LedgerView:
    case_id: str
    entries: list[ledger.Entry]
    balance: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "entries": [e.as_dict() for e in self.entries],
                "balance": self.balance}  # fmt: skip


class MoneyCommands(CommandBase):
    """Money commands, and the ledger and credit-record reads."""

    def record_medical_bill(self, actor: Actor, case_id: str, *, billed_on: date | str,
                            total: object, insurance_paid: object = 0, hospital: str,
                            bill_id: str | None = None, expected_version: int | None = None,
                            idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Pay medical assistance on a hospital bill: the policy share of what insurance left.

        Only bills dated on or after the day of inclusion are eligible (People's Daily report: "医疗救助是从纳入
        低保那一天起计算"); earlier ones are refused with the reason.  On a temporary case, only
        bills dated within its out-of-area dibao or tekun status (:mod:`.out_of_area`).
        """
        maximum = self.policy["max_bill_yuan"]
        total_fen = to_fen(total, what="bill total", maximum_yuan=maximum)
        insurance_fen = to_fen(insurance_paid, what="paid by insurance", maximum_yuan=maximum)
        if total_fen == 0:
            raise InvalidInput("the bill total must be more than zero", "票据金额应大于零")
        where = inputs.text(hospital, "hospital", required=True, max_length=200)
        ref = str(uuid.uuid4()) if bill_id is None else inputs.text(
            bill_id, "bill id", required=True, max_length=64)  # fmt: skip

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            day = inputs.day(billed_on, "bill date", earliest=date(1900, 1, 1), today=today)
            paid = 0
            if "approved_at" in model.facts or "out_of_area" in model.facts:
                paid = fast_track_money.medical_assistance(model.facts, date.fromisoformat(day),
                                                     total_fen, insurance_fen)  # fmt: skip
            return "record_medical_bill", {
                "bill_id": ref, "billed_on": day, "hospital": where, "total_fen": total_fen,
                "insurance_fen": insurance_fen, "assistance_fen": paid,
            }  # fmt: skip

        return self._transition(actor, "record_medical_bill", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def impose_fine(self, actor: Actor, case_id: str, *, multiple: object, reason: str,
                    expected_version: int | None = None,
                    idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The county fines a household that obtained assistance by falsification: 1-3 times
        what it obtained.  A decision, never automatic."""
        text = str(multiple).strip() if isinstance(multiple, (str, int, Decimal)) else ""
        if isinstance(multiple, bool) or not _MULTIPLE.fullmatch(text):
            raise InvalidInput(
                f"fine multiple '{multiple}' is not a number such as 1, 1.5 or 3",
                f"罚款倍数“{multiple}”无效，应为 1、1.5、3 等",
            )
        try:
            pct = int(Decimal(text) * 100)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise InvalidInput("fine multiple is not a number", "罚款倍数无效") from None
        why = inputs.text(reason, "reason", required=True)

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            basis = model.facts.get("money", {}).get("recovered_fen", 0)
            return "impose_fine", {"multiple": text, "multiple_pct": pct, "basis_fen": basis,
                                   "amount_fen": fast_track_money.fine_amount(basis, pct),
                                   "reason": why, "decided_on": today.isoformat()}  # fmt: skip

        return self._transition(actor, "impose_fine", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def record_repayment(self, actor: Actor, case_id: str, *, amount: object,
                         paid_on: date | str | None = None,
                         expected_version: int | None = None,
                         idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Money paid back against a recovery order or fine; more than is owed is refused."""
        fen = self._positive(amount, "repayment")

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            day = inputs.day(paid_on, "repayment date", earliest=earliest, today=today)
            return "record_repayment", {"amount_fen": fen, "paid_on": day}

        return self._transition(actor, "record_repayment", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def write_off(self, actor: Actor, case_id: str, *, amount: object, reason: str,
                  expected_version: int | None = None,
                  idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The county writes off (part of) what is owed, with its reason."""
        fen = self._positive(amount, "write-off")
        why = inputs.text(reason, "reason", required=True)
        return self._transition(actor, "write_off", case_id, expected_version, idempotency_key,
                                lambda model, today, earliest: (
                                    "write_off", {"amount_fen": fen, "reason": why}))  # fmt: skip

    def _positive(self, amount: object, what: str) -> int:
        fen = to_fen(amount, what=what, maximum_yuan=self.policy["max_bill_yuan"])
        if fen == 0:
            raise InvalidInput(f"{what} amount must be more than zero", "金额应大于零")
        return fen

    # -- reads ---------------------------------------------------------------------------------
    def ledger(self, actor: Actor, case_id: str) -> LedgerView:
        """Every ledger entry of a case, in order, and its balance."""
        require_role(actor, "read")
        case_id = inputs.record_id(case_id)
        with self.uow.read() as conn:
            self._load(conn, case_id, actor, for_update=False)
            entries = self.sql.ledger_entries(conn, case_id)
        return LedgerView(case_id, entries, ledger.balance(entries))

    def credit_records(self, actor: Actor, *, case_id: str | None = None) -> list[dict[str, Any]]:
        """Credit-record entries (person id, case, reason, date) in the actor's jurisdiction.

        Auditors see person ids only; names stay with the household's record.
        """
        require_role(actor, "read")
        path = self._actor_path(actor)
        with self.uow.read() as conn:
            if case_id is not None:
                case_id = inputs.record_id(case_id)
                self._load(conn, case_id, actor, for_update=False)  # NotFound, PermissionDenied
            found = conn.execute(rows.credit_records_of(path, case_id)).all()
        return [{"person_id": r.person_id, "case_id": r.case_id, "seq": r.seq,
                 "reason": r.reason, "recorded_on": r.recorded_on.isoformat()}
                for r in found]  # fmt: skip


__all__ = ["LedgerView", "MoneyCommands", "decision_payload"]
