"""The auditor's pages, read-only: findings, verification, replay, checkpoints, export, reads."""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from ..clock import SHANGHAI
from ..errors import InvalidInput, JiuzhuError
from ..service.personal_data import PURPOSES
from . import frame
from .sentences import shanghai, yuan_text

STREAM_MARK = "<!--progress-->"
DOWNLOAD = "/audit/export.zip"  # the API serves GET /audit/export to bearer tokens
PROGRESS_STEPS = 50  # at most this many progress lines, however many cases


def as_dict(item: Any) -> dict[str, Any]:
    if hasattr(item, "to_dict"):
        return dict(item.to_dict())
    if is_dataclass(item) and not isinstance(item, type):
        return asdict(item)
    return dict(item) if isinstance(item, dict) else {"value": item}


def _refused(request: Request, signed: Any, exc: JiuzhuError) -> Response:
    return frame.render(request, "error.html", frame.status_of(exc), signed=signed,
                        message=frame.error_text(request, exc))  # fmt: skip


def findings(request: Request) -> Response:
    signed = frame.signed_in(request)
    svc = frame.service(request)
    params = request.query_params
    kind = params.get("kind") or None
    org = params.get("org") or None
    after = params.get("after") or None
    try:
        summary = svc.findings_summary(signed.actor, org=org)
        page = svc.findings(signed.actor, kind=kind, org=org, after=after)
    except JiuzhuError as exc:
        return _refused(request, signed, exc)
    kinds = sorted({(row["kind"], row["kind_zh"]) for row in summary})
    unit_names = {row["unit_id"]: row["unit_name"] for row in summary}
    names = _names(svc, signed.actor)
    items = [_finding(as_dict(i), names, frame.lang(request))
             for i in page.items]  # fmt: skip
    return frame.render(request, "findings.html", signed=signed, summary=summary, page=page,
                        items=items, kinds=kinds, units=unit_names, kind=kind or "",
                        org=org or "")  # fmt: skip


def _names(svc: Any, actor: Any) -> dict[str, str]:
    try:
        return dict(svc.unit_names(actor))
    except JiuzhuError:
        return {}


_MISSED = re.compile(r"^plan \S+ occurrence (\d+) was not made$")


def _finding(item: dict[str, Any], names: dict[str, str], language: str) -> dict[str, Any]:
    """A finding as the table shows it: its case by number, its village by name, its detail."""
    village = str(item.get("org_path") or "").rsplit("/", 1)[-1]
    parts = []
    if item.get("days"):
        parts.append(f"{item['days']:g} 天" if language == "zh" else f"{item['days']:g} days")
    if isinstance(item.get("amount_fen"), int):
        parts.append(f"{yuan_text(item['amount_fen'])} {'元' if language == 'zh' else 'yuan'}")
    missed = _MISSED.search(str(item.get("detail") or ""))
    if missed and language == "zh":  # the audit's detail names the plan by id, in English
        parts.append(f"服务计划第 {missed.group(1)} 次到访未完成")
    elif missed:
        parts.append(f"visit {missed.group(1)} of the service plan was not made")
    elif language == "en" or not parts:
        parts.append(str(item.get("detail") or ""))
    return {
        "kind": item.get("kind_en") if language == "en" else item.get("kind_zh"),
        "case_id": item.get("case_id"),
        "case_no": item.get("case_no", ""),
        "unit": names.get(village, village),
        "detail": "；".join(p for p in parts if p),
    }


def verify(request: Request) -> Response:
    signed = frame.signed_in(request)
    if request.query_params.get("run") != "1":
        return frame.render(request, "verify.html", signed=signed, running=False)
    head, _, tail = frame.render(request, "verify.html", signed=signed, running=True).body \
        .decode().partition(STREAM_MARK)  # fmt: skip
    svc = frame.service(request)
    language = frame.lang(request)
    lines: queue.Queue[tuple[str, Any]] = queue.Queue()
    last = [-1]

    def progress(done: int, total: int) -> None:
        step = done * PROGRESS_STEPS // total if total else PROGRESS_STEPS
        if step != last[0] or done == total:
            last[0] = step
            lines.put(("progress", (done, total)))

    def run() -> None:
        try:
            lines.put(("result", svc.verify(signed.actor, progress=progress)))
        except JiuzhuError as exc:
            lines.put(("error", frame.error_text(request, exc)))
        except Exception:  # noqa: BLE001 - shown as a message, never a traceback
            lines.put(("error", "校验未能完成" if language == "zh" else "verification failed"))

    def stream() -> Iterator[str]:
        yield head
        threading.Thread(target=run, name="web-verify", daemon=True).start()
        while True:
            what, value = lines.get()
            if what == "progress":
                done, total = value
                yield f'<li class="progress-line" data-done="{done}" data-total="{total}">' \
                      f"{done} / {total}</li>\n"  # fmt: skip
                continue
            yield "</ol>"
            template = frame.ENV.get_template("verify_result.html")
            yield template.render(result=value if what == "result" else None,
                                  error=value if what == "error" else "",
                                  t=lambda key, **v: frame.i18n.t(language, key, **v))  # fmt: skip
            yield tail
            return

    return StreamingResponse(stream(), media_type="text/html; charset=utf-8",
                             headers={"Cache-Control": "no-store"})  # fmt: skip


