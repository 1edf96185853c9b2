"""Finding cases over HTTP: case numbers and village names in case views, a case by its number,
search, work queues, household members, unit names and the personal-data read log."""

from __future__ import annotations

from helpers import case_in, make_household
from http_support import Api, problem_of


def test_case_views_carry_the_number_and_the_village_name(api: Api) -> None:
    case = case_in(api.svc, api.org, "reviewed")
    body = api.get(api.org.township, f"/cases/{case.id}").json()
    assert (body["case_no"], body["village_name"]) == (case.case_no, "团结社区")
    listed = api.get(api.org.county, "/cases").json()["items"]
    assert [(c["id"], c["case_no"]) for c in listed] == [(case.id, case.case_no)]
    found = api.get(api.org.village, f"/case-refs/{case.case_no}")
    assert found.status_code == 200 and found.json()["id"] == case.id
    outside = api.get(api.org.neighbour_village, f"/case-refs/{case.case_no}")
    assert outside.status_code == 403 and problem_of(outside)["code"] == "permission_denied"
    malformed = api.get(api.org.village, "/case-refs/not-a-case")
    assert malformed.status_code == 422 and problem_of(malformed)["code"] == "invalid_input"


def test_search_members_and_the_read_log(api: Api) -> None:
    home = make_household(api.svc, api.org.village, size=2)
    case = api.svc.apply(api.org.village, household_id=home.id, applicant_id=home.member_ids[0],
                         programme="dibao", cause="accident", expenditure="50000")  # fmt: skip
    [member, _] = api.svc.members(api.org.county, home.id)
    hits = api.get(api.org.township, "/search", params={"name": member.name[1:]}).json()["items"]
    assert {h["person_id"] for h in hits} >= {member.person_id}
    assert all(h["case"]["case_no"] == case.case_no for h in hits)
    members = api.get(api.org.village, f"/households/{home.id}/members",
                      params={"purpose": "case page"}).json()["items"]  # fmt: skip
    assert sorted(m["person_id"] for m in members) == sorted(home.member_ids)
    assert all("*" in m["id_number_masked"] for m in members)
    log = api.get(api.org.auditor, "/personal-data-reads", params={"limit": 100}).json()["items"]
    assert {e["purpose"] for e in log} == {"household", "search", "case page"}
    assert all(e["read_at"].endswith("Z") for e in log)
    assert member.name not in str(log)
    refused = api.get(api.org.village, "/personal-data-reads")
    assert refused.status_code == 403 and problem_of(refused)["message_zh"]
    bad = api.get(api.org.village, "/search", params={"id_number": "123"})
    assert bad.status_code == 422 and "身份证号码" in problem_of(bad)["message_zh"]


def test_queues_and_unit_names(api: Api) -> None:
    reviewed = case_in(api.svc, api.org, "reviewed")
    [item] = api.get(api.org.township, "/queues/waiting").json()["items"]
    assert item["case"]["case_no"] == reviewed.case_no and item["reason_zh"]
    unknown = api.get(api.org.township, "/queues/urgent")
    assert unknown.status_code == 422 and "due_this_week" in problem_of(unknown)["detail"]
    names = api.get(api.org.village, "/unit-names").json()
    assert names == {"320922": "滨海县", "320922100": "东坎街道", "320922100001": "团结社区"}
