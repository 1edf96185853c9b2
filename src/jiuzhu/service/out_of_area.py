"""Commands of the out-of-area dibao or tekun status of a new-citizen household (docs/domain.md
§5): record it on a temporary-assistance case, and re-confirm it.

Part of :class:`~jiuzhu.service.service.CaseService`.  The settings in force on the command's
day (the notice period, the longest validity) are written into the event; the workflow
(:mod:`jiuzhu.workflows.out_of_area`) checks the status, the issuing unit and the valid-until
day and arms the re-confirmation and lapse deadlines.  Medical bills go through
``record_medical_bill`` (:mod:`.money`) like the fast track's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..workflows import out_of_area, temporary
from ..workflows.base import CaseModel
from . import inputs
from .actors import Actor
from .standard import PathCommands
from .views import CaseView


def _until(value: date | str) -> str:
    """A valid-until day as YYYY-MM-DD (its range is the workflow's rule, with its reason)."""
    return inputs.day(value, "valid-until", earliest=date(1900, 1, 1), today=date.max)


class OutOfAreaCommands(PathCommands):
    """Record and re-confirm the household's dibao or tekun status at its hukou place."""

    def record_out_of_area(self, actor: Actor, case_id: str, *, status: str, unit_name: str,
                           unit_code: str, document: str, valid_until: date | str,
                           expected_version: int | None = None,
                           idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Record that the household holds ``status`` (dibao or tekun) at its hukou place,
        issued by ``unit_name`` (6-digit division code ``unit_code``, not the case's county)
        with ``document``, valid until ``valid_until`` (after today, at most
        ``out_of_area_max_months`` ahead)."""
        fields = {
            "status": inputs.choice(status, "status", out_of_area.STATUSES),
            "unit_name": inputs.text(unit_name, "issuing unit", required=True, max_length=200),
            "unit_code": inputs.text(unit_code, "issuing unit's division code", required=True,
                                     max_length=6),
            "document": inputs.text(document, "document", required=True, max_length=500),
        }  # fmt: skip
        return self._out_of_area(actor, "record_out_of_area", case_id, valid_until, fields,
                                 "recorded_on", expected_version, idempotency_key)  # fmt: skip

    def reconfirm_out_of_area(self, actor: Actor, case_id: str, *, document: str,
                              valid_until: date | str, expected_version: int | None = None,
                              idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Re-confirm the status with a new ``document`` and ``valid_until``; the county's
        re-confirmation alarm is resolved and the deadlines move to the new day."""
        fields = {"document": inputs.text(document, "document", required=True, max_length=500)}
        return self._out_of_area(actor, "reconfirm_out_of_area", case_id, valid_until, fields,
                                 "reconfirmed_on", expected_version, idempotency_key)  # fmt: skip

    def _out_of_area(self, actor: Actor, command: str, case_id: str, valid_until: date | str,
                     fields: dict[str, Any], day_key: str, expected_version: int | None,
                     idempotency_key: str | None) -> CaseView:  # fmt: skip
        def build(model: CaseModel, today: date) -> tuple[str, dict[str, Any]]:
            policy = self.policy_in_force(model.facts["org_path"], today)
            return command, {**fields, "valid_until": _until(valid_until),
                             day_key: today.isoformat(),
                             "policy": {k: policy[k] for k in out_of_area.RECORDED}}  # fmt: skip

        return self._step(actor, command, case_id, expected_version, idempotency_key, build,
                          workflow=temporary.NAME)  # fmt: skip
