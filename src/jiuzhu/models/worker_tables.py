"""The deadline workers' heartbeats: each worker records itself and beats on every sweep.

A claim by a worker that stopped beating (killed, frozen, its host gone) is released by the
next sweep of any worker, before its lease runs out (``jiuzhu.scheduler.heartbeat``).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from .tables import _instant


class WorkerRecord(SQLModel, table=True):
    __tablename__ = "workers"

    worker_id: str = Field(primary_key=True, max_length=64)  # as on deadlines.claimed_by
    host: str = Field(max_length=100)
    pid: int
    started_at: datetime = _instant()
    last_beat_at: datetime = _instant()


WORKER_TABLES = (WorkerRecord,)
