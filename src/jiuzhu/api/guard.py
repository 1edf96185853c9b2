"""Refuse what cannot be a valid request before anything parses it.

An ASGI middleware in front of the application:

* a body larger than ``max_body`` bytes is refused with 413, from ``Content-Length`` alone
  when given, else as soon as the streamed body passes the limit (nothing is parsed);
* a request body must be ``application/json`` (or ``+json``), else 415, and UTF-8 (RFC 8259),
  else 400 -- so no other encoding is guessed at.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem

DEFAULT_MAX_BODY = 64 * 1024


class RequestGuard:
    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope.get("path", "")
        length = headers.get("content-length")
        if length is not None and (not length.strip().isdigit()):
            await _refuse(scope, receive, send, "bad_request", "Content-Length is not a number",
                          "Content-Length 不是数字", path)  # fmt: skip
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

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        await _refuse(scope, receive, send, "payload_too_large",
                      f"the body is larger than {self.max_body:,} bytes",
                      f"请求内容超过 {self.max_body:,} 字节上限", path)  # fmt: skip


def _check_body(headers: Headers, body: bytes) -> tuple[str, str, str] | None:
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if not (media == "application/json" or (media.startswith("application/")
                                            and media.endswith("+json"))):  # fmt: skip
        return ("unsupported_media_type", f"the body must be application/json, not "
                f"{media or 'untyped'}", "请求内容类型应为 application/json")  # fmt: skip
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ("bad_request", f"the body is not UTF-8 text (byte {exc.start})",
                "请求内容不是 UTF-8 编码")  # fmt: skip
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, code: str, detail: str, zh: str,
                  path: str) -> None:  # fmt: skip
    response = problem(code, detail, zh, instance=path, headers={"Connection": "close"})
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
