"""The household's chain (``/households/{household_id}``): every case, payment and service of
one household across workflows, in time order, a page at a time; linked from the case page."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..clock import parse_iso_utc
from ..errors import JiuzhuError
from . import frame, i18n, sentences


def household_page(request: Request) -> Response:
    signed = frame.signed_in(request)
    household_id = request.path_params["household_id"]
    after = request.query_params.get("after") or None
    language = frame.lang(request)
    try:
        page = frame.service(request).household_chain(signed.actor, household_id, after=after)
    except JiuzhuError as exc:
        return frame.render(request, "error.html", frame.status_of(exc), signed=signed,
                            message=frame.error_text(request, exc))  # fmt: skip
    items = [{**item, "when": sentences.shanghai(parse_iso_utc(item["at"])),
              "detail": _detail(item, language)} for item in page.items]  # fmt: skip
    return frame.render(request, "household_chain.html", signed=signed,
                        household_id=household_id, items=items, total=page.total,
                        next=page.next)  # fmt: skip


def _detail(item: dict[str, Any], language: str) -> str:
    if item["what"] == "transfer":
        return f"{item['from_unit_name']} → {item['unit_name']}"
    if item["kind"] == "case":
        state = item["state_en"] if language == "en" else item["state_zh"]
        who = item.get("applicant_name") or ""
        return f"{state} · {i18n.t(language, 'applicant')} {who}" if who else state
    if item["kind"] == "payment":
        month = f" · {item['period']}" if item.get("period") else ""
        return f"{item['amount_yuan']} {i18n.t(language, 'yuan')}{month}"
    if item["kind"] == "withheld":
        other = item.get("overlap_case_no") or item.get("overlap_case")
        why = i18n.t(language, "paid_under", case=other) if other else ""
        return f"{item.get('period', '')} · {why}" if why else str(item.get("period", ""))
    service = item.get("service_en") if language == "en" else item.get("service_zh")
    provider = item.get("provider") or {}
    return " · ".join(str(p) for p in (service, provider.get("name")) if p)


def routes() -> list[tuple[str, Any, list[str]]]:
    return [("/households/{household_id}", household_page, ["GET"])]
