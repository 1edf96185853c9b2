"""Exit codes with one meaning each, and how an error ends a command.

:data:`EXIT_MEANINGS` gives each exit code its meaning; :data:`EXIT_CODES` maps every error
code jiuzhu raises to one of them.  :func:`fail` prints an error in Chinese and English on
stderr and, for a command given ``--json``, as JSON on stdout, then exits with its code.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any, NoReturn

import typer

from ..errors import JiuzhuError
from .output import err, say

EXIT_OK, EXIT_AUDIT, EXIT_USAGE, EXIT_CONFLICT = 0, 1, 2, 3
EXIT_INPUT, EXIT_REFUSED, EXIT_UNAVAILABLE, EXIT_INTERNAL = 4, 5, 6, 7
EXIT_MEANINGS: dict[int, str] = {
    EXIT_OK: "ok 成功",
    EXIT_AUDIT: "audit failure 审计未通过: verify or replay found breaks, or a case's events "
    "cannot be replayed",
    EXIT_USAGE: "usage error 用法错误: an unknown option, a missing or malformed argument",
    EXIT_CONFLICT: "conflict 冲突: a stale --expect-version, a lost race, a reused idempotency "
    "key, another worker on the database; reload and decide again",
    EXIT_INPUT: "invalid input 输入无效 or an unknown record 记录不存在",
    EXIT_REFUSED: "refused 拒绝 by a rule of the workflow or by the role's permissions",
    EXIT_UNAVAILABLE: "unavailable 暂不可用: the working-day calendar of the year is not loaded, "
    "the database is unreachable, or worker --once left deadlines unfired; retry once fixed",
    EXIT_INTERNAL: "internal error 内部错误: a defect in jiuzhu (the traceback is printed; "
    "please report it)",
}
# Every error code jiuzhu raises (tests check that each JiuzhuError subclass is here); a code
# missing from this table is a defect, so it exits EXIT_INTERNAL rather than a guessed bucket.
EXIT_CODES: dict[str, int] = {
    "replay_failed": EXIT_AUDIT,  # the stored events do not replay: what an audit reports
    "conflict": EXIT_CONFLICT,
    "idempotency_key_reused": EXIT_CONFLICT,
    "invalid_input": EXIT_INPUT,
    "not_found": EXIT_INPUT,
    "rule_refused": EXIT_REFUSED,
    "transition_not_allowed": EXIT_REFUSED,
    "permission_denied": EXIT_REFUSED,
    "sign_in_refused": EXIT_REFUSED,
    "account_locked": EXIT_REFUSED,
    "calendar_not_covered": EXIT_UNAVAILABLE,
    "storage": EXIT_UNAVAILABLE,
    "workflow_definition": EXIT_INTERNAL,  # a workflow is defined wrongly: jiuzhu's own defect
}
ERROR_MEMBERS = ("code", "message", "message_zh", "exit_code")


def exit_codes_help() -> str:
    """The exit-code list of ``jiuzhu --help``, from the tables above."""
    lines = []
    for number, meaning in EXIT_MEANINGS.items():
        codes = [code for code, n in EXIT_CODES.items() if n == number]
        lines.append(f"{number}  {meaning}" + (f" ({', '.join(codes)})" if codes else ""))
    return "\b\nExit codes 退出码:\n" + "\n".join(lines)


def exit_code(exc: JiuzhuError) -> int:
    return EXIT_CODES.get(exc.code, EXIT_INTERNAL)


def print_error(exc: JiuzhuError) -> None:
    say(f"错误：{exc.zh}", "bold red", err())
    say(f"Error [{exc.code}]: {exc.message}", "red", err())


def error_json(exc: JiuzhuError, code: int) -> dict[str, Any]:
    """The ``--json`` form of an error: ``{"error": {code, message, message_zh, exit_code, …}}``."""
    details = {k: v for k, v in exc.details.items() if k not in ERROR_MEMBERS}
    return {"error": {"code": exc.code, "message": exc.message, "message_zh": exc.zh,
                      "exit_code": code, **details}}  # fmt: skip


def wants_json(args: list[str]) -> bool:
    """Did the command line ask for JSON (``--json``, or ``report --format json``)?"""
    args = args[: args.index("--")] if "--" in args else args
    return "--json" in args or "--format=json" in args or ("--format", "json") in pairwise(args)


def fail(exc: JiuzhuError, as_json: bool, code: int | None = None) -> NoReturn:
    """End the command with ``exc``: both languages on stderr, JSON on stdout if asked for."""
    code = exit_code(exc) if code is None else code
    if as_json:
        typer.echo(json.dumps(error_json(exc, code), ensure_ascii=False, indent=2, default=str))
    print_error(exc)
    raise SystemExit(code)
