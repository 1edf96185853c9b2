"""The API's surface: list envelopes and limits, enum filters, the framework's refusals in
Chinese, duplicate JSON keys, safe headers, the offline /docs, and the audit endpoints."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from helpers import case_in, fire, open_case
from http_support import Api, problem_of

from jiuzhu.audit.checkpoint import take_checkpoint

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_limit_outside_1_to_1000_is_refused_in_both_languages(api: Api) -> None:
    for limit in ("0", "1001", "-5", "5000"):
        response = api.get(api.org.county, "/cases", params={"limit": limit})
        body = problem_of(response)
        assert response.status_code == 422 and body["code"] == "invalid_input"
        assert "1 to 1000" in body["detail"] and "1 到 1000" in body["message_zh"]
    assert api.get(api.org.county, "/cases", params={"limit": "1000"}).status_code == 200


def test_every_list_comes_in_the_envelope(api: Api) -> None:
    case_in(api.svc, api.org, "applied")
    for path in ("/cases", "/credit-records", "/findings/limit-alarms", "/findings",
                 "/findings/missed-visits", "/findings/overdue-verifications", "/reports/units",
                 "/reports/counts", "/findings/summary", "/audit/checkpoints"):  # fmt: skip
        body = api.get(api.org.auditor, path).json()
        assert set(body) == {"items", "total", "next"}, path
        assert isinstance(body["items"], list) and body["total"] >= len(body["items"])


def test_unknown_filter_values_are_refused_listing_the_valid_ones(api: Api) -> None:
    for path, name, valid in (("/cases", "state", "provisionally_approved"),
                              ("/cases", "programme", "tekun"),
                              ("/cases", "workflow", "fast_track"),
                              ("/findings", "kind", "verification_overdue")):  # fmt: skip
        response = api.get(api.org.auditor, path, params={name: "nonsense"})
        body = problem_of(response)
        assert response.status_code == 422, (path, name, response.text)
        assert valid in body["detail"] and valid in body["message_zh"]
        assert "应为以下之一" in body["message_zh"]
    doc = api.get(None, "/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/cases"]["get"]["parameters"]}
    states = params["state"]["schema"]["anyOf"][0]["enum"]
    assert "provisionally_approved" in states and "nonsense" not in states


def test_framework_refusals_speak_chinese(api: Api) -> None:
    token = {"Authorization": f"Bearer {api.token(api.org.village)}"}
    for response, status in (
        (api.http.get("/no/such/route", headers=token), 404),
        (api.http.delete("/cases", headers=token), 405),
        (api.http.get("/cases"), 401),
        (api.get(api.org.county, "/cases", params={"limit": "many"}), 422),
        (api.get(api.org.county, "/cases", params={"overdue": "maybe"}), 422),
        (api.post(api.org.village, "/households", {"members": "x"}), 422),
    ):
        body = problem_of(response)
        assert response.status_code == status
        assert CJK.search(body["message_zh"]), body
        assert body["message_zh"] != body["detail"]
        assert not re.search(r"Input should|Not Found|Method Not Allowed|Field required",
                             body["message_zh"]), body  # fmt: skip


def test_duplicate_json_keys_are_refused_naming_the_key(api: Api) -> None:
    case = case_in(api.svc, api.org, "reviewed")
    token = {"Authorization": f"Bearer {api.token(api.org.township)}",
             "Content-Type": "application/json"}  # fmt: skip
    response = api.http.post(f"/cases/{case.id}/refuse", headers=token,
                             content=b'{"reason": "a", "reason": "b"}')  # fmt: skip
    body = problem_of(response)
    assert response.status_code == 400 and body["code"] == "bad_request"
    assert "'reason'" in body["detail"] and "“reason”" in body["message_zh"]
    assert api.svc.get_case(api.org.township, case.id).state == "reviewed"
    nested = api.http.post(f"/cases/{case.id}/refuse", headers=token,
                           content=b'{"reason": "a", "x": {"k": 1, "k": 2}}')  # fmt: skip
    assert nested.status_code == 400 and "'k'" in problem_of(nested)["detail"]


def test_a_token_in_the_query_string_is_refused(api: Api) -> None:
    secret = api.token(api.org.county)
    for name in ("token", "access_token", "api_key"):
        response = api.http.get("/cases", params={name: secret})
        assert response.status_code == 401
        assert "Authorization" in problem_of(response)["detail"]


def test_every_response_is_no_store_and_nosniff(api: Api) -> None:
    for response in (api.get(api.org.county, "/cases"), api.http.get("/nothing"),
                     api.http.get("/health"), api.http.get("/openapi.json")):  # fmt: skip
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_docs_load_only_from_this_server(api: Api) -> None:
    page = api.http.get("/docs")
    assert page.status_code == 200
    parser = _Links()
    parser.feed(page.text)
    urls = parser.urls + re.findall(r"""url:\s*'([^']+)'""", page.text)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert not re.search(r"https?://", page.text), "the page names another server"
    for url in urls:
        assert url.startswith("/"), url
        assert api.http.get(url).status_code == 200, url
    assert api.http.get("/redoc").status_code == 404


