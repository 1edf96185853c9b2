"""Commands of the standard path (审核确认, docs/domain.md §4) and what both new paths share.

Part of :class:`~jiuzhu.service.service.CaseService`.  Each command is one transition of
the case and one event in its chain.  Decisions record the policy in force on their day (the
dibao line and the settings, from :attr:`CommandBase.policy_book`) in their payload, so a
later change of the policy never changes them and replay reads the values of the time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from ..clock import iso_utc, local_date, parse_iso_utc
from ..errors import GuardRejected, InvalidInput, NotFound
from ..models import rows
from ..money import to_fen
from ..policy import city_code
from ..workflows import get as get_workflow
from ..workflows import review, standard, temporary
from ..workflows.base import CaseModel, Workflow
from ..workflows.workdays import calendar_day_limit, workday_limit
from . import inputs
from .actors import Actor, require_role
from .base import CommandBase
from .casenumbers import assign_case_no
from .views import CaseView

LIMIT_LABELS = {**standard.LIMITS, **temporary.LIMITS}


def expect_workflow(model: CaseModel, name: str) -> None:
    """Refuse a command of one path on a case of another (say which it is)."""
    if model.facts["workflow"] != name:
        raise InvalidInput(
            f"case {model.case_id} is a {model.facts['workflow']} case; this command is for "
            f"{name} cases",
            f"案件 {model.case_id} 属于“{model.facts['workflow']}”流程，此操作仅适用于“{name}”流程",
        )


class PathCommands(CommandBase):
    """What the standard and temporary commands share: the policy book, opening a case, and
    the county's list of passed limits."""

    # -- the policy ------------------------------------------------------------------------
    def policy_in_force(self, org_path: str, on: date) -> dict[str, Any]:
        """The policy a decision on day ``on`` for a case under ``org_path`` records."""
        return self.policy_book.snapshot(city_code(org_path.split("/", 1)[0]), on)

    # -- opening a case --------------------------------------------------------------------
    def _open_path(self, actor: Actor, wf: Workflow, command: str, *, household_id: str,
                   applicant_id: str, extra: dict[str, Any], idempotency_key: str | None,
                   check: Callable[[Connection, dict[str, Any]], dict[str, Any]] | None = None,
                   ) -> CaseView:  # fmt: skip
        require_role(actor, command)
        self._actor_path(actor)
        household_id = inputs.record_id(household_id, "household id")
        applicant_id = inputs.record_id(applicant_id, "applicant id")
        key = inputs.idempotency_key(idempotency_key)

        def run(conn: Connection) -> CaseView:
            members = self.sql.household_members(conn, household_id)
            if not members:
                raise NotFound(f"household {household_id} not found", f"未找到家庭 {household_id}")
            village_id = members[0][0]
            path = self._org(village_id)[1]
            self._require_jurisdiction(actor, path, f"household {household_id}")
            now = self.clock.now()
            payload = {
                "workflow": wf.name, "workflow_version": wf.version, "expenditure_fen": 0,
                "household_id": household_id, "applicant_id": applicant_id,
                "member_ids": sorted(m[1] for m in members if m[1] is not None),
                "village_id": village_id, "org_path": path,
                "policy": self.policy_in_force(path, local_date(now)), **extra,
            }  # fmt: skip
            if check is not None:
                payload.update(check(conn, payload))
            payload["case_no"] = assign_case_no(self.sql, conn, path, now)
            model = wf.open(str(uuid.uuid4()), payload)
            return self._append(conn, model, None, "apply", payload, actor, now, key, opened=now)

        return self._command(actor, run, key, None, command)

    def _other_case(self, conn: Connection, case_id: object, what: str) -> Any:
        row = self.sql.load_case(conn, inputs.record_id(case_id, what), for_update=False)
        if row is None:
            raise NotFound(f"{what} {case_id} not found", f"未找到案件 {case_id}")
        return row

    def _step(self, actor: Actor, command: str, case_id: str, expected_version: int | None,
              idempotency_key: str | None,
              build: Callable[[CaseModel, date], tuple[str, dict[str, Any]]],
              workflow: str = standard.NAME) -> CaseView:  # fmt: skip
        def checked(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            expect_workflow(model, workflow)
            return build(model, today)

        return self._transition(actor, command, case_id, expected_version, idempotency_key,
                                checked)  # fmt: skip

    # -- the alarm list --------------------------------------------------------------------
    def limit_alarms(self, actor: Actor, *, include_resolved: bool = False,
                     now: datetime | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Passed limits of standard and temporary cases in the actor's jurisdiction.

        An alarm stays open until its late step is done (the overall limit's until the
        decision); ``include_resolved`` lists the closed ones too.  Oldest due first.
        """
        require_role(actor, "read")
        path = self._actor_path(actor)
        now = now or self.clock.now()
        out = []
        with self.uow.read() as conn:
            found = conn.execute(rows.limit_alarms(path, tuple(LIMIT_LABELS))).all()
        for case_id, workflow, village_id, state, facts in found:
            for alarm in facts.get("alarms", []):
                if alarm["resolved_at"] is not None and not include_resolved:
                    continue
                label = LIMIT_LABELS[alarm["limit"]]
                end = parse_iso_utc(alarm["resolved_at"]) if alarm["resolved_at"] else now
                late = end - parse_iso_utc(alarm["due_at"])
                out.append({"case_id": case_id, "workflow": workflow, "village_id": village_id,
                            "state": state, "limit": alarm["limit"], "limit_zh": label.zh,
                            "limit_en": label.en, "due_at": alarm["due_at"],
                            "raised_at": alarm["raised_at"], "resolved_at": alarm["resolved_at"],
                            "late_days": round(late.total_seconds() / 86400, 1)})  # fmt: skip
        return sorted(out, key=lambda a: (a["due_at"], a["case_id"]))


class StandardCommands(PathCommands):
    """The standard path: apply, accept, investigate, check, opinion and notice, decision."""

    def apply_standard(self, actor: Actor, *, household_id: str, applicant_id: str,
                       special: str | None = None, fast_track_case: str | None = None,
                       fast_track_expenditure: object = None,
                       idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Open a dibao application on the standard path (审核确认).

        A household refused by the fast track is routed here: name the refused fast-track
        case (``fast_track_case``: rejected, withdrawn or terminated), or the expenditure
        that was below the threshold (``fast_track_expenditure``); either is recorded.
        ``special`` (a reason of :data:`~jiuzhu.workflows.standard.SPECIAL_REASONS`) makes the
        overall limit 45 working days from the start.
        """
        extra: dict[str, Any] = {"programme": standard.PROGRAMME}
        if special is not None:
            extra["special"] = inputs.choice(special, "special reason", standard.SPECIAL_REASONS)
        if fast_track_case is not None and fast_track_expenditure is not None:
            raise InvalidInput("name the refused fast-track case or the refused expenditure, "
                               "not both", "请只填写被拒的容缺审批案件或被拒的支出金额之一")  # fmt: skip
        if fast_track_expenditure is not None:
            fen = to_fen(fast_track_expenditure, what="sudden expenditure",
                         maximum_yuan=self.policy["max_expenditure_yuan"])  # fmt: skip
            threshold = self.policy["threshold_fen"]
            if fen >= threshold:
                raise InvalidInput(
                    f"an expenditure of {fen / 100:.2f} yuan meets the fast-track threshold; "
                    "it was not refused for being below it",
                    "该支出金额达到容缺审批门槛，并非因低于门槛被拒",
                )
            extra["expenditure_fen"] = fen
            extra["referral"] = {"from": "fast_track", "reason": "below_threshold",
                                 "expenditure_fen": fen, "threshold_fen": threshold}  # fmt: skip

        def referral(conn: Connection, payload: dict[str, Any]) -> dict[str, Any]:
            if fast_track_case is None:
                return {}
            row = self._other_case(conn, fast_track_case, "fast-track case")
            if row.workflow != "fast_track" or row.household_id != payload["household_id"]:
                raise GuardRejected(
                    f"case {row.id} is not a fast-track case of household "
                    f"{payload['household_id']}",
                    "所引用的案件不是该家庭的容缺审批案件",
                )
            if row.state not in ("rejected", "withdrawn", "terminated"):
                raise GuardRejected(
                    f"fast-track case {row.id} is '{row.state}', not refused or ended",
                    "所引用的容缺审批案件未被拒绝或终止",
                )
            return {"expenditure_fen": row.expenditure_fen,
                    "referral": {"from": "fast_track", "case_id": row.id, "state": row.state}}  # fmt: skip

        return self._open_path(actor, get_workflow(standard.NAME),
                               "apply_standard", household_id=household_id,
                               applicant_id=applicant_id, extra=extra,
                               idempotency_key=idempotency_key, check=referral)  # fmt: skip

    def accept_standard(self, actor: Actor, case_id: str, *, expected_version: int | None = None,
                        idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The township accepts (受理): the overall limit and the investigation limit start."""
        return self._step(
            actor,
            "accept_standard",
            case_id,
            expected_version,
            idempotency_key,
            lambda model, today: ("accept", {"accepted_on": today.isoformat()}),
        )

    def start_investigation(self, actor: Actor, case_id: str, *, investigators: list[str],
                            expected_version: int | None = None,
                            idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The home investigation starts, by at least two staff (their staff ids)."""
        staff = _staff(investigators)
        return self._step(actor, "investigate", case_id, expected_version, idempotency_key,
                          lambda model, today: ("start_investigation", {
                              "investigators": staff, "started_on": today.isoformat()}))  # fmt: skip

    def complete_investigation(self, actor: Actor, case_id: str, *, household_income: object,
                               signed_by: str, investigators: list[str],
                               notes: str | None = None, expected_version: int | None = None,
                               idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The investigation record, signed by both sides; the data check is requested.

        ``household_income`` is the household's monthly income in yuan as investigated.
        """
        income = to_fen(household_income, what="household monthly income",
                        maximum_yuan=10_000_000)  # fmt: skip
        signer = inputs.record_id(signed_by, "signer id")
        staff = _staff(investigators)
        note = inputs.text(notes, "notes", required=False)

        def build(model: CaseModel, today: date) -> tuple[str, dict[str, Any]]:
            payload = {"household_income_fen": income, "signed_by": signer,
                       "investigators": staff, "completed_on": today.isoformat()}  # fmt: skip
            return "complete_investigation", payload | ({"notes": note} if note else {})

        return self._step(actor, "investigate", case_id, expected_version, idempotency_key, build)

    def start_verification(self, actor: Actor, case_id: str, *,
                           expected_version: int | None = None,
                           idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The county (or its verification centre) starts the data check (信息核对)."""
        return self._step(actor, "check_standard", case_id, expected_version, idempotency_key,
                          lambda model, today: ("start_verification", {
                              "started_on": today.isoformat()}))  # fmt: skip

    def record_check(self, actor: Actor, case_id: str, *, result: str, reason: str | None = None,
                     expected_version: int | None = None,
                     idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The data check's result: ``meets_standard`` or ``fails`` (with reasons)."""
        verdict = inputs.choice(result, "check result", standard.CHECK_RESULTS)
        why = inputs.text(reason, "reason", required=verdict == "fails")
        payload: dict[str, Any] = {"result": verdict} | ({"reason": why} if why else {})
        return self._step(actor, "check_standard", case_id, expected_version, idempotency_key,
                          lambda model, today: ("record_check", {
                              **payload, "checked_on": today.isoformat()}))  # fmt: skip

    def give_opinion(self, actor: Actor, case_id: str, *, recommend: bool, opinion: str,
                     expected_version: int | None = None,
                     idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The township's opinion (初审): recommend (the 7-day public notice starts) or not
        (the case goes to the county with the reasons)."""
        text = inputs.text(opinion, "opinion", required=True)
        if not isinstance(recommend, bool):
            raise InvalidInput("recommend must be true or false", "初审意见应为同意或不同意")

        def build(model: CaseModel, today: date) -> tuple[str, dict[str, Any]]:
            if recommend:  # the notice's end and the county review after it must be countable
                policy = model.facts["policy"]
                ends = calendar_day_limit(self.clock.now(), policy["public_notice_days"])
                workday_limit(ends, policy["county_review_wd"])
            return ("recommend" if recommend else "not_recommend",
                    {"opinion": text, "given_on": today.isoformat()})  # fmt: skip

        return self._step(actor, "propose_standard", case_id, expected_version, idempotency_key,
                          build)  # fmt: skip

    def mark_special(self, actor: Actor, case_id: str, *, reason: str, note: str | None = None,
                     expected_version: int | None = None,
                     idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """A special case (hukou split, a hard investigation...): the limit becomes 45 WD."""
        why = inputs.choice(reason, "special reason", standard.SPECIAL_REASONS)
        detail = inputs.text(note, "note", required=False)
        payload = {"reason": why} | ({"note": detail} if detail else {})
        return self._step(
            actor,
            "propose_standard",
            case_id,
            expected_version,
            idempotency_key,
            lambda model, today: ("mark_special", payload),
        )

    def record_objection(self, actor: Actor, case_id: str, *, route: str, summary: str,
                         investigators: list[str] | None = None,
                         expected_version: int | None = None,
                         idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """An objection during the notice: investigate again (``route="reinvestigate"``, name
        the investigators) or hold a democratic appraisal (``route="appraisal"``)."""
        text = inputs.text(summary, "objection summary", required=True)
        routes = {"reinvestigate": "object_reinvestigate", "appraisal": "object_appraise"}
        trigger = routes[inputs.choice(route, "objection route", dict.fromkeys(routes))]
        payload: dict[str, Any] = {"summary": text}
        if trigger == "object_reinvestigate":
            payload["investigators"] = _staff(investigators or [])
        return self._step(
            actor,
            "record_objection",
            case_id,
            expected_version,
            idempotency_key,
            lambda model, today: (trigger, {**payload, "objected_on": today.isoformat()}),
        )

    def appraise_standard(self, actor: Actor, case_id: str, *, outcome: str, attendance: int,
                          votes_for: int, votes_against: int, abstentions: int = 0,
                          expected_version: int | None = None,
                          idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The democratic appraisal after an objection; the township then gives a new opinion."""
        result = inputs.choice(outcome, "appraisal outcome", {"passed": 1, "failed": 1})
        numbers = {"attendance": inputs.count(attendance, "attendance"),
                   "votes_for": inputs.count(votes_for, "votes for"),
                   "votes_against": inputs.count(votes_against, "votes against"),
                   "abstentions": inputs.count(abstentions, "abstentions")}  # fmt: skip
        return self._step(
            actor,
            "appraise_standard",
            case_id,
            expected_version,
            idempotency_key,
            lambda model, today: (
                "appraise",
                {**numbers, "outcome": result, "held_on": today.isoformat()},
            ),
        )

    def decide_standard(self, actor: Actor, case_id: str, *, decision: str,
                        reason: str | None = None, monthly_amount: object = None,
                        household_category: str | None = None,
                        expected_version: int | None = None,
                        idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The county confirms (paid from next month) or rejects with written reasons.

        The monthly amount is (line in force today - per-capita income) x household size,
        or ``monthly_amount`` (yuan) decided for the case, with ``reason``.  The household's
        category (``stable``, ``unstable``, ``able_to_work``, ``tekun``; default stable for
        dibao) sets the first re-review (:mod:`jiuzhu.workflows.review`).
        """
        verdict = inputs.choice(decision, "decision", {"confirm": 1, "reject": 1})
        why = inputs.text(reason, "reason", required=verdict == "reject" or monthly_amount
                          is not None)  # fmt: skip
        if verdict == "reject" and monthly_amount is not None:
            raise InvalidInput("a rejection has no monthly amount", "不予确认不应填写救助金额")

        def build(model: CaseModel, today: date) -> tuple[str, dict[str, Any]]:
            base = {"decided_on": today.isoformat()} | ({"reason": why} if why else {})
            if verdict == "reject":
                return "reject", base
            policy = self.policy_in_force(model.facts["org_path"], today)
            base["review"] = review.cycle(household_category
                                          or review.default_category(model.facts), policy)  # fmt: skip
            if monthly_amount is not None:
                fen = to_fen(monthly_amount, what="monthly amount",
                             maximum_yuan=policy["max_monthly_amount_yuan"])  # fmt: skip
                return "confirm", {**base, "basis": "fixed", "monthly_fen": fen, "policy": policy}
            size = len(model.facts["member_ids"])
            income = model.facts.get("investigation", {}).get("household_income_fen", 0)
            return "confirm", {**base, "basis": "line_minus_income", "household_size": size,
                               "monthly_fen": policy["dibao_line_fen"] * size - income,
                               "policy": policy}  # fmt: skip

        return self._step(actor, "decide_standard", case_id, expected_version, idempotency_key,
                          build)  # fmt: skip

    def deliver_rejection_notice(self, actor: Actor, case_id: str, *,
                                 delivered_on: date | str | None = None,
                                 expected_version: int | None = None,
                                 idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The written reasons of a rejection reached the applicant."""

        def build(model: CaseModel, today: date) -> tuple[str, dict[str, Any]]:
            decided = local_date(parse_iso_utc(model.facts.get("decided_at", iso_utc(
                self.clock.now()))))  # fmt: skip
            day = inputs.day(delivered_on, "delivery date", earliest=decided, today=today)
            return "deliver_notice", {"delivered_on": day}

        return self._step(actor, "deliver_rejection_notice", case_id, expected_version,
                          idempotency_key, build)  # fmt: skip


def _staff(people: object) -> list[str]:
    if not isinstance(people, list | tuple):
        raise InvalidInput("investigators must be a list of staff ids", "调查人员应为工号列表")
    return sorted({inputs.staff_id(p) for p in people})
