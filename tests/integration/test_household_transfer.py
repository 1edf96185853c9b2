"""Moving house (迁居) through the service, on SQLite and PostgreSQL: the county moves a
household to another village; its open cases pass to the new unit with a ``transfer`` event
naming both unit ids, the new unit's actors act on them from then on and the old unit's no
longer; an ended case, the earlier events and ledger lines stay; refusals write nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers import Org, case_in, db_snapshot, fire, make_household

from jiuzhu import CaseService, FakeClock, InvalidInput, NotFound, PermissionDenied
from jiuzhu.audit.verify import verify_database
from jiuzhu.models import rows as store
from jiuzhu.scheduler.sweep import sweep


def events_of(svc: CaseService, case_id: str) -> list[dict[str, object]]:
    with svc.engine.connect() as conn:
        return store.event_dicts(conn.execute(store.SELECT_EVENTS, {"case_id": case_id}).all())


def test_open_cases_move_with_the_household_and_history_stays(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    home = make_household(svc, org.village, 2)
    paying = case_in(svc, org, "provisionally_approved", household=home)
    ended = case_in(svc, org, "withdrawn", household=home, applicant_id=home.member_ids[1])
    clock.set(datetime(2024, 3, 20, 2, tzinfo=UTC))
    sweep(svc, worker="test", now=clock.now())  # March paid under the old village
    far = org.far_village  # another township of the county
    moved = svc.transfer_household(org.county, home.id, to_village=far.org, reason="迁居至八滩村")
    assert moved == {"household_id": home.id, "from_village_id": org.village.org,
                     "to_village_id": far.org, "cases": [paying.id]}  # fmt: skip
    [event] = [e for e in events_of(svc, paying.id) if e["type"] == "transfer"]
    payload = event["payload"]
    assert (payload["from_village_id"], payload["to_village_id"]) == (org.village.org, far.org)
    assert payload["to_org_path"].endswith(f"/{org.other_township.org}/{far.org}")
    assert "陈必华" not in str(event)  # ids only
    assert svc.get_household(org.county, home.id).village_id == far.org
    case = svc.get_case(far, paying.id)
    assert case.village_id == far.org and "transfer" not in case.allowed
    assert svc.get_case(org.county, ended.id).village_id == org.village.org  # ended: stays
    with pytest.raises(PermissionDenied):
        svc.get_case(org.village, paying.id)  # the old village no longer reaches it
    with pytest.raises(PermissionDenied):
        fire(svc, org, case, "verify", actor=org.township)  # nor the old township
    verified = fire(svc, org, case, "verify")  # the county still decides it
    assert verified.state == "verified"
    clock.set(datetime(2024, 4, 20, 2, tzinfo=UTC))
    sweep(svc, worker="test", now=clock.now())
    with svc.engine.connect() as conn:
        lines = conn.execute(store.ledger.select().where(store.ledger.c.case_id == paying.id)
                             .order_by(store.ledger.c.seq)).all()  # fmt: skip
    assert [(e.period, e.org_path.rsplit("/", 1)[1]) for e in lines] == [
        ("2024-03", org.village.org), ("2024-04", far.org)]  # fmt: skip
    svc.open_review(org.other_township, paying.id, reason="迁居后复核")  # the new township acts
    chain = svc.household_chain(far, home.id).items
    assert {i["case_id"] for i in chain} == {paying.id, ended.id}  # the whole history
    [move] = [i for i in chain if i["what"] == "transfer"]
    assert (move["case_id"], move["from_village_id"], move["to_village_id"]) == (
        paying.id, org.village.org, far.org)  # fmt: skip
    assert (move["from_unit_name"], move["unit_name"]) == ("团结社区", "八滩村")
    assert verify_database(svc.engine).ok  # replay agrees with the moved case rows


def test_refusals_write_nothing(svc: CaseService, org: Org) -> None:
    home = make_household(svc, org.village, 1)
    case_in(svc, org, "reviewed", household=home)
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied):
        svc.transfer_household(org.township, home.id, to_village=org.neighbour_village.org,
                               reason="迁居")  # fmt: skip
    with pytest.raises(InvalidInput, match="already lives"):
        svc.transfer_household(org.county, home.id, to_village=org.village.org, reason="迁居")
    with pytest.raises(InvalidInput, match="a household lives in a village") as township:
        svc.transfer_household(org.county, home.id, to_village=org.township.org, reason="迁居")
    assert "村（社区）" in township.value.zh
    with pytest.raises(InvalidInput, match="reason"):
        svc.transfer_household(org.county, home.id, to_village=org.far_village.org, reason=" ")
    with pytest.raises(NotFound):
        svc.transfer_household(org.county, home.id, to_village="320922199999", reason="迁居")
    assert db_snapshot(svc) == before
