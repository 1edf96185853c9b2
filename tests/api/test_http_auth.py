"""Bearer tokens: hashed at rest, expiring, revocable; every failure is a 401 saying only why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from helpers import db_snapshot, new_members
from http_support import Api, problem_of
from sqlalchemy import select

from jiuzhu import InvalidInput, NotFound
from jiuzhu.api import tokens
from jiuzhu.clock import FakeClock


def refused_401(api: Api, headers: dict[str, Any]) -> dict[str, Any]:
    before = db_snapshot(api.svc)
    response = api.call(None, "POST", "/households", json={"members": []}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith('Bearer realm="jiuzhu"')
    assert db_snapshot(api.svc) == before
    return problem_of(response)


def test_request_without_a_token_gets_401_with_a_bearer_challenge(api: Api) -> None:
    body = refused_401(api, {})
    assert body["code"] == "unauthenticated"
    assert refused_401(api, {"Authorization": "Basic dXNlcjpwYXNz"})["code"] == "unauthenticated"


@pytest.mark.parametrize("token", ["jz_123", "jz_0123456789ab_" + "A" * 43, "x" * 5000, "Bearer",
                                   "jz_0123456789ab_" + "é" * 43])  # fmt: skip
def test_unknown_or_malformed_token_gets_401(api: Api, token: str) -> None:
    body = refused_401(api, {"Authorization": f"Bearer {token}".encode()})  # type: ignore[dict-item]
    assert body["code"] == "unauthenticated"


def test_token_with_a_changed_secret_gets_401(api: Api) -> None:
    good = api.token(api.org.village)
    forged = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert "not known" in refused_401(api, {"Authorization": f"Bearer {forged}"})["detail"]


def test_expired_token_gets_401_once_its_time_has_passed(api: Api) -> None:
    info, text = tokens.create_token(api.svc.engine, api.clock, role="village",
                                     org=api.org.village.org,
                                     expires_at=api.clock.now() + timedelta(hours=1))  # fmt: skip
    auth = {"Authorization": f"Bearer {text}"}
    assert api.call(None, "GET", "/cases", headers=auth).status_code == 200
    api.clock.advance(timedelta(hours=1))
    assert "expired" in refused_401(api, auth)["detail"]


def test_revoked_token_gets_401_at_once(api: Api) -> None:
    info, text = tokens.create_token(api.svc.engine, api.clock, role="county",
                                     org=api.org.county.org)  # fmt: skip
    auth = {"Authorization": f"Bearer {text}"}
    assert api.call(None, "GET", "/cases", headers=auth).status_code == 200
    revoked = tokens.revoke_token(api.svc.engine, api.clock, info.id)
    assert revoked.status(api.clock.now()) == "revoked"
    assert "revoked" in refused_401(api, auth)["detail"]


def test_only_the_hash_of_a_token_is_stored(api: Api) -> None:
    info, text = tokens.create_token(api.svc.engine, api.clock, role="auditor",
                                     org=api.org.county.org, user="audit-01")  # fmt: skip
    with api.svc.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(tokens.tokens))]
    assert not any(text in str(value) for row in rows for value in row)
    secret = text.rsplit("_", 1)[1]
    assert not any(secret in str(value) for row in rows for value in row)
    stored = next(r for r in rows if r[0] == info.id)
    assert tokens.digest(text) in stored


def test_token_user_is_recorded_as_the_events_actor(api: Api) -> None:
    _, text = tokens.create_token(api.svc.engine, api.clock, role="village",
                                  org=api.org.village.org, user="cw-0042")  # fmt: skip
    auth = {"Authorization": f"Bearer {text}"}
    home = api.call(None, "POST", "/households", json={"members": new_members(1)}, headers=auth)
    body = {"household_id": home.json()["id"], "applicant_id": home.json()["member_ids"][0],
            "programme": "dibao", "cause": "disaster", "expenditure": "30000"}  # fmt: skip
    case = api.call(None, "POST", "/cases", json=body, headers=auth).json()
    event = api.svc.history(api.org.county, case["id"])[0]
    assert event.actor == {"role": "village", "org": api.org.village.org, "user": "cw-0042"}


@pytest.mark.parametrize(
    ("role", "unit", "error"),
    [
        ("mayor", "320922", InvalidInput),  # unknown role
        ("system", "320922", InvalidInput),  # the worker's role is never issued
        ("village", None, InvalidInput),  # a unit is needed
        ("admin", "320922", InvalidInput),  # an admin has none
        ("village", "320922", InvalidInput),  # a county is not a village
        ("township", "320922100001", InvalidInput),  # a village is not a township
        ("county", "999999", NotFound),  # no such unit
        ("county", "32 09", InvalidInput),  # malformed unit id
    ],
)
def test_token_create_refuses_an_actor_that_cannot_exist(
    api: Api, role: str, unit: str | None, error: type
) -> None:
    before = tokens.list_tokens(api.svc.engine)
    with pytest.raises(error):
        tokens.create_token(api.svc.engine, api.clock, role=role, org=unit)
    assert tokens.list_tokens(api.svc.engine) == before


def test_expiry_text_is_a_duration_or_a_date_time_within_a_year() -> None:
    clock = FakeClock(datetime(2024, 3, 15, 2, 0, tzinfo=UTC))
    now = clock.now()
    assert tokens.parse_expiry("90d", now) == now + timedelta(days=90)
    assert tokens.parse_expiry(None, now) == now + timedelta(days=90)  # the default
    assert tokens.parse_expiry("12h", now) == now + timedelta(hours=12)
    assert tokens.parse_expiry("365d", now) == now + timedelta(days=365)
    assert tokens.parse_expiry("2025-03-14T00:00+08:00", now) is not None
    for bad in ("0d", "-1d", "soon", "2000-01-01T00:00Z", "2025-03-14T00:00"):
        with pytest.raises(InvalidInput):
            tokens.parse_expiry(bad, now)
    for too_long in ("366d", "53w", "8761h", "99999w", "never", "2099-01-01T00:00+08:00"):
        with pytest.raises(InvalidInput, match="at most 365 days") as refused:
            tokens.parse_expiry(too_long, now)
        assert "最长 365 天" in refused.value.zh
