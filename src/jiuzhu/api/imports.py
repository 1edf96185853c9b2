"""Import as an upload: ``POST /imports/{kind}`` takes a CSV or XLSX file as the raw body and
answers ``202 Accepted`` with the job at once; the import runs in a background thread of the
process that took the upload, and any process reads its progress from the database.

* ``POST /imports/households`` or ``/imports/cases`` -- the body is the file (``Content-Type:
  text/csv``, the XLSX type, or ``application/octet-stream`` with ``?filename=....csv``); the
  request guard lets it through unread up to its own limit (:mod:`jiuzhu.api.guard`) and it is
  streamed to the spool directory, never held in memory.  (A dry run is the command line's:
  ``jiuzhu import cases FILE --dry-run``.)
* ``GET /imports/{job_id}`` -- the job: its state (queued, running, done, failed) and rows
  done, added, skipped and refused of the total.
* ``GET /imports/{job_id}/errors`` -- the refused rows as CSV (UTF-8 with a byte-order mark, ID
  numbers masked), each with its reason in Chinese and English.
* ``GET /imports`` -- the latest jobs.

The same file uploaded again is the same job (keyed by its SHA-256) and adds nothing; after the
process was stopped mid-file, uploading it again resumes after the last committed chunk.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import uuid
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..clock import iso_utc
from ..errors import InvalidInput, JiuzhuError
from ..service.actors import Actor, require_role
from .auth import current_actor
from .guard import CSV, XLSX
from .problems import from_error, problem

log = logging.getLogger("jiuzhu.api.imports")
router = APIRouter(tags=["import"])
KINDS = ("households", "cases")
ENV_IMPORT_DIR = "JIUZHU_IMPORT_DIR"
CSV_BOM = "text/csv; charset=utf-8"
JOB_ID = r"^[A-Za-z0-9_-]{1,64}$"


def spool_dir() -> Path:
    """Where uploads and their error reports are kept: ``$JIUZHU_IMPORT_DIR``, else a
    ``jiuzhu-imports`` folder in the system's temporary directory (shared by the processes of
    one ``jiuzhu serve``)."""
    return Path(os.environ.get(ENV_IMPORT_DIR) or Path(tempfile.gettempdir()) / "jiuzhu-imports")


def _suffix(content_type: str, filename: str | None) -> str:
    media = content_type.split(";")[0].strip().lower()
    if media == CSV:
        return ".csv"
    if media == XLSX:
        return ".xlsx"
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".csv", ".xlsx"):
        return suffix
    raise InvalidInput(
        "an upload sent as application/octet-stream needs ?filename= ending .csv or .xlsx "
        "(or send Content-Type text/csv or the XLSX type)",
        "以 application/octet-stream 上传时，请用 ?filename= 给出以 .csv 或 .xlsx 结尾的文件名"
        "（或使用 text/csv、XLSX 的内容类型）",
    )


def _json(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items() if k != "errors_file"}  # a server path
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Path):
        return str(value)
    return value


@router.post(
    "/imports/{kind}", name="upload_import", status_code=202,
    summary="上传导入文件 · upload an import file",
    openapi_extra={"requestBody": {"required": True, "content": {
        CSV: {"schema": {"type": "string", "format": "binary"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
    responses={202: {"description": "the import job, started"},
               411: {"description": "the upload states no Content-Length"}},
)  # fmt: skip
async def upload_import(
    request: Request, actor: Annotated[Actor, Depends(current_actor)],
    kind: Annotated[str, PathParam(description="households 户籍成员 or cases 在办案件")],
    filename: Annotated[str | None, Query(max_length=200, description="the file's own name "
                                          "(kept with the job)")] = None,
) -> Response:  # fmt: skip
    """Bring households or running cases in from a CSV or XLSX file (the county and the
    administrator; the layout is in docs/import.md).  Answers 202 with the job at once; read
    its progress at `GET /imports/{job_id}` and the refused rows at
    `GET /imports/{job_id}/errors`."""
    service = request.app.state.backend.service
    try:
        if kind not in KINDS:
            raise InvalidInput(f"unknown import kind '{kind}'; expected one of: "
                               f"{', '.join(KINDS)}",
                               f"未知导入类型“{kind}”；可用：households（户籍成员）、cases（在办案件）")  # fmt: skip
        require_role(actor, "import")
        suffix = _suffix(request.headers.get("content-type", ""), filename)
        path = await _receive(request, spool_dir(), suffix)
        job = await run_in_threadpool(service.start_import, actor, kind, path,
                                      filename=filename or path.name)  # fmt: skip
    except JiuzhuError as exc:
        return from_error(exc, instance=request.url.path)
    errors = spool_dir() / f"{job.id}.errors.csv"
    threading.Thread(target=_run, args=(service, actor, job.id, path, errors),
                     name=f"jiuzhu-import-{job.id}", daemon=True).start()  # fmt: skip
    return JSONResponse(_json(job), status_code=202,
                        headers={"Location": f"/imports/{job.id}"})  # fmt: skip


async def _receive(request: Request, spool: Path, suffix: str) -> Path:
    """Stream the body to the spool directory; the file is named by its SHA-256, so the same
    upload lands on the same file."""
    spool.mkdir(parents=True, exist_ok=True)
    partial = spool / f"upload-{uuid.uuid4().hex}.partial"
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            async for chunk in request.stream():
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput("the upload is empty; send the file as the request body",
                               "上传内容为空；请将文件作为请求内容发送")  # fmt: skip
        final = spool / f"{digest.hexdigest()}{suffix}"
        os.replace(partial, final)
        return final
    finally:
        partial.unlink(missing_ok=True)


def _run(service: Any, actor: Actor, job_id: str, path: Path, errors: Path) -> None:
    try:
        service.run_import(actor, job_id, path, errors_path=errors)
    except JiuzhuError as exc:  # recorded on the job by the service; nothing to answer here
        log.warning("import job %s stopped: %s", job_id, exc.code)
    except Exception as exc:  # noqa: BLE001 - a defect: logged; the job says failed
        log.error("import job %s failed: %s", job_id, type(exc).__name__, exc_info=exc)


@router.get("/imports", name="list_imports", summary="导入任务列表 · import jobs")
def list_imports(
    request: Request, actor: Annotated[Actor, Depends(current_actor)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:  # fmt: skip
    """The latest import jobs, newest first."""
    service = request.app.state.backend.service
    try:
        return JSONResponse({"jobs": _json(service.import_jobs(actor, limit=limit))})
    except JiuzhuError as exc:
        return from_error(exc, instance=request.url.path)


@router.get("/imports/{job_id}", name="get_import", summary="导入进度 · an import job")
def get_import(
    request: Request, actor: Annotated[Actor, Depends(current_actor)],
    job_id: Annotated[str, PathParam(pattern=JOB_ID)],
) -> Response:  # fmt: skip
    """The job's state and its rows: total, done, added, skipped (already imported), refused."""
    service = request.app.state.backend.service
    try:
        job = service.import_job(actor, job_id)
    except JiuzhuError as exc:
        return from_error(exc, instance=request.url.path)
    body = _json(job)
    if job.rows_refused:
        body["errors_url"] = f"/imports/{job.id}/errors"
    return JSONResponse(body)


