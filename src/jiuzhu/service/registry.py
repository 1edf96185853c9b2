"""Organisation units (county ⊃ township ⊃ village) and the households registered in them."""

from __future__ import annotations

import uuid
from typing import Any

from ..clock import local_date
from ..errors import InvalidInput, NotFound, PermissionDenied
from . import inputs
from .actors import Actor, Role, require_role, within
from .base import CommandBase
from .personal_data import digest_secret, digests, read_rows
from .views import HouseholdView, OrgUnitView

LEVELS = ("county", "township", "village")
RELATIONS = {
    "head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母",
    "grandchild": "孙辈", "grandparent": "祖辈", "sibling": "兄弟姐妹", "other": "其他",
}  # fmt: skip


class Registry(CommandBase):
    """Adding organisation units; registering and reading households."""

    def add_org_unit(self, actor: Actor, *, id: str, name: str, level: str,
                     parent_id: str | None = None) -> OrgUnitView:  # fmt: skip
        require_role(actor, "add_org_unit")
        unit_id = inputs.org_id(id)
        inputs.choice(level, "level", dict.fromkeys(LEVELS))
        name = inputs.text(name, "name", required=True, max_length=100) or ""
        if level == "county":
            if parent_id is not None or actor.role is not Role.ADMIN:
                raise PermissionDenied(
                    "a county is a root unit: only an administrator adds one, without a parent",
                    "县（区）为顶级单位，只能由系统管理员添加，且不设上级",
                )
            path = unit_id
        else:
            parent_level, parent_path = self._org(inputs.org_id(parent_id))
            if LEVELS.index(parent_level) != LEVELS.index(level) - 1:
                raise InvalidInput(
                    f"a {level} belongs under a {LEVELS[LEVELS.index(level) - 1]}, "
                    f"but {parent_id} is a {parent_level}",
                    "上级单位层级不符",
                )
            self._require_jurisdiction(actor, parent_path, f"unit {parent_id}")
            path = f"{parent_path}/{unit_id}"
        with self.uow.write() as conn:
            if self.sql.org_unit(conn, unit_id) is not None:
                raise InvalidInput(
                    f"organisation unit {unit_id} already exists", "该单位编码已存在"
                )
            self.sql.insert_org_unit(conn, {"id": unit_id, "name": name, "level": level,
                         "parent_id": parent_id, "path": path, "created_at": self.clock.now()})  # fmt: skip
        return OrgUnitView(unit_id, name, level, parent_id, path)

    def register_household(self, actor: Actor, *, members: list[dict[str, str]]) -> HouseholdView:
        """A village registers a household and its members (names and ID numbers stay here)."""
        from ..idnumber import validate_id_number

        require_role(actor, "register_household")
        self._actor_path(actor)
        if not members:
            raise InvalidInput("a household needs at least one member", "家庭至少应有一名成员")
        today = local_date(self.clock.now())
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i, member in enumerate(members, 1):
            number = validate_id_number(str(member.get("id_number", "")), today=today)
            if number in seen:
                raise InvalidInput(
                    f"member {i}: the ID number appears twice", f"第 {i} 位成员身份证号重复"
                )
            seen.add(number)
            rows.append({
                "id": str(uuid.uuid4()), "id_number": number,
                "name": inputs.text(member.get("name"), f"member {i} name", required=True,
                                    max_length=100),
                "relation": inputs.choice(member.get("relation", "other"), "relation", RELATIONS),
            })  # fmt: skip
        household_id = str(uuid.uuid4())
        now = self.clock.now()
        with self.uow.write() as conn:
            taken = self.sql.person_registered(conn, sorted(seen))
            if taken is not None:
                self._already_registered(actor, taken.household_id, taken.village_id)
            self.sql.insert_household(
                conn, {"id": household_id, "village_id": actor.org, "created_at": now},
                [{**r, "household_id": household_id, "created_at": now} for r in rows])  # fmt: skip
            secret = digest_secret(self.sql, conn, now=now, create=True) or ""
            self.sql.index_persons(conn, digests(secret, rows))  # search by ID number
        return HouseholdView(household_id, actor.org, [r["id"] for r in rows])

    def _already_registered(self, actor: Actor, household_id: str, village_id: str) -> None:
        """Refuse a second registration; name the household only inside the jurisdiction."""
        _, path = self._org(village_id)
        if within(self._actor_path(actor), path):
            raise InvalidInput(
                f"a person with one of these ID numbers is already registered "
                f"(household {household_id})",
                f"该身份证号已登记（家庭 {household_id}）",
            )
        raise InvalidInput(
            "a person with one of these ID numbers is already registered in another "
            "jurisdiction; a household moving in is a transfer, which jiuzhu does not do yet: "
            "ask the county holding the record to transfer the household",
            "该身份证号已在其他辖区登记；迁入家庭需办理转移（系统暂不支持），"
            "请联系原登记地县（区）民政部门办理转移",
        )

    def get_household(self, actor: Actor, household_id: str) -> HouseholdView:
        from ..idnumber import mask_id_number

        require_role(actor, "read")
        household_id = inputs.record_id(household_id, "household id")
        with self.uow.read() as conn:
            home = self.sql.household(conn, household_id)
            if home is None:
                raise NotFound(f"household {household_id} not found", f"未找到家庭 {household_id}")
            self._require_jurisdiction(
                actor, self._org(home.village_id)[1], f"household {household_id}"
            )
            people = self.sql.persons(conn, household_id)
        show_names = actor.role is not Role.AUDITOR
        if show_names and people:  # names are personal data: the read is logged
            with self.uow.write() as conn:
                self.sql.log_personal_reads(
                    conn, read_rows(actor, [p.id for p in people], "household", self.clock.now())
                )
        members = [
            {"id": p.id, "relation": p.relation, "id_number": mask_id_number(p.id_number)}
            | ({"name": p.name} if show_names else {})
            for p in people
        ]
        return HouseholdView(home.id, home.village_id, [p.id for p in people], members)
