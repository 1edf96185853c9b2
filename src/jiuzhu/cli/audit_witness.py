"""``jiuzhu audit cosign`` (a witness cosigns a published checkpoint) and what ``audit verify``
does with ``--against`` and ``--witness`` (a database checked against a published checkpoint).

The audit modules are imported inside the commands: ``jiuzhu --help`` loads none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InvalidInput
from .options import shared
from .output import emit_json, say

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..audit.verify import VerifyReport
    from ..audit.witness import Against
    from ..clock import Clock

AgainstOpt = Annotated[Path | None, typer.Option(
    "--against", help="A published directory 发布目录 (from `jiuzhu audit publish`) or a checkpoint "
    "file 检查点文件: fail when the database is older than it or disagrees with it (restored "
    "from a backup 从备份恢复, rolled back 回滚).")]  # fmt: skip
WitnessOpt = Annotated[list[str] | None, typer.Option(
    "--witness", metavar="VKEY", help="A witness 见证方 that must have cosigned the --against checkpoint: its "
    "verifier key 验证公钥 'name+id+key' (as `jiuzhu audit cosign` prints it) or a file holding "
    "it. Repeatable.")]  # fmt: skip


def register(audit_app: typer.Typer) -> None:
    audit_app.command("cosign")(audit_cosign)


def public_key_of(text: str | Path) -> str:
    """An Ed25519 public key as hex, from a verifier key 'name+id+key' (the text or a file
    holding it), a PEM file or a file of 64 hex digits."""
    from ..audit import note
    from ..audit.checkpoint import load_public_key

    value = str(text).strip()
    if "+" not in value or Path(value).is_file():
        path = Path(value)
        try:
            content = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            content = ""
        if "+" not in content or "BEGIN" in content:
            return load_public_key(path)
        value = content
    return note.parse_vkey(value).public_key.hex()


def witness_clock() -> Clock:
    """The system clock, or the simulated clock of ``$JIUZHU_SIMULATED_TIME`` (a witness has
    no database of its own to mark as a simulation)."""
    from ..clock import SimulatedClock, SystemClock
    from ..simulation import simulated_start

    start = simulated_start()
    return SystemClock() if start is None else SimulatedClock(start)


@shared(db=None)
def audit_cosign(
    directory: Annotated[Path, typer.Argument(
        help="The published directory 发布目录 whose checkpoint to cosign.")],
    key: Annotated[Path, typer.Option(
        "--key", help="The witness's Ed25519 private key 见证方私钥 (PEM, from `jiuzhu audit "
        "keygen`).")],
    name: Annotated[str, typer.Option(
        "--name", help="The witness's key name 见证方名称, e.g. audit.example/witness (no "
        "spaces, no '+').")],
    state: Annotated[Path, typer.Option(
        "--state", help="The witness's own record 见证记录目录: the last checkpoint it cosigned "
        "and the history of its cosignatures.")],
    log_key: Annotated[str | None, typer.Option(
        "--log-key", help="The log's public key 日志公钥 (verifier key 'name+id+key', a PEM file "
        "or 64 hex digits): refuse a checkpoint it did not sign.")] = None,
    *, json_out: bool,
) -> None:  # fmt: skip
    """Cosign the published checkpoint as a witness 见证副签 (C2SP cosignature/v1).

    Refuses, writing nothing 拒绝且不写入, unless the checkpoint is well formed, signed by --log-key when given, of the same log as the last one this witness cosigned, not smaller, and consistent with it 与上次副签的检查点一致 (a consistency proof from the directory's tiles).

    Adds its cosignature line to DIRECTORY/checkpoint and prints it; keeps the last cosigned checkpoint and a history in --state.
    """
    from ..audit import note
    from ..audit.checkpoint import load_private_key
    from ..audit.witness import cosign

    private = load_private_key(key)
    trusted = public_key_of(log_key) if log_key is not None else None
    done = cosign(directory, key=private, name=name, state_dir=state,
                  now=witness_clock().now(), log_key=trusted)  # fmt: skip
    vkey = note.vkey(name, note.raw_public_key(private), note.COSIGNATURE_V1)
    if json_out:
        emit_json({"cosignature": done.line.rstrip("\n"), "size": done.size,
                   "previous_size": done.previous_size, "timestamp": done.timestamp,
                   "witness_key": vkey})  # fmt: skip
        return
    since = "first cosignature 首次副签" if done.previous_size is None else (
        f"consistent with size {done.previous_size} 与上次副签一致")  # fmt: skip
    say(f"已副签 cosigned the checkpoint of size {done.size} ({since}):")
    typer.echo(done.line, nl=False)
    say(f"见证公钥 witness key: {vkey}")


def apply_against(engine: Engine, path: Path | None, witnesses: list[str] | None,
                  trusted: str | None, report: VerifyReport, *, json_out: bool) -> dict[str, Any]:  # fmt: skip
    """Check the database against ``path`` (verify --against): its breaks join ``report``'s;
    the witnesses that cosigned are printed (or returned for the JSON)."""
    if path is None:
        if witnesses:
            raise InvalidInput("--witness names who must have cosigned the --against "
                               "checkpoint: give --against too",
                               "--witness 指定必须副签 --against 检查点的见证方：请同时给出 --against")  # fmt: skip
        return {}
    from ..audit.witness import against, read_published, witness_key
    from ..models.db import snapshot

    keys = [witness_key(w) for w in witnesses or []]
    published = read_published(path)
    with snapshot(engine) as conn:
        found = against(conn, published, witnesses=keys, log_key=trusted)
    report.breaks += found.breaks
    if not json_out:
        show_against(found)
    return {"against": found.to_dict()}


def show_against(found: Against) -> None:
    say(f"对照检查点 against the checkpoint {found.path}: size {found.size:,}; this database's "
        f"log holds {found.database_size:,} entries")  # fmt: skip
    for name, when in found.cosigned.items():
        say(f"见证方已副签 cosigned by witness {name} at {when}")