@router.get(
    "/imports/{job_id}/errors", name="import_errors", summary="导入错误报告 · refused rows",
    response_class=Response,
    responses={200: {"description": "the refused rows, CSV with a byte-order mark",
                     "content": {CSV: {"schema": {"type": "string"}}}}},
)  # fmt: skip
def import_errors(
    request: Request, actor: Annotated[Actor, Depends(current_actor)],
    job_id: Annotated[str, PathParam(pattern=JOB_ID)],
) -> Response:  # fmt: skip
    """The refused rows of the job, each with its reason in Chinese and English (ID numbers
    masked); 404 until the job has refused a row."""
    service = request.app.state.backend.service
    try:
        job = service.import_job(actor, job_id)
    except JiuzhuError as exc:
        return from_error(exc, instance=request.url.path)
    errors = spool_dir() / f"{job.id}.errors.csv"
    if not errors.exists():
        return problem("not_found", f"import job {job.id} has no refused rows (yet)",
                       f"导入任务 {job.id} 没有（或尚未产生）被拒绝的行", instance=request.url.path)  # fmt: skip
    return FileResponse(errors, media_type=CSV_BOM, filename=f"import-{job.id}-errors.csv")


__all__ = ["ENV_IMPORT_DIR", "router", "spool_dir"]
