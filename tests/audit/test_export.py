"""Exports: verified by jiuzhu and by an independent verifier written from the format document."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import STATES, Org, case_in
from sqlalchemy import select

from audit.minimal_verifier import verify as minimal_verify
from jiuzhu import CaseService, FakeClock, InvalidInput
from jiuzhu.audit.checkpoint import generate_key, load_private_key, take_checkpoint
from jiuzhu.audit.export import ExportFilter, export
from jiuzhu.audit.verify import verify_export
from jiuzhu.models import rows as store


@pytest.fixture
def populated(svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path) -> str:
    """Cases in every state, a signed checkpoint, more cases, a second (unsigned) checkpoint;
    returns the public key of the signature."""
    for state in STATES:
        case_in(svc, org, state)
    public = generate_key(tmp_path / "audit.key")
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test",
                    key=load_private_key(tmp_path / "audit.key"))  # fmt: skip
    clock.advance(timedelta(days=1))
    case_in(svc, org, "verified", village=org.far_village)
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test")
    return public


def rewrite_line(path: Path, index: int, change: dict) -> None:
    rows = path.read_text("utf-8").splitlines()
    rows[index] = json.dumps({**json.loads(rows[index]), **change}, ensure_ascii=False)
    path.write_text("\n".join(rows) + "\n", "utf-8")


def test_export_verifies_with_jiuzhu_and_with_the_minimal_verifier(
    svc: CaseService, populated: str, clock: FakeClock, tmp_path: Path
) -> None:
    manifest = export(svc.engine, tmp_path / "out", now=clock.now())
    assert manifest["complete"] and manifest["cases"] == len(STATES) + 1
    report = verify_export(tmp_path / "out")
    assert report.ok, [str(b) for b in report.breaks]
    assert (report.cases, report.checkpoints, report.signed) == (len(STATES) + 1, 2, 1)
    assert minimal_verify(tmp_path / "out") == []


def test_minimal_verifier_and_jiuzhu_find_an_altered_exported_event(
    svc: CaseService, populated: str, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export(svc.engine, out, now=clock.now())
    first = json.loads((out / "events.jsonl").read_text("utf-8").splitlines()[2])
    rewrite_line(out / "events.jsonl", 2, {"payload": {**first["payload"], "forged": 1}})
    problems = minimal_verify(out)
    assert f"{first['case_id']} {first['seq']}: hash" in problems
    assert "events.jsonl: does not match the manifest" in problems
    kinds = {(b.case_id, b.seq, b.kind) for b in verify_export(out).breaks}
    assert (first["case_id"], first["seq"], "altered") in kinds


def test_both_verifiers_find_a_case_removed_from_a_complete_export(
    svc: CaseService, populated: str, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export(svc.engine, out, now=clock.now())
    gone = json.loads((out / "cases.jsonl").read_text("utf-8").splitlines()[0])["case_id"]
    for name in ("events.jsonl", "cases.jsonl"):
        kept = [line for line in (out / name).read_text("utf-8").splitlines() if gone not in line]
        (out / name).write_text("\n".join(kept) + "\n", "utf-8")
    assert any(p.startswith(f"{gone}: deleted") for p in minimal_verify(out))
    assert gone in {b.case_id for b in verify_export(out).breaks if b.kind == "deleted_case"}


def test_minimal_verifier_checks_the_signature_against_a_trusted_key(
    svc: CaseService, populated: str, clock: FakeClock, tmp_path: Path
) -> None:
    export(svc.engine, tmp_path / "out", now=clock.now())
    problems = minimal_verify(tmp_path / "out", public_key=populated)
    assert problems == [
        "manifest: not signed by the expected key",  # exported without --key
        "checkpoint 2: not signed by the expected key",
    ]  # 1 signed, 2 not
    report = verify_export(tmp_path / "out", trusted_key=populated)
    assert [(b.seq, b.kind) for b in report.breaks] == [(0, "manifest"), (2, "checkpoint")]


def test_export_holds_no_personal_data(svc: CaseService, populated: str, clock: FakeClock,
                                       tmp_path: Path) -> None:  # fmt: skip
    export(svc.engine, tmp_path / "out", now=clock.now())
    text = "".join(p.read_text("utf-8") for p in (tmp_path / "out").iterdir())
    with svc.engine.connect() as conn:
        people = conn.execute(select(store.persons.c.name, store.persons.c.id_number)).all()
    assert people
    for name, number in people:
        assert name not in text and number not in text


def test_filtered_export_by_org_verifies_and_holds_only_that_subtree(
    svc: CaseService, populated: str, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    manifest = export(svc.engine, out, now=clock.now(), where=ExportFilter(org=org.far_village.org))
    assert (manifest["complete"], manifest["cases"]) == (False, 1)
    assert verify_export(out).ok
    assert minimal_verify(out) == []


def test_filtered_export_by_time_selects_cases_active_in_the_window(
    svc: CaseService, populated: str, clock: FakeClock, tmp_path: Path
) -> None:
    window = ExportFilter(start=clock.now() - timedelta(hours=1), end=clock.now() + timedelta(1))
    manifest = export(svc.engine, tmp_path / "out", now=clock.now(), where=window)
    assert manifest["cases"] == 1  # only the case opened after the first day
    assert verify_export(tmp_path / "out").ok


def test_export_refuses_a_directory_that_is_not_empty(svc: CaseService, clock: FakeClock,
                                                      tmp_path: Path) -> None:  # fmt: skip
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InvalidInput, match="not an empty directory"):
        export(svc.engine, tmp_path / "full", now=clock.now())
