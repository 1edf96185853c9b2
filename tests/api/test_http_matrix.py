"""Roles × endpoints × jurisdictions over HTTP: no unauthorised success anywhere.

For every endpoint of the route table, every actor of two counties tries a valid request on a
target in ``village`` (320922100001) in the state where the command is allowed.  The expected
answer is written out here by hand from docs/domain.md §2, §4, §5, §7 and the README's table (who
may do what, where) -- not read from the service's matrix -- so that the HTTP layer is held
to the rules.  A refused request must be 403 (401 without a token) and change nothing; an
allowed one must succeed.  Lists must show exactly what lies in the caller's jurisdiction.

A refused request changes nothing (that is checked), so the next caller tries the same
target; a fresh one is made after each success.  Binhai's city (Yancheng, 3209) has no sourced
dibao line: the module configures one (800 yuan from 2024-01-01) for the standard path and
temporary assistance, on the service the server shares.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from helpers import case_in, command_call, db_snapshot, make_household, new_members
from http_support import (
    INVESTIGATORS,
    Api,
    owing_case,
    problem_of,
    standard_case_in,
    temporary_case_in,
)
from sqlalchemy import select

from jiuzhu import Actor, Role
from jiuzhu.api.routes import ROUTES
from jiuzhu.audit.findings import database_findings
from jiuzhu.clock import local_date
from jiuzhu.models import rows as store
from jiuzhu.scheduler.sweep import sweep

READERS = {Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY, Role.VERIFICATION_CENTRE, Role.AUDITOR}
LOCAL = {Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY}
ENTITLED: dict[str, set[Role]] = {
    "add_org_unit": {Role.ADMIN, Role.COUNTY},
    "register_household": {Role.VILLAGE},
    "get_household": READERS,
    "apply": {Role.VILLAGE},
    "promise": {Role.VILLAGE},
    "record_appraisal": {Role.VILLAGE},
    "approve": {Role.TOWNSHIP},
    "refuse": {Role.TOWNSHIP},
    "record_verification": {Role.COUNTY, Role.VERIFICATION_CENTRE},
    "withdraw": {Role.VILLAGE, Role.TOWNSHIP},
    "open_service_plan": LOCAL,
    # a provider's staff record visits for the plans assigned to their provider (the target
    # plan is), and read only those plans; counties and townships register providers
    "record_visit": LOCAL | {Role.PROVIDER},
    "register_provider": {Role.COUNTY, Role.TOWNSHIP},
    "list_providers": {Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY, Role.AUDITOR},
    "provider_plans": {Role.PROVIDER},
    # one-off projects: opened where the case is worked; completed by the village or by the
    # provider assigned (the target one-off is)
    "open_oneoff": LOCAL,
    # projects (帮扶项目): registered by a county or township; listed and reported to readers
    "register_project": {Role.COUNTY, Role.TOWNSHIP},
    "list_projects": READERS,
    "report_projects": READERS,
    "complete_oneoff": {Role.VILLAGE, Role.PROVIDER},
    "suspend_service_plan": LOCAL,
    "resume_service_plan": LOCAL,
    "end_service_plan": LOCAL,
    "cases_page": READERS,
    "get_case": READERS,
    "history": READERS,
    "replay": READERS,
    "count_by_state": READERS,
    "overdue_verifications_page": READERS,
    "missed_visits_page": READERS,
    # money (docs/domain.md §7, README): the township settles bills and repayments with the county;
    # fines and write-offs are the county's decisions; the ledger and the credit record are
    # read like a case
    "record_medical_bill": {Role.TOWNSHIP, Role.COUNTY},
    "record_repayment": {Role.TOWNSHIP, Role.COUNTY},
    "impose_fine": {Role.COUNTY},
    "write_off": {Role.COUNTY},
    "ledger": READERS,
    "credit_records_page": READERS,
    "report": READERS,
    # the standard path (docs/domain.md §4): the village takes the application, hosts the notice and
    # the appraisal; the township accepts, investigates (the village committee assisting,
    # A Art. 16), gives its opinion and marks special cases; the county (or its verification
    # centre) runs the data check; the county decides; the written reasons are handed over
    # where the applicant lives
    "apply_standard": {Role.VILLAGE, Role.TOWNSHIP},
    "accept_standard": {Role.TOWNSHIP},
    "start_investigation": {Role.VILLAGE, Role.TOWNSHIP},
    "complete_investigation": {Role.VILLAGE, Role.TOWNSHIP},
    "start_verification": {Role.COUNTY, Role.VERIFICATION_CENTRE},
    "record_check": {Role.COUNTY, Role.VERIFICATION_CENTRE},
    "give_opinion": {Role.TOWNSHIP},
    "mark_special": {Role.TOWNSHIP},
    "record_objection": {Role.VILLAGE, Role.TOWNSHIP},
    "appraise_standard": {Role.VILLAGE},
    "decide_standard": {Role.COUNTY},
    "deliver_rejection_notice": {Role.VILLAGE, Role.TOWNSHIP},
    "limit_alarms_page": READERS,
    # the audit reads (docs/domain.md §8): auditors and the county
    "findings": {Role.AUDITOR, Role.COUNTY},
    "findings_summary": {Role.AUDITOR, Role.COUNTY},
    "checkpoints": {Role.AUDITOR, Role.COUNTY},
    # temporary assistance (docs/domain.md §5): applied for and assessed ("1+4") where the family
    # lives, decided and paid (or assisted first) by the township or the county
    "apply_temporary": {Role.VILLAGE, Role.TOWNSHIP},
    "assess_temporary": {Role.VILLAGE, Role.TOWNSHIP},
    "complete_paperwork": {Role.VILLAGE, Role.TOWNSHIP},
    "decide_temporary": {Role.TOWNSHIP, Role.COUNTY},
    "assist_first": {Role.TOWNSHIP, Role.COUNTY},
    "pay_temporary": {Role.TOWNSHIP, Role.COUNTY},
    "close_temporary": {Role.TOWNSHIP, Role.COUNTY},
    # a new citizen's out-of-area dibao or tekun status, recorded where the family lives
    "record_out_of_area": {Role.VILLAGE, Role.TOWNSHIP},
    "reconfirm_out_of_area": {Role.VILLAGE, Role.TOWNSHIP},
    # re-review (复核, docs/domain.md §4): the township opens, the village investigates, the
    # township gives its opinion, the county decides
    "open_review": {Role.TOWNSHIP},
    "investigate_review": {Role.VILLAGE, Role.TOWNSHIP},
    "give_review_opinion": {Role.TOWNSHIP},
    "decide_review": {Role.COUNTY},
    # changes of circumstance (docs/domain.md §4): recorded where the household lives, a
    # phase-out decided by the county
    "record_circumstance": {Role.VILLAGE, Role.TOWNSHIP},
    "decide_phase_out": {Role.COUNTY},
    "record_rigid_expenditure": {Role.VILLAGE, Role.TOWNSHIP},
    "renew_rigid_expenditure": {Role.VILLAGE, Role.TOWNSHIP},
    # finding cases: everyone who reads cases finds them in the jurisdiction; the read log is
    # for the county and auditors
    "find_case": READERS,
    "search": READERS,
    "queue": READERS,
    "members": READERS,
    "household_chain": READERS,
    "transfer_household": {Role.COUNTY},
    "unit_names": READERS,
    "personal_data_reads": {Role.COUNTY, Role.AUDITOR},
}
# "own": the actor acts in its own unit; "list": the answer is filtered to the jurisdiction;
# otherwise the target (case, household, parent unit) must lie in the actor's subtree.
SCOPE = {"register_household": "own", "cases_page": "list", "count_by_state": "list",
         "overdue_verifications_page": "list", "missed_visits_page": "list", "limit_alarms_page": "list",
         "credit_records_page": "list", "findings": "list", "findings_summary": "list",
         "checkpoints": "list", "queue": "own", "unit_names": "own",
         "personal_data_reads": "own", "list_providers": "own",
         "provider_plans": "own", "list_projects": "own", "report_projects": "own"}  # fmt: skip
PLAN = {"kind": "cleaning", "provider": {"name": "暖心洁家"},
        "recurrence": {"type": "interval", "days": 2}}  # fmt: skip
_units = itertools.count(101)  # past the villages of helpers.make_county
BINHAI_LINE = ("3209", "2024-01-01", "800")  # Yancheng: configured, not sourced


@pytest.fixture
def api(api: Api) -> Api:
    """The conftest's ``api``, with a dibao line for Binhai's city (both counties lie in it),
    and a service provider registered at the target village's township (``api.provider``, the
    actor of its staff)."""
    api.svc.policy_book = api.svc.policy_book.with_dibao_line(*BINHAI_LINE)
    provider_of(api)
    return api


def provider_of(api: Api) -> Actor:
    """The staff of a provider registered at the target village's township (made once)."""
    if not hasattr(api, "provider"):
        view = api.svc.register_provider(api.org.county, unit_id=api.org.township.org,
                                         name="暖心护理")  # fmt: skip
        api.provider = Actor(Role.PROVIDER, view.unit_id, "nurse-1", view.id)  # type: ignore[attr-defined]
    return api.provider  # type: ignore[attr-defined,no-any-return]