def test_openapi_summaries_are_chinese_and_english_and_descriptions_markdown(api: Api) -> None:
    doc = api.get(None, "/openapi.json").json()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert " · " in op["summary"] and CJK.search(op["summary"]), (method, path)
            text = op.get("description", "")
            assert "``" not in text and not re.search(r":(class|meth|func):`", text), path
    body = doc["components"]["schemas"]["ApplyBody"]["properties"]
    assert body["expenditure"]["pattern"] and body["expenditure"]["examples"]


def test_findings_page_through_over_http(api: Api) -> None:
    ids = {case_in(api.svc, api.org, "provisionally_approved").id for _ in range(3)}
    api.clock.advance(timedelta(days=45))
    from jiuzhu.scheduler.sweep import sweep

    sweep(api.svc, worker="test")
    seen, url = [], "/findings?kind=verification_overdue&limit=2"
    while url:
        body = api.get(api.org.auditor, url).json()
        assert body["total"] == 3
        seen += [f["case_id"] for f in body["items"]]
        url = body["next"]
    assert sorted(seen) == sorted(ids)


def test_verify_streams_progress_then_the_result(api: Api) -> None:
    for _ in range(3):
        open_case(api.svc, api.org)
    with api.http.stream("GET", "/audit/verify",
                         headers={"Authorization": f"Bearer {api.token(api.org.auditor)}"}
                         ) as response:  # fmt: skip
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert lines[:-1] == [{"done": 1, "total": 3}, {"done": 2, "total": 3},
                          {"done": 3, "total": 3}]  # fmt: skip
    result = lines[-1]["result"]
    assert result["ok"] is True and result["cases"] == 3 and result["breaks"] == []


@pytest.mark.parametrize("path", ["/audit/verify", "/audit/export", "/audit/checkpoints",
                                  "/findings", "/findings/summary"])  # fmt: skip
def test_a_village_is_refused_the_audit(api: Api, path: str) -> None:
    response = api.get(api.org.village, path)
    assert response.status_code == 403
    assert problem_of(response)["code"] == "permission_denied"


def test_export_downloads_a_zip_without_personal_data(api: Api) -> None:
    case = open_case(api.svc, api.org)
    take_checkpoint(api.svc.engine, now=api.clock.now(), taken_by="test")
    response = api.get(api.org.county, "/audit/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("jiuzhu-audit-export/manifest.json"))
    assert manifest["cases"] == 1 and manifest["checkpoints"] == 1
    assert case.id in archive.read("jiuzhu-audit-export/events.jsonl").decode()


def test_replay_as_of_an_instant_over_http(api: Api) -> None:
    opened = api.clock.now()
    case = open_case(api.svc, api.org)
    api.clock.advance(timedelta(days=1))
    fire(api.svc, api.org, case, "promise")
    response = api.get(api.org.auditor, f"/cases/{case.id}/replay",
                       params={"as_of": opened.isoformat()})  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["then"]["state"], body["now"]["state"]) == ("applied", "promised")
    assert {"field": "state", "then": "applied", "now": "promised"} in body["differences"]
    plain = api.get(api.org.auditor, f"/cases/{case.id}/replay").json()
    assert plain["ok"] is True  # without as_of: the replay against the stored row
    bad = api.get(api.org.auditor, f"/cases/{case.id}/replay", params={"as_of": "yesterday"})
    assert bad.status_code == 422 and CJK.search(problem_of(bad)["message_zh"])


def test_every_command_body_has_an_example_that_its_model_accepts() -> None:
    import typing

    from fastapi.routing import APIRoute
    from pydantic import BaseModel

    from jiuzhu.api import create_app

    checked = 0
    for route in create_app(None).routes:  # type: ignore[arg-type]
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        annotation = route.body_field.field_info.annotation
        model = next(a for a in (annotation, *typing.get_args(annotation))
                     if isinstance(a, type) and issubclass(a, BaseModel))  # fmt: skip
        if not model.model_fields:
            continue
        examples = (model.model_config.get("json_schema_extra") or {}).get("examples")
        assert examples, f"{route.path} has no example body"
        for example in examples:
            model.model_validate(example)  # strict, no extra fields
            for name, field in model.model_fields.items():
                allowed = (field.json_schema_extra or {}).get("enum")
                if allowed and name in example:
                    assert example[name] in allowed, (route.path, name)
        checked += 1
    assert checked >= 30
