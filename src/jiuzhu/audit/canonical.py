"""RFC 8785 (JSON Canonicalization Scheme) for the values jiuzhu puts in events.

Event payloads hold only strings, integers, booleans, null, lists and objects: amounts are
integer fen and instants are text, so the only hard part of RFC 8785, the serialisation of
binary floating point, never arises -- a float is refused.  For these values, RFC 8785 output
equals ``json.dumps`` with sorted keys, no whitespace and no ASCII escaping, provided keys sort
by UTF-16 code units (they differ from code-point order only beyond the BMP; such keys are
sorted explicitly).  Integers must be exactly representable as IEEE doubles (|n| < 2**53).
A property test checks this module against an independent RFC 8785 implementation.
"""

from __future__ import annotations

import json
from typing import Any

_MAX_SAFE = 2**53 - 1  # JavaScript's largest safe integer
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class CanonicalJSONError(ValueError):
    pass


_SORTED = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True
)


def canonical_json(value: Any) -> str:
    """Return the RFC 8785 text of ``value``."""
    if _plain(value):
        # ASCII keys: code-point order (sort_keys) is UTF-16 order; the C encoder does it all.
        return _SORTED.encode(value)
    return _ENCODER.encode(_normalise(value))


def canonical_bytes(value: Any) -> bytes:
    try:
        return canonical_json(value).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalJSONError(
            "text holds a lone surrogate, which is not valid Unicode"
        ) from None


def _utf16_key(key: str) -> bytes:
    try:
        return key.encode("utf-16-be")
    except UnicodeEncodeError:
        raise CanonicalJSONError(
            "a key holds a lone surrogate, which is not valid Unicode"
        ) from None


def _plain(value: Any) -> bool:
    """True when ``value`` is valid here and all its keys are ASCII; raise when it is invalid."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            return True
        _normalise(value)  # raises with the reason
    if kind is dict:
        plain = True
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                plain = False
            if not _plain(item):
                plain = False
        return plain
    if kind is list or kind is tuple:
        return all([_plain(item) for item in value])
    return False  # subclasses and anything odd take the careful path, which may refuse


def _normalise(value: Any) -> Any:
    # Rebuild dicts in RFC 8785 key order; check every leaf.  json keeps insertion order.
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalJSONError(f"object keys must be text, got {key!r}")
        keys = sorted(value)
        if not all(key.isascii() for key in keys) and any(
            ord(ch) > 0xFFFF for key in keys for ch in key
        ):
            keys = sorted(value, key=_utf16_key)
        return {key: _normalise(value[key]) for key in keys}
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE:
            raise CanonicalJSONError(
                f"integer {value} is beyond 2**53 - 1 and would lose precision"
            )
        return value
    raise CanonicalJSONError(
        f"{type(value).__name__} {value!r} has no canonical JSON form here "
        "(use integer fen for money and ISO text for dates)"
    )
