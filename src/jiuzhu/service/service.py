"""The service: one method per command, each one database transaction.

Every command names its actor; the role and jurisdiction are checked before anything is read
for writing.  A command fires its trigger on an in-memory :class:`CaseModel`, and only when the
trigger succeeded are the new case row, its hashed event and its deadline rows written, all in
one transaction.  Any error leaves the database as it was.

:class:`CaseService` only gathers the command modules (each a
:class:`~jiuzhu.service.base.CommandBase`) and opens them on one engine.
"""

from __future__ import annotations

from sqlalchemy import Engine

from ..clock import Clock
from ..models.port import Statements
from .accounts import Accounts
from .audit_reads import AuditReads
from .base import PolicySource
from .calendar import CalendarStore
from .circumstance import CircumstanceCommands
from .fast_track import FastTrackCommands
from .firing import DeadlineFiring
from .household import HouseholdReads
from .imports import ImportCommands
from .letters import Letters
from .money import MoneyCommands
from .oneoffs import OneOffCommands
from .out_of_area import OutOfAreaCommands
from .plans import PlanCommands
from .projects import ProjectCommands
from .providers import ProviderCommands
from .queues import Queues
from .reads import Reads
from .registry import Registry
from .reports import Reports
from .review import ReviewCommands
from .search import Search
from .standard import StandardCommands
from .temporary import TemporaryCommands
from .unit_of_work import UnitOfWork


class CaseService(
    Registry,
    FastTrackCommands,
    PlanCommands,
    OneOffCommands,
    ProviderCommands,
    ProjectCommands,
    DeadlineFiring,
    MoneyCommands,
    Reports,
    StandardCommands,
    TemporaryCommands,
    OutOfAreaCommands,
    ReviewCommands,
    CircumstanceCommands,
    Reads,
    Accounts,
    Search,
    Queues,
    AuditReads,
    ImportCommands,
    Letters,
    HouseholdReads,
):
    """Use :func:`jiuzhu.connect` to make one."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None,
                 policy: PolicySource = None) -> None:  # fmt: skip
        self.engine = engine
        super().__init__(Statements(engine.dialect.name), UnitOfWork(engine), CalendarStore(engine),
                         clock=clock, policy=policy)  # fmt: skip

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["CaseService"]
