"""The docstrings of the service, as Markdown for the OpenAPI document.

They are written in reStructuredText for the library's readers: ``x`` literals and roles such
as :class:`~jiuzhu.service.views.CaseView` or :meth:`list_cases`.  OpenAPI descriptions are
CommonMark, so each becomes a code span of its last name: `x`, `CaseView`, `list_cases`.
"""

from __future__ import annotations

import re

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|data|obj|exc|const):`~?\.?([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``")


def markdown(text: str | None) -> str | None:
    if text is None:
        return None

    def role(match: re.Match[str]) -> str:
        target = match.group(1)
        shown = target.split("<")[-1].rstrip(">") if "<" in target else target
        return f"`{shown.rsplit('.', 1)[-1].removesuffix('()')}`"

    return _LITERAL.sub(r"`\1`", _ROLE.sub(role, text))


__all__ = ["markdown"]
