"""The keyed digest of an ID number, and how case numbers are spelled.

Search by ID number goes through ``person_digests``: HMAC-SHA256 of the number under a secret
of the database (``database_settings``, key :data:`DIGEST_KEY_SETTING`), so that the plain
number is kept only in ``persons`` and a digest alone cannot be matched against a list of
numbers without the secret.  Shared by the service and the migration that built the index.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

DIGEST_KEY_SETTING = "person_digest_key"  # 64 hex characters: 32 random bytes
CASE_NO = re.compile(r"^(?P<county>\d{6})-(?P<year>\d{4})-(?P<serial>\d{6,})$")


def new_secret() -> str:
    return secrets.token_hex(32)


def id_number_digest(secret: str, id_number: str) -> str:
    """HMAC-SHA256 (hex) of a validated ID number (upper-case check character)."""
    return hmac.new(bytes.fromhex(secret), id_number.encode("ascii"), hashlib.sha256).hexdigest()


def case_no(county: str, year: int, serial: int) -> str:
    """``320922-2024-000123``: the county's code, the Shanghai year of opening, the serial."""
    return f"{county}-{year:04d}-{serial:06d}"


__all__ = ["CASE_NO", "DIGEST_KEY_SETTING", "case_no", "id_number_digest", "new_secret"]
