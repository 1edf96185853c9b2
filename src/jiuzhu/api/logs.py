"""Keep credentials out of uvicorn's access log.

The guard refuses a token in the query string (:mod:`.guard`), but the access log line is
written for the refused request too: :class:`RedactTokens` rewrites the logged path so that
the values of credential parameters, and anything shaped like a jiuzhu token (``jz_...``),
read ``[redacted]``.  ``jiuzhu serve`` installs it through :data:`LOG_CONFIG`.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from uvicorn.config import LOGGING_CONFIG

from .guard import TOKEN_PARAMETERS

REDACTED = "[redacted]"
_TOKEN = re.compile(r"jz_[A-Za-z0-9_\-]+")


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


def log_config() -> dict[str, Any]:
    """uvicorn's default logging set-up with :class:`RedactTokens` on the access log."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": "jiuzhu.api.logs.RedactTokens"}
    config["handlers"]["access"].setdefault("filters", []).append("redact_tokens")
    return config


__all__ = ["REDACTED", "RedactTokens", "log_config", "redact"]
