"""``GET /households/{id}/chain``: the household's chain over HTTP, a page at a time, on
SQLite and PostgreSQL; outside the jurisdiction 403, an unknown household 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from helpers import case_in, make_household
from http_support import Api, problem_of

from jiuzhu.scheduler.sweep import sweep


def test_the_chain_is_paged_and_refused_outside_the_jurisdiction(api: Api) -> None:
    svc, org = api.svc, api.org
    home = make_household(svc, org.village, 2)
    first = case_in(svc, org, "provisionally_approved", household=home)
    second = case_in(svc, org, "provisionally_approved", household=home,
                     applicant_id=home.member_ids[1])  # fmt: skip
    api.clock.set(datetime(2024, 4, 16, 2, tzinfo=UTC))
    sweep(svc, worker="http", now=api.clock.now())
    whole = api.get(org.township, f"/households/{home.id}/chain", params={"limit": 1000})
    assert whole.status_code == 200, whole.text
    body = whole.json()
    assert body["total"] == len(body["items"]) == 6 and body["next"] is None
    paid = [(i["case_id"], i["period"], i["amount_yuan"]) for i in body["items"]
            if i["kind"] == "payment"]  # fmt: skip
    assert paid == [(first.id, "2024-03", "2000.00"), (first.id, "2024-04", "2000.00")]
    assert [i["overlap_case"] for i in body["items"] if i["kind"] == "withheld"] == [
        first.id, first.id]  # fmt: skip
    assert {i["case_no"] for i in body["items"]} == {first.case_no, second.case_no}
    seen, url = [], f"/households/{home.id}/chain?limit=4"
    while url is not None:  # ``next`` is the following page's path and query
        answer = api.get(org.auditor, url)
        assert answer.status_code == 200, answer.text
        seen += answer.json()["items"]
        url = answer.json()["next"]
    assert [i["at"] for i in seen] == [i["at"] for i in body["items"]]
    assert {i["applicant_name"] for i in seen if i["kind"] == "case"} == {""}  # auditor
    outside = api.get(org.neighbour_village, f"/households/{home.id}/chain")
    assert outside.status_code == 403 and problem_of(outside)["code"] == "permission_denied"
    missing = api.get(org.county, f"/households/{uuid.uuid4()}/chain")
    assert missing.status_code == 404 and problem_of(missing)["message_zh"]
