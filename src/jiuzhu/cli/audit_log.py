"""``jiuzhu audit publish``, ``prove`` and ``consistency``: the Merkle log for outsiders.

``publish`` writes a checkpoint note and the log's tiles to a directory that can be served or
copied; ``prove`` gives an event's inclusion proof, or a case's proof bundle, against a
checkpoint; ``consistency`` proves that one checkpoint's tree extends another's.  Every
published checkpoint given back is checked against the database's tree first (see
:mod:`jiuzhu.audit.publish`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .audit import KeyOpt, audit_app, clock_of
from .common import existing_engine, require_head
from .options import shared
from .output import emit_json, err, say

if TYPE_CHECKING:
    from sqlalchemy import Engine

CheckpointOpt = Annotated[Path | None, typer.Option(
    "--checkpoint", help="Prove against this published checkpoint 已发布的检查点 (a checkpoint "
    "file, or a directory from `jiuzhu audit publish`) instead of the database's latest.")]  # fmt: skip
CaseRef = Annotated[str, typer.Argument(
    help="Case id 案件编号 (a UUID) or case number 案号 (e.g. 320922-2024-000123).")]  # fmt: skip
TreeArg = Annotated[str, typer.Argument(
    help="A checkpoint file 检查点文件, a published directory 发布目录, or a tree size 树大小.")]  # fmt: skip


def register(app: typer.Typer) -> None:
    del app  # the commands join `jiuzhu audit`
    audit_app.command("publish")(audit_publish)
    audit_app.command("prove")(audit_prove)
    audit_app.command("consistency")(audit_consistency)


def _engine(db: str | None) -> Engine:
    engine = existing_engine(db)
    require_head(engine)
    return engine


# -- publish -----------------------------------------------------------------------------------
@shared()
def audit_publish(
    directory: Annotated[Path, typer.Argument(
        help="Directory to publish to 发布目录 (new, empty, or published to before).")],
    key: KeyOpt = None,
    taken_by: Annotated[str, typer.Option("--by", help="Who takes it 签发者 (recorded).")] = "cli",
    *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Publish the Merkle log 发布日志: a signed checkpoint and the log's tiles (C2SP).

    Only what is new since the last publish into DIRECTORY is written.  A directory holding a
    checkpoint of another log, or of a tree larger than or inconsistent with the database's
    (a rollback 回滚), is refused and nothing is written.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..audit import checkpoint as checkpoints
    from ..audit.publish import publish

    engine = _engine(db)
    signing = checkpoints.load_private_key(key) if key is not None else None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err(), transient=True) as bar:
        task = bar.add_task("发布瓦片 writing tiles", total=None)
        result = publish(engine, directory, now=clock_of(engine), taken_by=taken_by[:64],
                         key=signing,
                         progress=lambda done, total: bar.update(task, completed=done, total=total))  # fmt: skip
    if json_out:
        emit_json({"directory": str(directory), "tree_size": result.size,
                   "previous_size": result.previous, "signed": result.signed,
                   "files_written": len(result.written)})  # fmt: skip
        return
    signed = "signed 已签名" if result.signed else "unsigned 未签名"
    since = "" if result.previous is None else f" (was 原为 {result.previous:,})"
    say(f"已发布 published {directory}: tree size 树大小 {result.size:,}{since}, {signed}; "
        f"{len(result.written):,} files written 写入文件")  # fmt: skip


# -- prove -------------------------------------------------------------------------------------
@shared()
def audit_prove(
    case: CaseRef,
    seq: Annotated[int | None, typer.Option(
        "--seq", min=1, max=2**31 - 1, help="The event to prove 事件序号 (default: the case's last).")] = None,
    checkpoint: CheckpointOpt = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the proof's JSON to this file 输出文件 instead of stdout.")] = None,
    bundle: Annotated[Path | None, typer.Option(
        "--bundle", help="Write the case's proof bundle 案件证明包 (every event, ids and hashes "
        "only) to this file; it verifies offline.")] = None,
    *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Prove an event is in the log 包含证明: its inclusion proof against a checkpoint.

    Prints {"leaf_index","tree_size","hashes"} with the leaf data and the checkpoint note;
    --bundle writes the proof bundle of the whole case instead.
    """
    from ..audit import publish as proofs
    from ..models.db import snapshot

    del json_out  # the output is JSON either way
    if bundle is not None and seq is not None:
        from ..errors import InvalidInput

        raise InvalidInput("--bundle proves every event of the case; leave out --seq",
                           "--bundle 证明案件的全部事件，请勿同时给出 --seq")  # fmt: skip
    engine = _engine(db)
    with snapshot(engine) as conn:
        case_id = proofs.resolve_case(conn, case)
        cp = proofs.checkpoint_for(conn, checkpoint)
        if bundle is not None:
            made, left_out = proofs.case_bundle(conn, case_id, cp)
        else:
            proof = proofs.inclusion(conn, case_id, seq, cp)
    if bundle is not None:
        _write_json(bundle, made)
        later = f"; {left_out} later events not yet checkpointed 尚未入检查点" if left_out else ""
        say(f"已写入证明包 wrote the proof bundle of case {case_id} to {bundle}: "
            f"{len(made['events'])} events, tree size {cp.size:,}{later}", console=err())  # fmt: skip
        return
    if out_file is not None:
        _write_json(out_file, proof)
        say(f"已写入 wrote the proof of event {proof['seq']} to {out_file}", console=err())
    else:
        emit_json(proof)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from ..errors import InvalidInput

    try:
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}",
                           f"无法写入 {path}：{exc.strerror}") from None  # fmt: skip


# -- consistency -------------------------------------------------------------------------------
@shared()
def audit_consistency(
    old: TreeArg, new: TreeArg, *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Prove NEW extends OLD 一致性证明: the consistency proof between two checkpoints.

    Both roots are checked against the database's tree first; prints
    {"old_size","new_size","hashes"}.
    """
    from ..audit import publish as proofs
    from ..models.db import snapshot

    del json_out  # the output is JSON either way
    engine = _engine(db)
    with snapshot(engine) as conn:
        proof = proofs.consistency(conn, proofs.tree_at(conn, old), proofs.tree_at(conn, new))
    emit_json(proof)
