"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal has the members of RFC 9457 -- ``type``, ``title``, ``status``, ``detail``,
``instance`` -- plus jiuzhu's own: ``code`` (stable, as in :mod:`jiuzhu.errors`),
``message_zh`` (Chinese, for case workers) and ``details`` (what the error carries).

Statuses (the service's error codes, mapped here and nowhere else):

=========================  ======  ==============================================================
code                       status  why
=========================  ======  ==============================================================
bad_request                400     the request itself is unreadable: malformed JSON, not UTF-8,
                                   a malformed ``If-Match``, a header the command does not take
unauthenticated            401     no token, or an unknown, expired or revoked one
sign_in_refused            401     a wrong user name or password, or a session that is unknown,
                                   expired or signed out
account_locked             403     the account is locked after repeated failed sign-ins, or
                                   disabled
permission_denied          403     the token's role or jurisdiction does not allow it
not_found                  404     no such case, household, unit or route
method_not_allowed         405     the route exists with another method
transition_not_allowed     409     the case's state does not allow the command
conflict                   409     a concurrent change won the race (reload and decide again)
replay_failed              409     the case's stored events do not replay (an idempotent retry
                                   rebuilds its first result from them): the case's record is
                                   broken, which ``jiuzhu audit verify`` lists; no request can
                                   succeed until it is repaired, and it is not a defect of the
                                   service's code
length_required            411     an import upload that does not state its Content-Length
precondition_failed        412     ``If-Match`` named a version the case no longer has
payload_too_large          413     the body exceeds the limit (refused before it is parsed)
unsupported_media_type     415     a body that is not ``application/json`` (an import upload:
                                   not CSV or XLSX)
invalid_input              422     a value is malformed, out of range or unknown
rule_refused               422     well formed, but a rule of the workflow refuses it (e.g. an
                                   expenditure below the fast-track threshold): resending the
                                   same request cannot succeed, whatever the case's state
idempotency_key_reused     422     the key was used for another command or case
storage                    503     the database is unreachable or refused (retry later)
calendar_not_covered       503     a working-day limit falls in a year whose holiday calendar is
                                   not loaded: the service cannot decide until it is (no
                                   ``Retry-After``: the State Council publishes each year's
                                   holidays in its own time; ``detail`` says so)
internal_error             500     a defect in jiuzhu; the body says nothing more
workflow_definition        500     a workflow is defined wrongly: a defect in jiuzhu, raised when
                                   the definitions load (the service does not start with one)
=========================  ======  ==============================================================

Every code of :mod:`jiuzhu.errors` and of its subclasses elsewhere has an entry (a test
finds them all); only the two defects are 500.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ..errors import JiuzhuError

MEDIA_TYPE = "application/problem+json"
STATUS: dict[str, int] = {
    "bad_request": 400,
    "unauthenticated": 401,
    "sign_in_refused": 401,
    "account_locked": 403,
    "permission_denied": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "transition_not_allowed": 409,
    "conflict": 409,
    "replay_failed": 409,
    "precondition_failed": 412,
    "length_required": 411,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_input": 422,
    "rule_refused": 422,
    "idempotency_key_reused": 422,
    "storage": 503,
    "calendar_not_covered": 503,
    "internal_error": 500,
    "workflow_definition": 500,
}
TITLES: dict[str, str] = {
    "bad_request": "Bad request",
    "unauthenticated": "Authentication required",
    "permission_denied": "Permission denied",
    "sign_in_refused": "Sign-in refused",
    "account_locked": "Account locked",
    "not_found": "Not found",
    "length_required": "Length required",
    "method_not_allowed": "Method not allowed",
    "transition_not_allowed": "Transition not allowed",
    "conflict": "Conflict",
    "replay_failed": "Case events do not replay",
    "precondition_failed": "Precondition failed",
    "payload_too_large": "Payload too large",
    "unsupported_media_type": "Unsupported media type",
    "invalid_input": "Invalid input",
    "rule_refused": "Refused by a rule",
    "idempotency_key_reused": "Idempotency key reused",
    "storage": "Database unavailable",
    "calendar_not_covered": "Working-day calendar not loaded",
    "internal_error": "Internal error",
    "workflow_definition": "Workflow definition error",
}
BY_STATUS = {status: code for code, status in reversed(STATUS.items())}  # the first code of each
# What a 503 cannot say with Retry-After: when the service can decide again (added to detail).
UNTIL: dict[str, tuple[str, str]] = {
    "calendar_not_covered": (
        "the service cannot decide this until the working-day calendar of that year is loaded; "
        "retrying earlier gives the same answer",
        "该年度工作日历载入前无法办理，提前重试结果相同",
    ),
}


class ApiError(JiuzhuError):
    """An HTTP-level refusal (no token, unreadable body...); ``code`` picks the status."""

    def __init__(self, code: str, message: str, zh: str = "", **details: Any) -> None:
        super().__init__(message, zh, **details)
        self.code = code


def problem(code: str, detail: str, zh: str, *, instance: str | None = None,
            status: int | None = None, headers: dict[str, str] | None = None,
            **details: Any) -> JSONResponse:  # fmt: skip
    status = status or STATUS.get(code, 500)
    body: dict[str, Any] = {
        "type": f"urn:jiuzhu:problem:{code}",
        "title": TITLES.get(code, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "message_zh": zh or detail,
    }
    if instance is not None:
        body["instance"] = instance
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def from_error(exc: JiuzhuError, *, instance: str | None = None,
               if_match: bool = False) -> JSONResponse:  # fmt: skip
    code = exc.code
    if code == "conflict" and if_match and "expected_version" in exc.details:
        code = "precondition_failed"  # the If-Match version is stale (not a lost race)
    headers = None
    if code == "unauthenticated":
        error = exc.details.get("error")
        headers = {"WWW-Authenticate": 'Bearer realm="jiuzhu"'
                   + (f', error="{error}"' if error else "")}  # fmt: skip
    details = {k: v for k, v in exc.details.items() if k != "error"}
    detail, zh = exc.message, exc.zh
    if code in UNTIL:
        detail, zh = f"{detail} ({UNTIL[code][0]})", f"{zh}（{UNTIL[code][1]}）"
    return problem(code, detail, zh, instance=instance, status=STATUS.get(code, 500),
                   headers=headers, **details)  # fmt: skip