def _instant(text: str) -> datetime:
    """A ``datetime-local`` value (or a date) read as Shanghai time."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"'{text[:40]}' is not a date and time such as 2024-04-01T12:00",
                           "日期时间格式应为 2024-04-01T12:00") from None  # fmt: skip
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


def replay(request: Request) -> Response:
    signed = frame.signed_in(request)
    ref = request.query_params.get("ref", "").strip()
    as_of = request.query_params.get("as_of", "").strip()
    result, error, status = None, "", 200
    if ref and as_of:
        svc = frame.service(request)
        try:
            case = svc.find_case(signed.actor, ref)
            result = svc.replay_as_of(signed.actor, case.id, _instant(as_of))
            result = {
                **result,
                "differences": flatten(result.get("differences", []), frame.lang(request)),
            }
        except JiuzhuError as exc:
            error, status = frame.error_text(request, exc), frame.status_of(exc)
    return frame.render(request, "replay.html", status, signed=signed, ref=ref, as_of=as_of,
                        result=result, error=error)  # fmt: skip


def flatten(differences: list[dict[str, Any]], language: str = "zh") -> list[dict[str, Any]]:
    """Differences of nested records (facts, deadlines) as one row per changed key."""
    out: list[dict[str, Any]] = []
    todo = [(d["field"], d.get("then"), d.get("now")) for d in differences]
    while todo:
        field, then, now = todo.pop(0)
        if isinstance(then, dict) and isinstance(now, dict):
            todo[0:0] = [(f"{field}.{key}", then.get(key), now.get(key))
                         for key in sorted(set(then) | set(now)) if then.get(key) != now.get(key)]  # fmt: skip
            continue
        out.append({"field": field, "then": _shown(field, then, language),
                    "now": _shown(field, now, language)})  # fmt: skip
    return out


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _shown(field: str, value: Any, language: str) -> str:
    """A replayed value as people read it: instants in Shanghai time, fen as yuan."""
    if value is None:
        return "—"
    if field.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
        return f"{yuan_text(value)} {'元' if language == 'zh' else 'yuan'}"
    if isinstance(value, str) and _INSTANT.match(value):
        return shanghai(datetime.fromisoformat(value.replace("Z", "+00:00")))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def checkpoints(request: Request) -> Response:
    signed = frame.signed_in(request)
    try:
        rows = [as_dict(c) for c in frame.service(request).checkpoints(signed.actor)]
    except JiuzhuError as exc:
        return _refused(request, signed, exc)
    return frame.render(request, "checkpoints.html", signed=signed, rows=rows)


def export(request: Request) -> Response:
    signed = frame.signed_in(request)
    try:
        data = frame.service(request).export_archive(
            signed.actor, org=request.query_params.get("org") or None
        )
    except JiuzhuError as exc:
        return _refused(request, signed, exc)
    stamp = frame.service(request).clock.now().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="jiuzhu-audit-{stamp}.zip"',
        "Cache-Control": "no-store"})  # fmt: skip


def reads(request: Request) -> Response:
    signed = frame.signed_in(request)
    before_text = request.query_params.get("before", "")
    before = int(before_text) if before_text.isdigit() else None
    try:
        entries = frame.service(request).personal_data_reads(signed.actor, before=before)
    except JiuzhuError as exc:
        return _refused(request, signed, exc)
    try:
        units = dict(frame.service(request).unit_names(signed.actor))
    except JiuzhuError:
        units = {}
    return frame.render(request, "reads.html", signed=signed, entries=entries, units=units,
                        purposes=PURPOSES, older=entries[-1].id if len(entries) >= 50 else None)  # fmt: skip


def routes() -> list[tuple[str, Any, list[str]]]:
    return [
        ("/audit", findings, ["GET"]),
        ("/audit/findings", findings, ["GET"]),
        ("/audit/verify", verify, ["GET"]),
        ("/audit/replay", replay, ["GET"]),
        ("/audit/checkpoints", checkpoints, ["GET"]),
        (DOWNLOAD, export, ["GET"]),
        ("/audit/reads", reads, ["GET"]),
    ]
