"""``jiuzhu audit publish``, ``prove`` and ``consistency`` (both databases): published tiles
reproduce the checkpoint's root, re-publishing writes only what is new, proofs verify and fail
for anything else, and every bad input is refused in English and Chinese, writing nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import Org, case_in, fire
from typer.testing import CliRunner, Result

from audit import minimal_verifier
from jiuzhu import CaseService, FakeClock
from jiuzhu.audit import merkle, note
from jiuzhu.audit.checkpoint import generate_key, load_private_key
from jiuzhu.audit.leaves import Leaf
from jiuzhu.audit.log import checkpoints, open_note, origin, take_log_checkpoint
from jiuzhu.audit.publish import consistency_hashes, inclusion_hashes, publish
from jiuzhu.audit.tiles import TileSource
from jiuzhu.cli import output
from jiuzhu.cli.program import app
from jiuzhu.errors import InvalidInput, JiuzhuError, NotFound
from jiuzhu.models import log_sql


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("JIUZHU_SIMULATED_TIME", "JIUZHU_DATABASE_URL", "JIUZHU_ROLE", "JIUZHU_ORG"):
        monkeypatch.delenv(name, raising=False)
    output.out.cache_clear()
    yield
    output.out.cache_clear()


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["audit", *args, "--db", db_url], prog_name="jiuzhu")


def ok(db_url: str, *args: str) -> Result:
    result = run(db_url, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def refused(result: Result, kind: type[JiuzhuError], english: str, chinese: str) -> None:
    """Refused with a jiuzhu error naming what was wrong in both languages."""
    assert result.exit_code != 0
    assert isinstance(result.exception, kind), result.exception
    assert english in result.exception.message and chinese in result.exception.zh


def opened(directory: Path) -> note.Checkpoint:
    return note.parse_checkpoint(open_note((directory / "checkpoint").read_text()).body)


def files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}  # fmt: skip


def synthetic(svc: CaseService, n: int, start: int = 0) -> None:
    leaves = [Leaf("event", f"synthetic/{i}", hashlib.sha256(str(i).encode()).hexdigest().encode())
              for i in range(start, start + n)]  # fmt: skip
    with svc.engine.begin() as conn:
        log_sql.flush(conn, leaves)


# -- publish ----------------------------------------------------------------------------------------
def test_publish_writes_a_signed_checkpoint_whose_root_the_tiles_reproduce(
    db_url: str, svc: CaseService, org: Org, tmp_path: Path
) -> None:
    public = generate_key(tmp_path / "agency.key")
    case_in(svc, org, "verified")
    synthetic(svc, 300)
    out = tmp_path / "pub"
    ok(db_url, "publish", str(out), "--key", str(tmp_path / "agency.key"))
    body = opened(out)
    with svc.engine.connect() as conn:
        assert body.size == log_sql.size(conn) > 256 and body.origin == origin(conn)
        data = [row.data.encode() for row in log_sql.leaf_rows(conn)]
    assert note.verify_note(open_note((out / "checkpoint").read_text()), body.origin, public)
    tiles = TileSource(out, body.size)
    assert tiles.subtree(0, body.size) == body.root == merkle.root(map(merkle.leaf_hash, data))
    assert tiles.entries(0) + tiles.entries(1) == data
    assert (out / "tile/0/000").stat().st_size == 256 * 32


def test_republish_writes_only_the_new_tiles_and_a_consistent_checkpoint(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / "pub"
    synthetic(svc, 600)
    first = publish(svc.engine, out, now=clock.now(), taken_by="test")
    old, before = opened(out), files(out)
    assert first.previous is None and "tile/0/001" in first.written
    clock.advance(timedelta(days=1))
    case_in(svc, org, "applied")
    synthetic(svc, 200, start=600)
    second = publish(svc.engine, out, now=clock.now(), taken_by="test")
    new = opened(out)
    assert second.previous == old.size < new.size == second.size
    assert not {"tile/0/000", "tile/0/001", "tile/entries/000"} & set(second.written)
    assert set(second.written) <= set(files(out)) and "checkpoint" in second.written
    for path, content in before.items():  # full tiles and old partial tiles stay as they were
        if path != "checkpoint":
            assert files(out)[path] == content
    tiles = TileSource(out, new.size)
    assert tiles.subtree(0, new.size) == new.root
    proof = merkle.consistency_proof(old.size, new.size, tiles)
    assert merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    again = publish(svc.engine, out, now=clock.now(), taken_by="test")
    assert "checkpoint" not in again.written and opened(out) == new


def _foreign_note(svc: CaseService, *, name: str | None = None, grow: int = 0,
                  root: bytes | None = None) -> str:  # fmt: skip
    with svc.engine.connect() as conn:
        size = log_sql.size(conn) + grow
        mine = origin(conn)
    return note.checkpoint_body(name or mine, size, root or hashlib.sha256(b"other").digest())


@pytest.mark.parametrize(
    ("case", "english", "chinese"),
    [("another_log", "another log", "另一日志"),
     ("larger", "the database was rolled back", "数据库已被回滚"),
     ("rewritten", "inconsistent", "不一致")],
)  # fmt: skip
def test_publish_refuses_a_directory_of_another_log_or_a_rollback_writing_nothing(
    db_url: str, svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path,
    case: str, english: str, chinese: str,
) -> None:  # fmt: skip
    case_in(svc, org, "verified")
    out = tmp_path / "pub"
    publish(svc.engine, out, now=clock.now(), taken_by="test")
    kwargs: dict[str, Any] = {"another_log": {"name": "jiuzhu.example/elsewhere"},
                              "larger": {"grow": 5}, "rewritten": {}}[case]  # fmt: skip
    (out / "checkpoint").write_text(_foreign_note(svc, **kwargs))
    case_in(svc, org, "applied")  # the log grew: a publish would write a checkpoint and tiles
    with svc.engine.connect() as conn:
        stored = len(checkpoints(conn))
    before = files(out)
    refused(run(db_url, "publish", str(out)), InvalidInput, english, chinese)
    assert files(out) == before
    with svc.engine.connect() as conn:
        assert len(checkpoints(conn)) == stored


def test_publish_refuses_a_directory_that_is_not_its_own(
    db_url: str, svc: CaseService, org: Org, tmp_path: Path
) -> None:
    case_in(svc, org, "applied")
    (tmp_path / "pub").mkdir()
    (tmp_path / "pub" / "notes.txt").write_text("mine")
    refused(run(db_url, "publish", str(tmp_path / "pub")), InvalidInput, "not empty", "非空")
    assert files(tmp_path / "pub") == {"notes.txt": b"mine"}


# -- prove ------------------------------------------------------------------------------------------
def test_prove_gives_an_inclusion_proof_that_holds_only_for_its_event(
    db_url: str, svc: CaseService, org: Org, tmp_path: Path
) -> None:
    case = case_in(svc, org, "verified")
    ok(db_url, "checkpoint")
    shown = json.loads(ok(db_url, "prove", case.case_no, "--seq", "2").stdout)
    assert shown["case_id"] == case.id and shown["seq"] == 2
    body = note.parse_checkpoint(open_note(shown["checkpoint"]).body)
    assert shown["tree_size"] == body.size
    hashes = [bytes.fromhex(h) for h in shown["hashes"]]
    leaf = merkle.leaf_hash(shown["leaf_data"].encode())
    assert json.loads(shown["leaf_data"])["hash"] == shown["hash"]
    assert merkle.verify_inclusion(shown["leaf_index"], body.size, leaf, hashes, body.root)
    last = json.loads(ok(db_url, "prove", case.id, "--out", str(tmp_path / "p.json")).stdout
                      or (tmp_path / "p.json").read_text())  # fmt: skip
    assert last["seq"] == case.last_seq and last["leaf_index"] > shown["leaf_index"]
    other = merkle.leaf_hash(last["leaf_data"].encode())
    assert not merkle.verify_inclusion(shown["leaf_index"], body.size, other, hashes, body.root)
    assert not merkle.verify_inclusion(last["leaf_index"], body.size, leaf,
                                       [bytes.fromhex(h) for h in last["hashes"]], body.root)  # fmt: skip


def test_prove_refuses_unknown_cases_seqs_and_events_after_the_checkpoint(
    db_url: str, svc: CaseService, org: Org, tmp_path: Path
) -> None:
    case = case_in(svc, org, "applied")
    refused(run(db_url, "prove", case.id), InvalidInput, "no checkpoint yet", "尚无检查点")
    ok(db_url, "checkpoint")
    refused(run(db_url, "prove", "320922-2024-999999"), NotFound, "not found", "未找到案件")
    refused(run(db_url, "prove", case.id, "--seq", "99"), InvalidInput, "not 99", "没有 99")
    fire(svc, org, case, "promise")
    refused(run(db_url, "prove", case.id), InvalidInput, "after the checkpoint", "之后")
    refused(run(db_url, "prove", case.id, "--checkpoint", str(tmp_path / "none")),
            InvalidInput, "does not exist", "不存在")  # fmt: skip
    assert not (tmp_path / "none").exists()


# -- the case proof bundle --------------------------------------------------------------------------
def test_a_case_bundle_verifies_offline_and_fails_with_one_hash_altered(
    db_url: str, svc: CaseService, org: Org, tmp_path: Path
) -> None:
    public = generate_key(tmp_path / "agency.key")
    case = case_in(svc, org, "verified")
    case_in(svc, org, "revoked")
    out = tmp_path / "pub"
    ok(db_url, "publish", str(out), "--key", str(tmp_path / "agency.key"))
    witness = generate_key(tmp_path / "witness.key")  # a witness cosigns the published note
    cosigned = note.add_cosignature((out / "checkpoint").read_text(), "audit-office",
                                    load_private_key(tmp_path / "witness.key"), 1_700_000_000)  # fmt: skip
    (out / "checkpoint").write_text(cosigned)
    ok(db_url, "prove", case.id, "--bundle", str(tmp_path / "case.json"), "--checkpoint", str(out))
    bundle = json.loads((tmp_path / "case.json").read_text())
    assert bundle["checkpoint"] == (out / "checkpoint").read_text()
    assert [e["seq"] for e in bundle["events"]] == list(range(1, case.last_seq + 1))
    assert set(bundle) == {"format", "format_version", "case_id", "checkpoint", "events"}
    with svc.engine.connect() as conn:
        name = origin(conn)
    vkey = note.vkey(name, public)
    assert check_bundle(bundle, vkey) == []
    cosigner = note.vkey("audit-office", witness, note.COSIGNATURE_V1)
    assert minimal_verifier.verify_case_proof(bundle, vkey, (cosigner,)) == []
    altered = json.loads(json.dumps(bundle))
    altered["events"][1]["hash"] = hashlib.sha256(b"forged").hexdigest()
    assert check_bundle(altered, vkey) != []


def check_bundle(bundle: dict[str, Any], vkey: str) -> list[str]:
    """The independent verifier's verdict (written from docs/audit-format.md alone)."""
    return list(minimal_verifier.verify_case_proof(bundle, vkey))


