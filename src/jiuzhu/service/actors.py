"""Who may do what, where (docs/domain.md §2).  The one authorisation matrix, for every caller.

An actor is a role at an organisation unit.  It may act only on cases inside its unit's
subtree (county ⊃ township ⊃ village), and only through the commands its role holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..errors import InvalidInput, PermissionDenied
from ..workflows.base import Label


class Role(StrEnum):
    VILLAGE = "village"  # 村/社区 committee worker
    TOWNSHIP = "township"  # 乡镇/街道 office
    COUNTY = "county"  # 县/区 civil-affairs bureau
    VERIFICATION_CENTRE = "verification_centre"  # 家庭经济状况核对中心 (county level)
    AUDITOR = "auditor"  # read-only
    ADMIN = "admin"  # sets up organisation units only
    PROVIDER = "provider"  # 服务机构: a third-party provider's staff, visits for its plans only
    SYSTEM = "system"  # the deadline worker; holds no command, acts only through deadlines


ROLE_LABELS = {
    Role.VILLAGE: Label("村（社区）", "village / community committee"),
    Role.TOWNSHIP: Label("乡镇（街道）", "township / street office"),
    Role.COUNTY: Label("县（区）民政局", "county civil-affairs bureau"),
    Role.VERIFICATION_CENTRE: Label("经济状况核对中心", "verification centre"),
    Role.AUDITOR: Label("审计监督", "auditor"),
    Role.ADMIN: Label("系统管理员", "administrator"),
    Role.PROVIDER: Label("服务机构", "service provider"),
    Role.SYSTEM: Label("系统定时任务", "deadline worker"),
}

# The organisation level each role sits at (None: any level, or none for ADMIN; a provider sits
# at the level of the unit it is registered under).
ROLE_LEVEL: dict[Role, str | None] = {
    Role.VILLAGE: "village",
    Role.TOWNSHIP: "township",
    Role.COUNTY: "county",
    Role.VERIFICATION_CENTRE: "county",
    Role.AUDITOR: None,
    Role.ADMIN: None,
    Role.PROVIDER: None,
    Role.SYSTEM: None,
}

READ = frozenset(Role) - {Role.ADMIN, Role.SYSTEM, Role.PROVIDER}
LOCAL = frozenset({Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY})  # 区—镇—村 three levels together
PERMISSIONS: dict[str, frozenset[Role]] = {
    "add_org_unit": frozenset({Role.ADMIN, Role.COUNTY}),
    "manage_users": frozenset({Role.ADMIN, Role.COUNTY}),  # people who sign in to the web front
    "import_calendar": frozenset({Role.ADMIN}),  # the State Council's notice holds nationwide
    "read_metrics": frozenset({Role.ADMIN, Role.COUNTY, Role.AUDITOR}),  # counts, no people
    "register_household": frozenset({Role.VILLAGE}),
    # moving house: the county moves a household between villages of its jurisdiction
    "transfer_household": frozenset({Role.COUNTY}),
    "apply": frozenset({Role.VILLAGE}),
    "promise": frozenset({Role.VILLAGE}),
    "record_appraisal": frozenset({Role.VILLAGE}),
    "approve": frozenset({Role.TOWNSHIP}),
    "refuse": frozenset({Role.TOWNSHIP}),
    "record_verification": frozenset({Role.COUNTY, Role.VERIFICATION_CENTRE}),
    "withdraw": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "manage_service_plans": LOCAL,
    # a provider records visits only for the plans assigned to it (service/plans.py) and reads
    # only those plans (service/providers.py)
    "record_visit": LOCAL | {Role.PROVIDER},
    # one-off projects (a repair): opened where the case is worked, completed by the village or
    # the provider they are assigned to
    "open_oneoff": LOCAL,
    "complete_oneoff": frozenset({Role.VILLAGE, Role.PROVIDER}),
    "register_provider": frozenset({Role.COUNTY, Role.TOWNSHIP}),
    "list_providers": frozenset({Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY, Role.AUDITOR}),
    "provider_plans": frozenset({Role.PROVIDER}),
    # projects (帮扶项目) group plans and one-offs: registered by a county or township, read by
    # every reader (the projects report too)
    "register_project": frozenset({Role.COUNTY, Role.TOWNSHIP}),
    "list_projects": READ,
    # money (docs/domain.md §7): the township settles bills and repayments, the county decides fines
    # and write-offs
    "record_medical_bill": frozenset({Role.TOWNSHIP, Role.COUNTY}),
    "record_repayment": frozenset({Role.TOWNSHIP, Role.COUNTY}),
    "impose_fine": frozenset({Role.COUNTY}),
    "write_off": frozenset({Role.COUNTY}),
    # the standard path (docs/domain.md §4) and temporary assistance (docs/domain.md §5)
    "apply_standard": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "accept_standard": frozenset({Role.TOWNSHIP}),
    "investigate": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "check_standard": frozenset({Role.COUNTY, Role.VERIFICATION_CENTRE}),
    "propose_standard": frozenset({Role.TOWNSHIP}),
    "record_objection": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "appraise_standard": frozenset({Role.VILLAGE}),
    "decide_standard": frozenset({Role.COUNTY}),
    "deliver_rejection_notice": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "apply_temporary": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "assess_temporary": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "decide_temporary": frozenset({Role.TOWNSHIP, Role.COUNTY}),
    "pay_temporary": frozenset({Role.TOWNSHIP, Role.COUNTY}),
    # a new citizen's dibao or tekun status at the hukou place (docs/domain.md §5)
    "record_out_of_area": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "reconfirm_out_of_area": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    # re-review (复核): the township opens, the village investigates, the township gives its
    # opinion, the county decides (A Art. 31 with the standard path's levels, Arts. 15-20)
    "open_review": frozenset({Role.TOWNSHIP}),
    "investigate_review": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "give_review_opinion": frozenset({Role.TOWNSHIP}),
    "decide_review": frozenset({Role.COUNTY}),
    # changes of circumstance on a paying case (docs/domain.md §4): recorded where the household
    # lives, a phase-out decided by the county; the rigid-expenditure status recorded and renewed
    "record_circumstance": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "decide_phase_out": frozenset({Role.COUNTY}),
    "record_rigid_expenditure": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "renew_rigid_expenditure": frozenset({Role.VILLAGE, Role.TOWNSHIP}),
    "read": READ,
    # letters on paper (docs/letters.md): printed where cases are worked, checked by any reader
    "print_letter": LOCAL,
    "check_letter": READ,
    # bringing an existing caseload in (docs/import.md): a county within its jurisdiction
    "import": frozenset({Role.ADMIN, Role.COUNTY}),
}


@dataclass(frozen=True)
class Actor:
    """A role at an organisation unit, with an optional staff id (never a personal ID number);
    a provider's staff also name their provider (``provider``, its id)."""

    role: Role
    org: str
    user: str | None = None
    provider: str | None = None

    @classmethod
    def parse(cls, role: str, org: str, user: str | None = None,
              provider: str | None = None) -> Actor:  # fmt: skip
        try:
            parsed = Role(role)
        except ValueError:
            raise InvalidInput(
                f"unknown role '{role}'; expected one of: {', '.join(r.value for r in Role)}",
                f"未知角色“{role}”；可用：{', '.join(r.value for r in Role)}",
            ) from None
        if (parsed is Role.PROVIDER) != bool(provider):
            raise InvalidInput(
                "the role provider, and only it, names its provider (--provider PROVIDER_ID)",
                "服务机构角色须且只有该角色须指定所属服务机构（--provider）",
            )
        return cls(parsed, org, user, provider or None)

    def as_event_actor(self) -> dict[str, str]:
        actor = {"role": self.role.value, "org": self.org}
        if self.user:
            actor["user"] = self.user
        return actor


def require_role(actor: Actor, command: str) -> None:
    allowed = PERMISSIONS[command]
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        zh = "、".join(ROLE_LABELS[r].zh for r in sorted(allowed))
        raise PermissionDenied(
            f"role '{actor.role.value}' may not {command.replace('_', ' ')}; allowed roles: {names}",
            f"“{ROLE_LABELS[actor.role].zh}”无权执行此操作；应由{zh}办理",
            command=command,
            role=actor.role.value,
        )


def within(actor_path: str, target_path: str) -> bool:
    """Is ``target_path`` inside the subtree rooted at ``actor_path``?"""
    return target_path == actor_path or target_path.startswith(actor_path + "/")
