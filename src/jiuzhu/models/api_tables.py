"""The HTTP service's bearer tokens.  Only a SHA-256 of each secret is stored.

A token stands for one actor: a role at an organisation unit (none for an administrator),
with an optional staff id.  It may expire and may be revoked; it is never deleted, so that
its id stays meaningful in logs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from .types import UTCDateTime


class ApiTokenRecord(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: str = Field(primary_key=True, max_length=16)  # public; part of the token text
    secret_sha256: str = Field(max_length=64)  # hex digest of the whole token text
    role: str = Field(max_length=32)
    org: str | None = Field(default=None, foreign_key="org_units.id", max_length=32)
    user: str | None = Field(default=None, max_length=64)
    provider: str | None = Field(default=None, max_length=36)  # role provider: its providers.id
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
