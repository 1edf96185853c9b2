"""The 18-character PRC resident identity number (居民身份证号码, GB 11643-1999).

Layout: 6-digit administrative division code, 8-digit birth date ``YYYYMMDD``, 3-digit sequence
number, and one check character computed with ISO 7064 MOD 11-2 (a digit or ``X``).

An ID number is personal data: no message raised here ever contains it.  Messages call it
"the ID number" and at most quote the single offending character.

Pure and stdlib only; "today" is passed in, the wall clock is never read.
"""

from __future__ import annotations

from datetime import date

from .errors import InvalidInput

LENGTH = 18
_DIGITS = frozenset("0123456789")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum % 11)
EARLIEST_BIRTH = date(1900, 1, 1)


def check_character(body: str) -> str:
    """The check character for the first 17 digits of an ID number."""
    if len(body) != LENGTH - 1 or not all(ch in _DIGITS for ch in body):
        raise InvalidInput(
            f"the body of the ID number must be 17 digits, got {len(body)} characters",
            f"身份证号码本体应为 17 位数字，实际为 {len(body)} 个字符",
        )
    total = sum(int(ch) * weight for ch, weight in zip(body, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_id_number(text: str, *, today: date | None = None) -> str:
    """Return the normalised ID number (surrounding blanks removed, ``x`` -> ``X``).

    Raise :class:`InvalidInput` naming the first thing that is wrong.  With ``today`` the birth
    date may not be later than it; without it only the lower bound (1900-01-01) is checked.
    """
    if not isinstance(text, str):
        raise InvalidInput(
            f"the ID number must be text, got {type(text).__name__}",
            f"身份证号码应为文字，实际类型为 {type(text).__name__}",
        )
    number = text.strip()
    if len(number) != LENGTH:
        hint_en = hint_zh = ""
        if len(number) == 15:
            hint_en = " (the old 15-digit form is not accepted: give the 18-character number)"
            hint_zh = "（不接受旧的 15 位号码，请提供 18 位号码）"
        raise InvalidInput(
            f"ID number must have 18 characters, got {len(number)}{hint_en}",
            f"身份证号码应为 18 位，实际为 {len(number)} 位{hint_zh}",
        )
    for position, ch in enumerate(number[:17], start=1):
        if ch not in _DIGITS:
            raise InvalidInput(
                f"character {position} of the ID number must be a digit 0-9, got {ch!r}",
                f"身份证号码第 {position} 位应为数字 0-9，实际为“{ch}”",
            )
    last = number[17]
    if last == "x":
        last = "X"
        number = number[:17] + "X"
    if last not in _DIGITS and last != "X":
        raise InvalidInput(
            f"character 18 of the ID number (the check character) must be a digit 0-9 or 'X', "
            f"got {last!r}",
            f"身份证号码第 18 位（校验码）应为数字 0-9 或 X，实际为“{last}”",
        )
    if number[0] == "0":
        raise InvalidInput(
            "the ID number must start with an administrative division code whose first digit "
            "is 1-9, got '0'",
            "身份证号码前 6 位为行政区划代码，首位应为 1-9，实际为“0”",
        )
    born = _parse_birth_date(number)
    if born < EARLIEST_BIRTH:
        raise InvalidInput(
            f"the birth date in the ID number (characters 7-14) is {born.isoformat()}, "
            f"before the earliest accepted date {EARLIEST_BIRTH.isoformat()}",
            f"身份证号码中的出生日期（第 7-14 位）为 {born.isoformat()}，"
            f"早于可接受的最早日期 {EARLIEST_BIRTH.isoformat()}",
        )
    if today is not None and born > today:
        raise InvalidInput(
            f"the birth date in the ID number (characters 7-14) is {born.isoformat()}, "
            f"which is after today ({today.isoformat()})",
            f"身份证号码中的出生日期（第 7-14 位）为 {born.isoformat()}，"
            f"晚于今天（{today.isoformat()}）",
        )
    expected = check_character(number[:17])
    if last != expected:
        raise InvalidInput(
            f"the ID number's check character should be {expected!r}, got {last!r} "
            "(a digit was probably mistyped)",
            f"身份证号码校验码应为“{expected}”，实际为“{last}”（可能有数字录入错误）",
        )
    return number


def birth_date(text: str) -> date:
    """The birth date encoded in a valid ID number (the number is validated first)."""
    return _parse_birth_date(validate_id_number(text))


def mask_id_number(text: str) -> str:
    """The ID number for display: first 6 and last 4 characters kept, the rest as ``*``.

    Only the length is checked (after trimming blanks; ``x`` becomes ``X``), so stored numbers
    can always be shown; a wrong length raises :class:`InvalidInput` rather than leaking more.
    """
    if not isinstance(text, str):
        raise InvalidInput(
            f"the ID number must be text, got {type(text).__name__}",
            f"身份证号码应为文字，实际类型为 {type(text).__name__}",
        )
    number = text.strip()
    if len(number) != LENGTH:
        raise InvalidInput(
            f"ID number must have 18 characters, got {len(number)}",
            f"身份证号码应为 18 位，实际为 {len(number)} 位",
        )
    return number[:6] + "*" * 8 + number[14:17] + number[17].upper()


def _parse_birth_date(number: str) -> date:
    digits = number[6:14]
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            f"the birth date in the ID number (characters 7-14) must be a real calendar date "
            f"YYYYMMDD, got year {year:04d} month {month:02d} day {day:02d}",
            f"身份证号码中的出生日期（第 7-14 位）应为真实日期 YYYYMMDD，"
            f"实际为 {year:04d} 年 {month:02d} 月 {day:02d} 日",
        ) from None
