"""Reading a letter back from its PDF (pypdf): the facts and QR text put in its metadata, or,
when the metadata is gone, the check code, case number and event seq printed at its foot."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput
from .code import QR_TEXT, parse_code

_PRINTED = {
    "code": re.compile(r"checkcode：([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})"),
    "case_no": re.compile(r"caseno\.：([0-9]{6}-[0-9]{4}-[0-9]{6})"),
    "seq": re.compile(r"eventseq：([0-9]+)"),
}
MAX_PDF = 20 * 1024 * 1024


@dataclass(frozen=True)
class Claimed:
    """What a letter says of itself: its case number, event seq, code, (from the metadata) its
    facts, and its printed text without blanks."""

    case_no: str
    seq: int
    code: str
    facts: dict[str, Any] | None
    text: str


def unreadable(why: str, why_zh: str) -> InvalidInput:
    return InvalidInput(f"the file is not a readable jiuzhu letter: {why}",
                        f"该文件不是可识别的 jiuzhu 文书：{why_zh}")  # fmt: skip


def read_letter(data: bytes) -> Claimed:
    if not isinstance(data, bytes | bytearray) or not data.startswith(b"%PDF"):
        raise unreadable("it is not a PDF", "不是 PDF 文件")
    if len(data) > MAX_PDF:
        raise unreadable("it is larger than 20 MB", "文件超过 20 MB")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(bytes(data)))
        meta: Any = reader.metadata or {}
        keywords, subject = str(meta.get("/Keywords") or ""), str(meta.get("/Subject") or "")
        found = QR_TEXT.fullmatch(keywords.strip())
        text = re.sub(r"[\s\x00]", "", "".join(page.extract_text() or "" for page in reader.pages))
        if found:
            return Claimed(found[1], int(found[2]), parse_code(found[3]), _facts(subject), text)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise unreadable(f"the PDF cannot be read ({type(exc).__name__})", "PDF 无法读取") from None
    printed = {key: pattern.search(text) for key, pattern in _PRINTED.items()}
    if not all(printed.values()):
        raise unreadable("it carries no check code, case number and event seq",
                         "文件中未找到校验码、案件编号和事件序号")  # fmt: skip
    code, case_no, seq = (m[1] for m in printed.values() if m is not None)
    return Claimed(case_no, int(seq), parse_code(code), None, text)


def _facts(subject: str) -> dict[str, Any] | None:
    try:
        facts = json.loads(subject)
    except ValueError:
        return None
    return facts if isinstance(facts, dict) else None


__all__ = ["Claimed", "read_letter"]