# -- consistency ------------------------------------------------------------------------------------
def test_consistency_between_published_checkpoints_verifies(
    db_url: str, svc: CaseService, org: Org, tmp_path: Path
) -> None:
    case_in(svc, org, "verified")
    ok(db_url, "publish", str(tmp_path / "pub"))
    old_note = tmp_path / "old.checkpoint"
    old_note.write_text((tmp_path / "pub" / "checkpoint").read_text())
    case_in(svc, org, "revoked")
    ok(db_url, "publish", str(tmp_path / "pub"))
    old, new = note.parse_checkpoint(old_note.read_text()), opened(tmp_path / "pub")
    proof = json.loads(ok(db_url, "consistency", str(old_note), str(tmp_path / "pub")).stdout)
    assert (proof["old_size"], proof["new_size"]) == (old.size, new.size)
    hashes = [bytes.fromhex(h) for h in proof["hashes"]]
    assert merkle.verify_consistency(old.size, new.size, old.root, new.root, hashes)
    assert not merkle.verify_consistency(old.size, new.size, new.root, new.root, hashes)
    by_size = json.loads(ok(db_url, "consistency", str(old.size), str(new.size)).stdout)
    assert by_size == proof
    refused(run(db_url, "consistency", str(tmp_path / "pub"), str(old_note)), InvalidInput,
            "give the older checkpoint first", "请先给出较早的检查点")  # fmt: skip
    forged = tmp_path / "forged.checkpoint"
    forged.write_text(_foreign_note(svc))
    refused(run(db_url, "consistency", str(old_note), str(forged)), InvalidInput,
            "inconsistent", "不一致")  # fmt: skip
    refused(run(db_url, "consistency", "0", str(new.size + 1)), InvalidInput,
            f"not {new.size + 1}", "没有")  # fmt: skip


