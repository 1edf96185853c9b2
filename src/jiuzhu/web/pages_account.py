"""Signing in and out, and the language switch."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..errors import JiuzhuError
from . import frame, i18n


def sign_in_page(request: Request) -> Response:
    back = frame.local_path(request.query_params.get("next"))
    return _sign_in_form(request, back)


def _sign_in_form(request: Request, back: str, error: str = "", status: int = 200,
                  username: str = "") -> Response:  # fmt: skip
    token = frame.login_csrf(request)
    response = frame.render(request, "sign_in.html", status, login_csrf=token, next_path=back,
                            error=error, username=username)  # fmt: skip
    response.set_cookie(frame.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/sign-in")  # fmt: skip
    return response


def sign_in(request: Request) -> Response:
    data = frame.posted(request)
    expected = request.cookies.get(frame.LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(data.get("csrf", "").encode(), expected.encode()):
        raise frame.CsrfRefused()
    back = frame.local_path(data.get("next"))
    try:
        signed = frame.service(request).sign_in(data.get("username", ""), data.get("password", ""))
    except JiuzhuError as exc:
        return _sign_in_form(request, back, frame.error_text(request, exc), frame.status_of(exc),
                             data.get("username", ""))  # fmt: skip
    response = frame.redirect(back)
    frame.set_session(response, request, signed)
    response.delete_cookie(frame.LOGIN_CSRF_COOKIE, path="/sign-in")
    return response


def sign_out(request: Request) -> Response:
    signed = frame.signed_in(request)
    frame.form_of(request, signed.csrf)
    frame.service(request).sign_out(signed.token)
    response = frame.redirect("/sign-in")
    frame.clear_session(response)
    return response


def switch_language(request: Request) -> Response:
    to = i18n.lang_of(request.query_params.get("to"))
    response = frame.redirect(frame.local_path(request.query_params.get("back")))
    response.set_cookie(i18n.LANG_COOKIE, to, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


def routes() -> list[tuple[str, Any, list[str]]]:
    return [
        ("/sign-in", sign_in_page, ["GET"]),
        ("/sign-in", sign_in, ["POST"]),
        ("/sign-out", sign_out, ["POST"]),
        ("/lang", switch_language, ["GET"]),
    ]
