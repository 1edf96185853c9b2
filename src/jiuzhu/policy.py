"""Policy as dated data: dibao lines per city and date, limits, ratios and periods (pure).

A :class:`PolicyBook` holds every value with the day it takes effect.  A decision asks the
book for what was in force on the decision's day and records those values in its event, so a
later change of the book never changes a past decision, and replay reads the values of the
time from the events instead of asking the book again.

Cities are named by the first four digits of a division code (省 2 + 市 2): Qinhuai district
320104 lies in Nanjing 3201, Binhai county 320922 in Yancheng 3209.  The one sourced line is
Nanjing's 945 yuan per person per month from 2020-07-01 (宁民救〔2020〕95号, DOMAIN §7, source
K); every other line is configuration (:meth:`PolicyBook.with_dibao_line`), and a city without
a line is refused, never guessed.

Settings with a source say so below; the others are local practice the rules leave open, so
they are settings with a default, not constants in code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .errors import InvalidInput
from .money import to_fen, yuan

NANJING = "3201"
SOURCED_LINE_SOURCE = "宁民救〔2020〕95号 (Nanjing, from 2020-07-01)"
EPOCH = date(2000, 1, 1)  # the defaults hold from here until a dated change

# setting -> (default, smallest, largest, what it is)
SETTINGS: dict[str, tuple[int, int, int, str]] = {
    # the standard path (审核确认), A = 最低生活保障审核确认办法 (MCA 2021), E §4(1)
    "standard_limit_wd": (30, 1, 120, "overall limit from acceptance, working days (E §4(1))"),
    "standard_special_limit_wd": (45, 1, 180, "overall limit in special cases (E §4(1))"),
    "investigation_start_wd": (3, 1, 30, "start the investigation after acceptance (A Art. 15)"),
    "verification_start_wd": (3, 1, 30, "county starts the data check after the request (A 17)"),
    "public_notice_days": (7, 1, 30, "public notice, calendar days (A Art. 19)"),
    "county_review_wd": (10, 1, 60, "county review of the materials (A Art. 20)"),
    "rejection_notice_wd": (3, 1, 30, "written reasons to the applicant (A Art. 22)"),
    "max_monthly_amount_yuan": (100_000, 1, 10_000_000, "plausible maximum of a monthly amount"),
    "pay_day": (15, 1, 28, "the monthly allowance is paid on this day of the month"),
    # temporary assistance, Qinhuai's "1+4" (SEED) and 先行救助 (H §2(2))
    "temporary_income_multiple": (2, 1, 10, "condition 1: income below this many dibao lines"),
    "temporary_multiplier_min": (1, 1, 100, "grant: at least this many lines per person"),
    "temporary_multiplier_max": (5, 1, 100, "grant: at most this many lines per person"),
    "assist_first_paperwork_wd": (
        10,
        1,
        60,
        "complete the paperwork after assisting first (no rule found: configuration)",
    ),  # fmt: skip
    # other programmes (recorded for completeness; DOMAIN §7)
    "near_dibao_ratio_pct": (150, 100, 300, "near-dibao: per-capita income below this % of line"),
}
DEFAULT_SETTINGS = {key: spec[0] for key, spec in SETTINGS.items()}


@dataclass(frozen=True)
class DibaoLine:
    city: str
    monthly_fen: int  # yuan per person per month, in fen
    effective_from: date
    source: str

    def as_payload(self) -> dict[str, Any]:
        return {"city": self.city, "dibao_line_fen": self.monthly_fen,
                "line_from": self.effective_from.isoformat(), "line_source": self.source}  # fmt: skip


@dataclass(frozen=True)
class PolicyBook:
    """Dated dibao lines (city -> entries) and dated changes of the settings."""

    lines: Mapping[str, tuple[DibaoLine, ...]] = field(default_factory=dict)
    changes: tuple[tuple[date, Mapping[str, int]], ...] = ()

    # -- reading ---------------------------------------------------------------------------
    def dibao_line(self, city: str, on: date) -> DibaoLine:
        """The line of ``city`` in force on ``on``; refused when none is configured."""
        entries = [e for e in self.lines.get(city, ()) if e.effective_from <= on]
        if not entries:
            known = ", ".join(f"{c} from {es[0].effective_from}" for c, es in
                              sorted(self.lines.items()) if es) or "none"  # fmt: skip
            raise InvalidInput(
                f"no dibao line is configured for city {city} on {on.isoformat()} "
                f"(configured: {known}); add it to the policy book",
                f"未配置城市 {city} 在 {on.isoformat()} 适用的低保标准，请在政策配置中添加",
                city=city,
                day=on.isoformat(),
            )
        return max(entries, key=lambda e: e.effective_from)

    def settings_on(self, on: date) -> dict[str, int]:
        """Every setting as in force on ``on`` (defaults changed by dated entries)."""
        settings = dict(DEFAULT_SETTINGS)
        for effective_from, values in sorted(self.changes, key=lambda c: c[0]):
            if effective_from <= on:
                settings.update(values)
        return settings

    def snapshot(self, city: str, on: date) -> dict[str, Any]:
        """What a decision on ``on`` in ``city`` records: the line and the settings in force."""
        return {**self.settings_on(on), **self.dibao_line(city, on).as_payload(),
                "in_force_on": on.isoformat()}  # fmt: skip

    # -- changing (a new book; the old one is untouched) ------------------------------------
    def with_dibao_line(self, city: str, effective_from: date | str, amount: object,
                        source: str = "configuration") -> PolicyBook:  # fmt: skip
        city = city_code(city)
        day = _day(effective_from)
        fen = to_fen(amount, what="dibao line", maximum_yuan=100_000)
        if fen <= 0:
            raise InvalidInput("a dibao line must be above zero", "低保标准应大于零")
        if any(e.effective_from == day for e in self.lines.get(city, ())):
            raise InvalidInput(
                f"city {city} already has a line from {day}; a line in force is never "
                "rewritten -- add a change with a later date",
                f"城市 {city} 已有自 {day} 起的低保标准；已生效的标准不能改写，请以新的生效日期添加",
            )
        entries = tuple(sorted((*self.lines.get(city, ()), DibaoLine(city, fen, day, source)),
                               key=lambda e: e.effective_from))  # fmt: skip
        return PolicyBook({**self.lines, city: entries}, self.changes)

    def with_settings(self, effective_from: date | str, **values: int) -> PolicyBook:
        day = _day(effective_from)
        for key, value in values.items():
            check_setting(key, value)
        return PolicyBook(self.lines, (*self.changes, (day, dict(values))))

    def describe(self) -> dict[str, Any]:
        """The book as JSON-ready data (lines in yuan text)."""
        return {
            "dibao_lines": {city: [{"from": e.effective_from.isoformat(),
                                    "yuan": yuan(e.monthly_fen), "source": e.source}
                                   for e in entries] for city, entries in sorted(self.lines.items())},
            "changes": [{"from": d.isoformat(), **v} for d, v in sorted(self.changes, key=lambda c: c[0])],
            "defaults": dict(DEFAULT_SETTINGS),
        }  # fmt: skip

    def merged(self, config: Mapping[str, Any]) -> PolicyBook:
        """This book plus a configuration document (the shape :meth:`describe` prints)."""
        unknown = set(config) - {"dibao_lines", "changes"}
        if unknown:
            raise InvalidInput(f"unknown policy sections {sorted(unknown)}; expected "
                               "dibao_lines, changes", f"未知政策配置项：{sorted(unknown)}")  # fmt: skip
        book = self
        for city, entries in dict(config.get("dibao_lines", {})).items():
            for entry in entries:
                book = book.with_dibao_line(city, entry["from"], str(entry["yuan"]),
                                            entry.get("source", "configuration"))  # fmt: skip
        for change in config.get("changes", []):
            values = {k: v for k, v in change.items() if k != "from"}
            book = book.with_settings(change["from"], **values)
        return book


def check_setting(key: str, value: object) -> int:
    spec = SETTINGS.get(key)
    if spec is None:
        raise InvalidInput(f"unknown policy setting '{key}'; known: {', '.join(SETTINGS)}",
                           f"未知政策参数“{key}”")  # fmt: skip
    if isinstance(value, bool) or not isinstance(value, int) or not spec[1] <= value <= spec[2]:
        raise InvalidInput(f"policy setting {key} = {value!r}; expected a whole number "
                           f"{spec[1]}-{spec[2]} ({spec[3]})",
                           f"政策参数 {key} 无效：{value!r}，应为 {spec[1]}-{spec[2]} 的整数")  # fmt: skip
    return value


def city_code(text: object) -> str:
    """A city: the 4-digit prefix of a division code (320922 -> 3209)."""
    if not isinstance(text, str) or len(text) < 4 or not text[:4].isdigit():
        raise InvalidInput(
            f"city '{text}' is not a division code; expected e.g. 3201 (Nanjing)",
            f"城市“{text}”不是行政区划代码，应如 3201（南京市）",
        )
    return text[:4]


def _day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"'{value}' is not a date; expected YYYY-MM-DD",
                           f"“{value}”不是有效日期") from None  # fmt: skip


def load(text: str, base: PolicyBook | None = None) -> PolicyBook:
    """A book from JSON configuration text, on top of ``base`` (default: :data:`DEFAULT_BOOK`)."""
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"policy configuration is not JSON: {exc}",
                           "政策配置不是有效的 JSON") from None  # fmt: skip
    if not isinstance(config, dict):
        raise InvalidInput("policy configuration must be a JSON object", "政策配置应为 JSON 对象")
    try:
        return (base or DEFAULT_BOOK).merged(config)
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"policy configuration is malformed ({exc!r}); expected "
                           '{"dibao_lines": {"3201": [{"from": "2020-07-01", "yuan": "945"}]}, '
                           '"changes": [{"from": "2025-01-01", "standard_limit_wd": 30}]}',
                           "政策配置格式不正确") from None  # fmt: skip


DEFAULT_BOOK = PolicyBook().with_dibao_line(NANJING, date(2020, 7, 1), "945", SOURCED_LINE_SOURCE)
