"""Every trigger that docs/domain.md §3 does not allow in a state is refused there, and writes nothing.

The matrix is states × triggers minus ``helpers.ALLOWED`` (written out by hand from the domain
rules).  Each command is issued by the actor entitled to it, on a case in its jurisdiction, with
valid arguments: the only thing wrong is the state.
"""

from __future__ import annotations

import pytest
from helpers import ALLOWED, OFFERED, STATES, TRIGGERS, Org, case_in, db_snapshot, fire

from jiuzhu import CaseService, TransitionNotAllowed
from jiuzhu.workflows.fast_track import STATES as STATE_LABELS
from jiuzhu.workflows.fast_track import TRIGGERS as TRIGGER_LABELS

INVALID = [
    (state, trigger) for state in STATES for trigger in TRIGGERS if trigger not in ALLOWED[state]
]


def test_matrix_covers_every_state_and_trigger() -> None:
    assert len(INVALID) == len(STATES) * len(TRIGGERS) - sum(map(len, ALLOWED.values())) == 70


@pytest.mark.parametrize(("state", "trigger"), INVALID)
def test_command_is_refused_when_trigger_not_allowed_in_state(
    svc: CaseService, org: Org, state: str, trigger: str
) -> None:
    case = case_in(svc, org, state)
    before = db_snapshot(svc)

    with pytest.raises(TransitionNotAllowed) as err:
        fire(svc, org, case, trigger)

    assert err.value.details == {
        "case_id": case.id,
        "state": state,
        "trigger": trigger,
        "allowed": sorted(OFFERED[state]),
    }
    assert STATE_LABELS[state].zh in err.value.zh
    assert TRIGGER_LABELS[trigger].zh in err.value.zh
    assert db_snapshot(svc) == before
    after = svc.get_case(org.county, case.id)
    assert (after.state, after.row_version, after.deadlines) == (
        state,
        case.row_version,
        case.deadlines,
    )


@pytest.mark.parametrize("state", [s for s in STATES if not OFFERED[s]])
def test_refusal_says_case_is_closed_when_state_final(
    svc: CaseService, org: Org, state: str
) -> None:
    case = case_in(svc, org, state)
    with pytest.raises(TransitionNotAllowed) as err:
        fire(svc, org, case, "withdraw")
    assert "none (the case is closed)" in err.value.message
    assert "案件已办结" in err.value.zh
