"""Unit tests for jiuzhu.audit.canonical against the independent rfc8785 package."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from jiuzhu.audit.canonical import CanonicalJSONError, canonical_bytes, canonical_json

SAFE = 2**53 - 1  # rfc8785 accepts exactly +-(2**53 - 1)

# Characters that stress escaping and key order: C0 controls, DEL, quotes, backslash, the BMP
# private-use / specials area (which sorts AFTER non-BMP in UTF-16), non-BMP characters, CJK.
SPECIAL_CHARS = [chr(c) for c in range(0x20)] + [
    "\x7f",
    '"',
    "\\",
    "/",
    "\u2028",
    "\u2029",
    "\ue000",
    "\uff5e",
    "\ufeff",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U00020000",
    "\U0010ffff",
    "救",
    "助",
    "é",
    "a",
    "A",
    "0",
]
chars = st.one_of(
    st.sampled_from(SPECIAL_CHARS),
    st.characters(exclude_categories=["Cs"]),  # any code point but lone surrogates
)
texts = st.text(alphabet=chars, max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-SAFE, max_value=SAFE),
    st.sampled_from([0, 1, -1, SAFE, -SAFE]),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(texts, children, max_size=6),
    ),
    max_leaves=30,
)


@given(json_values)
def test_canonical_json_matches_rfc8785(value: object) -> None:
    assert canonical_json(value).encode("utf-8") == rfc8785.dumps(value)
    assert canonical_bytes(value) == rfc8785.dumps(value)


@given(st.dictionaries(texts, scalars, min_size=2, max_size=8))
def test_canonical_json_ignores_dict_insertion_order(value: dict[str, object]) -> None:
    reversed_value = dict(reversed(list(value.items())))
    assert canonical_json(reversed_value) == canonical_json(value)


@given(json_values)
def test_canonical_json_round_trips_through_json(value: object) -> None:
    assert json.loads(canonical_json(value)) == value


def test_canonical_json_sorts_keys_by_utf16_code_units_when_non_bmp_present() -> None:
    # By code point U+E000 < U+10000; in UTF-16, U+10000 is D800 DC00, and 0xD800 < 0xE000.
    value = {"\ue000": 1, "\U00010000": 2, "a": 3}
    assert canonical_json(value) == '{"a":3,"\U00010000":2,"\ue000":1}'
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_canonical_json_escapes_controls_like_rfc8785() -> None:
    value = {"k\x00\n": '\b\f\n\r\t\x01\x1f\x7f"\\/'}
    assert canonical_json(value) == '{"k\\u0000\\n":"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\"\\\\/"}'


def test_canonical_json_has_no_whitespace() -> None:
    assert canonical_json({"b": [1, 2, {"c": None}], "a": True}) == (
        '{"a":true,"b":[1,2,{"c":null}]}'
    )


def test_canonical_json_accepts_tuples_as_arrays() -> None:
    assert canonical_json((1, "x")) == '[1,"x"]'


@pytest.mark.parametrize(
    "value", [1.0, 0.5, float("nan"), float("inf"), [1, 2.5], {"a": {"b": -0.0}}]
)
def test_canonical_json_refuses_floats(value: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)


@pytest.mark.parametrize("value", [Decimal("1.5"), b"bytes", {1, 2}, object()])
def test_canonical_json_refuses_other_types(value: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)


@pytest.mark.parametrize("n", [SAFE, -SAFE, 0])
def test_canonical_json_accepts_ints_when_within_safe_range(n: int) -> None:
    assert canonical_json(n) == str(n)


@pytest.mark.parametrize("n", [2**53 + 1, -(2**53) - 1, 2**64, -(10**30)])
def test_canonical_json_refuses_ints_when_beyond_2_pow_53(n: int) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(n)
    with pytest.raises(CanonicalJSONError):
        canonical_json({"amount": [n]})


@given(st.integers(min_value=1), st.sampled_from([1, -1]))
def test_canonical_json_refuses_any_int_when_beyond_2_pow_53(excess: int, sign: int) -> None:
    n = sign * (2**53 + excess)
    with pytest.raises(CanonicalJSONError):
        canonical_json(n)


@pytest.mark.parametrize("key", [1, None, True, 1.5, ("a",)])
def test_canonical_json_refuses_non_string_keys(key: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json({key: 1})
    with pytest.raises(CanonicalJSONError):
        canonical_json({"ok": [{key: "nested"}]})
