"""How long a worker may hold a claim on a due deadline: the configured maximum lease.

A claim marks a due deadline row ``claimed`` by one worker until ``lease_until``; while it holds,
no other worker fires the row.  A lease longer than the maximum (an absurd ``--lease-seconds``,
or a row set to ``claimed`` by hand with a lease to 2099) would stop the deadline for that
long, silently: a household's monthly allowance would never be paid.  So no worker is given a
lease above the maximum, and a sweep claims again every row whose lease ends later than
``now + maximum`` (no worker could have taken it), firing it normally; verify and findings name
such rows, and rows still claimed well past their lease.

The maximum is ``JIUZHU_MAX_LEASE_SECONDS`` (seconds), one hour by default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta

from .errors import InvalidInput

ENV_MAX_LEASE = "JIUZHU_MAX_LEASE_SECONDS"
DEFAULT_MAX_LEASE = timedelta(hours=1)
MAX_MAX_LEASE = timedelta(days=1)  # the setting itself: above a day no deadline is safe
STUCK_GRACE = timedelta(minutes=10)  # past its lease this long, a claim no sweep took is stuck


def max_lease(environ: Mapping[str, str] | None = None) -> timedelta:
    """The configured maximum lease (``JIUZHU_MAX_LEASE_SECONDS``, default one hour)."""
    raw = (os.environ if environ is None else environ).get(ENV_MAX_LEASE, "").strip()
    if not raw:
        return DEFAULT_MAX_LEASE
    limit = int(MAX_MAX_LEASE.total_seconds())
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= limit:
        raise InvalidInput(
            f"{ENV_MAX_LEASE}={raw!r} is not a maximum lease: expected whole seconds "
            f"from 1 to {limit}",
            f"{ENV_MAX_LEASE}={raw!r} 不是有效的最长认领租期：应为 1 到 {limit} 的整秒数",
        )
    return timedelta(seconds=seconds)


def check_lease(lease: timedelta, maximum: timedelta | None = None) -> None:
    """Refuse a lease above the maximum, naming the maximum and where it is set."""
    maximum = max_lease() if maximum is None else maximum
    if lease > maximum:
        top = int(maximum.total_seconds())
        raise InvalidInput(
            f"--lease-seconds {int(lease.total_seconds())} is longer than the maximum lease of "
            f"{top} s: a claim that long would stop its deadlines (set {ENV_MAX_LEASE} to "
            "change the maximum)",
            f"--lease-seconds {int(lease.total_seconds())} 超过最长认领租期 {top} 秒："
            f"租期过长会使期限长期停止触发（可通过 {ENV_MAX_LEASE} 调整最长租期）",
            lease_seconds=int(lease.total_seconds()),
            max_lease_seconds=top,
        )


def claim_problem(lease_until: datetime | None, now: datetime,
                  maximum: timedelta) -> str | None:  # fmt: skip
    """What is wrong with a claim at ``now``: an absurd lease, a stuck one, or None."""
    if lease_until is None:
        return "it has no lease"
    if lease_until > now + maximum:
        return (f"its lease runs to {lease_until.isoformat()}, longer than the maximum of "
                f"{int(maximum.total_seconds())} s")  # fmt: skip
    if lease_until < now - STUCK_GRACE:
        return f"it is still claimed, its lease ended at {lease_until.isoformat()}"
    return None
