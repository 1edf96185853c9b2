"""Configuration documents people write by hand: policy files and holiday notices (pure).

Both come as TOML or JSON; this module reads either, and reads the file, with one wording of
the refusal in English and Chinese.  What the document must contain is checked by its reader
(:mod:`jiuzhu.policy`, :mod:`jiuzhu.calendar_notice`).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from .errors import InvalidInput


def parse_document(text: str, *, toml: bool, what: str, what_zh: str) -> object:
    """The TOML (``toml=True``) or JSON document in ``text``; refused when it does not parse."""
    if toml:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{what} is not valid TOML: {exc}",
                               f"{what_zh}不是有效的 TOML：{exc}") from None  # fmt: skip
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc}",
                           f"{what_zh}不是有效的 JSON：{exc}") from None  # fmt: skip


def read_text(path: str | os.PathLike[str], *, what: str, what_zh: str) -> str:
    """The UTF-8 text of the file at ``path``; refused, naming the file, when unreadable."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise InvalidInput(f"cannot read the {what} {path}: {why}",
                           f"无法读取{what_zh} {path}：{why}") from None  # fmt: skip
