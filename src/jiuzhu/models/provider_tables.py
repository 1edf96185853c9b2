"""Service providers (服务机构): third-party organisations registered under a unit.

A provider is registered under one organisation unit and may be assigned a case's service plans
inside that unit's subtree (``{"provider": PROVIDER_ID}``).  People of a provider sign in (or
hold a token) in the role ``provider`` at the provider's unit, naming the provider; they may
record visits for the plans assigned to it, and nothing else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Table, select
from sqlmodel import Field, SQLModel

from .types import UTCDateTime


class ProviderRecord(SQLModel, table=True):
    __tablename__ = "providers"

    id: str = Field(primary_key=True, max_length=36)
    unit_id: str = Field(foreign_key="org_units.id", max_length=32, index=True)
    name: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


providers: Table = ProviderRecord.__table__  # type: ignore[attr-defined]
PROVIDER_TABLES = ("providers", "projects")


def provider(provider_id: str) -> object:
    return select(providers).where(providers.c.id == provider_id)


def insert_provider() -> object:
    return providers.insert()


def providers_of(unit_ids: list[str] | None) -> object:
    """Every provider (``unit_ids`` None) or those registered under one of ``unit_ids``."""
    query = select(providers)
    if unit_ids is not None:
        query = query.where(providers.c.unit_id.in_(unit_ids))
    return query.order_by(providers.c.unit_id, providers.c.name, providers.c.id)


class ProjectRecord(SQLModel, table=True):
    """A project (帮扶项目) that groups service plans and one-offs across cases: registered
    under a unit, for a year."""

    __tablename__ = "projects"

    id: str = Field(primary_key=True, max_length=36)
    unit_id: str = Field(foreign_key="org_units.id", max_length=32, index=True)
    name: str = Field(max_length=100)
    year: int
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


projects: Table = ProjectRecord.__table__  # type: ignore[attr-defined]


def project(project_id: str) -> object:
    return select(projects).where(projects.c.id == project_id)


def projects_of(unit_ids: list[str], year: int | None) -> object:
    query = select(projects).where(projects.c.unit_id.in_(unit_ids))
    if year is not None:
        query = query.where(projects.c.year == year)
    return query.order_by(projects.c.year, projects.c.unit_id, projects.c.name, projects.c.id)
