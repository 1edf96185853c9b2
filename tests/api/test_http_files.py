"""The county report as a file over HTTP: ``GET /reports/units?format=xlsx|csv`` is an
attachment with a filename safe in both languages; JSON stays the default, in fen."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import openpyxl
from helpers import case_in
from http_support import Api, problem_of

from jiuzhu.scheduler.sweep import sweep

PAID = "累计发放（元） Paid in total (yuan)"


def paying_county(api: Api) -> dict:
    case_in(api.svc, api.org, "provisionally_approved")
    sweep(api.svc, worker="files", now=api.clock.now())  # the month's allowance is paid
    rows = api.get(api.org.county, "/reports/units").json()["items"]
    assert rows[0]["paid_total_fen"] > 0  # JSON: the service's rows, amounts in fen
    return rows[0]


def test_the_report_comes_as_an_xlsx_attachment_in_yuan(api: Api) -> None:
    county = paying_county(api)
    response = api.get(api.org.county, "/reports/units?format=xlsx&month=2024-03")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="report-units-320922-2024-03.xlsx"')
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "救助统计-320922-2024-03.xlsx" and encoded.isascii()
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in sheet[1]]
    paid = sheet.cell(row=2, column=headers.index(PAID) + 1)
    assert (sheet.cell(row=2, column=1).value, sheet.cell(row=2, column=2).value) == (
        county["name"],
        "320922",
    )  # the unit by name and by code
    assert paid.value == county["paid_total_fen"] / 100 and paid.number_format == "#,##0.00"
    assert sheet.freeze_panes == "A2"


def test_the_report_comes_as_csv_with_a_byte_order_mark(api: Api) -> None:
    county = paying_county(api)
    response = api.get(api.org.county, "/reports/units?format=csv")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (
        rows[0][PAID] == f"{county['paid_total_fen'] // 100}.{county['paid_total_fen'] % 100:02d}"
    )


def test_an_unknown_report_format_is_refused_with_the_valid_ones(api: Api) -> None:
    response = api.get(api.org.county, "/reports/units?format=pdf")
    assert response.status_code == 422
    assert "xlsx" in str(problem_of(response))


def test_the_projects_report_comes_as_json_csv_and_xlsx(api: Api) -> None:
    project = api.svc.register_project(api.org.township, unit_id=api.org.township.org,
                                       name="暖心助老", year=2024)  # fmt: skip
    case = case_in(api.svc, api.org, "provisionally_approved")
    api.svc.open_service_plan(api.org.village, case.id, kind="home_visit",
                              provider={"name": "暖心护理"}, project_id=project.id,
                              recurrence={"type": "interval", "days": 2})  # fmt: skip
    [row] = api.get(api.org.county, "/reports/projects?year=2024").json()["items"]
    assert (row["project_id"], row["beneficiary_households"], row["person_times"]) == (
        project.id, 1, 0)  # fmt: skip
    response = api.get(api.org.county, "/reports/projects?year=2024&format=csv")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="report-projects-320922-2024.csv"' in response.headers["content-disposition"]
    [line] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert line["项目名称 Project"] == "暖心助老" and line["受益户数 Beneficiary households"] == "1"
    sheet = api.get(api.org.county, "/reports/projects?format=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(sheet.content)).active
    assert book.cell(row=2, column=1).value == "暖心助老"
