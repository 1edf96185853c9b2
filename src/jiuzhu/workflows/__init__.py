"""Workflow definitions (pure: no database, no clock).  Look one up by name and version."""

from __future__ import annotations

from ..errors import InvalidInput
from . import fast_track, standard, temporary
from .base import CaseModel, Label, Outcome, Workflow

REGISTRY: dict[tuple[str, int], Workflow] = {
    (fast_track.NAME, fast_track.VERSION): fast_track.WORKFLOW,
    (standard.NAME, standard.VERSION): standard.WORKFLOW,
    (temporary.NAME, temporary.VERSION): temporary.WORKFLOW,
}
CURRENT: dict[str, int] = {fast_track.NAME: fast_track.VERSION, standard.NAME: standard.VERSION,
                           temporary.NAME: temporary.VERSION}  # fmt: skip


def get(name: str, version: int | None = None) -> Workflow:
    if version is None:
        if name not in CURRENT:
            raise InvalidInput(
                f"unknown workflow '{name}'; known: {', '.join(CURRENT)}",
                f"未知流程“{name}”；可用：{', '.join(CURRENT)}",
            )
        version = CURRENT[name]
    try:
        return REGISTRY[(name, version)]
    except KeyError:
        raise InvalidInput(f"unknown workflow version {name} v{version}", "未知流程版本") from None


__all__ = ["REGISTRY", "CURRENT", "get", "CaseModel", "Label", "Outcome", "Workflow"]
