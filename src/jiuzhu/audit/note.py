"""Signed notes, checkpoints and cosignatures: the C2SP signed-note, tlog-checkpoint and
tlog-cosignature formats, as jiuzhu's Merkle log publishes its tree heads.

A checkpoint body is three lines, ``<origin>\\n<size>\\n<base64 root>\\n`` (and, when present,
extension lines, kept but never written by jiuzhu).  A signed note is the body, an empty line,
then one line ``— <key name> <base64(key id || signature)>\\n`` per signature.  The key id is
the first 4 bytes of SHA-256(name || 0x0A || type || public key): type 0x01 for an Ed25519
signature of the body, 0x04 for a cosignature/v1, the Ed25519 signature of
``cosignature/v1\\ntime <t>\\n`` + body, whose blob is key id || 8-byte big-endian ``t`` ||
signature.  Keys are ``cryptography`` Ed25519 objects (``checkpoint.py`` loads them from
files); public keys are given as their 32 raw bytes (or 64 hex digits).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
DASH = "\u2014"
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signature:
    """One signature line: ``blob`` is what follows the 4-byte key id (for Ed25519 the
    64-byte signature; for a cosignature the 8-byte timestamp and the signature)."""

    name: str
    key_id: bytes
    blob: bytes


@dataclass(frozen=True)
class Note:
    body: str
    signatures: tuple[Signature, ...]


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_type: int
    key_id: bytes
    public_key: bytes


def _bad(english: str, chinese: str) -> InvalidInput:
    return InvalidInput(english, chinese)


def b64decode(text: str, what: str) -> bytes:
    """Standard base64 with padding, strictly: anything else is refused."""
    if len(text) % 4 or not _B64.fullmatch(text):
        raise _bad(f"{what} is not standard base64 (A-Z a-z 0-9 + /, padded with =): {text!r}",
                   f"{what}不是标准 base64 编码（A-Z a-z 0-9 + /，以 = 补齐）")  # fmt: skip
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        data = None
    if data is None or base64.b64encode(data).decode() != text:
        raise _bad(f"{what} is not valid base64: {text!r}", f"{what}不是有效的 base64 编码")
    return data


def check_key_name(name: str) -> str:
    if not isinstance(name, str) or not name or any(c.isspace() or c == "+" for c in name):
        raise _bad(f"key name {name!r} must be non-empty, without spaces or '+'",
                   "密钥名称不能为空，且不能含空白字符或“+”")  # fmt: skip
    if any(ord(c) < 0x20 for c in name):
        raise _bad(f"key name {name!r} contains a control character", "密钥名称含控制字符")
    return name


def public_key_bytes(key: bytes | str) -> bytes:
    """A public key as 32 raw bytes, from raw bytes or 64 hex digits."""
    if isinstance(key, str):
        try:
            key = bytes.fromhex(key)
        except ValueError:
            key = b""
    if not isinstance(key, bytes) or len(key) != 32:
        raise _bad("an Ed25519 public key is 32 bytes (or 64 hex digits)",
                   "Ed25519 公钥应为 32 字节（或 64 位十六进制数字）")  # fmt: skip
    return key


def raw_public_key(private_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    public = private_key.public_key()
    raw: bytes = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def key_id(name: str, key_type: int, public_key: bytes | str) -> bytes:
    raw = public_key_bytes(public_key)
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + raw).digest()[:4]


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    if not origin or "\n" in origin or any(ord(c) < 0x20 for c in origin):
        raise _bad("the origin must be one non-empty line of text", "日志来源名必须是一行非空文字")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _bad(f"the tree size must be an integer ≥ 0, not {size!r}", "树的大小必须是非负整数")
    if not isinstance(root, bytes) or len(root) != 32:
        raise _bad("the root hash must be 32 bytes", "根哈希必须是 32 字节")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def parse_checkpoint(body: str) -> Checkpoint:
    """A checkpoint body (the text of a note, without its signatures)."""
    if not isinstance(body, str) or not body.endswith("\n"):
        raise _bad("a checkpoint must end with a newline", "检查点文本必须以换行结束")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise _bad("a checkpoint is at least three non-empty lines: origin, tree size, root hash",
                   "检查点至少有三行非空文字：来源、树的大小、根哈希")  # fmt: skip
    origin, size_text, root_text, *extensions = lines
    if any(ord(c) < 0x20 for c in body if c != "\n"):
        raise _bad("a checkpoint must not contain control characters", "检查点不能含控制字符")
    if not _SIZE.fullmatch(size_text):
        raise _bad(f"the tree size {size_text!r} must be a decimal number without sign or "
                   "leading zeros", "树的大小必须是十进制整数，不带符号，也不带前导零")  # fmt: skip
    root = b64decode(root_text, "the root hash")
    if len(root) != 32:
        raise _bad(f"the root hash is {len(root)} bytes; a SHA-256 hash is 32",
                   "根哈希应为 32 字节（SHA-256）")  # fmt: skip
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def _check_text(text: str) -> None:
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise _bad("a signed note must not contain control characters other than newline",
                   "签名文本除换行外不能含控制字符")  # fmt: skip


def _signature_line(name: str, kid: bytes, blob: bytes) -> str:
    return f"{DASH} {name} {base64.b64encode(kid + blob).decode()}\n"


def _signable_body(body: str) -> str:
    if not isinstance(body, str) or not body.endswith("\n"):
        raise _bad("the text to sign must end with a newline", "待签名文本必须以换行结束")
    _check_text(body)
    return body


def sign_note(body: str, name: str, private_key: Any) -> str:
    """The note text: ``body`` signed with Ed25519 under key name ``name``."""
    body = _signable_body(body)
    kid = key_id(check_key_name(name), ED25519, raw_public_key(private_key))
    signature = private_key.sign(body.encode())
    return body + "\n" + _signature_line(name, kid, signature)


def cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def add_cosignature(note_text: str, name: str, private_key: Any, timestamp: int) -> str:
    """``note_text`` with one more line: a cosignature/v1 of its body at ``timestamp``."""
    note = open_note(note_text)
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 <= timestamp < 2**63:
        raise _bad("a cosignature's timestamp is whole seconds since 1970, from 0 to 2^63 - 1",
                   "副签时间戳应为 1970 年以来的整秒数（0 至 2^63 - 1）")  # fmt: skip
    kid = key_id(check_key_name(name), COSIGNATURE_V1, raw_public_key(private_key))
    signature = private_key.sign(cosigned_message(note.body, timestamp))
    blob = timestamp.to_bytes(8, "big") + signature
    return note_text + _signature_line(name, kid, blob)


def open_note(text: str | bytes) -> Note:
    """Split a signed note into its body and signature lines (nothing is verified)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise _bad("a signed note must be UTF-8 text", "签名文本必须是 UTF-8 编码") from None
    if not isinstance(text, str):
        raise _bad("a signed note must be text", "签名文本必须是文字")
    _check_text(text)
    split = text.rfind("\n\n")
    if split < 0:
        raise _bad("a signed note is its text, an empty line, then signature lines; "
                   "no empty line was found", "签名文本应为：正文、一个空行、签名行；未找到空行")  # fmt: skip
    body, block = text[: split + 1], text[split + 2 :]
    if not block or not block.endswith("\n"):
        raise _bad("a signed note must end with signature lines, each ended by a newline",
                   "签名文本必须以签名行结尾，每行以换行结束")  # fmt: skip
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _bad(f"a signed note has at most {MAX_SIGNATURES} signatures, this one {len(lines)}",
                   f"签名文本最多含 {MAX_SIGNATURES} 个签名")  # fmt: skip
    return Note(body, tuple(_parse_signature(line) for line in lines))


