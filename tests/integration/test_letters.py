"""Letters as PDF (docs/letters.md): each kind rendered and read back with pypdf, reprints
byte for byte, the check code valid and invalid, permissions and bad input."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import replace

import pytest
from helpers import Org, case_in, fire
from pypdf import PdfReader, PdfWriter

from jiuzhu import CaseService, FakeClock
from jiuzhu.clock import iso_utc
from jiuzhu.errors import InvalidInput, NotFound, PermissionDenied, StorageError
from jiuzhu.letters.code import check_code, grouped
from jiuzhu.letters.content import Names, build
from jiuzhu.letters.render import pdf_bytes
from jiuzhu.scheduler.sweep import sweep


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Letters read what every dialect stores alike: SQLite only (rendering costs ~1 s)."""
    return sqlite_url


def text_of(data: bytes) -> str:
    """The PDF's text without blanks (pypdf spaces CJK glyphs apart)."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"[\s\x00]", "", "".join(page.extract_text() or "" for page in reader.pages))


def retagged(data: bytes, **facts: object) -> bytes:
    """The PDF with its embedded facts changed (a forger's edit), the code recomputed."""
    reader = PdfReader(io.BytesIO(data))
    claimed = json.loads(str(reader.metadata["/Subject"]))
    claimed.update(facts)
    writer = PdfWriter(clone_from=reader)
    code = grouped(check_code(claimed))
    case_no = claimed["case_no"]
    writer.add_metadata({"/Subject": json.dumps(claimed),
                         "/Keywords": f"jiuzhu:letter:{case_no}:{claimed['seq']}:{code}"})  # fmt: skip
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_approval_letter_says_who_what_how_much_and_until_when(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    letter = svc.letter(org.township, case.case_no, "approval")
    text = text_of(letter.data)
    assert "先行救助审批决定书" in text
    assert case.case_no in text and "东坎街道" in text  # the township that approved
    assert "2000.00元" in text and "2024年3月" in text  # the amount in yuan, from March
    assert "2024年4月15日" in text  # the data check's deadline, one month on
    assert "弄虚作假" in text and "信用记录" in text  # the commitment's consequences
    assert f"checkcode：{letter.code}" in text
    assert letter.kind == "approval" and letter.seq == case.last_seq
    assert letter.filename == f"{case.case_no}-approval-{case.last_seq}.pdf"
    meta = PdfReader(io.BytesIO(letter.data)).metadata
    assert meta["/Keywords"] == f"jiuzhu:letter:{case.case_no}:{letter.seq}:{letter.code}"
    facts = json.loads(str(meta["/Subject"]))
    assert facts["monthly_fen"] == 200000 and facts["event_hash"] == case.head_hash
    assert re.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}", letter.code)


def test_refusal_gives_the_reasons_and_the_route_of_appeal(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    case = svc.refuse(org.township, case.id, reason="家庭存款超过规定标准")
    text = text_of(svc.letter(org.township, case.id, "refusal").data)
    assert "不予批准告知书" in text and "家庭存款超过规定标准" in text
    assert "六十日内" in text and "行政复议" in text and "六个月内" in text and "行政诉讼" in text
    assert "滨海县人民政府" in text


def test_a_failed_appraisal_is_refused_with_its_votes(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "rejected")
    text = text_of(svc.letter(org.village, case.id, "refusal").data)
    assert "民主评议未通过" in text and "反对14票" in text


def test_recovery_notice_itemises_each_month_paid(svc: CaseService, org: Org,
                                                 clock: FakeClock) -> None:  # fmt: skip
    case = case_in(svc, org, "provisionally_approved")
    sweep(svc, worker="payroll")  # March, paid on the day of approval (the 15th)
    clock.advance(dt.timedelta(days=31))
    sweep(svc, worker="payroll")  # April
    case = fire(svc, org, case, "revoke")
    svc.record_repayment(org.township, case.id, amount="500")  # later: not on the notice
    letter = svc.letter(org.county, case.case_no, "recovery")
    text = text_of(letter.data)
    assert "撤销及追回通知书" in text and "隐瞒存款20万元" in text
    assert "2024年3月" in text and "2024年4月" in text
    assert text.count("2000.00元") >= 2 and "4000.00元" in text  # two months, the total
    assert "已退还alreadyrepaid0.00元" in text and "尚欠outstanding4000.00元" in text
    assert "东坎街道" in text and "2024年5月15日前" in text  # the township's, within 30 days
    assert letter.seq == case.last_seq  # the revocation (the repayment came after)


def test_commitment_is_prefilled_for_signature(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "applied")
    text = text_of(svc.letter(org.village, case.id, "commitment").data)
    assert "诚信承诺书" in text and "90000.00元" in text and "重大疾病" in text
    assert "承诺人（签名）" in text and "日期date" in text and "团结社区" in text
    assert "一倍以上三倍以下的罚款" in text


def test_a_letter_reprints_byte_for_byte_after_later_events(svc: CaseService, org: Org,
                                                           clock: FakeClock) -> None:  # fmt: skip
    case = case_in(svc, org, "provisionally_approved")
    first = svc.letter(org.township, case.id, "approval")
    clock.advance(dt.timedelta(days=20))
    sweep(svc, worker="payroll")
    fire(svc, org, case, "verify")
    again = svc.letter(org.county, case.case_no, "approval", seq=first.seq)
    assert again.data == first.data and again.code == first.code
    assert svc.letter(org.township, case.id, "approval").data == first.data  # still the latest


def test_check_finds_the_letter_by_its_code_or_its_pdf(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    letter = svc.letter(org.township, case.id, "approval")
    by_code = svc.check_letter(org.auditor, code=letter.code.upper(), case_ref=case.case_no)
    assert by_code.valid and by_code.kind == "approval" and by_code.seq == letter.seq
    assert by_code.date == "2024-03-15" and by_code.event == "approve"
    assert "有效" in by_code.message_zh and "valid" in by_code.message
    by_pdf = svc.check_letter(org.county, pdf=letter.data)
    assert by_pdf.valid and by_pdf.case_id == case.id


def test_check_says_which_fact_was_tampered(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    letter = svc.letter(org.township, case.id, "approval")
    forged = retagged(letter.data, monthly_fen=300000)
    result = svc.check_letter(org.auditor, pdf=forged)
    assert not result.valid and result.kind == "approval"
    assert result.differences == [{"fact": "monthly_fen", "letter": 300000, "case": 200000}]
    assert "monthly_fen" in result.message and "不符：月救助金额" in result.message_zh
    other = svc.check_letter(org.auditor, code=check_code({"forged": 1}), case_ref=case.id)
    assert not other.valid and other.seq is None and "没有校验码" in other.message_zh


def test_check_of_a_letter_at_an_event_without_one(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    letter = svc.letter(org.township, case.id, "approval")
    result = svc.check_letter(org.auditor, pdf=retagged(letter.data, seq=2))
    assert not result.valid and "no letter at event" in result.message


def test_who_may_print_and_check(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    for actor in (org.auditor, org.centre):
        with pytest.raises(PermissionDenied):
            svc.letter(actor, case.id, "approval")
    with pytest.raises(PermissionDenied):  # another township's case
        svc.letter(org.other_township, case.id, "approval")
    letter = svc.letter(org.village, case.id, "approval")
    assert svc.check_letter(org.centre, code=letter.code, case_ref=case.id).valid
    with pytest.raises(PermissionDenied):
        svc.check_letter(org.far_village, code=letter.code, case_ref=case.id)


def test_printing_is_logged_as_a_read_of_personal_data(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    svc.letter(org.township, case.id, "approval")
    reads = svc.personal_data_reads(org.county)
    assert [(r.purpose, r.person_id, r.actor_org) for r in reads] == [
        ("letter", case.facts["applicant_id"], org.township.org)
    ]


def test_bad_requests_are_refused_clearly(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "verified")
    with pytest.raises(InvalidInput, match="letter kind 'notice' is unknown") as unknown:
        svc.letter(org.township, case.id, "notice")
    assert "approval, refusal, recovery, commitment" in str(unknown.value)
    with pytest.raises(InvalidInput, match="no event for a recovery letter") as none:
        svc.letter(org.township, case.id, "recovery")
    assert (
        none.value.details["kinds"] == ["commitment", "approval"] and "诚信承诺书" in none.value.zh
    )
    with pytest.raises(InvalidInput, match="malformed"):
        svc.letter(org.township, "not-a-case", "approval")
    with pytest.raises(NotFound, match="no approval letter at event 2"):
        svc.letter(org.township, case.id, "approval", seq=2)
    with pytest.raises(InvalidInput, match="check code 'xyz' is malformed"):
        svc.check_letter(org.auditor, code="xyz", case_ref=case.id)
    with pytest.raises(InvalidInput, match="not a readable jiuzhu letter"):
        svc.check_letter(org.auditor, pdf=b"hello")
    with pytest.raises(InvalidInput, match="give the letter's PDF"):
        svc.check_letter(org.auditor, code="3fa2-91c0-77de-0a1b")


def test_a_missing_font_names_the_package_and_the_variable(svc: CaseService, org: Org,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path) -> None:  # fmt: skip
    case = case_in(svc, org, "provisionally_approved")
    monkeypatch.setenv("JIUZHU_FONT_FILE", str(tmp_path / "none.ttf"))
    with pytest.raises(StorageError) as missing:
        svc.letter(org.township, case.id, "approval")
    assert "fonts-noto-cjk" in str(missing.value) and "JIUZHU_FONT_FILE" in str(missing.value)
    assert "fonts-noto-cjk" in missing.value.zh
    assert svc.personal_data_reads(org.county) == []  # nothing was shown


def test_check_finds_an_amount_edited_in_the_printed_text(svc: CaseService, org: Org) -> None:
    """A forger who leaves the embedded facts and the code alone but prints another amount."""
    case = case_in(svc, org, "provisionally_approved")
    events = [{"case_id": e.case_id, "seq": e.seq, "type": e.type, "payload": e.payload,
               "actor": e.actor, "occurred_at": iso_utc(e.occurred_at), "prev_hash": e.prev_hash,
               "hash": e.hash} for e in svc.history(org.county, case.id)]  # fmt: skip
    honest = build("approval", events, Names({}, {}))
    rows = tuple((k, "3000.00 元" if k.startswith("月救助金额") else v) for k, v in honest.rows)
    forged = pdf_bytes(replace(honest, rows=rows))
    result = svc.check_letter(org.auditor, pdf=forged)
    assert not result.valid
    assert result.differences == [{"fact": "monthly_fen", "letter": "not printed",
                                   "case": 200000}]  # fmt: skip
    assert svc.check_letter(org.auditor, pdf=pdf_bytes(honest)).valid