def actors(api: Api) -> list[tuple[str, Actor, bool]]:
    """(name, actor, whether its jurisdiction covers the target village)."""
    org, other = api.org, api.other
    return [
        ("village", org.village, True),
        ("neighbour_village", org.neighbour_village, False),
        ("far_village", org.far_village, False),
        ("township", org.township, True),
        ("other_township", org.other_township, False),
        ("county", org.county, True),
        ("centre", org.centre, True),
        ("auditor", org.auditor, True),
        ("admin", org.admin, True),
        ("other_county", other.county, False),
        ("other_centre", other.centre, False),
        ("other_auditor", other.auditor, False),
        ("other_village", other.village, False),
        ("provider", provider_of(api), True),
    ]


Request = tuple[str, str, dict[str, Any] | None]  # method, path, body


def case_command(state: str, trigger: str) -> Callable[[Api], Request]:
    def make(api: Api) -> Request:
        case = case_in(api.svc, api.org, state)
        name, kwargs = command_call(trigger, case)
        return "POST", f"/cases/{case.id}/{name.replace('_', '-')}", kwargs

    return make


def plan_step(
    command: str, body: dict[str, Any], suspended: bool = False
) -> Callable[[Api], Request]:
    def make(api: Api) -> Request:
        case = case_in(api.svc, api.org, "provisionally_approved")
        before = set(case.facts.get("plans", {}))
        plan = dict(PLAN)
        if command == "record-visit":  # assigned to the provider, whose staff may record it
            plan["provider"] = {"provider": provider_of(api).provider or ""}
        opened = api.svc.open_service_plan(api.org.village, case.id, **plan)
        [plan_id] = set(opened.facts["plans"]) - before
        if suspended:
            api.svc.suspend_service_plan(api.org.village, case.id, plan_id=plan_id, reason="住院")
        return "POST", f"/cases/{case.id}/{command}", {"plan_id": plan_id, **body}

    return make


