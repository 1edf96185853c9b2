"""People's accounts and sign-in sessions for the web front.

A user stands for the same :class:`Actor` a bearer token does -- a role at a unit -- with the
user name as the staff id that events carry.  Passwords are hashed with argon2id (argon2-cffi's
defaults, the RFC 9106 low-memory profile); a session's secret lives only in the person's
HttpOnly cookie, the database keeps its SHA-256.  Every time here is the service's clock.

* After :data:`MAX_FAILED_SIGN_INS` wrong passwords in a row an account is locked for
  :data:`LOCK_MINUTES` minutes; a right password does not unlock it early (an administrator can,
  by setting a new password).
* A session lasts :data:`SESSION_HOURS` hours and ends after :data:`IDLE_MINUTES` minutes
  without a request; signing out ends it at once, disabling the account ends all of its.
* An unknown user name and a wrong password get the same answer, after the same work.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..clock import iso_utc
from ..errors import AccountLocked, InvalidInput, NotFound, PermissionDenied, SignInRefused
from ..models import account_sql as sql
from ..models import log_sql
from . import inputs
from .actors import ROLE_LEVEL, Actor, Role, require_role
from .base import CommandBase
from .provider_check import provider_unit

MAX_FAILED_SIGN_INS = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8
IDLE_MINUTES = 30
MIN_PASSWORD, MAX_PASSWORD = 10, 128
_SEEN_EVERY = timedelta(seconds=60)  # how often a session's last request is written down
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class UserView:
    username: str
    display_name: str
    role: str
    org: str | None
    org_name: str | None
    status: str  # active | locked | disabled
    created_at: datetime
    last_sign_in_at: datetime | None
    provider: str | None = None  # the role provider's provider id

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = iso_utc(self.created_at)
        data["last_sign_in_at"] = None if self.last_sign_in_at is None else iso_utc(
            self.last_sign_in_at)  # fmt: skip
        return data


@dataclass(frozen=True)
class SignedIn:
    """A signed-in person: the session's secret (for the cookie only), its CSRF token, and
    the actor every page and action of the session runs as."""

    token: str
    csrf: str
    actor: Actor
    display_name: str
    org_name: str | None
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to check unknown user names against, so that they cost what a wrong password does."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


class Accounts(CommandBase):
    """Users (``manage_users``: an administrator anywhere, a county inside its county) and
    sessions (anyone, by user name and password)."""

    # -- managing users -------------------------------------------------------------------------

    def create_user(self, actor: Actor, *, username: str, password: str, role: str,
                    org: str | None, display_name: str,
                    provider: str | None = None) -> UserView:  # fmt: skip
        """Add a person who signs in as ``role`` at unit ``org`` (none for an administrator);
        a provider's staff (role ``provider``) name their provider, registered at ``org``."""
        require_role(actor, "manage_users")
        username = inputs.staff_id(username)
        display_name = str(inputs.text(display_name, "display name 姓名", required=True,
                                       max_length=100))  # fmt: skip
        wanted = Actor.parse(role, org or "", username, provider)
        self._check_grant(actor, wanted)
        _check_password(password, username)
        now = self.clock.now()
        with self.uow.write() as conn:
            if conn.execute(sql.user(username)).first() is not None:
                raise InvalidInput(f"user name {username} is taken", f"用户名 {username} 已被使用",
                                   username=username)  # fmt: skip
            conn.execute(sql.insert_user(), {
                "username": username, "display_name": display_name, "role": wanted.role.value,
                "org": wanted.org or None, "password_hash": _HASHER.hash(password),
                "failed_sign_ins": 0, "locked_until": None, "disabled_at": None,
                "created_at": now, "last_sign_in_at": None, "provider": wanted.provider,
            })  # fmt: skip
            log_sql.log_records(conn, "user", [username])
            row = conn.execute(sql.user(username)).one()
        return _view(row, now)

    def list_users(self, actor: Actor) -> list[UserView]:
        require_role(actor, "manage_users")
        path = None if actor.role is Role.ADMIN else self._actor_path(actor)
        now = self.clock.now()
        with self.uow.read() as conn:
            return [_view(r, now) for r in conn.execute(sql.users_within(path))]

    def disable_user(self, actor: Actor, username: str) -> UserView:
        """Disable an account and end its sessions at once (it is never deleted)."""
        return self._change_user(actor, username, disable=True)

    def set_password(self, actor: Actor, username: str, password: str) -> UserView:
        """Give a user a new password; this also unlocks a locked account."""
        _check_password(password, inputs.staff_id(username))
        return self._change_user(actor, username, password=password)

    def _change_user(self, actor: Actor, username: str, *, disable: bool = False,
                     password: str | None = None) -> UserView:  # fmt: skip
        require_role(actor, "manage_users")
        username = inputs.staff_id(username)
        now = self.clock.now()
        with self.uow.write() as conn:
            row = conn.execute(sql.user(username, for_update=True)).first()
            if row is None:
                raise NotFound(f"user {username} not found", f"未找到用户 {username}")
            if actor.role is not Role.ADMIN:
                self._require_jurisdiction(actor, row.org_path or "", f"user {username}")
            if disable:
                if row.disabled_at is None:
                    conn.execute(sql.update_user(username, disabled_at=now))
                    log_sql.log_records(conn, "user", [username])
                conn.execute(sql.end_sessions_of(username, now))
            if password is not None:
                conn.execute(sql.update_user(username, password_hash=_HASHER.hash(password),
                                             failed_sign_ins=0, locked_until=None))  # fmt: skip
                conn.execute(sql.end_sessions_of(username, now))
            row = conn.execute(sql.user(username)).one()
        return _view(row, now)

    def _check_grant(self, actor: Actor, wanted: Actor) -> None:
        if wanted.role is Role.SYSTEM:
            raise InvalidInput("the system role belongs to the deadline worker; no person signs "
                               "in as it", "系统角色仅供期限调度进程使用，不能分配给用户")  # fmt: skip
        if wanted.role is Role.ADMIN:
            if actor.role is not Role.ADMIN:
                raise InvalidInput("only an administrator can create an administrator",
                                   "只有系统管理员可以创建系统管理员账户")  # fmt: skip
            if wanted.org:
                raise InvalidInput("an administrator belongs to no unit (leave --org out)",
                                   "系统管理员不属于任何单位（不要指定 --org）")  # fmt: skip
            return
        if not wanted.org:
            raise InvalidInput(f"a {wanted.role.value} user needs the unit (--org)",
                               "请指定用户所属单位（--org）")  # fmt: skip
        level, path = self._org(inputs.org_id(wanted.org))
        needed = ROLE_LEVEL[wanted.role]
        if needed is not None and level != needed:
            raise InvalidInput(f"role '{wanted.role.value}' acts from a {needed}, but "
                               f"{wanted.org} is a {level}",
                               f"角色与单位层级不符（{wanted.org} 为 {level}）")  # fmt: skip
        if actor.role is not Role.ADMIN:
            self._require_jurisdiction(actor, path, f"unit {wanted.org}")
        if wanted.role is Role.PROVIDER:
            try:
                provider_unit(self, wanted)
            except PermissionDenied as err:
                raise InvalidInput(err.message, err.zh) from None

    # -- signing in ------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> SignedIn:
        """A new session for the user, or :class:`SignInRefused` / :class:`AccountLocked`."""
        refused = SignInRefused("wrong user name or password", "用户名或密码错误")
        if not isinstance(username, str) or not isinstance(password, str) \
                or not 0 < len(username) <= 64 or len(password) > MAX_PASSWORD:  # fmt: skip
            raise refused
        now = self.clock.now()
        with self.uow.read() as conn:
            row = conn.execute(sql.user(username)).first()
        if row is None:
            _password_matches(_decoy_hash(), password)
            raise refused
        _refuse_closed(row, now)
        matches = _password_matches(row.password_hash, password)
        with self.uow.write() as conn:
            row = conn.execute(sql.user(username, for_update=True)).one()
            closed = _closed(row, now)
            if closed is None and matches:
                return self._open_session(conn, row, password, now)
            if closed is None:
                failed = row.failed_sign_ins + 1
                lock = failed >= MAX_FAILED_SIGN_INS
                conn.execute(sql.update_user(
                    username, failed_sign_ins=0 if lock else failed,
                    locked_until=now + timedelta(minutes=LOCK_MINUTES) if lock else None))  # fmt: skip
                closed = _locked_error() if lock else refused
        raise closed  # after the commit: the count of failures stands

    def _open_session(self, conn: Any, row: Any, password: str, now: datetime) -> SignedIn:
        values: dict[str, Any] = {"failed_sign_ins": 0, "locked_until": None,
                                  "last_sign_in_at": now}  # fmt: skip
        if _HASHER.check_needs_rehash(row.password_hash):
            values["password_hash"] = _HASHER.hash(password)
        conn.execute(sql.update_user(row.username, **values))
        token = "jzs_" + secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = now + timedelta(hours=SESSION_HOURS)
        conn.execute(sql.insert_session(), {
            "id": _digest(token), "username": row.username, "csrf": csrf, "created_at": now,
            "expires_at": expires, "last_seen_at": now, "ended_at": None,
        })  # fmt: skip
        return SignedIn(token, csrf, _actor(row), row.display_name, row.org_name, expires)

    def session(self, token: str) -> SignedIn:
        """The signed-in person of a session's secret, or :class:`SignInRefused`."""
        ended = SignInRefused("the session has ended; sign in again", "登录已失效，请重新登录")
        if not isinstance(token, str) or not token.startswith("jzs_") or len(token) > 100:
            raise ended
        digest = _digest(token)
        now = self.clock.now()
        with self.uow.read() as conn:
            found = conn.execute(sql.session_of(digest)).first()
            user = None if found is None else conn.execute(sql.user(found.username)).first()
        if found is None or user is None or not hmac.compare_digest(found.id, digest):
            raise ended
        idle = now - found.last_seen_at > timedelta(minutes=IDLE_MINUTES)
        if found.ended_at is not None or found.expires_at <= now or idle \
                or user.disabled_at is not None:  # fmt: skip
            raise ended
        if now - found.last_seen_at >= _SEEN_EVERY:
            with self.uow.write() as conn:
                conn.execute(sql.update_session(digest, last_seen_at=now))
        return SignedIn(token, found.csrf, _actor(user), user.display_name, user.org_name,
                        found.expires_at)  # fmt: skip

    def sign_out(self, token: str) -> None:
        """End the session now; signing out of an ended or unknown session changes nothing."""
        if not isinstance(token, str) or len(token) > 100:
            return
        with self.uow.write() as conn:
            conn.execute(sql.update_session(_digest(token), ended_at=self.clock.now()))


