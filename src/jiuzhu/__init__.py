"""jiuzhu (救助): social-assistance applications as explicit, durable, auditable state machines.

>>> import jiuzhu
>>> svc = jiuzhu.connect("sqlite:///:memory:")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from .clock import Clock, FakeClock, SystemClock
from .errors import (
    ConcurrencyConflict,
    GuardRejected,
    IdempotencyKeyReused,
    InvalidInput,
    JiuzhuError,
    NotFound,
    PermissionDenied,
    StorageError,
    TransitionNotAllowed,
)
from .service.actors import Actor, Role
from .service.service import CaseService

__version__ = "0.1.0"


def connect(
    url: str | None = None,
    *,
    clock: Clock | None = None,
    policy: dict[str, Any] | None = None,
    upgrade: bool = True,
) -> CaseService:
    """Open the case service on ``url`` (a SQLAlchemy URL or an SQLite file path).

    Without ``url``: ``$JIUZHU_DATABASE_URL``, else ``./jiuzhu.db``.  ``upgrade`` brings the
    schema to the current migration first (safe from several processes).
    """
    from .migrations import upgrade as upgrade_schema
    from .models.db import make_engine

    engine = make_engine(url)
    if upgrade:
        upgrade_schema(engine)
    return CaseService(engine, clock=clock, policy=policy)


__all__ = [
    "Actor",
    "CaseService",
    "Clock",
    "ConcurrencyConflict",
    "FakeClock",
    "GuardRejected",
    "IdempotencyKeyReused",
    "InvalidInput",
    "JiuzhuError",
    "NotFound",
    "PermissionDenied",
    "Role",
    "StorageError",
    "SystemClock",
    "TransitionNotAllowed",
    "connect",
]
