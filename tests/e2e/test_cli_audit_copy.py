"""The auditor's copy (jiuzhu issue 17, part 5): the audit commands open a database read-only,
never migrate it, work on a copy on read-only media, and take no empty or wiped database for
"audit passed: 0 cases".  The real console program, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import Binhai, Cli
from helpers import case_in, make_county
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import jiuzhu
from jiuzhu import FakeClock
from jiuzhu.migrations import current, head, upgrade
from jiuzhu.models.db import make_engine, make_readonly_engine

NOBODY = 65534


def assert_audit_failure(result: object, en: str, zh: str) -> None:
    assert result.returncode == 1, result.stderr  # type: ignore[attr-defined]
    stderr = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and "audit passed" not in result.stdout  # type: ignore[attr-defined]
    assert "audit FAILED" in stderr and "审计未通过" in stderr
    assert en in stderr and zh in stderr


def test_a_zero_byte_file_is_an_audit_failure_and_stays_zero_bytes(cli: Cli) -> None:
    empty = cli.cwd / "empty.db"
    empty.touch()
    for command in (("verify",), ("findings",), ("export", "--out", "x")):
        result = cli("audit", *command, "--db", str(empty))
        assert_audit_failure(result, "is an empty file (0 bytes)", "是空文件（0 字节）")
    assert empty.stat().st_size == 0 and sorted(p.name for p in cli.cwd.iterdir()) == [
        "empty.db", "jiuzhu.db"]  # fmt: skip


def test_a_file_that_is_not_a_database_is_an_audit_failure(cli: Cli) -> None:
    junk = cli.cwd / "junk.db"
    junk.write_text("these are not the pages of a database\n" * 200)
    result = cli("audit", "verify", "--db", str(junk))
    assert_audit_failure(result, "is not a readable database", "不是可读取的数据库")


def test_a_database_without_jiuzhus_tables_is_an_audit_failure(cli: Cli) -> None:
    other = cli.cwd / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    result = cli("audit", "verify", "--db", str(other))
    assert_audit_failure(result, "lacks jiuzhu's tables (cases, events, deadlines missing)",
                         "缺少 jiuzhu 的数据表")  # fmt: skip


def test_a_database_without_any_case_is_an_audit_failure_not_a_pass(cli: Cli) -> None:
    result = cli("audit", "verify")  # the fixture's database: migrated, no case
    assert_audit_failure(result, "holds no case", "没有任何案件")
    as_json = cli("audit", "verify", "--json")
    assert as_json.returncode == 1 and '"ok": false' in as_json.stdout


def test_a_wiped_database_is_an_audit_failure(cli: Cli, binhai: Binhai) -> None:
    assert "audit passed" in cli.ok("audit", "verify").stdout
    with sqlite3.connect(cli.db) as conn:  # an insider drops the guards and empties the tables
        triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        for (name,) in triggers.fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        for table in ("ledger_entries", "household_months", "credit_records", "deadlines",
                      "events", "cases"):  # fmt: skip
            conn.execute(f"DELETE FROM {table}")
    assert_audit_failure(cli("audit", "verify"), "holds no case", "没有任何案件")


def test_a_schema_at_another_revision_is_refused_naming_both_and_not_migrated(cli: Cli) -> None:
    old = cli.cwd / "old.db"
    engine = make_engine(str(old))
    try:
        upgrade(engine, "0012")
        result = cli("audit", "verify", "--db", str(old))
        assert result.returncode == 4 and "Traceback" not in result.stderr
        assert f"at revision 0012; this jiuzhu expects {head()}" in result.stderr
        assert "never migrates" in result.stderr and "不做迁移" in result.stderr
        assert current(engine) == "0012"  # untouched
    finally:
        engine.dispose()


@pytest.fixture
def read_only_copy(cli: Cli, binhai: Binhai) -> Iterator[Path]:
    """The binhai database copied (checkpointed: one file) into a directory, then the file and
    the directory made read-only, as on read-only media."""
    directory = Path(tempfile.mkdtemp(prefix="jiuzhu-ro-"))
    with sqlite3.connect(cli.db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = directory / "snapshot.db"
    shutil.copyfile(cli.db, copy)
    copy.chmod(0o444)
    directory.chmod(0o555)
    yield copy
    directory.chmod(0o755)
    shutil.rmtree(directory)


def test_the_audit_commands_work_on_a_copy_on_read_only_media(
    cli: Cli, binhai: Binhai, read_only_copy: Path
) -> None:
    """As root a chmod does not stop writes, so then the commands run as ``nobody``."""
    user = NOBODY if os.geteuid() == 0 else None
    env = cli.env() | {"JIUZHU_DATABASE_URL": str(read_only_copy), "HOME": "/tmp"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jiuzhu.cli", *args], capture_output=True,
                              text=True, encoding="utf-8", env=env, cwd="/tmp", user=user,
                              timeout=120, check=False)  # fmt: skip

    verified = run("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "audit passed" in verified.stdout and "1 案件 cases" in verified.stdout
    assert run("audit", "findings").returncode == 0
    replayed = run("audit", "replay", binhai.approved_case)
    assert replayed.returncode == 0 and "replay matches" in replayed.stdout
    assert sorted(p.name for p in read_only_copy.parent.iterdir()) == ["snapshot.db"]


def test_postgres_audit_reads_in_read_only_transactions(postgres_url: str, tmp_path: Path) -> None:
    svc = jiuzhu.connect(
        postgres_url, clock=FakeClock(datetime(2024, 3, 15, 2, tzinfo=UTC)), upgrade=False
    )
    try:
        case_in(svc, make_county(svc), "provisionally_approved")
    finally:
        svc.close()
    engine = make_readonly_engine(postgres_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError, match="read-only transaction"):
            conn.execute(text("DELETE FROM deadlines"))
    finally:
        engine.dispose()
    cli = Cli(db=tmp_path / "unused.db", cwd=tmp_path, now=None)
    result = cli("audit", "verify", "--db", postgres_url)
    assert result.returncode == 0, result.stderr
    assert "1 案件 cases" in result.stdout and "audit passed" in result.stdout
