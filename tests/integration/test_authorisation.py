"""Who may do what, where (docs/domain.md §2): roles, jurisdiction, and what a refused caller learns.

Wrong-role actors are placed where they *would* have jurisdiction, so that the role alone is
what refuses them; wrong-place actors hold the right role, so that jurisdiction alone does.
Every refusal writes nothing.
"""

from __future__ import annotations

import pytest
from helpers import (
    Org,
    case_in,
    command_call,
    db_snapshot,
    fire,
    make_county,
    make_household,
    open_case,
)

from jiuzhu import Actor, CaseService, InvalidInput, NotFound, PermissionDenied, Role
from jiuzhu.service.views import CaseView

# The command, the state in which it is valid, and the trigger it fires there.
COMMANDS = {
    "promise": ("applied", "promise"),
    "record_appraisal": ("promised", "review"),
    "approve": ("reviewed", "approve"),
    "refuse": ("reviewed", "refuse"),
    "record_verification": ("provisionally_approved", "verify"),
    "withdraw": ("applied", "withdraw"),
}
# docs/domain.md §2, by hand: villages handle the household's side, townships decide, the county (or
# its verification centre) returns the data check.
ENTITLED = {
    "apply": {Role.VILLAGE},
    "register_household": {Role.VILLAGE},
    "promise": {Role.VILLAGE},
    "record_appraisal": {Role.VILLAGE},
    "approve": {Role.TOWNSHIP},
    "refuse": {Role.TOWNSHIP},
    "record_verification": {Role.COUNTY, Role.VERIFICATION_CENTRE},
    "withdraw": {Role.VILLAGE, Role.TOWNSHIP},
}
UNKNOWN_CASE = "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d"
PROVIDER_ID = "5a0e2c7d-1b3f-4e8a-9c6d-2f4b6a8c0e1d"


def actor_in_place(org: Org, role: Role) -> Actor:
    """An actor of ``role`` whose unit covers ``org.village`` (where the test case lives)."""
    return {
        Role.VILLAGE: org.village,
        Role.TOWNSHIP: org.township,
        Role.COUNTY: org.county,
        Role.VERIFICATION_CENTRE: org.centre,
        Role.AUDITOR: org.auditor,
        Role.ADMIN: org.admin,
        Role.SYSTEM: Actor(Role.SYSTEM, org.county.org, "worker-1"),
        # a provider's staff at the township (its provider id need not exist: the role alone
        # refuses it before anything is read)
        Role.PROVIDER: Actor(Role.PROVIDER, org.township.org, "nurse-1", PROVIDER_ID),
    }[role]


# -- roles ------------------------------------------------------------------------------------

WRONG_ROLES = [
    (command, role) for command in COMMANDS for role in Role if role not in ENTITLED[command]
]
RIGHT_ROLES = [
    (command, role) for command in COMMANDS for role in Role if role in ENTITLED[command]
]


@pytest.mark.parametrize(("command", "role"), WRONG_ROLES)
def test_case_command_is_denied_when_role_not_entitled(
    svc: CaseService, org: Org, command: str, role: Role
) -> None:
    state, trigger = COMMANDS[command]
    case = case_in(svc, org, state)
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied) as err:
        fire(svc, org, case, trigger, actor=actor_in_place(org, role))
    assert err.value.details == {"command": command, "role": role.value}
    assert err.value.zh
    assert db_snapshot(svc) == before


@pytest.mark.parametrize(("command", "role"), RIGHT_ROLES)
def test_case_command_succeeds_when_role_entitled(
    svc: CaseService, org: Org, command: str, role: Role
) -> None:
    state, trigger = COMMANDS[command]
    case = case_in(svc, org, state)
    after = fire(svc, org, case, trigger, actor=actor_in_place(org, role))
    assert after.row_version == case.row_version + 1
    assert svc.history(org.county, case.id)[-1].actor == {
        "role": role.value,
        "org": actor_in_place(org, role).org,
    }


@pytest.mark.parametrize("role", [r for r in Role if r not in ENTITLED["apply"]])
def test_apply_is_denied_when_role_not_entitled(svc: CaseService, org: Org, role: Role) -> None:
    household = make_household(svc, org.village)
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied):
        svc.apply(
            actor_in_place(org, role),
            household_id=household.id,
            applicant_id=household.member_ids[0],
            programme="dibao",
            cause="major_illness",
            expenditure="90000",
        )
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("role", [r for r in Role if r not in ENTITLED["register_household"]])
def test_register_household_is_denied_when_role_not_entitled(
    svc: CaseService, org: Org, role: Role
) -> None:
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied):
        make_household(svc, actor_in_place(org, role))
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("reader", ["county", "centre", "auditor", "township", "village"])
def test_reads_succeed_when_actor_covers_case(svc: CaseService, org: Org, reader: str) -> None:
    case = case_in(svc, org, "reviewed")
    actor = getattr(org, reader)
    assert svc.get_case(actor, case.id).state == "reviewed"
    assert [e.type for e in svc.history(actor, case.id)] == ["apply", "promise", "review"]
    assert [c.id for c in svc.list_cases(actor)] == [case.id]
    assert svc.count_by_state(actor) == {("dibao", "reviewed"): 1}


