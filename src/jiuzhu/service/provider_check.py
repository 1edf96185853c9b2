"""The check every provider actor passes: its provider exists and is registered at its unit.

Kept apart from :mod:`jiuzhu.service.providers` so that the command machinery
(:mod:`jiuzhu.service.base`) can call it without importing the provider commands.
"""

from __future__ import annotations

from typing import Any

from ..errors import PermissionDenied
from ..models import provider_tables as sql
from . import inputs


def provider_unit(owner: Any, actor: Any) -> str:
    """The unit the actor's provider is registered under (it must be the actor's own unit);
    read once per service and cached: providers never move."""
    provider_id = inputs.record_id(actor.provider or "", "provider id")
    cache: dict[str, str] = owner.__dict__.setdefault("_provider_units", {})
    unit = cache.get(provider_id)
    if unit is None:
        with owner.uow.read() as conn:
            row = conn.execute(sql.provider(provider_id)).first()
        if row is None:
            raise PermissionDenied(f"unknown service provider '{provider_id}' for the actor",
                                   f"操作人所属服务机构“{provider_id}”不存在")  # fmt: skip
        unit = cache[provider_id] = row.unit_id
    if unit != actor.org:
        raise PermissionDenied(
            f"provider {provider_id} is registered under {unit}, not {actor.org}",
            f"服务机构 {provider_id} 登记于 {unit}，与所属单位 {actor.org} 不符",
        )
    return unit
