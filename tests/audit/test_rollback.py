"""Rollback detection: a database restored from an older copy is caught by ``audit verify
--against`` and the worker refuses to start on it; one ahead of the published checkpoint and
consistent with it passes (SQLite files copied and restored; the checks on both databases)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from helpers import Org, case_in, make_county
from publishing import publish
from tamper import tampered
from typer.testing import CliRunner

import jiuzhu
from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.checkpoint import generate_key, load_private_key
from jiuzhu.audit.witness import against, read_published
from jiuzhu.cli import app
from jiuzhu.models import log_sql
from jiuzhu.scheduler.startup import check_published

OLDER = "this database is older than the checkpoint published on"
ROLLED = "it was restored from a backup or rolled back"


def flat(text: str) -> str:
    """Printed text without the spaces, line breaks and table borders it was wrapped with."""
    return "".join(c for c in text if c not in " \n│")


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), prog_name="jiuzhu", terminal_width=200)


def jiuzhu_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The console program itself, for its exit code and its messages on stderr."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JIUZHU_")}
    environ.update(env or {}, PYTHONUTF8="1", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "jiuzhu.cli", *args], capture_output=True,
                          text=True, encoding="utf-8", env=environ, timeout=120)  # fmt: skip


class SqliteFile:
    """A service on an SQLite file that can be copied and restored, as an operator would."""

    def __init__(self, url: str, clock: FakeClock) -> None:
        self.url, self.clock = url, clock
        self.path = Path(url.removeprefix("sqlite:///"))
        self.svc = jiuzhu.connect(url, clock=clock, upgrade=False)

    def copy_to(self, target: Path) -> None:
        copy(self.path, target)

    def restore(self, backup: Path) -> None:
        """Put the backup's content back in place (SQLite's backup API: connections that are
        still open, the CLI's among them, see the restored database)."""
        copy(backup, self.path)


def copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture
def sqlite_file(sqlite_url: str, clock: FakeClock) -> Iterator[SqliteFile]:
    db = SqliteFile(sqlite_url, clock)
    yield db
    db.svc.close()


def test_a_database_restored_from_a_backup_fails_verify_against_and_the_worker_refuses(
    sqlite_file: SqliteFile, clock: FakeClock, tmp_path: Path
) -> None:
    db, published, backup = sqlite_file, tmp_path / "published", tmp_path / "backup.db"
    generate_key(tmp_path / "agency.key")
    org = make_county(db.svc)
    case_in(db.svc, org, "verified")
    db.copy_to(backup)
    case_in(db.svc, org, "revoked")  # the revocation the backup does not have
    size = publish(
        db.svc, published, now=clock.now(), key=load_private_key(tmp_path / "agency.key")
    )
    key = ["--public-key", str(tmp_path / "agency.key.pub")]
    assert run("audit", "verify", "--db", db.url, "--against", str(published), *key).exit_code == 0

    db.restore(backup)
    assert run("audit", "verify", "--db", db.url).exit_code == 0  # alone, it verifies clean
    result = run("audit", "verify", "--db", db.url, "--against", str(published), "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["against"]["size"] == size > report["against"]["database_size"]
    [detail] = [b["detail"] for b in report["breaks"]]
    assert detail.startswith(OLDER) and ROLLED in detail
    shown = run("audit", "verify", "--db", db.url, "--against", str(published / "checkpoint"))
    assert shown.exit_code == 1 and "audit FAILED" in shown.output
    assert flat("this database is older") in flat(shown.output)  # in the table of breaks

    refused = check_published(db.url, published)
    assert refused is not None and OLDER in refused.message and "回滚" in refused.zh
    worker = jiuzhu_cli("worker", "--once", "--db", db.url, "--against", str(published))
    assert worker.returncode == 1, worker.stderr
    assert "the worker refuses to start" in worker.stderr and "Traceback" not in worker.stderr
    assert not worker.stdout  # nothing fired, no report
    by_setting = jiuzhu_cli("worker", "--once", "--db", db.url,
                            env={"JIUZHU_AUDIT_PUBLISHED": str(published)})  # fmt: skip
    assert by_setting.returncode == 1 and "refuses to start" in by_setting.stderr


def test_a_restored_database_that_went_on_disagrees_with_the_checkpoint(
    sqlite_file: SqliteFile, clock: FakeClock, tmp_path: Path
) -> None:
    db, published, backup = sqlite_file, tmp_path / "published", tmp_path / "backup.db"
    org = make_county(db.svc)
    db.copy_to(backup)
    case_in(db.svc, org, "revoked")
    size = publish(db.svc, published, now=clock.now())
    db.restore(backup)
    for _ in range(3):  # new work on the old copy: the log grows past the checkpoint's size
        case_in(db.svc, org, "verified")
    with db.svc.engine.connect() as conn:
        assert log_sql.size(conn) > size
    result = run("audit", "verify", "--db", db.url, "--against", str(published))
    assert result.exit_code == 1
    assert flat("log entries have another root") in flat(result.output)
    worker = jiuzhu_cli("worker", "--once", "--db", db.url, "--against", str(published))
    assert worker.returncode == 1 and "refuses to start" in worker.stderr


def test_a_database_ahead_of_the_checkpoint_and_consistent_passes(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path, db_url: str
) -> None:
    published = tmp_path / "published"
    case_in(svc, org, "verified")
    size = publish(svc, published, now=clock.now())
    case_in(svc, org, "revoked")
    result = run("audit", "verify", "--db", db_url, "--against", str(published), "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["against"]
    assert found["ok"] and found["database_size"] > found["size"] == size
    assert check_published(db_url, published) is None  # the worker would start
    worker = jiuzhu_cli("worker", "--once", "--db", db_url, "--against", str(published))
    assert worker.returncode == 0, worker.stderr
    assert json.loads(worker.stdout)["failed"] == 0


def test_a_rewritten_log_and_another_database_disagree_with_the_checkpoint(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    published = tmp_path / "published"
    case_in(svc, org, "verified")
    publish(svc, published, now=clock.now())
    checkpoint = read_published(published)
    with tampered(svc) as conn:
        conn.execute(log_sql.LEAVES.update().where(log_sql.LEAVES.c.idx == 2)
                     .values(hash="00" * 32))  # fmt: skip
        [found] = against(conn, checkpoint).breaks
    assert "have another root" in found.detail
    (published / "checkpoint").write_text(
        checkpoint.text.replace(checkpoint.checkpoint.origin, "jiuzhu.local/log/0123456789abcdef"),
        encoding="utf-8")  # fmt: skip
    with svc.engine.connect() as conn:
        [found] = against(conn, read_published(published)).breaks
    assert "is of another log" in found.detail