def test_reads_are_denied_when_actor_is_administrator(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "applied")
    for read in (
        lambda: svc.get_case(org.admin, case.id),
        lambda: svc.history(org.admin, case.id),
        lambda: svc.list_cases(org.admin),
        lambda: svc.count_by_state(org.admin),
    ):
        with pytest.raises(PermissionDenied):
            read()


@pytest.mark.parametrize(
    "actor",
    [
        Actor(Role.TOWNSHIP, "320922100001"),
        Actor(Role.VILLAGE, "320922100"),
        Actor(Role.COUNTY, "320922100"),
        Actor(Role.VERIFICATION_CENTRE, "320922100"),
    ],
    ids=["township_at_village", "village_at_township", "county_at_township", "centre_at_township"],
)
def test_read_is_denied_when_role_acts_from_wrong_level(
    svc: CaseService, org: Org, actor: Actor
) -> None:
    case = case_in(svc, org, "reviewed")
    with pytest.raises(PermissionDenied, match="acts from a"):
        svc.get_case(actor, case.id)


@pytest.mark.parametrize("org_id", ["999999", "320922100009"])
def test_command_is_denied_when_actor_unit_unknown(svc: CaseService, org: Org, org_id: str) -> None:
    case = case_in(svc, org, "applied")
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied, match="unknown organisation unit"):
        svc.promise(Actor(Role.VILLAGE, org_id), case.id, signed_by=case.facts["applicant_id"])
    assert db_snapshot(svc) == before


# -- jurisdiction -----------------------------------------------------------------------------

OUTSIDERS = [
    ("promise", "neighbour_village"),
    ("promise", "far_village"),
    ("withdraw", "neighbour_village"),
    ("withdraw", "other_township"),
    ("approve", "other_township"),
    ("refuse", "other_township"),
]


@pytest.mark.parametrize(("command", "outsider"), OUTSIDERS)
def test_case_command_is_denied_when_case_outside_jurisdiction(
    svc: CaseService, org: Org, command: str, outsider: str
) -> None:
    state, trigger = COMMANDS[command]
    case = case_in(svc, org, state)
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied, match="outside the jurisdiction"):
        fire(svc, org, case, trigger, actor=getattr(org, outsider))
    assert db_snapshot(svc) == before


def test_verification_is_denied_when_case_in_another_county(svc: CaseService, org: Org) -> None:
    other = make_county(svc, "320923")
    case = case_in(svc, org, "provisionally_approved")
    before = db_snapshot(svc)
    for actor in (other.county, other.centre):
        with pytest.raises(PermissionDenied, match="outside the jurisdiction"):
            fire(svc, org, case, "verify", actor=actor)
    assert db_snapshot(svc) == before


def test_apply_is_denied_when_household_in_neighbour_village(svc: CaseService, org: Org) -> None:
    household = make_household(svc, org.village)
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied, match="outside the jurisdiction"):
        open_case(svc, org, village=org.neighbour_village, household=household)
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("outsider", ["neighbour_village", "far_village", "other_township"])
def test_reads_are_denied_when_case_outside_jurisdiction(
    svc: CaseService, org: Org, outsider: str
) -> None:
    case = case_in(svc, org, "applied")
    actor = getattr(org, outsider)
    with pytest.raises(PermissionDenied):
        svc.get_case(actor, case.id)
    with pytest.raises(PermissionDenied):
        svc.history(actor, case.id)
    assert svc.list_cases(actor) == []
    assert svc.count_by_state(actor) == {}


def test_lists_hold_only_cases_inside_jurisdiction(svc: CaseService, org: Org) -> None:
    ids = {v.org: open_case(svc, org, village=v).id for v in org.villages}
    for village in org.villages:
        assert [c.id for c in svc.list_cases(village)] == [ids[village.org]]
    assert {c.id for c in svc.list_cases(org.township)} == {ids[v.org] for v in org.villages[:2]}
    assert {c.id for c in svc.list_cases(org.other_township)} == {
        ids[v.org] for v in org.villages[2:]
    }
    assert {c.id for c in svc.list_cases(org.county)} == set(ids.values())
    assert svc.count_by_state(org.township) == {("dibao", "applied"): 2}


def test_lists_exclude_neighbour_township_when_unit_id_contains_underscore(
    svc: CaseService, org: Org
) -> None:
    for township, village in (("T_1", "T_1V"), ("TA1", "TA1V")):
        svc.add_org_unit(
            org.county, id=township, name="镇", level="township", parent_id=org.county.org
        )
        svc.add_org_unit(org.county, id=village, name="村", level="village", parent_id=township)
    org_neighbour = Actor(Role.VILLAGE, "TA1V")
    household = make_household(svc, org_neighbour)
    svc.apply(
        org_neighbour,
        household_id=household.id,
        applicant_id=household.member_ids[0],
        programme="dibao",
        cause="major_illness",
        expenditure="90000",
    )
    assert svc.list_cases(Actor(Role.TOWNSHIP, "T_1")) == []
    assert svc.count_by_state(Actor(Role.TOWNSHIP, "T_1")) == {}