ONEOFF = {"kind": "rewiring", "what": "更换老化电线", "provider": {"name": "安心电工服务社"}}


def later(api: Api) -> str:
    return (local_date(api.clock.now()) + timedelta(days=30)).isoformat()


def oneoff_step(api: Api) -> Request:
    """A one-off assigned to the provider, to complete."""
    case = case_in(api.svc, api.org, "provisionally_approved")
    mine = {"provider": provider_of(api).provider or ""}
    opened = api.svc.open_oneoff(api.org.village, case.id, **{**ONEOFF, "provider": mine},
                                 due_on=later(api))  # fmt: skip
    [oneoff_id] = opened.facts["oneoffs"]
    return "POST", f"/cases/{case.id}/complete-oneoff", {"oneoff_id": oneoff_id}


REVIEW_STEPS = ("open-review", "investigate-review", "give-review-opinion", "decide-review")


def review_step(command: str, body: dict[str, Any]) -> Callable[[Api], Request]:
    """``command`` on a verified fast-track case whose re-review has reached that step."""

    def make(api: Api) -> Request:
        case = case_in(api.svc, api.org, "verified")
        done = REVIEW_STEPS[: REVIEW_STEPS.index(command)]
        if "open-review" in done:
            api.svc.open_review(api.org.township, case.id, reason="家庭情况变化")
        if "investigate-review" in done:
            api.svc.investigate_review(api.org.village, case.id, findings="收入未变")
        if "give-review-opinion" in done:
            api.svc.give_review_opinion(api.org.township, case.id, opinion="建议继续")
        return "POST", f"/cases/{case.id}/{command}", body

    return make


