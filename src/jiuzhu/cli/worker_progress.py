"""``jiuzhu worker --once`` on a terminal: the catch-up's progress as a bar on stderr.

Off a terminal (cron, a pipe, a log collector) the worker keeps the plain log lines of
:class:`jiuzhu.scheduler.catchup.CatchUp`: a progress line every few seconds.  Both show, once
the payment run has paid something, the allowance months paid and their amount in yuan.
"""

from __future__ import annotations

from typing import Any

from ..scheduler.catchup import CatchUp
from .output import err, say


def catch_up_display() -> CatchUp:
    """A bar on a terminal, log lines elsewhere."""
    return BarCatchUp() if err().is_terminal else CatchUp()


class BarCatchUp(CatchUp):
    """Start and summary lines on stderr, and a rich progress bar between them."""

    progress: Any = None
    task: Any = None

    def show_start(self) -> None:
        from rich import progress as bar

        say(self.start_text(), console=err())
        if not self.due:
            return
        columns = (bar.TextColumn("{task.description}"), bar.BarColumn(),
                   bar.MofNCompleteColumn(), bar.TextColumn("{task.fields[rate]}/s"),
                   bar.TimeRemainingColumn(), bar.TimeElapsedColumn(),
                   bar.TextColumn("{task.fields[paid]}"))  # fmt: skip
        self.progress = bar.Progress(*columns, console=err())
        self.task = self.progress.add_task("触发期限 firing deadlines", total=self.total, rate="-",
                                           paid="")  # fmt: skip
        self.progress.start()

    def show_progress(self) -> None:
        self.due_again()
        if self.progress is not None:
            months, amount = self.paid_months, self.yuan_text()
            paid = f"已发放 paid {months:,} · ¥{amount}" if months else ""
            self.progress.update(self.task, completed=self.fired + self.failed,
                                 total=self.total, rate=f"{self.rate():,.0f}", paid=paid)  # fmt: skip

    def show_end(self, summary: dict[str, Any]) -> None:
        self.close()
        say(self.end_text(summary), "bold red" if self.failed else "", err())

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
