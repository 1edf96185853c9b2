"""Letters over HTTP: the PDF download, the check, and the standard path's and temporary
assistance's approval letters (docs/letters.md, docs/http.md)."""

from __future__ import annotations

import io
import re

import pytest
from helpers import case_in
from http_support import Api, problem_of, standard_case_in, temporary_case_in
from pypdf import PdfReader
from test_http_matrix import BINHAI_LINE


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Letters read what every dialect stores alike: SQLite only (rendering costs ~1 s)."""
    return sqlite_url


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"[\s\x00]", "", "".join(page.extract_text() or "" for page in reader.pages))


def test_a_letter_downloads_as_a_pdf_and_checks_valid(api: Api) -> None:
    case = case_in(api.svc, api.org, "provisionally_approved")
    response = api.get(api.org.township, f"/cases/{case.case_no}/letters/approval")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    name = f"{case.case_no}-approval-{case.last_seq}.pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    code = response.headers["x-letter-code"]
    assert f"checkcode：{code}" in text_of(response.content)
    again = api.get(api.org.township, f"/cases/{case.id}/letters/approval?seq={case.last_seq}")
    assert again.content == response.content
    checked = api.post(api.org.auditor, "/letters/check", {"code": code, "case": case.case_no})
    assert checked.status_code == 200
    assert checked.json()["valid"] is True and checked.json()["kind"] == "approval"
    wrong = api.post(api.org.auditor, "/letters/check",
                     {"code": "0000-0000-0000-0000", "case": case.case_no})  # fmt: skip
    assert wrong.status_code == 200 and wrong.json()["valid"] is False


def test_letters_refuse_bad_requests_with_problems(api: Api) -> None:
    case = case_in(api.svc, api.org, "provisionally_approved")
    assert api.get(api.org.auditor, f"/cases/{case.id}/letters/approval").status_code == 403
    unknown = api.get(api.org.township, f"/cases/{case.id}/letters/notice")
    assert unknown.status_code == 422
    none = api.get(api.org.township, f"/cases/{case.id}/letters/recovery")
    assert none.status_code == 422 and "commitment" in problem_of(none)["detail"]
    assert api.get(api.org.township, "/cases/nonsense/letters/approval").status_code == 422
    bad = api.post(api.org.auditor, "/letters/check", {"code": "xyz", "case": case.id})
    assert bad.status_code == 422 and "校验码" in problem_of(bad)["message_zh"]
    extra = api.post(api.org.auditor, "/letters/check", {"code": "x", "case": "y", "z": 1})
    assert extra.status_code == 422


def test_standard_and_temporary_approvals_have_their_decisions(api: Api) -> None:
    api.svc.policy_book = api.svc.policy_book.with_dibao_line(*BINHAI_LINE)
    review = standard_case_in(api, "county_review")
    confirmed = api.svc.decide_standard(api.org.county, review.id, decision="confirm",
                                        monthly_amount="650", reason="困难情况属实")  # fmt: skip
    text = text_of(api.get(api.org.county, f"/cases/{confirmed.id}/letters/approval").content)
    assert "最低生活保障审核确认决定书" in text and confirmed.case_no in text
    monthly = confirmed.facts["monthly_amount_fen"]
    assert f"{monthly // 100}.{monthly % 100:02d}元" in text and "滨海县" in text
    granted = temporary_case_in(api, "approved")
    text = text_of(api.get(api.org.township, f"/cases/{granted.id}/letters/approval").content)
    total = granted.facts["grant"]["total_fen"]
    assert "临时救助审批决定书" in text and f"{total // 100}.{total % 100:02d}元" in text
    rejected = standard_case_in(api, "rejected")
    text = text_of(api.get(api.org.village, f"/cases/{rejected.id}/letters/refusal").content)
    assert "不予批准告知书" in text and "家庭存款超过规定" in text and "行政诉讼" in text
