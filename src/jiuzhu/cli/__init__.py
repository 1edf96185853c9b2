"""The ``jiuzhu`` command line (Typer + Rich): a thin shell over the case service.

Every command that touches a database takes ``--db`` (a SQLAlchemy URL or an SQLite file path;
default ``$JIUZHU_DATABASE_URL``, else ``./jiuzhu.db``), which must exist: only ``jiuzhu db
upgrade`` and ``jiuzhu demo`` create one.  Case commands act as a role at an organisation unit,
given with ``--role``/``--org`` or ``$JIUZHU_ROLE``/``$JIUZHU_ORG``.

The package, one module per command group (each at most a few hundred lines):

* :mod:`.program`: the root command, ``--version``, the groups, :func:`main` (the error
  boundary); :mod:`.exits`: exit codes and errors; :mod:`.output`: printing;
  :mod:`.options`: the shared options (``--db``, the actor, ``--expect-version``/
  ``--idempotency-key``, ``--json``) as one decorator; :mod:`.common`: the actor, the database,
  the clock and the service a command runs on;
* the groups: :mod:`.db`, :mod:`.registry` (org, household), :mod:`.cases` and
  :mod:`.case_output`, :mod:`.standard`, :mod:`.temporary`, :mod:`.policy`, :mod:`.plans`
  (plan, deadlines), :mod:`.money` (money, report), :mod:`.audit`, :mod:`.calendar`,
  :mod:`.worker` (worker, diagrams), :mod:`.serve` (serve, token), :mod:`.demo`.

Importing this package is cheap: the commands, and what they run on (SQLAlchemy, Alembic, the
service, FastAPI, the demo), load when a command runs, so ``jiuzhu --help`` stays quick.
"""

from __future__ import annotations

from typing import Any

# names kept from the single-module CLI, for the tests and whoever imports them
_EXPORTS = {
    "app": "program", "version": "program",
    "EXIT_CODES": "exits", "EXIT_MEANINGS": "exits", "EXIT_OK": "exits", "EXIT_AUDIT": "exits",
    "EXIT_USAGE": "exits", "EXIT_CONFLICT": "exits", "EXIT_INPUT": "exits",
    "EXIT_REFUSED": "exits", "EXIT_UNAVAILABLE": "exits", "EXIT_INTERNAL": "exits",
    "wants_json": "exits", "fail": "exits",
    "service": "common", "cli_clock": "common", "existing_engine": "common",
    "actor_of": "common", "database_url": "common",
}  # fmt: skip


def main() -> None:
    """The console script ``jiuzhu`` (``python -m jiuzhu.cli``)."""
    from .program import main as run

    run()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jiuzhu.cli' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)


__all__ = sorted(_EXPORTS)
