"""SQLite's durability: an acknowledged command survives a power cut unless the operator opts out.

The suite itself runs its throwaway files at ``NORMAL`` (tests/conftest.py), so each test here
clears or sets ``$JIUZHU_SQLITE_SYNCHRONOUS`` itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

import jiuzhu
from jiuzhu import FakeClock, InvalidInput
from jiuzhu.models.db import ENV_SYNCHRONOUS, make_engine

LEVELS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}  # PRAGMA synchronous reads a number


def level_of(engine_url: str, **kwargs: str) -> str:
    engine = make_engine(engine_url, **kwargs)
    try:
        with engine.connect() as conn:
            mode = conn.execute(text("PRAGMA journal_mode")).scalar_one()
            level = LEVELS[conn.execute(text("PRAGMA synchronous")).scalar_one()]
        assert mode == "wal"
        return level
    finally:
        engine.dispose()


def test_the_default_is_full_so_every_commit_is_on_disk_when_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_SYNCHRONOUS, raising=False)
    assert level_of(str(tmp_path / "a.db")) == "FULL"


def test_normal_is_an_opt_in_by_the_environment_or_by_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_SYNCHRONOUS, "normal")
    assert level_of(str(tmp_path / "a.db")) == "NORMAL"
    assert level_of(str(tmp_path / "a.db"), synchronous="EXTRA") == "EXTRA"  # the caller wins


def test_an_unknown_level_is_refused_in_chinese_and_english_before_any_file_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_SYNCHRONOUS, "OFF")  # OFF can corrupt the file on power loss
    path = tmp_path / "a.db"
    with pytest.raises(InvalidInput) as refused:
        jiuzhu.connect(str(path), clock=FakeClock(datetime(2024, 3, 15, tzinfo=UTC)))
    assert "FULL, NORMAL, EXTRA" in str(refused.value)
    assert "同步级别" in refused.value.zh
    assert not path.exists()
