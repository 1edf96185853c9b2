"""Unit tests for jiuzhu.service.actors: the permission matrix and the jurisdiction test.

The matrix below is written out from docs/domain.md §2, not read from ``PERMISSIONS``.
"""

from __future__ import annotations

import pytest

from jiuzhu import Actor, InvalidInput, PermissionDenied, Role
from jiuzhu.service.actors import PERMISSIONS, ROLE_LABELS, ROLE_LEVEL, require_role, within

V, T, C, VC, AU, AD, P = (
    Role.VILLAGE,
    Role.TOWNSHIP,
    Role.COUNTY,
    Role.VERIFICATION_CENTRE,
    Role.AUDITOR,
    Role.ADMIN,
    Role.PROVIDER,
)
EXPECTED: dict[str, set[Role]] = {
    "add_org_unit": {AD, C},
    "manage_users": {AD, C},  # who may add, list and disable people who sign in
    "import_calendar": {AD},  # the State Council's holiday notice holds for every county
    "read_metrics": {AD, C, AU},  # counts for operators, no people
    "import": {AD, C},  # bringing an existing caseload in, a county within its jurisdiction
    "register_household": {V},
    "transfer_household": {C},
    "apply": {V},
    "promise": {V},
    "record_appraisal": {V},
    "approve": {T},
    "refuse": {T},
    "record_verification": {C, VC},
    "withdraw": {V, T},
    "read": {V, T, C, VC, AU},
    "manage_service_plans": {
        V,
        T,
        C,
    },  # district, town and village together (docs/domain.md §6)
    # a service provider's staff record visits (for its own plans only: service/plans.py) and
    # read the plans assigned to it; counties and townships (or an administrator) register them
    "record_visit": {V, T, C, P},
    "register_provider": {C, T},
    # one-off projects (a repair): opened where the case is worked, completed by the village or
    # the provider assigned
    "open_oneoff": {V, T, C},
    # projects (帮扶项目): registered by a county or township, read by every reader
    "register_project": {C, T},
    "list_projects": {V, T, C, VC, AU},
    "complete_oneoff": {V, P},
    "list_providers": {V, T, C, AU},
    "provider_plans": {P},
    # money: the township settles bills and repayments; fines and write-offs are the county's
    "record_medical_bill": {T, C},
    "record_repayment": {T, C},
    "impose_fine": {C},
    "write_off": {C},
    # the standard path (docs/domain.md §4): township accepts, investigates with the village and gives
    # its opinion; the county (or its verification centre) checks; the county decides
    "apply_standard": {V, T},
    "accept_standard": {T},
    "investigate": {V, T},
    "check_standard": {C, VC},
    "propose_standard": {T},
    "record_objection": {V, T},
    "appraise_standard": {V},
    "decide_standard": {C},
    "deliver_rejection_notice": {V, T},
    # temporary assistance (docs/domain.md §5): assessed where the family lives, granted and paid by
    # the township or the county
    "apply_temporary": {V, T},
    "assess_temporary": {V, T},
    "decide_temporary": {T, C},
    "pay_temporary": {T, C},
    # a new citizen's dibao or tekun status at the hukou place: recorded where the family lives
    "record_out_of_area": {V, T},
    "reconfirm_out_of_area": {V, T},
    # re-review (docs/domain.md §4): the township opens, the village investigates, the township
    # gives its opinion, the county decides
    "open_review": {T},
    "investigate_review": {V, T},
    "give_review_opinion": {T},
    "decide_review": {C},
    # changes of circumstance (docs/domain.md §4): recorded where the household lives, a
    # phase-out decided by the county
    "record_circumstance": {V, T},
    "decide_phase_out": {C},
    "record_rigid_expenditure": {V, T},
    "renew_rigid_expenditure": {V, T},
    # letters (docs/letters.md): printed where cases are worked, checked by any reader
    "print_letter": {V, T, C},
    "check_letter": {V, T, C, VC, AU},
}


def test_matrix_names_every_command() -> None:
    assert set(PERMISSIONS) == set(EXPECTED)


@pytest.mark.parametrize(
    ("command", "role"),
    [(command, role) for command, roles in EXPECTED.items() for role in sorted(roles)],
)
def test_require_role_passes_when_role_entitled(command: str, role: Role) -> None:
    require_role(Actor(role, "320922"), command)


@pytest.mark.parametrize(
    ("command", "role"),
    [(command, role) for command, roles in EXPECTED.items() for role in Role if role not in roles],
)
def test_require_role_raises_permission_denied_when_role_not_entitled(
    command: str, role: Role
) -> None:
    with pytest.raises(PermissionDenied) as err:
        require_role(Actor(role, "320922"), command)
    assert err.value.details == {"command": command, "role": role.value}
    assert f"role '{role.value}' may not" in err.value.message
    assert ROLE_LABELS[role].zh in err.value.zh
    assert err.value.code == "permission_denied"


def test_auditor_may_only_read() -> None:
    # checking a letter recomputes it from the events: a read; so is the list of providers;
    # metrics are counts
    reads = ["read_metrics", "list_providers", "list_projects", "read", "check_letter"]
    assert [c for c, roles in PERMISSIONS.items() if Role.AUDITOR in roles] == reads


def test_every_role_has_labels_and_a_level() -> None:
    for role in Role:
        assert ROLE_LABELS[role].zh and ROLE_LABELS[role].en
    assert ROLE_LEVEL == {
        V: "village",
        T: "township",
        C: "county",
        VC: "county",
        AU: None,
        AD: None,
        P: None,  # a provider sits at the level of the unit it is registered under
        Role.SYSTEM: None,
    }


@pytest.mark.parametrize(
    ("actor_path", "target_path", "inside"),
    [
        ("320922", "320922", True),
        ("320922", "320922/320922100", True),
        ("320922", "320922/320922100/320922100001", True),
        ("320922/320922100", "320922/320922100/320922100001", True),
        ("320922/320922100", "320922/320922101/320922101001", False),  # sibling township
        ("320922/320922100/320922100001", "320922/320922100/320922100002", False),  # neighbour
        ("320922/320922100/320922100001", "320922/320922100", False),  # the parent
        ("320922/3209221", "320922/32092210/x", False),  # text prefix, not a path prefix
        ("320922/32092210", "320922/320922100", False),
        ("320923", "320922/320922100", False),  # another county
        ("", "320922", False),
    ],
)
def test_within_is_true_only_inside_subtree(
    actor_path: str, target_path: str, inside: bool
) -> None:
    assert within(actor_path, target_path) is inside


def test_actor_parse_builds_actor_when_role_known() -> None:
    assert Actor.parse("township", "320922100", "staff-7") == Actor(T, "320922100", "staff-7")


def test_actor_parse_raises_invalid_input_when_role_unknown() -> None:
    with pytest.raises(InvalidInput, match="unknown role 'mayor'"):
        Actor.parse("mayor", "320922")


@pytest.mark.parametrize(
    ("actor", "document"),
    [
        (Actor(V, "320922100001"), {"role": "village", "org": "320922100001"}),
        (Actor(C, "320922", "staff-7"), {"role": "county", "org": "320922", "user": "staff-7"}),
        (Actor(C, "320922", ""), {"role": "county", "org": "320922"}),
    ],
)
def test_event_actor_holds_role_org_and_user_when_given(
    actor: Actor, document: dict[str, str]
) -> None:
    assert actor.as_event_actor() == document
