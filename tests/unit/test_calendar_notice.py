"""A year's holiday notice as a file: what is accepted, and every way one is refused.

The 2027 file used here is a test fixture (invented dates), never the State Council's notice.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jiuzhu.calendar_notice import parse
from jiuzhu.errors import InvalidInput

FIXTURE = Path(__file__).parent.parent / "fixtures" / "calendar-2027-test-fixture.toml"
HEAD = 'year = 2027\ndocument = "T-1"\npublished_on = 2026-11-01\n'


def test_the_fixture_reads_as_a_2027_notice() -> None:
    notice = parse(FIXTURE.read_text(encoding="utf-8"), FIXTURE.name)
    assert (notice.year, notice.document) == (2027, "TEST-FIXTURE-2027-1")
    assert notice.effective_from == date(2026, 11, 1)
    assert "test fixture" in (notice.note or "")
    assert notice.holidays[date(2027, 2, 10)].startswith("春节")
    assert len([d for d in notice.holidays if d.month == 10]) == 7  # 1-7 October
    assert date(2027, 2, 14) in notice.workdays and len(notice.workdays) == 5


def test_json_takes_the_same_keys_and_effective_from_defaults_to_the_notice_date() -> None:
    notice = parse('{"year": 2027, "document": "T-1", "published_on": "2026-11-02", '
                   '"holidays": [{"name": "元旦", "from": "2027-01-01"}]}', "n.json")  # fmt: skip
    assert notice.effective_from == date(2026, 11, 2)
    assert notice.holidays == {date(2027, 1, 1): "元旦"} and notice.workdays == ()


def test_the_same_notice_in_either_layout_has_one_digest() -> None:
    toml = parse(HEAD + '[[holidays]]\nname = "元旦"\nfrom = 2027-01-01\nto = 2027-01-02\n')
    json = parse('{"year": 2027, "document": "T-1", "published_on": "2026-11-01", "holidays": '
                 '[{"name": "元旦", "from": "2027-01-01", "to": "2027-01-02"}]}')  # fmt: skip
    assert toml.content_sha256() == json.content_sha256()


BAD = {
    "not TOML": ("year = = 2027", "not valid TOML"),
    "not JSON": ('{"year": 2027', "not valid JSON"),
    "unknown key": (HEAD + "holiday = []\n", "unknown keys ['holiday']"),
    "missing holidays": (HEAD, "`holidays` is missing"),
    "year as text": (HEAD.replace("2027\n", '"2027"\n', 1) + "holidays = []", "year ="),
    "absurd year": (HEAD.replace("year = 2027", "year = 1899") + "holidays = []", "year = 1899"),
    "bad date": (HEAD.replace("2026-11-01", '"2026-13-01"') + "holidays = []", "published_on"),
    "empty holidays": (HEAD + "holidays = []\n", "holidays = []"),
    "holiday not a table": (HEAD + 'holidays = ["2027-01-01"]\n', "holidays[0]"),
    "holiday without from": (HEAD + '[[holidays]]\nname = "元旦"\n', "holidays[0]"),
    "holiday in another year": (
        HEAD + '[[holidays]]\nname = "x"\nfrom = 2026-12-31\n',
        "holidays[0].from = '2026-12-31'; expected a day of 2027",
    ),
    "range backwards": (
        HEAD + '[[holidays]]\nname = "x"\nfrom = 2027-01-03\nto = 2027-01-01\n',
        "holidays[0].to",
    ),
    "range too long": (
        HEAD + '[[holidays]]\nname = "x"\nfrom = 2027-01-01\nto = 2027-02-01\n',
        "holidays[0].to",
    ),
    "overlapping holidays": (
        HEAD + '[[holidays]]\nname = "a"\nfrom = 2027-01-01\nto = 2027-01-03\n'
        '[[holidays]]\nname = "b"\nfrom = 2027-01-03\n',
        "overlaps 'a'",
    ),
    "make-up day on a weekday": (
        HEAD + 'workdays = [2027-02-15]\n[[holidays]]\nname = "a"\nfrom = 2027-01-01\n',
        "workdays[0] = '2027-02-15'",
    ),
    "make-up day also a holiday": (
        HEAD + 'workdays = [2027-01-02]\n[[holidays]]\nname = "a"\n'
        "from = 2027-01-01\nto = 2027-01-03\n",
        "also a holiday",
    ),
    "make-up day twice": (
        HEAD + 'workdays = [2027-02-14, 2027-02-14]\n[[holidays]]\nname = "a"\nfrom = 2027-01-01\n',
        "workdays[1]",
    ),
    "workdays after the tables": (
        HEAD + '[[holidays]]\nname = "a"\nfrom = 2027-01-01\nworkdays = [2027-02-14]\n',
        "holidays[0]",
    ),
    "document empty": (HEAD.replace('"T-1"', '""') + "holidays = []", "document"),
}


@pytest.mark.parametrize("text,says", BAD.values(), ids=BAD.keys())
def test_a_malformed_notice_is_refused_naming_the_key(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse(text)
    assert says in err.value.message
    assert err.value.zh != err.value.message and "日历" in err.value.zh
