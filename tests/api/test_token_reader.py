"""The bearer token's row is read in one round trip, afresh for every request.

On PostgreSQL the read goes through a small pool of its own (autocommit, no ping on checkout):
a connection the server ended is replaced and the read tried once more; a database that cannot
be reached is a 503 in both languages, never a 500; the pool closes with the service's engine.
"""

from __future__ import annotations

import pytest
from helpers import make_county
from sqlalchemy import create_engine, make_url, text

import jiuzhu
from jiuzhu import Role, StorageError
from jiuzhu.api import tokens
from jiuzhu.api.problems import from_error
from jiuzhu.clock import FakeClock

pytestmark = pytest.mark.postgres


def test_a_token_read_survives_a_connection_the_server_ended(
    postgres_url: str, clock: FakeClock
) -> None:
    svc = jiuzhu.connect(postgres_url, clock=clock, upgrade=False)
    try:
        org = make_county(svc)
        _, text_ = tokens.create_token(svc.engine, clock, role="village", org=org.village.org)
        assert tokens.resolve(svc.engine, text_, clock.now()).role is Role.VILLAGE
        reader = tokens.reader_for(svc.engine)
        assert reader.engine is not svc.engine  # its own pool, in autocommit
        with reader.engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with svc.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        actor = tokens.resolve(svc.engine, text_, clock.now())
        assert (actor.role, actor.org) == (Role.VILLAGE, org.village.org)
        with reader.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid
    finally:
        svc.close()


def test_the_token_pool_closes_with_the_service(postgres_url: str, clock: FakeClock) -> None:
    svc = jiuzhu.connect(postgres_url, clock=clock, upgrade=False)
    org = make_county(svc)
    _, text_ = tokens.create_token(svc.engine, clock, role="county", org=org.county.org)
    tokens.resolve(svc.engine, text_, clock.now())
    reader = tokens.reader_for(svc.engine)
    assert reader.engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    svc.close()
    assert reader.engine.pool.checkedin() == 0  # type: ignore[attr-defined]
    assert tokens.reader_for(svc.engine) is not reader  # a new one if the engine is used again
    tokens.reader_for(svc.engine).close()


def test_an_unreachable_database_is_a_503_in_both_languages(
    postgres_url: str, clock: FakeClock
) -> None:
    missing = make_url(postgres_url).set(database="jiuzhu_no_such_database")
    engine = create_engine(missing)
    try:
        with pytest.raises(StorageError) as caught:
            tokens.resolve(engine, "jz_0123456789ab_" + "A" * 43, clock.now())
        assert "unreachable" in str(caught.value) and caught.value.zh
        assert from_error(caught.value).status_code == 503
    finally:
        engine.dispose()