def circumstance_step(command: str) -> Callable[[Api], Request]:
    """``command`` on a verified fast-track case: a change recorded, a phase-out after an
    income rise reaches the county, a renewal of a recorded rigid-expenditure status."""

    def make(api: Api) -> Request:
        case = case_in(api.svc, api.org, "verified")
        if command == "record-circumstance":
            body = {"kind": "recovered", "person_id": case.facts["member_ids"][0]}
        elif command == "decide-phase-out":
            api.svc.record_circumstance(api.org.township, case.id, kind="income_change",
                                        household_income="100000")  # fmt: skip
            api.svc.investigate_review(api.org.village, case.id, findings="收入增加")
            api.svc.give_review_opinion(api.org.township, case.id, opinion="建议渐退")
            body = {"months": 2, "reasons": "收入超过低保标准"}
        elif command == "record-rigid-expenditure":
            body = {"expenditure": "长期血液透析"}
        else:
            api.svc.record_rigid_expenditure(api.org.village, case.id, expenditure="长期透析")
            body = {}
        return "POST", f"/cases/{case.id}/{command}", body

    return make


def fresh_case(suffix: str = "") -> Callable[[Api], Request]:
    def make(api: Api) -> Request:
        return "GET", f"/cases/{case_in(api.svc, api.org, 'applied').id}{suffix}", None

    return make


def apply_request(api: Api) -> Request:
    home = make_household(api.svc, api.org.village)
    return "POST", "/cases", {"household_id": home.id, "applicant_id": home.member_ids[0],
                              "programme": "dibao", "cause": "accident", "expenditure": "50000"}  # fmt: skip


def add_unit_request(api: Api) -> Request:
    return "POST", "/org-units", {"id": f"320922100{next(_units):03d}", "name": "新建村",
                                  "level": "village", "parent_id": api.org.township.org}  # fmt: skip


def household_read(api: Api) -> Request:
    return "GET", f"/households/{make_household(api.svc, api.org.village).id}", None


def path_command(
    workflow: str, state: str, command: str, body: Callable[[Any], dict[str, Any]] | None = None
) -> Callable[[Api], Request]:
    """``command`` on a new standard or temporary case in ``state``; ``body(case)``."""

    def make(api: Api) -> Request:
        case = (standard_case_in if workflow == "standard" else temporary_case_in)(api, state)
        return "POST", f"/cases/{case.id}/{command}", (body(case) if body else {})

    return make


