"""Binhai county (滨海县): its units, the demo's database, and its synthetic people.

People are synthetic (居民00001 …) with valid, generated ID numbers; they stay in the person
registry and never reach events.  The seed's own names appear only in its stories.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..idnumber import check_character
from ..service.actors import Actor, Role

if TYPE_CHECKING:
    from ..service.service import CaseService

DEFAULT_DB = "jiuzhu-demo.db"

AREA = "320922"  # Binhai county's division code, also the area part of generated ID numbers

COUNTY = ("320922", "滨海县")
TOWNSHIPS = (
    ("320922100", "东坎街道", ("团结社区", "和平社区", "振东社区", "向阳社区", "中市社区",
                               "新坎社区")),
    ("320922101", "坎北街道", ("坎北社区", "北园社区", "永宁社区", "通榆社区", "华兴社区",
                               "东湖社区")),
    ("320922102", "八巨镇", tuple(f"八巨{n}村" for n in "一二三四五六")),
    ("320922103", "五汛镇", tuple(f"五汛{n}村" for n in "一二三四五六")),
    ("320922104", "滨淮镇", tuple(f"滨淮{n}村" for n in "一二三四五六")),
)  # fmt: skip
TUANJIE = "320922100001"  # 团结社区, Chen Bihua's community


# -- the database ------------------------------------------------------------------------------
def prepare_database(db: str | None, *, fresh: bool) -> tuple[str, str | None]:
    """The URL to run on, and a notice if an old demo file was deleted first.

    The default file (``jiuzhu-demo.db``) is recreated on every run, so the README's command
    can be repeated; any other existing file is replaced only with ``--fresh``, and only if it
    is an SQLite database.
    """
    from sqlalchemy.engine import make_url

    from ..models.db import resolve_url

    url = resolve_url(db or DEFAULT_DB)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return url, None
    path = Path(parsed.database)
    if not path.exists():
        return url, None
    if not (fresh or path.name == DEFAULT_DB):
        raise InvalidInput(
            f"{path} already exists and the demo needs a new database; add --fresh to delete "
            "and recreate it, or choose another --db",
            f"{path} 已存在，演示需要新的数据库；加 --fresh 删除后重建，或换一个 --db",
        )
    if not is_sqlite_file(path):
        raise InvalidInput(f"{path} is not an SQLite database; it was not deleted",
                           f"{path} 不是 SQLite 数据库，未删除")  # fmt: skip
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return url, f"已删除旧的演示数据库 removed the previous demo database {path}; starting fresh"


def is_sqlite_file(path: Path) -> bool:
    with path.open("rb") as handle:
        header = handle.read(16)
    return header in (b"", b"SQLite format 3\x00")


# -- the organisation --------------------------------------------------------------------------
@dataclass
class Units:
    county: Actor
    centre: Actor
    townships: dict[str, Actor] = field(default_factory=dict)  # township id -> actor
    villages: dict[str, Actor] = field(default_factory=dict)  # village id -> actor
    township_of: dict[str, str] = field(default_factory=dict)  # village id -> township id


def set_up_county(svc: CaseService) -> Units:
    admin = Actor(Role.ADMIN, "", "demo")
    try:
        svc.add_org_unit(admin, id=COUNTY[0], name=COUNTY[1], level="county")
    except InvalidInput:
        raise InvalidInput(
            f"this database already holds the demo's county {COUNTY[0]}; use a new database",
            f"该数据库已有演示县 {COUNTY[0]}，请使用新的数据库",
        ) from None
    units = Units(Actor(Role.COUNTY, COUNTY[0], "demo"),
                  Actor(Role.VERIFICATION_CENTRE, COUNTY[0], "demo"))  # fmt: skip
    for township_id, name, villages in TOWNSHIPS:
        svc.add_org_unit(units.county, id=township_id, name=name, level="township",
                         parent_id=COUNTY[0])  # fmt: skip
        units.townships[township_id] = Actor(Role.TOWNSHIP, township_id, "demo")
        for n, village in enumerate(villages, 1):
            village_id = f"{township_id}{n:03d}"
            svc.add_org_unit(units.county, id=village_id, name=village, level="village",
                             parent_id=township_id)  # fmt: skip
            units.villages[village_id] = Actor(Role.VILLAGE, village_id, "demo")
            units.township_of[village_id] = township_id
    return units


# -- synthetic people --------------------------------------------------------------------------
class People:
    """Synthetic household members: names 居民00001…, valid unique ID numbers."""

    def __init__(self) -> None:
        self.count = 0
        self.numbers: set[str] = set()

    def person(self, rng: Random, *, age: int, female: bool, relation: str,
               today: date, name: str | None = None) -> dict[str, str]:  # fmt: skip
        born = years_before(today, age) - timedelta(days=rng.randrange(1, 365))  # aged `age`
        while True:
            sequence = rng.randrange(500) * 2 + (0 if female else 1)  # odd: male, even: female
            body = f"{AREA}{born:%Y%m%d}{sequence:03d}"
            number = body + check_character(body)
            if number not in self.numbers:
                break
        self.numbers.add(number)
        self.count += 1
        return {"name": name or f"居民{self.count:05d}", "id_number": number, "relation": relation}

    def household(self, rng: Random, today: date) -> list[dict[str, str]]:
        size = rng.choices((1, 2, 3, 4, 5), weights=(20, 30, 25, 18, 7))[0]
        head_age, female = rng.randint(28, 82), rng.random() < 0.4
        members = [self.person(rng, age=head_age, female=female, relation="head", today=today)]
        if size >= 2:
            spouse_age = max(20, head_age + rng.randint(-5, 5))
            members.append(self.person(rng, age=spouse_age, female=not female, relation="spouse",
                                       today=today))  # fmt: skip
        for _ in range(size - len(members)):
            grand = head_age >= 58 and rng.random() < 0.5
            age = rng.randint(1, 17) if grand else rng.randint(0, max(0, head_age - 22))
            members.append(
                self.person(
                    rng,
                    age=age,
                    female=rng.random() < 0.5,
                    relation="grandchild" if grand else "child",
                    today=today,
                )
            )
        return members


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# -- people who sign in to the web front -------------------------------------------------------
# (user name, role, unit, shown name): one of each role, around Chen Bihua's community
DEMO_USERS = (
    ("tuanjie", Role.VILLAGE, TUANJIE, "团结社区 王芳"),
    ("dongkan", Role.TOWNSHIP, "320922100", "东坎街道 李明"),
    ("binhai", Role.COUNTY, COUNTY[0], "滨海县民政局 赵强"),
    ("hedui", Role.VERIFICATION_CENTRE, COUNTY[0], "滨海县核对中心 孙丽"),
    ("shenji", Role.AUDITOR, COUNTY[0], "滨海县审计 周敏"),
)


def create_users(svc: CaseService) -> list[tuple[str, str, str, str]]:
    """One user per role with a made-up password: (user name, password, role, shown name)."""
    admin = Actor(Role.ADMIN, "", "demo")
    made = []
    for username, role, unit, name in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        svc.create_user(admin, username=username, password=password, role=role.value,
                        org=unit, display_name=name)  # fmt: skip
        made.append((username, password, role.value, name))
    return made
