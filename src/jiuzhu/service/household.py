"""The household's assistance chain (一户一条救助链, source F): every case of one household,
its payments and its services, across workflows, in time order; and moving house.

One read, :meth:`HouseholdReads.household_chain`, answers a page of items, oldest first.  Each
item is one of

* ``case`` -- a case opened (its opening event: ``apply``, ``import``, ...) or moved with the
  household to another village (``transfer``: ``from_village_id``, ``to_village_id``), with its
  current state and (when opened) its applicant (the name for case workers, never for auditors: a name shown is a
  personal-data read, logged with the purpose ``household``);
* ``payment`` -- one ledger line of a case (allowance, medical assistance, temporary
  assistance, recovery, fine, repayment, write-off), its amount in yuan and fen;
* ``withheld`` -- an allowance month withheld because the household was paid it under another
  case (``overlap_case``, ``overlap_case_no``), or while the assistance was suspended;
* ``service`` -- a service-plan event (opened, a visit made or missed, suspended, resumed,
  ended), with the service's kind and provider.

Every item names its case (id, number, workflow, programme) and the unit it belongs to, by id
and by name: a payment the unit of its ledger line, anything else the case's village.

:meth:`HouseholdReads.transfer_household` moves a household to another village of the county
(moving house, 迁居): in one transaction the household row and every open case of it, each
with a ``transfer`` event naming the unit ids it leaves and joins (:mod:`..workflows.transfer`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from .. import ledger
from ..clock import iso_utc
from ..errors import InvalidInput, NotFound
from ..models import rows
from ..money import yuan
from ..workflows import get as get_workflow
from ..workflows import service_plan, transfer
from ..workflows.allowance import TRIGGER as PAY_ALLOWANCE
from . import inputs
from .actors import Actor, Role, require_role
from .base import CommandBase
from .paging import DEFAULT_LIMIT, Page, decode_cursor, encode_cursor, page_limit
from .personal_data import read_rows

ITEM_KINDS = {
    "case": ("案件", "case"),
    "payment": ("发放与收回", "payment"),
    "withheld": ("缓发", "withheld"),
    "service": ("服务", "service"),
}
OPENINGS = 1  # the first event of a case opens it


class HouseholdReads(CommandBase):
    """The household's chain view across its cases, and moving the household."""

    def transfer_household(self, actor: Actor, household_id: str, *, to_village: str,
                           reason: str) -> dict[str, Any]:  # fmt: skip
        """Move the household to ``to_village`` (moving house 迁居), by the county whose
        jurisdiction holds both villages.  Every open case of the household passes to the new
        village with a ``transfer`` event (from and to unit ids), so that its actors act on it
        from then on; ended cases and every earlier event and ledger line stay as they were.
        Answers the household, both village ids and the ids of the cases moved."""
        require_role(actor, "transfer_household")
        household_id = inputs.record_id(household_id, "household id")
        to_village = inputs.org_id(to_village)
        why = inputs.text(reason, "reason", required=True, max_length=2000)
        level, to_path = self._org(to_village)
        if level != "village":
            raise InvalidInput(f"unit {to_village} is a {level}; a household lives in a village",
                               f"单位 {to_village} 不是村（社区），家庭只能迁入村（社区）")  # fmt: skip
        self._require_jurisdiction(actor, to_path, f"village {to_village}")
        with self.uow.write() as conn:
            home = conn.execute(select(rows.households).where(rows.households.c.id == household_id)
                                .with_for_update()).first()  # fmt: skip
            if home is None:
                raise NotFound(f"household {household_id} not found", f"未找到家庭 {household_id}")
            from_path = self._org(home.village_id, conn)[1]
            self._require_jurisdiction(actor, from_path, f"household {household_id}")
            if home.village_id == to_village:
                raise InvalidInput(f"household {household_id} already lives in {to_village}",
                                   f"家庭 {household_id} 已在 {to_village}")  # fmt: skip
            payload = {"household_id": household_id, "from_village_id": home.village_id,
                       "to_village_id": to_village, "from_org_path": from_path,
                       "to_org_path": to_path, "reason": why}  # fmt: skip
            found = conn.execute(select(rows.cases.c.id, rows.cases.c.workflow,
                                        rows.cases.c.workflow_version, rows.cases.c.state)
                                 .where(rows.cases.c.household_id == household_id)
                                 .order_by(rows.cases.c.opened_at, rows.cases.c.id)).all()  # fmt: skip
            moved = []
            now = self.clock.now()
            for case_id, workflow, version, state in found:
                if state in get_workflow(workflow, version).final:
                    continue  # ended: it stays with the unit that worked it
                row = self._load(conn, case_id, actor, for_update=True)
                self._append(conn, rows.model_of(row), row, transfer.TRIGGER, dict(payload),
                             actor, now, None)  # fmt: skip
                moved.append(case_id)
            self.sql.move_household(conn, household_id, to_village)
        return {
            "household_id": household_id,
            "from_village_id": payload["from_village_id"],
            "to_village_id": to_village,
            "cases": moved,
        }

    def household_chain(self, actor: Actor, household_id: str, *, limit: int = DEFAULT_LIMIT,
                        after: str | None = None) -> Page:  # fmt: skip
        """Every case, payment (ledger line) and service (plans, visits) of the household, in
        time order, ``limit`` items a page (``after``: the ``next`` of the page before).

        Any reader whose jurisdiction holds the household's village; auditors see no names.
        """
        require_role(actor, "read")
        household_id = inputs.record_id(household_id, "household id")
        limit, key = page_limit(limit), decode_cursor(after, 4)
        with self.uow.read() as conn:
            home = self.sql.household(conn, household_id)
            if home is None:
                raise NotFound(f"household {household_id} not found", f"未找到家庭 {household_id}")
            self._require_jurisdiction(actor, self._org(home.village_id, conn)[1],
                                       f"household {household_id}")  # fmt: skip
            cases = conn.execute(select(rows.cases).where(rows.cases.c.household_id == household_id)
                                 .order_by(rows.cases.c.opened_at, rows.cases.c.id)).all()  # fmt: skip
            names = {p.id: p.name for p in self.sql.persons(conn, household_id)}
            numbers = {case.id: case.case_no for case in cases}
            items: list[tuple[list[Any], dict[str, Any]]] = []
            for case in cases:
                items += self._case_items(conn, case, names, numbers,
                                          actor.role is not Role.AUDITOR)  # fmt: skip
        items.sort(key=lambda item: item[0])
        rest = [item for item in items if key is None or item[0] > key]
        page = [body for _, body in rest[:limit]]
        shown = [i["applicant_id"] for i in page if i["kind"] == "case" and i["applicant_name"]]
        if shown:  # names are personal data: the read is logged
            with self.uow.write() as conn:
                self.sql.log_personal_reads(conn, read_rows(actor, shown, "household",
                                                            self.clock.now()))  # fmt: skip
        more = len(rest) > limit
        return Page(page, len(items), encode_cursor(rest[limit - 1][0]) if more else None)

    def _case_items(self, conn: Any, case: Any, names: dict[str, str],
                    numbers: dict[str, str], show_names: bool) -> list[tuple[list[Any], dict[str, Any]]]:  # fmt: skip
        events = self.sql.events_of(conn, case.id)
        wf = get_workflow(case.workflow, case.workflow_version)
        village = self._unit_name(case.village_id, conn)
        about = {"case_id": case.id, "case_no": case.case_no, "workflow": case.workflow,
                 "programme": case.programme}  # fmt: skip
        when = {e.seq: e.occurred_at for e in events}
        out: list[tuple[list[Any], dict[str, Any]]] = []

        def add(at: datetime, seq: int, n: int, kind: str, what: str, label: tuple[str, str],
                unit: str, unit_name: str, **extra: Any) -> None:  # fmt: skip
            stamp = iso_utc(at)
            out.append(([stamp, case.case_no, seq, n], {
                "at": stamp, "kind": kind, "kind_zh": ITEM_KINDS[kind][0],
                "kind_en": ITEM_KINDS[kind][1], "what": what, "what_zh": label[0],
                "what_en": label[1], **about, "seq": seq, "unit_id": unit,
                "unit_name": unit_name, **extra}))  # fmt: skip

        for e in events:
            label = wf.label_of(e.type)
            payload = e.payload
            if e.seq == OPENINGS:
                applicant = case.facts.get("applicant_id") or payload.get("applicant_id", "")
                add(e.occurred_at, e.seq, 0, "case", e.type, (label.zh, label.en),
                    case.village_id, village, state=case.state,
                    state_zh=wf.state_label(case.state).zh, state_en=wf.state_label(case.state).en,
                    applicant_id=applicant,
                    applicant_name=names.get(applicant, "") if show_names else "")  # fmt: skip
            elif e.type == transfer.TRIGGER:  # moving house: the case passed to another unit
                to = payload["to_village_id"]
                add(e.occurred_at, e.seq, 0, "case", e.type, (label.zh, label.en), to,
                    self._unit_name(to, conn), state=case.state,
                    state_zh=wf.state_label(case.state).zh, state_en=wf.state_label(case.state).en,
                    from_village_id=payload["from_village_id"], to_village_id=to,
                    from_unit_name=self._unit_name(payload["from_village_id"], conn),
                    applicant_id="", applicant_name="")  # fmt: skip
            elif e.type.startswith("plan."):
                plan = case.facts.get("plans", {}).get(payload.get("plan_id"), {})
                service = service_plan.KINDS.get(plan.get("kind", ""))
                add(e.occurred_at, e.seq, 0, "service", e.type, (label.zh, label.en),
                    case.village_id, village, plan_id=payload.get("plan_id"),
                    service=plan.get("kind"), service_zh=service.zh if service else "",
                    service_en=service.en if service else "", provider=plan.get("provider"),
                    occurrence=payload.get("n"))  # fmt: skip
            elif e.type == PAY_ALLOWANCE and payload.get("withheld"):
                add(e.occurred_at, e.seq, 0, "withheld", e.type, ("缓发低保金", "allowance withheld"),
                    case.village_id, village, period=payload.get("month"),
                    overlap_case=payload.get("overlap_case"),
                    overlap_case_no=numbers.get(payload.get("overlap_case") or ""))  # fmt: skip
        lines = conn.execute(select(rows.ledger).where(rows.ledger.c.case_id == case.id)
                             .order_by(rows.ledger.c.seq, rows.ledger.c.line)).all()  # fmt: skip
        for line in lines:
            unit = line.org_path.rsplit("/", 1)[-1] if line.org_path else case.village_id
            zh, en = ledger.KIND_LABELS.get(line.kind, (line.kind, line.kind))
            add(when.get(line.seq, line.created_at), line.seq, line.line + 1, "payment", line.kind,
                (zh, en), unit, self._unit_name(unit, conn), amount_fen=line.amount_fen,
                amount_yuan=yuan(line.amount_fen), period=line.period,
                booked_on=line.booked_on.isoformat())  # fmt: skip
        return out


__all__ = ["HouseholdReads", "ITEM_KINDS"]
