"""``jiuzhu letter``: letters on paper (文书) as PDF, and checking one (docs/letters.md).

``letter print CASE KIND -o FILE.pdf`` writes the case's approval decision, refusal notice,
revocation and recovery notice or credit commitment; ``letter check`` recomputes a letter from
the case's events, from its PDF or from its check code and case, and exits 1 when it is not
valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InvalidInput
from .common import service
from .exits import EXIT_AUDIT
from .options import shared
from .output import emit_json, say

if TYPE_CHECKING:
    from ..service.actors import Actor

letter_app = typer.Typer(
    help="Letters 文书 as PDF: approval 审批决定书, refusal 不予批准告知书, recovery "
    "撤销及追回通知书, commitment 诚信承诺书; each carries a check code 校验码 bound to the "
    "case's hash chain.",
    no_args_is_help=True,
)
KINDS_HELP = ("approval 审批决定书 | refusal 不予批准告知书 | recovery 撤销及追回通知书 | "
              "commitment 诚信承诺书")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(letter_app, name="letter")


@letter_app.command("print")
@shared(actor=True)
def letter_print(
    case: Annotated[str, typer.Argument(help="Case number 案件编号 (320922-2024-000123) or case "
                                        "id (UUID).")],  # fmt: skip
    kind: Annotated[str, typer.Argument(help=f"Kind of letter 文书种类: {KINDS_HELP}.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PDF file to write "
                                         "输出文件.", dir_okay=False)],  # fmt: skip
    seq: Annotated[int | None, typer.Option("--seq", min=1, max=2**31 - 1, help="The event the "
                   "letter reports 事件序号 (default: the latest of that kind 默认最近一次); an "
                   "earlier one reprints the letter as it was.")] = None,  # fmt: skip
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Print a case's letter 打印文书 as PDF (village, township, county; the names it shows are
    recorded in the personal-data read log)."""
    printed = service(db).letter(actor, case, kind, seq=seq)
    try:
        output.write_bytes(printed.data)
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc.strerror or exc}",
                           f"无法写入文件 {output}：{exc.strerror or exc}") from None  # fmt: skip
    if json_out:
        emit_json(printed.to_dict() | {"output": str(output)})
        return
    say(f"已生成 written: {output} ({len(printed.data):,} bytes)", "bold green")
    say(f"{printed.kind} · 案件 case {printed.case_no} · 事件 event {printed.seq} · "
        f"校验码 check code {printed.code}")  # fmt: skip


@letter_app.command("check")
@shared(actor=True)
def letter_check(
    pdf: Annotated[Path | None, typer.Option("--pdf", help="The letter's PDF file 文书文件.",
                                             dir_okay=False)] = None,  # fmt: skip
    code: Annotated[str | None, typer.Option("--code", help="The check code printed on the "
                                             "letter 校验码, e.g. 3fa2-91c0-77de-0a1b.")] = None,
    case: Annotated[str | None, typer.Option("--case", help="The case number 案件编号 (or id) "
                                             "printed on the letter.")] = None,  # fmt: skip
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Check a letter 核验文书: give --pdf FILE, or --code CODE --case CASE; exits 1 when the
    letter does not match the case's events (any reading role, auditors included)."""
    if (pdf is None) == (code is None):
        raise InvalidInput("give either --pdf FILE or --code CODE --case CASE",
                           "请提供 --pdf 文件，或 --code 校验码 与 --case 案件编号")  # fmt: skip
    data = None
    if pdf is not None:
        try:
            data = pdf.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {pdf}: {exc.strerror or exc}",
                               f"无法读取文件 {pdf}：{exc.strerror or exc}") from None  # fmt: skip
    elif case is None:
        raise InvalidInput("--code needs --case CASE (the case number printed on the letter)",
                           "使用 --code 时请同时用 --case 指定文书上的案件编号")  # fmt: skip
    result = service(db).check_letter(actor, code=code, case_ref=case, pdf=data)
    if json_out:
        emit_json(result.to_dict())
    else:
        say(result.message_zh, "bold green" if result.valid else "bold red")
        say(result.message, "green" if result.valid else "red")
        for d in result.differences:
            say(
                f"  {d['fact']}: 文书 letter {_shown(d['fact'], d['letter'])} ≠ 案件 case "
                f"{_shown(d['fact'], d['case'])}"
            )
    if not result.valid:
        raise typer.Exit(EXIT_AUDIT)


def _shown(fact: str, value: object) -> str:
    """A fact's value as a reader wants it: an amount of fen in yuan, with the unit."""
    from ..money import yuan

    if fact.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
        return f"{yuan(value)} 元 yuan"
    return repr(value)
