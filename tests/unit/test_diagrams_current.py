"""The committed state diagrams (diagrams/*.mmd) are what the workflow definitions generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiuzhu.diagrams import all_workflows, dot, mermaid, write_all

REGISTRY = all_workflows()  # registered workflows and their sub-workflows

COMMITTED = Path(__file__).resolve().parents[2] / "diagrams"
HINT = "run `jiuzhu diagrams` (from the repository root) and commit diagrams/"


def read_mmd(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.mmd"))}


def test_committed_diagrams_match_the_workflow_definitions(tmp_path: Path) -> None:
    write_all(tmp_path, svg=False)
    fresh, committed = read_mmd(tmp_path), read_mmd(COMMITTED)
    missing = sorted(fresh.keys() - committed.keys())
    stale = sorted(committed.keys() - fresh.keys())
    differing = sorted(n for n in fresh.keys() & committed.keys() if fresh[n] != committed[n])
    assert not (missing or stale or differing), (
        f"the diagrams in {COMMITTED} are out of date: missing {missing}, "
        f"no longer generated {stale}, different {differing}; {HINT}"
    )


def test_diagrams_are_identical_when_regenerated(tmp_path: Path) -> None:
    write_all(tmp_path / "first", svg=False)
    write_all(tmp_path / "second", svg=False)
    assert read_mmd(tmp_path / "first") == read_mmd(tmp_path / "second")
    assert len(read_mmd(tmp_path / "first")) == len(REGISTRY)


@pytest.mark.parametrize("key", sorted(REGISTRY), ids=lambda k: f"{k[0]}-v{k[1]}")
def test_mermaid_names_every_state_and_transition_with_both_labels(key: tuple[str, int]) -> None:
    workflow = REGISTRY[key]
    text = mermaid(workflow)
    assert text.splitlines()[3] == "stateDiagram-v2"
    for name, label in workflow.states.items():
        assert f'state "{label.zh}<br/>{label.en}" as {name}' in text
    for t in workflow.transitions:
        for source in t.source:
            zh = workflow.trigger_labels[t.trigger].zh
            assert f"    {source} --> {t.dest or source} : {t.trigger} {zh}\n" in text
    assert f"    [*] --> {workflow.initial}" in text
    for final in workflow.final:
        assert f"    {final} --> [*]\n" in text


@pytest.mark.parametrize("key", sorted(REGISTRY), ids=lambda k: f"{k[0]}-v{k[1]}")
def test_dot_source_names_every_state_and_transition(key: tuple[str, int]) -> None:
    workflow = REGISTRY[key]
    text = dot(workflow)
    assert text.startswith("digraph ") and text.rstrip().endswith("}")
    for name, label in workflow.states.items():
        assert f'"{name}" [label="{label.zh}\\n{label.en}"' in text
    edges = sum(len(t.source) for t in workflow.transitions)
    assert text.count(" -> ") == edges + 1  # every transition, plus the start arrow
