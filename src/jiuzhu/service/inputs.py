"""Checks of caller input.  Each failure says what was wrong and what was expected."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime

from ..errors import InvalidInput

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ORG_ID = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")
MAX_TEXT = 2000
MAX_COUNT = 100_000


def record_id(value: object, what: str = "case id") -> str:
    if not isinstance(value, str) or not _UUID.match(value.strip().lower()):
        raise InvalidInput(
            f"{what} '{value}' is malformed; expected a UUID such as "
            "'3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d'",
            f"{what}“{value}”格式不正确，应为 UUID（如 3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d）",
        )
    return value.strip().lower()


def org_id(value: object) -> str:
    if not isinstance(value, str) or not _ORG_ID.match(value):
        raise InvalidInput(
            f"organisation unit id '{value}' is malformed; expected 1-32 letters, digits, - or _ "
            "(e.g. the division code 320922)",
            f"单位编码“{value}”格式不正确，应为 1-32 位字母、数字、- 或 _（如区划代码 320922）",
        )
    return value


def idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _KEY.match(value):
        raise InvalidInput(
            "idempotency key must be 1-128 printable ASCII characters without spaces",
            "幂等键应为 1-128 个可打印 ASCII 字符且不含空格",
        )
    return value


def staff_id(value: object) -> str:
    """The optional staff id of an actor (a work id, never a personal ID number)."""
    if not isinstance(value, str) or not _KEY.match(value) or len(value) > 64:
        raise InvalidInput(
            "the actor's staff id must be 1-64 printable ASCII characters without spaces",
            "操作人工号应为 1-64 个可打印 ASCII 字符且不含空格",
        )
    return value


def day(value: date | str | None, what: str, *, earliest: date, today: date) -> str:
    """A calendar day given as a date or 'YYYY-MM-DD', not before ``earliest`` nor after today."""
    if value is None:
        value = today
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                f"{what} '{value}' is not a date; expected YYYY-MM-DD",
                f"{what}“{value}”不是有效日期",
            ) from None
    if not isinstance(value, date):
        raise InvalidInput(f"{what} must be a date (YYYY-MM-DD)", f"{what}应为日期")
    if value > today:
        raise InvalidInput(
            f"{what} {value} is in the future (today is {today})",
            f"{what} {value} 晚于今天（{today}）",
        )
    if value < earliest:
        raise InvalidInput(
            f"{what} {value} is before the application was made ({earliest})",
            f"{what} {value} 早于申请日期（{earliest}）",
        )
    return value.isoformat()


def instant(value: datetime | str | None, what: str, *, default: datetime) -> datetime:
    """A timezone-aware instant, or ISO text with an offset (e.g. 2024-03-15T09:00+08:00)."""
    if value is None:
        return default
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                f"{what} '{value}' is not a date-time; expected e.g. 2024-03-15T09:00+08:00",
                f"{what}“{value}”不是有效时间",
            ) from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(
            f"{what} needs a time zone (e.g. 2024-03-15T09:00+08:00)", f"{what}须包含时区"
        )
    return value.astimezone(UTC)


def count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidInput(
            f"{what} must be a whole number from 0 to {MAX_COUNT:,}, got {value!r}",
            f"{what}应为 0 到 {MAX_COUNT:,} 之间的整数，实际为 {value!r}",
        )
    return value


# NUL and the other C0 controls but tab and newlines: PostgreSQL refuses NUL in text, and none
# of them belongs in a name, a reason or a note
_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


def _has_lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# Bidirectional controls (embeddings, overrides, isolates, marks): all of category Cf too, named
# here so that the rule does not hang on the Unicode database's version
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _format_character(value: str) -> str | None:
    """The first invisible format character in ``value`` (category Cf, or a bidi control).

    Right-to-left overrides, zero-width spaces and joiners make a name or a reason read
    otherwise than it is stored (a spoofed name, a reversed amount); none belongs in either.
    """
    if value.isascii():
        return None
    for c in value:
        if c in _BIDI or unicodedata.category(c) == "Cf":
            return c
    return None


def text(value: object, what: str, *, required: bool, max_length: int = MAX_TEXT) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{what} is required", f"请填写{what}")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text", f"{what}应为文字")
    value = value.strip()
    if any(c in value for c in _CONTROL) or _has_lone_surrogate(value):
        raise InvalidInput(
            f"{what} contains control characters or broken Unicode; give plain text",
            f"{what}含有控制字符或无效字符，请填写普通文字",
        )
    hidden = _format_character(value)
    if hidden is not None:
        code = f"U+{ord(hidden):04X}"
        name = unicodedata.name(hidden, "format character")
        raise InvalidInput(
            f"{what} contains the invisible character {code} ({name}), which can make text "
            "read otherwise than it is stored; remove it",
            f"{what}含有不可见的格式控制字符 {code}，可能使文字显示与实际内容不符，请删除",
            field=what,
            code_point=code,
        )
    if len(value) > max_length:
        raise InvalidInput(
            f"{what} is {len(value)} characters long; at most {max_length} are kept",
            f"{what}过长（{len(value)} 字），最多 {max_length} 字",
        )
    return value


def choice(value: object, what: str, options: Mapping[str, object]) -> str:
    if value not in options:
        raise InvalidInput(
            f"{what} '{value}' is not known; expected one of: {', '.join(options)}",
            f"{what}“{value}”无效；可选：{'、'.join(options)}",
        )
    return str(value)
