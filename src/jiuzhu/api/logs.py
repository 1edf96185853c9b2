"""The HTTP service's logs: credentials kept out, a request id on every line, text or JSON.

The guard refuses a token in the query string (:mod:`.guard`), but the access log line is
written for the refused request too: :class:`RedactTokens` rewrites the logged path so that
the values of credential parameters, and anything shaped like a jiuzhu token (``jz_...``),
read ``[redacted]``.

:class:`RequestIds` gives each request an id -- the caller's ``X-Request-Id`` when it is a
plain token of at most 64 characters, else a new one -- sends it back in ``X-Request-Id`` and
holds it in a context variable, so that uvicorn's access line and every jiuzhu log line the
request causes carry it (:class:`WithRequestId`).  ``jiuzhu serve --log-format json`` writes
one JSON object per line (python-json-logger) for a log collector.
"""

from __future__ import annotations

import copy
import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG

from .guard import TOKEN_PARAMETERS

REDACTED = "[redacted]"
_TOKEN = re.compile(r"jz_[A-Za-z0-9_\-]+")
REQUEST_ID: ContextVar[str] = ContextVar("jiuzhu_request_id", default="-")
_GIVEN_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
FORMATS = ("text", "json")


def redact(path: str) -> str:
    """``path`` (with its query) without credential values."""
    base, sep, query = path.partition("?")
    if sep:
        parts = []
        for piece in query.split("&"):
            name = piece.partition("=")[0]
            names = parse_qsl(name, keep_blank_values=True)
            plain = names[0][0] if names else name
            if plain.strip().lower().replace("-", "_") in TOKEN_PARAMETERS:
                piece = f"{name}={REDACTED}"
            parts.append(piece)
        query = "&".join(parts)
    return _TOKEN.sub(REDACTED, base + sep + query)


class RedactTokens(logging.Filter):
    """For uvicorn's access logger: its record's arguments are (client, method, path, ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


class RequestIds:
    """ASGI middleware: the request's id, in a context variable and the response's header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, marked)
        finally:
            REQUEST_ID.reset(token)


class WithRequestId(logging.Filter):
    """Puts the current request's id (``-`` outside a request) on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def log_config(fmt: str = "text") -> dict[str, Any]:
    """uvicorn's logging set-up with :class:`RedactTokens` on the access log, the request id on
    every line, and jiuzhu's own loggers on the same handler; ``fmt`` ``json`` writes JSON."""
    config = copy.deepcopy(LOGGING_CONFIG)
    filters = config.setdefault("filters", {})
    filters["redact_tokens"] = {"()": "jiuzhu.api.logs.RedactTokens"}
    filters["request_id"] = {"()": "jiuzhu.api.logs.WithRequestId"}
    config["handlers"]["access"].setdefault("filters", []).extend(["redact_tokens", "request_id"])
    config["handlers"]["default"].setdefault("filters", []).append("request_id")
    formatters = config["formatters"]
    if fmt == "json":
        for name in ("default", "access"):
            formatters[name] = {"()": "pythonjsonlogger.json.JsonFormatter",
                                "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s "
                                "%(message)s", "rename_fields": {"asctime": "time"}}  # fmt: skip
    else:
        formatters["default"]["fmt"] = "%(levelprefix)s [%(request_id)s] %(message)s"
        formatters["access"]["fmt"] = ('%(levelprefix)s [%(request_id)s] %(client_addr)s - '
                                       '"%(request_line)s" %(status_code)s')  # fmt: skip
    config["loggers"]["jiuzhu"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


__all__ = [
    "FORMATS",
    "REDACTED",
    "REQUEST_ID",
    "RedactTokens",
    "RequestIds",
    "WithRequestId",
    "log_config",
    "redact",
]
