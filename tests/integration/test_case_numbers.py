"""Case numbers on SQLite and PostgreSQL: given in the opening transaction, serial per county
and Shanghai year without gaps, unique, carried by the opening event, found by ``find_case``,
exported, and given to existing cases by the migration in order of opening."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import Org, case_in, make_county, make_household
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from jiuzhu import CaseService, ConcurrencyConflict, FakeClock, GuardRejected
from jiuzhu.audit.export import export
from jiuzhu.errors import InvalidInput, NotFound, PermissionDenied
from jiuzhu.models import rows as store

BINHAI_LINE = ("3209", "2024-01-01", "800")  # Yancheng's dibao line: configured, not sourced
TIMEOUT = 60


def serial(case_no: str) -> int:
    return int(case_no.rsplit("-", 1)[1])


def opening_payload(svc: CaseService, case_id: str) -> dict[str, object]:
    with svc.engine.connect() as conn:
        found = conn.execute(
            select(store.events.c.payload).where(
                store.events.c.case_id == case_id, store.events.c.seq == 1
            )
        ).scalar_one()
    return dict(found)


def test_every_path_numbers_its_cases_serially_in_the_opening_event(
    svc: CaseService, org: Org
) -> None:
    svc.policy_book = svc.policy_book.with_dibao_line(*BINHAI_LINE)
    homes = [make_household(svc, org.village) for _ in range(3)]
    fast = svc.apply(org.village, household_id=homes[0].id, applicant_id=homes[0].member_ids[0],
                     programme="dibao", cause="accident", expenditure="50000")  # fmt: skip
    standard = svc.apply_standard(org.village, household_id=homes[1].id,
                                  applicant_id=homes[1].member_ids[0])  # fmt: skip
    temporary = svc.apply_temporary(org.township, household_id=homes[2].id,
                                    applicant_id=homes[2].member_ids[0])  # fmt: skip
    numbers = [fast.case_no, standard.case_no, temporary.case_no]
    assert numbers == ["320922-2024-000001", "320922-2024-000002", "320922-2024-000003"]
    for view in (fast, standard, temporary):
        assert opening_payload(svc, view.id)["case_no"] == view.case_no
        assert svc.get_case(org.county, view.id).case_no == view.case_no
        assert view.village_name == "团结社区"
    later = svc.promise(org.village, fast.id, signed_by=homes[0].member_ids[0])
    assert later.case_no == fast.case_no  # a later step keeps the number


def test_a_refused_opening_gives_no_number_away(svc: CaseService, org: Org) -> None:
    first = case_in(svc, org, "applied")
    home = make_household(svc, org.village)
    with pytest.raises(GuardRejected):
        svc.apply(org.village, household_id=home.id, applicant_id=home.member_ids[0],
                  programme="dibao", cause="accident", expenditure="29999.99")  # fmt: skip
    with pytest.raises(PermissionDenied):
        svc.apply(org.neighbour_village, household_id=home.id, applicant_id=home.member_ids[0],
                  programme="dibao", cause="accident", expenditure="50000")  # fmt: skip
    second = case_in(svc, org, "applied")
    assert serial(second.case_no) == serial(first.case_no) + 1


def test_serials_restart_per_county_and_per_shanghai_year(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    other = make_county(svc, "320923")
    assert case_in(svc, org, "applied").case_no == "320922-2024-000001"
    assert case_in(svc, other, "applied").case_no == "320923-2024-000001"
    assert case_in(svc, org, "applied").case_no == "320922-2024-000002"
    clock.set(datetime(2024, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 on 31 December in Shanghai
    assert case_in(svc, org, "applied").case_no == "320922-2024-000003"
    clock.set(datetime(2024, 12, 31, 16, 0, tzinfo=UTC))  # midnight: 2025 in Shanghai, not UTC
    assert case_in(svc, org, "applied").case_no == "320922-2025-000001"
    assert case_in(svc, other, "applied").case_no == "320923-2025-000001"


def test_the_database_refuses_a_second_case_with_the_same_number(
    svc: CaseService, org: Org
) -> None:
    first, second = case_in(svc, org, "applied"), case_in(svc, org, "applied")
    with pytest.raises(IntegrityError), svc.engine.begin() as conn:
        conn.execute(update(store.cases).where(store.cases.c.id == second.id)
                     .values(case_no=first.case_no))  # fmt: skip


def test_concurrent_openings_get_every_serial_once(db_url: str, svc: CaseService,
                                                   org: Org) -> None:  # fmt: skip
    """Eight threads, each on its own engine, open cases at once, four rounds: the numbers are
    1..32 with no gap and no duplicate.  On PostgreSQL the openings wait on the counter row
    instead of colliding (no conflict at all); SQLite queues writers (a caller told the
    database was busy would try again)."""
    threads, rounds = 8, 4
    homes = [make_household(svc, org.village) for _ in range(threads * rounds)]
    services = [jiuzhu_connect(db_url, svc.clock) for _ in range(threads)]
    got: list[str] = []
    errors: list[BaseException] = []
    conflicts = [0]
    lock = threading.Lock()
    try:
        for r in range(rounds):
            barrier = threading.Barrier(threads, timeout=TIMEOUT)

            def open_one(i: int, r: int = r, barrier: threading.Barrier = barrier) -> None:
                home = homes[r * threads + i]
                barrier.wait()
                for _ in range(50):
                    try:
                        view = services[i].apply(
                            org.village, household_id=home.id,
                            applicant_id=home.member_ids[0], programme="dibao",
                            cause="accident", expenditure="50000")  # fmt: skip
                    except ConcurrencyConflict:
                        with lock:
                            conflicts[0] += 1
                        continue
                    except BaseException as exc:  # noqa: BLE001 - reported below
                        with lock:
                            errors.append(exc)
                        return
                    with lock:
                        got.append(view.case_no)
                    return

            workers = [threading.Thread(target=open_one, args=(i,)) for i in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(TIMEOUT)
            assert not any(w.is_alive() for w in workers), "an opening hung"
    finally:
        for s in services:
            s.close()
    assert not errors, errors
    if db_url.startswith("postgresql"):
        assert conflicts[0] == 0
    assert sorted(serial(n) for n in got) == list(range(1, threads * rounds + 1))
    with svc.engine.connect() as conn:
        stored = conn.execute(select(store.cases.c.case_no)).scalars().all()
    assert sorted(stored) == sorted(got)


def jiuzhu_connect(url: str, clock: object) -> CaseService:
    import jiuzhu

    return jiuzhu.connect(url, clock=clock, upgrade=False)  # type: ignore[arg-type]


def test_find_case_takes_a_number_or_an_id_inside_the_jurisdiction(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "reviewed")
    assert svc.find_case(org.township, case.case_no).id == case.id
    assert svc.find_case(org.township, f"  {case.case_no} ").id == case.id
    assert svc.find_case(org.village, case.id.upper()).case_no == case.case_no
    with pytest.raises(PermissionDenied, match="outside the jurisdiction"):
        svc.find_case(org.neighbour_village, case.case_no)
    with pytest.raises(PermissionDenied):
        svc.find_case(org.other_township, case.id)
    with pytest.raises(NotFound) as missing:
        svc.find_case(org.county, "320922-2024-999999")
    assert "未找到案件" in missing.value.zh
    with pytest.raises(InvalidInput) as malformed:
        svc.find_case(org.county, "2024-000001")
    assert "格式不正确" in malformed.value.zh and "is malformed" in str(malformed.value)


def test_the_export_carries_case_numbers_and_no_personal_data(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    home = make_household(svc, org.village, size=2)
    case = svc.apply(org.village, household_id=home.id, applicant_id=home.member_ids[0],
                     programme="dibao", cause="accident", expenditure="50000")  # fmt: skip
    svc.search(org.village, name=svc.members(org.village, home.id)[0].name)  # logs reads
    export(svc.engine, tmp_path / "out", now=clock.now())
    cases = [json.loads(line) for line in (tmp_path / "out" / "cases.jsonl").read_text("utf-8")
             .splitlines()]  # fmt: skip
    assert [(c["case_id"], c["case_no"]) for c in cases] == [(case.id, case.case_no)]
    with svc.engine.connect() as conn:
        people = conn.execute(select(store.persons.c.name, store.persons.c.id_number)).all()
    everything = "".join(p.read_text("utf-8") for p in (tmp_path / "out").iterdir())
    for name, number in people:
        assert name not in everything and number not in everything


# -- the migration --------------------------------------------------------------------------


def test_the_migration_numbers_existing_cases_in_order_of_opening_and_indexes_persons(
    sqlite_url: str, clock: FakeClock
) -> None:
    """Cases opened in two counties and two years, then the schema taken back to 0008 (no
    numbers, no index) and up again: each case gets the number it was first given, in order
    of opening, and every person is found again by ID number under a new secret."""
    service = jiuzhu_connect(sqlite_url, clock)
    try:
        _numbered_then_migrated_again(service, make_county(service), clock)
    finally:
        service.close()


@pytest.mark.postgres
def test_the_migration_numbers_existing_cases_on_postgresql(
    postgres_database: str, clock: FakeClock
) -> None:
    import secrets

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    import jiuzhu

    admin_url = make_url(postgres_database).set(database="postgres")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"jiuzhu_test_migration_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_database).set(database=name).render_as_string(False)
        service = jiuzhu.connect(url, clock=clock)
        try:
            _numbered_then_migrated_again(service, make_county(service), clock)
        finally:
            service.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _numbered_then_migrated_again(svc: CaseService, org: Org, clock: FakeClock) -> None:
    from alembic import command

    from jiuzhu.migrations import config, current, head, upgrade

    other = make_county(svc, "320923")
    opened = []
    for when, county in ((datetime(2024, 3, 15, 2, tzinfo=UTC), org),
                         (datetime(2024, 6, 1, 2, tzinfo=UTC), other),
                         (datetime(2024, 12, 31, 15, tzinfo=UTC), org),
                         (datetime(2024, 12, 31, 17, tzinfo=UTC), org),  # 2025 in Shanghai
                         (datetime(2025, 2, 1, 2, tzinfo=UTC), other)):  # fmt: skip
        clock.set(when)
        opened.append(case_in(svc, county, "applied"))
    assert [c.case_no for c in opened] == [
        "320922-2024-000001", "320923-2024-000001", "320922-2024-000002",
        "320922-2025-000001", "320923-2025-000001"]  # fmt: skip
    numbers = {c.id: c.case_no for c in opened}
    command.downgrade(config(svc.engine), "0008")
    with svc.engine.connect() as conn:
        assert "case_no" not in {c["name"] for c in _columns(conn, "cases")}
    upgrade(svc.engine)
    assert current(svc.engine) == head()
    with svc.engine.connect() as conn:
        stored = dict(conn.execute(select(store.cases.c.id, store.cases.c.case_no)).all())
    assert stored == numbers
    # the counters go on from the numbers given
    clock.set(datetime(2025, 3, 1, 2, tzinfo=UTC))
    applicant = str(opened[0].facts["applicant_id"])
    assert case_in(svc, org, "applied").case_no == "320922-2025-000002"
    # every existing person is indexed again, under the migration's new secret
    with svc.engine.connect() as conn:
        number = conn.execute(select(store.persons.c.id_number)
                              .where(store.persons.c.id == applicant)).scalar_one()  # fmt: skip
    found = svc.search(org.village, id_number=number)
    assert [(h.case.id, h.person_id) for h in found] == [(opened[0].id, applicant)]


def _columns(conn: object, table: str) -> list[dict[str, object]]:
    from sqlalchemy import inspect

    return inspect(conn).get_columns(table)  # type: ignore[arg-type, return-value]
