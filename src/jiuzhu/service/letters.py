"""Letters (文书) as PDF: printing a case's letter and checking one (docs/letters.md).

A letter is made from the case's events alone (:mod:`jiuzhu.letters`), plus the registry's
names of the household and of the units: reprinted later, it is the same letter, byte for
byte.  Printing shows names, so it is logged in the personal-data read log (purpose
``letter``).  Checking recomputes the letter's facts from the events and compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import InvalidInput
from ..letters import render
from ..letters.code import check_code, grouped, parse_code
from ..letters.content import Names, build
from ..letters.facts import (
    FACT_LABELS,
    KINDS,
    amounts,
    check_kind,
    event_day,
    letter_events,
    letter_facts,
)
from ..letters.reader import read_letter
from ..models import rows
from ..money import yuan
from . import inputs
from .actors import Actor, require_role
from .casenumbers import CaseNumbers
from .personal_data import read_rows


@dataclass(frozen=True)
class LetterFile:
    """A printed letter: the PDF and what identifies it."""

    data: bytes = field(repr=False)
    filename: str
    kind: str
    case_id: str
    case_no: str
    seq: int
    code: str  # grouped, e.g. 3fa2-91c0-77de-0a1b

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "data"} | {"bytes": len(self.data)}


@dataclass(frozen=True)
class LetterCheck:
    """The answer of a check: valid or not, which letter, and (invalid) what differs."""

    valid: bool
    message: str
    message_zh: str
    case_id: str
    case_no: str
    code: str
    kind: str | None = None
    kind_zh: str | None = None
    seq: int | None = None
    event: str | None = None
    date: str | None = None
    differences: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Letters(CaseNumbers):
    """``letter`` prints, ``check_letter`` checks."""

    def letter(self, actor: Actor, case_ref: str, kind: str, *,
               seq: int | None = None) -> LetterFile:  # fmt: skip
        """The PDF of the case's ``kind`` letter (approval, refusal, recovery, commitment),
        on the event ``seq`` (default: the latest event of that kind)."""
        require_role(actor, "print_letter")
        kind = check_kind(kind)
        if seq is not None:
            seq = inputs.count(seq, "event seq")
        case = self.find_case(actor, case_ref)
        with self.uow.read() as conn:
            events = rows.event_dicts(self.sql.events_of(conn, case.id))
            opening = events[0]["payload"]
            people = {p.id: (p.name, p.relation)
                      for p in self.sql.persons(conn, opening["household_id"])}  # fmt: skip
            wanted = {*str(opening["org_path"]).split("/"), *(e["actor"]["org"] for e in events)}
            units = {}
            for unit_id in sorted(u for u in wanted if u):
                row = self.sql.org_unit(conn, unit_id)
                if row is not None:
                    units[unit_id] = row.name
        content = build(kind, events, Names(people, units), seq)
        data = render.pdf_bytes(content)
        shown = [p for p in content.person_ids if p in people]
        if shown:  # names are personal data: the read is logged
            with self.uow.write() as conn:
                self.sql.log_personal_reads(conn, read_rows(actor, shown, "letter",
                                                            self.clock.now()))  # fmt: skip
        return LetterFile(data, f"{content.case_no}-{kind}-{content.seq}.pdf", kind,
                          content.case_id, content.case_no, content.seq, content.code_grouped)  # fmt: skip

    def check_letter(self, actor: Actor, *, code: str | None = None, case_ref: str | None = None,
                     pdf: bytes | None = None) -> LetterCheck:  # fmt: skip
        """Is this letter jiuzhu's?  Given ``pdf`` (the file) or ``code`` and ``case_ref``,
        recompute the letter from the case's events: valid (which event, kind, date) or
        invalid (which fact differs, or no such letter)."""
        require_role(actor, "check_letter")
        claimed = None
        if pdf is not None:
            claimed = read_letter(pdf)
            if code is not None and parse_code(code) != claimed.code:
                raise InvalidInput("the code given differs from the letter's own code",
                                   "所给校验码与文书上的校验码不一致")  # fmt: skip
            code, case_ref = claimed.code, case_ref or claimed.case_no
        if code is None or case_ref is None:
            raise InvalidInput("give the letter's PDF, or its check code and its case",
                               "请提供文书 PDF，或提供校验码和案件编号")  # fmt: skip
        wanted = parse_code(code)
        case = self.find_case(actor, case_ref)
        if claimed is not None and claimed.case_no != case.case_no:
            return self._invalid(case, wanted, f"the letter names case {claimed.case_no}, not "
                                 f"{case.case_no}", f"文书所载案件编号 {claimed.case_no} 与"
                                 f"案件 {case.case_no} 不符")  # fmt: skip
        with self.uow.read() as conn:
            events = rows.event_dicts(self.sql.events_of(conn, case.id))
        made = {ev["seq"]: (kind, ev) for kind, ev in letter_events(events)}
        if claimed is not None:
            return self._check_claim(case, claimed, made, events)
        for seq, (kind, ev) in made.items():
            if check_code(letter_facts(kind, events, seq)) == wanted:
                return self._valid(case, wanted, kind, ev)
        return self._invalid(case, wanted, f"no letter of case {case.case_no} has the check "
                             f"code {grouped(wanted)}", f"案件 {case.case_no} 没有校验码为 "
                             f"{grouped(wanted)} 的文书")  # fmt: skip

    def _check_claim(self, case: Any, claimed: Any, made: dict[int, Any],
                     events: list[dict[str, Any]]) -> LetterCheck:  # fmt: skip
        if claimed.seq not in made:
            return self._invalid(case, claimed.code, f"case {case.case_no} has no letter at "
                                 f"event {claimed.seq}", f"案件 {case.case_no} 第 {claimed.seq}"
                                 " 号事件没有对应的文书")  # fmt: skip
        kind, ev = made[claimed.seq]
        facts = letter_facts(kind, events, claimed.seq)
        differences = []
        if claimed.facts is not None:
            keys = sorted({*facts, *claimed.facts})
            differences = [{"fact": k, "letter": claimed.facts.get(k), "case": facts.get(k)}
                           for k in keys if claimed.facts.get(k) != facts.get(k)]  # fmt: skip
        # the amounts the case's events give must be printed (an edit of the visible text)
        differences += [{"fact": k, "letter": "not printed", "case": fen}
                        for k, fen in amounts(facts) if f"{yuan(fen)}元" not in claimed.text]  # fmt: skip
        if claimed.facts is not None:
            if check_code(claimed.facts) != claimed.code:
                differences.append({"fact": "code", "letter": grouped(claimed.code),
                                    "case": grouped(check_code(claimed.facts))})  # fmt: skip
        if not differences and check_code(facts) == claimed.code:
            return self._valid(case, claimed.code, kind, ev)
        if not differences:
            differences = [{"fact": "code", "letter": grouped(claimed.code),
                            "case": grouped(check_code(facts))}]  # fmt: skip
        listed = ", ".join(d["fact"] for d in differences)
        zh = "、".join(FACT_LABELS.get(d["fact"].split("[")[0].removesuffix(".amount_fen"),
                                       d["fact"]) for d in differences)  # fmt: skip
        return self._invalid(case, claimed.code, f"the letter differs from case {case.case_no}'s "
                             f"events in: {listed}", f"文书与案件 {case.case_no} 的事件记录不符："
                             f"{zh}", differences, kind, ev)  # fmt: skip

    @staticmethod
    def _valid(case: Any, code: str, kind: str, ev: Mapping[str, Any]) -> LetterCheck:
        day = event_day(ev).isoformat()
        return LetterCheck(
            True, f"valid: the {kind} letter of case {case.case_no} on event {ev['seq']} "
            f"({ev['type']}) of {day}", f"有效：案件 {case.case_no} 第 {ev['seq']} 号事件的"
            f"“{KINDS[kind].zh}”，日期 {day}", case.id, case.case_no, grouped(code), kind,
            KINDS[kind].zh, ev["seq"], ev["type"], day)  # fmt: skip

    @staticmethod
    def _invalid(case: Any, code: str, message: str, zh: str,
                 differences: list[dict[str, Any]] | None = None, kind: str | None = None,
                 ev: Mapping[str, Any] | None = None) -> LetterCheck:  # fmt: skip
        return LetterCheck(
            False, f"invalid: {message}", f"无效：{zh}", case.id, case.case_no, grouped(code),
            kind, KINDS[kind].zh if kind else None, ev["seq"] if ev else None,
            ev["type"] if ev else None, event_day(ev).isoformat() if ev else None,
            differences or [])  # fmt: skip


__all__ = ["LetterCheck", "LetterFile", "Letters"]
