"""What a trigger records and books, declared with the workflow (pure).

A workflow maps triggers to :class:`Hooks`:

* ``decide(model, today, args)`` -- the facts a decision records, computed from the case's
  projection, the day and the command's arguments (the service adds them to the payload);
* ``books`` -- the ledger lines its event books, each :class:`Books` naming the ledger kinds it
  may book, so that an unknown kind is a definition error when the workflow is built.

Both are per trigger, never per state: the ledger is rebuilt from the events alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..ledger import Booking, Entry
from .model import CaseModel

# (the case's entries so far, this event's earlier lines included)
Booked = Callable[[], Sequence[Entry]]
Decide = Callable[[CaseModel, date, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Books:
    """Ledger lines of ``kinds`` that ``lines(payload, booked)`` books for one event."""

    kinds: tuple[str, ...]
    lines: Callable[[Mapping[str, Any], Booked], Iterable[Booking]]


@dataclass(frozen=True)
class Hooks:
    decide: Decide | None = None
    books: tuple[Books, ...] = ()


def amount(kind: str, key: str = "amount_fen", ref: str | None = None) -> Books:
    """One line of ``kind`` for ``payload[key]`` fen (``ref`` from ``payload[ref]``)."""

    def lines(payload: Mapping[str, Any], booked: Booked) -> list[Booking]:
        return [Booking(kind, payload[key], None, None if ref is None else payload[ref])]

    lines.__name__ = f"book_{kind}"
    return Books((kind,), lines)


__all__ = ["Booked", "Books", "Decide", "Hooks", "amount"]
