"""Helpers for the CLI tests: run the real command line in a child process.

``Cli(...)(ARGS)`` runs ``python -m jiuzhu.cli ARGS`` with ``$JIUZHU_DATABASE_URL`` pointing at the
test's own file (so the command under test resolves ``--db`` exactly as a user's shell would),
and with every other ``JIUZHU_*`` variable of the developer's environment removed.

No CLI test depends on the day it runs: the test's database is marked as a simulation and each
command runs with ``$JIUZHU_SIMULATED_TIME`` at ``Cli.now``, which starts on the seed's day
(2024-03-15 10:00 in Shanghai) and moves on by ``STEP`` after every command, so that each
command runs after the one before, as in a real shell.  A test that needs another day sets
``cli.now``; ``cli.now = None`` runs on the system clock (for commands that record no time).
``set_up_binhai`` builds a county, a township, a village, a household and an approved case
through the CLI; the fixtures build it once per session and copy the file for each test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jiuzhu
from jiuzhu.clock import SHANGHAI, FakeClock
from jiuzhu.simulation import ENV_SIMULATED_TIME, is_simulation, mark_simulation

NAME, ID_NUMBER = "陈必华", "11010519491231002X"  # the seed's applicant; valid check character
SPOUSE_NAME, SPOUSE_ID = "居民0002", "110105195001010012"
VILLAGE = ("--role", "village", "--org", "320922100001")
TOWNSHIP = ("--role", "township", "--org", "320922100")
COUNTY = ("--role", "county", "--org", "320922")
SEED_DAY = datetime(2024, 3, 15, 10, 0, tzinfo=SHANGHAI)  # the seed's day, a Friday, pay day
STEP = timedelta(minutes=1)  # simulated time between two commands: far more than one takes


@dataclass
class Cli:
    db: Path
    cwd: Path
    now: datetime | None = SEED_DAY  # $JIUZHU_SIMULATED_TIME of the next command

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIUZHU_")}
        env.pop("COLUMNS", None)
        env.update(JIUZHU_DATABASE_URL=str(self.db), PYTHONUTF8="1", PYTHONIOENCODING="utf-8")
        if self.now is not None:
            env[ENV_SIMULATED_TIME] = self.now.isoformat()
        return env

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "jiuzhu.cli", *args],
            capture_output=True, text=True, encoding="utf-8", env=self.env(), cwd=self.cwd,
            timeout=timeout, check=False,
        )  # fmt: skip
        if self.now is not None:
            self.now += STEP
        return result

    def mark_simulation(self) -> None:
        """Make the test's database (at the head migration) and mark it as a simulation."""
        svc = jiuzhu.connect(str(self.db), clock=FakeClock(self.now or SEED_DAY))
        try:
            mark_simulation(svc.engine, svc.clock)
            assert is_simulation(svc.engine)
            with svc.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone is whole
        finally:
            svc.close()

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self(*args)
        assert result.returncode == 0, f"jiuzhu {' '.join(args)}: {result.stderr}"
        assert "Traceback" not in result.stderr
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)


@dataclass(frozen=True)
class Binhai:
    household_id: str
    member_ids: list[str]
    approved_case: str  # a case at provisionally_approved, row version 4


APPRAISAL = ("--outcome", "passed", "--attendance", "21", "--votes-for", "19",
             "--votes-against", "1", "--abstentions", "1")  # fmt: skip


def set_up_binhai(cli: Cli) -> Binhai:
    """滨海县 › 东坎街道 › 团结社区, Chen Bihua's household and his approved case, via the CLI."""
    cli.ok("org", "add", "--role", "admin", "--id", "320922", "--name", "滨海县",
           "--level", "county")  # fmt: skip
    cli.ok("org", "add", *COUNTY, "--id", "320922100", "--name", "东坎街道",
           "--level", "township", "--parent", "320922")  # fmt: skip
    cli.ok("org", "add", *COUNTY, "--id", "320922100001", "--name", "团结社区",
           "--level", "village", "--parent", "320922100")  # fmt: skip
    household = cli.json("household", "add", *VILLAGE, "--member", f"{NAME},{ID_NUMBER},head",
                         "--member", f"{SPOUSE_NAME},{SPOUSE_ID},spouse")  # fmt: skip
    binhai = Binhai(household["id"], household["member_ids"], "")
    case_id = apply(cli, binhai)["id"]
    cli.ok("case", "promise", case_id, *VILLAGE, "--signed-by", binhai.member_ids[1])
    cli.ok("case", "appraise", case_id, *VILLAGE, *APPRAISAL)
    cli.ok("case", "approve", case_id, *TOWNSHIP, "--monthly-amount", "2000")
    return Binhai(binhai.household_id, binhai.member_ids, case_id)


def copy_database(source: Path, target: Path) -> None:
    """Copy an SQLite database file (and its write-ahead log, if any)."""
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


def apply(cli: Cli, binhai: Binhai, expenditure: str = "90000") -> dict[str, Any]:
    case: dict[str, Any] = cli.json(
        "case", "apply", *VILLAGE, "--household", binhai.household_id,
        "--applicant", binhai.member_ids[0], "--programme", "dibao",
        "--cause", "major_illness", "--expenditure", expenditure)  # fmt: skip
    return case
