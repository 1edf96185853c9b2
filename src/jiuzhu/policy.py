"""Policy as dated data: dibao lines per city and date, limits, ratios and periods (pure).

A :class:`PolicyBook` holds every value with the day it takes effect.  A decision asks the
book for what was in force on the decision's day and records those values in its event, so a
later change of the book never changes a past decision, and replay reads the values of the
time from the events instead of asking the book again.

Cities are named by the first four digits of a division code (省 2 + 市 2): Qinhuai district
320104 lies in Nanjing 3201, Binhai county 320922 in Yancheng 3209.  The one sourced line is
Nanjing's 945 yuan per person per month from 2020-07-01 (宁民救〔2020〕95号); every other line
is configuration (:meth:`PolicyBook.with_dibao_line`, or a policy file: :func:`read_file`,
described in ``docs/policy.md``), and a city without a line is refused, never guessed.

:data:`SETTINGS` is the one table of settings, each with its source; local practice the rules
leave open is a setting with a default, never a constant in code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .documents import (
    expect_list,
    expect_object,
    from_day,
    known_keys,
    located,
    parse_document,
    read_text,
    refuse_at,
    shown,
)
from .errors import InvalidInput
from .money import to_fen, yuan
from .policy_settings import DEFAULT_SETTINGS, RENAMED, SETTINGS  # (and re-exported)

NANJING = "3201"
SOURCED_LINE_SOURCE = "宁民救〔2020〕95号 (Nanjing, from 2020-07-01)"
EPOCH = date(2000, 1, 1)  # the defaults hold from here until a dated change
ENV_POLICY_FILE = "JIUZHU_POLICY_FILE"
DEMO_FILE = Path(__file__).parent / "policies" / "jiangsu-demo.json"
"""The demo's policy file: lines for Yancheng, Suzhou and Nanjing (see ``docs/policy.md``)."""

MAX_LINE_YUAN = 100_000  # a dibao line above this per person per month is refused as absurd


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
    changes: tuple[tuple[date, Mapping[str, int | bool]], ...] = ()

    # -- reading ---------------------------------------------------------------------------
    def dibao_line(self, city: str, on: date) -> DibaoLine:
        """The line of ``city`` in force on ``on``; refused when none is configured."""
        entries = [e for e in self.lines.get(city, ()) if e.effective_from <= on]
        if not entries:
            known = ", ".join(f"{c} from {es[0].effective_from}" for c, es in
                              sorted(self.lines.items()) if es) or "none"  # fmt: skip
            raise InvalidInput(
                f"no dibao line is configured for city {city} on {on.isoformat()} "
                f"(configured: {known}); add it to the policy book (see docs/policy.md)",
                f"未配置城市 {city} 在 {on.isoformat()} 适用的低保标准，请在政策配置中添加",
                city=city,
                day=on.isoformat(),
            )
        return max(entries, key=lambda e: e.effective_from)

    def settings_on(self, on: date) -> dict[str, int | bool]:
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
        fen = to_fen(amount, what="dibao line", maximum_yuan=MAX_LINE_YUAN)
        if fen <= 0:
            raise InvalidInput("a dibao line must be above zero", "低保标准应大于零")
        same_day = [e for e in self.lines.get(city, ()) if e.effective_from == day]
        if same_day and same_day[0].monthly_fen == fen:
            return self  # the same line stated again (a file may repeat the built-in one)
        if same_day:
            raise InvalidInput(
                f"city {city} already has a line of {yuan(same_day[0].monthly_fen)} yuan from "
                f"{day}; a line in force is never rewritten -- add a change with a later date",
                f"城市 {city} 已有自 {day} 起的低保标准；已生效的标准不能改写，请以新的生效日期添加",
            )
        entries = tuple(sorted((*self.lines.get(city, ()), DibaoLine(city, fen, day, source)),
                               key=lambda e: e.effective_from))  # fmt: skip
        return PolicyBook({**self.lines, city: entries}, self.changes)

    def with_settings(self, effective_from: date | str, **values: int | bool) -> PolicyBook:
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

    def merged(self, config: object, origin: str = "policy configuration") -> PolicyBook:
        """This book plus a configuration document (the shape ``docs/policy.md`` describes).

        Every key is checked; a malformed one is refused naming where it is (e.g.
        ``dibao_lines.3209[0].yuan``) and what was expected."""
        doc = expect_object(config, "", origin, "dibao_lines and changes")
        known_keys(doc, ("dibao_lines", "changes"), "", origin)
        book = self
        lines = expect_object(doc.get("dibao_lines", {}), "dibao_lines", origin, "cities")
        for city, entries in lines.items():
            where = f"dibao_lines.{city}"
            if not (isinstance(city, str) and len(city) == 4 and city.isdigit()):
                refuse_at(origin, where, "a city as its 4-digit division code such as \"3209\"",
                     "城市应为 4 位行政区划代码，如“3209”")  # fmt: skip
            for i, entry in enumerate(expect_list(entries, where, origin, "dated lines")):
                at = f"{where}[{i}]"
                entry = expect_object(entry, at, origin, "a line")
                known_keys(entry, ("from", "yuan", "source"), at, origin)
                day = from_day(entry, at, origin)
                amount = entry.get("yuan")
                if not isinstance(amount, str):
                    refuse_at(origin, f"{at}.yuan", 'a yuan amount as text such as "700"',
                         "低保标准应写成文字形式的金额，如“700”", got=amount)  # fmt: skip
                source = entry.get("source", "configuration")
                if not isinstance(source, str) or not source.strip():
                    refuse_at(origin, f"{at}.source", "text naming the line's source, or "
                         '"configuration (no source known)"', "依据应为文字", got=source)  # fmt: skip
                try:
                    fen = to_fen(amount, what="dibao line", maximum_yuan=MAX_LINE_YUAN)
                except InvalidInput as exc:
                    raise located(exc, origin, f"{at}.yuan") from None
                if fen <= 0:
                    refuse_at(origin, f"{at}.yuan", "a dibao line above zero", "低保标准应大于零",
                         got=amount)  # fmt: skip
                try:
                    book = book.with_dibao_line(city, day, amount, source)
                except InvalidInput as exc:  # a second line from the same day
                    raise located(exc, origin, at) from None
        for i, change in enumerate(
            expect_list(doc.get("changes", []), "changes", origin, "changes")
        ):
            at = f"changes[{i}]"
            change = expect_object(change, at, origin, "a change")
            day = from_day(change, at, origin)
            values = {k: v for k, v in change.items() if k != "from"}
            if not values:
                refuse_at(origin, at, "at least one setting besides \"from\"",
                     "变更应至少包含一个参数")  # fmt: skip
            for key, value in values.items():
                check_setting(key, value, where=f"{at}.{key}", origin=origin)
            book = PolicyBook(book.lines, (*book.changes, (day, values)))
        return book


