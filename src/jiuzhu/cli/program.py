"""The ``jiuzhu`` program: the root command, its groups, and the boundary where errors end.

Each group lives in a module of its own and adds itself with ``register(app)``; the modules
import from :mod:`.options`, :mod:`.common`, :mod:`.output` and :mod:`.exits`, never from this
one.  Errors are caught here, in :func:`main`, and printed in Chinese and English on stderr; a
command given ``--json`` also prints the error as JSON on stdout.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..errors import JiuzhuError, StorageError
from . import (
    audit,
    audit_log,
    calendar,
    cases,
    circumstance,
    db,
    demo,
    household,
    imports,
    letters,
    money,
    plans,
    policy,
    providers,
    registry,
    review,
    search,
    serve,
    standard,
    temporary,
    users,
    worker,
)
from .exits import EXIT_INTERNAL, exit_codes_help, fail, wants_json

app = typer.Typer(
    name="jiuzhu",
    help="jiuzhu 救助: social-assistance cases as explicit, durable, auditable state machines.",
    epilog=exit_codes_help(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold personal data
)


def version() -> str:
    """The installed package's version (the source tree's when it is not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("jiuzhu")
    except PackageNotFoundError:
        from .. import __version__

        return __version__


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"jiuzhu {version()}")
        raise typer.Exit()


@app.callback()
def root(
    show_version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_print_version,
        help="Print the version 版本 and exit.")] = False,
) -> None:  # fmt: skip
    """jiuzhu 救助: social-assistance cases as explicit, durable, auditable state machines."""


# In the order of `jiuzhu --help`: set-up, the paths of a case, money and audit, operations.
for group in (db, registry, cases, standard, temporary, review, circumstance, policy, plans,
              providers, money, audit, calendar, worker, serve, users, demo):  # fmt: skip
    group.register(app)
search.register(app)  # case search, queue, audit reads
household.register(app)  # jiuzhu household show: the household's chain
imports.register(app)  # jiuzhu import: bringing an existing caseload in
letters.register(app)  # letters on paper: print and check
audit_log.register(app)  # jiuzhu audit publish, prove, consistency: the Merkle log


def main() -> None:
    as_json = wants_json(sys.argv[1:])
    try:
        app(prog_name="jiuzhu")
    except JiuzhuError as exc:
        fail(exc, as_json)
    except Exception as exc:
        if _is_database_error(exc):  # one the service did not translate: the database's words
            message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            fail(StorageError(f"database error: {message}", f"数据库错误：{message}"), as_json)
        # a defect: its traceback (without locals) is for the bug report
        sys.excepthook(type(exc), exc, exc.__traceback__)
        defect = JiuzhuError(f"internal error: {type(exc).__name__}; please report it",
                             f"内部错误：{type(exc).__name__}，请报告此问题")  # fmt: skip
        defect.code = "internal_error"
        fail(defect, as_json, EXIT_INTERNAL)


def _is_database_error(exc: Exception) -> bool:
    if "sqlalchemy" not in sys.modules:  # SQLAlchemy is loaded by whatever could raise it
        return False
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError)
