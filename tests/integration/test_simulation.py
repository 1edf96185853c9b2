"""The simulation marker on SQLite and PostgreSQL: set only on a database without history,
never twice, and the only thing that lets ``$JIUZHU_SIMULATED_TIME`` through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import Org, case_in
from sqlalchemy import func, select

from jiuzhu import CaseService, FakeClock, SystemClock
from jiuzhu.clock import SimulatedClock
from jiuzhu.errors import InvalidInput
from jiuzhu.models.calendar_tables import DatabaseSettingRecord
from jiuzhu.simulation import ENV_SIMULATED_TIME, SETTING, clock_for, is_simulation, mark_simulation

SIMULATED = {ENV_SIMULATED_TIME: "2030-01-01T09:00:00+08:00"}


def settings(svc: CaseService) -> int:
    """How many simulation markers the database holds (other settings, such as the ID-number
    index's secret, are not counted)."""
    marker = DatabaseSettingRecord.key == SETTING  # type: ignore[arg-type]
    with svc.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(DatabaseSettingRecord).where(marker)
            ).scalar_one()
        )


def test_an_empty_database_is_marked_once(svc: CaseService, clock: FakeClock) -> None:
    assert not is_simulation(svc.engine)
    assert mark_simulation(svc.engine, clock) is True
    assert is_simulation(svc.engine)
    assert mark_simulation(svc.engine, clock) is False  # already: nothing changes
    assert settings(svc) == 1


def test_a_database_with_a_case_is_not_marked(svc: CaseService, org: Org,
                                              clock: FakeClock) -> None:  # fmt: skip
    case_in(svc, org, "applied")
    with pytest.raises(InvalidInput, match="already holds cases or events") as refused:
        mark_simulation(svc.engine, clock)
    assert "不能标记为模拟数据库" in refused.value.zh
    assert not is_simulation(svc.engine) and settings(svc) == 0


def test_without_the_variable_the_clock_is_the_system_clock(svc: CaseService) -> None:
    assert isinstance(clock_for(svc.engine, {}), SystemClock)
    mark_simulation(svc.engine, FakeClock(datetime(2024, 3, 15, 2, tzinfo=UTC)))
    assert isinstance(clock_for(svc.engine, {}), SystemClock)  # a simulation may run on it too


def test_the_variable_is_refused_on_a_database_that_is_no_simulation(svc: CaseService) -> None:
    with pytest.raises(InvalidInput, match=f"{ENV_SIMULATED_TIME} is set") as refused:
        clock_for(svc.engine, SIMULATED)
    assert "is not a simulation" in refused.value.message
    assert ENV_SIMULATED_TIME in refused.value.zh and "不是模拟数据库" in refused.value.zh


def test_the_variable_gives_a_running_simulated_clock_on_a_simulation(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    assert mark_simulation(svc.engine, clock)  # organisation units are no history
    simulated = clock_for(svc.engine, SIMULATED)
    assert isinstance(simulated, SimulatedClock)
    start = datetime(2030, 1, 1, 1, 0, tzinfo=UTC)
    assert start <= simulated.now() < start + timedelta(minutes=1)
    svc.clock = simulated
    case = case_in(svc, org, "applied")
    (event,) = svc.history(org.county, case.id)
    assert start <= event.occurred_at < start + timedelta(minutes=1)
