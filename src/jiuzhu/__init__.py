"""jiuzhu (救助): social-assistance applications as explicit, durable, auditable state machines.

>>> import jiuzhu
>>> svc = jiuzhu.connect("sqlite:///:memory:")   # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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
    from .policy import PolicyBook
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
    policy: PolicyBook | str | os.PathLike[str] | Mapping[str, Any] | None = None,
    upgrade: bool = True,
) -> CaseService:
    """Open the case service on ``url`` (a SQLAlchemy URL or an SQLite file path).

    Without ``url``: ``$JIUZHU_DATABASE_URL``, else ``./jiuzhu.db``.  ``upgrade`` brings the
    schema to the current migration first (safe from several processes).

    ``policy`` is the book every decision is taken by, loaded once, here: a
    :class:`jiuzhu.policy.PolicyBook`, the path of a policy file (``docs/policy.md``), or a
    mapping of settings overriding the defaults from the epoch (``{"monthly_payments":
    False}``).  Without it: the file named by ``$JIUZHU_POLICY_FILE``, else the built-in book.
    """
    from sqlalchemy.exc import OperationalError

    from .migrations import upgrade as upgrade_schema
    from .models.db import make_engine
    from .policy import book_from
    from .service.service import CaseService

    book = book_from(policy)  # a malformed policy is refused before the database is touched
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
    return CaseService(engine, clock=clock, policy=book)


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
