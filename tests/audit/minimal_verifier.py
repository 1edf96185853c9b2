"""A verifier of jiuzhu audit exports written only from docs/audit-format.md.

It imports nothing from jiuzhu: the standard library only (and ``cryptography`` for the
Ed25519 signatures, as any third party would use its own).  ``verify`` returns a list of
problems; ``summary`` says in one line what an auditor may conclude: "audit passed" only for a
complete export without problems, a loud "partial export" for a filtered one, and whether the
manifest is protected by a signature.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ZERO = "0" * 64


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def verify(directory: Path, public_key: str | None = None) -> list[str]:
    problems: list[str] = []
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    for name, want in manifest["files"].items():
        data = (directory / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != want["sha256"] or data.count(b"\n") != want["lines"]:
            problems.append(f"{name}: does not match the manifest")
    heads: dict[str, tuple[int, str]] = {}
    prev: dict | None = None
    for event in lines(directory / "events.jsonl"):
        doc = {k: v for k, v in event.items() if k != "hash"}
        if hashlib.sha256(canonical(doc)).hexdigest() != event["hash"]:
            problems.append(f"{event['case_id']} {event['seq']}: hash")
        same_case = prev is not None and prev["case_id"] == event["case_id"]
        want_seq, want_prev = (prev["seq"] + 1, prev["hash"]) if same_case else (1, ZERO)
        if event["seq"] != want_seq or event["prev_hash"] != want_prev:
            problems.append(f"{event['case_id']} {event['seq']}: link")
        heads[event["case_id"]] = (event["seq"], event["hash"])
        prev = event
    by_case: dict[str, dict[int, str]] = {}
    for event in lines(directory / "events.jsonl"):
        by_case.setdefault(event["case_id"], {})[event["seq"]] = event["hash"]
    for case in lines(directory / "cases.jsonl"):
        if heads.get(case["case_id"]) != (case["last_seq"], case["head_hash"]):
            problems.append(f"{case['case_id']}: head differs from the case row")
    problems += _checkpoints(directory, manifest, by_case, public_key)
    return _manifest_signature(manifest, public_key) + problems


def _manifest_signature(manifest: dict, public_key: str | None) -> list[str]:
    if manifest.get("signature") is None:
        return [] if public_key is None else ["manifest: not signed by the expected key"]
    if public_key is not None and manifest.get("public_key") != public_key:
        return ["manifest: not signed by the expected key"]
    doc = {k: v for k, v in manifest.items() if k != "signature"}
    return [] if _signed(doc, manifest["public_key"], manifest["signature"]) else [
        "manifest: signature"]  # fmt: skip


def summary(directory: Path, public_key: str | None = None) -> str:
    """One line: audit FAILED, partial export, or audit passed (and how the manifest stands)."""
    problems = verify(directory, public_key)
    if problems:
        return f"audit FAILED: {len(problems)} problem(s): " + "; ".join(problems)
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    protected = "" if manifest.get("signature") is not None else (
        " (unprotected manifest: not signed)")  # fmt: skip
    if not manifest["complete"]:
        checkpoints = lines(directory / "checkpoints.jsonl")
        at = f" at checkpoint {checkpoints[-1]['number']}" if checkpoints else ""
        n = manifest["cases"]
        return (f"partial export: {n} of {manifest.get('database_cases', '?')} cases{at}; "
                f"checked the {n}, cannot prove none was left out{protected}")  # fmt: skip
    return "audit passed" + protected


def _checkpoints(directory: Path, manifest: dict, by_case: dict[str, dict[int, str]],
                 public_key: str | None) -> list[str]:  # fmt: skip
    problems: list[str] = []
    checkpoints = lines(directory / "checkpoints.jsonl")
    head_lines = lines(directory / "checkpoint_heads.jsonl")
    last_hash = ZERO
    for number, cp in enumerate(checkpoints, 1):
        doc = {k: v for k, v in cp.items() if k not in ("hash", "public_key", "signature")}
        if cp["number"] != number or cp["prev_hash"] != last_hash:
            problems.append(f"checkpoint {cp['number']}: chain")
        if hashlib.sha256(canonical(doc)).hexdigest() != cp["hash"]:
            problems.append(f"checkpoint {number}: hash")
        mine = sorted((h for h in head_lines if h["checkpoint"] == number),
                      key=lambda h: h["case_id"])  # fmt: skip
        text = "".join(f"{h['case_id']} {h['seq']} {h['hash']}\n" for h in mine)
        if hashlib.sha256(text.encode()).hexdigest() != cp["root"]:
            problems.append(f"checkpoint {number}: root")
        if manifest["complete"]:
            at: dict[str, int] = {}
            for h in head_lines:
                if h["checkpoint"] <= number:
                    at[h["case_id"]] = max(at.get(h["case_id"], 0), h["seq"])
            if (len(at), sum(at.values())) != (cp["cases"], cp["events"]):
                problems.append(f"checkpoint {number}: counts")
        if cp["signature"] is not None or public_key is not None:
            problems += _signature(number, doc, cp, public_key)
        last_hash = cp["hash"]
    for h in head_lines:
        chain = by_case.get(h["case_id"])
        if chain is None:
            if manifest["complete"]:
                problems.append(f"{h['case_id']}: deleted (named by checkpoint {h['checkpoint']})")
        elif chain.get(h["seq"]) != h["hash"]:
            problems.append(f"{h['case_id']} {h['seq']}: differs from checkpoint {h['checkpoint']}")
    return problems


def _signature(number: int, doc: dict, cp: dict, public_key: str | None) -> list[str]:
    if cp["signature"] is None or (public_key is not None and cp["public_key"] != public_key):
        return [f"checkpoint {number}: not signed by the expected key"]
    return [] if _signed(doc, cp["public_key"], cp["signature"]) else [
        f"checkpoint {number}: signature"]  # fmt: skip


def _signed(doc: dict, public_key: str, signature: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), canonical(doc))
    except (ValueError, InvalidSignature):
        return False
    return True
