"""Commands of the re-review (复核) of a paying case (docs/domain.md §4; the pure rules:
:mod:`jiuzhu.workflows.review`).

Part of :class:`~jiuzhu.service.service.CaseService`.  The township opens a re-review early
(one falls due by itself at ``rereview_due``), the village investigates, the township gives
its opinion and the county decides: continue, change the amount from a month not yet paid,
suspend, or stop, always with written reasons.  The settings in force on the decision's day
(the cycle's months and the steps' working-day limits) are written into its event.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ..errors import InvalidInput
from ..money import to_fen
from ..workflows import fast_track, review, standard
from ..workflows.base import CaseModel
from . import inputs
from .actors import Actor
from .standard import PathCommands
from .views import CaseView

_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
WORKFLOWS = (standard.NAME, fast_track.NAME)


def category(value: str | None, facts: dict[str, Any]) -> str:
    """A household category as given (validated, zh/en) or its default."""
    if value is None:
        return review.default_category(facts)
    return inputs.choice(value, "household category", review.CATEGORIES)


def month(value: object, what: str = "month") -> str:
    text = str(value).strip() if value is not None else ""
    if not _MONTH.fullmatch(text):
        raise InvalidInput(f"{what} must be a month as YYYY-MM, got {value!r}",
                           f"{what} 应为 YYYY-MM 格式的月份，收到 {value!r}")  # fmt: skip
    return text


def _expect_paying_path(model: CaseModel) -> None:
    if model.facts["workflow"] not in WORKFLOWS:
        raise InvalidInput(
            f"case {model.case_id} is a {model.facts['workflow']} case: re-reviews are for "
            "dibao and tekun cases decided on the standard path or the fast track",
            f"案件 {model.case_id} 不适用复核：复核仅适用于已确认的低保、特困案件",
        )


class ReviewCommands(PathCommands):
    """Open a re-review, investigate, give the township's opinion, and decide it."""

    def open_review(self, actor: Actor, case_id: str, *, reason: str,
                    expected_version: int | None = None,
                    idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The township opens a re-review before it falls due (a change of circumstance)."""
        why = inputs.text(reason, "reason", required=True, max_length=2000)

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            _expect_paying_path(model)
            policy = self.policy_book.settings_on(today)  # no dibao line needed
            return "open_review", {"reason": why, "opened_on": today.isoformat(),
                                   "policy": {k: policy[k] for k in review.RECORDED}}  # fmt: skip

        return self._transition(actor, "open_review", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def investigate_review(self, actor: Actor, case_id: str, *, findings: str,
                           investigators: list[str] | None = None,
                           household_income: object = None, expected_version: int | None = None,
                           idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The village records its re-review investigation (and the household's income now)."""
        fields: dict[str, Any] = {
            "findings": inputs.text(findings, "findings", required=True, max_length=4000),
            "investigators": [inputs.staff_id(p) for p in investigators or ()],
        }
        if household_income is not None:
            fields["household_income_fen"] = to_fen(household_income, what="household income",
                                                    maximum_yuan=10_000_000)  # fmt: skip
        return self._review_step(actor, "investigate_review", case_id, fields,
                                 expected_version, idempotency_key)  # fmt: skip

    def give_review_opinion(self, actor: Actor, case_id: str, *, opinion: str,
                            expected_version: int | None = None,
                            idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The township's opinion on the re-review."""
        fields = {"opinion": inputs.text(opinion, "opinion", required=True, max_length=4000)}
        return self._review_step(actor, "give_review_opinion", case_id, fields,
                                 expected_version, idempotency_key)  # fmt: skip

    def decide_review(self, actor: Actor, case_id: str, *, outcome: str, reasons: str,
                      household_category: str | None = None, monthly_amount: object = None,
                      from_month: str | None = None, expected_version: int | None = None,
                      idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The county's decision: ``continue``, ``change`` (``monthly_amount`` yuan from
        ``from_month``, a month not yet paid), ``suspend`` or ``stop``, with ``reasons``."""
        verdict = inputs.choice(outcome, "outcome", review.OUTCOMES)
        why = inputs.text(reasons, "reasons", required=True, max_length=4000)
        if (verdict == "change") != (monthly_amount is not None or from_month is not None):
            raise InvalidInput("a change needs the new monthly amount and the month it starts; "
                               "other outcomes take neither",
                               "调整金额须填写新的月救助金额和起始月份；其他决定不填写")  # fmt: skip
        if verdict == "change" and (monthly_amount is None or from_month is None):
            raise InvalidInput("a change needs both the monthly amount and the month it starts",
                               "调整金额须同时填写月救助金额和起始月份")  # fmt: skip

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            _expect_paying_path(model)
            policy = self.policy_book.settings_on(today)  # no dibao line needed
            payload: dict[str, Any] = {"outcome": verdict, "reasons": why,
                                       "decided_on": today.isoformat(),
                                       "max_monthly_amount_yuan": policy["max_monthly_amount_yuan"]}  # fmt: skip
            if verdict == "stop":
                return "stop_review", payload
            payload["review"] = review.cycle(category(household_category, model.facts), policy)
            if verdict == "change":
                payload["from_month"] = month(from_month, "from month")
                payload["monthly_fen"] = to_fen(monthly_amount, what="monthly amount",
                                                maximum_yuan=policy["max_monthly_amount_yuan"])  # fmt: skip
            return "decide_review", payload

        return self._transition(actor, "decide_review", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def _review_step(self, actor: Actor, command: str, case_id: str, fields: dict[str, Any],
                     expected_version: int | None, idempotency_key: str | None) -> CaseView:  # fmt: skip
        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            _expect_paying_path(model)
            return command, {**fields, "on": today.isoformat()}

        return self._transition(actor, command, case_id, expected_version, idempotency_key,
                                build)  # fmt: skip
