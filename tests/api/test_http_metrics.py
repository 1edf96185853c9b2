"""``GET /metrics``: Prometheus' text format, this process' commands and the database's deadlines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import case_in, fire
from http_support import Api, problem_of
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from jiuzhu.clock import ensure_utc, parse_iso_utc
from jiuzhu.errors import JiuzhuError
from jiuzhu.models import rows as store
from jiuzhu.scheduler.sweep import sweep


def scraped(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the auditor's scrape, by name and labels."""
    response = api.get(api.org.auditor, "/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}  # fmt: skip


def test_metrics_count_commands_by_outcome_and_time_them(api: Api) -> None:
    before = scraped(api)
    key = ("jiuzhu_commands_total", (("command", "promise"), ("outcome", "ok")))
    case = case_in(api.svc, api.org, "promised")  # one promise, in this process
    with pytest.raises(JiuzhuError) as again:  # a second promise is refused
        fire(api.svc, api.org, case, "promise")
    refused = ("jiuzhu_commands_total", (("command", "promise"), ("outcome", again.value.code)))
    after = scraped(api)
    assert after[key] == before.get(key, 0) + 1
    assert after[refused] == before.get(refused, 0) + 1
    timed = ("jiuzhu_command_seconds_count", (("command", "promise"),))
    assert after[timed] == before.get(timed, 0) + 2


def test_metrics_show_deadlines_due_the_workers_lag_and_what_fired(api: Api) -> None:
    case = case_in(api.svc, api.org, "provisionally_approved")
    due_at = parse_iso_utc(api.svc.get_case(api.org.county, case.id).deadlines["verification_due"])
    api.clock.advance(timedelta(days=40))
    now = scraped(api)
    assert now[("jiuzhu_deadlines_due", (("kind", "verification_due"),))] == 1
    with api.svc.engine.connect() as conn:
        oldest = conn.execute(select(func.min(store.deadlines.c.due_at)).where(
            store.deadlines.c.status == "pending", store.deadlines.c.due_at <= api.clock.now())
        ).scalar_one()  # fmt: skip
    oldest = ensure_utc(oldest)
    assert oldest <= due_at  # the lag counts from the oldest pending due deadline of all
    assert now[("jiuzhu_worker_lag_seconds", ())] == (api.clock.now() - oldest).total_seconds()
    assert now[("jiuzhu_cases", (("state", "provisionally_approved"),
                                 ("workflow", "fast_track")))] == 1  # fmt: skip
    assert now[("jiuzhu_audit_checkpoint_timestamp_seconds", ())] == 0
    fired = now[("jiuzhu_deadlines_fired_total", ())]
    report = sweep(api.svc, worker="test")  # the data check's deadline and the pay days passed
    later = scraped(api)
    assert report.fired >= 2 and later[("jiuzhu_deadlines_fired_total", ())] == fired + report.fired
    assert ("jiuzhu_deadlines_due", (("kind", "verification_due"),)) not in later
    assert later[("jiuzhu_worker_lag_seconds", ())] == 0


def test_metrics_need_a_token_of_an_operator_role(api: Api) -> None:
    assert api.get(None, "/metrics").status_code == 401
    refused = api.get(api.org.village, "/metrics")
    assert refused.status_code == 403
    assert "read metrics" in problem_of(refused)["detail"]
    assert api.get(api.org.county, "/metrics").status_code == 200
