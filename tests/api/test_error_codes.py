"""Every error code jiuzhu raises has an explicit HTTP status and an explicit exit code.

The error classes are found, not listed: every module of the package is imported and the
subclasses of :class:`JiuzhuError` are walked, so a new error class in any module fails here
until ``api/problems.py`` and the CLI's exit-code table say what it means.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import jiuzhu
from jiuzhu.api.app import ERROR_STATUSES, create_app
from jiuzhu.api.problems import BY_STATUS, STATUS, TITLES, ApiError, from_error
from jiuzhu.cli import EXIT_CODES, EXIT_INTERNAL, EXIT_MEANINGS
from jiuzhu.errors import JiuzhuError

PACKAGE = Path(jiuzhu.__file__).resolve().parent
ROOT = PACKAGE.parents[1]
# Alembic's scripts run only inside Alembic (env.py reads its context when imported).
NOT_IMPORTABLE = ("jiuzhu.migrations.env", "jiuzhu.migrations.versions.")
# Codes only the HTTP layer produces (ApiError and the handlers in api/app.py), never the CLI.
HTTP_ONLY = {"bad_request", "unauthenticated", "method_not_allowed", "precondition_failed",
             "length_required",
             "payload_too_large", "unsupported_media_type", "internal_error"}  # fmt: skip
# A defect of jiuzhu's own code is honestly a 500; nothing a caller or the data can cause is.
DEFECTS = {"internal_error", "workflow_definition"}


def module_names() -> list[str]:
    """Every module under src/jiuzhu, by its files (``pkgutil.walk_packages`` skips folders
    without an ``__init__.py``, such as ``jiuzhu/service``)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not name.startswith(NOT_IMPORTABLE):
            names.append(name)
    return names


def error_classes() -> list[type[JiuzhuError]]:
    for name in module_names():
        importlib.import_module(name)
    found: list[type[JiuzhuError]] = []
    todo = list(JiuzhuError.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    # ApiError takes its code per instance (the HTTP-only codes, checked below).
    return sorted((c for c in found if c is not ApiError), key=lambda c: c.__qualname__)


CLASSES = error_classes()
CODES = sorted({cls.code for cls in CLASSES})


def instance(cls: type[JiuzhuError], message: str = "something went wrong", zh: str = "出错了",
             **details: object) -> JiuzhuError:  # fmt: skip
    """An instance whatever the subclass's constructor takes (only ``code`` matters here)."""
    exc = cls.__new__(cls)
    JiuzhuError.__init__(exc, message, zh, **details)
    return exc


def test_the_discovery_finds_the_error_classes_of_every_layer() -> None:
    names = {f"{c.__module__}.{c.__qualname__}" for c in CLASSES}
    assert "jiuzhu.service.service" in module_names()  # a folder without __init__.py
    assert {"jiuzhu.errors.InvalidInput", "jiuzhu.audit.replay.ReplayError",
            "jiuzhu.scheduler.startup.WorkerAlreadyRunning"} <= names  # fmt: skip
    assert any(c.code == "calendar_not_covered" for c in CLASSES)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__qualname__}:{c.code}")
def test_every_error_class_has_an_explicit_status_and_exit_code(cls: type[JiuzhuError]) -> None:
    assert cls.code != JiuzhuError.code, f"{cls.__qualname__} has no code of its own"
    assert cls.code in STATUS and cls.code in TITLES, f"{cls.code}: no HTTP status"
    assert cls.code in EXIT_CODES, f"{cls.code}: no exit code"
    assert STATUS[cls.code] != 500 or cls.code in DEFECTS
    assert EXIT_CODES[cls.code] in EXIT_MEANINGS
    response = from_error(instance(cls), instance="/x")
    assert response.status_code == STATUS[cls.code]
    body = json.loads(bytes(response.body))
    assert (body["code"], body["status"], body["title"]) == (cls.code, STATUS[cls.code],
                                                             TITLES[cls.code])  # fmt: skip


def test_only_defects_are_500_and_exit_internal() -> None:
    assert {c for c, s in STATUS.items() if s == 500} == DEFECTS
    assert {c for c, n in EXIT_CODES.items() if n == EXIT_INTERNAL} == DEFECTS - HTTP_ONLY


def test_the_tables_name_no_code_that_nothing_raises() -> None:
    assert set(STATUS) == set(TITLES) == set(CODES) | HTTP_ONLY
    assert set(EXIT_CODES) == set(CODES)
    assert not HTTP_ONLY & set(CODES)


def test_every_status_of_an_error_is_in_the_openapi_document() -> None:
    statuses = {STATUS[code] for code in CODES} - {500}
    assert statuses <= set(ERROR_STATUSES)
    assert {503, 409} <= statuses
    assert (BY_STATUS[409], BY_STATUS[500], BY_STATUS[503]) == ("transition_not_allowed",
                                                               "internal_error", "storage")  # fmt: skip


def test_problems_docstring_and_http_doc_list_every_code_with_its_status() -> None:
    from jiuzhu.api import problems

    table = problems.__doc__ or ""
    http_doc = (ROOT / "docs" / "http.md").read_text(encoding="utf-8")
    for code, status in STATUS.items():
        assert re.search(rf"^{code} +{status} ", table, re.M), f"problems.py: {code} {status}"
        row = next((line for line in http_doc.splitlines() if line.startswith(f"| {status} |")),
                   "")  # fmt: skip
        assert f"`{code}`" in row, f"docs/http.md: {code} under {status}"


def test_readme_lists_every_exit_code_with_its_error_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for number in EXIT_MEANINGS:
        row = next((line for line in readme.splitlines() if line.startswith(f"| {number} |")),
                   "")  # fmt: skip
        assert row, f"README: no row for exit code {number}"
        for code in (c for c, n in EXIT_CODES.items() if n == number):
            assert f"`{code}`" in row, f"README: {code} under exit code {number}"


def test_calendar_not_covered_is_503_saying_when_it_can_be_decided(tmp_path: Path) -> None:
    service = jiuzhu.connect(str(tmp_path / "calendar.db"))
    app = create_app(service)

    @app.get("/calendar-probe")
    def probe() -> None:
        cls = next(c for c in CLASSES if c.code == "calendar_not_covered")
        raise instance(cls, "2031-01-02 is outside the calendar", "2031-01-02 超出工作日历覆盖范围",
                       day="2031-01-02")  # fmt: skip

    try:
        response = TestClient(app).get("/calendar-probe")
    finally:
        service.close()
    assert response.status_code == 503
    assert "Retry-After" not in response.headers
    body = response.json()
    assert body["code"] == "calendar_not_covered"
    assert body["title"] == "Working-day calendar not loaded"
    assert body["detail"].startswith("2031-01-02 is outside the calendar (")
    assert "until the working-day calendar of that year is loaded" in body["detail"]
    assert "工作日历载入前无法办理" in body["message_zh"]
    assert body["details"] == {"day": "2031-01-02"}
