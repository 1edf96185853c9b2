"""The options many commands share, added to a command by one decorator, :func:`shared`.

A command names what it wants as keyword parameters, and :func:`shared` puts the options on
the command line in their place and hands the command what they mean::

    @case_app.command("approve")
    @shared(actor=True, write="full")
    def case_approve(case_id: CaseArg, ..., *, actor: Actor, db: str | None,
                     write: Write, json_out: bool) -> None:
        view = service(db).approve(actor, case_id, ..., **write)

* ``actor=True``: ``--role``/``--org``/``--user``/``--provider`` (or ``$JIUZHU_ROLE``/
  ``$JIUZHU_ORG``/``$JIUZHU_USER``/``$JIUZHU_PROVIDER``), handed over as ``actor`` (an :class:`~jiuzhu.service.actors.Actor`);
* ``db``: ``--db`` (or ``$JIUZHU_DATABASE_URL``), handed over as ``db``, the text given;
  ``"existing"`` (the default) says in its help that the database must exist, ``"create"``
  that it is created, ``"optional"`` that without it no database is read; ``None``: no --db;
* ``write="full"``: ``--expect-version`` and ``--idempotency-key``; ``write="key"``: the key
  only; handed over as ``write``, the service's keyword arguments (``**write``);
* ``json=True`` (the default): ``--json``, handed over as ``json_out``.

The other options of a command stay in its own signature; the numeric ones are bounded
(``min``/``max``: a value out of range is a usage error, exit 2, never a traceback).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from .common import actor_of

ENV_URL = "JIUZHU_DATABASE_URL"  # = jiuzhu.models.db.ENV_URL (that module loads SQLModel)
ENV_POLICY_FILE = "JIUZHU_POLICY_FILE"  # = jiuzhu.policy.ENV_POLICY_FILE
Write = dict[str, Any]  # expected_version=..., idempotency_key=...: the service's keywords
DbMode = Literal["existing", "create", "optional"]

DB_HELP = {
    "existing": "Database 数据库: SQLAlchemy URL or SQLite file path (default: ./jiuzhu.db); "
    "it must exist (create one with: jiuzhu db upgrade --db PATH).",
    "create": "Database 数据库: SQLAlchemy URL or SQLite file path (default: ./jiuzhu.db); "
    "an SQLite file is created if missing.",
    "optional": "Database 数据库: SQLAlchemy URL or SQLite file path; it must exist "
    "(default: none).",
}
ROLE = typer.Option(
    "--role", envvar="JIUZHU_ROLE", show_envvar=True,
    help="Acting role 角色: village 村（社区）, township 乡镇（街道）, county 县民政局, "
    "verification_centre 核对中心, auditor 审计, admin 管理员, provider 服务机构.")  # fmt: skip
ORG = typer.Option(
    "--org",
    envvar="JIUZHU_ORG",
    show_envvar=True,
    help="The role's organisation unit 所属单位 (e.g. 320922100001); not needed for admin.",
)
USER = typer.Option(
    "--user", envvar="JIUZHU_USER", help="Staff id 工作人员编号 recorded with events (optional; "
    "never a personal ID number).")  # fmt: skip
PROVIDER = typer.Option(
    "--provider", envvar="JIUZHU_PROVIDER", help="Service provider 服务机构 id, for the role "
    "provider only (its staff record the visits of the plans assigned to it).")  # fmt: skip
EXPECT = typer.Option(
    "--expect-version", min=1, max=2**31 - 1, help="Optimistic lock 乐观锁: refuse (exit 3) "
    "unless the case is still at this row version.")  # fmt: skip
KEY = typer.Option(
    "--idempotency-key", help="Idempotency key 幂等键: repeating a command with the same key "
    "returns the first result and changes nothing.")  # fmt: skip
JSON = typer.Option("--json", help="Print machine-readable JSON.")

# Options and arguments of several commands, outside the shared blocks.
CaseArg = Annotated[str, typer.Argument(help="Case id 案件编号 (a UUID).")]
PolicyOpt = Annotated[Path | None, typer.Option(
    "--policy", envvar=ENV_POLICY_FILE, show_envvar=True,
    help="Policy file 政策配置文件 (JSON, or TOML by extension; added to the built-in book; "
    "format: docs/policy.md).")]  # fmt: skip
LIMIT_MAX = 100_000
Limit = Annotated[int, typer.Option(
    "--limit", min=1, max=LIMIT_MAX, help="Show at most this many rows 最多显示行数; a line "
    "says when the list was cut.")]  # fmt: skip


# the appraisal's count of people and votes (village appraisals; bounded: absurd is exit 2)
Attendance = Annotated[int, typer.Option("--attendance", min=0, max=100_000,
                                         help="People present 出席人数.")]  # fmt: skip
VotesFor = Annotated[int, typer.Option("--votes-for", min=0, max=100_000, help="Votes for 赞成票.")]
VotesAgainst = Annotated[int, typer.Option("--votes-against", min=0, max=100_000,
                                           help="Votes against 反对票.")]  # fmt: skip
Abstentions = Annotated[int, typer.Option("--abstentions", min=0, max=100_000,
                                          help="Abstentions 弃权.")]  # fmt: skip


def shared(*, actor: bool = False, db: DbMode | None = "existing",
           write: Literal["full", "key"] | None = None,
           json: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:  # fmt: skip
    """Add the shared options to a command (see the module's docstring)."""
    added: list[tuple[str, Any, Any]] = []  # (parameter, annotation, default)
    if actor:
        added += [("role", Annotated[str | None, ROLE], None),
                  ("org", Annotated[str | None, ORG], None),
                  ("user", Annotated[str | None, USER], None),
                  ("provider", Annotated[str | None, PROVIDER], None)]  # fmt: skip
    if db is not None:
        option = typer.Option("--db", envvar=ENV_URL, show_envvar=True, help=DB_HELP[db])
        added.append(("db", Annotated[str | None, option], None))
    if write == "full":
        added.append(("expect_version", Annotated[int | None, EXPECT], None))
    if write is not None:
        added.append(("idempotency_key", Annotated[str | None, KEY], None))
    if json:
        added.append(("json_out", Annotated[bool, JSON], False))
    asked = {"actor": actor, "db": db is not None, "write": write is not None, "json_out": json}

    handed = {name for name, wanted in asked.items() if wanted}

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(command)
        if not handed <= set(signature.parameters):
            raise TypeError(f"{command.__name__} must take the parameters {sorted(handed)}")
        own = [p for p in signature.parameters.values() if p.name not in handed]
        parameters = [p.replace(kind=p.KEYWORD_ONLY, annotation=_evaluated(p, command))
                      for p in own]  # fmt: skip
        parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                         annotation=annotation, default=default)
                       for name, annotation, default in added]  # fmt: skip

        def run(**given: Any) -> Any:
            if actor:
                given["actor"] = actor_of(given.pop("role"), given.pop("org"), given.pop("user"),
                                          given.pop("provider"))  # fmt: skip
            if write == "full":
                given["write"] = {"expected_version": given.pop("expect_version"),
                                  "idempotency_key": given.pop("idempotency_key")}  # fmt: skip
            elif write == "key":
                given["write"] = {"idempotency_key": given.pop("idempotency_key")}
            return command(**given)

        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(run, attribute, getattr(command, attribute))
        run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        return run

    return decorate


def _evaluated(parameter: inspect.Parameter, command: Callable[..., Any]) -> Any:
    """The parameter's annotation as an object (its module uses postponed annotations)."""
    annotation = parameter.annotation
    if isinstance(annotation, str):
        return eval(annotation, command.__globals__)  # noqa: S307  (our own source text)
    return annotation
