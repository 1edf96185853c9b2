"""Bringing an existing caseload in: households and running cases from files (docs/import.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from audit.minimal_verifier import verify as minimal_verify
from helpers import Org, count_rows, db_snapshot, deadline_rows, make_county, new_id_number
from sqlalchemy import func, select

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.export import export
from jiuzhu.audit.verify import verify_export
from jiuzhu.errors import InvalidInput, PermissionDenied
from jiuzhu.models import import_sql
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.import_layout import COLUMNS, write_template
from jiuzhu.workflows.adoption import day_start
from jiuzhu.workflows.calendar import pay_instant

QINHUAI = "320104"  # Nanjing: the built-in policy book has its dibao line


@pytest.fixture
def nj(svc: CaseService) -> Org:
    return make_county(svc, QINHUAI)


def fill(path: Path, kind: str, rows: list[dict[str, str]]) -> Path:
    """The template of ``kind`` written to ``path`` and filled with ``rows`` (by column key)."""
    write_template(kind, path)
    keys = [c.key for c in COLUMNS[kind]]
    with path.open("a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        for row in rows:
            writer.writerow([row.get(k, "") for k in keys])
    return path


def person(key: str, village: str, relation: str = "户主", number: str | None = None,
           name: str = "陈必华") -> dict[str, str]:  # fmt: skip
    return {"household_key": key, "name": name, "id_number": number or new_id_number(QINHUAI),
            "relation": relation, "village": village}  # fmt: skip


def bad_checksum(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def households_file(tmp_path: Path, org: Org) -> tuple[Path, list[dict[str, str]]]:
    """10 rows, 4 households; row 4 has a bad ID number checksum, row 9 an unknown village."""
    v0, v2 = org.villages[0].org, org.villages[2].org
    rows = [person("H1", v0), person("H1", v0, "配偶", name="王秀英"),
            person("H1", v0, "child", name="陈小明"), person("H2", v0),
            person("H2", v0, "spouse"), person("H3", v2), person("H3", v2, "子女"),
            person("H4", v2), person("H4", "999999999999"), person("H4", v2, "parent")]  # fmt: skip
    rows[2]["id_number"] = bad_checksum(rows[2]["id_number"])
    return fill(tmp_path / "households.csv", "households", rows), rows


def case(key: str, **values: str) -> dict[str, str]:
    return {"household_key": key, "programme": "dibao", "workflow": "standard",
            "state": "confirmed", "monthly_amount": "650.00", "decision_date": "2023-11-20",
            "start_month": "2023-12", "paid_through": "2024-02"} | values  # fmt: skip


def test_the_template_filled_with_10_rows_2_bad_8_go_in_2_are_reported(
    svc: CaseService, nj: Org, tmp_path: Path
) -> None:
    path, rows = households_file(tmp_path, nj)
    result = svc.import_file(nj.county, "households", path)
    assert (result.state, result.rows_total, result.added_persons, result.added_households,
            result.refused, result.skipped) == ("done", 10, 8, 4, 2, 0)  # fmt: skip
    assert count_rows(svc, "persons") == 8
    report = Path(result.errors_file or "")
    assert report == tmp_path / "households.errors.csv"
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert lines[0][:4] == ["行号 row", "列 column", "原因 reason (zh)", "reason (en)"]
    assert [(line[0], line[1]) for line in lines[1:]] == [("4", "身份证号 id_number"),
                                                          ("10", "村（社区）代码 village")]  # fmt: skip
    assert "校验" in lines[1][2] and "check" in lines[1][3]
    assert "999999999999" in lines[2][3] and "不存在" in lines[2][2]
    masked = lines[1][4 + 2]
    number = rows[2]["id_number"]
    assert masked == number[:6] + "********" + number[14:] and number not in report.read_text(
        encoding="utf-8-sig"
    )
    job = svc.import_job(nj.county, result.job_id)
    assert (job.state, job.rows_done, job.rows_refused, job.added_persons) == ("done", 10, 2, 8)
    assert [j.id for j in svc.import_jobs(nj.county)] == [job.id]


def test_running_cases_come_in_at_their_state_with_the_rules_deadlines(
    svc: CaseService, nj: Org, tmp_path: Path, clock: FakeClock
) -> None:
    households, rows = households_file(tmp_path, nj)
    svc.import_file(nj.county, "households", households)
    cases = fill(tmp_path / "cases.csv", "cases", [
        case("H1"),
        {**case("H2", workflow="容缺审批", state="先行批准", start_month="2024-02",
                decision_date="2024-02-20", paid_through="2024-02"),
         "cause": "major_illness", "expenditure": "40000"},
        {**case("H3", workflow="fast_track", state="verified", start_month="2023-10",
                decision_date="2023-10-09"), "cause": "disaster", "expenditure": "35000",
         "source_case_no": "DB-2023-17"},
        case("H4", state="county_review"),  # not importable
        case("H4", programme="tekun"),  # not a programme of the standard path
        case("H4", start_month="2023-13"),  # bad month
        case("H9"),  # household key not found
        case("H4", monthly_amount="-5"),  # negative amount
        case("H1"),  # the same household and programme again
    ])  # fmt: skip
    result = svc.import_file(nj.county, "cases", cases)
    assert (result.added_cases, result.refused) == (3, 6)
    report = list(csv.reader(open(result.errors_file or "", encoding="utf-8-sig")))
    reasons = {int(line[0]): (line[1], line[3]) for line in report[1:]}
    assert reasons[5][0] == "当前状态 state" and "cannot be imported" in reasons[5][1]
    assert reasons[6][0].endswith("programme") and "tekun" in reasons[6][1]
    assert reasons[7][0].endswith("start_month") and "YYYY-MM" in reasons[7][1]
    assert "not found" in reasons[8][1]
    assert "negative" in reasons[9][1]
    assert "duplicate of row 2" in reasons[10][1]

    found = {c.household_id: c for c in svc.list_cases(nj.county)}
    assert sorted(c.state for c in found.values()) == ["confirmed", "provisionally_approved",
                                                        "verified"]  # fmt: skip
    by_state = {c.state: c for c in found.values()}
    confirmed, provisional = by_state["confirmed"], by_state["provisionally_approved"]
    assert confirmed.monthly_amount_fen == 65_000
    assert confirmed.case_no == "320104-2024-000001"
    dues = {d["kind"]: d["due_at"] for d in deadline_rows(svc, provisional.id)}
    # the fast track's rule: one month from the decision day; the allowance from March, due
    # on its pay day, today: at once (never before the case came in)
    assert dues == {"verification_due": day_start("2024-03-20"),
                    "allowance_due": pay_instant("2024-03", 15, clock.now())}  # fmt: skip
    history = svc.history(nj.county, confirmed.id)
    assert [(e.seq, e.type, e.type_zh) for e in history] == [(1, "import", "迁移导入")]
    assert history[0].prev_hash == "0" * 64
    assert history[0].payload["import"] == {"job_id": result.job_id, "row": 2,
                                            "file_sha256": result.sha256}  # fmt: skip
    text = json.dumps([e.payload for c in found.values() for e in svc.history(nj.county, c.id)],
                      ensure_ascii=False)  # fmt: skip
    assert not any(r["id_number"] in text or r["name"] in text for r in rows)
    report_ok = svc.verify(nj.auditor)
    assert report_ok["ok"] and report_ok["cases"] == 3
    assert svc.findings(nj.auditor).items == []
    export(svc.engine, tmp_path / "export", now=clock.now())
    exported = verify_export(tmp_path / "export")
    assert exported.ok and exported.cases == 3, [str(b) for b in exported.breaks]
    assert minimal_verify(tmp_path / "export") == []  # written from docs/audit-format.md alone

    # the payment run pays from the month after paid-through (March), once, at the decided amount
    sweep(svc, worker="test")
    paid = svc.get_case(nj.county, confirmed.id)
    assert paid.facts["allowance"]["next_month"] == "2024-04"
    assert [e.type for e in svc.history(nj.county, confirmed.id)] == ["import", "pay_allowance"]
    assert svc.history(nj.county, confirmed.id)[1].payload["month"] == "2024-03"
    assert svc.verify(nj.auditor)["ok"]


def test_a_person_already_registered_is_linked_not_duplicated(
    svc: CaseService, nj: Org, tmp_path: Path
) -> None:
    number = new_id_number(QINHUAI)
    home = svc.register_household(nj.village, members=[
        {"name": "陈必华", "id_number": number, "relation": "head"}])  # fmt: skip
    path = fill(tmp_path / "h.csv", "households", [
        person("K1", nj.village.org, number=number), person("K1", nj.village.org, "配偶")])  # fmt: skip
    result = svc.import_file(nj.county, "households", path)
    assert (result.linked_persons, result.added_persons, result.added_households) == (1, 1, 0)
    assert count_rows(svc, "persons") == 2 and count_rows(svc, "households") == 1
    assert len(svc.get_household(nj.county, home.id).member_ids) == 2


def test_running_the_same_file_again_adds_nothing(
    svc: CaseService, nj: Org, tmp_path: Path
) -> None:
    path, _ = households_file(tmp_path, nj)
    first = svc.import_file(nj.county, "households", path)
    before = db_snapshot(svc)
    again = svc.import_file(nj.county, "households", path)
    assert again.job_id == first.job_id
    assert (again.added_persons, again.skipped, again.refused) == (0, 8, 2)
    assert db_snapshot(svc) == before


def test_a_run_killed_after_its_first_chunk_resumes_after_it(
    svc: CaseService, nj: Org, tmp_path: Path
) -> None:
    path, _ = households_file(tmp_path, nj)

    def killed(done: int, total: int) -> None:
        raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        svc.import_file(nj.county, "households", path, chunk_rows=4, progress=killed)
    assert count_rows(svc, "persons") == 3  # rows 2-5 committed, one of them refused
    seen: list[tuple[int, int]] = []
    result = svc.import_file(nj.county, "households", path, chunk_rows=4,
                             progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert (result.skipped, result.added_persons, result.refused) == (3, 5, 2)
    assert count_rows(svc, "persons") == 8 and count_rows(svc, "households") == 4
    assert seen == [(8, 10), (10, 10)]
    assert svc.import_job(nj.county, result.job_id).state == "done"


def test_a_dry_run_writes_nothing_but_the_error_report(
    svc: CaseService, nj: Org, tmp_path: Path
) -> None:
    path, _ = households_file(tmp_path, nj)
    before = db_snapshot(svc)
    result = svc.import_file(nj.county, "households", path, dry_run=True,
                             errors_path=tmp_path / "dry.csv")  # fmt: skip
    assert (result.dry_run, result.added_persons, result.refused) == (True, 8, 2)
    assert db_snapshot(svc) == before
    with svc.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_sql.jobs)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(import_sql.row_outcomes)).scalar() == 0
    assert len((tmp_path / "dry.csv").read_text(encoding="utf-8-sig").splitlines()) == 3


def test_only_admin_and_county_import_and_a_county_only_within_its_jurisdiction(
    svc: CaseService, nj: Org, tmp_path: Path
) -> None:
    other = make_county(svc, "320105")
    path, _ = households_file(tmp_path, nj)
    for actor in (nj.village, nj.township, nj.auditor):
        with pytest.raises(PermissionDenied):
            svc.import_file(actor, "households", path)
    result = svc.import_file(other.county, "households", path)
    assert (result.added_persons, result.refused) == (0, 10)
    report = Path(result.errors_file or "").read_text(encoding="utf-8-sig")
    assert "outside the jurisdiction of 320105" in report
    with pytest.raises(PermissionDenied):
        svc.import_job(nj.county, result.job_id)


@pytest.mark.parametrize(("content", "words"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "neither a CSV nor an XLSX"),
    (b"", "is empty"),
    ("姓名,身份证号\n张三,110105194912310021\n".encode(), "lacks the column"),
    ("户编号,姓名,身份证号,与户主关系,村（社区）代码\n".encode(), "no rows"),
    ("户编号,姓名,电话\nH1,张三,123\n".encode(), "not a column"),
])  # fmt: skip
def test_a_malformed_file_is_a_clear_error_that_changes_nothing(
    svc: CaseService, nj: Org, tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match=words) as err:
        svc.import_file(nj.county, "households", path)
    assert err.value.zh != err.value.message
    assert db_snapshot(svc) == before
    with svc.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_sql.jobs)).scalar() == 0


def test_xlsx_and_gb18030_files_with_english_headers(
    svc: CaseService, nj: Org, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    keys = [c.key for c in COLUMNS["households"]]
    book = Workbook()
    sheet = book.active
    sheet.append(keys)
    sheet.append([*person("X1", nj.village.org).values(), ""])
    book.save(tmp_path / "h.xlsx")
    assert svc.import_file(nj.county, "households", tmp_path / "h.xlsx").added_persons == 1
    text = "户编号,姓名,身份证号,与户主关系,村（社区）代码\n" + ",".join(
        person("G1", nj.village.org).values()) + "\n"  # fmt: skip
    (tmp_path / "gb.csv").write_bytes(text.encode("gb18030"))
    assert svc.import_file(nj.county, "households", tmp_path / "gb.csv").added_persons == 1
    assert count_rows(svc, "persons") == 2
