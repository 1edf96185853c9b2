"""Policy as dated data: the value in force on a day, refusals, and changes that add, never
rewrite."""

from __future__ import annotations

from datetime import date

import pytest

from jiuzhu.errors import InvalidInput
from jiuzhu.policy import DEFAULT_BOOK, DEFAULT_SETTINGS, NANJING, city_code, load


def test_nanjing_line_is_945_yuan_from_2020_07_01() -> None:
    line = DEFAULT_BOOK.dibao_line(NANJING, date(2024, 3, 15))
    assert (line.monthly_fen, line.effective_from) == (94_500, date(2020, 7, 1))
    assert "宁民救〔2020〕95号" in line.source


def test_no_line_before_it_took_effect_and_none_for_an_unconfigured_city() -> None:
    with pytest.raises(InvalidInput) as err:
        DEFAULT_BOOK.dibao_line(NANJING, date(2020, 6, 30))
    assert "3201" in err.value.message and err.value.zh
    with pytest.raises(InvalidInput) as err:
        DEFAULT_BOOK.dibao_line("3209", date(2024, 3, 15))
    assert "no dibao line is configured for city 3209" in err.value.message


def test_a_new_line_applies_from_its_date_and_the_old_book_is_unchanged() -> None:
    book = DEFAULT_BOOK.with_dibao_line(NANJING, "2024-07-01", "1000")
    assert book.dibao_line(NANJING, date(2024, 6, 30)).monthly_fen == 94_500
    assert book.dibao_line(NANJING, date(2024, 7, 1)).monthly_fen == 100_000
    assert DEFAULT_BOOK.dibao_line(NANJING, date(2024, 7, 1)).monthly_fen == 94_500
    assert book.dibao_line(NANJING, date(2024, 7, 1)).source == "configuration"


def test_a_line_in_force_is_never_rewritten() -> None:
    with pytest.raises(InvalidInput) as err:
        DEFAULT_BOOK.with_dibao_line(NANJING, "2020-07-01", "1000")
    assert "never rewritten" in err.value.message


@pytest.mark.parametrize("amount", ["0", "-5", 945.0, "9.999", "abc"])
def test_a_line_must_be_a_positive_amount_of_yuan(amount: object) -> None:
    with pytest.raises(InvalidInput):
        DEFAULT_BOOK.with_dibao_line("3209", "2024-01-01", amount)


def test_settings_change_from_their_date() -> None:
    book = DEFAULT_BOOK.with_settings("2025-01-01", temporary_multiplier_max=6)
    assert book.settings_on(date(2024, 12, 31))["temporary_multiplier_max"] == 5
    assert book.settings_on(date(2025, 1, 1))["temporary_multiplier_max"] == 6
    assert DEFAULT_SETTINGS["standard_limit_wd"] == 30
    assert DEFAULT_SETTINGS["standard_special_limit_wd"] == 45


@pytest.mark.parametrize(("key", "value"), [("standard_limit_wd", 0), ("nonsense", 3),
                                            ("public_notice_days", True), ("pay_day", 31)])  # fmt: skip
def test_settings_are_checked(key: str, value: object) -> None:
    with pytest.raises(InvalidInput):
        DEFAULT_BOOK.with_settings("2025-01-01", **{key: value})


def test_snapshot_records_line_and_settings_of_the_day() -> None:
    snap = DEFAULT_BOOK.snapshot(NANJING, date(2024, 3, 15))
    assert snap["dibao_line_fen"] == 94_500 and snap["line_from"] == "2020-07-01"
    assert snap["in_force_on"] == "2024-03-15" and snap["standard_limit_wd"] == 30


def test_city_is_the_four_digit_prefix_of_a_division_code() -> None:
    assert city_code("320104") == "3201" and city_code("320922") == "3209"
    with pytest.raises(InvalidInput):
        city_code("C1")


def test_configuration_document_round_trips() -> None:
    book = load('{"dibao_lines": {"3209": [{"from": "2024-01-01", "yuan": "900"}]},'
                ' "changes": [{"from": "2025-01-01", "county_review_wd": 15}]}')  # fmt: skip
    assert book.dibao_line("3209", date(2024, 3, 1)).monthly_fen == 90_000
    assert book.dibao_line(NANJING, date(2024, 3, 1)).monthly_fen == 94_500  # on the default
    assert book.settings_on(date(2025, 2, 1))["county_review_wd"] == 15
    described = book.describe()
    assert described["dibao_lines"]["3209"] == [
        {"from": "2024-01-01", "yuan": "900.00", "source": "configuration"}
    ]


@pytest.mark.parametrize(
    "text", ["not json", "[1]", '{"lines": {}}', '{"dibao_lines": {"3209": [{}]}}']
)
def test_malformed_configuration_is_refused_clearly(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        load(text)
    assert err.value.zh
