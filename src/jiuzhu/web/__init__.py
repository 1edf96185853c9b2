"""The web front for case workers and auditors: server-rendered pages over the service.

``mount(app, service)`` adds the pages, the static files and the session/CSRF handling to the
API application made by :func:`jiuzhu.api.create_app` (call it last there, after the API's
middleware is added).  Pages answer only what a browser asks for (``Accept: text/html``, no
``Authorization`` header; form posts), so the API's routes on the same paths and its bearer
tokens are untouched.  Every label is Chinese first, with a switch to English (a cookie).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import Match
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..api.guard import RequestGuard
from ..service.service import CaseService
from . import (
    frame,
    pages_account,
    pages_apply,
    pages_audit,
    pages_case,
    pages_find,
    pages_household,
    pages_provider,
)

__all__ = ["mount"]
log = logging.getLogger("jiuzhu.web")
DOWNLOADS = frozenset({pages_audit.DOWNLOAD})  # asked for without Accept: text/html


def mount(app: FastAPI, service: CaseService) -> None:
    """Serve the web pages from ``app``, acting through ``service``."""
    app.state.web = frame.WebState(service)
    pages = [
        (frame.DownloadRoute if path in DOWNLOADS else frame.PageRoute)(
            path, _safe(endpoint), methods=methods, name=f"web.{endpoint.__name__}")
        for module in (pages_account, pages_find, pages_apply, pages_case, pages_household,
                       pages_provider, pages_audit)
        for path, endpoint, methods in module.routes()
    ]  # fmt: skip
    # ahead of the API's routes: a page route only matches a browser's request
    app.router.routes[0:0] = pages
    app.mount("/static", StaticFiles(directory=frame.HERE / "static"), name="web-static")
    app.add_exception_handler(frame.SignInNeeded, _to_sign_in)
    app.add_exception_handler(frame.CsrfRefused, _csrf_refused)
    for index, entry in enumerate(app.user_middleware):
        if entry.cls is RequestGuard:
            app.user_middleware[index] = Middleware(PageGuard, *entry.args, pages=pages,
                                                    **entry.kwargs)  # fmt: skip


def _safe(endpoint: Callable[[Request], Any]) -> Callable[[Request], Awaitable[Response]]:
    """The page, or -- for a defect, never for a refusal the service explains -- a page that
    says so in both languages (logged; never a traceback on the screen)."""

    async def page(request: Request) -> Response:
        try:
            if request.method == "POST":  # the body is read here, on the event loop
                request.state.form = await request.form()
            # the page itself (the service's database reads, argon2 at sign-in) runs in the
            # thread pool, so that one person's page never holds up another's
            return await run_in_threadpool(endpoint, request)  # type: ignore[no-any-return]
        except (frame.SignInNeeded, frame.CsrfRefused):
            raise
        except Exception as exc:  # noqa: BLE001 - a defect: logged, shown as a message
            log.error("web page %s %s failed: %s", request.method, request.url.path,
                      type(exc).__name__, exc_info=exc)  # fmt: skip
            return frame.render(request, "error.html", 500, message="服务内部错误，已记录。"
                                " / An internal error occurred; it has been logged.")  # fmt: skip

    page.__name__ = endpoint.__name__
    return page


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, frame.SignInNeeded)
    return frame.redirect("/sign-in?next=" + quote(exc.back, safe=""))


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    return frame.render(request, "csrf.html", 403)


class PageGuard:
    """The API's request guard, letting the pages' form posts through with the same size limit.

    The API takes JSON bodies only (415 otherwise); a browser's form is
    ``application/x-www-form-urlencoded``.  A form post to a page's path is refused above
    ``max_body`` bytes and goes on; everything else, form posts to the API's paths included,
    meets the API's guard.
    """

    def __init__(self, app: ASGIApp, max_body: int = 64 * 1024,
                 pages: Sequence[frame.PageRoute] = (), **limits: int) -> None:  # fmt: skip
        self.app = app
        self.guard = RequestGuard(app, max_body=max_body, **limits)
        self.max_body = max_body
        self.pages = tuple(pages)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and _is_form(scope)
                and any(p.matches(scope)[0] is Match.FULL for p in self.pages)):  # fmt: skip
            length = dict(scope["headers"]).get(b"content-length", b"")
            if not length.isdigit() or int(length) > self.max_body:
                await _too_large(scope, receive, send, self.max_body)
                return
            await self.app(scope, receive, send)
            return
        await self.guard(scope, receive, send)


def _is_form(scope: Scope) -> bool:
    content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    return content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    from fastapi.responses import HTMLResponse

    body = (f"<!doctype html><html lang=zh><meta charset=utf-8><title>413</title>"
            f"<p>表单内容过大（上限 {limit:,} 字节）。<p lang=en>The form is larger than "
            f"{limit:,} bytes.")  # fmt: skip
    await HTMLResponse(body, status_code=413)(scope, receive, send)
