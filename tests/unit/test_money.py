"""Unit tests for jiuzhu.money: exact yuan -> fen parsing and rendering."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jiuzhu.errors import InvalidInput
from jiuzhu.money import FEN_PER_YUAN, to_fen, yuan

MAX_YUAN = 1_000_000


def fen(amount: object) -> int:
    return to_fen(amount, what="monthly income", maximum_yuan=MAX_YUAN)


def refused(amount: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        fen(amount)
    assert info.value.code == "invalid_input"
    assert info.value.message.startswith("monthly income: ")
    assert info.value.zh.startswith("monthly income：")
    return info.value


# -- accepted --------------------------------------------------------------------------------


def test_to_fen_parses_text_with_two_decimals() -> None:
    assert fen("2000.50") == 200050


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", 0),
        ("0.01", 1),
        ("0.1", 10),
        ("2000", 200000),
        (" 2000.5 ", 200050),
        ("30,000.00", 3000000),
        ("2000.500", 200050),  # a trailing zero is not a fraction of a fen
        (str(MAX_YUAN), MAX_YUAN * 100),  # the maximum itself is allowed
    ],
)
def test_to_fen_parses_text(amount: str, expected: int) -> None:
    assert fen(amount) == expected


@pytest.mark.parametrize(("amount", "expected"), [(0, 0), (30000, 3000000), (MAX_YUAN, 10**8)])
def test_to_fen_accepts_int(amount: int, expected: int) -> None:
    result = fen(amount)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(Decimal("2000.50"), 200050), (Decimal("0.01"), 1), (Decimal("12"), 1200)],
)
def test_to_fen_accepts_decimal(amount: Decimal, expected: int) -> None:
    result = fen(amount)
    assert result == expected
    assert type(result) is int


# -- refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [2000.5, 0.0, 1.0, float("nan"), float("inf")])
def test_to_fen_refuses_float(amount: float) -> None:
    err = refused(amount)
    assert "not" in err.message and "text or an integer" in err.message


@pytest.mark.parametrize("amount", [True, False])
def test_to_fen_refuses_bool(amount: bool) -> None:
    refused(amount)


@pytest.mark.parametrize("amount", ["-1", "-0.01", -5, Decimal("-2000.50")])
def test_to_fen_refuses_negative(amount: object) -> None:
    err = refused(amount)
    assert "negative" in err.message


@pytest.mark.parametrize("amount", ["2000.505", "0.001", Decimal("1.999"), "0.125"])
def test_to_fen_refuses_when_more_than_two_decimals(amount: object) -> None:
    err = refused(amount)
    assert "more than two decimals" in err.message


@pytest.mark.parametrize("amount", [MAX_YUAN + 1, str(MAX_YUAN) + ".01", Decimal("1e12"), 10**30])
def test_to_fen_refuses_when_above_maximum(amount: object) -> None:
    err = refused(amount)
    assert "maximum" in err.message
    assert "1,000,000" in err.message


@pytest.mark.parametrize(
    "amount",
    [
        "",
        "   ",
        "abc",
        "12元",
        "¥12",
        "1.2.3",
        "--1",
        "1 000",
        "1,0,0",
        "1_000",
        "１２３",
        "1e3",
        None,
        [1],
        "0x10",
    ],
)
def test_to_fen_refuses_garbage(amount: object) -> None:
    err = refused(amount)
    assert "not an amount of yuan" in err.message


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN", Decimal("NaN")])
def test_to_fen_refuses_non_finite(amount: object) -> None:
    refused(amount)


def test_to_fen_refuses_when_sub_fen_fraction_is_beyond_decimal_precision() -> None:
    refused("2000.5000000000000000000000000001")


def test_to_fen_refuses_when_exponent_overflows() -> None:
    refused("1e999999")


# -- yuan ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen_amount", "text"),
    [
        (200050, "2000.50"),
        (0, "0.00"),
        (1, "0.01"),
        (10, "0.10"),
        (200000, "2000.00"),
        (-150, "-1.50"),
        (-1, "-0.01"),
    ],
)
def test_yuan_renders_two_decimals(fen_amount: int, text: str) -> None:
    assert yuan(fen_amount) == text


@pytest.mark.parametrize("fen_amount", [0, 1, 99, 100, 200050, 12345678, MAX_YUAN * 100])
def test_yuan_round_trips_through_to_fen(fen_amount: int) -> None:
    assert fen(yuan(fen_amount)) == fen_amount


def test_fen_per_yuan_is_100() -> None:
    assert FEN_PER_YUAN == 100