def out_of_area_command(command: str) -> Callable[[Api], Request]:
    """Record the status on a new temporary case, or re-confirm it on one that holds it."""

    def make(api: Api) -> Request:
        case = temporary_case_in(api, "applied")
        until = (local_date(api.clock.now()) + timedelta(days=90)).isoformat()
        status = {"status": "tekun", "unit_name": "安徽省阜阳市颍州区民政局",
                  "unit_code": "341202", "document": "颍民救证〔2024〕15号"}  # fmt: skip
        if command == "reconfirm-out-of-area":
            api.svc.record_out_of_area(api.org.village, case.id, valid_until=until, **status)
            return "POST", f"/cases/{case.id}/{command}", {"document": "颍民救证〔2024〕88号",
                                                            "valid_until": until}  # fmt: skip
        return "POST", f"/cases/{case.id}/{command}", {**status, "valid_until": until}

    return make


def money_command(command: str, body: Callable[[Api], dict[str, Any]]) -> Callable[[Api], Request]:
    """``command`` on a case where it is allowed: a bill on a paying case, the rest on a case
    revoked for falsification that owes its first month."""

    def make(api: Api) -> Request:
        if command == "record-medical-bill":
            case = case_in(api.svc, api.org, "provisionally_approved")
        else:
            case = owing_case(api)
        return "POST", f"/cases/{case.id}/{command}", body(api)

    return make


def household_apply(path: str) -> Callable[[Api], Request]:
    def make(api: Api) -> Request:
        home = make_household(api.svc, api.org.village)
        return "POST", path, {"household_id": home.id, "applicant_id": home.member_ids[0]}

    return make


def today(api: Api) -> str:
    return local_date(api.clock.now()).isoformat()


APPRAISAL = {"outcome": "passed", "attendance": 20, "votes_for": 18, "votes_against": 1,
             "abstentions": 1}  # fmt: skip
INCIDENT = {"sudden_event": "火灾，消防部门证明"}

