"""The home page, finding a case (search) and the work queues."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..errors import JiuzhuError
from ..service.queues import QUEUE_LABELS, QUEUES
from . import frame

# the queues' tabs: the actor's own next steps first
QUEUE_TABS = ("waiting", *(q for q in QUEUES if q != "waiting"))
COUNT_LIMIT = 200


def _names(request: Request, actor: Any) -> dict[str, str]:
    try:
        return dict(frame.service(request).unit_names(actor))
    except JiuzhuError:
        return {}


def home(request: Request) -> Response:
    signed = frame.signed_in(request)
    svc = frame.service(request)
    counts: list[tuple[str, int | None]] = []
    for which in QUEUE_TABS:
        try:
            counts.append((which, len(svc.queue(signed.actor, which, limit=COUNT_LIMIT))))
        except JiuzhuError:  # a queue this role may not see
            counts.append((which, None))
    return frame.render(
        request, "home.html", signed=signed, counts=counts, limit=COUNT_LIMIT, labels=QUEUE_LABELS
    )


def search(request: Request) -> Response:
    signed = frame.signed_in(request)
    q = {k: request.query_params.get(k, "").strip() for k in ("name", "id_number", "case_no")}
    hits: list[Any] | None = None
    error = ""
    status = 200
    if any(q.values()):
        try:
            hits = frame.service(request).search(signed.actor, **{k: v for k, v in q.items() if v})
        except JiuzhuError as exc:
            error, status = frame.error_text(request, exc), frame.status_of(exc)
    return frame.render(request, "search.html", status, signed=signed, q=q, hits=hits,
                        error=error, units=_names(request, signed.actor))  # fmt: skip


def queue(request: Request) -> Response:
    signed = frame.signed_in(request)
    which = request.path_params["which"]
    items: list[Any] = []
    error = ""
    status = 200
    try:
        items = frame.service(request).queue(signed.actor, which)
    except JiuzhuError as exc:
        error, status = frame.error_text(request, exc), frame.status_of(exc)
    return frame.render(request, "queue.html", status, signed=signed, which=which, items=items,
                        tabs=QUEUE_TABS, labels=QUEUE_LABELS, error=error, units=_names(request, signed.actor),
                        now=frame.service(request).clock.now())  # fmt: skip


def routes() -> list[tuple[str, Any, list[str]]]:
    return [
        ("/", home, ["GET"]),
        ("/search", search, ["GET"]),
        ("/queue/{which}", queue, ["GET"]),
    ]
