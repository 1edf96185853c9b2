"""The letters' endpoints (docs/letters.md): a letter as a PDF download, and checking one.

``GET /cases/{case}/letters/{kind}?seq=N`` answers ``application/pdf`` as an attachment
(``case`` is a case number or a case id); ``POST /letters/check`` takes ``{"code", "case"}``
and answers the check, valid or not, as JSON (an invalid letter is a ``200`` whose ``valid``
is false: the question was well asked).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ..service.actors import Actor
from .auth import current_actor

PDF = "application/pdf"
router = APIRouter(tags=["letters"])
CASE_REF = {"examples": ["320922-2024-000123"],
            "description": "A case number (320922-2024-000123) or a case id (UUID)."}  # fmt: skip


class CheckBody(BaseModel):
    """A letter's check code and its case."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=64, examples=["3fa2-91c0-77de-0a1b"],
                      description="The check code printed on the letter 校验码.")  # fmt: skip
    case: str = Field(max_length=64, examples=["320922-2024-000123"],
                      description="The case number or id printed on the letter 案件编号.")  # fmt: skip


@router.get(
    "/cases/{case}/letters/{kind}", name="letter", summary="打印文书 · print a letter",
    response_class=Response,
    responses={200: {"description": "the letter as a PDF attachment",
                     "content": {PDF: {"schema": {"type": "string", "format": "binary"}}}}},
)  # fmt: skip
def letter(
    request: Request, actor: Annotated[Actor, Depends(current_actor)],
    case: Annotated[str, Path(max_length=64, json_schema_extra=CASE_REF)],
    kind: Literal["approval", "refusal", "recovery", "commitment"],
    seq: Annotated[int | None, Query(ge=1, le=2**31 - 1, description=(
        "The event the letter reports (default: the latest event of that kind)."))] = None,
) -> Response:  # fmt: skip
    """The case's letter of ``kind`` as a PDF: the approval decision, the refusal notice, the
    revocation and recovery notice, or the credit commitment for signature.  Village, township
    and county, in their jurisdiction; the names it shows are logged as a personal-data read."""
    printed = request.app.state.backend.service.letter(actor, case, kind, seq=seq)
    return Response(printed.data, media_type=PDF, headers={
        "Content-Disposition": f'attachment; filename="{printed.filename}"',
        "X-Letter-Code": printed.code})  # fmt: skip


@router.post("/letters/check", name="check_letter", summary="核验文书 · check a letter")
def check_letter(request: Request, actor: Annotated[Actor, Depends(current_actor)],
                 body: CheckBody) -> dict[str, Any]:  # fmt: skip
    """Recompute the letter from the case's events: ``valid`` true (which event, kind, date),
    or false with the reason.  Every reading role, auditors included."""
    service = request.app.state.backend.service
    result = service.check_letter(actor, code=body.code, case_ref=body.case)
    return dict(result.to_dict())


__all__ = ["PDF", "router"]
