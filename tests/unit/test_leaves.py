"""The leaves of the Merkle log are the canonical JSON of the objects the spec names."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from jiuzhu.audit.canonical import canonical_bytes
from jiuzhu.audit.leaves import credit_leaf, event_leaf, ledger_leaf, record_leaf


@given(st.text(max_size=40), st.integers(min_value=1, max_value=2**31), st.text(max_size=70))
def test_an_event_leaf_is_canonical_json_whatever_its_text(case_id: str, seq: int,
                                                           digest: str) -> None:  # fmt: skip
    leaf = event_leaf(case_id, seq, digest)
    expected = {"t": "event", "case_id": case_id, "seq": seq, "hash": digest}
    assert leaf.data == canonical_bytes(expected)
    assert (leaf.kind, leaf.ref) == ("event", f"{case_id}/{seq}")


def test_money_and_credit_leaves_write_days_as_iso_dates() -> None:
    ledger = json.loads(ledger_leaf("c", 4, 1, "allowance", 86_000, date(2024, 4, 1), "2024-04",
                                    None).data)  # fmt: skip
    assert ledger == {"t": "ledger", "case_id": "c", "seq": 4, "line": 1, "kind": "allowance",
                      "amount_fen": 86_000, "booked_on": "2024-04-01", "period": "2024-04",
                      "ref": None}  # fmt: skip
    credit = json.loads(credit_leaf("c", 7, "p", "隐瞒收入", date(2024, 5, 2)).data)
    assert credit["recorded_on"] == "2024-05-02" and credit["reason"] == "隐瞒收入"


def test_a_person_leaf_holds_a_hash_of_the_record_not_the_record() -> None:
    person = {"id": "p1", "household_id": "h1", "name": "张三", "id_number": "320922199001011234",
              "relation": "head", "created_at": datetime(2024, 3, 15, 2, tzinfo=UTC)}  # fmt: skip
    leaf = record_leaf("person", person)
    assert "张三" not in leaf.data.decode() and "320922199001011234" not in leaf.data.decode()
    changed = record_leaf("person", {**person, "id_number": "320922199001010000"})
    assert leaf.ref == changed.ref == "p1" and leaf.hash != changed.hash


def test_a_users_leaf_covers_the_grant_not_the_sign_in_bookkeeping() -> None:
    user = {"username": "clerk", "display_name": "村干部", "role": "village", "org": "320922100001",
            "provider": None, "disabled_at": None, "created_at": datetime(2024, 3, 15, tzinfo=UTC),
            "password_hash": "x", "failed_sign_ins": 0, "last_sign_in_at": None}  # fmt: skip
    leaf = record_leaf("user", user)
    assert record_leaf("user", {**user, "failed_sign_ins": 3, "password_hash": "y"}) == leaf
    assert record_leaf("user", {**user, "role": "county"}).hash != leaf.hash
