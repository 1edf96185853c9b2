"""Signed notes, checkpoints and cosignatures (C2SP signed-note, tlog-checkpoint,
tlog-cosignature)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jiuzhu.audit.note import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    add_cosignature,
    checkpoint_body,
    key_id,
    open_note,
    parse_checkpoint,
    parse_vkey,
    raw_public_key,
    sign_note,
    verify_cosignature,
    verify_note,
    vkey,
)
from jiuzhu.errors import InvalidInput

ROOT = hashlib.sha256(b"some root").digest()
LOG = "jiuzhu.example/county-320922"
WITNESS = "witness.example/w1"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
URLSAFE = base64.urlsafe_b64encode(bytes([255]) * 32).decode()
LOG_PUB = raw_public_key(LOG_KEY)
WITNESS_PUB = raw_public_key(WITNESS_KEY)


def signed(size: int = 20852163) -> str:
    return sign_note(checkpoint_body(LOG, size, ROOT), LOG, LOG_KEY)


def test_a_checkpoint_body_has_origin_size_and_base64_root() -> None:
    body = checkpoint_body(LOG, 20852163, ROOT)
    assert body == f"{LOG}\n20852163\n{base64.b64encode(ROOT).decode()}\n"
    assert parse_checkpoint(body) == Checkpoint(LOG, 20852163, ROOT, ())
    assert parse_checkpoint(checkpoint_body(LOG, 0, ROOT)).size == 0


def test_extension_lines_are_parsed_and_kept() -> None:
    body = checkpoint_body(LOG, 5, ROOT) + "ext one\next two\n"
    assert parse_checkpoint(body).extensions == ("ext one", "ext two")


def test_key_ids_follow_the_note_format() -> None:
    want = hashlib.sha256(LOG.encode() + b"\n\x01" + LOG_PUB).digest()[:4]
    assert key_id(LOG, ED25519, LOG_PUB) == want
    assert key_id(LOG, COSIGNATURE_V1, LOG_PUB) != want
    assert key_id(LOG, ED25519, LOG_PUB.hex()) == want


def test_a_signed_note_round_trips_and_verifies() -> None:
    text = signed()
    body, rest = text.split("\n\n")
    assert body + "\n" == checkpoint_body(LOG, 20852163, ROOT)
    assert rest.startswith(f"\u2014 {LOG} ") and rest.endswith("\n")
    note = open_note(text)
    assert note.body == checkpoint_body(LOG, 20852163, ROOT)
    [sig] = note.signatures
    assert sig.name == LOG and sig.key_id == key_id(LOG, ED25519, LOG_PUB) and len(sig.blob) == 64
    LOG_KEY.public_key().verify(sig.blob, note.body.encode())  # plain Ed25519 of the body
    assert verify_note(note, LOG, LOG_PUB)
    assert verify_note(open_note(text.encode()), LOG, LOG_PUB.hex())


def test_a_wrong_key_or_name_does_not_verify() -> None:
    note = open_note(signed())
    assert not verify_note(note, LOG, WITNESS_PUB)
    assert not verify_note(note, "other.example/log", LOG_PUB)
    assert verify_cosignature(note, LOG, LOG_PUB) is None  # an ed25519 line is no cosignature


def test_an_altered_body_or_size_does_not_verify() -> None:
    text = signed()
    altered = text.replace("20852163", "20852164")
    assert open_note(altered).body != open_note(text).body
    assert not verify_note(open_note(altered), LOG, LOG_PUB)
    other_root = text.replace(base64.b64encode(ROOT).decode(), base64.b64encode(bytes(32)).decode())
    assert not verify_note(open_note(other_root), LOG, LOG_PUB)


def test_an_altered_signature_fails_even_next_to_a_good_one() -> None:
    text = signed()
    note = open_note(text)
    good = note.signatures[0]
    bad_blob = bytes([good.blob[0] ^ 1]) + good.blob[1:]
    line = f"\u2014 {LOG} {base64.b64encode(good.key_id + bad_blob).decode()}\n"
    assert not verify_note(open_note(text + line), LOG, LOG_PUB)


def test_unknown_signatures_are_ignored() -> None:
    text = signed()
    stranger = Ed25519PrivateKey.from_private_bytes(bytes(range(64, 96)))
    junk = f"\u2014 stranger.example {base64.b64encode(b'abcd' + bytes(64)).decode()}\n"
    text = add_cosignature(text + junk, "stranger.example", stranger, 5)
    assert verify_note(open_note(text), LOG, LOG_PUB)


def test_a_cosignature_round_trips_with_its_timestamp() -> None:
    text = add_cosignature(signed(), WITNESS, WITNESS_KEY, 1679315147)
    note = open_note(text)
    assert len(note.signatures) == 2
    cosig = note.signatures[1]
    assert cosig.key_id == key_id(WITNESS, COSIGNATURE_V1, WITNESS_PUB)
    assert cosig.blob[:8] == (1679315147).to_bytes(8, "big") and len(cosig.blob) == 72
    message = b"cosignature/v1\ntime 1679315147\n" + note.body.encode()
    WITNESS_KEY.public_key().verify(cosig.blob[8:], message)
    assert verify_cosignature(note, WITNESS, WITNESS_PUB) == 1679315147
    assert verify_note(note, LOG, LOG_PUB)
    assert not verify_note(note, WITNESS, WITNESS_PUB)  # a cosignature is not a type 0x01 line
    assert verify_cosignature(note, WITNESS, LOG_PUB) is None


def test_a_cosignature_over_a_different_body_fails() -> None:
    cosigned = open_note(add_cosignature(signed(5), WITNESS, WITNESS_KEY, 100))
    other = open_note(add_cosignature(signed(6), WITNESS, WITNESS_KEY, 100))
    moved = f"{signed(6)}".rstrip("\n") + "\n"
    line = cosigned.signatures[1]
    moved += f"\u2014 {WITNESS} {base64.b64encode(line.key_id + line.blob).decode()}\n"
    assert verify_cosignature(other, WITNESS, WITNESS_PUB) == 100
    assert verify_cosignature(open_note(moved), WITNESS, WITNESS_PUB) is None


def test_a_cosignature_with_an_altered_timestamp_fails() -> None:
    note = open_note(add_cosignature(signed(), WITNESS, WITNESS_KEY, 100))
    line = note.signatures[1]
    blob = (101).to_bytes(8, "big") + line.blob[8:]
    text = signed() + f"\u2014 {WITNESS} {base64.b64encode(line.key_id + blob).decode()}\n"
    assert verify_cosignature(open_note(text), WITNESS, WITNESS_PUB) is None


def test_verifier_keys_round_trip() -> None:
    text = vkey(LOG, LOG_PUB)
    name, kid, key = text.split("+", 2)  # base64 may hold "+"
    assert name == LOG and kid == key_id(LOG, ED25519, LOG_PUB).hex()
    assert base64.b64decode(key) == b"\x01" + LOG_PUB
    parsed = parse_vkey(text)
    assert (parsed.name, parsed.key_type, parsed.public_key) == (LOG, ED25519, LOG_PUB)
    assert parse_vkey(vkey(WITNESS, WITNESS_PUB, COSIGNATURE_V1)).key_type == COSIGNATURE_V1
    for bad in ("", "a+b", f"{LOG}+00000000+{key}", f"{LOG}+{kid}+AAAA", f"x y+{kid}+{key}",
                f"{LOG}+{kid.upper()}+{key}"):  # fmt: skip
        with pytest.raises(InvalidInput):
            parse_vkey(bad)


def _sig_line() -> str:
    return signed().split("\n\n")[1]


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (checkpoint_body(LOG, 5, ROOT), "no empty line"),
        (checkpoint_body(LOG, 5, ROOT) + "\n", "no signature lines"),
        (checkpoint_body(LOG, 5, ROOT) + "\n" + _sig_line().rstrip("\n"), "no final newline"),
        (checkpoint_body(LOG, 5, ROOT) + "\n" + _sig_line().replace("\u2014", "-"), "no dash"),
        (checkpoint_body(LOG, 5, ROOT) + "\n\u2014 " + LOG + " !!!!\n", "bad base64"),
        (checkpoint_body(LOG, 5, ROOT) + "\n\u2014 " + LOG + " AAE\n", "unpadded base64"),
        (checkpoint_body(LOG, 5, ROOT) + "\n\u2014 " + LOG + " AAAA\n", "too short"),
        (checkpoint_body(LOG, 5, ROOT) + "\n\u2014 a+b AAAAAAA=\n", "plus in the name"),
        (checkpoint_body(LOG, 5, ROOT) + "\n\u2014  AAAAAAA=\n", "empty name"),
        (
            checkpoint_body(LOG, 5, ROOT) + "\n" + _sig_line() + "\n",
            "blank line after the signatures",
        ),
        (
            checkpoint_body(LOG, 5, ROOT).replace("5", "5\t") + "\n" + _sig_line(),
            "control character",
        ),
    ],
)
def test_malformed_notes_are_refused(text: str, what: str) -> None:
    with pytest.raises(InvalidInput) as err:
        open_note(text)
    assert err.value.message and err.value.zh != err.value.message, what


def test_non_utf8_notes_are_refused() -> None:
    with pytest.raises(InvalidInput, match="UTF-8"):
        open_note(b"\xff\xfe\n\n")


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (f"{LOG}\n05\n{base64.b64encode(ROOT).decode()}\n", "leading zero"),
        (f"{LOG}\n+5\n{base64.b64encode(ROOT).decode()}\n", "sign"),
        (f"{LOG}\n-5\n{base64.b64encode(ROOT).decode()}\n", "negative"),
        (f"{LOG}\nfive\n{base64.b64encode(ROOT).decode()}\n", "not decimal"),
        (f"{LOG}\n 5\n{base64.b64encode(ROOT).decode()}\n", "space"),
        (f"{LOG}\n\u0665\n{base64.b64encode(ROOT).decode()}\n", "non-ASCII digit"),
        (f"{LOG}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", "short root"),
        (f"{LOG}\n5\n{ROOT.hex()}\n", "hex root"),
        (f"{LOG}\n5\n{base64.b64encode(ROOT).decode()}", "no final newline"),
        (f"{LOG}\n5\n", "two lines"),
        (f"\n5\n{base64.b64encode(ROOT).decode()}\n", "empty origin"),
        (f"{LOG}\n5\n{base64.b64encode(ROOT).decode()}\n\nx\n", "empty extension line"),
        (f"{LOG}\n5\n{URLSAFE}\n", "url-safe base64"),
    ],
)
def test_malformed_checkpoints_are_refused(body: str, what: str) -> None:
    with pytest.raises(InvalidInput):
        parse_checkpoint(body)


def test_bad_arguments_are_refused_in_plain_words() -> None:
    for args in [("", 1, ROOT), ("a\nb", 1, ROOT), (LOG, -1, ROOT), (LOG, 1, ROOT[:5])]:
        with pytest.raises(InvalidInput):
            checkpoint_body(*args)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        sign_note("no newline", LOG, LOG_KEY)
    with pytest.raises(InvalidInput):
        sign_note("text\n", "bad name", LOG_KEY)
    with pytest.raises(InvalidInput):
        add_cosignature(signed(), WITNESS, WITNESS_KEY, -1)
    with pytest.raises(InvalidInput):
        verify_note(open_note(signed()), LOG, b"short")
