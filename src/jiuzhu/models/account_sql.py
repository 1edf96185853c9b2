"""The statements of people's accounts and sessions (SQLAlchemy Core, both dialects)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from .account_tables import UserRecord, WebSessionRecord
from .tables import OrgUnitRecord

users: Table = UserRecord.__table__  # type: ignore[attr-defined]
sessions: Table = WebSessionRecord.__table__  # type: ignore[attr-defined]
org_units: Table = OrgUnitRecord.__table__  # type: ignore[attr-defined]

USER_COLUMNS = (users, org_units.c.name.label("org_name"), org_units.c.path.label("org_path"))


def user(username: str, *, for_update: bool = False) -> Any:
    query = (select(*USER_COLUMNS).outerjoin(org_units, org_units.c.id == users.c.org)
             .where(users.c.username == username))  # fmt: skip
    return query.with_for_update(of=users) if for_update else query


def users_within(path: str | None) -> Any:
    """Every user (``path`` None: an administrator asks) or those of units inside ``path``."""
    query = select(*USER_COLUMNS).outerjoin(org_units, org_units.c.id == users.c.org)
    if path is not None:
        query = query.where((org_units.c.path == path) | org_units.c.path.like(path + "/%"))
    return query.order_by(users.c.username)


def insert_user() -> Any:
    return users.insert()


def update_user(username: str, **values: Any) -> Any:
    return users.update().where(users.c.username == username).values(**values)


def insert_session() -> Any:
    return sessions.insert()


def session_of(digest: str) -> Any:
    return select(sessions).where(sessions.c.id == digest)


def update_session(digest: str, **values: Any) -> Any:
    return sessions.update().where(sessions.c.id == digest).values(**values)


def end_sessions_of(username: str, when: Any) -> Any:
    return (sessions.update().where(sessions.c.username == username, sessions.c.ended_at.is_(None))
            .values(ended_at=when))  # fmt: skip
