"""A letter's content and check code, from a case's events alone (pure: no PDF, no database).

The events are made by the real commands on the in-memory service of ``test_service_fake``.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import Org, case_in, fire, make_county
from test_service_fake import START, MemoryService

from jiuzhu import FakeClock, InvalidInput, NotFound
from jiuzhu.audit.canonical import canonical_json
from jiuzhu.clock import iso_utc
from jiuzhu.letters.code import check_code, grouped, parse_code, qr_text
from jiuzhu.letters.content import APPEAL, Names, build
from jiuzhu.letters.facts import kinds_of, letter_facts, pick


@pytest.fixture
def svc() -> MemoryService:
    return MemoryService(FakeClock(START))


@pytest.fixture
def org(svc: MemoryService) -> Org:
    return make_county(svc)


def events_of(svc: MemoryService, org: Org, case_id: str) -> list[dict[str, Any]]:
    return [{"case_id": e.case_id, "seq": e.seq, "type": e.type, "payload": e.payload,
             "actor": e.actor, "occurred_at": iso_utc(e.occurred_at), "prev_hash": e.prev_hash,
             "hash": e.hash} for e in svc.history(org.county, case_id)]  # fmt: skip


NAMES = Names(people={}, units={"320922": "滨海县", "320922100": "东坎街道",
                                "320922100001": "团结社区"})  # fmt: skip


def names_for(events: list[dict[str, Any]]) -> Names:
    applicant = events[0]["payload"]["applicant_id"]
    return Names({applicant: ("陈必华", "head")}, NAMES.units)


def test_approval_says_the_amount_the_month_and_the_deadline(svc: MemoryService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    events = events_of(svc, org, case.id)
    letter = build("approval", events, names_for(events))
    assert letter.title == "先行救助审批决定书" and letter.unit_name == "东坎街道"
    assert letter.addressee == "陈必华（户主）：" and letter.seq == events[-1]["seq"]
    table = dict(letter.rows)
    assert table["月救助金额 monthly amount"] == "2000.00 元"
    assert table["起始月份 from month"] == "2024年3月"
    assert table["家庭经济状况核对截止日期 verification deadline"] == "2024年4月15日"
    assert "90000.00 元" in letter.paragraphs[0] and "弄虚作假" in letter.after[-1]
    assert letter.day.isoformat() == "2024-03-15"
    assert letter.person_ids == (case.facts["applicant_id"],)


def test_facts_bind_the_chain_and_hold_no_personal_data(svc: MemoryService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    events = events_of(svc, org, case.id)
    letter = build("approval", events, names_for(events))
    facts = letter.facts
    assert facts["event_hash"] == events[-1]["hash"] and facts["case_no"] == case.case_no
    assert facts["monthly_fen"] == 200000 and facts["verification_due"] == "2024-04-15"
    text = canonical_json(facts)
    assert "陈必华" not in text and case.facts["applicant_id"] not in text
    assert letter.code == check_code(facts) and len(letter.code) == 16
    assert letter.qr == f"jiuzhu:letter:{case.case_no}:{letter.seq}:{grouped(letter.code)}"
    assert check_code({**facts, "monthly_fen": 200001}) != letter.code  # an amount changed


def test_code_is_typed_any_way_and_refused_when_malformed() -> None:
    assert grouped("3fa291c077de0a1b") == "3fa2-91c0-77de-0a1b"
    assert parse_code(" 3FA2-91C0-77DE-0A1B ") == parse_code("3fa291c077de0a1b")
    assert qr_text("320922-2024-000001", 5, "3fa291c077de0a1b").endswith(":5:3fa2-91c0-77de-0a1b")
    for bad in ("3fa2", "3fa2-91c0-77de-0a1g", None, 12):
        with pytest.raises(InvalidInput, match="16 hex digits") as refused:
            parse_code(bad)
        assert "校验码" in refused.value.zh


def test_refusal_carries_the_reasons_and_the_route_of_appeal(svc: MemoryService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    svc.refuse(org.township, case.id, reason="家庭存款超过规定标准")
    events = events_of(svc, org, case.id)
    letter = build("refusal", events, names_for(events))
    assert letter.title == "不予批准告知书" and "家庭存款超过规定标准" in letter.paragraphs[1]
    assert letter.after[0] == APPEAL.format(county="滨海县")
    assert "六十日" in APPEAL and "行政复议" in APPEAL and "六个月" in APPEAL


def test_a_letter_of_an_earlier_event_ignores_what_came_after(svc: MemoryService,
                                                             org: Org) -> None:  # fmt: skip
    case = case_in(svc, org, "provisionally_approved")
    before = events_of(svc, org, case.id)
    fire(svc, org, case, "terminate")
    after = events_of(svc, org, case.id)
    seq = before[-1]["seq"]
    assert letter_facts("approval", after, seq) == letter_facts("approval", before, seq)
    assert build("approval", after, names_for(after), seq) == build("approval", before,
                                                                    names_for(before))  # fmt: skip


def test_pick_names_the_kinds_a_case_has(svc: MemoryService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    events = events_of(svc, org, case.id)
    assert kinds_of(events) == ["commitment", "approval"]
    assert pick(events, "commitment")["type"] == "apply"
    with pytest.raises(InvalidInput, match="letter kind 'notice' is unknown"):
        pick(events, "notice")
    with pytest.raises(InvalidInput, match="the letters this case has: commitment, approval"):
        pick(events, "recovery")
    with pytest.raises(NotFound, match="its approval events: 4"):
        pick(events, "approval", seq=3)


def test_commitment_is_addressed_to_the_township_with_lines_to_sign(svc: MemoryService,
                                                                   org: Org) -> None:  # fmt: skip
    case = case_in(svc, org, "applied")
    events = events_of(svc, org, case.id)
    letter = build("commitment", events, names_for(events))
    assert letter.addressee == "致东坎街道：" and letter.unit_name == "团结社区"
    assert dict(letter.rows)["申报支出 declared expense"] == "90000.00 元"
    assert letter.signature and "签名" in letter.signature[0]
    assert letter.facts["expenditure_fen"] == 9000000 and letter.facts["cause"] == "major_illness"


@pytest.mark.parametrize("name", ["facts", "content", "code"])
def test_the_letters_content_is_pure(name: str) -> None:
    """No PDF, database or clock in what a letter says: only rendering touches fpdf2."""
    from test_layering import FORBIDDEN, SRC, _imports, clock_reads

    path = SRC / "letters" / f"{name}.py"
    for imported in _imports(path):
        assert not imported.lstrip(".").startswith((*FORBIDDEN, "fpdf", "segno", "pypdf")), imported
        assert not imported.startswith(("..models", "..service", "..cli", "..api")), imported
    assert clock_reads(path.read_text(encoding="utf-8")) == []
