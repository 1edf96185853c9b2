"""Property-based fuzzing against the OpenAPI document (schemathesis): no 5xx, ever.

Schemathesis reads ``/openapi.json`` from the running server and sends generated requests to
every operation: positive (matching the schema) and negative (violating it).  Each operation
gets the target the authorisation matrix (test_http_matrix.py) makes for it -- a case in the
state its command needs, a household, a plan -- and an entitled actor: path ids and the body
fields that name records are replaced by the target's, so that generated bodies reach the
service's own checks rather than stopping at "no such case".  Every response must be
a non-5xx whose status, content type and (for successes) body match the document.  Each
operation gets a bounded number of examples to keep CI fast (``JIUZHU_FUZZ_EXAMPLES``,
default 12).
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from http_support import Api
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_http_matrix import BINHAI_LINE, ENTITLED, REQUESTS, provider_of

from jiuzhu import Role
from jiuzhu.api import create_app
from jiuzhu.api.routes import ROUTES

EXAMPLES = int(os.environ.get("JIUZHU_FUZZ_EXAMPLES", "12"))
# With JIUZHU_FUZZ_REPORT=FILE, each response's operation and status are appended to FILE (to
# measure how many operations the generated data reaches with a 2xx); the checks are the same.
REPORT = os.environ.get("JIUZHU_FUZZ_REPORT")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip


# Body fields that name records: generated values cannot name a real one, so the real one
# of the operation's target is put in their place (the rest of the body stays generated).
RECORD_FIELDS = ("household_id", "applicant_id", "signed_by", "plan_id", "parent_id",
                 "commitment_signed_by", "members", "oneoff_id")  # fmt: skip
ROUTE_OF = {(r.method, r.path): r.name for r in ROUTES}
ROLE_ORDER = (Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY, Role.VERIFICATION_CENTRE, Role.AUDITOR,
              Role.ADMIN, Role.PROVIDER)  # fmt: skip


@pytest.fixture
def fuzz_target(api: Api, operation: Any) -> dict[str, Any]:
    """The operation's target, as the authorisation matrix makes it (a case in the state the
    command needs, a household, a plan), its real path parameters and record ids, and an
    entitled actor, so that generated requests reach the service's own checks."""
    api.svc.policy_book = api.svc.policy_book.with_dibao_line(*BINHAI_LINE)
    name = ROUTE_OF.get((operation.method.upper(), operation.path))
    target: dict[str, Any] = {"api": api, "path": {}, "body": {}}
    if name is None:  # the audit downloads: an auditor's
        target["actor"] = api.org.auditor
        return target
    _, real_path, body = REQUESTS[name](api)
    template = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/?]+)", re.escape(operation.path))
    match = re.match(template, real_path)
    target["path"] = match.groupdict() if match else {}
    target["body"] = {k: v for k, v in (body or {}).items() if k in RECORD_FIELDS}
    by_role = {Role.VILLAGE: api.org.village, Role.TOWNSHIP: api.org.township,
               Role.COUNTY: api.org.county, Role.VERIFICATION_CENTRE: api.org.centre,
               Role.AUDITOR: api.org.auditor, Role.ADMIN: api.org.admin,
               Role.PROVIDER: provider_of(api)}  # fmt: skip
    target["actor"] = next(by_role[r] for r in ROLE_ORDER if r in ENTITLED[name])
    return target


# The document the server publishes (it does not depend on the database behind it).
SCHEMA = schemathesis.openapi.from_dict(create_app(None).openapi())  # type: ignore[arg-type]
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_fuzzed_requests_never_get_a_server_error(operation: Any, fuzz_target: dict[str, Any],
                                                  live_server: Any) -> None:  # fmt: skip
    api: Api = fuzz_target["api"]
    token = api.token(fuzz_target["actor"])

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def fuzz(case: Any) -> None:
        for name, value in fuzz_target["path"].items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
        if isinstance(case.body, dict):
            case.body.update({k: v for k, v in fuzz_target["body"].items() if k in case.body})
        response = case.call(base_url=live_server.base_url,
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        if REPORT:
            with open(REPORT, "a", encoding="utf-8") as report:
                report.write(f"{operation.label}\t{response.status_code}\n")
        case.validate_response(response, checks=CHECKS)

    fuzz()
