"""Personal data outside ``persons``: the keyed ID-number index and the read log.

An ID number is indexed by its HMAC-SHA256 under the database's own secret (kept in
``database_settings``, created by the migration), so search by ID number never stores or
compares plain numbers outside ``persons``.  Every read that returns a person's name or an
unmasked ID number leaves one row per person in ``personal_data_reads`` -- who (role, unit,
staff id), when (the service clock), whose (the person's id) and why -- never the name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..errors import StorageError
from ..models.digests import DIGEST_KEY_SETTING, id_number_digest, new_secret
from .actors import Actor

# why a read was made (the read log's ``purpose``), with its Chinese label
PURPOSES = {"search": "查询", "household": "家庭信息", "case page": "案件页面"}
PURPOSES["letter"] = "打印文书"  # a printed letter shows the household's names


def digest_secret(sql: Any, conn: Any, *, now: datetime, create: bool) -> str | None:
    """The database's digest secret.  With ``create``, make one if there is none and no person
    is indexed yet (an index whose secret was lost is refused, never silently re-keyed)."""
    secret: str | None = sql.database_setting(conn, DIGEST_KEY_SETTING)
    if secret is None and create:
        if sql.count_person_digests(conn):
            raise StorageError(
                "the ID-number index has lost its secret (database setting "
                f"'{DIGEST_KEY_SETTING}'); restore it from a backup",
                f"身份证号索引的密钥（数据库设置“{DIGEST_KEY_SETTING}”）已丢失，请从备份恢复",
            )
        sql.put_database_setting(conn, DIGEST_KEY_SETTING, new_secret(), now)
        secret = sql.database_setting(conn, DIGEST_KEY_SETTING)
    return secret


def digests(secret: str, people: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """Rows of the ID-number index for persons given as {id, id_number}."""
    return [{"person_id": p["id"], "digest": id_number_digest(secret, p["id_number"])}
            for p in people]  # fmt: skip


def read_rows(actor: Actor, person_ids: Iterable[str], purpose: str,
              at: datetime) -> list[dict[str, Any]]:  # fmt: skip
    """One read-log row per distinct person, in the order first read."""
    return [{"read_at": at, "actor_role": actor.role.value, "actor_org": actor.org,
             "actor_user": actor.user, "person_id": person_id, "purpose": purpose}
            for person_id in dict.fromkeys(person_ids)]  # fmt: skip


__all__ = ["PURPOSES", "digest_secret", "digests", "read_rows"]
