"""What the commands print: Rich consoles, one-line messages, JSON, times, yuan, long lists."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from functools import cache
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from ..clock import SHANGHAI, parse_iso_utc


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    wide = stream.isatty() or "COLUMNS" in os.environ
    return Console(stderr=stderr, width=None if wide else 120, highlight=False)


@cache
def out() -> Console:
    return _console(stderr=False)


@cache
def err() -> Console:
    return _console(stderr=True)


def say(text: str, style: str = "", console: Console | None = None) -> None:
    """One line, never wrapped (ids and messages stay whole for readers and for grep)."""
    (console or out()).print(Text(text, style=style), soft_wrap=True)


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def local_time(instant: datetime) -> str:
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def when(iso: str | None) -> str:
    """A stored UTC instant (ISO text) as Shanghai time, or a dash."""
    return "—" if iso is None else local_time(parse_iso_utc(iso))


def grouped_yuan(fen: int) -> str:
    """Fen as yuan with thousands separators: 9000000 -> '90,000.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def yuan_text(fen: int | None) -> str:
    return "—" if fen is None else grouped_yuan(fen)


def compact(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(value)


# -- long lists: --limit -------------------------------------------------------------------
def say_cut(shown: int, total: int, *, json_out: bool, offset: int = 0) -> None:
    """When ``--limit`` (or ``--offset``) cut a list, say what is shown of how many: after the
    table, or on stderr with ``--json`` (stdout then holds the JSON alone)."""
    if not offset and shown >= total:
        return
    span = f"{offset + 1:,}–{offset + shown:,}" if offset and shown else f"{shown:,}"
    more = "--limit/--offset" if offset else "--limit"
    say(f"显示 {span} 条，共 {total:,} 条；用 {more} 查看更多 showing {span} of {total:,}; "
        f"use {more}", "yellow", err() if json_out else out())  # fmt: skip
