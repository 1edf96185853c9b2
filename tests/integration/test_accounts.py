"""People's accounts and sessions: argon2 hashes, lock-out, session expiry, sign-out, who may
manage whom.  Time is the service's FakeClock: a lock or an idle timeout passes when the test
moves the clock, never by waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import Org
from sqlalchemy import select

from jiuzhu import CaseService, FakeClock, InvalidInput, NotFound, PermissionDenied
from jiuzhu.errors import AccountLocked, SignInRefused
from jiuzhu.models import account_sql
from jiuzhu.service.accounts import IDLE_MINUTES, LOCK_MINUTES, MAX_FAILED_SIGN_INS, SESSION_HOURS
from jiuzhu.service.actors import Role

PASSWORD = "团结 community 2024"


def _village_user(svc: CaseService, org: Org, username: str = "wangfang") -> None:
    svc.create_user(org.county, username=username, password=PASSWORD, role="village",
                    org=org.village.org, display_name="王芳")  # fmt: skip


def _row(svc: CaseService, username: str):  # type: ignore[no-untyped-def]
    with svc.engine.connect() as conn:
        return conn.execute(account_sql.user(username)).one()


def test_a_user_signs_in_as_the_actor_of_their_role_and_unit(svc: CaseService, org: Org) -> None:
    _village_user(svc, org)
    signed = svc.sign_in("wangfang", PASSWORD)
    assert (signed.actor.role, signed.actor.org, signed.actor.user) == (
        Role.VILLAGE, org.village.org, "wangfang")  # fmt: skip
    assert signed.display_name == "王芳" and signed.org_name
    assert svc.session(signed.token).actor == signed.actor
    assert svc.session(signed.token).csrf == signed.csrf


def test_only_an_argon2id_hash_of_the_password_and_a_digest_of_the_session_are_stored(
    svc: CaseService, org: Org
) -> None:
    _village_user(svc, org)
    signed = svc.sign_in("wangfang", PASSWORD)
    row = _row(svc, "wangfang")
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    with svc.engine.connect() as conn:
        ids = [r.id for r in conn.execute(select(account_sql.sessions))]
    assert signed.token not in ids and len(ids) == 1 and len(ids[0]) == 64


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(
    svc: CaseService, org: Org
) -> None:
    _village_user(svc, org)
    with pytest.raises(SignInRefused) as unknown:
        svc.sign_in("nobody", PASSWORD)
    with pytest.raises(SignInRefused) as wrong:
        svc.sign_in("wangfang", PASSWORD + "x")
    assert (unknown.value.message, unknown.value.zh) == (
        wrong.value.message, wrong.value.zh)  # fmt: skip


def test_repeated_failures_lock_the_account_until_the_lock_passes(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    _village_user(svc, org)
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        with pytest.raises(SignInRefused):
            svc.sign_in("wangfang", "not the password")
    with pytest.raises(AccountLocked, match="locked"):
        svc.sign_in("wangfang", "not the password")
    with pytest.raises(AccountLocked) as locked:  # even the right password, while locked
        svc.sign_in("wangfang", PASSWORD)
    assert "锁定" in locked.value.zh
    assert svc.list_users(org.county)[0].status == "locked"
    clock.advance(timedelta(minutes=LOCK_MINUTES) - timedelta(seconds=1))
    with pytest.raises(AccountLocked):
        svc.sign_in("wangfang", PASSWORD)
    clock.advance(timedelta(seconds=2))
    assert svc.sign_in("wangfang", PASSWORD).actor.user == "wangfang"
    assert _row(svc, "wangfang").failed_sign_ins == 0


def test_a_right_password_resets_the_count_of_failures(svc: CaseService, org: Org) -> None:
    _village_user(svc, org)
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        with pytest.raises(SignInRefused):
            svc.sign_in("wangfang", "not the password")
    svc.sign_in("wangfang", PASSWORD)
    with pytest.raises(SignInRefused):  # a fresh count: one failure does not lock
        svc.sign_in("wangfang", "not the password")
    assert _row(svc, "wangfang").locked_until is None


def test_sessions_end_on_sign_out_when_idle_and_after_their_lifetime(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    _village_user(svc, org)
    gone = svc.sign_in("wangfang", PASSWORD)
    svc.sign_out(gone.token)
    with pytest.raises(SignInRefused, match="sign in again"):
        svc.session(gone.token)
    idle = svc.sign_in("wangfang", PASSWORD)
    clock.advance(timedelta(minutes=IDLE_MINUTES, seconds=1))
    with pytest.raises(SignInRefused):
        svc.session(idle.token)
    busy = svc.sign_in("wangfang", PASSWORD)
    step = timedelta(minutes=IDLE_MINUTES - 1)  # in use all day, never idle for long
    assert busy.expires_at - clock.now() == timedelta(hours=SESSION_HOURS)
    while clock.now() + step < busy.expires_at:
        clock.advance(step)
        svc.session(busy.token)
    clock.advance(step)  # past the lifetime, though not idle
    with pytest.raises(SignInRefused):
        svc.session(busy.token)


def test_disabling_an_account_ends_its_sessions_and_refuses_sign_in(
    svc: CaseService, org: Org
) -> None:
    _village_user(svc, org)
    signed = svc.sign_in("wangfang", PASSWORD)
    assert svc.disable_user(org.county, "wangfang").status == "disabled"
    with pytest.raises(SignInRefused):
        svc.session(signed.token)
    with pytest.raises(AccountLocked, match="disabled"):
        svc.sign_in("wangfang", PASSWORD)


def test_a_new_password_unlocks_and_ends_old_sessions(svc: CaseService, org: Org) -> None:
    _village_user(svc, org)
    old = svc.sign_in("wangfang", PASSWORD)
    for _ in range(MAX_FAILED_SIGN_INS):
        with pytest.raises((SignInRefused, AccountLocked)):
            svc.sign_in("wangfang", "not the password")
    assert svc.set_password(org.county, "wangfang", "a new one for 2024").status == "active"
    with pytest.raises(SignInRefused):
        svc.session(old.token)
    assert svc.sign_in("wangfang", "a new one for 2024").actor.user == "wangfang"


@pytest.mark.parametrize("token", ["", "jzs_", "jzs_" + "x" * 43, "jz_abc", "x" * 5000])
def test_a_made_up_session_token_is_refused(svc: CaseService, token: str) -> None:
    with pytest.raises(SignInRefused):
        svc.session(token)


def test_a_county_manages_people_of_its_own_county_only(svc: CaseService, org: Org) -> None:
    _village_user(svc, org)
    with pytest.raises(PermissionDenied):
        svc.create_user(org.village, username="x1", password=PASSWORD, role="village",
                        org=org.village.org, display_name="x")  # fmt: skip
    with pytest.raises(PermissionDenied):
        svc.list_users(org.auditor)
    with pytest.raises(InvalidInput, match="only an administrator"):
        svc.create_user(org.county, username="root2", password=PASSWORD, role="admin",
                        org=None, display_name="x")  # fmt: skip
    assert [u.username for u in svc.list_users(org.county)] == ["wangfang"]


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"password": "short"}, "10 to 128"),
        ({"password": "aaaaaaaaaaaa"}, "too easy"),
        ({"username": "has space"}, "staff id"),
        ({"role": "system"}, "deadline worker"),
        ({"role": "township"}, "acts from a township"),
        ({"display_name": " "}, "required"),
    ],
)
def test_a_malformed_user_is_refused_and_nothing_is_written(
    svc: CaseService, org: Org, changes: dict[str, str], match: str
) -> None:
    fields = {"username": "li", "password": PASSWORD, "role": "village",
              "org": org.village.org, "display_name": "李"} | changes  # fmt: skip
    with pytest.raises(InvalidInput, match=match):
        svc.create_user(org.county, **fields)  # type: ignore[arg-type]
    assert svc.list_users(org.county) == []


def test_a_taken_user_name_is_refused(svc: CaseService, org: Org) -> None:
    _village_user(svc, org)
    with pytest.raises(InvalidInput, match="taken"):
        _village_user(svc, org)


def test_disabling_an_unknown_user_is_not_found(svc: CaseService, org: Org) -> None:
    with pytest.raises(NotFound):
        svc.disable_user(org.county, "nobody")
