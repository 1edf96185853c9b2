"""The endpoint table: one line per service command or read.

To serve a new :class:`~jiuzhu.service.service.CaseService` method, add one :class:`Route`
here.  A command on one case is ``case_command("method_name")`` (``POST /cases/{case_id}/
method-name``; its keyword arguments become the JSON body, ``expected_version`` comes from
``If-Match`` and ``idempotency_key`` from ``Idempotency-Key``).  A read is
``Route("method_name", "GET", "/path/{param}")``; its keyword arguments become query
parameters.  ``tests/api/test_routes.py`` fails while a public service method is neither
routed here nor listed in :data:`NOT_SERVED`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..audit.verify import replay_case
from ..service.actors import Actor
from ..service.service import CaseService
from ..service.views import CaseView
from . import files
from .endpoints import Route


def kebab(name: str) -> str:
    return name.replace("_", "-")


def case_command(name: str, tag: str = "case commands") -> Route:
    return Route(name, "POST", f"/cases/{{case_id}}/{kebab(name)}", tag=tag)


def replay(service: CaseService, actor: Actor, case_id: str, *,
           as_of: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Rebuild the case from its events alone and compare with the stored case row.

    For auditors (any reader of the case): ``ok`` is true when every field agrees.  With
    ``as_of`` (an ISO date-time with its offset): the case as it stood at that instant
    (``then``), as it stands now (``now``) and the fields that differ (``differences``).
    """
    if as_of is not None:
        return service.replay_as_of(actor, case_id, as_of)
    service.get_case(actor, case_id)  # the service decides who may read this case
    result = replay_case(service.engine, case_id.strip().lower())
    return {
        "case_id": result.case_id,
        "events": result.events,
        "ok": result.ok,
        "expected": result.expected,
        "stored": result.stored,
        "differences": [{"field": f, "expected": e, "stored": s} for f, e, s in result.differences],
    }


