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


# -- §8 The Merkle log -------------------------------------------------------------------------
# Written from the document alone: the recursive recomputations of §8.2 and §8.3, the note
# format of §8.4.  Each function returns a list of problems (empty: it holds).

EMPTY = hashlib.sha256(b"").digest()
DASH = "\u2014"


def merkle_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _hex_list(values: object) -> list[bytes] | None:
    if type(values) is not list:
        return None
    out = []
    for v in values:
        if type(v) is not str or len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
            return None
        out.append(bytes.fromhex(v))
    return out


def _root_of_path(m: int, n: int, h: bytes, path: list[bytes]) -> bytes | None:
    if n == 1:
        return h if not path else None
    if not path:
        return None
    k = _below(n)
    if m < k:
        inner = _root_of_path(m, k, h, path[:-1])
        return None if inner is None else _node(inner, path[-1])
    inner = _root_of_path(m - k, n - k, h, path[:-1])
    return None if inner is None else _node(path[-1], inner)


def verify_inclusion_proof(proof: dict, leaf: bytes, root: bytes) -> list[str]:
    """``proof`` is the JSON of §8.2, ``leaf`` a leaf hash and ``root`` a root (raw bytes)."""
    m, n = proof.get("leaf_index"), proof.get("tree_size")
    hashes = _hex_list(proof.get("hashes"))
    if not (_is_count(m) and _is_count(n)) or hashes is None:
        return ["inclusion proof: malformed"]
    if m >= n:
        return [f"inclusion proof: leaf {m} is not in a tree of {n}"]
    if _root_of_path(m, n, leaf, hashes) != root:
        return [f"inclusion proof: leaf {m} is not in the tree of {n} with this root"]
    return []


def _two(m: int, n: int, path: list[bytes], whole: bool, r1: bytes) -> tuple[bytes, bytes] | None:
    if m == n:
        if whole:
            return (r1, r1) if not path else None
        return (path[0], path[0]) if len(path) == 1 else None
    if not path:
        return None
    k, c = _below(n), path[-1]
    if m <= k:
        pair = _two(m, k, path[:-1], whole, r1)
        return None if pair is None else (pair[0], _node(pair[1], c))
    pair = _two(m - k, n - k, path[:-1], False, r1)
    return None if pair is None else (_node(c, pair[0]), _node(c, pair[1]))


def verify_consistency_proof(proof: dict, old_root: bytes, new_root: bytes) -> list[str]:
    m, n = proof.get("old_size"), proof.get("new_size")
    hashes = _hex_list(proof.get("hashes"))
    if not (_is_count(m) and _is_count(n)) or hashes is None or m > n:
        return ["consistency proof: malformed"]
    if m == n:
        ok = not hashes and old_root == new_root
    elif m == 0:
        ok = not hashes and old_root == EMPTY
    else:
        ok = _two(m, n, hashes, True, old_root) == (old_root, new_root)
    return [] if ok else [f"consistency proof: the tree of {n} does not extend the tree of {m}"]


def _b64(text: str) -> bytes | None:
    import base64
    import binascii

    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        return None
    return data if base64.b64encode(data).decode() == text else None


def parse_vkey(text: str) -> tuple[str, bytes, int, bytes]:
    """A verifier key -> (name, key id, type, public key); ValueError when malformed."""
    name, kid, key = text.split("+", 2)
    raw = _b64(key)
    if raw is None or len(raw) != 33 or len(kid) != 8 or not name:
        raise ValueError("malformed verifier key")
    want = hashlib.sha256(name.encode() + b"\n" + raw[:1] + raw[1:]).digest()[:4]
    if want.hex() != kid:
        raise ValueError("verifier key id does not match")
    return name, want, raw[0], raw[1:]


