"""The export's manifest is protected by the agency's signature, and a filtered export says
what it cannot prove (jiuzhu issue 17, part 7).  Both verifiers: jiuzhu's and the minimal one
written from docs/audit-format.md.  On SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from helpers import STATES, Org, case_in
from typer.testing import CliRunner

from audit.minimal_verifier import summary as minimal_summary
from audit.minimal_verifier import verify as minimal_verify
from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.checkpoint import generate_key, load_private_key, take_checkpoint
from jiuzhu.audit.export import CANNOT_PROVE, ExportFilter, export
from jiuzhu.audit.verify import verify_export
from jiuzhu.cli import app


@pytest.fixture
def key(tmp_path: Path) -> tuple[object, str]:
    public = generate_key(tmp_path / "agency.key")
    return load_private_key(tmp_path / "agency.key"), public


@pytest.fixture
def cases(svc: CaseService, org: Org, clock: FakeClock, key: tuple[object, str]) -> int:
    for state in STATES:
        case_in(svc, org, state)
    case_in(svc, org, "verified", village=org.far_village)
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test", key=key[0])
    return len(STATES) + 1


def drop_a_case_and_call_it_partial(out: Path) -> str:
    """The attack: delete one case from a complete export, set ``complete`` to false, and
    make the manifest's counts and file hashes agree again."""
    gone = json.loads((out / "cases.jsonl").read_text("utf-8").splitlines()[0])["case_id"]
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    for name in ("events.jsonl", "cases.jsonl"):
        kept = [line for line in (out / name).read_text("utf-8").splitlines() if gone not in line]
        data = ("\n".join(kept) + "\n").encode()
        (out / name).write_bytes(data)
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "lines": len(kept)}
    manifest["cases"] -= 1
    manifest["events"] = manifest["files"]["events.jsonl"]["lines"]
    manifest["complete"] = False
    manifest["cannot_prove"] = list(CANNOT_PROVE)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    return gone


def cli_verify(out: Path, *extra: str) -> str:
    result = CliRunner().invoke(app, ["audit", "verify", str(out), *extra])
    return result.output


def test_a_signed_manifest_verifies_with_the_agency_key(
    svc: CaseService, cases: int, clock: FakeClock, tmp_path: Path, key: tuple[object, str]
) -> None:
    out = tmp_path / "out"
    manifest = export(svc.engine, out, now=clock.now(), key=key[0])
    assert manifest["public_key"] == key[1] and len(manifest["signature"]) == 128
    assert manifest["database_cases"] == cases and manifest["cannot_prove"] == []
    report = verify_export(out, trusted_key=key[1])
    assert report.ok and report.partial is None and report.notes == []
    assert minimal_verify(out, public_key=key[1]) == []
    assert minimal_summary(out, public_key=key[1]) == "audit passed"


def test_the_manifest_edit_attack_fails_when_the_manifest_is_signed(
    svc: CaseService, cases: int, clock: FakeClock, tmp_path: Path, key: tuple[object, str]
) -> None:
    out = tmp_path / "out"
    export(svc.engine, out, now=clock.now(), key=key[0])
    drop_a_case_and_call_it_partial(out)
    for trusted in (key[1], None):  # with the key, and on the key the manifest names
        report = verify_export(out, trusted_key=trusted)
        assert [(b.kind, b.detail) for b in report.breaks if b.kind == "manifest"] == [
            ("manifest", "the manifest's signature does not verify: it was edited after it "
             "was signed")]  # fmt: skip
        assert "manifest: signature" in minimal_verify(out, public_key=trusted)
        assert minimal_summary(out, public_key=trusted).startswith("audit FAILED")
    output = cli_verify(out)
    assert "audit FAILED" in output and "audit passed" not in output


def test_the_manifest_edit_attack_unsigned_is_never_called_passed(
    svc: CaseService, cases: int, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export(svc.engine, out, now=clock.now())  # no key: the manifest is not protected
    drop_a_case_and_call_it_partial(out)
    report = verify_export(out)
    assert report.ok  # nothing inside contradicts the edited manifest ...
    assert report.partial == (  # ... but it is not called "passed"
        f"partial export: {cases - 1} of {cases} cases (checkpoint 1 counts {cases} cases); "
        f"checked the {cases - 1}, cannot prove none was left out, nor that the checkpoints' "
        "counts match"
    )
    assert report.notes and report.notes[0].startswith("unprotected manifest")
    output = cli_verify(out)
    assert "audit passed" not in output and "PARTIAL" in output
    assert "unprotected manifest" in output
    assert minimal_summary(out) == (
        f"partial export: {cases - 1} of {cases} cases at checkpoint 1; checked the "
        f"{cases - 1}, cannot prove none was left out (unprotected manifest: not signed)"
    )


def test_a_filtered_export_states_what_it_cannot_prove(
    svc: CaseService, cases: int, org: Org, clock: FakeClock, tmp_path: Path,
    key: tuple[object, str],
) -> None:  # fmt: skip
    out = tmp_path / "out"
    where = ExportFilter(org=org.far_village.org)
    manifest = export(svc.engine, out, now=clock.now(), where=where, key=key[0])
    assert (manifest["complete"], manifest["cases"]) == (False, 1)
    assert manifest["cannot_prove"] == list(CANNOT_PROVE) and manifest["database_cases"] == cases
    report = verify_export(out, trusted_key=key[1])
    assert report.ok and report.partial is not None
    assert report.partial.startswith(f"partial export: 1 of {cases} cases")
    assert minimal_summary(out, public_key=key[1]).startswith(
        f"partial export: 1 of {cases} cases at checkpoint 1; checked the 1, cannot prove none "
        "was left out")  # fmt: skip
    output = cli_verify(out, "--public-key", str(tmp_path / "agency.key.pub"))
    assert "PARTIAL" in output and "audit passed" not in output


def test_with_the_agency_key_an_unsigned_manifest_is_a_break(
    svc: CaseService, cases: int, clock: FakeClock, tmp_path: Path, key: tuple[object, str]
) -> None:
    out = tmp_path / "out"
    export(svc.engine, out, now=clock.now())
    report = verify_export(out, trusted_key=key[1])
    assert [b.kind for b in report.breaks] == ["manifest"]
    assert minimal_verify(out, public_key=key[1]) == ["manifest: not signed by the expected key"]
