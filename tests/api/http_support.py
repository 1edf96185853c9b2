"""Helpers of the HTTP tests: calls as an actor, and the shape of a problem response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from helpers import Org

from jiuzhu import Actor, CaseService, FakeClock
from jiuzhu.api import tokens


@dataclass
class Api:
    """HTTP calls as one of the county's actors (each has its own bearer token)."""

    http: httpx.Client
    svc: CaseService
    org: Org
    other: Org  # a second county, outside every jurisdiction of the first
    clock: FakeClock
    tokens: dict[Actor, str] = field(default_factory=dict)

    def token(self, actor: Actor) -> str:
        if actor not in self.tokens:
            _, text = tokens.create_token(self.svc.engine, self.clock, role=actor.role.value,
                                          org=actor.org or None, user=actor.user)  # fmt: skip
            self.tokens[actor] = text
        return self.tokens[actor]

    def call(self, actor: Actor | None, method: str, path: str, *, json: Any = None,
             headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:  # fmt: skip
        sent = dict(headers or {})
        if actor is not None:
            sent.setdefault("Authorization", f"Bearer {self.token(actor)}")
        return self.http.request(method, path, json=json, headers=sent, **kwargs)

    def get(self, actor: Actor | None, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(actor, "GET", path, **kwargs)

    def post(self, actor: Actor | None, path: str, json: Any = None,
             **kwargs: Any) -> httpx.Response:  # fmt: skip
        return self.call(actor, "POST", path, json=json, **kwargs)


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """The RFC 9457 body of a refusal, checked for the members every refusal has."""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    assert body["type"] == f"urn:jiuzhu:problem:{body['code']}"
    assert body["title"] and body["detail"] and body["message_zh"]
    return body