def _ed25519(public: bytes, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_checkpoint_note(text: str, log_vkey: str, cosigner_vkeys: tuple[str, ...] = ()
                           ) -> tuple[dict | None, list[str]]:  # fmt: skip
    """The checkpoint ({origin, size, root, cosigned: {name: time}}) and its problems; every
    cosigner given must have a valid cosignature."""
    if any(ord(c) < 0x20 and c != "\n" for c in text) or "\n\n" not in text:
        return None, ["checkpoint: malformed note"]
    split = text.rindex("\n\n")
    body, block = text[: split + 1], text[split + 2 :]
    lines = body[:-1].split("\n")
    sigs: list[tuple[str, bytes]] = []
    for line in block.split("\n")[:-1] if block.endswith("\n") and block else [""]:
        parts = line.split(" ")
        data = _b64(parts[2]) if len(parts) == 3 else None
        if parts[0] != DASH or data is None or len(data) < 5 or not parts[1] or "+" in parts[1]:
            return None, ["checkpoint: malformed signature line"]
        sigs.append((parts[1], data))
    size_ok = len(lines) >= 3 and lines[1].isascii() and lines[1].isdigit()
    size_ok = size_ok and (lines[1] == "0" or not lines[1].startswith("0"))
    root = _b64(lines[2]) if len(lines) >= 3 else None
    if not size_ok or root is None or len(root) != 32 or not all(lines):
        return None, ["checkpoint: malformed body"]
    problems = []
    name, kid, kind, public = parse_vkey(log_vkey)
    mine = [d[4:] for n, d in sigs if n == name and d[:4] == kid]
    if kind != 1 or not mine:
        problems.append("checkpoint: not signed by the log's key")
    if not all(len(s) == 64 and _ed25519(public, s, body.encode()) for s in mine):
        problems.append("checkpoint: the log's signature does not verify")
    cosigned: dict[str, int] = {}
    for vkey in cosigner_vkeys:
        name, kid, kind, public = parse_vkey(vkey)
        theirs = [d[4:] for n, d in sigs if n == name and d[:4] == kid]
        for blob in theirs:
            t = int.from_bytes(blob[:8], "big")
            message = f"cosignature/v1\ntime {t}\n".encode() + body.encode()
            if kind == 4 and len(blob) == 72 and t < 2**63 and _ed25519(public, blob[8:], message):
                cosigned[name] = max(t, cosigned.get(name, 0))
            else:
                problems.append(f"checkpoint: a cosignature by {name} does not verify")
        if name not in cosigned:
            problems.append(f"checkpoint: no valid cosignature by {name}")
    checkpoint = {"origin": lines[0], "size": int(lines[1]), "root": root, "cosigned": cosigned}
    return checkpoint, problems


def verify_case_proof(bundle: dict, log_vkey: str, cosigner_vkeys: tuple[str, ...] = ()
                      ) -> list[str]:  # fmt: skip
    if bundle.get("format") != "jiuzhu-case-proof" or bundle.get("format_version") != 1:
        return ["case proof: not a jiuzhu-case-proof, format_version 1"]
    if type(bundle.get("case_id")) is not str or type(bundle.get("checkpoint")) is not str:
        return ["case proof: malformed"]
    if type(bundle.get("events")) is not list:
        return ["case proof: malformed"]
    checkpoint, problems = verify_checkpoint_note(bundle["checkpoint"], log_vkey, cosigner_vkeys)
    if checkpoint is None:
        return problems
    last = -1
    for number, event in enumerate(bundle["events"], 1):
        if type(event) is not dict or not _is_count(event.get("seq")) or \
                not _is_count(event.get("leaf_index")) or _hex_list([event.get("hash")]) is None:  # fmt: skip
            return [*problems, f"case proof: event {number} is malformed"]
        if event["seq"] != number or event["leaf_index"] <= last:
            problems.append(f"case proof: event {event['seq']} is out of order")
        last = event["leaf_index"]
        data = canonical({"t": "event", "case_id": bundle["case_id"], "seq": event["seq"],
                          "hash": event["hash"]})  # fmt: skip
        proof = {"leaf_index": event["leaf_index"], "tree_size": checkpoint["size"],
                 "hashes": event.get("proof")}  # fmt: skip
        for problem in verify_inclusion_proof(proof, merkle_leaf(data), checkpoint["root"]):
            problems.append(f"case proof: event {event['seq']}: {problem}")
    return problems
