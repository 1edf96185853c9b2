"""Configuration documents people write by hand: policy files and holiday notices (pure).

Both come as TOML or JSON; this module reads either, and reads the file, with one wording of
the refusal in English and Chinese.  What the document must contain is checked by its reader
(:mod:`jiuzhu.policy`, :mod:`jiuzhu.calendar_notice`), with the helpers at the end: each
refusal names the document, the key path inside it and what was expected there.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

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


# -- where a document is wrong: each refusal names the origin, the key path and what was expected
def shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return json.dumps(value[:40], ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    return {list: "a list", dict: "an object", type(None): "nothing"}.get(type(value), "a value")


def refuse_at(origin: str, where: str, expected: str, zh: str, *, got: object = ...) -> None:
    tail = "" if got is ... else f", got {shown(got)}"
    raise InvalidInput(f"{origin}: {where or 'the document'}: expected {expected}{tail}",
                       f"{origin}：{where or '文件'}：{zh}", key=where)  # fmt: skip


def located(exc: InvalidInput, origin: str, where: str) -> InvalidInput:
    return InvalidInput(f"{origin}: {where}: {exc.message}", f"{origin}：{where}：{exc.zh}",
                        key=where)  # fmt: skip


def expect_object(value: object, where: str, origin: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        refuse_at(origin, where, f"an object (a table) of {what}", "应为对象（键值表）", got=value)
    return value  # type: ignore[return-value]


def expect_list(value: object, where: str, origin: str, what: str) -> list[Any]:
    if not isinstance(value, list):
        refuse_at(origin, where, f"a list of {what}", "应为列表", got=value)
    return value  # type: ignore[return-value]


def known_keys(doc: Mapping[str, Any], keys: tuple[str, ...], where: str, origin: str) -> None:
    for key in doc:
        if key not in keys:
            at = f"{where}.{key}" if where else key
            refuse_at(origin, at, "one of " + ", ".join(keys) + f" (unknown key '{key}')",
                 f"未知的键“{key}”，应为 " + "、".join(keys))  # fmt: skip


def from_day(entry: Mapping[str, Any], where: str, origin: str) -> date:
    if "from" not in entry:
        refuse_at(origin, f"{where}.from", 'the day it takes effect, "from": "YYYY-MM-DD"',
             "缺少生效日期 from（YYYY-MM-DD）")  # fmt: skip
    value = entry["from"]
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # TOML has dates of its own
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    refuse_at(origin, f"{where}.from", "a date YYYY-MM-DD such as \"2024-01-01\"",
         "生效日期应为 YYYY-MM-DD 格式，如“2024-01-01”", got=value)  # fmt: skip
    raise AssertionError  # unreachable: _bad raises
