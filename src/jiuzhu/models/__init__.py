"""Persistence: SQLModel tables and engine set-up."""

from __future__ import annotations

from .account_tables import ACCOUNT_TABLES  # noqa: F401  (people's accounts join the metadata)
from .api_tables import ApiTokenRecord  # noqa: F401  (HTTP tokens join the metadata)
from .audit_tables import AUDIT_TABLES  # noqa: F401  (audit checkpoints join the metadata)
from .calendar_tables import CALENDAR_TABLES  # noqa: F401  (calendar and settings join it)
from .db import make_engine, resolve_url
from .import_tables import IMPORT_TABLES  # noqa: F401  (import jobs and rows join it)
from .log_tables import LOG_TABLES  # noqa: F401  (the Merkle log joins it)
from .provider_tables import PROVIDER_TABLES  # noqa: F401  (service providers join it)
from .tables import (
    TABLES,
    CaseRecord,
    CommandKeyRecord,
    CreditRecord,
    DeadlineRecord,
    EventRecord,
    HouseholdRecord,
    LedgerEntryRecord,
    OrgUnitRecord,
    PersonRecord,
    metadata,
)
from .worker_tables import WORKER_TABLES  # noqa: F401  (worker heartbeats join it)

__all__ = [
    "TABLES",
    "CaseRecord",
    "CommandKeyRecord",
    "CreditRecord",
    "DeadlineRecord",
    "EventRecord",
    "HouseholdRecord",
    "LedgerEntryRecord",
    "OrgUnitRecord",
    "PersonRecord",
    "metadata",
    "make_engine",
    "resolve_url",
]