def _parse_signature(line: str) -> Signature:
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != DASH:
        raise _bad(f"a signature line is '{DASH} <key name> <base64 signature>', not {line!r}",
                   f"签名行格式应为“{DASH} <密钥名称> <base64 签名>”")  # fmt: skip
    name = check_key_name(parts[1])
    data = b64decode(parts[2], "the signature")
    if len(data) < 5:
        raise _bad("a signature holds a 4-byte key id and the signature itself",
                   "签名应包含 4 字节密钥标识和签名本身")  # fmt: skip
    return Signature(name, data[:4], data[4:])


def _verifies(public_key: bytes, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _matching(note: Note, name: str, key_type: int, public_key: bytes) -> list[Signature]:
    kid = key_id(name, key_type, public_key)
    return [s for s in note.signatures if s.name == name and s.key_id == kid]


def verify_note(note: Note, name: str, public_key: bytes | str) -> bool:
    """True when ``note`` carries an Ed25519 signature by (``name``, key) and every signature
    line of that key verifies; lines of other keys are ignored."""
    raw = public_key_bytes(public_key)
    mine = _matching(note, name, ED25519, raw)
    message = note.body.encode()
    return bool(mine) and all(len(s.blob) == 64 and _verifies(raw, s.blob, message) for s in mine)


def verify_cosignature(note: Note, name: str, public_key: bytes | str) -> int | None:
    """The timestamp of the cosignature/v1 by (``name``, key) on ``note``, or None when there
    is none or one of that key's lines does not verify."""
    raw = public_key_bytes(public_key)
    mine = _matching(note, name, COSIGNATURE_V1, raw)
    stamps = []
    for s in mine:
        if len(s.blob) != 72:
            return None
        stamp = int.from_bytes(s.blob[:8], "big")
        if stamp >= 2**63 or not _verifies(raw, s.blob[8:], cosigned_message(note.body, stamp)):
            return None
        stamps.append(stamp)
    return max(stamps) if stamps else None


def vkey(name: str, public_key: bytes | str, key_type: int = ED25519) -> str:
    """The verifier key text ``<name>+<hex key id>+<base64(type || public key)>``."""
    raw = public_key_bytes(public_key)
    kid = key_id(check_key_name(name), key_type, raw)
    return f"{name}+{kid.hex()}+{base64.b64encode(bytes([key_type]) + raw).decode()}"


def parse_vkey(text: str) -> VerifierKey:
    parts = text.strip().split("+", 2) if isinstance(text, str) else []
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise _bad("a verifier key is '<name>+<8 hex digits>+<base64 key>'",
                   "验证公钥格式应为“<名称>+<8 位十六进制>+<base64 公钥>”")  # fmt: skip
    name = check_key_name(parts[0])
    data = b64decode(parts[2], "the verifier key")
    if len(data) != 33 or data[0] not in (ED25519, COSIGNATURE_V1):
        raise _bad("the verifier key must be type 0x01 or 0x04 and a 32-byte Ed25519 key",
                   "验证公钥应为类型 0x01 或 0x04 加 32 字节 Ed25519 公钥")  # fmt: skip
    key = VerifierKey(name, data[0], bytes.fromhex(parts[1]), data[1:])
    if key_id(name, key.key_type, key.public_key) != key.key_id:
        raise _bad("the verifier key's id does not match its name and key",
                   "验证公钥的标识与名称和公钥不符")  # fmt: skip
    return key
