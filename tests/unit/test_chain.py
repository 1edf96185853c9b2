"""Unit tests for jiuzhu.audit.chain: hashing and tamper detection (pure, no I/O)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from jiuzhu.audit.chain import GENESIS, ChainBreak, event_hash, verify_chain

CASE = "case-0001"
HEX64 = re.compile(r"[0-9a-f]{64}")
HASHED_FIELDS = ("seq", "type", "payload", "actor", "occurred_at", "prev_hash")


def rehash(ev: dict[str, Any], case_id: str = CASE) -> str:
    return event_hash(case_id=case_id, **{k: ev[k] for k in HASHED_FIELDS})


def build_chain(n: int = 5, case_id: str = CASE) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        ev: dict[str, Any] = {
            "case_id": case_id,
            "seq": seq,
            "type": ["submitted", "reviewed", "verified", "approved", "paid"][(seq - 1) % 5],
            "payload": {"amount_fen": 200050 * seq, "note": f"第{seq}步", "flags": [seq, None]},
            "actor": {"id": f"worker-{seq}", "role": "caseworker"},
            "occurred_at": f"2024-03-1{seq}T08:00:00.000000Z",
            "prev_hash": prev,
        }
        ev["hash"] = rehash(ev, case_id)
        events.append(ev)
        prev = ev["hash"]
    return events


def breaks(events: list[dict[str, Any]]) -> list[ChainBreak]:
    return list(verify_chain(CASE, events))


def break_seqs(events: list[dict[str, Any]]) -> set[int]:
    return {b.seq for b in breaks(events)}


# -- an intact chain -------------------------------------------------------------------------


def test_verify_chain_yields_nothing_when_chain_is_intact() -> None:
    events = build_chain()
    assert events[0]["prev_hash"] == GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    assert breaks(events) == []


def test_verify_chain_yields_nothing_when_chain_is_empty() -> None:
    assert breaks([]) == []


def test_event_hash_is_64_lowercase_hex() -> None:
    for ev in build_chain():
        assert HEX64.fullmatch(ev["hash"])
    assert GENESIS == "0" * 64


def test_event_hash_is_deterministic() -> None:
    assert [e["hash"] for e in build_chain()] == [e["hash"] for e in build_chain()]
    assert len({e["hash"] for e in build_chain()}) == 5


def test_event_hash_ignores_dict_insertion_order() -> None:
    ev = build_chain(1)[0]
    reordered_payload = dict(reversed(list(ev["payload"].items())))
    reordered_actor = dict(reversed(list(ev["actor"].items())))
    assert list(reordered_payload) != list(ev["payload"])
    kwargs = {k: ev[k] for k in reversed(HASHED_FIELDS)}
    kwargs.update(payload=reordered_payload, actor=reordered_actor)
    assert event_hash(case_id=CASE, **kwargs) == ev["hash"]


def test_event_hash_changes_when_case_id_changes() -> None:
    ev = build_chain(1)[0]
    assert rehash(ev, "case-0002") != ev["hash"]


def test_chain_break_str_names_case_seq_and_kind() -> None:
    text = str(ChainBreak(CASE, 3, "altered", "x"))
    assert CASE in text and "seq 3" in text and "altered" in text


# -- tampering -------------------------------------------------------------------------------


def test_verify_chain_reports_altered_when_payload_value_changes() -> None:
    events = build_chain()
    events[2]["payload"]["amount_fen"] += 1
    found = breaks(events)
    assert [(b.seq, b.kind) for b in found] == [(3, "altered")]


def test_verify_chain_reports_altered_when_nested_payload_value_changes() -> None:
    events = build_chain()
    events[1]["payload"]["flags"][1] = False
    assert [(b.seq, b.kind) for b in breaks(events)] == [(2, "altered")]


def test_verify_chain_reports_altered_when_actor_changes() -> None:
    events = build_chain()
    events[3]["actor"]["id"] = "intruder"
    assert [(b.seq, b.kind) for b in breaks(events)] == [(4, "altered")]


def test_verify_chain_reports_altered_when_occurred_at_changes() -> None:
    events = build_chain()
    events[0]["occurred_at"] = "2024-03-11T08:00:00.000001Z"
    assert [(b.seq, b.kind) for b in breaks(events)] == [(1, "altered")]


def test_verify_chain_reports_altered_when_type_changes() -> None:
    events = build_chain()
    events[4]["type"] = "rejected"
    assert [(b.seq, b.kind) for b in breaks(events)] == [(5, "altered")]


def test_verify_chain_reports_altered_when_stored_hash_changes() -> None:
    events = build_chain()
    events[1]["hash"] = "f" * 64
    found = breaks(events)
    assert (2, "altered") in [(b.seq, b.kind) for b in found]
    assert (3, "prev_mismatch") in [(b.seq, b.kind) for b in found]


def test_verify_chain_reports_gap_when_middle_event_removed() -> None:
    events = build_chain()
    del events[2]
    found = breaks(events)
    assert found
    assert {b.seq for b in found} == {4}
    assert {b.kind for b in found} == {"gap", "prev_mismatch"}


def test_verify_chain_reports_breaks_when_two_events_swapped() -> None:
    events = build_chain()
    events[1], events[2] = events[2], events[1]
    seqs = break_seqs(events)
    assert 3 in seqs  # the first out-of-place event, now in position 2
    assert 2 in seqs


def test_verify_chain_reports_breaks_when_first_events_swapped() -> None:
    events = build_chain()
    events[0], events[1] = events[1], events[0]
    assert 2 in break_seqs(events)


def test_verify_chain_reports_break_when_forged_event_inserted() -> None:
    events = build_chain()
    forged = copy.deepcopy(events[2])
    forged["payload"] = {"amount_fen": 99_999_999, "note": "forged"}
    forged["prev_hash"] = events[1]["hash"]
    forged["hash"] = rehash(forged)  # the forger recomputes its own hash
    events.insert(2, forged)
    found = breaks(events)
    assert found
    # The forged event itself is self-consistent; the real seq 3 after it no longer links.
    assert [(b.seq, b.kind) for b in found if b.seq == 3] == [
        (3, "gap"),
        (3, "prev_mismatch"),
    ]


def test_verify_chain_reports_break_when_forged_event_replaces_one_with_own_hash() -> None:
    events = build_chain()
    events[2]["payload"]["amount_fen"] = 1
    events[2]["hash"] = rehash(events[2])
    found = breaks(events)
    assert [(b.seq, b.kind) for b in found] == [(4, "prev_mismatch")]


def test_verify_chain_reports_break_when_event_from_other_case_mixed_in() -> None:
    events = build_chain()
    other = build_chain(case_id="case-0002")
    events[2] = other[2]
    assert 3 in break_seqs(events)


@pytest.mark.parametrize("index", range(5))
def test_verify_chain_reports_prev_mismatch_when_prev_hash_changes(index: int) -> None:
    events = build_chain()
    events[index]["prev_hash"] = "a" * 64
    kinds = {(b.seq, b.kind) for b in breaks(events)}
    assert (index + 1, "prev_mismatch") in kinds
    assert (index + 1, "altered") in kinds
