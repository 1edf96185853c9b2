"""``$JIUZHU_SIMULATED_TIME`` in the console program: honoured only on a simulation database.

On any other database every command is refused, in Chinese and English, naming the variable
and the database, and writes nothing; on a simulation database the events carry the simulated
time; a database that already holds cases cannot be marked as a simulation.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import COUNTY, SEED_DAY, STEP, TOWNSHIP, VILLAGE, Binhai, Cli, apply
from helpers import case_in, make_county
from test_cli_cases import assert_refused, snapshot

import jiuzhu
from jiuzhu import FakeClock
from jiuzhu.clock import SHANGHAI, parse_iso_utc

VARIABLE = "JIUZHU_SIMULATED_TIME"
NOT_A_SIMULATION = ("不是模拟数据库", "is not a simulation")


def everything(db: Path) -> tuple[object, ...]:
    """Every row of every table (the settings, units and checkpoints too)."""
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table' ORDER BY name")]  # fmt: skip
        return tuple((t, conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables)


@pytest.fixture
def production(cli: Cli) -> Path:
    """An ordinary database (not a simulation) with Binhai county and a case, on the system
    clock, made in-process."""
    db = cli.cwd / "production.db"
    svc = jiuzhu.connect(str(db), clock=FakeClock(datetime(2024, 3, 15, 2, tzinfo=UTC)))
    try:
        case_in(svc, make_county(svc), "provisionally_approved")
        with svc.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        svc.close()
    return db


REFUSED_COMMANDS = [
    ("org", "add", "--role", "admin", "--id", "320923", "--name", "阜宁县", "--level", "county"),
    ("case", "list", *COUNTY),
    ("worker", "--once"),
    ("report",),
    ("standard", "alarms", *COUNTY),
    ("money", "credit", *COUNTY),
    ("deadlines", "overdue", *COUNTY),
    ("audit", "verify"),
    ("audit", "checkpoint"),
    ("audit", "findings"),
    ("token", "create", "--role", "county", "--org", "320922"),
    ("db", "current"),
    ("db", "upgrade"),
]


def test_every_command_on_a_database_that_is_no_simulation_is_refused_and_writes_nothing(
    cli: Cli, production: Path
) -> None:
    cli.db = production
    before = everything(production)
    for command in REFUSED_COMMANDS:
        result = cli(*command)
        assert_refused(result, 4, "invalid_input", *NOT_A_SIMULATION)
        assert VARIABLE in result.stderr and str(production) in result.stderr, command
    assert everything(production) == before
    cli.now = None  # without the variable the same database works, on the system clock
    assert "audit passed" in cli.ok("audit", "verify").stdout


def test_a_missing_database_is_not_made_when_time_is_simulated(cli: Cli) -> None:
    missing = cli.cwd / "new.db"
    result = cli("org", "add", "--role", "admin", "--id", "320922", "--name", "滨海县",
                 "--level", "county", "--db", str(missing))  # fmt: skip
    assert_refused(result, 4, "invalid_input", "不存在", f"there is no database at {missing}")
    assert not missing.exists()
    made = cli("db", "upgrade", "--db", str(missing))  # the one command that makes one...
    assert_refused(made, 4, "invalid_input", *NOT_A_SIMULATION)  # ...is no simulation
    assert not missing.exists()


def test_serve_refuses_simulated_time(cli: Cli) -> None:
    result = cli("serve", "--port", "0")
    assert_refused(result, 4, "invalid_input", "只按系统时钟运行", "runs on the system clock only")


@pytest.mark.parametrize("text", ["2024-03-15T10:00:00", "next friday", "2024-13-01T00:00+08:00"])
def test_a_malformed_simulated_time_is_refused_in_both_languages(cli: Cli, text: str) -> None:
    cli.now = None
    env = {**cli.env(), VARIABLE: text}
    result = subprocess.run([sys.executable, "-m", "jiuzhu.cli", "case", "list", *COUNTY],
                            capture_output=True, text=True, encoding="utf-8", env=env,
                            cwd=cli.cwd, check=False)  # fmt: skip
    assert_refused(result, 4, "invalid_input", "不是带时区偏移的 ISO-8601 时间",
                   "is not an ISO-8601 instant with an offset")  # fmt: skip
    assert text in result.stderr


def test_events_on_a_simulation_database_carry_the_simulated_time(cli: Cli, binhai: Binhai) -> None:
    cli.now = start = datetime(2028, 2, 29, 23, 59, tzinfo=SHANGHAI)  # a leap day, near midnight
    case = apply(cli, binhai)
    cli.ok("case", "withdraw", case["id"], *TOWNSHIP, "--reason", "家属撤回")
    history = cli.json("case", "history", case["id"], *VILLAGE)
    assert [e["type"] for e in history] == ["apply", "withdraw"]
    applied, withdrawn = (parse_iso_utc(e["occurred_at"]) for e in history)
    assert parse_iso_utc(case["opened_at"]) == applied
    assert start <= applied < start + STEP <= withdrawn < start + 2 * STEP
    assert withdrawn.astimezone(SHANGHAI).date().isoformat() == "2028-03-01"  # past midnight
    cli.ok("audit", "verify")


def test_a_database_with_cases_cannot_be_marked_as_a_simulation(cli: Cli, production: Path) -> None:
    before = everything(production)
    for now in (None, SEED_DAY):
        cli.now = now
        result = cli("db", "upgrade", "--simulation", "--db", str(production))
        assert_refused(
            result, 4, "invalid_input", "已有案件或事件", "already holds cases or events"
        )
        assert str(production) in result.stderr
    assert everything(production) == before
    cli.now = None
    assert "simulation" not in cli.ok("db", "current", "--db", str(production)).stdout


def test_an_empty_database_is_marked_once_and_then_honours_simulated_time(cli: Cli) -> None:
    fresh = cli.cwd / "fresh.db"
    cli.now = None
    assert "simulation" not in cli.ok("db", "upgrade", "--db", str(fresh)).stdout
    marked = cli.ok("db", "upgrade", "--simulation", "--db", str(fresh)).stdout
    assert "marked as a simulation" in marked
    again = cli.ok("db", "upgrade", "--simulation", "--db", str(fresh)).stdout
    assert "already a simulation" in again and "already at head" in again
    assert "模拟数据库 simulation" in cli.ok("db", "current", "--db", str(fresh)).stdout
    cli.db, cli.now = fresh, datetime(2031, 7, 1, 9, 0, tzinfo=SHANGHAI)
    cli.ok("org", "add", "--role", "admin", "--id", "320922", "--name", "滨海县",
           "--level", "county")  # fmt: skip
    with sqlite3.connect(fresh) as conn:
        (created,) = conn.execute("SELECT created_at FROM org_units").fetchone()
    assert created.startswith("2031-07-01 01:00")
    assert snapshot(fresh)[1] == []  # no case