REQUESTS: dict[str, Callable[[Api], Request]] = {
    "add_org_unit": add_unit_request,
    "register_household": lambda api: ("POST", "/households", {"members": new_members(1)}),
    "get_household": household_read,
    "apply": apply_request,
    "promise": case_command("applied", "promise"),
    "record_appraisal": case_command("promised", "review"),
    "approve": case_command("reviewed", "approve"),
    "refuse": case_command("reviewed", "refuse"),
    "record_verification": case_command("provisionally_approved", "verify"),
    "withdraw": case_command("applied", "withdraw"),
    "open_service_plan": lambda api: (
        "POST",
        f"/cases/{case_in(api.svc, api.org, 'provisionally_approved').id}/open-service-plan",
        PLAN,
    ),  # fmt: skip
    "record_visit": plan_step("record-visit", {"what": "打扫卫生"}),
    "suspend_service_plan": plan_step("suspend-service-plan", {"reason": "住院治疗"}),
    "resume_service_plan": plan_step("resume-service-plan", {}, suspended=True),
    "end_service_plan": plan_step("end-service-plan", {"reason": "服务项目结束"}),
    "register_provider": lambda api: ("POST", "/providers", {"unit_id": api.org.township.org,
                                                             "name": "夕阳红服务社"}),
    "list_providers": lambda api: ("GET", "/providers", None),
    "open_oneoff": lambda api: (
        "POST", f"/cases/{case_in(api.svc, api.org, 'provisionally_approved').id}/open-oneoff",
        {**ONEOFF, "due_on": later(api)}),
    "complete_oneoff": oneoff_step,
    "register_project": lambda api: ("POST", "/projects", {"unit_id": api.org.township.org,
                                                           "name": "暖心助老", "year": 2024}),
    "list_projects": lambda api: ("GET", "/projects", None),
    "report_projects": lambda api: ("GET", "/reports/projects?year=2024", None),
    "provider_plans": lambda api: ("GET", "/provider-plans", None),
    "get_case": fresh_case(),
    "history": fresh_case("/history"),
    "replay": fresh_case("/replay"),
    "cases_page": lambda api: ("GET", "/cases", None),
    "count_by_state": lambda api: ("GET", "/reports/counts", None),
    "overdue_verifications_page": lambda api: ("GET", "/findings/overdue-verifications", None),
    "missed_visits_page": lambda api: ("GET", "/findings/missed-visits", None),
    # money
    "record_medical_bill": money_command("record-medical-bill", lambda api: {
        "billed_on": today(api), "total": "12000", "insurance_paid": "7000",
        "hospital": "滨海县人民医院"}),
    "record_repayment": money_command("record-repayment", lambda api: {"amount": "100"}),
    "impose_fine": money_command("impose-fine",
                                 lambda api: {"multiple": "1.5", "reason": "骗取低保金"}),
    "write_off": money_command("write-off",
                               lambda api: {"amount": "100", "reason": "家庭成员死亡"}),
    "ledger": fresh_case("/ledger"),
    "credit_records_page": lambda api: ("GET", "/credit-records", None),
    "report": lambda api: ("GET", f"/reports/units?org={api.org.village.org}", None),
    # re-review
    "open_review": review_step("open-review", {"reason": "家庭成员就业"}),
    "investigate_review": review_step("investigate-review", {"findings": "收入增加"}),
    "give_review_opinion": review_step("give-review-opinion", {"opinion": "建议继续"}),
    "decide_review": review_step("decide-review", {"outcome": "continue", "reasons": "收入未变"}),
    # changes of circumstance
    **{name: circumstance_step(name.replace("_", "-")) for name in (
        "record_circumstance", "decide_phase_out", "record_rigid_expenditure",
        "renew_rigid_expenditure")},
    # the standard path
    "apply_standard": household_apply("/cases/standard"),
    "accept_standard": path_command("standard", "applied", "accept-standard"),
    "start_investigation": path_command("standard", "accepted", "start-investigation",
                                        lambda case: {"investigators": INVESTIGATORS}),
    "complete_investigation": path_command("standard", "investigating", "complete-investigation",
        lambda case: {"household_income": "300", "signed_by": case.facts["applicant_id"],
                      "investigators": INVESTIGATORS}),
    "start_verification": path_command("standard", "verifying", "start-verification"),
    "record_check": path_command("standard", "verifying", "record-check",
                                 lambda case: {"result": "meets_standard"}),
    "give_opinion": path_command("standard", "checked", "give-opinion",
                                 lambda case: {"recommend": True, "opinion": "同意"}),
    "mark_special": path_command("standard", "accepted", "mark-special",
                                 lambda case: {"reason": "hard_investigation"}),
    "record_objection": path_command("standard", "public_notice", "record-objection",
                                     lambda case: {"route": "appraisal", "summary": "有异议"}),
    "appraise_standard": path_command("standard", "appraising", "appraise-standard",
                                      lambda case: APPRAISAL),
    "decide_standard": path_command("standard", "county_review", "decide-standard",
                                    lambda case: {"decision": "confirm"}),
    "deliver_rejection_notice": path_command("standard", "rejected", "deliver-rejection-notice"),
    "limit_alarms_page": lambda api: ("GET", "/findings/limit-alarms", None),
    "findings": lambda api: ("GET", "/findings", None),
    "findings_summary": lambda api: ("GET", "/findings/summary", None),
    "checkpoints": lambda api: ("GET", "/audit/checkpoints", None),
    # temporary assistance
    "apply_temporary": household_apply("/cases/temporary"),
    "assess_temporary": path_command("temporary", "applied", "assess-temporary",
                                     lambda case: INCIDENT),
    "complete_paperwork": path_command("temporary", "assisted_first", "complete-paperwork",
                                       lambda case: INCIDENT),
    "decide_temporary": path_command("temporary", "assessed", "decide-temporary",
                                     lambda case: {"decision": "approve", "multiplier": 2}),
    "assist_first": path_command("temporary", "applied", "assist-first",
                                 lambda case: {"multiplier": 2, "reason": "火灾，先行救助"}),
    "pay_temporary": path_command("temporary", "approved", "pay-temporary"),
    "close_temporary": path_command("temporary", "paid", "close-temporary",
                                    lambda case: {"note": "已回访"}),
    "record_out_of_area": out_of_area_command("record-out-of-area"),
    "reconfirm_out_of_area": out_of_area_command("reconfirm-out-of-area"),
    # finding cases: a case by its number, a search by it, a household's members (targets in
    # the village); a queue, the unit names and the read log (the caller's own)
    "find_case": lambda api: ("GET", f"/case-refs/{case_in(api.svc, api.org, 'applied').case_no}",
                              None),
    "search": lambda api: (
        "GET", f"/search?case_no={case_in(api.svc, api.org, 'applied').case_no}", None),
    "queue": lambda api: ("GET", "/queues/waiting", None),
    "members": lambda api: (
        "GET", f"/households/{make_household(api.svc, api.org.village).id}/members", None),
    "transfer_household": lambda api: (
        "POST", f"/households/{case_in(api.svc, api.org, 'applied').household_id}/transfer",
        {"to_village": api.org.far_village.org, "reason": "迁居"}),
    "household_chain": lambda api: (
        "GET", f"/households/{case_in(api.svc, api.org, 'applied').household_id}/chain", None),
    "unit_names": lambda api: ("GET", "/unit-names", None),
    "personal_data_reads": lambda api: ("GET", "/personal-data-reads", None),
}  # fmt: skip