def check_setting(key: str, value: object, *, where: str = "",
                  origin: str = "policy") -> int | bool:  # fmt: skip
    """``value`` if it is a valid value of setting ``key``; refused naming what was expected."""
    where = where or key
    spec = SETTINGS.get(key)
    if spec is None:
        hint = f" (renamed: {RENAMED[key]})" if key in RENAMED else ""
        raise InvalidInput(f"{origin}: {where}: unknown setting '{key}'{hint}; known: "
                           f"{', '.join(SETTINGS)}", f"{origin}：{where}：未知政策参数“{key}”",
                           key=where)  # fmt: skip
    if spec.bounds is None:
        ok = isinstance(value, bool)
    else:
        ok = (isinstance(value, int) and not isinstance(value, bool)
              and spec.bounds[0] <= value <= spec.bounds[1])  # fmt: skip
    if not ok:
        raise InvalidInput(f"{origin}: {where}: expected {spec.expected} ({spec.meaning}), "
                           f"got {shown(value)}",
                           f"{origin}：{where}：应为 {spec.expected_zh}，实为 {shown(value)}",
                           key=where)  # fmt: skip
    return value  # type: ignore[return-value]


def city_code(text: object) -> str:
    """A city: the 4-digit prefix of a division code (320922 -> 3209)."""
    if not isinstance(text, str) or len(text) < 4 or not text[:4].isdigit():
        raise InvalidInput(
            f"city '{text}' is not a division code; expected e.g. 3201 (Nanjing)",
            f"城市“{text}”不是行政区划代码，应如 3201（南京市）",
        )
    return text[:4]


def _day(value: date | str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"'{value}' is not a date; expected YYYY-MM-DD",
                           f"“{value}”不是有效日期") from None  # fmt: skip


# -- reading a policy file -----------------------------------------------------------------
def load(text: str, base: PolicyBook | None = None, *, fmt: str = "json",
         origin: str = "policy configuration") -> PolicyBook:  # fmt: skip
    """A book from configuration text (JSON or TOML), on top of ``base``
    (default: :data:`DEFAULT_BOOK`)."""
    config = parse_document(text, toml=fmt == "toml", what=origin, what_zh="政策配置")
    return (base or DEFAULT_BOOK).merged(config, origin)


def read_file(path: str | os.PathLike[str]) -> PolicyBook:
    """The built-in book plus the policy file at ``path`` (``.toml``: TOML, else JSON)."""
    path = Path(path)
    text = read_text(path, what="policy file", what_zh="政策配置文件")
    fmt = "toml" if path.suffix.lower() == ".toml" else "json"
    return load(text, fmt=fmt, origin=f"policy file {path}")


def book_from(policy: object = None) -> PolicyBook:
    """The book a service decides by: ``policy`` as a :class:`PolicyBook`, a path to a policy
    file, or a mapping of setting overrides (in force from the epoch, on the built-in book);
    ``None``: the file named by ``$JIUZHU_POLICY_FILE``, else the built-in book."""
    if policy is None:
        name = os.environ.get(ENV_POLICY_FILE, "").strip()
        return read_file(name) if name else DEFAULT_BOOK
    if isinstance(policy, PolicyBook):
        return policy
    if isinstance(policy, str | os.PathLike):
        return read_file(policy)
    if isinstance(policy, Mapping):
        for key, value in policy.items():
            check_setting(str(key), value, origin="policy")
        return PolicyBook(DEFAULT_BOOK.lines, ((EPOCH, dict(policy)),)) if policy else DEFAULT_BOOK
    raise InvalidInput("policy must be a jiuzhu.policy.PolicyBook, a policy file's path or a "
                       f"mapping of settings, not {type(policy).__name__}",
                       "政策配置应为 PolicyBook、政策文件路径或参数映射")  # fmt: skip


DEFAULT_BOOK = PolicyBook().with_dibao_line(NANJING, date(2020, 7, 1), "945", SOURCED_LINE_SOURCE)


def settings_table() -> str:
    """The table of settings as Markdown (``docs/policy.md`` carries it; a test compares)."""
    rows = ["| setting | default | values | what it is | source |", "|---|---|---|---|---|"]
    for key, s in SETTINGS.items():
        default = json.dumps(s.default)
        values = "true / false" if s.bounds is None else f"{s.bounds[0]:,} – {s.bounds[1]:,}"
        rows.append(f"| `{key}` | {default} | {values} | {s.meaning} | {s.source} |")
    return "\n".join(rows) + "\n"
