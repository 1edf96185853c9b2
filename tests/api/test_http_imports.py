"""Import over HTTP: the file as an upload, a job id at once, its progress and its refused rows
readable afterwards (docs/import.md, docs/http.md)."""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

import pytest
from helpers import count_rows, db_snapshot, new_id_number
from http_support import Api, problem_of

from jiuzhu.api.guard import CSV, XLSX
from jiuzhu.service.import_layout import COLUMNS, write_template


@pytest.fixture(autouse=True)
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "spool"
    monkeypatch.setenv("JIUZHU_IMPORT_DIR", str(folder))
    return folder


def households_csv(api: Api, tmp_path: Path) -> tuple[bytes, str]:
    """10 persons in 4 households, in lines 2-11 of the file (line 1 is the header): line 4 has
    an ID number whose check digit is wrong and line 11 names a village that does not exist:
    8 go in, 2 are refused."""
    v0, v2 = api.org.villages[0].org, api.org.villages[2].org
    rows = [("H1", v0, "户主"), ("H1", v0, "配偶"), ("H1", v0, "子女"), ("H2", v0, "户主"),
            ("H2", v0, "配偶"), ("H3", v2, "户主"), ("H3", v2, "子女"), ("H4", v2, "户主"),
            ("H4", v2, "配偶"), ("H4", "999999999999", "子女")]  # fmt: skip
    numbers = [new_id_number("320922") for _ in rows]
    bad = numbers[2][:17] + ("0" if numbers[2][17] != "0" else "1")
    numbers[2] = bad
    path = tmp_path / "households.csv"
    write_template("households", path)
    keys = [c.key for c in COLUMNS["households"]]
    with path.open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        for (key, village, relation), number in zip(rows, numbers, strict=True):
            values = {"household_key": key, "name": "陈必华", "id_number": number,
                      "relation": relation, "village": village}  # fmt: skip
            writer.writerow([values.get(k, "") for k in keys])
    return path.read_bytes(), bad


def finish(job_id: str) -> None:
    """Wait for the job's background thread (the server runs in this process)."""
    for thread in threading.enumerate():
        if thread.name == f"jiuzhu-import-{job_id}":
            thread.join(timeout=120)
            assert not thread.is_alive(), "the import did not finish"


def upload(api: Api, body: bytes, media: str = CSV, kind: str = "households",
           **params: str) -> tuple[int, dict[str, object]]:  # fmt: skip
    response = api.post(api.org.county, f"/imports/{kind}", content=body,
                        headers={"Content-Type": media}, params=params)  # fmt: skip
    return response.status_code, response.json()


def test_an_upload_answers_a_job_at_once_and_its_progress_and_refused_rows_follow(
    api: Api, tmp_path: Path
) -> None:
    body, bad = households_csv(api, tmp_path)
    status, job = upload(api, body, filename="户籍导入.csv")
    assert status == 202, job
    assert (job["kind"], job["file_name"], job["rows_total"]) == ("households", "户籍导入.csv", 10)
    assert "errors_file" not in job  # a path on the server's disk is not the caller's business
    finish(str(job["id"]))
    done = api.get(api.org.county, f"/imports/{job['id']}").json()
    assert (done["state"], done["rows_done"], done["rows_refused"], done["added_persons"],
            done["added_households"]) == ("done", 10, 2, 8, 4)  # fmt: skip
    assert done["errors_url"] == f"/imports/{job['id']}/errors"
    assert count_rows(api.svc, "persons") == 8

    report = api.get(api.org.county, done["errors_url"])
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    assert report.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == ["4", "11"]
    assert "校验" in lines[1][2] and "check" in lines[1][3]
    assert bad not in report.text and bad[:6] + "********" + bad[14:] in report.text

    listed = api.get(api.org.county, "/imports").json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]


def test_the_same_file_uploaded_again_is_the_same_job_and_adds_nothing(
    api: Api, tmp_path: Path
) -> None:
    body, _ = households_csv(api, tmp_path)
    _, first = upload(api, body)
    finish(str(first["id"]))
    before = db_snapshot(api.svc)
    status, again = upload(api, body, media="application/octet-stream", filename="again.csv")
    assert status == 202 and again["id"] == first["id"]
    finish(str(again["id"]))
    assert count_rows(api.svc, "persons") == 8
    after = db_snapshot(api.svc)
    assert {t: rows for t, rows in after.items() if t != "import_jobs"} == {
        t: rows for t, rows in before.items() if t != "import_jobs"}  # fmt: skip


def test_refused_uploads_say_why_and_change_nothing(api: Api, tmp_path: Path) -> None:
    body, _ = households_csv(api, tmp_path)
    before = db_snapshot(api.svc)
    village = api.post(api.org.villages[0], "/imports/households", content=body,
                       headers={"Content-Type": CSV})  # fmt: skip
    assert (village.status_code, problem_of(village)["code"]) == (403, "permission_denied")
    anonymous = api.post(None, "/imports/households", content=body, headers={"Content-Type": CSV})
    assert anonymous.status_code == 401
    for kind, content, media, params, code in [
        ("people", body, CSV, {}, "invalid_input"),  # no such kind
        ("households", body, "application/octet-stream", {}, "invalid_input"),  # no file name
        ("households", b"\x00\x01 not a spreadsheet", XLSX, {}, "invalid_input"),
        ("households", "名字,年龄\n陈,3\n".encode(), CSV, {}, "invalid_input"),  # not the layout
        ("cases", body, CSV, {}, "invalid_input"),  # a households file as cases
    ]:  # fmt: skip
        status, problem = upload(api, content, media, kind, **params)
        assert (status, problem["code"]) == (422, code), (kind, problem)
        assert problem["message_zh"] and problem["detail"]
    assert db_snapshot(api.svc) == before


def test_a_job_is_read_by_its_own_county_only(api: Api, tmp_path: Path) -> None:
    body, _ = households_csv(api, tmp_path)
    _, job = upload(api, body)
    finish(str(job["id"]))
    other = api.get(api.other.county, f"/imports/{job['id']}")
    assert (other.status_code, problem_of(other)["code"]) == (403, "permission_denied")
    missing = api.get(api.org.county, "/imports/0f0f0f0f-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    malformed = api.get(api.org.county, "/imports/not a job")
    assert malformed.status_code == 422
