"""``jiuzhu worker`` in the console program: a cron-style catch-up sweep, one worker per SQLite
file (a second one exits 3 naming the first), a graceful SIGTERM, and ``--help``.

The database is prepared through the library on a clock standing in 2024, and the console
program runs at a simulated time more than a year later (``cli_support``), so that its
verification months ran out long ago.
"""

from __future__ import annotations

import json
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from cli_support import COUNTY, Cli
from helpers import case_in, make_county
from typer.testing import CliRunner

import jiuzhu
from jiuzhu import FakeClock
from jiuzhu.cli import app
from jiuzhu.clock import SHANGHAI

OVERDUE = 2  # cases whose verification month ended in April 2024
CATCH_UP = 7  # the same, for the catch-up summary
APPROVED = datetime(2024, 3, 15, 2, tzinfo=UTC)
VERIFICATION_DUE = datetime(2024, 4, 15, 2, tzinfo=UTC)  # a calendar month later
LATER = datetime(2025, 6, 3, 9, 0, tzinfo=SHANGHAI)  # when the console program runs
TIMEOUT = 60  # seconds; only ever reached when something hangs


@pytest.fixture
def overdue(cli: Cli) -> list[str]:
    """The test's database with two provisionally approved cases approved on 2024-03-15.

    Their policy leaves out the monthly payment run (its 30-odd months of catch-up by the wall
    clock would bury the verification deadlines these tests watch; test_cli_money covers it).
    """
    svc = jiuzhu.connect(str(cli.db), clock=FakeClock(APPROVED),
                         policy={"monthly_payments": False})  # fmt: skip
    try:
        org = make_county(svc)
        cases = [case_in(svc, org, "provisionally_approved").id for _ in range(OVERDUE)]
    finally:
        svc.close()
    cli.now = LATER
    return cases


def deadline_states(cli: Cli) -> list[tuple[str, str]]:
    with sqlite3.connect(cli.db) as conn:
        rows = conn.execute("SELECT kind, status FROM deadlines ORDER BY kind, id").fetchall()
    return [tuple(row) for row in rows]


