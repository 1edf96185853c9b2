"""The error tree.  Every error a caller can cause is a :class:`JiuzhuError`.

Each error carries an English message (``str(err)``), a Chinese one (``err.zh``) for case
workers, and a stable ``code`` that the CLI and the HTTP layer map to exit codes and statuses.
Nothing below ``api/`` and ``cli.py`` knows about HTTP.
"""

from __future__ import annotations

from typing import Any


class JiuzhuError(Exception):
    """Root of every error jiuzhu raises on purpose."""

    code = "error"

    def __init__(self, message: str, zh: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.zh = zh or message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "message_zh": self.zh, **self.details}


class InvalidInput(JiuzhuError):
    """A value is malformed, out of range or unknown: nothing was written."""

    code = "invalid_input"


class GuardRejected(JiuzhuError):
    """The command is well formed, but a rule of the workflow refuses it."""

    code = "rule_refused"


class TransitionNotAllowed(JiuzhuError):
    """The trigger does not exist in the case's current state."""

    code = "transition_not_allowed"

    def __init__(
        self,
        case_id: str,
        state: str,
        trigger: str,
        allowed: list[str],
        state_zh: str = "",
        trigger_zh: str = "",
        allowed_zh: list[str] | None = None,
    ) -> None:
        allowed_text = ", ".join(allowed) or "none (the case is closed)"
        allowed_zh_text = "、".join(allowed_zh or allowed) or "无（案件已办结）"
        super().__init__(
            f"case {case_id} is '{state}': '{trigger}' is not allowed there; "
            f"allowed: {allowed_text}",
            f"案件 {case_id} 当前为“{state_zh or state}”，不能办理“{trigger_zh or trigger}”；"
            f"可办理：{allowed_zh_text}",
            case_id=case_id,
            state=state,
            trigger=trigger,
            allowed=allowed,
        )


class NotFound(JiuzhuError, LookupError):
    code = "not_found"


class PermissionDenied(JiuzhuError):
    code = "permission_denied"


class SignInRefused(JiuzhuError):
    """A wrong user name or password, or a session that is unknown, expired or signed out.

    One message for an unknown user and a wrong password, so that sign-in tells no one which
    user names exist."""

    code = "sign_in_refused"


class AccountLocked(JiuzhuError):
    """The account is locked after repeated failed sign-ins, or disabled."""

    code = "account_locked"


class ConcurrencyConflict(JiuzhuError):
    """Someone else changed the case after the caller read it: reload and decide again."""

    code = "conflict"


class IdempotencyKeyReused(JiuzhuError):
    code = "idempotency_key_reused"


class WorkflowDefinitionError(JiuzhuError):
    code = "workflow_definition"


class StorageError(JiuzhuError):
    """The database refused or is unreachable; the message says what to do."""

    code = "storage"


class CalendarNotCovered(JiuzhuError):
    """A working-day limit needs a year whose holiday calendar is not loaded (not a bad input:
    the command can succeed once the year's notice is loaded with ``jiuzhu calendar import``)."""

    code = "calendar_not_covered"