# -- malformed and unknown ids ------------------------------------------------------------------

BAD_IDS = ["abc", "", None, 42, "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6", "' OR 1=1 --"]
CASE_CALLS = [*COMMANDS, "get_case", "history"]


def call_on(svc: CaseService, org: Org, name: str, case_id: object, like: CaseView) -> None:
    """Call ``name`` on ``case_id`` with the arguments and actor that would be valid for ``like``."""
    if name in ("get_case", "history"):
        getattr(svc, name)(org.county, case_id)
        return
    trigger = COMMANDS[name][1]
    _, kwargs = command_call(trigger, like)
    getattr(svc, name)(org.actor_for(trigger, like.village_id), case_id, **kwargs)


@pytest.mark.parametrize("name", CASE_CALLS)
def test_case_call_is_refused_with_invalid_input_when_case_id_malformed(
    svc: CaseService, org: Org, name: str
) -> None:
    case = case_in(svc, org, "applied")
    before = db_snapshot(svc)
    for bad_id in BAD_IDS:
        with pytest.raises(InvalidInput, match="case id"):
            call_on(svc, org, name, bad_id, like=case)
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("name", CASE_CALLS)
def test_case_call_is_refused_with_not_found_when_case_unknown(
    svc: CaseService, org: Org, name: str
) -> None:
    case = case_in(svc, org, "applied")
    before = db_snapshot(svc)
    with pytest.raises(NotFound) as err:
        call_on(svc, org, name, UNKNOWN_CASE, like=case)
    assert err.value.details == {"case_id": UNKNOWN_CASE}
    assert db_snapshot(svc) == before


def test_get_case_finds_case_when_id_given_in_upper_case(svc: CaseService, org: Org) -> None:
    case = open_case(svc, org)
    assert svc.get_case(org.village, f"  {case.id.upper()} ").id == case.id


# -- service providers -------------------------------------------------------------------------

VISIT_PLAN = {"kind": "home_visit", "recurrence": {"type": "interval", "days": 2}}


def provider_plan(svc: CaseService, org: Org, provider: dict[str, str]) -> tuple[str, str]:
    case = case_in(svc, org, "provisionally_approved")
    opened = svc.open_service_plan(org.village, case.id, provider=provider, **VISIT_PLAN)
    [plan_id] = opened.facts["plans"]
    return case.id, plan_id


def staff_of(svc: CaseService, org: Org) -> Actor:
    view = svc.register_provider(org.county, unit_id=org.township.org, name="暖心护理")
    return Actor(Role.PROVIDER, org.township.org, "nurse-1", view.id)


@pytest.mark.parametrize("assigned", sorted({"own", "other_provider", "named", "unit"}))
def test_a_provider_records_a_visit_only_on_a_plan_assigned_to_it(
    svc: CaseService, org: Org, assigned: str
) -> None:
    staff = staff_of(svc, org)
    other = staff_of(svc, org)
    provider = {"own": {"provider": staff.provider or ""},
                "other_provider": {"provider": other.provider or ""},
                "named": {"name": "暖心护理"}, "unit": {"org": org.village.org}}[assigned]  # fmt: skip
    case_id, plan_id = provider_plan(svc, org, provider)
    if assigned == "own":
        after = svc.record_visit(staff, case_id, plan_id=plan_id, what="探访")
        assert after.facts["plans"][plan_id]["done"] == 1
        return
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied, match="not assigned"):
        svc.record_visit(staff, case_id, plan_id=plan_id, what="探访")
    assert db_snapshot(svc) == before


@pytest.mark.parametrize(
    "call",
    sorted({"open_service_plan", "suspend_service_plan", "end_service_plan", "get_case",
            "history", "list_cases", "get_household", "list_providers", "register_provider",
            "missed_visits"}),
)  # fmt: skip
def test_a_provider_holds_no_other_command_and_no_other_read(
    svc: CaseService, org: Org, call: str
) -> None:
    staff = staff_of(svc, org)
    case_id, plan_id = provider_plan(svc, org, {"provider": staff.provider or ""})
    household = svc.get_case(org.county, case_id).household_id
    calls = {
        "open_service_plan": lambda: svc.open_service_plan(
            staff, case_id, provider={"provider": staff.provider or ""}, **VISIT_PLAN),
        "suspend_service_plan": lambda: svc.suspend_service_plan(
            staff, case_id, plan_id=plan_id, reason="住院"),
        "end_service_plan": lambda: svc.end_service_plan(
            staff, case_id, plan_id=plan_id, reason="结束"),
        "get_case": lambda: svc.get_case(staff, case_id),
        "history": lambda: svc.history(staff, case_id),
        "list_cases": lambda: svc.list_cases(staff),
        "get_household": lambda: svc.get_household(staff, household),
        "list_providers": lambda: svc.list_providers(staff),
        "register_provider": lambda: svc.register_provider(
            staff, unit_id=org.township.org, name="另一机构"),
        "missed_visits": lambda: svc.missed_visits(staff),
    }  # fmt: skip
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied):
        calls[call]()
    assert db_snapshot(svc) == before
