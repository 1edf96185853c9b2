"""What the deadlines a person acts on are called, in both languages (pure: names only).

The work queues, the case page and ``jiuzhu worker --dry-run`` (and through it the metrics)
name deadlines alike from here; keeping the names in the workflows' layer lets the lower
layers read them without importing the service.
"""

from __future__ import annotations

from . import circumstance, standard, temporary
from .model import Label

# the deadlines of a person's task (the pay day, reminders and the notice's end run themselves)
TASK_DEADLINES: dict[str, Label] = {
    "verification_due": Label("家庭经济状况核对期限", "data check due"),
    **standard.LIMITS,
    **temporary.LIMITS,
    **circumstance.DEADLINES,  # a rigid-expenditure status asks for its renewal
}
VISIT = Label("服务到访", "service visit")
