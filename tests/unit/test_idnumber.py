"""Unit tests for jiuzhu.idnumber (GB 11643-1999 resident identity numbers)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiuzhu.errors import InvalidInput
from jiuzhu.idnumber import (
    birth_date,
    check_character,
    mask_id_number,
    validate_id_number,
)

KNOWN_VALID = "11010519491231002X"  # the standard published sample
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
TODAY = date(2024, 6, 1)


def reference_check(body: str) -> str:
    """ISO 7064 MOD 11-2 written independently: sum % 11 -> '10X98765432'."""
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def make_valid(region: str, born: date, sequence: str) -> str:
    body = f"{region}{born:%Y%m%d}{sequence}"
    return body + reference_check(body)


def raised(text: str, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        validate_id_number(text, **kwargs)  # type: ignore[arg-type]
    return info.value


# -- valid numbers ---------------------------------------------------------------------------


def test_validate_id_number_accepts_published_sample() -> None:
    assert validate_id_number(KNOWN_VALID) == KNOWN_VALID
    assert validate_id_number(KNOWN_VALID, today=TODAY) == KNOWN_VALID


def test_reference_check_matches_published_sample() -> None:
    # Weighted sum of 11010519491231002 is 167; 167 % 11 == 2 -> 'X'.
    body = KNOWN_VALID[:17]
    assert sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) == 167
    assert reference_check(body) == "X"
    assert check_character(body) == "X"


@pytest.mark.parametrize(
    "number",
    [
        make_valid("320922", date(1985, 2, 28), "123"),
        make_valid("440305", date(2000, 2, 29), "001"),  # leap day
        make_valid("650102", date(1900, 1, 1), "999"),  # earliest date
        make_valid("110101", TODAY, "010"),  # born today
    ],
)
def test_validate_id_number_accepts_computed_numbers(number: str) -> None:
    assert validate_id_number(number, today=TODAY) == number


def test_validate_id_number_covers_every_check_character() -> None:
    seen: set[str] = set()
    for seq in range(200):
        number = make_valid("320922", date(1985, 2, 28), f"{seq:03d}")
        assert validate_id_number(number) == number
        seen.add(number[-1])
    assert seen == set("0123456789X")


def test_validate_id_number_normalises_lowercase_x() -> None:
    assert validate_id_number(KNOWN_VALID.lower()) == KNOWN_VALID


def test_validate_id_number_strips_surrounding_blanks() -> None:
    assert validate_id_number(f"  {KNOWN_VALID}\n") == KNOWN_VALID


def test_validate_id_number_skips_upper_bound_when_today_is_none() -> None:
    far_future = make_valid("110101", date(2999, 12, 31), "001")
    assert validate_id_number(far_future) == far_future


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 15, 17, 19, 20])
def test_validate_id_number_refuses_when_length_is_wrong(length: int) -> None:
    text = (KNOWN_VALID * 2)[:length]
    err = raised(text)
    assert err.message.startswith(f"ID number must have 18 characters, got {length}")
    assert "18" in err.zh


def test_validate_id_number_hints_at_old_format_when_length_is_15() -> None:
    err = raised("110105491231002")
    assert "15-digit" in err.message


def test_validate_id_number_refuses_when_check_digit_is_wrong() -> None:
    wrong = KNOWN_VALID[:17] + "5"
    err = raised(wrong)
    assert "check character should be 'X', got '5'" in err.message
    assert "校验码" in err.zh


def test_validate_id_number_refuses_when_a_body_digit_is_mistyped() -> None:
    typo = KNOWN_VALID[:16] + "3" + KNOWN_VALID[17]  # 002X -> 003X
    err = raised(typo)
    assert "check character" in err.message


@pytest.mark.parametrize(
    ("position", "char"),
    [(1, "A"), (5, "x"), (10, "X"), (17, " "), (3, "-"), (8, "３")],  # incl. full-width 3
)
def test_validate_id_number_refuses_when_body_has_non_digit(position: int, char: str) -> None:
    text = KNOWN_VALID[: position - 1] + char + KNOWN_VALID[position:]
    err = raised(text)
    assert f"character {position} of the ID number must be a digit 0-9, got {char!r}" in (
        err.message
    )


@pytest.mark.parametrize("char", ["Y", "*", "?", "Ｘ"])
def test_validate_id_number_refuses_when_check_character_is_not_digit_or_x(char: str) -> None:
    err = raised(KNOWN_VALID[:17] + char)
    assert "character 18" in err.message
    assert "'X'" in err.message


def test_validate_id_number_refuses_when_region_starts_with_zero() -> None:
    err = raised(make_valid("010105", date(1949, 12, 31), "002"))
    assert "administrative division" in err.message


@pytest.mark.parametrize(
    "yyyymmdd",
    ["19850230", "19850229", "19001301", "19850100", "19850431", "00000101", "19000229"],
)
def test_validate_id_number_refuses_when_birth_date_is_impossible(yyyymmdd: str) -> None:
    body = f"320922{yyyymmdd}123"
    err = raised(body + reference_check(body))
    assert "real calendar date" in err.message
    assert "出生日期" in err.zh


def test_validate_id_number_refuses_when_born_before_1900() -> None:
    err = raised(make_valid("320922", date(1899, 12, 31), "123"))
    assert "1899-12-31" in err.message
    assert "1900-01-01" in err.message


def test_validate_id_number_refuses_when_birth_date_is_after_today() -> None:
    tomorrow = TODAY + timedelta(days=1)
    err = raised(make_valid("320922", tomorrow, "123"), today=TODAY)
    assert "after today (2024-06-01)" in err.message


def test_validate_id_number_refuses_when_not_text() -> None:
    err = raised(110105194912310020)  # type: ignore[arg-type]
    assert "must be text" in err.message


# -- personal data never echoed --------------------------------------------------------------


BAD_NUMBERS = [
    KNOWN_VALID[:17] + "5",  # wrong check
    "320922198502301234",  # Feb 30
    make_valid("320922", date(2030, 1, 1), "123"),  # future
    make_valid("320922", date(1899, 1, 1), "123"),  # too early
    make_valid("020922", date(1985, 1, 1), "123"),  # region starts with 0
    "32092219850A011234",  # non-digit
    KNOWN_VALID[:17] + "Y",  # bad check char
    KNOWN_VALID + "1",  # too long
    KNOWN_VALID[:17],  # too short
    "x" + KNOWN_VALID[1:],
]


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_validate_id_number_messages_omit_number(bad: str) -> None:
    err = raised(bad, today=TODAY)
    for text in (err.message, err.zh, str(err), repr(err.to_dict())):
        assert bad not in text
        assert bad[:17] not in text
        assert bad[:14] not in text  # not even region + birth date together
    assert err.code == "invalid_input"


# -- birth_date and mask_id_number -----------------------------------------------------------


def test_birth_date_returns_encoded_date() -> None:
    assert birth_date(KNOWN_VALID) == date(1949, 12, 31)
    assert birth_date(KNOWN_VALID.lower()) == date(1949, 12, 31)


def test_birth_date_refuses_when_number_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        birth_date(KNOWN_VALID[:17] + "0")


def test_mask_id_number_keeps_first_six_and_last_four() -> None:
    number = make_valid("320922", date(1985, 2, 28), "123")
    masked = mask_id_number(number)
    assert masked == "320922********123" + number[-1]
    assert len(masked) == 18


def test_mask_id_number_uppercases_x() -> None:
    assert mask_id_number(KNOWN_VALID.lower()) == "110105********002X"


def test_mask_id_number_refuses_when_length_is_wrong() -> None:
    with pytest.raises(InvalidInput) as info:
        mask_id_number(KNOWN_VALID[:17])
    assert KNOWN_VALID[:17] not in info.value.message


# -- property: exactly one accepted check character ------------------------------------------


bodies = st.builds(
    lambda region, born, seq: f"{region}{born:%Y%m%d}{seq:03d}",
    st.integers(100000, 999999).map(str),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 999),
)


@given(bodies)
def test_validate_id_number_accepts_exactly_one_check_character(body: str) -> None:
    accepted = []
    for candidate in "0123456789X":
        try:
            validate_id_number(body + candidate, today=TODAY)
        except InvalidInput:
            continue
        accepted.append(candidate)
    assert accepted == [reference_check(body)]
