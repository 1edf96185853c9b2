"""``--format table|csv|xlsx|json`` and ``--output/-o FILE`` for the list commands.

A list command takes :data:`FormatOpt`, :data:`OutputOpt` and :data:`FileLimit` and asks
:func:`view_of` what to do before it reads anything (a bad format or path is refused first,
with a usage error in both languages, exit 2).  Then it hands its rows and its
:class:`~jiuzhu.sheets.Sheet` to :func:`write_file` (csv, xlsx) or prints its table or JSON as
before.

* ``table`` (the default) and ``json`` show at most ``--limit`` rows (default 50) and say what
  was cut; ``--json`` is ``--format json``.
* ``csv`` and ``xlsx`` write every row unless ``--limit`` is given.  Without ``-o`` the file
  goes to stdout: csv always, xlsx only when stdout is not a terminal (``> report.xlsx``).
* ``-o FILE`` without ``--format`` takes the format from the file's ending
  (``.csv``, ``.xlsx``, ``.json``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .options import LIMIT_MAX
from .output import emit_json, err, say

if TYPE_CHECKING:
    from ..sheets import Sheet

FORMATS = ("table", "csv", "xlsx", "json")
FILE_FORMATS = ("csv", "xlsx")
DEFAULT_LIMIT = 50

FormatOpt = Annotated[str | None, typer.Option(
    "--format", metavar="FORMAT", help="table 表格 (default), csv (UTF-8 with BOM, for Excel), "
    "xlsx (Excel workbook; needs -o FILE unless stdout is redirected) or json (amounts in fen "
    "分); default from the ending of -o FILE.")]  # fmt: skip
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", help="Write the csv, xlsx or json to this file 输出文件 "
    "(default: stdout).")]  # fmt: skip
FileLimit = Annotated[int | None, typer.Option(
    "--limit", min=1, max=LIMIT_MAX, help="At most this many rows 最多行数 (table and json: "
    "default 50, a line says when the list was cut; csv and xlsx: every row unless given).")]  # fmt: skip


@dataclass(frozen=True)
class View:
    """How a list command shows its rows: the format, the file, the rows' limit (None: all)."""

    fmt: str
    output: Path | None
    limit: int | None

    @property
    def json(self) -> bool:
        return self.fmt == "json"

    @property
    def file(self) -> bool:
        return self.fmt in FILE_FORMATS

    def cut(self, rows: list[Any]) -> list[Any]:
        return rows if self.limit is None else rows[: self.limit]


def usage_error(en: str, zh: str, option: str = "--output") -> typer.BadParameter:
    """A usage error (exit 2) in both languages, naming the option."""
    return typer.BadParameter(f"{en}\n{zh}", param_hint=f"'{option}'")


def view_of(fmt: str | None, output: Path | None, limit: int | None,
            json_out: bool = False) -> View:  # fmt: skip
    """What ``--format``, ``-o``, ``--limit`` and ``--json`` ask for; refused (exit 2) when
    they are unknown, contradict each other or name a file that cannot be written."""
    if fmt is not None:
        fmt = fmt.strip().lower()
        if fmt not in FORMATS:
            raise usage_error(f"'{fmt}' is unknown; expected one of: {', '.join(FORMATS)}",
                              f"格式“{fmt}”无效，应为以下之一：{'、'.join(FORMATS)}", "--format")  # fmt: skip
    if fmt is None and output is not None:
        fmt = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}.get(output.suffix.lower())
        if fmt is None:
            raise usage_error(
                f"cannot tell the format of {output}: give --format csv, xlsx or json, or a "
                "file ending in .csv, .xlsx or .json",
                f"无法从文件名 {output} 判断格式：请用 --format csv、xlsx 或 json，"
                "或以 .csv、.xlsx、.json 结尾的文件名",
            )
    if json_out and fmt not in (None, "json"):
        raise usage_error(f"--json and --format {fmt} contradict each other; give one",
                          f"--json 与 --format {fmt} 相互矛盾，请只用其一", "--format")  # fmt: skip
    fmt = fmt or ("json" if json_out else "table")
    if output is not None:
        if fmt == "table":
            raise usage_error("--output writes a file: give --format csv, xlsx or json",
                              "--output 用于写文件：请同时指定 --format csv、xlsx 或 json")  # fmt: skip
        writable(output)
    elif fmt == "xlsx" and sys.stdout.isatty():
        raise usage_error("an xlsx workbook is not for a terminal: give -o FILE.xlsx "
                          "(or redirect stdout)",
                          "xlsx 工作簿不能输出到终端：请用 -o 文件名.xlsx（或重定向标准输出）",
                          "--format")  # fmt: skip
    if limit is None and fmt not in FILE_FORMATS:
        limit = DEFAULT_LIMIT
    return View(fmt, output, limit)


def writable(path: Path) -> None:
    """Refuse a path that cannot take a new file: a directory, a missing or read-only folder."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise usage_error(f"{path} is a directory; give a file name",
                          f"{path} 是目录，请给出文件名")  # fmt: skip
    if not parent.is_dir():
        raise usage_error(f"{path}: the folder {parent} does not exist",
                          f"{path}：目录 {parent} 不存在")  # fmt: skip
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise usage_error(f"{path} cannot be written (permission denied)",
                          f"{path} 无法写入（没有权限）")  # fmt: skip


def write_file(view: View, sheet: Sheet, rows: Iterable[Mapping[str, Any]],
               total: int | None = None) -> None:  # fmt: skip
    """Write the rows as the view's csv or xlsx, to its file or stdout; say on stderr how
    many rows (of how many) were written."""
    from ..sheets import file_bytes

    listed = list(rows)
    data = file_bytes(sheet, listed, view.fmt)
    put(view, data)
    if view.output is not None:
        of = "" if total is None or total == len(listed) else f" of {total:,}"
        zh_of = "" if not of else f"（共 {total:,} 行）"
        say(f"已写入 {len(listed):,} 行{zh_of}到 {view.output} wrote {len(listed):,} rows{of} "
            f"to {view.output}", "green", err())  # fmt: skip


def write_json(view: View, data: Any) -> None:
    """The JSON of a list: on stdout, or in the ``-o`` file."""
    if view.output is None:
        emit_json(data)
        return
    import json

    put(view, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def put(view: View, data: bytes) -> None:
    if view.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        view.output.write_bytes(data)
    except OSError as exc:  # checked before, but the disk may still refuse (full, removed)
        raise usage_error(f"{view.output} cannot be written ({exc.strerror})",
                          f"{view.output} 无法写入（{exc.strerror}）") from None  # fmt: skip
