"""The service over HTTP: every fast-track command, reads, ETags, idempotency keys, audit reads.

Each test runs against the real server on a loopback port, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

from helpers import case_in, db_snapshot, make_household, new_members
from http_support import Api, problem_of

from jiuzhu.scheduler.sweep import sweep

APPRAISAL = {"outcome": "passed", "attendance": 21, "votes_for": 19, "votes_against": 1,
             "abstentions": 1}  # fmt: skip


def open_over_http(api: Api) -> dict:
    org = api.org
    home = api.post(org.village, "/households", {"members": new_members(2)})
    assert home.status_code == 201, home.text
    assert home.headers["location"] == f"/households/{home.json()['id']}"
    household = home.json()
    created = api.post(org.village, "/cases", {
        "household_id": household["id"], "applicant_id": household["member_ids"][0],
        "programme": "dibao", "cause": "major_illness", "expenditure": "90000"})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/cases/{created.json()['id']}"
    assert created.headers["etag"] == '"1"'
    return created.json()


def test_fast_track_runs_end_to_end_over_http(api: Api) -> None:
    org = api.org
    case = open_over_http(api)
    cid, applicant = case["id"], case["facts"]["applicant_id"]
    steps = [
        (org.village, "promise", {"signed_by": applicant}, "promised"),
        (org.village, "record-appraisal", APPRAISAL, "reviewed"),
        (org.township, "approve", {"monthly_amount": "2000"}, "provisionally_approved"),
    ]
    for actor, command, body, state in steps:
        response = api.post(actor, f"/cases/{cid}/{command}", body)
        assert response.status_code == 200, response.text
        assert response.json()["state"] == state
    assert response.json()["deadlines"]["verification_due"] == "2024-04-15T02:00:00.000000Z"
    api.clock.advance(timedelta(days=28))
    done = api.post(org.centre, f"/cases/{cid}/record-verification", {"result": "meets_standard"})
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["row_version"]) == ("verified", 5)
    assert done.headers["etag"] == '"5"'
    # the library sees what HTTP did, and the events name the token's actors
    assert api.svc.get_case(org.county, cid).state == "verified"
    history = api.get(org.auditor, f"/cases/{cid}/history").json()["items"]
    assert [e["type"] for e in history] == ["apply", "promise", "review", "approve", "verify"]
    assert history[2]["actor"] == {"role": "village", "org": org.village.org}
    assert history[4]["actor"] == {"role": "verification_centre", "org": org.centre.org}


def test_refusals_are_problem_json_with_the_service_code(api: Api) -> None:
    org = api.org
    case = case_in(api.svc, org, "applied")
    before = db_snapshot(api.svc)
    wrong_state = api.post(org.township, f"/cases/{case.id}/approve", {"monthly_amount": "2000"})
    assert wrong_state.status_code == 409
    body = problem_of(wrong_state)
    assert body["code"] == "transition_not_allowed"
    assert body["details"]["state"] == "applied"
    assert body["instance"] == f"/cases/{case.id}/approve"
    below = api.post(org.village, "/cases", {
        "household_id": case.household_id, "applicant_id": case.facts["applicant_id"],
        "programme": "dibao", "cause": "accident", "expenditure": "29999.99"})  # fmt: skip
    assert below.status_code == 422
    assert problem_of(below)["code"] == "rule_refused"
    assert "30000" in problem_of(below)["detail"]
    missing = api.get(org.county, "/cases/3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d")
    assert missing.status_code == 404
    assert problem_of(missing)["code"] == "not_found"
    assert db_snapshot(api.svc) == before


def test_if_match_with_a_stale_version_is_refused_with_412(api: Api) -> None:
    org = api.org
    case = case_in(api.svc, org, "reviewed")
    read = api.get(org.township, f"/cases/{case.id}")
    assert read.headers["etag"] == '"3"'
    api.svc.refuse(
        org.township, case.id, reason="家庭经济状况不符合条件"
    )  # someone else, meanwhile
    before = db_snapshot(api.svc)
    stale = api.post(org.township, f"/cases/{case.id}/approve", {"monthly_amount": "2000"},
                     headers={"If-Match": read.headers["etag"]})  # fmt: skip
    assert stale.status_code == 412
    body = problem_of(stale)
    assert body["code"] == "precondition_failed"
    assert body["details"] == {"case_id": case.id, "expected_version": 3, "current_version": 4}
    assert db_snapshot(api.svc) == before


def test_if_match_with_the_current_version_lets_the_command_through(api: Api) -> None:
    org = api.org
    case = case_in(api.svc, org, "reviewed")
    etag = api.get(org.township, f"/cases/{case.id}").headers["etag"]
    ok = api.post(org.township, f"/cases/{case.id}/approve", {"monthly_amount": "2000"},
                  headers={"If-Match": etag})  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"4"'


def test_malformed_if_match_is_a_bad_request(api: Api) -> None:
    org = api.org
    case = case_in(api.svc, org, "reviewed")
    before = db_snapshot(api.svc)
    for value in ("3", 'W/"3"', '"3", "4"', '"abc"'):
        response = api.post(org.township, f"/cases/{case.id}/approve",
                            {"monthly_amount": "2000"}, headers={"If-Match": value})  # fmt: skip
        assert response.status_code == 400, value
        assert problem_of(response)["code"] == "bad_request"
    assert db_snapshot(api.svc) == before


def test_idempotency_key_makes_a_retry_return_the_first_result(api: Api) -> None:
    org = api.org
    case = case_in(api.svc, org, "reviewed")
    key = {"Idempotency-Key": "approve-7f3a"}
    first = api.post(org.township, f"/cases/{case.id}/approve", {"monthly_amount": "2000"},
                     headers=key)  # fmt: skip
    assert first.status_code == 200
    assert "idempotent-replayed" not in first.headers
    before = db_snapshot(api.svc)
    retry = api.post(org.township, f"/cases/{case.id}/approve", {"monthly_amount": "2000"},
                     headers=key)  # fmt: skip
    assert retry.status_code == 200, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() | {"replayed": False} == first.json()
    assert db_snapshot(api.svc) == before


def test_idempotency_key_reused_for_another_command_is_refused(api: Api) -> None:
    org = api.org
    case = case_in(api.svc, org, "reviewed")
    api.post(org.township, f"/cases/{case.id}/approve", {"monthly_amount": "2000"},
             headers={"Idempotency-Key": "k-1"})  # fmt: skip
    other = case_in(api.svc, org, "applied")
    before = db_snapshot(api.svc)
    reused = api.post(
        org.township, f"/cases/{other.id}/withdraw", {}, headers={"Idempotency-Key": "k-1"}
    )  # fmt: skip  (keys are per unit)
    assert reused.status_code == 422
    assert problem_of(reused)["code"] == "idempotency_key_reused"
    assert db_snapshot(api.svc) == before


def test_apply_retried_with_its_key_opens_one_case(api: Api) -> None:
    org = api.org
    home = make_household(api.svc, org.village)
    body = {"household_id": home.id, "applicant_id": home.member_ids[0], "programme": "dibao",
            "cause": "disaster", "expenditure": "45000"}  # fmt: skip
    first = api.post(org.village, "/cases", body, headers={"Idempotency-Key": "apply-1"})
    second = api.post(org.village, "/cases", body, headers={"Idempotency-Key": "apply-1"})
    assert first.status_code == 201 and second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"
    assert api.get(org.village, "/cases").json()["total"] == 1


def test_headers_a_command_does_not_take_are_refused(api: Api) -> None:
    before = db_snapshot(api.svc)
    response = api.post(api.org.village, "/households", {"members": new_members(1)},
                        headers={"Idempotency-Key": "h-1"})  # fmt: skip
    assert response.status_code == 400
    assert "Idempotency-Key" in problem_of(response)["detail"]
    assert db_snapshot(api.svc) == before


def test_case_list_filters_and_pages_within_the_jurisdiction(api: Api) -> None:
    org = api.org
    mine = [case_in(api.svc, org, "applied") for _ in range(3)]
    approved = case_in(api.svc, org, "provisionally_approved")
    far = case_in(api.svc, org, "applied", village=org.far_village)
    tekun = case_in(api.svc, org, "applied", village=org.neighbour_village, programme="tekun")
    county_ids = [c["id"] for c in api.get(org.county, "/cases").json()["items"]]
    assert set(county_ids) == {c.id for c in [*mine, approved, far, tekun]}
    township = {c["id"] for c in api.get(org.township, "/cases").json()["items"]}
    assert township == {c.id for c in [*mine, approved, tekun]}
    assert [c["id"] for c in api.get(org.county, "/cases",
                                     params={"state": "provisionally_approved"}).json()["items"]] == [
        approved.id]  # fmt: skip
    assert [c["id"] for c in api.get(org.county, "/cases",
                                     params={"programme": "tekun"}).json()["items"]] == [tekun.id]  # fmt: skip
    page1 = api.get(org.county, "/cases", params={"limit": 2}).json()
    assert page1["total"] == 6 and page1["next"].startswith("/cases?")
    page2 = api.get(org.county, page1["next"]).json()
    assert [c["id"] for c in page1["items"] + page2["items"]] == county_ids[:4]
    bad = api.get(org.county, "/cases", params={"limit": "many"})
    assert bad.status_code == 422
    assert problem_of(bad)["code"] == "invalid_input"
    counts = api.get(org.far_village, "/reports/counts").json()
    assert counts == {
        "items": [{"programme": "dibao", "state": "applied", "count": 1}],
        "total": 1,
        "next": None,
    }


def test_case_list_filters_by_unit_and_overdue_check(api: Api) -> None:
    org = api.org
    late = case_in(api.svc, org, "provisionally_approved")
    far = case_in(api.svc, org, "applied", village=org.far_village)
    api.clock.advance(timedelta(days=40))
    sweep(api.svc, worker="http-test", now=api.clock.now())  # the data check is overdue

    def ids(actor: object, **params: object) -> set[str]:
        response = api.get(actor, "/cases", params=params)
        assert response.status_code == 200, response.text
        return {c["id"] for c in response.json()["items"]}

    assert ids(org.county, overdue="true") == {late.id}
    assert ids(org.county, overdue="false") == {far.id}
    assert ids(org.county, org=org.other_township.org) == {far.id}
    assert ids(org.county, workflow="fast_track", org=org.township.org) == {late.id}
    outside = api.get(org.township, "/cases", params={"org": org.other_township.org})
    assert outside.status_code == 403 and problem_of(outside)["code"] == "permission_denied"
    assert api.get(org.county, "/cases", params={"overdue": "maybe"}).status_code == 422


def test_auditor_reads_history_replay_and_findings_but_cannot_act(api: Api) -> None:
    org = api.org
    case = case_in(api.svc, org, "provisionally_approved")
    replay = api.get(org.auditor, f"/cases/{case.id}/replay")
    assert replay.status_code == 200, replay.text
    assert replay.json()["ok"] is True
    assert replay.json()["events"] == 4
    api.clock.advance(timedelta(days=40))
    sweep(api.svc, worker="test-worker")  # the deadline passed: the worker marks it overdue
    overdue = api.get(org.auditor, "/findings/overdue-verifications").json()["items"]
    assert [o["case_id"] for o in overdue] == [case.id]
    assert api.get(org.auditor, "/findings/missed-visits").json() == {
        "items": [],
        "total": 0,
        "next": None,
    }
    before = db_snapshot(api.svc)
    refused = api.post(org.auditor, f"/cases/{case.id}/record-verification",
                       {"result": "meets_standard"})  # fmt: skip
    assert refused.status_code == 403
    assert problem_of(refused)["code"] == "permission_denied"
    assert db_snapshot(api.svc) == before


def test_household_read_masks_id_numbers_and_hides_names_from_auditors(api: Api) -> None:
    org = api.org
    members = new_members(1)
    home = make_household(api.svc, org.village, members=members)
    worker = api.get(org.village, f"/households/{home.id}").json()
    auditor = api.get(org.auditor, f"/households/{home.id}").json()
    assert worker["members"][0]["name"] == members[0]["name"]
    assert "name" not in auditor["members"][0]
    assert members[0]["id_number"] not in str(auditor) + str(worker)


def test_openapi_document_and_docs_are_served_without_a_token(api: Api) -> None:
    doc = api.get(None, "/openapi.json")
    assert doc.status_code == 200
    paths = doc.json()["paths"]
    assert "/cases/{case_id}/record-verification" in paths
    assert paths["/cases"]["post"]["responses"]["422"]["content"]["application/problem+json"]
    assert api.get(None, "/docs").status_code == 200
    assert api.get(None, "/health").json() == {"status": "ok"}


def test_unknown_route_and_wrong_method_are_problem_json(api: Api) -> None:
    missing = api.get(api.org.county, "/nowhere")
    assert missing.status_code == 404
    assert problem_of(missing)["code"] == "not_found"
    wrong = api.call(api.org.county, "DELETE", "/cases")
    assert wrong.status_code == 405
    assert problem_of(wrong)["code"] == "method_not_allowed"
    assert "allow" in wrong.headers
