"""Amounts are integer fen (分).  Yuan come in as text, int or Decimal, never as float."""

from __future__ import annotations

import re
from decimal import Decimal

from .errors import InvalidInput

FEN_PER_YUAN = 100


_AMOUNT = re.compile(r"(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?")  # 30,000.00 too


def to_fen(amount: object, *, what: str, maximum_yuan: int) -> int:
    """Parse a yuan amount exactly; refuse floats, negatives, fractions of a fen and absurd sums."""
    if isinstance(amount, bool) or isinstance(amount, float):
        raise InvalidInput(
            f"{what}: give the amount as text or an integer of yuan (e.g. '2000.50'), not {amount!r}",
            f"{what}：金额请写成文字或整数（如“2000.50”），而不是 {amount!r}",
        )
    if isinstance(amount, Decimal):
        text = format(amount, "f") if amount.is_finite() else str(amount)
    else:
        text = str(amount).strip()
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise InvalidInput(
            f"{what}: '{amount}' is not an amount of yuan (expected e.g. 30000 or 2000.50)",
            f"{what}：“{amount}”不是有效的金额（例如 30000 或 2000.50）",
        )
    sign, whole, fraction = (
        match.group(1),
        match.group(2).replace(",", "").lstrip("0") or "0",
        match.group(3) or "",
    )
    fraction = fraction.rstrip("0")
    if len(fraction) > 2:
        raise InvalidInput(
            f"{what}: '{amount}' has more than two decimals (the smallest unit is one fen)",
            f"{what}：“{amount}”小数超过两位（最小单位为分）",
        )
    fen = int(whole) * FEN_PER_YUAN + int(fraction.ljust(2, "0")) if len(whole) <= 18 else None
    if sign and fen != 0:
        raise InvalidInput(f"{what}: {amount} is negative", f"{what}：金额不能为负数（{amount}）")
    if fen is None or fen > maximum_yuan * FEN_PER_YUAN:
        raise InvalidInput(
            f"{what}: {amount} yuan is beyond the plausible maximum of {maximum_yuan:,} yuan",
            f"{what}：{amount} 元超出合理上限 {maximum_yuan:,} 元",
        )
    return fen


def yuan(fen: int) -> str:
    """Render fen as yuan text with two decimals: 200000 -> '2000.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"