# Routes that cannot be in the full matrix (name -> why); the generic rules of
# ``test_read_only_and_unauthenticated_callers_never_write`` still hold them.  Empty: every
# route has a request and its entitled roles above.
NOT_IN_MATRIX: dict[str, str] = {}


def test_every_route_has_a_request_and_an_entitlement_here() -> None:
    names = {route.name for route in ROUTES} - set(NOT_IN_MATRIX)
    assert names == set(REQUESTS) == set(ENTITLED), (
        "a route was added or removed: give it a request and its entitled roles in this file"
    )
    assert set(NOT_IN_MATRIX) <= {route.name for route in ROUTES}


def placeholder(schema: dict[str, Any], doc: dict[str, Any]) -> Any:
    """A value of the documented type (enough to pass the schema; the service judges it)."""
    if "$ref" in schema:
        return placeholder(doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], doc)
    kinds = [schema] if "type" in schema else schema.get("anyOf", [{"type": "string"}])
    kind = next((k for k in kinds if k.get("type") != "null"), {"type": "string"})
    return {"string": "1", "integer": 1, "boolean": False, "array": [], "object": {},
            "number": 1}.get(kind.get("type", "string"), "1")  # fmt: skip


def valid_shaped_body(operation: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return {}
    schema = content["schema"]
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if "$ref" in s)
    model = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return {name: placeholder(model["properties"][name], doc) for name in model.get("required", [])}


def test_read_only_and_unauthenticated_callers_never_write(api: Api) -> None:
    """Every route, the served-later ones included: an auditor, an administrator (outside
    setting up units) and a caller without a token never succeed at a command, and nothing
    changes; reads refuse anonymous callers and administrators."""
    doc = api.get(None, "/openapi.json").json()
    case = case_in(api.svc, api.org, "provisionally_approved")
    ids = {"case_id": case.id, "household_id": case.household_id, "ref": case.case_no,
           "which": "waiting"}  # fmt: skip
    failures = []
    for route in ROUTES:
        path = route.path.format(**ids)
        operation = doc["paths"][route.path][route.method.lower()]
        body = valid_shaped_body(operation, doc) if route.method == "POST" else None
        callers: list[tuple[str, Actor | None]] = [("anonymous", None)]
        if route.method == "POST":
            callers.append(("auditor", api.org.auditor))
        if route.name != "add_org_unit":
            callers.append(("admin", api.org.admin))
        for who, actor in callers:
            before = db_snapshot(api.svc)
            response = api.call(actor, route.method, path, json=body)
            if response.is_success or response.status_code >= 500:
                failures.append(f"{route.name} as {who}: {response.status_code}")
            elif db_snapshot(api.svc) != before:
                failures.append(f"{route.name} as {who}: refused but the database changed")
            elif actor is None and response.status_code != 401:
                failures.append(f"{route.name} as {who}: {response.status_code}, not 401")
    assert not failures, "\n".join(failures)


