"""The audit endpoints that are not JSON documents: verification as a stream, the export as a
zip file.

``GET /audit/verify`` answers ``application/x-ndjson``: ``{"done": d, "total": t}`` lines while
the chains are checked (about a hundred at most), then one ``{"result": {...}}`` line.  The
verification runs inside the request, so no job is kept between requests and any uvicorn
worker can answer.  A refusal (no token, wrong role) comes before the first line, as a
problem response.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from ..errors import JiuzhuError
from ..service.actors import Actor
from .auth import current_actor
from .problems import MEDIA_TYPE, from_error
from .schema_hints import ORG_PATTERN

NDJSON = "application/x-ndjson"
ZIP = "application/zip"
STEPS = 100  # progress lines at most
router = APIRouter(tags=["audit"])
_END = object()


@router.get(
    "/audit/verify", name="verify", summary="核验哈希链 · verify",
    response_class=StreamingResponse,
    responses={200: {"description": "progress lines, then the result line",
                     "content": {NDJSON: {"schema": {"type": "string"},
                                          "example": '{"done": 1, "total": 2}\n'
                                          '{"done": 2, "total": 2}\n'
                                          '{"result": {"ok": true, "cases": 2, "events": 9, '
                                          '"breaks": []}}\n'}}}},
)  # fmt: skip
def verify(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Response:
    """Verify every hash chain, checkpoint and case row (auditors and the county).

    Streams NDJSON: `{"done": d, "total": t}` as the cases are checked, then
    `{"result": {"ok", "cases", "events", "breaks", ...}}`.  Breaks of cases outside your
    jurisdiction are counted in `breaks_elsewhere`, not listed.
    """
    service = request.app.state.backend.service
    lines: queue.Queue[Any] = queue.Queue()  # at most STEPS + 2 items: never blocks

    def progress(done: int, total: int) -> None:
        if done == total or done % max(1, total // STEPS) == 0:
            lines.put({"done": done, "total": total})

    def run() -> None:
        try:
            lines.put({"result": service.verify(actor, progress=progress)})
        except JiuzhuError as exc:
            lines.put(exc)
        except Exception as exc:  # noqa: BLE001 - handed to the request, which logs it
            lines.put(exc)
        finally:
            lines.put(_END)

    threading.Thread(target=run, name="jiuzhu-verify", daemon=True).start()
    first = lines.get()
    if isinstance(first, JiuzhuError):
        return from_error(first, instance=request.url.path)
    if isinstance(first, Exception):
        raise first

    def stream() -> Iterator[bytes]:
        item = first
        while item is not _END:
            if isinstance(item, Exception):
                item = {"error": {"code": getattr(item, "code", "internal_error"),
                                  "detail": "verification stopped", "message_zh": "核验中断"}}  # fmt: skip
            yield (json.dumps(item, ensure_ascii=False) + "\n").encode("utf-8")
            item = lines.get()

    return StreamingResponse(stream(), media_type=NDJSON)


@router.get(
    "/audit/export", name="export_archive", summary="导出审计数据 · export",
    response_class=Response,
    responses={200: {"description": "a zip of the audit export (docs/audit-format.md)",
                     "content": {ZIP: {"schema": {"type": "string", "format": "binary"}}}}},
)  # fmt: skip
def export_archive(
    request: Request, actor: Annotated[Actor, Depends(current_actor)],
    org: Annotated[str | None, Query(pattern=None, json_schema_extra={
        "pattern": ORG_PATTERN, "examples": ["320922"]})] = None,
) -> Response:  # fmt: skip
    """The audit export of a unit's subtree (default: your unit) as a zip download: events,
    case rows, checkpoints and a manifest with each file's SHA-256.  Ids and hashes only: no
    names or ID numbers (auditors and the county)."""
    service = request.app.state.backend.service
    try:
        data = service.export_archive(actor, org=org)
    except JiuzhuError as exc:
        return from_error(exc, instance=request.url.path)
    name = f"jiuzhu-audit-export-{org or actor.org or 'all'}.zip"
    return Response(data, media_type=ZIP,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


__all__ = ["MEDIA_TYPE", "NDJSON", "ZIP", "router"]
