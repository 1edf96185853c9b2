"""What every page shares: the templates, the session cookie, the CSRF check, the errors.

The session is the accounts' (``svc.sign_in`` / ``svc.session``): its token travels in an
HttpOnly, SameSite=Strict cookie on ``/`` (Secure over https) and its CSRF token in a hidden
field of every form, checked on every POST.  The actor of every page is ``SignedIn.actor``;
the service decides what it may do.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.routing import Match, Route

from ..errors import JiuzhuError, SignInRefused
from ..service.actors import ROLE_LABELS
from ..service.service import CaseService
from . import i18n, sentences

SESSION_COOKIE = "jiuzhu_session"
LOGIN_CSRF_COOKIE = "jiuzhu_login_csrf"
HERE = Path(__file__).parent
ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                  trim_blocks=True, lstrip_blocks=True)  # fmt: skip
ENV.filters["yuan"] = sentences.yuan_text
ENV.filters["shanghai"] = sentences.shanghai
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class WebState:
    """What the pages reach through ``request.app.state.web``."""

    service: CaseService


class SignInNeeded(Exception):  # noqa: N818 - a redirect, not an error
    def __init__(self, back: str) -> None:
        self.back = back


class CsrfRefused(Exception):  # noqa: N818
    pass


class PageRoute(Route):
    """A page: matches only what a browser asks for, so that the API's routes on the same
    paths (``GET /cases/{case_id}`` as JSON, bearer tokens) keep answering API clients.
    A download (``any_accept``) is asked for with ``Accept: */*``: its path is the pages' own."""

    any_accept = False

    def matches(self, scope: Any) -> tuple[Match, Any]:
        if scope["type"] != "http":
            return Match.NONE, {}
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if "authorization" in headers:
            return Match.NONE, {}
        if scope["method"] in ("GET", "HEAD"):
            if not self.any_accept and "text/html" not in headers.get("accept", ""):
                return Match.NONE, {}
        elif headers.get("content-type", "").split(";")[0].strip().lower() not in FORM_TYPES:
            return Match.NONE, {}
        return super().matches(scope)


class DownloadRoute(PageRoute):
    any_accept = True


def service(request: Request) -> CaseService:
    return request.app.state.web.service  # type: ignore[no-any-return]


def lang(request: Request) -> str:
    return i18n.lang_of(request.cookies.get(i18n.LANG_COOKIE))


def signed_in(request: Request) -> Any:
    """The request's ``SignedIn``, or a redirect to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInNeeded(_here(request))
    try:
        return service(request).session(token)
    except SignInRefused:
        raise SignInNeeded(_here(request)) from None


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query if request.method == "GET" else "/"


def posted(request: Request) -> dict[str, str]:
    """The fields of the submitted form (read before the page ran: see :func:`jiuzhu.web._safe`)."""
    form = getattr(request.state, "form", None) or {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


def form_of(request: Request, csrf: str) -> dict[str, str]:
    """The submitted form, after its CSRF token was checked against ``csrf``."""
    data = posted(request)
    sent = data.pop("csrf", "")
    if not csrf or not hmac.compare_digest(sent.encode(), csrf.encode()):
        raise CsrfRefused()
    return data


def local_path(back: str | None) -> str:
    """``back`` if it is a path of this site, else ``/`` (no open redirect)."""
    if back and back.startswith("/") and not back.startswith("//") and "\\" not in back:
        return back
    return "/"


def render(request: Request, template: str, status: int = 200, signed: Any = None,
           back: str | None = None, **context: Any) -> HTMLResponse:  # fmt: skip
    """``template`` with the frame's context; ``back`` is where the language switch returns
    (default: this page, or home after a form post)."""
    language = lang(request)
    html = ENV.get_template(template).render(
        lang=language,
        t=lambda key, **v: i18n.t(language, key, **v),
        pick=lambda label: i18n.pick(language, label),
        role_label=lambda role: i18n.pick(language, ROLE_LABELS.get(role, role)),
        roles_text=lambda roles: (" or " if language == "en" else "或").join(
            i18n.pick(language, ROLE_LABELS.get(r, r)) for r in roles
        ),
        signed=signed,
        csrf=signed.csrf if signed is not None else "",
        path=request.url.path,
        here=quote(back or _here(request)),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def error_text(request: Request, error: JiuzhuError) -> str:
    return error.message if lang(request) == "en" else error.zh


STATUS = {"invalid_input": 422, "rule_refused": 422, "transition_not_allowed": 409,
          "not_found": 404, "permission_denied": 403, "conflict": 409,
          "sign_in_refused": 401, "account_locked": 403}  # fmt: skip


def status_of(error: JiuzhuError) -> int:
    return STATUS.get(error.code, 400)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def set_session(response: Response, request: Request, signed: Any) -> None:
    response.set_cookie(SESSION_COOKIE, signed.token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")  # fmt: skip


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def login_csrf(request: Request) -> str:
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
