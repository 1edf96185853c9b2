"""One dated policy book for every decision: ``connect(policy=...)`` in its three forms and
``$JIUZHU_POLICY_FILE``; the fast track records the settings in force on its day, and a later
change of the book changes new cases only -- replay keeps what the events recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import case_in, make_county, make_household, open_case

import jiuzhu
from jiuzhu import FakeClock, GuardRejected, InvalidInput
from jiuzhu.audit.verify import replay_case
from jiuzhu.policy import DEFAULT_BOOK, ENV_POLICY_FILE

pytestmark = pytest.mark.policy(monthly_payments=False)


def shanghai(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC) - timedelta(hours=8)


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_dated_change_applies_to_cases_from_its_day_and_never_to_earlier_ones(
    db_url: str, clock: FakeClock
) -> None:
    book = DEFAULT_BOOK.with_settings("2024-04-01", fast_track_threshold_yuan=40_000, pay_day=5,
                                      verification_months=2)  # fmt: skip
    svc = jiuzhu.connect(db_url, clock=clock, policy=book, upgrade=False)
    try:
        org = make_county(svc)
        early = case_in(svc, org, "provisionally_approved", expenditure="30000")  # 2024-03-15
        assert early.facts["policy"]["threshold_fen"] == 3_000_000
        assert early.facts["policy"]["in_force_on"] == "2024-03-15"
        assert early.deadlines["verification_due"] == "2024-04-15T02:00:00.000000Z"
        clock.set(shanghai("2024-04-01"))
        with pytest.raises(GuardRejected, match="threshold of 40000.00 yuan"):
            open_case(svc, org, expenditure="39999")
        late = case_in(svc, org, "provisionally_approved", expenditure="40000")
        assert (late.facts["policy"]["pay_day"], late.facts["policy"]["verification_months"]) == (
            5, 2)  # fmt: skip
        assert late.deadlines["verification_due"] == "2024-06-01T02:00:00.000000Z"
        assert svc.get_case(org.county, early.id).deadlines == early.deadlines
        for case in (early, late):  # replay from the events alone agrees with the case rows
            replayed = replay_case(svc.engine, case.id)
            assert replayed.ok, replayed
    finally:
        svc.close()


def test_connect_reads_a_policy_file_by_path_and_from_the_environment(
    db_url: str, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "p.json", {
        "dibao_lines": {"3209": [{"from": "2024-01-01", "yuan": "820"}]},
        "changes": [{"from": "2024-01-01", "fast_track_threshold_yuan": 35_000}]})  # fmt: skip
    monkeypatch.delenv(ENV_POLICY_FILE, raising=False)
    by_path = jiuzhu.connect(db_url, clock=clock, policy=path, upgrade=False)
    try:
        org = make_county(by_path)
        home = make_household(by_path, org.village)
        case = by_path.apply_standard(org.village, household_id=home.id,
                                      applicant_id=home.member_ids[0])  # fmt: skip
        assert case.facts["policy"]["dibao_line_fen"] == 82_000
        assert case.facts["policy"]["fast_track_threshold_yuan"] == 35_000
    finally:
        by_path.close()
    monkeypatch.setenv(ENV_POLICY_FILE, str(path))
    from_env = jiuzhu.connect(db_url, clock=clock, upgrade=False)
    try:
        assert from_env.policy["threshold_fen"] == 3_500_000
        assert from_env.policy_book.dibao_line("3209", clock.now().date()).monthly_fen == 82_000
    finally:
        from_env.close()


def test_connect_refuses_a_malformed_policy_file_naming_the_key(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = write(tmp_path / "bad.json", {"changes": [{"from": "2024-01-01", "pay_day": "15"}]})
    with pytest.raises(InvalidInput) as err:
        jiuzhu.connect(db_url, policy=bad, upgrade=False)
    assert "changes[0].pay_day: expected a whole number from 1 to 28" in err.value.message
    monkeypatch.setenv(ENV_POLICY_FILE, str(tmp_path / "missing.json"))
    with pytest.raises(InvalidInput, match="cannot read the policy file"):
        jiuzhu.connect(db_url, upgrade=False)
