"""Recurrences of service visits, computed with APScheduler's triggers (cron or interval).

A plan's recurrence is stored as data, e.g. ``{"type": "cron", "day": "1,8,15,22", "hour": 9}``
(cleaning four times a month) or ``{"type": "interval", "days": 2}`` (a visit every other
day), read in Shanghai time between the plan's start and end.  The computed instants go into
the events, so replay never depends on the trigger arithmetic of an APScheduler version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ..clock import SHANGHAI, ensure_utc
from ..errors import InvalidInput

CRON_FIELDS = {"year", "month", "day", "week", "day_of_week", "hour", "minute"}
INTERVAL_FIELDS = {"weeks", "days", "hours"}
MIN_INTERVAL = timedelta(hours=1)  # anything more frequent is a typo, not a service


def trigger_of(spec: dict[str, Any], starts_at: datetime, ends_at: datetime | None) -> BaseTrigger:
    """Build the APScheduler trigger for a recurrence spec; refuse a malformed one clearly."""
    if not isinstance(spec, dict) or spec.get("type") not in ("cron", "interval"):
        raise InvalidInput(
            "recurrence must be {'type': 'cron', ...cron fields} or {'type': 'interval', ...}",
            "服务频次格式应为 cron 或 interval",
        )
    fields = {k: v for k, v in spec.items() if k != "type"}
    allowed = CRON_FIELDS if spec["type"] == "cron" else INTERVAL_FIELDS
    unknown = set(fields) - allowed
    if unknown or not fields:
        raise InvalidInput(
            f"{spec['type']} recurrence takes {', '.join(sorted(allowed))}; got "
            f"{', '.join(sorted(fields)) or 'nothing'}",
            f"服务频次字段无效：{', '.join(sorted(unknown)) or '缺少字段'}",
        )
    try:
        if spec["type"] == "cron":
            trigger: BaseTrigger = CronTrigger(
                **fields, start_date=starts_at, end_date=ends_at, timezone=SHANGHAI
            )
        else:
            if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in fields.values()):
                raise ValueError("interval fields are whole numbers")
            if timedelta(**fields) < MIN_INTERVAL:
                raise ValueError(f"an interval shorter than {MIN_INTERVAL} is not a service plan")
            trigger = IntervalTrigger(
                **fields, start_date=starts_at, end_date=ends_at, timezone=SHANGHAI
            )
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"recurrence {spec}: {exc}", f"服务频次无效：{exc}") from None
    if spec["type"] == "cron":
        _refuse_sub_hourly(trigger, starts_at)
    return trigger


def _refuse_sub_hourly(trigger: BaseTrigger, starts_at: datetime, samples: int = 48) -> None:
    """A cron spec such as minute='*/10' fires more often than any service; refuse it."""
    previous = trigger.get_next_fire_time(None, starts_at)
    for _ in range(samples):
        if previous is None:
            return
        nxt = trigger.get_next_fire_time(previous, previous)
        if nxt is not None and nxt - previous < MIN_INTERVAL:
            raise InvalidInput(
                f"recurrence fires every {nxt - previous}; a service plan recurs at most hourly",
                "服务频次过密：服务计划至多每小时一次",
            )
        previous = nxt


@lru_cache(maxsize=4096)
def _checked(key: tuple[tuple[str, Any], ...], starts_at: datetime,
             ends_at: datetime | None) -> BaseTrigger:  # fmt: skip
    # Triggers are immutable; a plan's occurrences are computed again and again (every visit,
    # every miss), and validating a cron spec samples 48 fire times: check and build once.
    return trigger_of(dict(key), starts_at, ends_at)


def _trigger(spec: dict[str, Any], starts_at: datetime, ends_at: datetime | None) -> BaseTrigger:
    try:
        key = tuple(sorted(spec.items()))
        hash(key)
    except (AttributeError, TypeError):
        return trigger_of(spec, starts_at, ends_at)  # malformed: let trigger_of say why
    return _checked(key, starts_at, ends_at)


def first(spec: dict[str, Any], starts_at: datetime, ends_at: datetime | None,
          *, not_before: datetime) -> datetime | None:  # fmt: skip
    """The first occurrence at or after ``not_before`` (None: the plan has no more)."""
    fire = _trigger(spec, starts_at, ends_at).get_next_fire_time(None, ensure_utc(not_before))
    return None if fire is None else ensure_utc(fire)


def after(spec: dict[str, Any], starts_at: datetime, ends_at: datetime | None,
          previous: datetime) -> datetime | None:  # fmt: skip
    """The occurrence that follows ``previous`` -- one by one, however late it is now."""
    previous = ensure_utc(previous)
    fire = _trigger(spec, starts_at, ends_at).get_next_fire_time(previous, previous)
    return None if fire is None else ensure_utc(fire)
