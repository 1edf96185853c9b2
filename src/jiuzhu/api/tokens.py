"""Bearer tokens: made on the command line, shown once, stored as SHA-256 only.

A token's text is ``jz_<id>_<secret>``: the id (12 hex digits) finds the row, and the SHA-256
of the whole text is compared in constant time.  A token resolves to the :class:`Actor` it was
made for; an unknown, malformed, expired or revoked token resolves to nothing, and the caller
learns only that (401).  Whether that actor may do what it asks is the service's decision.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, bindparam, create_engine, event, select
from sqlalchemy.exc import DBAPIError

from ..clock import Clock, iso_utc
from ..errors import InvalidInput, NotFound, StorageError
from ..models import log_sql
from ..models import provider_tables as provider_sql
from ..models import rows as store
from ..models.api_tables import ApiTokenRecord
from ..service import inputs
from ..service.actors import ROLE_LEVEL, Actor, Role
from .problems import ApiError

tokens: Table = ApiTokenRecord.__table__  # type: ignore[attr-defined]
_TOKEN = re.compile(r"^jz_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_DURATION = re.compile(r"^([1-9][0-9]{0,4})([dhw])$")
MAX_NOTE = 200
DEFAULT_LIFETIME = "90d"
MAX_LIFETIME_DAYS = 365


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: str
    role: str
    org: str | None
    user: str | None
    note: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    provider: str | None = None  # the role provider's provider id

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "org": self.org, "user": self.user,
                "note": self.note, "created_at": iso_utc(self.created_at),
                "expires_at": _iso(self.expires_at), "revoked_at": _iso(self.revoked_at),
                "status": self.status(now)} | (
                    {"provider": self.provider} if self.provider else {})  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def parse_expiry(text: str | None, now: datetime) -> datetime:
    """``90d``, ``12h``, ``2w``, or an ISO date-time with an offset: at most
    :data:`MAX_LIFETIME_DAYS` from ``now`` (a token that never expires is not issued)."""
    text = DEFAULT_LIFETIME if text is None else text.strip()
    too_long = InvalidInput(
        f"a token lives at most {MAX_LIFETIME_DAYS} days; {text!r} is longer (make a new token "
        "when it expires)",
        f"令牌有效期最长 {MAX_LIFETIME_DAYS} 天，“{text}”超出上限（到期后请重新签发）",
        maximum_days=MAX_LIFETIME_DAYS,
    )  # fmt: skip
    if text.lower() == "never":
        raise too_long
    match = _DURATION.match(text)
    if match:
        unit = {"d": "days", "h": "hours", "w": "weeks"}[match.group(2)]
        lifetime = timedelta(**{unit: int(match.group(1))})
        if lifetime > timedelta(days=MAX_LIFETIME_DAYS):
            raise too_long
        return now + lifetime
    when = inputs.instant(text, "expiry", default=now)
    if when <= now:
        raise InvalidInput(f"expiry {text} is not in the future", f"有效期 {text} 早于当前时间")
    if when - now > timedelta(days=MAX_LIFETIME_DAYS):
        raise too_long
    return when


def create_token(engine: Engine, clock: Clock, *, role: str, org: str | None,
                 user: str | None = None, expires_at: datetime | None = None,
                 note: str | None = None,
                 provider: str | None = None) -> tuple[TokenInfo, str]:  # fmt: skip
    """Store a new token for the actor (role, org, user, and a provider's staff their
    provider); return it and its text (shown once)."""
    actor = Actor.parse(role, org or "", user, provider)
    if actor.role is Role.SYSTEM:
        raise InvalidInput(
            "the system role belongs to the deadline worker; no token is issued for it",
            "系统角色仅供期限调度进程使用，不能签发令牌",
        )
    if user is not None:
        inputs.staff_id(user)
    note = inputs.text(note, "note", required=False, max_length=MAX_NOTE)
    unit = _check_unit(engine, actor)
    token_id = secrets.token_hex(6)
    text = f"jz_{token_id}_{secrets.token_urlsafe(32)}"
    info = TokenInfo(token_id, actor.role.value, unit, user, note, clock.now(), expires_at, None,
                     actor.provider)  # fmt: skip
    with engine.begin() as conn:
        conn.execute(tokens.insert(), {
            "id": info.id, "secret_sha256": digest(text), "role": info.role, "org": info.org,
            "user": info.user, "note": info.note, "created_at": info.created_at,
            "expires_at": info.expires_at, "revoked_at": None, "provider": info.provider,
        })  # fmt: skip
        log_sql.append(conn, log_sql.record_leaves(conn, "token", [info.id]))
    return info, text


def _check_unit(engine: Engine, actor: Actor) -> str | None:
    if actor.role is Role.ADMIN:
        if actor.org:
            raise InvalidInput("an administrator token names no organisation unit",
                               "系统管理员令牌不指定所属单位")  # fmt: skip
        return None
    if not actor.org:
        raise InvalidInput(f"a {actor.role.value} token needs the organisation unit (--org)",
                           "请指定令牌所属单位（--org）")  # fmt: skip
    unit = inputs.org_id(actor.org)
    with engine.connect() as conn:
        row = conn.execute(store.SELECT_ORG, {"id": unit}).first()
    if row is None:
        raise NotFound(f"organisation unit {unit} not found", f"未找到单位 {unit}")
    wanted = ROLE_LEVEL[actor.role]
    if wanted is not None and row.level != wanted:
        raise InvalidInput(f"role '{actor.role.value}' acts from a {wanted}, but {unit} is a "
                           f"{row.level}", f"角色与单位层级不符（{unit} 为 {row.level}）")  # fmt: skip
    if actor.role is Role.PROVIDER:
        with engine.connect() as conn:
            found = conn.execute(provider_sql.provider(inputs.record_id(
                actor.provider, "provider id"))).first()  # fmt: skip
        if found is None or found.unit_id != unit:
            raise InvalidInput(f"no service provider {actor.provider} is registered under {unit}",
                               f"单位 {unit} 下未登记服务机构 {actor.provider}")  # fmt: skip
    return unit


def _info(row: Any) -> TokenInfo:
    return TokenInfo(row.id, row.role, row.org, row.user, row.note, row.created_at,
                     row.expires_at, row.revoked_at, row.provider)  # fmt: skip


def list_tokens(engine: Engine) -> list[TokenInfo]:
    with engine.connect() as conn:
        rows = conn.execute(select(tokens).order_by(tokens.c.created_at, tokens.c.id)).all()
    return [_info(r) for r in rows]


def revoke_token(engine: Engine, clock: Clock, token_id: str) -> TokenInfo:
    """Revoke a token at once (the next request with it gets 401); revoking twice is a no-op."""
    token_id = token_id.strip().lower()
    with engine.begin() as conn:
        row = conn.execute(select(tokens).where(tokens.c.id == token_id)).first()
        if row is None:
            raise NotFound(f"token {token_id} not found", f"未找到令牌 {token_id}")
        if row.revoked_at is None:
            conn.execute(tokens.update().where(tokens.c.id == token_id)
                         .values(revoked_at=clock.now()))  # fmt: skip
            log_sql.append(conn, log_sql.record_leaves(conn, "token", [token_id]))
        row = conn.execute(select(tokens).where(tokens.c.id == token_id)).one()
    return _info(row)


def unauthenticated(message: str, zh: str, error: str | None = "invalid_token") -> ApiError:
    return ApiError("unauthenticated", message, zh, error=error)


def resolve(engine: Engine, text: str, now: datetime) -> Actor:
    """The actor of a bearer token, or :class:`ApiError` (401) saying only what is wrong.

    The row is read afresh for every request (a revoked token is refused on the next one, in
    every worker process), by :class:`TokenReader`: one round trip to the database."""
    match = _TOKEN.match(text)
    if match is None:
        raise unauthenticated("the bearer token is malformed", "令牌格式不正确")
    row = reader_for(engine).read(match.group(1))
    if row is None or not hmac.compare_digest(row.secret_sha256, digest(text)):
        raise unauthenticated("the bearer token is not known", "令牌无效")
    if row.revoked_at is not None:
        raise unauthenticated("the bearer token was revoked", "令牌已被吊销")
    if row.expires_at is not None and row.expires_at <= now:
        raise unauthenticated("the bearer token has expired", "令牌已过期")
    return Actor(Role(row.role), row.org or "", row.user, row.provider)


_READ = select(tokens.c.secret_sha256, tokens.c.role, tokens.c.org, tokens.c.user,
               tokens.c.provider, tokens.c.revoked_at,
               tokens.c.expires_at).where(tokens.c.id == bindparam("token_id"))  # fmt: skip


class TokenReader:
    """Reads one token's row per request, in one round trip.

    On PostgreSQL through a small pool of its own, in autocommit and without the main pool's
    ping on checkout: a single SELECT needs no transaction, and a connection found dead is
    dropped and the read tried once more on a new one.  Through the main pool the same read
    cost five round trips (the ping, BEGIN, the SELECT, ROLLBACK on return), about as many as
    some commands.  The pool is closed with the service's engine.  On SQLite (one file, no
    round trips) the service's engine reads.
    """

    def __init__(self, engine: Engine) -> None:
        self.own = engine.dialect.name == "postgresql"
        self.engine = engine
        if self.own:
            self.engine = create_engine(engine.url, isolation_level="AUTOCOMMIT",
                                        pool_pre_ping=False, pool_size=4, max_overflow=8)  # fmt: skip

    def read(self, token_id: str) -> Any:
        try:
            return self._read(token_id)
        except DBAPIError as exc:
            if not (self.own and exc.connection_invalidated):
                raise _unreachable() from None
        try:  # a connection the server closed since: once more, on a new one
            return self._read(token_id)
        except DBAPIError:
            raise _unreachable() from None

    def _read(self, token_id: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(_READ, {"token_id": token_id}).first()

    def close(self) -> None:
        if self.own:
            self.engine.dispose()


_readers: weakref.WeakKeyDictionary[Engine, TokenReader] = weakref.WeakKeyDictionary()
_readers_lock = threading.Lock()


def reader_for(engine: Engine) -> TokenReader:
    """The :class:`TokenReader` of ``engine``, made on first use, closed when it is disposed."""
    reader = _readers.get(engine)
    if reader is not None:
        return reader
    with _readers_lock:
        reader = _readers.get(engine)
        if reader is None:
            reader = _readers[engine] = TokenReader(engine)
            if not event.contains(engine, "engine_disposed", _disposed):
                event.listen(engine, "engine_disposed", _disposed)
    return reader


def _unreachable() -> StorageError:
    return StorageError("cannot read the bearer token: the database is unreachable or refused",
                        "无法读取令牌：数据库不可用或拒绝访问，请稍后重试")  # fmt: skip


def _disposed(engine: Engine) -> None:
    with _readers_lock:
        reader = _readers.pop(engine, None)
    if reader is not None:
        reader.close()