class Lines:
    """The stderr of a running child, line by line, read by a thread (no polling, no sleeps)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str) -> None:
        while True:
            line = self._queue.get(timeout=TIMEOUT)
            if line is None:
                pytest.fail(f"the worker ended before logging {text!r}:\n{''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return

    def rest(self) -> str:
        self._thread.join(TIMEOUT)
        while (line := self._queue.get_nowait()) is not None:
            self.seen.append(line)
        return "".join(self.seen)


def test_worker_once_fires_the_due_deadlines_and_prints_its_report(
    cli: Cli, overdue: list[str]
) -> None:
    result = cli.ok("worker", "--once", "--worker-id", "cron:1")
    report = json.loads(result.stdout)
    late = report.pop("max_late_seconds") - (LATER - VERIFICATION_DUE).total_seconds()
    assert 0 <= late < 60  # due on 15 April 2024 at 10:00, fired at LATER (and the run's seconds)
    assert report == {"worker": "cron:1", "fired": 2, "skipped": 0, "stale": 0, "failed": 0}
    assert "sweep by cron:1: fired 2," in result.stderr  # the log goes to stderr
    assert (
        deadline_states(cli)
        == [("verification_due", "fired")] * OVERDUE
        + [("verification_reminder", "pending")] * OVERDUE
    )

    again = json.loads(cli.ok("worker", "--once").stdout)
    assert (again["fired"], again["failed"]) == (0, 0)  # nothing fires twice
    assert again["worker"].rsplit(":", 1)[1].isdigit()  # default id: host:pid
    cli.ok("audit", "verify")


def test_worker_dry_run_lists_what_is_due_and_how_late_and_fires_nothing(
    cli: Cli, overdue: list[str]
) -> None:
    before = deadline_states(cli)
    result = cli.ok("worker", "--dry-run")
    row = next(line for line in result.stdout.splitlines() if "容缺审批" in line)
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    # two data checks due on 15 April 2024 at 10:00, 413 days 23 hours before LATER
    assert cells[2:5] == ["2", "0", "2024-04-15"] and cells[6] == "413 天 days 23"
    assert "共 2 个期限到期 2 deadline(s) due; 未触发 none fired" in result.stdout
    assert deadline_states(cli) == before  # nothing fired, nothing claimed
    assert before == [("verification_due", "pending")] * OVERDUE


def test_case_history_shows_the_overdue_event_the_worker_fired(
    cli: Cli, overdue: list[str]
) -> None:
    cli.ok("worker", "--once")
    result = cli("case", "history", overdue[0], *COUNTY)
    assert result.returncode == 0, result.stderr[-400:]
    assert "核对逾期" in result.stdout and "先行批准" in result.stdout


def test_second_worker_on_one_sqlite_file_exits_3_naming_the_running_one(
    cli: Cli, overdue: list[str]
) -> None:
    first = subprocess.Popen(
        [sys.executable, "-m", "jiuzhu.cli", "worker", "--interval", "60", "--worker-id", "first:1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env=cli.env(), cwd=cli.cwd,
    )  # fmt: skip
    try:
        lines = Lines(first)
        lines.wait_for("catch-up by first:1: fired 2,")  # before its loop starts
        second = cli("worker", "--once", "--worker-id", "second:2")
        first.send_signal(signal.SIGTERM)
        stopped = first.wait(TIMEOUT)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert second.returncode == 3, second.stderr
    assert second.stdout == "" and "Traceback" not in second.stderr
    assert f"another jiuzhu worker (pid {first.pid}) is already running" in second.stderr
    assert "an SQLite database serves one worker" in second.stderr
    assert "use PostgreSQL to run several workers" in second.stderr
    assert "SQLite 数据库只能由一个调度进程服务" in second.stderr
    assert stopped == 0  # SIGTERM: a graceful stop
    log = lines.rest()
    assert "worker first:1 stopped: 1 sweeps, 2 fired, 0 failed, 0 job errors" in log
    assert "Traceback" not in log and " ERROR " not in log
    assert deadline_states(cli).count(("verification_due", "fired")) == OVERDUE


def test_worker_help_names_its_options_in_english_and_chinese() -> None:
    result = CliRunner().invoke(app, ["worker", "--help"], prog_name="jiuzhu", terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Usage: jiuzhu worker" in result.output
    assert "期限调度进程" in result.output and "PostgreSQL" in result.output
    for option in ("--db", "--interval", "--batch", "--lease-seconds", "--worker-id", "--once"):
        assert option in result.output
    for term in ("扫描间隔", "每批认领数", "认领租期", "调度进程标识", "单次补扫"):
        assert term in result.output


def test_worker_once_says_what_is_due_then_sums_up_what_it_fired(cli: Cli) -> None:
    svc = jiuzhu.connect(str(cli.db), clock=FakeClock(APPROVED),
                         policy={"monthly_payments": False})  # fmt: skip
    try:
        org = make_county(svc)
        for _ in range(CATCH_UP):
            case_in(svc, org, "provisionally_approved")
    finally:
        svc.close()
    cli.now = LATER
    result = cli.ok("worker", "--once", "--worker-id", "cron:1")
    # off a terminal: log lines on stderr, the start, then the summary (no bar)
    assert f"catch-up: {CATCH_UP} deadline(s) due 到期期限 (verification_due {CATCH_UP}); " \
           "the most late 最迟 413 天 days 23 小时 h" in result.stderr  # fmt: skip
    assert f"catch-up done 补扫完成: fired {CATCH_UP} (verification_due {CATCH_UP}), failed 0, " \
           "up to 413 天 days 23 小时 h late 最迟; " in result.stderr  # fmt: skip
    assert json.loads(result.stdout)["fired"] == CATCH_UP
    again = cli.ok("worker", "--once")
    assert "catch-up: nothing due 无到期期限" in again.stderr
    assert "catch-up done 补扫完成: fired 0 (-), failed 0" in again.stderr


def test_worker_refuses_a_lease_above_the_maximum_naming_it(cli: Cli) -> None:
    """``--lease-seconds 3153600000`` (a hundred years) would stop every deadline it claims."""
    refused = cli("worker", "--once", "--lease-seconds", "3153600000")
    assert refused.returncode == 4 and "Traceback" not in refused.stderr
    assert "longer than the maximum lease of 3600 s" in refused.stderr
    assert (
        "超过最长认领租期 3600 秒" in refused.stderr
        and "JIUZHU_MAX_LEASE_SECONDS" in refused.stderr
    )
