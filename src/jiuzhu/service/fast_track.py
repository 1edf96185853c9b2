"""Commands of the fast track (容缺审批): apply, promise, appraisal, approval, data check.

A household with a sudden large expenditure is helped first and checked after: the township's
provisional approval starts the allowance, and the county's data check later verifies, revokes
(falsification) or terminates it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Connection

from ..clock import local_date
from ..errors import InvalidInput, NotFound
from ..money import to_fen
from ..workflows import fast_track, review
from ..workflows import get as get_workflow
from ..workflows.base import CaseModel
from . import inputs, money
from .actors import Actor, require_role
from .base import CommandBase
from .casenumbers import assign_case_no
from .views import CaseView


class FastTrackCommands(CommandBase):
    """The fast track's commands, from the village's application to the county's check."""

    def apply(self, actor: Actor, *, household_id: str, applicant_id: str, programme: str,
              cause: str, expenditure: object, idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Open a fast-track case (容缺审批) for a household with a sudden large expenditure."""
        require_role(actor, "apply")
        self._actor_path(actor)
        household_id = inputs.record_id(household_id, "household id")
        applicant_id = inputs.record_id(applicant_id, "applicant id")
        key = inputs.idempotency_key(idempotency_key)
        for what, value in (("programme", programme), ("cause", cause)):
            if not isinstance(value, str):
                raise InvalidInput(f"{what} must be text such as 'dibao'", f"{what}应为文字")
        expenditure_fen = to_fen(expenditure, what="sudden expenditure",
                                 maximum_yuan=self.policy["max_expenditure_yuan"])  # fmt: skip
        wf = get_workflow(fast_track.NAME)

        def run(conn: Connection) -> CaseView:
            members = self.sql.household_members(conn, household_id)
            if not members:
                raise NotFound(f"household {household_id} not found", f"未找到家庭 {household_id}")
            village_id = members[0][0]
            self._require_jurisdiction(actor, self._org(village_id)[1], f"household {household_id}")
            now = self.clock.now()
            payload = {
                "workflow": wf.name, "workflow_version": wf.version,
                "programme": programme, "cause": cause, "expenditure_fen": expenditure_fen,
                "household_id": household_id, "applicant_id": applicant_id,
                "member_ids": sorted(m[1] for m in members if m[1] is not None),
                "village_id": village_id, "org_path": self._org(village_id)[1],
                "policy": fast_track.recorded_policy(
                    self.policy_book.settings_on(local_date(now)), local_date(now)),
            }  # fmt: skip
            payload["case_no"] = assign_case_no(self.sql, conn, payload["org_path"], now)
            model = wf.open(str(uuid.uuid4()), payload)
            return self._append(conn, model, None, "apply", payload, actor, now, key, opened=now)

        return self._command(actor, run, key, None, "apply")

    def promise(self, actor: Actor, case_id: str, *, signed_by: str,
                signed_on: date | str | None = None, expected_version: int | None = None,
                idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Record the credit commitment (信用承诺) signed by a household member."""
        signer = inputs.record_id(signed_by, "signer id")
        return self._transition(actor, "promise", case_id, expected_version, idempotency_key,
                                lambda model, today, earliest: ("promise", {
                                    "signed_by": signer,
                                    "signed_on": inputs.day(signed_on, "signing date",
                                                            earliest=earliest, today=today),
                                }))  # fmt: skip

    def record_appraisal(self, actor: Actor, case_id: str, *, outcome: str, attendance: int,
                         votes_for: int, votes_against: int, abstentions: int = 0,
                         held_on: date | str | None = None, expected_version: int | None = None,
                         idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Record the village democratic appraisal (民主评议); a failed one rejects the case."""
        result = inputs.choice(outcome, "appraisal outcome", {"passed": 1, "failed": 1})
        numbers = {
            "attendance": inputs.count(attendance, "attendance"),
            "votes_for": inputs.count(votes_for, "votes for"),
            "votes_against": inputs.count(votes_against, "votes against"),
            "abstentions": inputs.count(abstentions, "abstentions"),
        }
        trigger = "review" if result == "passed" else "fail_appraisal"
        return self._transition(actor, "record_appraisal", case_id, expected_version,
                                idempotency_key, lambda model, today, earliest: (trigger, {
                                    **numbers, "outcome": result,
                                    "held_on": inputs.day(held_on, "appraisal date",
                                                          earliest=earliest, today=today),
                                }))  # fmt: skip

    def approve(self, actor: Actor, case_id: str, *, monthly_amount: object,
                expected_version: int | None = None,
                idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The township decides the provisional approval; assistance starts that day."""
        amount = to_fen(monthly_amount, what="monthly amount",
                        maximum_yuan=self.policy["max_monthly_amount_yuan"])  # fmt: skip
        return self._transition(actor, "approve", case_id, expected_version, idempotency_key,
                                lambda model, today, earliest: (
                                    "approve", {"monthly_amount_fen": amount}))  # fmt: skip

    def refuse(self, actor: Actor, case_id: str, *, reason: str,
               expected_version: int | None = None,
               idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        why = inputs.text(reason, "reason", required=True)
        return self._transition(
            actor,
            "refuse",
            case_id,
            expected_version,
            idempotency_key,
            lambda model, today, earliest: ("refuse", {"reason": why}),
        )

    def record_verification(self, actor: Actor, case_id: str, *, result: str,
                            reason: str | None = None, checked_on: date | str | None = None,
                            household_category: str | None = None,
                            expected_version: int | None = None,
                            idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The data check's result: verified, revoked (falsification) or terminated."""
        verdict = inputs.choice(result, "verification result", fast_track.VERIFICATION_RESULTS)
        why = inputs.text(reason, "reason", required=verdict != "meets_standard")
        trigger = fast_track.VERIFICATION_RESULTS[verdict][0]

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            payload: dict[str, Any] = {"result": verdict, "checked_on": inputs.day(
                checked_on, "check date", earliest=earliest, today=today)}  # fmt: skip
            if why is not None:
                payload["reason"] = why
            if trigger == "verify":  # the first re-review, by the household's category
                settings = self.policy_book.settings_on(today)
                payload["review"] = review.cycle(household_category
                                                 or review.default_category(model.facts), settings)  # fmt: skip
            return trigger, payload | money.decision_payload(model, trigger, today, why)

        return self._transition(actor, "record_verification", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def withdraw(self, actor: Actor, case_id: str, *, reason: str | None = None,
                 expected_version: int | None = None,
                 idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        why = inputs.text(reason, "reason", required=False)
        return self._transition(actor, "withdraw", case_id, expected_version, idempotency_key,
                                lambda model, today, earliest: (
                                    "withdraw", {"reason": why} if why else {}))  # fmt: skip
