"""Helpers of the HTTP tests: calls as an actor, and the shape of a problem response."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from helpers import Org, case_in, fire, make_household

from jiuzhu import Actor, CaseService, FakeClock
from jiuzhu.api import tokens
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.views import CaseView


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
                                          org=actor.org or None, user=actor.user,
                                          provider=actor.provider)  # fmt: skip
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


def clean_env(**extra: str) -> dict[str, str]:
    """The developer's environment without any ``JIUZHU_*`` variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIUZHU_")}
    return {**env, "PYTHONUTF8": "1", **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_serve(
    args: list[str], env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A real ``jiuzhu serve ARGS --port P`` on loopback, up (``/health``) before it is yielded
    as (base URL, process); killed afterwards."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "jiuzhu.cli", "serve", *args, "--port",
                                str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        while True:  # start-up of a process, not a domain deadline
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() - started < 60, "jiuzhu serve did not start within 60 s"
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """The RFC 9457 body of a refusal, checked for the members every refusal has."""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    assert body["type"] == f"urn:jiuzhu:problem:{body['code']}"
    assert body["title"] and body["detail"] and body["message_zh"]
    return body


# -- cases of the standard path, temporary assistance and money, in any state ---------------
# Driven through the library by the usual actors, on the test's clock (the server under test
# shares it), so that the HTTP request under test is the one step that follows.

INVESTIGATORS = ["bh-01", "bh-02"]
STANDARD_STEPS: dict[str, Callable[[CaseService, Org, CaseView], CaseView]] = {
    "accepted": lambda svc, org, case: svc.accept_standard(org.township, case.id),
    "investigating": lambda svc, org, case: svc.start_investigation(
        org.township, case.id, investigators=INVESTIGATORS),
    "verifying": lambda svc, org, case: svc.complete_investigation(
        org.township, case.id, household_income="300", signed_by=case.facts["applicant_id"],
        investigators=INVESTIGATORS),
    "verification_started": lambda svc, org, case: svc.start_verification(org.centre, case.id),
    "checked": lambda svc, org, case: svc.record_check(org.centre, case.id,
                                                       result="meets_standard"),
    "public_notice": lambda svc, org, case: svc.give_opinion(org.township, case.id,
                                                             recommend=True, opinion="同意"),
    "appraising": lambda svc, org, case: svc.record_objection(
        org.village, case.id, route="appraisal", summary="群众对收入有异议"),
    "county_review": lambda svc, org, case: svc.give_opinion(
        org.township, case.id, recommend=False, opinion="存款超过标准"),
    "rejected": lambda svc, org, case: svc.decide_standard(org.county, case.id, decision="reject",
                                                           reason="家庭存款超过规定"),
}  # fmt: skip
_CHECKED = ("accepted", "investigating", "verifying", "verification_started", "checked")
STANDARD_PATH_TO: dict[str, tuple[str, ...]] = {
    "applied": (),
    "accepted": _CHECKED[:1],
    "investigating": _CHECKED[:2],
    "verifying": _CHECKED[:3],
    "checked": _CHECKED,
    "public_notice": (*_CHECKED, "public_notice"),
    "appraising": (*_CHECKED, "public_notice", "appraising"),
    "county_review": (*_CHECKED, "county_review"),
    "rejected": (*_CHECKED, "county_review", "rejected"),
}
TEMPORARY_STEPS: dict[str, Callable[[CaseService, Org, CaseView], CaseView]] = {
    "assessed": lambda svc, org, case: svc.assess_temporary(org.village, case.id,
                                                            sudden_event="火灾，消防部门证明"),
    "approved": lambda svc, org, case: svc.decide_temporary(org.township, case.id,
                                                            decision="approve", multiplier=2),
    "paid": lambda svc, org, case: svc.pay_temporary(org.township, case.id),
    "assisted_first": lambda svc, org, case: svc.assist_first(
        org.township, case.id, multiplier=2, reason="火灾，先行救助"),
}  # fmt: skip
TEMPORARY_PATH_TO: dict[str, tuple[str, ...]] = {
    "applied": (),
    "assessed": ("assessed",),
    "approved": ("assessed", "approved"),
    "paid": ("assessed", "approved", "paid"),
    "assisted_first": ("assisted_first",),
}


def standard_case_in(api: Api, state: str) -> CaseView:
    """A new standard-path case of a one-person household in ``api.org.village``, in ``state``
    (``verifying`` before the data check starts; ``rejected`` with its notice owed)."""
    home = make_household(api.svc, api.org.village)
    case = api.svc.apply_standard(api.org.village, household_id=home.id,
                                  applicant_id=home.member_ids[0])  # fmt: skip
    for step in STANDARD_PATH_TO[state]:
        case = STANDARD_STEPS[step](api.svc, api.org, case)
    assert (case.workflow, case.state) == ("standard", state)
    return case


def temporary_case_in(api: Api, state: str) -> CaseView:
    """A new temporary-assistance case of a one-person household in ``api.org.village``."""
    home = make_household(api.svc, api.org.village)
    case = api.svc.apply_temporary(api.org.village, household_id=home.id,
                                   applicant_id=home.member_ids[0])  # fmt: skip
    for step in TEMPORARY_PATH_TO[state]:
        case = TEMPORARY_STEPS[step](api.svc, api.org, case)
    assert (case.workflow, case.state) == ("temporary", state)
    return case


def owing_case(api: Api) -> CaseView:
    """A fast-track case of ``api.org.village`` revoked for falsification after its first
    month was paid: it owes that month back, and its applicant is on the credit record."""
    case = case_in(api.svc, api.org, "provisionally_approved")
    sweep(api.svc, worker="matrix", now=api.clock.now())  # the first month falls due at once
    case = fire(api.svc, api.org, api.svc.get_case(api.org.county, case.id), "revoke")
    assert case.state == "revoked" and case.facts["money"]["owed_fen"] > 0, case.facts
    return case
