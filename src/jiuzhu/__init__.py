"""jiuzhu (救助): social-assistance applications as explicit, durable, auditable state machines.

>>> import jiuzhu
>>> svc = jiuzhu.connect("sqlite:///:memory:")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .service.service import CaseService

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The service pulls in SQLModel and Alembic; load them on first use, not at import,
    # so that `jiuzhu --help` and pure uses of the workflows stay quick.
    if name == "CaseService":
        from .service.service import CaseService

        return CaseService
    raise AttributeError(f"module 'jiuzhu' has no attribute {name!r}")


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
    from sqlalchemy.exc import OperationalError

    from .migrations import upgrade as upgrade_schema
    from .models.db import make_engine
    from .service.service import CaseService

    engine = make_engine(url)
    if upgrade:
        try:
            upgrade_schema(engine)
        except OperationalError as exc:
            engine.dispose()
            raise StorageError(
                f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
                f"{exc.orig}",
                f"无法打开数据库：{exc.orig}",
            ) from None
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
