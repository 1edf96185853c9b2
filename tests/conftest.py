"""Fixtures shared by every test tier: the clock, the databases, the service, the org tree.

Databases
---------
``db_url`` runs a test once per engine:

* ``sqlite``: a fresh file under ``tmp_path``, copied from a template migrated once per session
  (copying a file is much faster than running the migrations again);
* ``postgres`` (marker ``postgres``): ONE database per session, named
  ``jiuzhu_test_<pid>_<hex>``, created on the server of ``$JIUZHU_TEST_POSTGRES_URL``
  (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), migrated once and dropped
  at the end of the session.  Each test starts from empty tables.  They are emptied with
  DELETE, not TRUNCATE: TRUNCATE would work but costs ~45 ms a test against ~5 ms here.  The
  emptying transaction runs as a replica session, in which the append-only row triggers do
  not fire.  Commits on this throwaway database skip the WAL flush
  (``synchronous_commit = off``): only crash durability changes, never what a transaction sees.
  Likewise the SQLite files sync at checkpoints only (``$JIUZHU_SQLITE_SYNCHRONOUS=NORMAL``,
  inherited by the CLI tests' processes) unless the environment sets a level; jiuzhu's default,
  ``FULL``, is tested in tests/integration/test_sqlite_durability.py.

If PostgreSQL cannot be reached, its tests are skipped with the reason -- except when ``$CI`` is
set: then they fail, so that a CI run never passes without having tested PostgreSQL.
Select an engine with ``-m postgres`` or ``-m "not postgres"``.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import pytest
from helpers import EMPTY_DATABASE_SQL, Org, make_county
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

import jiuzhu
from jiuzhu import CaseService, FakeClock
from jiuzhu.models.db import ENV_SYNCHRONOUS

os.environ.setdefault(ENV_SYNCHRONOUS, "NORMAL")  # throwaway files: see the docstring
START = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the seed's day
POSTGRES_ADMIN_ENV = "JIUZHU_TEST_POSTGRES_URL"
POSTGRES_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at 2024-03-15T02:00Z (10:00 in Shanghai); it moves only when told."""
    return FakeClock(START)


# -- SQLite ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file at the head migration, checkpointed so that the file alone is complete."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    service = jiuzhu.connect(f"sqlite:///{path}")
    with service.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    service.close()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database of this test only."""
    path = tmp_path / "jiuzhu.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


# -- PostgreSQL -----------------------------------------------------------------------------


def _unreachable(reason: str) -> NoReturn:
    message = f"PostgreSQL is needed for the 'postgres' tests but unavailable: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set: these tests may not be skipped)", pytrace=False)
    pytest.skip(message + f" (set ${POSTGRES_ADMIN_ENV} or deselect with -m 'not postgres')")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of this session's migrated PostgreSQL database; dropped when the session ends."""
    admin_url = make_url(os.environ.get(POSTGRES_ADMIN_ENV, POSTGRES_ADMIN_DEFAULT))
    problem = ""
    try:
        admin = create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
        )
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, ImportError) as exc:
        problem = f"{type(exc).__name__}: {exc}".splitlines()[0]
    if problem:
        _unreachable(problem)  # outside the except block: no chained traceback
    name = f"jiuzhu_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        jiuzhu.connect(url).close()  # runs the migrations once
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_resetter(postgres_database: str) -> Iterator[Engine]:
    engine = create_engine(postgres_database)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_database: str, _postgres_resetter: Engine) -> str:
    """The session's PostgreSQL database, emptied for this test (schema and triggers kept)."""
    with _postgres_resetter.begin() as conn:
        for statement in EMPTY_DATABASE_SQL:
            conn.execute(text(statement))
    return postgres_database


# -- the service ----------------------------------------------------------------------------


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
)
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database URL: once on SQLite, once on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def svc(db_url: str, clock: FakeClock, request: pytest.FixtureRequest) -> Iterator[CaseService]:
    """The case service on ``db_url``, driven by ``clock``; closed after the test.

    The database was migrated once for the session (template file / session database), so the
    per-connect migration check (~6 ms of script parsing) is skipped here.  A test or module
    marked ``policy(**settings)`` runs with those fast-track policy settings.
    """
    marker = request.node.get_closest_marker("policy")
    policy = dict(marker.kwargs) if marker else None
    service = jiuzhu.connect(db_url, clock=clock, upgrade=False, policy=policy)
    yield service
    service.close()


@pytest.fixture
def org(svc: CaseService) -> Org:
    """County 320922 with two townships of two villages each (see ``helpers.Org``)."""
    return make_county(svc)
