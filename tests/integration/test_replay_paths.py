"""Replay runs the workflow definitions directly (guards, state change, effect), without the
``transitions`` machine the commands use; the two paths must agree on every event.

A simulated year of the demo (fast track, service plans, money, standard path, temporary
assistance) supplies real histories; each case is folded both ways, event by event, and every
trigger that the definitions do not allow in a state is refused by both alike.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import select

from jiuzhu import TransitionNotAllowed, demo
from jiuzhu.clock import parse_iso_utc
from jiuzhu.models import rows as store
from jiuzhu.workflows import REGISTRY
from jiuzhu.workflows import get as get_workflow


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    path: Path = tmp_path_factory.mktemp("replay-paths") / "demo.db"
    svc, clock, units = demo.open_county(f"sqlite:///{path}")
    try:
        demo.run(svc, clock, units, cases=120, seed=7, on_day=lambda *_: None)
        with svc.engine.connect() as conn:
            rows = conn.execute(select(store.events).order_by(store.events.c.case_id,
                                                              store.events.c.seq)).all()  # fmt: skip
    finally:
        svc.close()
    out: dict[str, list[dict]] = {}
    for event in store.event_dicts(rows):
        out.setdefault(event["case_id"], []).append(event)
    return out


def test_histories_cover_every_workflow_and_many_triggers(histories: dict) -> None:
    workflows = {h[0]["payload"]["workflow"] for h in histories.values()}
    assert workflows == {name for name, _ in REGISTRY}
    assert len({e["type"] for h in histories.values() for e in h}) >= 25


def test_direct_replay_and_the_machine_agree_on_every_event(histories: dict) -> None:
    for events in histories.values():
        opening = events[0]["payload"]
        wf = get_workflow(opening["workflow"], opening["workflow_version"])
        machine = wf.open(events[0]["case_id"], opening)
        direct = copy.deepcopy(machine)
        for event in events[1:]:
            at = parse_iso_utc(event["occurred_at"])
            by_machine = wf.fire(machine, event["type"], copy.deepcopy(event["payload"]), at)
            by_direct = wf.fire(direct, event["type"], copy.deepcopy(event["payload"]), at,
                                direct=True)  # fmt: skip
            assert by_direct == by_machine, (event["case_id"], event["seq"], event["type"])
            assert (direct.state, direct.facts, direct.deadlines) == (
                machine.state, machine.facts, machine.deadlines)  # fmt: skip


def test_both_paths_refuse_what_the_state_does_not_allow(histories: dict) -> None:
    checked = 0
    for events in list(histories.values())[:60]:
        opening = events[0]["payload"]
        wf = get_workflow(opening["workflow"], opening["workflow_version"])
        model = wf.open(events[0]["case_id"], opening)
        for event in events[1:]:
            for trigger in wf.trigger_labels:
                if trigger in wf._allowed.get(model.state, ()):
                    continue
                refusals = []
                for direct in (False, True):
                    probe = copy.deepcopy(model)
                    with pytest.raises(TransitionNotAllowed) as err:
                        wf.fire(probe, trigger, {}, parse_iso_utc(event["occurred_at"]),
                                direct=direct)  # fmt: skip
                    assert probe == model  # nothing changed
                    refusals.append(err.value.to_dict())
                assert refusals[0] == refusals[1]
                checked += 1
            wf.fire(model, event["type"], event["payload"], parse_iso_utc(event["occurred_at"]))
    assert checked > 1000
