"""A year's holiday notice as a file: read, check, and turn into a calendar revision (pure).

The State Council's General Office publishes each year's holidays and make-up working days
(调休) in a notice (国务院办公厅关于某年部分节假日安排的通知), usually in November of the year
before.  An agency loads it with ``jiuzhu calendar import FILE``; ``docs/calendar.md``
specifies the file.  A TOML example::

    year = 2027
    document = "国办发明电〔2026〕7号"      # the notice's document number (文号)
    published_on = 2026-11-10              # the notice's date
    effective_from = 2026-11-10            # optional: when this revision takes effect
    note = "..."                           # optional
    workdays = [2027-02-07, 2027-02-20]    # make-up working days (before the tables below)

    [[holidays]]
    name = "元旦"
    from = 2027-01-01
    to = 2027-01-03

JSON takes the same keys, dates as ``"YYYY-MM-DD"`` text.  Everything is checked before
anything is written; each refusal names the key and says what was expected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .documents import parse_document
from .errors import InvalidInput

KEYS = {"year", "document", "published_on", "effective_from", "note", "holidays", "workdays"}
HOLIDAY_KEYS = {"name", "from", "to"}
MAX_HOLIDAY_DAYS = 15  # the longest holiday so far was 10 days (2020); more is a typo
WEEKDAYS_ZH = "一二三四五六日"


@dataclass(frozen=True)
class Notice:
    year: int
    document: str
    published_on: date
    effective_from: date
    note: str | None
    holidays: dict[date, str]  # day -> holiday name
    workdays: tuple[date, ...]

    def content_sha256(self) -> str:
        """A digest of what the notice says (not of its file's layout)."""
        doc = {"year": self.year, "document": self.document,
               "published_on": self.published_on.isoformat(),
               "effective_from": self.effective_from.isoformat(),
               "holidays": {d.isoformat(): n for d, n in sorted(self.holidays.items())},
               "workdays": [d.isoformat() for d in self.workdays]}  # fmt: skip
        text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _bad(key: str, got: object, expected: str, expected_zh: str) -> InvalidInput:
    shown = repr(got) if not isinstance(got, str) or len(got) < 60 else repr(got[:57] + "...")
    return InvalidInput(f"calendar file: {key} = {shown}; expected {expected}",
                        f"日历文件：{key} 的值 {shown} 不正确，应为{expected_zh}", key=key)  # fmt: skip


def _day(value: object, key: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _bad(key, value, "a date YYYY-MM-DD", "日期（YYYY-MM-DD）")


def _text(value: object, key: str, max_length: int) -> str:
    if (not isinstance(value, str) or not value.strip() or len(value) > max_length
            or any(ord(c) < 32 for c in value)):  # fmt: skip
        raise _bad(key, value, f"text of 1-{max_length} characters",
                   f" 1-{max_length} 个字符的文字")  # fmt: skip
    return value.strip()


def parse(text: str, filename: str = "") -> Notice:
    """Read a notice from TOML (``.toml``) or JSON text and check it."""
    toml = not (filename.endswith(".json") or text.lstrip().startswith("{"))
    doc = parse_document(text, toml=toml, what="calendar file", what_zh="日历文件")
    if not isinstance(doc, dict):
        raise InvalidInput("a calendar file holds one table (TOML) or object (JSON) of keys",
                           "日历文件应为一个 TOML 表或 JSON 对象")  # fmt: skip
    return check(doc)


def check(doc: dict[str, Any]) -> Notice:
    unknown = sorted(set(doc) - KEYS)
    if unknown:
        raise InvalidInput(
            f"calendar file: unknown keys {unknown}; expected {sorted(KEYS)} (in TOML, put "
            "`workdays` before the [[holidays]] tables, or it belongs to the last one)",
            f"日历文件含未知项 {unknown}；可用项为 {sorted(KEYS)}",
        )
    for key in ("year", "document", "published_on", "holidays"):
        if key not in doc:
            raise InvalidInput(f"calendar file: `{key}` is missing", f"日历文件缺少 `{key}`")
    year = doc["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise _bad("year", year, "a year 2000-2100", " 2000-2100 之间的年份")
    document = _text(doc["document"], "document", 100)
    published_on = _day(doc["published_on"], "published_on")
    effective_from = _day(doc.get("effective_from", published_on), "effective_from")
    note = _text(doc["note"], "note", 200) if doc.get("note") is not None else None

    def in_year(day: date, key: str) -> date:
        if day.year != year:
            raise _bad(key, day.isoformat(), f"a day of {year} (a file holds one year)",
                       f" {year} 年内的日期（一个文件只载一年）")  # fmt: skip
        return day

    holidays: dict[date, str] = {}
    entries = doc["holidays"]
    if not isinstance(entries, list) or not entries:
        raise _bad(
            "holidays", entries, "a list of {name, from, to}", "节假日列表（name、from、to）"
        )
    for i, entry in enumerate(entries):
        key = f"holidays[{i}]"
        if not isinstance(entry, dict):
            raise _bad(key, entry, "a table {name, from, to}", "含 name、from、to 的表")
        extra = sorted(set(entry) - HOLIDAY_KEYS)
        if extra or "name" not in entry or "from" not in entry:
            raise _bad(key, entry, "keys name, from and optionally to (a single day)",
                       "name、from 及可选的 to")  # fmt: skip
        name = _text(entry["name"], f"{key}.name", 40)
        first = in_year(_day(entry["from"], f"{key}.from"), f"{key}.from")
        last = in_year(_day(entry.get("to", entry["from"]), f"{key}.to"), f"{key}.to")
        if last < first or (last - first).days >= MAX_HOLIDAY_DAYS:
            raise _bad(f"{key}.to", last.isoformat(), f"a day from {first} to "
                       f"{first + timedelta(days=MAX_HOLIDAY_DAYS - 1)}",
                       f"自 {first} 起 {MAX_HOLIDAY_DAYS} 天内、不早于 from 的日期")  # fmt: skip
        day = first
        while day <= last:
            if day in holidays:
                raise InvalidInput(
                    f"calendar file: {key} ({name}) overlaps '{holidays[day]}' on {day}",
                    f"日历文件：{key}（{name}）与“{holidays[day]}”在 {day} 重叠",
                    key=key,
                )
            holidays[day] = name
            day += timedelta(days=1)
    raw = doc.get("workdays", [])
    if not isinstance(raw, list):
        raise _bad("workdays", raw, "a list of dates", "日期列表")
    workdays: list[date] = []
    for i, value in enumerate(raw):
        key = f"workdays[{i}]"
        day = in_year(_day(value, key), key)
        if day.weekday() < 5:
            raise _bad(key, day.isoformat(), "a Saturday or Sunday (a make-up working day is a "
                       f"weekend day; {day} is a weekday)",
                       f"周六或周日（调休上班日为周末，{day} 为星期{WEEKDAYS_ZH[day.weekday()]}）")  # fmt: skip
        if day in holidays:
            raise InvalidInput(
                f"calendar file: {key} = {day} is also a holiday ({holidays[day]}): a day is "
                "either a holiday or a make-up working day",
                f"日历文件：{key} = {day} 同时是节假日（{holidays[day]}），不能既放假又上班",
                key=key,
            )
        if day in workdays:
            raise _bad(key, day.isoformat(), "each make-up working day once", "不重复的调休日")
        workdays.append(day)
    return Notice(year, document, published_on, effective_from, note, holidays,
                  tuple(sorted(workdays)))  # fmt: skip
