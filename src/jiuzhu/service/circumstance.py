"""Commands of the changes of circumstance on a paying case (docs/domain.md §4; the pure rules:
:mod:`jiuzhu.workflows.circumstance`).

Part of :class:`~jiuzhu.service.service.CaseService`.  The village or township records a
change (a death, a birth, an income change, a move out, work found, a recovery): the
re-review opens at once, due within ``recheck_months``.  For an income change the dibao line
in force that day and the household's size are written into the event with the comparison;
at the line or above, the county may decide a phase-out of 1 to ``phase_out_months_max``
months instead of another outcome.  The village or township records and renews a household's
rigid-expenditure status.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..errors import InvalidInput
from ..money import to_fen
from ..workflows import circumstance
from ..workflows.base import CaseModel
from . import inputs
from .actors import Actor
from .review import _expect_paying_path
from .standard import PathCommands
from .views import CaseView

MAX_INCOME_YUAN = 10_000_000  # a household's monthly income above this is refused as absurd


def kind_of(value: object) -> str:
    """A kind of change as given (its code, e.g. ``death``), or refused naming the kinds."""
    if value not in circumstance.KINDS:
        raise InvalidInput(
            f"change of circumstance '{value}' is not known; expected one of: "
            + ", ".join(f"{k} ({v.en})" for k, v in circumstance.KINDS.items()),
            f"情况变化“{value}”无效；可选："
            + "、".join(f"{k}（{v.zh}）" for k, v in circumstance.KINDS.items()),
            kind=str(value),
        )  # fmt: skip
    return str(value)


class CircumstanceCommands(PathCommands):
    """Record a change of circumstance, decide a phase-out, record and renew a
    rigid-expenditure status."""

    def record_circumstance(self, actor: Actor, case_id: str, *, kind: str,
                            person_id: str | None = None, household_income: object = None,
                            note: str | None = None, expected_version: int | None = None,
                            idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The village or township records a change: ``person_id`` names the member who died,
        moved out, found work or recovered (or the child born); an ``income_change`` gives the
        household's new monthly ``household_income`` in yuan."""
        change = kind_of(kind)
        fields: dict[str, Any] = {"kind": change}
        if change == circumstance.INCOME:
            if household_income is None or person_id is not None:
                raise InvalidInput("an income change gives the household's new monthly income "
                                   "(and names no person)",
                                   "家庭收入变化须填写家庭新的月收入（不填写人员）")  # fmt: skip
            fields["income_fen"] = to_fen(household_income, what="household income",
                                          maximum_yuan=MAX_INCOME_YUAN)  # fmt: skip
        else:
            if person_id is None or household_income is not None:
                raise InvalidInput(f"{circumstance.KINDS[change].en}: name the person (by id), "
                                   "and no income",
                                   f"{circumstance.KINDS[change].zh}：须填写相关人员编号，不填写收入")  # fmt: skip
            fields["person_id"] = inputs.record_id(person_id, "person id")
        if note is not None:
            fields["note"] = inputs.text(note, "note", required=False, max_length=2000)

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            _expect_paying_path(model)
            settings = self.policy_book.settings_on(today)
            payload = {**fields, "on": today.isoformat(),
                       "policy": {k: settings[k] for k in circumstance.RECORDED}}  # fmt: skip
            if change == circumstance.INCOME:
                line = int(self.policy_in_force(model.facts["org_path"], today)["dibao_line_fen"])
                size = len(circumstance.current_members(model.facts))
                payload.update(household_size=size, dibao_line_fen=line,
                               above_line=circumstance.above_line(fields["income_fen"], line,
                                                                  size))  # fmt: skip
            return "record_circumstance", payload

        return self._transition(actor, "record_circumstance", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def decide_phase_out(self, actor: Actor, case_id: str, *, months: int, reasons: str,
                         expected_version: int | None = None,
                         idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The county decides a phase-out (渐退) of ``months`` months: the allowance is paid
        for that many months from the first month not yet paid, then the case stops."""
        why = inputs.text(reasons, "reasons", required=True, max_length=4000)

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            _expect_paying_path(model)
            maximum = int(self.policy_book.settings_on(today)["phase_out_months_max"])
            if (
                isinstance(months, bool)
                or not isinstance(months, int)
                or not 1 <= months <= maximum
            ):
                raise InvalidInput(f"a phase-out lasts 1 to {maximum} months (the policy's "
                                   f"phase_out_months_max), got {months!r}",
                                   f"渐退期应为 1 至 {maximum} 个月，收到 {months!r}",
                                   months=str(months))  # fmt: skip
            first = (model.facts.get("allowance") or {}).get("next_month")
            paid = circumstance.phase_out_months(first, months) if first else []
            return "decide_phase_out", {"months": months, "paid_months": paid, "reasons": why,
                                        "decided_on": today.isoformat(),
                                        "phase_out_months_max": maximum}  # fmt: skip

        return self._transition(actor, "decide_phase_out", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def record_rigid_expenditure(self, actor: Actor, case_id: str, *, expenditure: str,
                                 expected_version: int | None = None,
                                 idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The village or township records the household's rigid-expenditure status (刚性支出,
        e.g. long-term dialysis): it holds ``rigid_expenditure_months`` unless renewed."""
        what = inputs.text(expenditure, "expenditure", required=True, max_length=2000)
        return self._rigid(actor, "record_rigid_expenditure", case_id, {"expenditure": what},
                           expected_version, idempotency_key)  # fmt: skip

    def renew_rigid_expenditure(self, actor: Actor, case_id: str, *, note: str | None = None,
                                expected_version: int | None = None,
                                idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The village or township renews the status: it holds for the months set from today."""
        fields = {} if note is None else {"note": inputs.text(note, "note", required=False,
                                                              max_length=2000)}  # fmt: skip
        return self._rigid(actor, "renew_rigid_expenditure", case_id, fields, expected_version,
                           idempotency_key)  # fmt: skip

    def _rigid(self, actor: Actor, command: str, case_id: str, fields: dict[str, Any],
               expected_version: int | None, idempotency_key: str | None) -> CaseView:  # fmt: skip
        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            _expect_paying_path(model)
            settings = self.policy_book.settings_on(today)
            return command, {**fields, "on": today.isoformat(),
                             "policy": {k: settings[k] for k in circumstance.RIGID_RECORDED}}  # fmt: skip

        return self._transition(actor, command, case_id, expected_version, idempotency_key,
                                build)  # fmt: skip
