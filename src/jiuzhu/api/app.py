"""The FastAPI application: a thin HTTP shell over one :class:`CaseService`.

``create_app(service)`` builds it; ``jiuzhu serve`` runs it with the web front mounted on it
(:mod:`jiuzhu.web.site`), with uvicorn.  Nothing here decides who may do what: the
token gives the actor, the service decides.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

import jiuzhu

from ..errors import JiuzhuError
from ..metrics import CONTENT_TYPE, exposition
from ..service.actors import Actor, require_role
from ..service.service import CaseService
from .audit import router as audit_router
from .auth import current_actor
from .docs import mount_docs
from .endpoints import build
from .guard import DEFAULT_MAX_BODY, DEFAULT_MAX_UPLOAD, RequestGuard, SafeHeaders
from .imports import router as imports_router
from .letters import router as letters_router
from .logs import RequestIds
from .markdown import markdown
from .messages import error_zh, status_text
from .problems import BY_STATUS, MEDIA_TYPE, STATUS, TITLES, from_error, problem
from .routes import ROUTES
from .summaries import summary_of

log = logging.getLogger("jiuzhu.api")
ENV_MAX_BODY = "JIUZHU_API_MAX_BODY"
ENV_MAX_UPLOAD = "JIUZHU_API_MAX_UPLOAD"
# Documented on every operation (500 too, below); a test checks that each status an error of
# jiuzhu.errors can get (api/problems.py) is here.
ERROR_STATUSES = (400, 401, 403, 404, 409, 412, 413, 415, 422, 503)


@dataclass
class Backend:
    """What the endpoints reach through ``request.app.state.backend``."""

    service: CaseService


def create_app(service: CaseService, *, max_body: int = DEFAULT_MAX_BODY,
               max_upload: int = DEFAULT_MAX_UPLOAD) -> FastAPI:  # fmt: skip
    app = FastAPI(
        title="jiuzhu 救助",
        version=jiuzhu.__version__,
        description="Social-assistance cases as explicit, durable, auditable state machines. "
        "Every request carries a bearer token (`jiuzhu token create`); the token's role and "
        "organisation unit decide, in the service, what it may do and where. Errors are RFC "
        "9457 problem details with a stable `code` and a Chinese `message_zh`.",
        openapi_tags=[{"name": t} for t in dict.fromkeys(r.tag for r in ROUTES)],
        docs_url=None,
        redoc_url=None,
    )
    app.state.backend = Backend(service)
    for route in ROUTES:
        endpoint, response = build(route, CaseService)
        app.add_api_route(route.path, endpoint, methods=[route.method], tags=[route.tag],
                          status_code=route.status, response_model=response,
                          name=route.name, summary=summary_of(route.name),
                          response_class=JSONResponse, responses=route.responses)  # fmt: skip
    app.include_router(audit_router)
    app.include_router(letters_router)
    app.include_router(imports_router)
    app.add_api_route("/health", health, methods=["GET"], tags=["service"],
                      summary="服务状态 · liveness (no token needed)")  # fmt: skip
    app.add_api_route("/metrics", metrics_page, methods=["GET"], tags=["service"],
                      summary="运行指标 · metrics (Prometheus text format)",
                      response_class=Response, responses=METRICS_RESPONSE)  # fmt: skip
    mount_docs(app)
    _install_handlers(app)
    app.add_middleware(RequestGuard, max_body=max_body, max_upload=max_upload)
    app.add_middleware(SafeHeaders)
    app.add_middleware(RequestIds)  # outermost: every response and log line carries the id
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def health() -> dict[str, str]:
    return {"status": "ok"}


METRICS_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "description": "Prometheus text format 0.0.4",
    "content": {"text/plain": {"schema": {"type": "string"},
                               "example": 'jiuzhu_deadlines_due{kind="allowance_due"} 12.0\n'}}}}  # fmt: skip


def metrics_page(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Response:
    """Counts for operators (admin, county, auditor; no personal data): this process' commands
    by outcome and their latency; from the database, deadlines by status, due now by kind, the
    worker's lag, deadlines fired, cases by workflow and state, the latest audit checkpoint.
    Scrape it with a bearer token (Prometheus `authorization: credentials`)."""
    require_role(actor, "read_metrics")
    service = request.app.state.backend.service
    return Response(exposition(service.engine, service.clock.now()), media_type=CONTENT_TYPE)


def app_from_env() -> FastAPI:
    """A uvicorn factory of the API alone (one per worker process; schema already at head);
    ``jiuzhu serve`` runs :func:`jiuzhu.web.site.site_from_env`, the API with the web front.

    The service decides by the policy file named by ``$JIUZHU_POLICY_FILE`` (``jiuzhu serve
    --policy FILE`` sets it, after checking the file), as the command line does."""
    service = jiuzhu.connect(os.environ.get("JIUZHU_DATABASE_URL"), upgrade=False)
    return create_app(service, max_body=int(os.environ.get(ENV_MAX_BODY, DEFAULT_MAX_BODY)),
                      max_upload=int(os.environ.get(ENV_MAX_UPLOAD, DEFAULT_MAX_UPLOAD)))  # fmt: skip


# -- errors ------------------------------------------------------------------------------------


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(JiuzhuError)
    async def on_jiuzhu_error(request: Request, exc: JiuzhuError) -> JSONResponse:
        return from_error(exc, instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type")}
            for e in exc.errors()
        ]  # fmt: skip  (never the input: it may be personal)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem("bad_request", "the body is not valid JSON", "请求内容不是有效的 JSON",
                           instance=request.url.path, errors=errors)  # fmt: skip
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
        zh = "；".join(error_zh(e) for e in exc.errors()[:5])
        return problem("invalid_input", f"the request does not match the API: {where}",
                       f"请求内容不符合接口定义：{zh}", instance=request.url.path,
                       errors=errors)  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = BY_STATUS.get(exc.status_code, "bad_request")
        en, zh = status_text(exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(code, "error")
        if exc.status_code in (404, 405):  # the framework's "Not Found" says less than this
            detail = f"{en} ({request.method} {request.url.path})"
        response = problem(code, detail, zh, instance=request.url.path, status=exc.status_code)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def on_defect(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s %s: %s", request.method, request.url.path,
                  type(exc).__name__, exc_info=exc)  # fmt: skip
        return problem("internal_error", "an internal error occurred; it has been logged",
                       "服务内部错误，已记录", instance=request.url.path)  # fmt: skip


# -- the OpenAPI document ----------------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details, with jiuzhu's code and Chinese message.",
    "required": ["type", "title", "status", "detail", "code", "message_zh"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string"},
        "message_zh": {"type": "string"},
        "details": {"type": "object"},
    },
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error answered as ``application/problem+json``."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description,
                      routes=app.routes, tags=app.openapi_tags)  # fmt: skip
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            if operation.get("description"):
                operation["description"] = markdown(operation["description"])
            responses = operation.setdefault("responses", {})
            for status in ERROR_STATUSES:
                if status in (401, 403) and path == "/health":
                    continue
                responses[str(status)] = {
                    "description": "; ".join(TITLES[c] for c, s in STATUS.items() if s == status),
                    "content": {MEDIA_TYPE: {"schema": ref}},
                }
            responses["500"] = {"description": "internal error",
                                "content": {MEDIA_TYPE: {"schema": ref}}}  # fmt: skip
    app.openapi_schema = doc
    return doc
