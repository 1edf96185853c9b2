"""Property-based fuzzing against the OpenAPI document (schemathesis): no 5xx, ever.

Schemathesis reads ``/openapi.json`` from the running server and sends generated requests to
every operation: positive (matching the schema) and negative (violating it).  Path ids are
replaced by real ones (a case in its working state, a household) so that generated bodies
reach the service's own checks rather than stopping at "no such case".  Every response must be
a non-5xx whose status, content type and (for successes) body match the document.  Each
operation gets a bounded number of examples to keep CI fast (``JIUZHU_FUZZ_EXAMPLES``,
default 12).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from helpers import case_in, make_household
from http_support import Api
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jiuzhu import Actor
from jiuzhu.api import create_app

EXAMPLES = int(os.environ.get("JIUZHU_FUZZ_EXAMPLES", "12"))
# With JIUZHU_FUZZ_REPORT=FILE, each response's operation and status are appended to FILE (to
# measure how many operations the generated data reaches with a 2xx); the checks are the same.
REPORT = os.environ.get("JIUZHU_FUZZ_REPORT")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip


@pytest.fixture
def fuzz_target(api: Api) -> dict[str, Any]:
    """Real ids for the path parameters, and an entitled actor per path prefix."""
    case = case_in(api.svc, api.org, "provisionally_approved")
    return {"api": api, "case_id": case.id,
            "household_id": make_household(api.svc, api.org.village).id}  # fmt: skip


# The document the server publishes (it does not depend on the database behind it).
SCHEMA = schemathesis.openapi.from_dict(create_app(None).openapi())  # type: ignore[arg-type]
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def actor_for(api: Api, path: str) -> Actor:
    """The actor whose role the operation needs, so that fuzzing gets past authorisation."""
    org = api.org
    if path.endswith(("/approve", "/refuse")):
        return org.township
    if path.endswith("/record-verification") or path == "/org-units":
        return org.county
    if path.startswith("/cases/{case_id}/") and path.split("/")[-1] in (
        "history", "replay") or path.startswith(("/findings", "/reports")):  # fmt: skip
        return org.auditor
    return org.village


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_fuzzed_requests_never_get_a_server_error(operation: Any, fuzz_target: dict[str, Any],
                                                  live_server: Any) -> None:  # fmt: skip
    api: Api = fuzz_target["api"]
    token = api.token(actor_for(api, operation.path))

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def fuzz(case: Any) -> None:
        for name in ("case_id", "household_id"):
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = fuzz_target[name]
        response = case.call(base_url=live_server.base_url,
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        if REPORT:
            with open(REPORT, "a", encoding="utf-8") as report:
                report.write(f"{operation.label}\t{response.status_code}\n")
        case.validate_response(response, checks=CHECKS)

    fuzz()
