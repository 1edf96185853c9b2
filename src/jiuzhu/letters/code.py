"""The check code (校验码) of a letter: SHA-256 over the canonical JSON of its facts.

The facts are the letter's kind, its case (id and number), the event it reports (seq, type and
that event's chain hash), its amounts in fen and its dates -- never a name or an ID number.
Since the event's hash is chained to every event before it, the code binds the paper to the
case's hash chain.  It is shown as the first 16 hex digits in groups of four
(``3fa2-91c0-77de-0a1b``) and carried in the letter's QR code as
``jiuzhu:letter:<case_no>:<seq>:<code>``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from ..audit.canonical import canonical_bytes
from ..errors import InvalidInput

DIGITS = 16  # hex digits of the SHA-256 shown
QR_PREFIX = "jiuzhu:letter:"
_CODE = re.compile(r"[0-9a-f]{16}")
QR_TEXT = re.compile(r"jiuzhu:letter:([0-9]{6}-[0-9]{4}-[0-9]{6}):([0-9]+):([0-9a-f-]{16,19})")


def digest(facts: Mapping[str, Any]) -> str:
    """The full SHA-256 (hex) of the facts' canonical JSON (RFC 8785)."""
    return hashlib.sha256(canonical_bytes(dict(facts))).hexdigest()


def check_code(facts: Mapping[str, Any]) -> str:
    """The code as compared: the first 16 hex digits of :func:`digest`, no dashes."""
    return digest(facts)[:DIGITS]


def grouped(code: str) -> str:
    """``3fa291c077de0a1b`` -> ``3fa2-91c0-77de-0a1b``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def parse_code(value: object) -> str:
    """A code as typed (any case, dashes or blanks between groups) -> 16 hex digits."""
    text = re.sub(r"[\s-]", "", value).lower() if isinstance(value, str) else ""
    if not _CODE.fullmatch(text):
        raise InvalidInput(
            f"check code '{value}' is malformed; expected 16 hex digits in groups of four, "
            "e.g. 3fa2-91c0-77de-0a1b",
            f"校验码“{value}”格式不正确，应为 16 位十六进制数字（四位一组），如 3fa2-91c0-77de-0a1b",
        )
    return text


def qr_text(case_no: str, seq: int, code: str) -> str:
    return f"{QR_PREFIX}{case_no}:{seq}:{grouped(code)}"


__all__ = ["DIGITS", "QR_TEXT", "check_code", "digest", "grouped", "parse_code", "qr_text"]
