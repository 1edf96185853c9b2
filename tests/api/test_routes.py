"""The route table serves every public command and read of the service (or says why not)."""

from __future__ import annotations

import inspect

from jiuzhu.api.endpoints import shape_of
from jiuzhu.api.routes import NOT_SERVED, ROUTES
from jiuzhu.service.service import CaseService


def public_methods() -> set[str]:
    return {name for name, member in inspect.getmembers(CaseService, inspect.isfunction)
            if not name.startswith("_")}  # fmt: skip


def test_every_public_service_method_is_routed_or_listed_as_not_served() -> None:
    routed = {route.name for route in ROUTES if route.call is None}
    missing = public_methods() - routed - set(NOT_SERVED)
    assert not missing, (
        f"CaseService methods without an HTTP route: {sorted(missing)}; add one line each to "
        "ROUTES in src/jiuzhu/api/routes.py (or to NOT_SERVED, with the reason)"
    )
    assert not (routed & set(NOT_SERVED))
    assert routed <= public_methods(), "a route names a method the service does not have"


def test_each_route_is_one_method_and_path() -> None:
    keys = [(route.method, route.path) for route in ROUTES]
    assert len(keys) == len(set(keys))
    assert len({route.name for route in ROUTES}) == len(ROUTES)


def test_case_commands_take_if_match_and_idempotency_key_from_headers() -> None:
    for route in ROUTES:
        shape = shape_of(route, CaseService)
        if route.path.startswith("/cases/{case_id}/") and route.method == "POST":
            assert shape.versioned and shape.keyed, route.name
            assert "expected_version" not in shape.fields
            assert "idempotency_key" not in shape.fields


def test_test_hooks_are_not_served() -> None:
    for route in ROUTES:
        assert "now" not in shape_of(route, CaseService).fields, route.name


def test_serve_command_default_body_limit_is_the_guards() -> None:
    from jiuzhu.api.guard import DEFAULT_MAX_BODY, DEFAULT_MAX_UPLOAD
    from jiuzhu.cli.serve import DEFAULT_MAX_BODY as CLI_DEFAULT
    from jiuzhu.cli.serve import DEFAULT_MAX_UPLOAD as CLI_UPLOAD

    assert (CLI_DEFAULT, CLI_UPLOAD) == (DEFAULT_MAX_BODY, DEFAULT_MAX_UPLOAD)
