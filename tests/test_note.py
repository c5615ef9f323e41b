"""C2SP signed notes and tlog checkpoints: the spec's vectors, refusals, round trips."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from ledger.checkpoint import (
    Checkpoint,
    CheckpointOriginMismatch,
    MalformedCheckpoint,
    open_checkpoint,
    sign_checkpoint,
)
from ledger.crypto import SigningKey
from ledger.errors import InvalidPublicKey, VerificationError
from ledger.note import (
    MAX_NOTE_SIZE,
    BadNoteSignature,
    InvalidVerifierKey,
    MalformedNote,
    UnverifiedNote,
    Verifier,
    key_id,
    open_note,
    parse_vkey,
    sign_note,
    vkey_for,
)

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "transparency_and_jcs_vectors.json").read_text())
SIGNED = VECTORS["signed_note"]
CHECKPOINT_EXAMPLE = VECTORS["checkpoint_example"]["note"]
EM = "\u2014"
ED25519_L = 2**252 + 27742317777372353535851937790883648493


def key(n: int) -> SigningKey:
    return SigningKey(bytes([n]) * 32)


def verifier(name: str, signing_key: SigningKey) -> Verifier:
    return parse_vkey(vkey_for(name, signing_key.public_key))


def signature_line(name: str, kid: int, sig: bytes) -> str:
    return f"{EM} {name} {base64.b64encode(kid.to_bytes(4, 'big') + sig).decode()}\n"


@pytest.fixture
def spec_verifier() -> Verifier:
    return parse_vkey(SIGNED["vkey"])


# --- the C2SP example ----------------------------------------------------------------------


def test_spec_example_note_verifies_with_its_vkey(spec_verifier):
    text, names = open_note(SIGNED["note"], [spec_verifier])
    assert text == SIGNED["note_text_signed"]
    assert names == ["example.com/foo"]


def test_spec_example_note_verifies_given_as_bytes(spec_verifier):
    text, _ = open_note(SIGNED["note"].encode("utf-8"), [spec_verifier])
    assert text == SIGNED["note_text_signed"]


def test_parses_spec_vkey_and_derives_the_same_key_id(spec_verifier):
    assert spec_verifier.name == "example.com/foo"
    assert spec_verifier.key_id == 0x530D903A
    assert key_id(spec_verifier.name, spec_verifier.public_key) == 0x530D903A
    assert vkey_for(spec_verifier.name, spec_verifier.public_key) == SIGNED["vkey"]


# --- refusals of the spec example, each with its specific error --------------------------


def test_rejects_note_with_tampered_text(spec_verifier):
    tampered = SIGNED["note"].replace("example message", "example massage")
    with pytest.raises(BadNoteSignature, match="signature by example.com/foo .* does not verify"):
        open_note(tampered, [spec_verifier])


def test_rejects_note_with_tampered_signature(spec_verifier):
    text, line = SIGNED["note"].split("\n\n")
    raw = base64.b64decode(line.split(" ")[2])
    bad = raw[:10] + bytes([raw[10] ^ 1]) + raw[11:]
    with pytest.raises(BadNoteSignature) as info:
        open_note(f"{text}\n\n" + signature_line("example.com/foo", 0x530D903A, bad[4:]),
                  [spec_verifier])
    assert (info.value.name, info.value.key_id) == ("example.com/foo", 0x530D903A)


def test_rejects_signature_from_known_key_with_non_canonical_s(spec_verifier):
    text, line = SIGNED["note"].split("\n\n")
    raw = base64.b64decode(line.split(" ")[2])
    r, s = raw[4:36], int.from_bytes(raw[36:], "little")
    malleated = r + (s + ED25519_L).to_bytes(32, "little")  # same point maths, S >= L
    with pytest.raises(BadNoteSignature):
        open_note(f"{text}\n\n" + signature_line("example.com/foo", 0x530D903A, malleated),
                  [spec_verifier])


def test_rejects_note_signed_under_another_key_name(spec_verifier):
    renamed = SIGNED["note"].replace(f"{EM} example.com/foo ", f"{EM} example.com/bar ")
    with pytest.raises(UnverifiedNote, match="no signature from a known key") as info:
        open_note(renamed, [spec_verifier])
    assert info.value.signers == [("example.com/bar", 0x530D903A)]


def test_ignores_signature_with_known_name_but_other_key_id(spec_verifier):
    other = Verifier(name="example.com/foo", key_id=0x530D903B, public_key=spec_verifier.public_key)
    with pytest.raises(UnverifiedNote):
        open_note(SIGNED["note"], [other])


def test_rejects_note_with_no_verifiers_configured():
    with pytest.raises(UnverifiedNote):
        open_note(SIGNED["note"], [])


def test_rejects_note_without_blank_line_before_signatures(spec_verifier):
    with pytest.raises(MalformedNote, match="no blank line"):
        open_note(SIGNED["note"].replace("\n\n", "\n"), [spec_verifier])


def test_rejects_note_without_final_newline(spec_verifier):
    with pytest.raises(MalformedNote, match="does not end in a newline"):
        open_note(SIGNED["note"][:-1], [spec_verifier])


def test_rejects_note_without_signature_lines(spec_verifier):
    with pytest.raises(MalformedNote, match="no signature lines"):
        open_note(SIGNED["note_text_signed"] + "\n", [spec_verifier])


def test_rejects_signature_line_with_hyphen_instead_of_em_dash(spec_verifier):
    with pytest.raises(MalformedNote, match="em dash"):
        open_note(SIGNED["note"].replace(EM, "-"), [spec_verifier])


@pytest.mark.parametrize("char", ["\r", "\t", "\x00", "\x1b"])
def test_rejects_note_with_control_characters(spec_verifier, char):
    with pytest.raises(MalformedNote, match="control character"):
        open_note(SIGNED["note"].replace("example message", f"example{char}message"),
                  [spec_verifier])


def test_rejects_note_that_is_not_utf8(spec_verifier):
    raw = SIGNED["note"].encode().replace(b"example message", b"example \xff message")
    with pytest.raises(MalformedNote, match="not valid UTF-8"):
        open_note(raw, [spec_verifier])


def test_rejects_note_larger_than_the_limit(spec_verifier):
    huge = "x" * MAX_NOTE_SIZE + "\n" + SIGNED["note"]
    with pytest.raises(MalformedNote, match="more than"):
        open_note(huge, [spec_verifier])


@pytest.mark.parametrize("b64", [
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM",
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQN=",
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=x",
    "Uw2QOkn8_rV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=",
])
def test_rejects_signature_that_is_not_canonical_standard_base64(spec_verifier, b64):
    note = f"{SIGNED['note_text_signed']}\n{EM} example.com/foo {b64}\n"
    with pytest.raises(MalformedNote, match="base64"):
        open_note(note, [spec_verifier])


@pytest.mark.parametrize("line, match", [
    (f"{EM} example.com/foo\n", "invalid key name"),
    (f"{EM} example.com/foo U3c=\n", "too short"),
    (f"{EM} example.com+foo AAAAAAA=\n", "invalid key name"),
    (f"{EM}  AAAAAAA=\n", "invalid key name"),
    (f"{EM} example.com/foo\u00a0x AAAAAAA=\n", "invalid key name"),
])
def test_rejects_malformed_signature_lines_even_from_unknown_keys(spec_verifier, line, match):
    good = SIGNED["note"]
    with pytest.raises(MalformedNote, match=match):
        open_note(good + line, [spec_verifier])


def test_rejects_note_with_too_many_signatures(spec_verifier):
    junk = signature_line("other.example/key", 1, bytes(64))
    with pytest.raises(MalformedNote, match="more than 100"):
        open_note(SIGNED["note"] + junk * 100, [spec_verifier])


def test_rejects_known_key_signature_of_wrong_length(spec_verifier):
    note = SIGNED["note_text_signed"] + "\n" + signature_line("example.com/foo", 0x530D903A,
                                                             bytes(10))
    with pytest.raises(BadNoteSignature, match="64 bytes"):
        open_note(note, [spec_verifier])


def test_rejects_note_when_any_known_signature_fails(spec_verifier):
    bad = signature_line("example.com/foo", 0x530D903A, bytes(64))
    with pytest.raises(BadNoteSignature):
        open_note(SIGNED["note"] + bad, [spec_verifier])


# --- signing and opening ---------------------------------------------------------------------


def test_sign_then_open_round_trips_unicode_text_with_empty_lines():
    text = ("Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
            "ed è subito sera.\n城管执法\n")
    note = sign_note(text, "quasimodo.example/salvatore", key(1))
    assert note.startswith(text + "\n" + EM + " quasimodo.example/salvatore ")
    assert open_note(note, [verifier("quasimodo.example/salvatore", key(1))]) == (
        text, ["quasimodo.example/salvatore"])


def test_signature_carries_key_id_of_name_and_key():
    note = sign_note("hello\n", "log.example/a", key(2))
    raw = base64.b64decode(note.rsplit(" ", 1)[1])
    assert int.from_bytes(raw[:4], "big") == key_id("log.example/a", key(2).public_key)
    assert len(raw) == 68


def test_ignores_unknown_signatures_beside_a_known_one():
    note = sign_note("hello\n", "log.example/a", key(2))
    witness = sign_note("hello\n", "witness.example/w", key(3))
    both = note + witness.split("\n\n", 1)[1]
    text, names = open_note(both, [verifier("log.example/a", key(2))])
    assert (text, names) == ("hello\n", ["log.example/a"])


def test_reports_every_known_signer():
    note = sign_note("hello\n", "log.example/a", key(2))
    witness = sign_note("hello\n", "witness.example/w", key(3))
    both = note + witness.split("\n\n", 1)[1]
    _, names = open_note(both, [verifier("witness.example/w", key(3)),
                                verifier("log.example/a", key(2))])
    assert names == ["log.example/a", "witness.example/w"]


def test_refuses_a_different_key_under_the_same_name_and_id():
    note = sign_note("hello\n", "log.example/a", key(2))
    impostor = Verifier(name="log.example/a", key_id=key_id("log.example/a", key(2).public_key),
                        public_key=key(4).public_key)
    with pytest.raises(BadNoteSignature):
        open_note(note, [impostor])


def test_refuses_ambiguous_verifier_list():
    good = verifier("log.example/a", key(2))
    clash = Verifier(name=good.name, key_id=good.key_id, public_key=key(4).public_key)
    with pytest.raises(InvalidVerifierKey, match="share name"):
        open_note(sign_note("hello\n", "log.example/a", key(2)), [good, clash])


@pytest.mark.parametrize("text, match", [
    ("no newline", "must end in a newline"),
    ("carriage\r\n", "control character U\\+000D"),
    ("", "must end in a newline"),
    ("lone \ud800 surrogate\n", "not encodable as UTF-8"),
])
def test_sign_note_refuses_invalid_text(text, match):
    with pytest.raises(MalformedNote, match=match):
        sign_note(text, "log.example/a", key(2))


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\there", "lone\udcffsurrogate"])
def test_sign_note_refuses_invalid_key_name(name):
    with pytest.raises(InvalidVerifierKey, match="invalid key name"):
        sign_note("hello\n", name, key(2))


def test_sign_note_refuses_text_over_the_size_limit():
    with pytest.raises(MalformedNote, match="exceed"):
        sign_note("x" * MAX_NOTE_SIZE + "\n", "log.example/a", key(2))


# --- verifier keys ---------------------------------------------------------------------------


def test_vkey_round_trips_keys_whose_base64_contains_plus():
    seen_plus = False
    for n in range(64):
        public_key = key(n).public_key
        vkey = vkey_for("log.example/a", public_key)
        seen_plus |= vkey.count("+") > 2
        assert parse_vkey(vkey) == Verifier("log.example/a", key_id("log.example/a", public_key),
                                            public_key)
    assert seen_plus


@pytest.mark.parametrize("vkey, match", [
    ("example.com/foo+530d903a", "name\\+keyid\\+key"),
    ("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "invalid key name"),
    # not UTF-8 (a command-line argument with a stray byte): was a UnicodeEncodeError traceback
    ("example.com/f\udcffoo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
     "invalid key name"),
    ("example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "lowercase hex"),
    ("example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "lowercase hex"),
    ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
    ("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
    ("example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "not an Ed25519"),
    ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", "base64"),
    ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k ", "base64"),
    ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv", "32 bytes"),
])
def test_parse_vkey_rejects_malformed_keys(vkey, match):
    with pytest.raises(InvalidVerifierKey, match=match):
        parse_vkey(vkey)


def test_parse_vkey_rejects_small_order_public_key():
    identity = bytes([1]) + bytes(31)
    material = base64.b64encode(b"\x01" + identity).decode()
    vkey = f"bad.example/k+{key_id('bad.example/k', identity):08x}+{material}"
    with pytest.raises(InvalidVerifierKey, match="small order") as info:
        parse_vkey(vkey)
    assert isinstance(info.value, InvalidPublicKey)
    with pytest.raises(InvalidVerifierKey):
        vkey_for("bad.example/k", identity)


# --- checkpoints -----------------------------------------------------------------------------


def test_parses_and_formats_the_spec_checkpoint_example():
    text = CHECKPOINT_EXAMPLE.split("\n\n")[0] + "\n"
    checkpoint = Checkpoint.parse(text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.to_text() == text


def test_spec_checkpoint_example_is_refused_without_its_log_key():
    with pytest.raises(UnverifiedNote, match="example.com/behind-the-sofa"):
        open_checkpoint(CHECKPOINT_EXAMPLE, [verifier("example.com/behind-the-sofa", key(5))],
                        "example.com/behind-the-sofa")


def test_checkpoint_with_extensions_round_trips():
    checkpoint = Checkpoint(origin="ledger.example/log", size=0, root_hash=bytes(32),
                            extensions=["ext one", "ext two"])
    assert checkpoint.extensions == ("ext one", "ext two")
    assert checkpoint.to_text() == f"ledger.example/log\n0\n{'A' * 43}=\next one\next two\n"
    assert Checkpoint.parse(checkpoint.to_text()) == checkpoint


def test_sign_then_open_checkpoint_round_trips():
    checkpoint = Checkpoint(origin="ledger.example/log", size=2**64 - 1, root_hash=bytes(range(32)))
    note = sign_checkpoint(checkpoint, "ledger.example/log", key(6))
    opened = open_checkpoint(note, [verifier("ledger.example/log", key(6))], "ledger.example/log")
    assert opened == checkpoint


def test_open_checkpoint_refuses_another_logs_origin():
    checkpoint = Checkpoint(origin="other.example/log", size=3, root_hash=bytes(32))
    note = sign_checkpoint(checkpoint, "ledger.example/log", key(6))
    with pytest.raises(CheckpointOriginMismatch, match="'other.example/log' is not the expected"):
        open_checkpoint(note, [verifier("ledger.example/log", key(6))], "ledger.example/log")


def test_open_checkpoint_refuses_signed_text_that_is_not_a_checkpoint():
    note = sign_note("ledger.example/log\nnot a size\n", "ledger.example/log", key(6))
    with pytest.raises(MalformedCheckpoint):
        open_checkpoint(note, [verifier("ledger.example/log", key(6))], "ledger.example/log")


def test_open_checkpoint_refuses_tampered_size():
    checkpoint = Checkpoint(origin="ledger.example/log", size=10, root_hash=bytes(32))
    note = sign_checkpoint(checkpoint, "ledger.example/log", key(6)).replace("\n10\n", "\n11\n")
    with pytest.raises(BadNoteSignature):
        open_checkpoint(note, [verifier("ledger.example/log", key(6))], "ledger.example/log")


ROOT = base64.b64encode(bytes(range(32))).decode()  # ends in 'x8=' ...
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
NON_CANONICAL_ROOT = ROOT[:-2] + _ALPHABET[_ALPHABET.index(ROOT[-2]) + 1] + "="


@pytest.mark.parametrize("text, match", [
    (f"o\n1\n{ROOT}", "end in a newline"),
    ("o\n1\n", "needs origin, size and root hash"),
    (f"\n1\n{ROOT}\n", "origin must not be empty"),
    (f"o\n01\n{ROOT}\n", "without leading zeros"),
    (f"o\n+1\n{ROOT}\n", "without leading zeros"),
    (f"o\n 1\n{ROOT}\n", "without leading zeros"),
    (f"o\n1_0\n{ROOT}\n", "without leading zeros"),
    (f"o\n-1\n{ROOT}\n", "without leading zeros"),
    (f"o\n\u0661\n{ROOT}\n", "without leading zeros"),
    (f"o\n\n{ROOT}\n", "without leading zeros"),
    (f"o\n{2**64}\n{ROOT}\n", "0..2\\*\\*64-1"),
    (f"o\n{'9' * 5000}\n{ROOT}\n", "without leading zeros"),
    ("o\n1\nnot base64!\n", "not standard base64"),
    (f"o\n1\n{ROOT.rstrip('=')}\n", "not standard base64"),
    (f"o\n1\n{NON_CANONICAL_ROOT}\n", "not canonical"),
    (f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n", "must be 32 bytes"),
    (f"o\n1\n{base64.urlsafe_b64encode(bytes([251]) * 32).decode()}\n", "not standard base64"),
    (f"o\n1\n{ROOT}\n\n", "extension line 1 must not be empty"),
    (f"o\n1\n{ROOT}\next\n\nmore\n", "extension line 2 must not be empty"),
    (f"o\r\n1\n{ROOT}\n", "control character"),
])
def test_rejects_malformed_checkpoint_text(text, match):
    with pytest.raises(MalformedCheckpoint, match=match):
        Checkpoint.parse(text)


@pytest.mark.parametrize("fields", [
    dict(origin="", size=1, root_hash=bytes(32)),
    dict(origin="a\nb", size=1, root_hash=bytes(32)),
    dict(origin="o", size=-1, root_hash=bytes(32)),
    dict(origin="o", size=True, root_hash=bytes(32)),
    dict(origin="o", size=1, root_hash=bytes(31)),
    dict(origin="o", size=1, root_hash=bytes(32), extensions=("",)),
    dict(origin="o", size=1, root_hash=bytes(32), extensions=("a\nb",)),
])
def test_checkpoint_cannot_be_built_invalid(fields):
    with pytest.raises(MalformedCheckpoint):
        Checkpoint(**fields)


def test_note_and_checkpoint_errors_are_verification_errors():
    for cls in (MalformedNote, UnverifiedNote, BadNoteSignature, MalformedCheckpoint,
                CheckpointOriginMismatch):
        assert issubclass(cls, VerificationError)
