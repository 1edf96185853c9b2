"""A new application, in two steps (each one transaction, each followed by a redirect):
register the household and its members, then open the fast-track case for it."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..errors import JiuzhuError
from ..service.registry import RELATIONS
from ..workflows import fast_track
from . import forms, frame

MEMBER_ROWS = 4
# the apply form: the route's own fields, with these shown as choices
APPLY_CHOICES: dict[str, dict[str, Any]] = {
    "programme": fast_track.PROGRAMMES,
    "cause": fast_track.CAUSES,
}


def relation_choices() -> list[tuple[str, tuple[str, str]]]:
    return [(key, (zh, key)) for key, zh in RELATIONS.items()]


def household_page(request: Request) -> Response:
    signed = frame.signed_in(request)
    return _household_form(request, signed)


def _household_form(request: Request, signed: Any, error: str = "", status: int = 200,
                    rows: list[dict[str, str]] | None = None) -> Response:  # fmt: skip
    rows = rows or []
    rows = rows + [{} for _ in range(MEMBER_ROWS - len(rows))]
    return frame.render(request, "household.html", status, signed=signed, rows=rows,
                        relations=relation_choices(), error=error)  # fmt: skip


def register(request: Request) -> Response:
    signed = frame.signed_in(request)
    form = frame.form_of(request, signed.csrf)
    rows = []
    for i in range(MEMBER_ROWS):
        row = {k: form.get(f"{k}_{i}", "").strip() for k in ("name", "id_number", "relation")}
        if row["name"] or row["id_number"]:
            rows.append(row)
    try:
        household = frame.service(request).register_household(signed.actor, members=rows)
    except JiuzhuError as exc:
        return _household_form(request, signed, frame.error_text(request, exc),
                               frame.status_of(exc), rows)  # fmt: skip
    return frame.redirect(f"/households/{household.id}/apply")


def apply_page(request: Request) -> Response:
    signed = frame.signed_in(request)
    return _apply_form(request, signed, request.path_params["household_id"])


def _apply_form(request: Request, signed: Any, household_id: str, error: str = "",
                status: int = 200) -> Response:  # fmt: skip
    try:
        members = frame.service(request).members(signed.actor, household_id)
    except JiuzhuError as exc:
        return frame.render(request, "error.html", frame.status_of(exc), signed=signed,
                            message=frame.error_text(request, exc))  # fmt: skip
    fields = [f for f in forms.fields_of("apply")
              if f.name not in ("household_id", "applicant_id")]  # fmt: skip
    return frame.render(request, "apply.html", status, signed=signed, members=members,
                        household_id=household_id, fields=fields, choices=APPLY_CHOICES,
                        key=secrets.token_urlsafe(16), error=error)  # fmt: skip


def apply(request: Request) -> Response:
    signed = frame.signed_in(request)
    form = frame.form_of(request, signed.csrf)
    household_id = request.path_params["household_id"]
    svc = frame.service(request)
    try:
        kwargs = forms.parse("apply", form) | {"household_id": household_id}
        case = svc.apply(signed.actor, idempotency_key=form.get("idempotency_key") or None,
                         **kwargs)  # fmt: skip
    except JiuzhuError as exc:
        return _apply_form(request, signed, household_id, frame.error_text(request, exc),
                           frame.status_of(exc))  # fmt: skip
    return frame.redirect(f"/cases/{case.case_no}")


def routes() -> list[tuple[str, Any, list[str]]]:
    return [
        ("/apply", household_page, ["GET"]),
        ("/apply", register, ["POST"]),
        ("/households/{household_id}/apply", apply_page, ["GET"]),
        ("/households/{household_id}/apply", apply, ["POST"]),
    ]
