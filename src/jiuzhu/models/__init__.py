"""Persistence: SQLModel tables and engine set-up."""

from __future__ import annotations

from .db import make_engine, resolve_url
from .tables import (
    TABLES,
    CaseRecord,
    DeadlineRecord,
    EventRecord,
    HouseholdRecord,
    OrgUnitRecord,
    PersonRecord,
    metadata,
)

__all__ = [
    "TABLES",
    "CaseRecord",
    "DeadlineRecord",
    "EventRecord",
    "HouseholdRecord",
    "OrgUnitRecord",
    "PersonRecord",
    "metadata",
    "make_engine",
    "resolve_url",
]
