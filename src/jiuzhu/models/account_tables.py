"""People's accounts for the web front, and their sign-in sessions.

A user is a person at an organisation unit in one role (the same :class:`~jiuzhu.service.actors.
Actor` a bearer token stands for) who signs in with a password.  Only an argon2id hash of the
password is stored, and only a SHA-256 of each session's secret.  Accounts are disabled, never
deleted, so that the user name stays meaningful in the events that name it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer
from sqlmodel import Field, SQLModel

from .types import UTCDateTime


def _when(nullable: bool = True) -> object:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class UserRecord(SQLModel, table=True):
    __tablename__ = "users"

    username: str = Field(primary_key=True, max_length=64)  # the staff id events carry
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    org: str | None = Field(default=None, foreign_key="org_units.id", max_length=32)
    provider: str | None = Field(default=None, max_length=36)  # role provider: its providers.id
    password_hash: str = Field(max_length=200)  # argon2id, PHC string format
    failed_sign_ins: int = Field(sa_column=Column(Integer, nullable=False, default=0))
    locked_until: datetime | None = _when()  # type: ignore[assignment]
    disabled_at: datetime | None = _when()  # type: ignore[assignment]
    created_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    last_sign_in_at: datetime | None = _when()  # type: ignore[assignment]


class WebSessionRecord(SQLModel, table=True):
    __tablename__ = "web_sessions"

    id: str = Field(primary_key=True, max_length=64)  # SHA-256 of the session's secret
    username: str = Field(foreign_key="users.username", max_length=64, index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    expires_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    last_seen_at: datetime = _when(nullable=False)  # type: ignore[assignment]
    ended_at: datetime | None = _when()  # type: ignore[assignment]


ACCOUNT_TABLES = ("users", "web_sessions")