def test_proofs_read_with_prefetched_blocks_equal_those_of_the_whole_tree(
    svc: CaseService, clock: FakeClock
) -> None:
    synthetic(svc, 66_000)  # past one stored node of 2**16 leaves, with a partial right edge
    with svc.engine.begin() as conn:
        take_log_checkpoint(conn, now=clock.now(), taken_by="test")
    with svc.engine.connect() as conn:
        size = log_sql.size(conn)
        reference = merkle.ListSource(log_sql.leaf_hashes(conn, 0, size))
        for index in (0, 255, 256, 65_535, 65_536, size - 1):
            assert inclusion_hashes(conn, index, size) == merkle.inclusion_proof(
                index, size, reference)  # fmt: skip
        for old in (1, 256, 1_000, 65_536, size - 1):
            assert consistency_hashes(conn, old, size) == merkle.consistency_proof(
                old, size, reference)  # fmt: skip


def test_an_empty_log_publishes_its_checkpoint_of_size_zero(
    db_url: str, svc: CaseService, tmp_path: Path
) -> None:
    ok(db_url, "publish", str(tmp_path / "pub"))
    body = opened(tmp_path / "pub")
    assert body.size == 0 and body.root == merkle.EMPTY_ROOT
    assert files(tmp_path / "pub").keys() == {"checkpoint"}


def test_publish_to_an_unwritable_place_is_refused_before_any_checkpoint(
    db_url: str, svc: CaseService, org: Org, tmp_path: Path
) -> None:
    case_in(svc, org, "applied")
    (tmp_path / "a-file").write_text("not a directory")
    refused(run(db_url, "publish", str(tmp_path / "a-file" / "pub")), InvalidInput,
            "cannot write", "无法写入")  # fmt: skip
    with svc.engine.connect() as conn:
        assert checkpoints(conn) == []
