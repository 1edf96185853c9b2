"""What the OpenAPI document says about each parameter beyond its type: enums, ranges,
formats, patterns and examples -- for people reading ``/docs`` and for generated tests.

The service still checks every value (docs/domain.md §2, §7): these declarations describe the
checks, so that a client (or schemathesis) can send valid data; they refuse nothing
themselves, except the filters declared as enums (an unknown value is a 422 listing the valid
ones).
"""

from __future__ import annotations

import typing
from typing import Any, Literal

from ..audit.findings import LABELS as FINDING_LABELS
from ..service.paging import DEFAULT_LIMIT, MAX_LIMIT
from ..service.reads import PROGRAMMES, STATES, WORKFLOWS

# query filters with a closed set of values, by parameter name
ENUMS: dict[str, tuple[str, ...]] = {
    "state": STATES,
    "programme": PROGRAMMES,
    "workflow": WORKFLOWS,
    "kind": tuple(FINDING_LABELS),
}
AMOUNT_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,2})?$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ORG_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

QUERY: dict[str, dict[str, Any]] = {
    "limit": {
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "default": DEFAULT_LIMIT,
        "description": f"items per page, 1-{MAX_LIMIT} (每页条数)",
    },
    "after": {"maxLength": 512, "description": "the `next` cursor of the page before (翻页游标)"},
    "org": {
        "pattern": ORG_PATTERN,
        "examples": ["320922"],
        "description": "an organisation unit inside your jurisdiction (单位编码)",
    },
    "month": {"pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "examples": ["2024-03"]},
    "case_id": {"pattern": UUID_PATTERN, "format": "uuid"},
    "household_id": {"pattern": UUID_PATTERN, "format": "uuid"},
}

# body fields, by name: what the service accepts (docs/domain.md)
BODY: dict[str, dict[str, Any]] = {
    "household_id": {"format": "uuid", "pattern": UUID_PATTERN},
    "applicant_id": {"format": "uuid", "pattern": UUID_PATTERN},
    "signed_by": {"format": "uuid", "pattern": UUID_PATTERN},
    "person_id": {"format": "uuid", "pattern": UUID_PATTERN},
    "fast_track_case": {"format": "uuid", "pattern": UUID_PATTERN},
    "id": {"pattern": ORG_PATTERN, "examples": ["320922001001"]},
    "parent_id": {"pattern": ORG_PATTERN, "examples": ["320922001"]},
    "village_id": {"pattern": ORG_PATTERN, "examples": ["320922001001"]},
    "level": {"enum": ["county", "township", "village"]},
    "name": {"minLength": 1, "maxLength": 100, "examples": ["滨海县"]},
    "votes_for": {"minimum": 0, "maximum": 1000},
    "votes_against": {"minimum": 0, "maximum": 1000},
    "abstentions": {"minimum": 0, "maximum": 1000},
    "attendance": {"minimum": 0, "maximum": 1000},
    "multiplier": {"minimum": 1, "maximum": 5},
    "household_size": {"minimum": 1, "maximum": 20},
}
TEXT_MAX = 2000


def query_extra(name: str, kind: Any) -> dict[str, Any] | None:
    extra = dict(QUERY.get(name, {}))
    fmt = date_format(kind)
    if fmt:
        extra["format"] = fmt
    return extra or None


def body_extra(name: str, kind: Any, declared: Any) -> dict[str, Any] | None:
    """``declared`` is the service's annotation (``object`` for an amount of yuan)."""
    extra = dict(BODY.get(name, {}))
    fmt = date_format(declared)
    if fmt:
        extra["format"] = fmt
        extra.setdefault(
            "examples", ["2024-03-15" if fmt == "date" else "2024-03-15T09:00:00+08:00"]
        )
    if declared is object or name.endswith(("amount", "income", "expenditure")):
        extra.update({"pattern": AMOUNT_PATTERN, "minimum": 0, "maximum": 999_999_999,
                      "examples": ["2000.00"],
                      "description": "yuan as text (e.g. \"2000.50\") or a whole number; never "
                      "a float (金额，单位元)"})  # fmt: skip
    elif _is_text(kind) and not extra.get("pattern") and "enum" not in extra:
        extra.setdefault("maxLength", TEXT_MAX)
    return extra or None


def enum_type(name: str, kind: Any) -> Any:
    """A ``Literal`` of the filter's values in place of ``str`` (keeping ``None``)."""
    values = ENUMS.get(name)
    if values is None or not _is_text(kind):
        return kind
    literal = Literal[values]  # type: ignore[valid-type]
    return literal | None if type(None) in typing.get_args(kind) else literal


def date_format(kind: Any) -> str | None:
    from datetime import date, datetime

    args = set(typing.get_args(kind)) | {kind}
    if datetime in args:
        return "date-time"
    if date in args:
        return "date"
    return None


def _is_text(kind: Any) -> bool:
    return kind is str or (str in typing.get_args(kind) and int not in typing.get_args(kind))


__all__ = ["BODY", "ENUMS", "QUERY", "body_extra", "enum_type", "query_extra"]
