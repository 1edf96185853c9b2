"""Guards and effects that several workflows share (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..clock import iso_utc
from ..errors import GuardRejected
from .model import CaseModel, Effect


def money(facts: dict[str, Any]) -> dict[str, int]:
    """The running totals in fen that a case's projection carries (created on first use)."""
    totals: dict[str, int] = facts.setdefault(
        "money", {"paid_fen": 0, "owed_fen": 0, "recovered_fen": 0, "fined_fen": 0,
                  "repaid_fen": 0, "written_off_fen": 0})  # fmt: skip
    return totals


def check_applicant(payload: Mapping[str, Any]) -> None:
    if payload["applicant_id"] not in payload["member_ids"]:
        raise GuardRejected("the applicant must be a member of the applying household",
                            "申请人必须是申请家庭的成员")  # fmt: skip


def votes_add_up(model: CaseModel, payload: dict[str, Any]) -> None:
    cast = payload["votes_for"] + payload["votes_against"] + payload["abstentions"]
    if payload["attendance"] < 1 or cast > payload["attendance"]:
        raise GuardRejected(
            f"appraisal counts do not add up: {cast} votes from {payload['attendance']} present",
            f"评议票数不符：出席 {payload['attendance']} 人，票数 {cast}",
        )


def record(key: str) -> Effect:
    """Effect: keep the payload under ``facts[key]``."""

    def effect(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
        model.facts[key] = dict(payload)

    effect.__name__ = f"record_{key}"
    return effect


def limit_passed(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    """Effect of a passed limit: the case goes on its county's alarm list."""
    kind = payload["deadline"]
    model.deadlines.pop(kind, None)
    model.facts.setdefault("alarms", []).append(
        {"limit": kind, "due_at": payload["due_at"], "state": model.state, "raised_at": iso_utc(at),
         "resolved_at": None})  # fmt: skip
