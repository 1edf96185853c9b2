"""Refuse what cannot be a valid request before anything parses it.

An ASGI middleware in front of the application:

* a body larger than ``max_body`` bytes is refused with 413, from ``Content-Length`` alone
  when given, else as soon as the streamed body passes the limit (nothing is parsed);
* a request body must be ``application/json`` (or ``+json``), else 415, and UTF-8 (RFC 8259),
  else 400 -- so no other encoding is guessed at; a JSON object that names a key twice is
  refused (400), since parsers disagree on which value counts;
* an upload (``POST /imports/{kind}``: a CSV or XLSX file as the raw body) is the one
  exception: it must state its ``Content-Length``, at most ``max_upload`` bytes (else 411 or
  413), and be CSV, XLSX or ``application/octet-stream`` (else 415); its body is not held in
  memory here but streamed by the endpoint to a file;
* a token in the query string (``?token=``, ``?access_token=`` ...) is refused (401): query
  strings end up in access logs, proxies and browser histories; tokens go in the
  ``Authorization`` header.

:class:`SafeHeaders` marks every response ``Cache-Control: no-store`` (they carry personal
data) and ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem

DEFAULT_MAX_BODY = 64 * 1024
DEFAULT_MAX_UPLOAD = 256 * 1024 * 1024  # a county's caseload as CSV is tens of megabytes
UPLOAD_PATH = re.compile(r"/imports/[^/]+")
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_TYPES = frozenset({CSV, XLSX, "application/octet-stream"})
# query parameters that carry a credential (compared in lower case, - and _ alike)
TOKEN_PARAMETERS = frozenset({"token", "access_token", "accesstoken", "auth_token", "bearer",
                              "authorization", "api_key", "apikey", "jwt", "id_token"})  # fmt: skip


def token_parameters(query: str) -> list[str]:
    """The names in a query string that carry a credential."""
    names = (name for name, _ in parse_qsl(query, keep_blank_values=True))
    return [n for n in names if n.strip().lower().replace("-", "_") in TOKEN_PARAMETERS]


class RequestGuard:
    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY,
                 max_upload: int = DEFAULT_MAX_UPLOAD) -> None:  # fmt: skip
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope.get("path", "")
        query = scope.get("query_string", b"").decode("latin-1")
        if query and token_parameters(query):
            response = problem(
                "unauthenticated", "a token may not travel in the query string (it would be "
                "logged); send it in the Authorization header: Bearer jz_...",
                "令牌不能放在网址查询参数中（会被记录在日志里），请在 Authorization 请求头中提供（Bearer jz_...）",
                instance=path, headers={"WWW-Authenticate": 'Bearer realm="jiuzhu", '
                                        'error="invalid_request"'})  # fmt: skip
            await response(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None and (not length.strip().isdigit()):
            await _refuse(scope, receive, send, "bad_request", "Content-Length is not a number",
                          "Content-Length 不是数字", path)  # fmt: skip
            return
        if scope.get("method") == "POST" and UPLOAD_PATH.fullmatch(path):
            await self._upload(scope, receive, send, headers, length, path)
            return
        if length is not None and int(length) > self.max_body:
            await self._too_large(scope, receive, send, path)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > self.max_body:
                await self._too_large(scope, receive, send, path)
                return
            more = message.get("more_body", False)
        if body:
            refusal = _check_body(headers, bytes(body))
            if refusal is not None:
                await _refuse(scope, receive, send, *refusal, path)
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, path: str,
                         limit: int | None = None) -> None:  # fmt: skip
        limit = self.max_body if limit is None else limit
        await _refuse(scope, receive, send, "payload_too_large",
                      f"the body is larger than {limit:,} bytes",
                      f"请求内容超过 {limit:,} 字节上限", path)  # fmt: skip

    async def _upload(self, scope: Scope, receive: Receive, send: Send, headers: Headers,
                      length: str | None, path: str) -> None:  # fmt: skip
        """An upload goes on unread, once its stated size and type are acceptable."""
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if length is None:
            await _refuse(scope, receive, send, "length_required", "an upload must state its "
                          "size in Content-Length", "上传文件须在 Content-Length 中注明大小",
                          path, status=411)  # fmt: skip
        elif int(length) > self.max_upload:
            await self._too_large(scope, receive, send, path, self.max_upload)
        elif media not in UPLOAD_TYPES:
            await _refuse(scope, receive, send, "unsupported_media_type",
                          f"an upload must be {CSV} or {XLSX} (or application/octet-stream "
                          f"with a file name ending .csv or .xlsx), not {media or 'untyped'}",
                          "上传文件应为 CSV 或 XLSX（Excel）文件", path)  # fmt: skip
        else:
            await self.app(scope, receive, send)


def _check_body(headers: Headers, body: bytes) -> tuple[str, str, str] | None:
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if not (media == "application/json" or (media.startswith("application/")
                                            and media.endswith("+json"))):  # fmt: skip
        return ("unsupported_media_type", f"the body must be application/json, not "
                f"{media or 'untyped'}", "请求内容类型应为 application/json")  # fmt: skip
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ("bad_request", f"the body is not UTF-8 text (byte {exc.start})",
                "请求内容不是 UTF-8 编码")  # fmt: skip
    try:
        json.loads(text, object_pairs_hook=_no_duplicates)
    except DuplicateKey as exc:
        return ("bad_request", f"the JSON body names the key '{exc.key}' more than once",
                f"请求内容中字段“{exc.key}”出现了不止一次")  # fmt: skip
    except (ValueError, RecursionError):
        return None  # not JSON: the application says so
    return None


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key[:64]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


class SafeHeaders:
    """``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff`` on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = "no-store"
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, marked)


async def _refuse(scope: Scope, receive: Receive, send: Send, code: str, detail: str, zh: str,
                  path: str, status: int | None = None) -> None:  # fmt: skip
    response = problem(code, detail, zh, instance=path, headers={"Connection": "close"},
                       status=status)  # fmt: skip
    await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: Any = await receive()
        return message  # type: ignore[no-any-return]

    return replay
