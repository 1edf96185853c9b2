"""The request guard's one exception: an import upload (``POST /imports/{kind}``) is a CSV or
XLSX file as the raw body, let through unread up to its own limit; every other path keeps the
JSON-only, 64 KiB rules."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from jiuzhu.api.guard import CSV, XLSX, RequestGuard

LIMIT = 4096


async def echo(request: Request) -> JSONResponse:
    chunks = [len(chunk) async for chunk in request.stream() if chunk]
    return JSONResponse({"bytes": sum(chunks), "chunks": len(chunks)})


def client() -> TestClient:
    app = Starlette(routes=[Route("/imports/{kind}", echo, methods=["POST"]),
                            Route("/cases", echo, methods=["POST"])])  # fmt: skip
    return TestClient(RequestGuard(app, max_body=1024, max_upload=LIMIT))


def test_a_csv_or_xlsx_upload_up_to_the_upload_limit_reaches_the_endpoint_whole() -> None:
    http = client()
    for media, size in [(CSV, LIMIT), (XLSX, 3000), ("application/octet-stream", 2000)]:
        response = http.post("/imports/cases", content=b"x" * size,
                             headers={"Content-Type": media})  # fmt: skip
        assert response.status_code == 200, response.text
        assert response.json()["bytes"] == size  # larger than max_body, yet let through


def test_an_upload_over_the_limit_is_refused_before_it_is_read() -> None:
    response = client().post("/imports/households", content=b"x" * (LIMIT + 1),
                             headers={"Content-Type": CSV})  # fmt: skip
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "payload_too_large" and f"{LIMIT:,}" in body["detail"]
    assert "字节" in body["message_zh"]


def test_an_upload_without_content_length_is_refused_with_411() -> None:
    def body() -> Iterator[bytes]:  # a generator body goes chunked, with no Content-Length
        yield b"a,b\n"

    response = client().post("/imports/cases", content=body(), headers={"Content-Type": CSV})
    assert response.status_code == 411
    assert response.json()["code"] == "length_required"
    assert "Content-Length" in response.json()["message_zh"]


def test_an_upload_that_is_not_a_spreadsheet_is_refused_with_415() -> None:
    for media in ("application/json", "text/plain", "application/x-www-form-urlencoded", ""):
        response = client().post("/imports/cases", content=b"{}",
                                 headers={"Content-Type": media} if media else {})  # fmt: skip
        assert response.status_code == 415, media
        assert "CSV" in response.json()["message_zh"]


def test_other_paths_keep_the_json_rules() -> None:
    http = client()
    csv = http.post("/cases", content=b"a,b\n", headers={"Content-Type": CSV})
    assert (csv.status_code, csv.json()["code"]) == (415, "unsupported_media_type")
    big = http.post("/cases", content=b"x" * 2000, headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    nested = http.post("/imports/cases/more", content=b"a", headers={"Content-Type": CSV})
    assert nested.status_code == 415  # only /imports/{kind} itself is an upload
