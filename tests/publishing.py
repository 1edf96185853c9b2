"""Publishing the Merkle log as ``jiuzhu audit publish`` does -- the checkpoint note in
``DIR/checkpoint``, the tiles under ``DIR/tile/`` -- from a connection (shared by the witness
and rollback tests; the connection may be a tampered one, to publish a rewritten log)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from jiuzhu import CaseService
from jiuzhu.audit import tiles
from jiuzhu.audit.log import DatabaseSource, take_log_checkpoint
from jiuzhu.audit.publish import CHECKPOINT_FILE


def publish_on(conn: Connection, directory: Path, *, now: datetime, key: Any = None) -> int:
    """Take a log checkpoint on ``conn`` and publish it to ``directory``; its size."""
    cp = take_log_checkpoint(conn, now=now, taken_by="test", key=key)
    shutil.rmtree(directory, ignore_errors=True)  # tiles of another history must not linger
    directory.mkdir(parents=True)
    tiles.write_tiles(directory, cp.size, DatabaseSource(conn, cp.size))
    (directory / CHECKPOINT_FILE).write_text(cp.note, encoding="utf-8")
    return cp.size


def publish(svc: CaseService, directory: Path, *, now: datetime, key: Any = None) -> int:
    with svc.engine.begin() as conn:
        return publish_on(conn, directory, now=now, key=key)