def _actor(row: Any) -> Actor:
    return Actor(Role(row.role), row.org or "", row.username, row.provider)


def _status(row: Any, now: datetime) -> str:
    if row.disabled_at is not None:
        return "disabled"
    if row.locked_until is not None and row.locked_until > now:
        return "locked"
    return "active"


def _view(row: Any, now: datetime) -> UserView:
    return UserView(row.username, row.display_name, row.role, row.org, row.org_name,
                    _status(row, now), row.created_at, row.last_sign_in_at,
                    row.provider)  # fmt: skip


def _locked_error() -> AccountLocked:
    return AccountLocked(
        f"the account is locked for {LOCK_MINUTES} minutes after {MAX_FAILED_SIGN_INS} failed "
        "sign-ins; try again later or ask an administrator to set a new password",
        f"连续 {MAX_FAILED_SIGN_INS} 次登录失败，账户已锁定 {LOCK_MINUTES} 分钟；"
        "请稍后再试，或请管理员重设密码",
    )


def _closed(row: Any, now: datetime) -> AccountLocked | None:
    if row.disabled_at is not None:
        return AccountLocked("the account is disabled; ask an administrator",
                             "该账户已停用，请联系管理员")  # fmt: skip
    if row.locked_until is not None and row.locked_until > now:
        return _locked_error()
    return None


def _refuse_closed(row: Any, now: datetime) -> None:
    closed = _closed(row, now)
    if closed is not None:
        raise closed


def _check_password(password: object, username: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
                           f"密码长度应为 {MIN_PASSWORD} 至 {MAX_PASSWORD} 个字符")  # fmt: skip
    if password.lower() == username.lower() or len(set(password)) < 4:
        raise InvalidInput("the password is too easy to guess (the user name, or too few "
                           "different characters)", "密码过于简单（与用户名相同或字符种类太少）")  # fmt: skip
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("the password is not Unicode text", "密码含有无效字符") from None
