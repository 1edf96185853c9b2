"""Witnesses: an independent office cosigns successive published checkpoints, each only after
checking it extends the last one it cosigned, and refuses one that does not (both databases).
``verify --against --witness`` names who cosigned and fails for a witness who did not."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import Org, case_in
from publishing import publish, publish_on
from tamper import tampered
from typer.testing import CliRunner

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit import merkle, note
from jiuzhu.audit.checkpoint import generate_key, load_private_key
from jiuzhu.audit.witness import HISTORY_FILE, cosign, read_published
from jiuzhu.cli import app
from jiuzhu.errors import InvalidInput
from jiuzhu.models import log_sql

WITNESS = "audit-office.example/witness"


class Witness:
    """A witness: its key, its name and its state directory."""

    def __init__(self, tmp_path: Path, name: str = WITNESS) -> None:
        key_file = tmp_path / f"{name.replace('/', '_')}.key"
        generate_key(key_file)
        self.key_file, self.key, self.name = key_file, load_private_key(key_file), name
        self.state = tmp_path / f"{name.replace('/', '_')}.state"
        self.vkey = note.vkey(name, note.raw_public_key(self.key), note.COSIGNATURE_V1)

    def cosign(self, directory: Path, clock: FakeClock, **kwargs: Any) -> Any:
        return cosign(directory, key=self.key, name=self.name, state_dir=self.state,
                      now=clock.now(), **kwargs)  # fmt: skip

    def history(self) -> list[dict[str, Any]]:
        lines = (self.state / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]


def files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file()}  # fmt: skip


@pytest.fixture
def agency(tmp_path: Path) -> Any:
    generate_key(tmp_path / "agency.key")
    return load_private_key(tmp_path / "agency.key")


def test_witness_cosigns_two_successive_checkpoints_and_refuses_a_rewritten_third(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path, agency: Any
) -> None:
    witness, published = Witness(tmp_path), tmp_path / "published"
    log_public = note.raw_public_key(agency).hex()
    case_in(svc, org, "verified")
    first = publish(svc, published, now=clock.now(), key=agency)
    done = witness.cosign(published, clock, log_key=log_public)
    assert (done.size, done.previous_size) == (first, None)
    assert done.timestamp == int(clock.now().timestamp())

    clock.advance(timedelta(days=30))
    case_in(svc, org, "revoked")
    second = publish(svc, published, now=clock.now(), key=agency)
    assert second > first
    done = witness.cosign(published, clock, log_key=log_public)
    assert (done.size, done.previous_size) == (second, first)
    opened = read_published(published).opened
    assert note.verify_note(opened, read_published(published).checkpoint.origin, log_public)
    assert note.verify_cosignature(opened, WITNESS, witness.key.public_key().public_bytes_raw()) \
        == int(clock.now().timestamp())  # fmt: skip
    assert [(h["size"], h["previous_size"]) for h in witness.history()] == [(first, None),
                                                                          (second, first)]  # fmt: skip

    # An insider rewrites one logged entry (data and hash), drops the checkpoints that name the
    # old root, re-takes and re-publishes: the tiles now prove the rewritten tree.
    clock.advance(timedelta(days=30))
    with tampered(svc) as conn:
        row = list(log_sql.leaf_rows(conn, 3, 4))[0]
        data = row.data.replace('"', '"x', 1)
        conn.execute(log_sql.LEAVES.update().where(log_sql.LEAVES.c.idx == 3).values(
            data=data, hash=merkle.leaf_hash(data.encode()).hex()))  # fmt: skip
        conn.execute(log_sql.CHECKPOINTS.delete())
        conn.execute(log_sql.NODES.delete())
        publish_on(conn, published, now=clock.now(), key=agency)
    before, kept = files(published), files(witness.state)
    with pytest.raises(InvalidInput) as refused:
        witness.cosign(published, clock, log_key=log_public)
    assert "not consistent with the checkpoint of size" in refused.value.message
    assert "history was rewritten" in refused.value.message and refused.value.zh
    assert files(published) == before and files(witness.state) == kept  # nothing written


def test_witness_refuses_a_smaller_checkpoint_another_log_and_a_forged_signature(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path, agency: Any
) -> None:
    witness, published = Witness(tmp_path), tmp_path / "published"
    case_in(svc, org, "verified")
    small = tmp_path / "small"
    publish(svc, small, now=clock.now(), key=agency)
    case_in(svc, org, "provisionally_approved")
    publish(svc, published, now=clock.now(), key=agency)
    witness.cosign(published, clock)
    kept = files(witness.state)
    with pytest.raises(InvalidInput, match="fewer than the .* this witness cosigned before"):
        witness.cosign(small, clock)
    other = tmp_path / "other.key"
    generate_key(other)
    with pytest.raises(InvalidInput, match="not signed by the log's key"):
        witness.cosign(published, clock, log_key=note.raw_public_key(load_private_key(other)).hex())
    text = (published / "checkpoint").read_text(encoding="utf-8")
    (published / "checkpoint").write_text(text.replace("\n", "\n\n", 1), encoding="utf-8")
    with pytest.raises(InvalidInput):  # not a well-formed note any more
        witness.cosign(published, clock)
    assert files(witness.state) == kept


def test_witness_refuses_a_checkpoint_of_another_database(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path, sqlite_template: Path
) -> None:
    import shutil

    import jiuzhu

    witness, published, foreign = Witness(tmp_path), tmp_path / "published", tmp_path / "foreign"
    case_in(svc, org, "verified")
    publish(svc, published, now=clock.now())
    witness.cosign(published, clock)
    shutil.copyfile(sqlite_template, tmp_path / "other.db")
    other = jiuzhu.connect(f"sqlite:///{tmp_path / 'other.db'}", clock=clock, upgrade=False)
    try:
        from helpers import make_county

        case_in(other, make_county(other), "provisionally_approved")
        publish(other, foreign, now=clock.now())
    finally:
        other.close()
    with pytest.raises(InvalidInput, match="this witness cosigns the log"):
        witness.cosign(foreign, clock)


def test_witness_refuses_tiles_that_do_not_give_the_checkpoints_root(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    witness, published = Witness(tmp_path), tmp_path / "published"
    case_in(svc, org, "verified")
    publish(svc, published, now=clock.now())
    tile = next(p for p in (published / "tile" / "0").rglob("*") if p.is_file())
    tile.write_bytes(bytes(len(tile.read_bytes())))
    with pytest.raises(InvalidInput, match="do not give the root"):
        witness.cosign(published, clock)
    assert not witness.state.exists()


def flat(text: str) -> str:
    """Printed text without the spaces, line breaks and table borders it was wrapped with."""
    return "".join(c for c in text if c not in " \n│")


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), prog_name="jiuzhu", terminal_width=200, env=env)


def test_cli_cosign_and_verify_against_name_the_witnesses_who_cosigned(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path, db_url: str
) -> None:
    office, bureau = Witness(tmp_path), Witness(tmp_path, "finance-bureau.example/witness")
    published = tmp_path / "published"
    case_in(svc, org, "verified")
    publish(svc, published, now=clock.now())
    when = {"JIUZHU_SIMULATED_TIME": clock.now().isoformat()}
    result = run("audit", "cosign", str(published), "--key", str(office.key_file), "--name",
                 WITNESS, "--state", str(office.state), env=when)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert office.vkey in flat(result.output)
    line = (published / "checkpoint").read_text(encoding="utf-8").splitlines()[-1]
    assert line.startswith(f"— {WITNESS} ") and flat(line) in flat(result.output)
    vkey_file = tmp_path / "office.vkey"
    vkey_file.write_text(office.vkey + "\n", encoding="utf-8")

    passed = run("audit", "verify", "--db", db_url, "--against", str(published),
                 "--witness", str(vkey_file), "--json")  # fmt: skip
    assert passed.exit_code == 0, passed.output
    against = json.loads(passed.stdout)["against"]
    assert against["ok"] and list(against["cosigned_by"]) == [WITNESS]
    assert against["cosigned_by"][WITNESS].startswith(clock.now().date().isoformat())

    failed = run("audit", "verify", "--db", db_url, "--against", str(published),
                 "--witness", office.vkey, "--witness", bureau.vkey)  # fmt: skip
    assert failed.exit_code == 1, failed.output
    assert flat(f"cosigned by witness {WITNESS}") in flat(failed.output)
    assert flat("did not cosign the checkpoint checked against") in flat(failed.output)
    failed = run("audit", "verify", "--db", db_url, "--against", str(published),
                 "--witness", office.vkey, "--witness", bureau.vkey, "--json")  # fmt: skip
    report = json.loads(failed.stdout)
    assert list(report["against"]["cosigned_by"]) == [WITNESS] and not report["ok"]
    assert [b["detail"] for b in report["breaks"]] == [
        "witness finance-bureau.example/witness did not cosign the checkpoint checked against"
    ]

    refused = run("audit", "cosign", str(published / "nowhere"), "--key", str(office.key_file),
                  "--name", WITNESS, "--state", str(office.state))  # fmt: skip
    assert isinstance(refused.exception, InvalidInput)  # the error boundary prints it, exit 4
    assert "is not a published directory" in refused.exception.message and refused.exception.zh
