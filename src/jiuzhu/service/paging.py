"""Pages of a long list: the items, how many there are in all, and where the next page starts.

A cursor is opaque to callers: the sort key of the last item given, as URL-safe base64 of
compact JSON.  Keyset paging (``WHERE key > cursor ORDER BY key LIMIT n``) reads only the rows
of the page, however deep the page; the total is one ``COUNT(*)`` of the same filter.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
BAD_CURSOR = (
    "the page cursor 'after' is not one this service gave; start again from the first page",
    "翻页参数（after）无效，请从第一页重新开始",
)


@dataclass(frozen=True)
class Page:
    """One page: ``items``, ``total`` matching the filter, ``next`` cursor or None at the end."""

    items: list[Any]
    total: int
    next: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"items": [_plain(item) for item in self.items], "total": self.total,
                "next": self.next}  # fmt: skip


def _plain(item: Any) -> Any:
    to_dict = getattr(item, "to_dict", None)
    return to_dict() if callable(to_dict) else item


def page_limit(limit: object) -> int:
    """``limit`` checked: a whole number from 1 to :data:`MAX_LIMIT`."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}",
            f"每页条数（limit）应为 1 到 {MAX_LIMIT} 之间的整数，实际为 {limit!r}",
            limit=str(limit), minimum=1, maximum=MAX_LIMIT,
        )  # fmt: skip
    return limit


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None, width: int) -> list[Any] | None:
    """The sort key a cursor stands for (``width`` values), or None for the first page."""
    if cursor is None:
        return None
    try:
        if not isinstance(cursor, str) or len(cursor) > 512:
            raise ValueError
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(key, list) or len(key) != width:
            raise ValueError
        if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in key):
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(*BAD_CURSOR) from None
    return key


__all__ = [
    "BAD_CURSOR",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "page_limit",
]
