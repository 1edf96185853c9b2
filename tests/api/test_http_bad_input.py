"""Bad input over HTTP: oversized bodies, absurd amounts, broken encodings, malformed ids.

Every one gets a 4xx problem response -- never a 5xx -- and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import case_in, db_snapshot, make_household, new_members
from http_support import Api, problem_of

from jiuzhu.api.guard import DEFAULT_MAX_BODY
from jiuzhu.api.routes import ROUTES

POST_PATHS = sorted({r.path for r in ROUTES if r.method == "POST"})


def case_path(path: str, case_id: str) -> str:
    return path.replace("{case_id}", case_id)


def refused(api: Api, response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = problem_of(response)
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def target(api: Api) -> str:
    return case_in(api.svc, api.org, "reviewed").id


@pytest.mark.parametrize("path", POST_PATHS)
def test_post_endpoint_refuses_unreadable_bodies_and_changes_nothing(
    api: Api, target: str, path: str
) -> None:
    url = case_path(path, target)
    token = {"Authorization": f"Bearer {api.token(api.org.village)}"}
    json_type = {**token, "Content-Type": "application/json"}
    before = db_snapshot(api.svc)
    oversized = b'{"reason": "' + b"x" * (DEFAULT_MAX_BODY + 1) + b'"}'
    for body, headers, status, code in [
        (oversized, json_type, 413, "payload_too_large"),
        (b'{"reason": "\xff\xfe broken"}', json_type, 400, "bad_request"),  # not UTF-8
        ('{"reason": "原因"}'.encode("utf-16"), json_type, 400, "bad_request"),
        ('{"reason": "原因"}'.encode("gb18030"), json_type, 400, "bad_request"),
        (b'{"reason": ', json_type, 400, "bad_request"),  # truncated JSON
        (b"[" * 20000 + b"]" * 20000, json_type, 400, None),  # absurdly deep JSON
        (b"reason=x", {**token, "Content-Type": "application/x-www-form-urlencoded"}, 415,
         "unsupported_media_type"),
        (b'{"reason": "x"}', {**token, "Content-Type": "text/plain"}, 415, None),
        (b"[1, 2, 3]", json_type, 422, "invalid_input"),  # not an object
        (b'"text"', json_type, 422, "invalid_input"),
    ]:  # fmt: skip
        response = api.http.post(url, content=body, headers=headers)
        assert response.status_code == status, (body[:40], response.status_code, response.text)
        refused(api, response, status, code)
    assert db_snapshot(api.svc) == before


def test_a_body_streamed_without_a_length_is_cut_at_the_limit(api: Api) -> None:
    before = db_snapshot(api.svc)

    def chunks() -> Any:
        for _ in range(200):
            yield b"x" * 1024

    response = api.http.post("/households", content=chunks(), headers={
        "Authorization": f"Bearer {api.token(api.org.village)}",
        "Content-Type": "application/json"})  # fmt: skip
    refused(api, response, 413, "payload_too_large")
    assert db_snapshot(api.svc) == before


@pytest.mark.parametrize(
    "amount",
    ["1e99", "NaN", "Infinity", "-2000", "2000.001", "９９", "2,000,0", "", " ", "0x10",
     10**40, -1, "99999999999999999999999", 2.5, True, None, [], {}],
)  # fmt: skip
def test_absurd_amounts_are_refused_with_422(api: Api, target: str, amount: Any) -> None:
    before = db_snapshot(api.svc)
    response = api.post(api.org.township, f"/cases/{target}/approve", {"monthly_amount": amount})
    refused(api, response, 422, "invalid_input")
    home = make_household(api.svc, api.org.village)
    before = db_snapshot(api.svc)
    response = api.post(api.org.village, "/cases", {
        "household_id": home.id, "applicant_id": home.member_ids[0], "programme": "dibao",
        "cause": "accident", "expenditure": amount})  # fmt: skip
    refused(api, response, 422, "invalid_input")
    assert db_snapshot(api.svc) == before


def test_json_numbers_too_long_to_parse_are_refused(api: Api, target: str) -> None:
    before = db_snapshot(api.svc)
    body = b'{"monthly_amount": ' + b"9" * 5000 + b"}"
    response = api.http.post(f"/cases/{target}/approve", content=body, headers={
        "Authorization": f"Bearer {api.token(api.org.township)}",
        "Content-Type": "application/json"})  # fmt: skip
    assert 400 <= response.status_code < 500, response.text
    assert db_snapshot(api.svc) == before


@pytest.mark.parametrize(
    "text",
    ["nul \x00 inside", "\ud800 lone surrogate", "\udfff", "ok\x00"],
    ids=["nul", "high-surrogate", "low-surrogate", "trailing-nul"],
)
def test_text_no_database_can_hold_is_refused_with_422(api: Api, target: str, text: str) -> None:
    before = db_snapshot(api.svc)
    raw = json.dumps({"reason": text}).encode()  # \\u escapes: valid JSON, invalid text
    response = api.http.post(f"/cases/{target}/refuse", content=raw, headers={
        "Authorization": f"Bearer {api.token(api.org.township)}",
        "Content-Type": "application/json"})  # fmt: skip
    refused(api, response, 422, "invalid_input")
    if "\x00" in text:  # (a client cannot put a lone surrogate in a URL at all)
        listed = api.get(api.org.county, "/cases", params={"state": text, "programme": text})
        refused(api, listed, 422, "invalid_input")
    members = new_members(1)
    members[0]["name"] = text
    response = api.http.post("/households", content=json.dumps({"members": members}), headers={
        "Authorization": f"Bearer {api.token(api.org.village)}",
        "Content-Type": "application/json"})  # fmt: skip
    refused(api, response, 422, "invalid_input")
    assert db_snapshot(api.svc) == before


@pytest.mark.parametrize(
    "case_id",
    ["not-a-uuid", "1", "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6", "%00", "..%2F..%2Fetc",
     "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d%00", "' OR 1=1 --", "x" * 3000, "%F0%9F%98%80"],
)  # fmt: skip
def test_malformed_ids_are_refused_and_change_nothing(api: Api, case_id: str) -> None:
    before = db_snapshot(api.svc)
    for actor, path, body in [
        (api.org.township, f"/cases/{case_id}/approve", {"monthly_amount": "2000"}),
        (api.org.county, f"/cases/{case_id}", None),
        (api.org.county, f"/cases/{case_id}/history", None),
        (api.org.auditor, f"/cases/{case_id}/replay", None),
        (api.org.village, f"/households/{case_id}", None),
    ]:
        response = api.call(actor, "POST" if body else "GET", path, json=body)
        assert response.status_code in (404, 422), (path, response.status_code, response.text)
        problem_of(response)
    home = make_household(api.svc, api.org.village)
    before = db_snapshot(api.svc)
    response = api.post(api.org.village, "/cases", {
        "household_id": case_id, "applicant_id": home.member_ids[0], "programme": "dibao",
        "cause": "accident", "expenditure": "50000"})  # fmt: skip
    refused(api, response, 422, "invalid_input")
    assert db_snapshot(api.svc) == before


def test_unknown_fields_and_wrong_types_are_refused_with_422(api: Api, target: str) -> None:
    before = db_snapshot(api.svc)
    for body in [
        {"monthly_amount": "2000", "state": "verified"},  # no back door to a state
        {"monthly_amount": "2000", "expected_version": 1},
        {},
        {"monthly_amount": {"yuan": 2000}},
    ]:
        response = api.post(api.org.township, f"/cases/{target}/approve", body)
        body_out = refused(api, response, 422, "invalid_input")
        assert body_out["details"]["errors"]
    for count in (-1, 10**12, "twenty", 20.5):
        response = api.post(api.org.village, f"/cases/{case_in(api.svc, api.org, 'promised').id}"
                            "/record-appraisal", {"outcome": "passed", "attendance": count,
                                                  "votes_for": 1, "votes_against": 0})  # fmt: skip
        assert response.status_code == 422, (count, response.text)
    assert api.svc.get_case(api.org.county, target).state == "reviewed"
    assert db_snapshot(api.svc)["counts"]["events"] >= before["counts"]["events"]