def seed_findings(api: Api) -> dict[str, set[str]]:
    """In the target village: one overdue data check, one missed visit, one passed limit of
    the standard path and one credit-record entry.  Name of the list -> its case ids."""
    overdue = case_in(api.svc, api.org, "provisionally_approved")
    visited = case_in(api.svc, api.org, "verified")
    api.svc.open_service_plan(api.org.village, visited.id, **PLAN)
    late = standard_case_in(api, "accepted")  # 3 working days to start the investigation
    revoked = owing_case(api)
    api.clock.advance(timedelta(days=40))
    sweep(api.svc, worker="matrix")
    return {"overdue_verifications_page": {overdue.id}, "missed_visits_page": {visited.id},
            "limit_alarms_page": {late.id}, "credit_records_page": {revoked.id}}  # fmt: skip


def all_case_ids(api: Api) -> set[str]:
    with api.svc.engine.connect() as conn:
        return set(conn.execute(select(store.cases.c.id)).scalars())


def listing(api: Api, name: str, body: Any, findings: dict[str, set[str]]) -> tuple[Any, Any]:
    """(what was listed, what a reader covering the target village must see)."""
    body = body["items"]
    if name == "count_by_state":
        return sum(row["count"] for row in body), len(all_case_ids(api))
    if name == "checkpoints":  # the whole database's (every chain is checked whole)
        return len(body), 0
    found = list(database_findings(api.svc.engine, now=api.clock.now()))
    if name == "findings_summary":
        return sum(row["count"] for row in body), len(found)
    if name == "findings":
        return {row["case_id"] for row in body}, {f.case_id for f in found}
    seen = {row.get("case_id", row.get("id")) for row in body}
    return seen, findings[name] if name in findings else all_case_ids(api)


@pytest.mark.parametrize("name", sorted(ENTITLED))
def test_endpoint_answers_exactly_the_entitled_actors(api: Api, name: str) -> None:
    findings = seed_findings(api) if SCOPE.get(name) == "list" else {}
    failures = []
    request: Request | None = None
    for who, actor, covers in [*actors(api), ("anonymous", None, False)]:
        request = request or REQUESTS[name](api)  # a refusal leaves the target as it was
        method, path, body = request
        before = db_snapshot(api.svc)
        response = api.call(actor, method, path, json=body)
        if response.is_success:
            request = None  # the next caller needs a fresh target
        allowed = actor is not None and actor.role in ENTITLED[name] and (
            covers or SCOPE.get(name) in ("own", "list"))  # fmt: skip
        if allowed and not response.is_success:
            failures.append(f"{who}: expected success, got {response.status_code} "
                            f"{response.text[:200]}")  # fmt: skip
        elif allowed and SCOPE.get(name) == "list":
            seen, everything = listing(api, name, response.json(), findings)
            expected = everything if covers or name == "checkpoints" else (
                0 if name in ("count_by_state", "findings_summary") else set())  # fmt: skip
            if seen != expected:
                failures.append(f"{who}: listed {seen}, expected {expected}")
        elif not allowed:
            wanted = 401 if actor is None else 403
            if response.status_code != wanted:
                failures.append(f"{who}: expected {wanted}, got {response.status_code} "
                                f"{response.text[:200]}")  # fmt: skip
            elif db_snapshot(api.svc) != before:
                failures.append(f"{who}: refused with {wanted} but the database changed")
            else:
                problem_of(response)
    assert not failures, "\n".join(failures)
