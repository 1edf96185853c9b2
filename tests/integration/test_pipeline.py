"""The writes of a command sent in one pipeline sync with its COMMIT (PostgreSQL), and what
must not move because of it: a lost race and a unique violation inside the pipeline still
refuse the command with the same bilingual errors and write nothing, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import Org, case_in, db_snapshot, fire, make_county
from sqlalchemy import create_engine, func, insert, select

import jiuzhu
from jiuzhu import CaseService, ConcurrencyConflict, FakeClock, StorageError
from jiuzhu.models import log_sql, pipeline, rows
from jiuzhu.models.db import ping_when_idle


@pytest.fixture
def pg(postgres_url: str, clock: FakeClock) -> Iterator[tuple[CaseService, Org]]:
    """The service on PostgreSQL only, with its county."""
    service = jiuzhu.connect(postgres_url, clock=clock, upgrade=False)
    try:
        yield service, make_county(service)
    finally:
        service.close()


def _log_size(svc: CaseService) -> int:
    with svc.engine.connect() as conn:
        return log_sql.size(conn)


def test_a_lost_race_is_refused_and_writes_nothing(svc: CaseService, org: Org,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The case row read is stale (as if another command had committed after the read): the
    version-checked UPDATE matches no row, and the command fails before anything commits."""
    case = case_in(svc, org, "promised")
    real = svc.sql.load_case

    def stale(conn: Any, case_id: str, *, for_update: bool) -> Any:
        row = real(conn, case_id, for_update=for_update)
        return SimpleNamespace(**{**vars(row), "row_version": row.row_version - 1})

    before, log_before = db_snapshot(svc), _log_size(svc)
    monkeypatch.setattr(svc.sql, "load_case", stale)
    with pytest.raises(ConcurrencyConflict) as caught:
        fire(svc, org, case, "review")
    assert f"case {case.id} was changed by someone else" in caught.value.message
    assert "刚被他人修改" in caught.value.zh
    monkeypatch.undo()
    assert db_snapshot(svc) == before
    assert _log_size(svc) == log_before
    assert fire(svc, org, case, "review").state == "reviewed"  # the connection is usable


def test_a_unique_violation_inside_the_writes_is_refused_and_writes_nothing(
    svc: CaseService, org: Org
) -> None:
    """The event the command appends already exists (its seq is taken): the event INSERT fails
    the primary key among the writes sent with the COMMIT, which therefore never commits."""
    case = case_in(svc, org, "promised")
    with svc.engine.begin() as conn:
        conn.execute(insert(rows.events).values(
            case_id=case.id, seq=case.last_seq + 1, type="intruder", payload={},
            actor_role="village", actor_org=org.village.org, actor_user=None,
            occurred_at=svc.clock.now(), prev_hash="0" * 64, hash="f" * 64,
            idempotency_key=None))  # fmt: skip
    before, log_before = db_snapshot(svc), _log_size(svc)
    with pytest.raises(ConcurrencyConflict) as caught:
        fire(svc, org, case, "review")
    assert caught.value.message == (
        "another change to the same record was saved at the same moment; reload and try again"
    )
    assert caught.value.zh == "同一记录刚被他人修改，请刷新后重试"
    assert db_snapshot(svc) == before
    assert _log_size(svc) == log_before


@pytest.mark.postgres
def test_a_command_sends_its_writes_and_commit_in_one_sync(
    pg: tuple[CaseService, Org], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the read, the UPDATE, the event, the log statement and COMMIT go in one send."""
    svc, org = pg
    case = case_in(svc, org, "promised")
    sent: list[tuple[int, bool]] = []
    real = pipeline.send

    def spy(conn: Any, *, commit: bool = False) -> None:
        sent.append((len(conn.info.get(pipeline.KEY) or ()), commit))
        real(conn, commit=commit)

    monkeypatch.setattr(pipeline, "send", spy)
    assert fire(svc, org, case, "review").state == "reviewed"
    assert sent == [(3, True)]  # UPDATE cases, INSERT event, the Merkle log; then COMMIT


@pytest.mark.postgres
def test_sqlalchemy_statements_see_the_writes_held_back(pg: tuple[CaseService, Org]) -> None:
    svc, org = pg
    case = case_in(svc, org, "promised")
    d = rows.deadlines
    count = select(func.count()).select_from(d).where(d.c.case_id == case.id)
    with svc.uow.write() as conn:
        before = conn.execute(count).scalar_one()
        svc.sql.open_deadline(conn, case.id, "held_back", svc.clock.now(), case.last_seq)
        assert len(conn.info[pipeline.KEY]) == 1  # held, not sent
        assert conn.execute(count).scalar_one() == before + 1  # sent before this read
    with svc.engine.connect() as conn:
        assert conn.execute(count).scalar_one() == before + 1  # and committed


@pytest.mark.postgres
def test_a_missing_log_counter_fails_inside_the_pipeline(pg: tuple[CaseService, Org]) -> None:
    """The log's counter row gone (a database not set up by jiuzhu): the held log statement
    fails the sync with the log's own error, and the command's writes roll back."""
    svc, org = pg
    case = case_in(svc, org, "promised")
    before = db_snapshot(svc)
    with svc.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no triggers
        conn.execute(log_sql.HEAD.delete())
    with pytest.raises(StorageError) as caught:
        fire(svc, org, case, "review")
    assert "log_head" in caught.value.message and "log_head" in caught.value.zh
    assert db_snapshot(svc) == before


@pytest.mark.postgres
def test_an_idle_connection_is_pinged_and_replaced_when_dead(postgres_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Back in use within a second a pooled connection is not pinged; after longer, it is, and
    one the server closed meanwhile is replaced before the caller sees it."""
    now = [100.0]
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_s=1.0, clock=lambda: now[0])
    pings: list[int] = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(1) or real(c))
    pid = "SELECT pg_backend_pid()"
    try:
        with engine.connect() as conn:
            first = conn.exec_driver_sql(pid).scalar_one()
        now[0] += 0.5
        with engine.connect() as conn:
            assert conn.exec_driver_sql(pid).scalar_one() == first
        assert pings == []  # reused within a second: not pinged
        admin = create_engine(postgres_url)
        with admin.connect() as other:  # the server drops it
            assert other.exec_driver_sql(f"SELECT pg_terminate_backend({first}, 5000)").scalar()
        admin.dispose()
        now[0] += 2.0
        with engine.connect() as conn:
            assert conn.exec_driver_sql(pid).scalar_one() != first  # a new connection
        assert pings == [1]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_refused_command_gives_the_connection_back_as_the_driver_had_it(
    pg: tuple[CaseService, Org],
) -> None:
    """A command refused after its read (its BEGIN sent in the pipeline) rolls back, and the
    pooled connection opens transactions itself again (autocommit off, no transaction)."""
    from psycopg.pq import TransactionStatus

    from jiuzhu import TransitionNotAllowed

    svc, org = pg
    case = case_in(svc, org, "promised")
    before = db_snapshot(svc)
    with pytest.raises(TransitionNotAllowed):
        fire(svc, org, case, "approve")  # not allowed before the appraisal
    assert db_snapshot(svc) == before
    with svc.engine.connect() as conn:  # the pool hands the same connection back (LIFO)
        raw = conn.connection.driver_connection
        assert raw is not None and raw.autocommit is False
        assert raw.pgconn.transaction_status == TransactionStatus.IDLE
        assert pipeline.KEY not in conn.info
    assert fire(svc, org, case, "review").state == "reviewed"
