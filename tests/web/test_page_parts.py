"""The parts of the pages that need no browser: forms from the routes, the diagram, the
timeline's sentences and the one table of labels."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import OFFERED, STATES, TRIGGER_COMMAND, Org, open_case

from jiuzhu import CaseService
from jiuzhu.api.endpoints import shape_of
from jiuzhu.errors import InvalidInput
from jiuzhu.service.actors import Role
from jiuzhu.web import diagram, forms, i18n, sentences
from jiuzhu.workflows import fast_track
from jiuzhu.workflows import get as get_workflow

TEMPLATES = Path(forms.__file__).parent / "templates"


def test_every_form_is_the_routes_signature_and_every_field_has_both_labels() -> None:
    for name, route in {**forms.case_commands(), "apply": forms.commands()["apply"]}.items():
        shape = shape_of(route, CaseService)
        fields = forms.fields_of(name)
        assert [f.name for f in fields] == list(shape.fields)
        assert [f.required for f in fields] == [d is ... for _, d in shape.fields.values()]
        for field in fields:
            assert field.name in forms.FIELD_LABELS, f"{name}.{field.name} has no label"
            assert all(forms.FIELD_LABELS[field.name])


def test_the_fast_tracks_forms_are_what_each_state_allows(svc: CaseService, org: Org) -> None:
    case = open_case(svc, org)
    wf = get_workflow(case.workflow, case.workflow_version)
    for state in STATES:
        view = replace(case, state=state, allowed=wf.allowed(state))
        offered = {a.command for a in forms.actions(view, org.township)}
        by_command = {**TRIGGER_COMMAND, "stop_review": "decide_review"}  # one form decides
        commands = {by_command.get(t, t) for t in OFFERED[state]}
        assert offered == commands, state
    view = replace(case, state="reviewed", allowed=wf.allowed("reviewed"))
    mine = {a.command for a in forms.actions(view, org.village) if a.mine}
    assert mine == {"withdraw"}  # approve and refuse are the township's
    assert "record_medical_bill" in {
        a.command
        for a in forms.actions(
            replace(case, state="verified", allowed=wf.allowed("verified")), org.county
        )
    }


def test_a_form_is_parsed_into_the_commands_arguments() -> None:
    kwargs = forms.parse("record_appraisal", {"outcome": "passed", "attendance": "20",
                                              "votes_for": "18", "votes_against": "1",
                                              "abstentions": "", "held_on": ""})  # fmt: skip
    assert kwargs == {"outcome": "passed", "attendance": 20, "votes_for": 18, "votes_against": 1}
    with pytest.raises(InvalidInput) as refused:
        forms.parse("record_appraisal", {"outcome": "passed", "attendance": "twenty"})
    assert refused.value.zh == "到会人数应为整数"
    assert forms.parse("open_service_plan", {"kind": "cleaning", "provider": '{"name": "x"}',
                       "recurrence": '{"type": "interval", "days": 2}'})["provider"] == {
        "name": "x"}  # fmt: skip
    with pytest.raises(InvalidInput):
        forms.parse("open_service_plan", {"kind": "cleaning", "provider": "{", "recurrence": ""})


def test_the_diagram_draws_each_state_once_and_highlights_the_current_one() -> None:
    wf = get_workflow(fast_track.NAME)
    rows = diagram.layers(wf)
    assert rows[0] == [wf.initial]
    assert sorted(s for row in rows for s in row) == sorted(wf.states)
    assert rows.index(next(r for r in rows if "provisionally_approved" in r)) == 3
    svg = diagram.svg(wf, "reviewed", "zh", "流程图")
    assert svg.count('class="node') == len(wf.states)
    assert re.findall(r'data-state="(\w+)" aria-current="step"', svg) == ["reviewed"]
    assert "先行批准" in svg and "provisionally approved" in diagram.svg(wf, "applied", "en", "t")


def test_the_timeline_writes_sentences_with_yuan_and_a_plain_fallback() -> None:
    approve = SimpleNamespace(type="approve", payload={"monthly_amount_fen": 120000},
                              type_zh="先行审批", type_en="approve provisionally")  # fmt: skip
    assert sentences.sentence(approve, "zh") == "先行批准，每月 1,200.00 元"
    assert sentences.sentence(approve, "en") == "provisionally approved, 1,200.00 yuan a month"
    promise = SimpleNamespace(type="promise", payload={"signed_by": "p1", "signed_on": "2024-03-15"},
                              type_zh="", type_en="")  # fmt: skip
    assert (
        sentences.sentence(promise, "zh", {"p1": "陈必华"}.get)
        == "陈必华签署信用承诺书（2024-03-15）"
    )
    assert sentences.sentence(promise, "en") == ("a household member signed the credit "
                                                 "commitment (2024-03-15)")  # fmt: skip
    other = SimpleNamespace(type="something_new", payload={}, type_zh="新事项", type_en="new")
    assert sentences.sentence(other, "zh") == "新事项"
    assert sentences.yuan_text(-123456789) == "-1,234,567.89"


def test_every_label_the_templates_use_is_in_the_table_in_both_languages() -> None:
    for key, (zh, en) in i18n.STRINGS.items():
        assert zh.strip() and en.strip(), key
        assert re.findall(r"{(\w+)}", zh) == re.findall(r"{(\w+)}", en), key
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([\w.]+)'", template.read_text("utf-8")))
    assert used and not used - set(i18n.STRINGS), used - set(i18n.STRINGS)


def test_roles_are_labelled_for_every_role_a_page_can_name() -> None:
    for role in Role:
        assert forms.role_label(role.value).zh


def test_a_missed_visit_finding_reads_as_a_sentence_in_either_language() -> None:
    from jiuzhu.web.pages_audit import _finding

    item = {"kind_zh": "服务漏访", "kind_en": "visit missed", "org_path": "320922/320922100",
            "detail": "plan d3c471ea-573f-4cb9-8949-b2ceece11e32 occurrence 12 was not made"}  # fmt: skip
    zh = _finding(item, {"320922100": "东坎街道"}, "zh")
    en = _finding(item, {}, "en")
    assert zh["detail"] == "服务计划第 12 次到访未完成" and zh["unit"] == "东坎街道"
    assert en["detail"] == "visit 12 of the service plan was not made"
    assert "d3c471ea" not in zh["detail"] + en["detail"]


def test_replayed_differences_show_instants_in_shanghai_time_and_fen_as_yuan() -> None:
    from jiuzhu.web.pages_audit import flatten

    rows = flatten([
        {"field": "deadlines", "then": {"verification_due": "2024-03-20T08:00:00.000000Z"},
         "now": {}},
        {"field": "facts", "then": {"money": {"paid_fen": 3727500}},
         "now": {"money": {"paid_fen": 6127500}}},
        {"field": "state", "then": "provisionally_approved", "now": "verified"},
    ])  # fmt: skip
    shown = {r["field"]: (r["then"], r["now"]) for r in rows}
    assert shown["deadlines.verification_due"] == ("2024-03-20 16:00", "—")
    assert shown["facts.money.paid_fen"] == ("37,275.00 元", "61,275.00 元")
    assert shown["state"] == ("provisionally_approved", "verified")
    [paid] = [r for r in flatten([{"field": "paid_fen", "then": 1, "now": 2}], "en")]
    assert (paid["then"], paid["now"]) == ("0.01 yuan", "0.02 yuan")


def test_every_page_runs_in_the_thread_pool_not_on_the_event_loop() -> None:
    """The service blocks (database reads, argon2 at sign-in: ~0.1-0.2 s): a page written as a
    coroutine would hold up every other person's request while it ran."""
    import inspect

    from jiuzhu.web import pages_account, pages_apply, pages_audit, pages_case, pages_find

    for module in (pages_account, pages_apply, pages_audit, pages_case, pages_find):
        for path, endpoint, _ in module.routes():
            assert not inspect.iscoroutinefunction(endpoint), path
