"""The county report as a file: ``GET /reports/units?format=xlsx|csv`` (JSON stays the default).

The file is the command line's (:func:`jiuzhu.sheets.report_sheet`: yuan, bilingual headers,
fixed columns), sent as an attachment whose name is safe in both languages: an ASCII
``filename`` for old clients and ``filename*=UTF-8''…`` with the Chinese one.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from fastapi.responses import Response

from .. import sheets
from ..clock import local_date
from ..service.actors import Actor
from ..service.service import CaseService
from ..workflows.calendar import month_of

ReportFormat = Literal["json", "csv", "xlsx"]
FILE_TYPES = {name: media.split(";")[0] for name, media in sheets.MEDIA_TYPES.items()}
RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "The rows (JSON, fen), or with format=csv|xlsx a file (yuan) as an attachment",
    "content": {media: {"schema": {"type": "string", "format": "binary"}}
                for media in FILE_TYPES.values()},
}}  # fmt: skip


def report(service: CaseService, actor: Actor, *, org: str | None = None,
           month: str | None = None,
           format: ReportFormat = "json") -> list[dict[str, Any]] | Response:  # noqa: A002  # fmt: skip
    """One row for the unit (default: the actor's) and one per township below it.

    ``month`` (YYYY-MM, default: this month in Shanghai) is the month of "paid this month".
    Each row: unit, name, level, cases by state, and the figures (amounts in fen).  With
    ``format=csv`` or ``format=xlsx`` the same rows come as a file for Excel (an attachment;
    amounts in yuan, headers in Chinese and English, one column per state of every workflow).
    """
    rows = service.report(actor, org=org, month=month)
    if format == "json":
        return rows
    data = sheets.file_bytes(sheets.report_sheet(), sheets.report_rows(rows), format)
    unit = rows[0]["unit"] if rows else (org or actor.org)
    stem = f"{unit}-{month or month_of(local_date(service.clock.now()))}"
    return Response(data, media_type=sheets.MEDIA_TYPES[format],
                    headers={"Content-Disposition": attachment(stem, format)})  # fmt: skip


def project_report(service: CaseService, actor: Actor, *, year: int | None = None,
                   format: ReportFormat = "json") -> list[dict[str, Any]] | Response:  # noqa: A002  # fmt: skip
    """One row per project (帮扶项目) of the jurisdiction, of ``year`` if given: its unit and
    year, the distinct households that benefit (the households of the cases with a plan or a
    one-off in it) and the person-times (visits done plus one-offs completed).  With
    ``format=csv`` or ``format=xlsx`` the same rows come as a file for Excel."""
    rows = service.report_projects(actor, year=year)
    if format == "json":
        return rows
    data = sheets.file_bytes(sheets.PROJECTS, rows, format)
    stem = f"{actor.org}-{year or 'all'}"
    return Response(data, media_type=sheets.MEDIA_TYPES[format],
                    headers={"Content-Disposition": attachment(stem, format, "projects",
                                                               "帮扶项目统计")})  # fmt: skip


def attachment(stem: str, ending: str, what: str = "units", zh: str = "救助统计") -> str:
    """``attachment; filename="report-units-<stem>.<ending>"; filename*=UTF-8''救助统计-…``."""
    ascii_name = f"report-{what}-{stem}.{ending}".encode("ascii", "replace").decode("ascii")
    ascii_name = ascii_name.replace('"', "_").replace("\\", "_")
    return (f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(f'{zh}-{stem}.{ending}', safe='')}")  # fmt: skip
