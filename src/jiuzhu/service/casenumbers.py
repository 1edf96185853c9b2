"""Case numbers (案件编号): ``<county>-<year>-<serial>``, a number people can say on the phone.

The number is given in the transaction that opens the case, from a counter row per county and
Shanghai year, and recorded in the opening event's payload (``case_no``), so the hash chain
carries it.  A rolled-back opening gives its number back: serials have no gaps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..clock import local_date
from ..errors import InvalidInput, NotFound
from ..models import find_sql
from ..models.digests import CASE_NO, case_no
from . import inputs
from .actors import Actor, require_role
from .base import CommandBase
from .views import CaseView


def assign_case_no(sql: Any, conn: Any, org_path: str, now: datetime) -> str:
    """The next number of the county of ``org_path`` in the Shanghai year of ``now``."""
    county = org_path.split("/", 1)[0]
    year = local_date(now).year
    return case_no(county, year, sql.next_case_serial(conn, county, year))


def parse_case_no(value: object) -> str:
    """A case number as given (blanks around it removed), or InvalidInput."""
    text = value.strip() if isinstance(value, str) else ""
    if not CASE_NO.match(text):
        raise InvalidInput(
            f"case number '{value}' is malformed; expected <county>-<year>-<serial>, "
            "e.g. 320922-2024-000123",
            f"案件编号“{value}”格式不正确，应为“县区代码-年份-序号”，如 320922-2024-000123",
        )
    return text


class CaseNumbers(CommandBase):
    """Finding a case by its id or its number."""

    def find_case(self, actor: Actor, ref: str) -> CaseView:
        """The case ``ref`` names: a case id (UUID) or a case number (320922-2024-000123)."""
        require_role(actor, "read")
        self._actor_path(actor)
        text = ref.strip() if isinstance(ref, str) else ""
        if not CASE_NO.match(text):
            try:
                case_id = inputs.record_id(text)
            except InvalidInput:
                raise InvalidInput(
                    f"case '{ref}' is malformed; expected a case number such as "
                    "320922-2024-000123 or a case id (a UUID)",
                    f"案件“{ref}”格式不正确，应为案件编号（如 320922-2024-000123）或案件 ID（UUID）",
                ) from None
            with self.uow.read() as conn:
                row = self._load(conn, case_id, actor, for_update=False)
                return self._case_view(row, conn)
        with self.uow.read() as conn:
            return self._case_view(self._numbered_case(conn, actor, text), conn)

    def _numbered_case(self, conn: Any, actor: Actor, number: str) -> Any:
        """The case row of ``number`` (NotFound, or PermissionDenied outside the jurisdiction)."""
        row = conn.execute(find_sql.SELECT_CASE_BY_NO, {"case_no": number}).first()
        if row is None:
            raise NotFound(f"case {number} not found", f"未找到案件 {number}", case_no=number)
        self._require_jurisdiction(actor, row.org_path, f"case {number}")
        return row


__all__ = ["CaseNumbers", "assign_case_no", "parse_case_no"]