def counts(result: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    return [{"programme": p, "state": s, "count": n} for (p, s), n in sorted(result.items())]


ROUTES: tuple[Route, ...] = (
    # set-up
    Route("add_org_unit", "POST", "/org-units", 201, tag="set-up"),
    Route(
        "register_household",
        "POST",
        "/households",
        201,
        tag="households",
        location="/households/{id}",
    ),  # fmt: skip
    Route("get_household", "GET", "/households/{household_id}", tag="households"),
    Route("transfer_household", "POST", "/households/{household_id}/transfer", tag="households"),
    # the fast track
    Route("apply", "POST", "/cases", 201, tag="case commands", location="/cases/{id}"),
    case_command("promise"),
    case_command("record_appraisal"),
    case_command("approve"),
    case_command("refuse"),
    case_command("record_verification"),
    case_command("withdraw"),
    # service plans
    case_command("open_service_plan", "service plans"),
    case_command("record_visit", "service plans"),
    case_command("suspend_service_plan", "service plans"),
    case_command("resume_service_plan", "service plans"),
    case_command("end_service_plan", "service plans"),
    # one-off service projects (一次性服务项目: a repair)
    case_command("open_oneoff", "service plans"),
    case_command("complete_oneoff", "service plans"),
    # service providers (服务机构): registered under a unit; their staff see their own plans
    Route("register_provider", "POST", "/providers", 201, tag="service plans"),
    Route("list_providers", "GET", "/providers", tag="service plans"),
    Route("provider_plans", "GET", "/provider-plans", tag="service plans"),
    # projects (帮扶项目) grouping plans and one-offs across cases
    Route("register_project", "POST", "/projects", 201, tag="service plans"),
    Route("list_projects", "GET", "/projects", tag="service plans"),
    # the standard path (审核确认)
    Route(
        "apply_standard",
        "POST",
        "/cases/standard",
        201,
        tag="standard path",
        location="/cases/{id}",
    ),  # fmt: skip
    *(
        case_command(name, "standard path")
        for name in (
            "accept_standard",
            "start_investigation",
            "complete_investigation",
            "start_verification",
            "record_check",
            "give_opinion",
            "record_objection",
            "appraise_standard",
            "mark_special",
            "decide_standard",
            "deliver_rejection_notice",
        )
    ),  # fmt: skip
    Route("limit_alarms_page", "GET", "/findings/limit-alarms", tag="audit"),
    # temporary assistance (临时救助)
    Route(
        "apply_temporary",
        "POST",
        "/cases/temporary",
        201,
        tag="temporary assistance",
        location="/cases/{id}",
    ),  # fmt: skip
    *(
        case_command(name, "temporary assistance")
        for name in (
            "assess_temporary",
            "assist_first",
            "complete_paperwork",
            "decide_temporary",
            "pay_temporary",
            "close_temporary",
            "record_out_of_area",
            "reconfirm_out_of_area",
        )
    ),  # fmt: skip
    # re-review (复核) of a paying case, fast track or standard path
    *(
        case_command(name, "re-review")
        for name in (
            "open_review",
            "investigate_review",
            "give_review_opinion",
            "decide_review",
            "record_circumstance",
            "decide_phase_out",
            "record_rigid_expenditure",
            "renew_rigid_expenditure",
        )
    ),  # fmt: skip
    # money
    *(
        case_command(name, "money")
        for name in ("record_medical_bill", "record_repayment", "impose_fine", "write_off")
    ),  # fmt: skip
    Route("ledger", "GET", "/cases/{case_id}/ledger", tag="money"),
    Route("credit_records_page", "GET", "/credit-records", tag="money"),
    # reads
    Route("cases_page", "GET", "/cases", tag="case reads", response=list[CaseView]),
    Route("get_case", "GET", "/cases/{case_id}", tag="case reads"),
    Route("history", "GET", "/cases/{case_id}/history", tag="audit"),
    Route(
        "replay",
        "GET",
        "/cases/{case_id}/replay",
        tag="audit",
        call=replay,
        response=dict[str, Any],
    ),  # fmt: skip
    Route(
        "report",
        "GET",
        "/reports/units",
        tag="reports",
        call=files.report,
        response=list[dict[str, Any]],
        responses=files.RESPONSES,
    ),  # format=csv|xlsx: a file (api/files.py)
    Route(
        "report_projects",
        "GET",
        "/reports/projects",
        tag="reports",
        call=files.project_report,
        response=list[dict[str, Any]],
        responses=files.RESPONSES,
    ),  # format=csv|xlsx: a file (api/files.py)
    Route(
        "count_by_state",
        "GET",
        "/reports/counts",
        tag="reports",
        render=counts,
        response=list[dict[str, Any]],
    ),  # fmt: skip
    Route("overdue_verifications_page", "GET", "/findings/overdue-verifications", tag="audit"),
    Route("missed_visits_page", "GET", "/findings/missed-visits", tag="audit"),
    Route("findings", "GET", "/findings", tag="audit"),
    Route("findings_summary", "GET", "/findings/summary", tag="audit"),
    Route("checkpoints", "GET", "/audit/checkpoints", tag="audit"),
    # finding cases
    Route("find_case", "GET", "/case-refs/{ref}", tag="finding cases"),
    Route("search", "GET", "/search", tag="finding cases"),
    Route("queue", "GET", "/queues/{which}", tag="finding cases"),
    Route("members", "GET", "/households/{household_id}/members", tag="households"),
    Route("household_chain", "GET", "/households/{household_id}/chain", tag="households"),
    Route("unit_names", "GET", "/unit-names", tag="set-up"),
    Route("personal_data_reads", "GET", "/personal-data-reads", tag="audit"),
)

# Public CaseService methods deliberately not served over HTTP, and why.
NOT_SERVED: dict[str, str] = {
    "close": "closes the service's own database engine",
    "fire_deadline": "the deadline worker's (jiuzhu serve --with-worker / jiuzhu worker)",
    "fire_chunk": "the deadline worker's (jiuzhu serve --with-worker / jiuzhu worker)",
    "policy_in_force": "takes no actor: the service's own policy look-up",
    "create_user": "people's accounts are the operator's (jiuzhu user create)",
    "list_users": "people's accounts are the operator's (jiuzhu user list)",
    "disable_user": "people's accounts are the operator's (jiuzhu user disable)",
    "set_password": "people's accounts are the operator's (jiuzhu user password)",
    "sign_in": "the web front's sign-in page (a session cookie, not a bearer token)",
    "session": "the web front's session cookie",
    "sign_out": "the web front's sign-out",
    "verify": "served by GET /audit/verify (api/audit.py: NDJSON progress lines)",
    "export_archive": "served by GET /audit/export (api/audit.py: a zip download)",
    "replay_as_of": "served by GET /cases/{case_id}/replay?as_of=",
    "list_cases": "the library's and the command line's offset pages; HTTP serves cases_page",
    "credit_records": "the whole list; HTTP serves credit_records_page",
    "missed_visits": "the whole list; HTTP serves missed_visits_page",
    "overdue_verifications": "the whole list; HTTP serves overdue_verifications_page",
    "limit_alarms": "the whole list; HTTP serves limit_alarms_page",
    "report_projects": "served by GET /reports/projects (api/files.py: JSON, or format=csv|xlsx "
    "a file)",
    "report": "served by GET /reports/units (api/files.py: JSON, or format=csv|xlsx a file)",
    "letter": "served by GET /cases/{case}/letters/{kind} (api/letters.py: a PDF download)",
    "check_letter": "served by POST /letters/check (api/letters.py; a PDF is checked by jiuzhu "
    "letter check --pdf)",
    # bringing a caseload in (docs/import.md): an upload, served by api/imports.py
    "start_import": "served by POST /imports/{kind} (api/imports.py: the file as the body)",
    "run_import": "run by POST /imports/{kind} in the background (api/imports.py)",
    "import_job": "served by GET /imports/{job_id} (api/imports.py)",
    "import_file": "start_import + run_import, for the library and the command line",
    "import_jobs": "served by GET /imports (api/imports.py)",
}
