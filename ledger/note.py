"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures (type 0x01).

A note is a text ending in a newline, a blank line, then one or more signature lines
``— <key name> base64(key ID || signature)``. Verifiers are configured with *vkeys*
``<name>+<hex key ID>+base64(0x01 || public key)``. Signatures are checked with
:func:`ledger.crypto.verify` (libsodium's strict rules), like everything else in the ledger.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .crypto import SigningKey, check_public_key, verify
from .errors import BadSignature, InvalidPublicKey, VerificationError

ED25519 = 0x01  # signature type identifier byte
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
#: Upper bound on a whole note (text and signature lines), in UTF-8 bytes.
MAX_NOTE_SIZE = 1 << 20
#: Upper bound on signature lines; the spec requires accepting at least 16.
MAX_SIGNATURES = 100

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


class InvalidNote(VerificationError):
    """A signed note could not be opened."""

    code = "invalid-note"


class MalformedNote(InvalidNote):
    """The note breaks the signed-note format (text, blank line, signature lines)."""

    code = "malformed-note"


class UnverifiedNote(InvalidNote):
    """No signature on the note is from a known key."""

    code = "unverified-note"

    def __init__(self, message: str, *, signers: list[tuple[str, int]]) -> None:
        super().__init__(message, signers=signers)
        self.signers = signers


class BadNoteSignature(InvalidNote):
    """A signature from a known key (matching name and key ID) does not verify."""

    code = "bad-note-signature"

    def __init__(self, message: str, *, name: str, key_id: int) -> None:
        super().__init__(message, name=name, key_id=key_id)
        self.name = name
        self.key_id = key_id


class InvalidVerifierKey(InvalidPublicKey):
    """A vkey string (or a name or key for one) is unusable."""

    code = "invalid-verifier-key"


@dataclass(frozen=True)
class Verifier:
    """A trusted note key: name, 32-bit key ID and Ed25519 public key."""

    name: str
    key_id: int
    public_key: bytes


def _is_valid_name(name: str) -> bool:
    # Non-empty, no Unicode spaces, no '+' (it separates the parts of a vkey), and UTF-8: the
    # key ID hashes the name's bytes, and a lone surrogate has none.
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def _std_b64decode(text: str) -> bytes:
    """Strict standard base64: padded, alphabet only, canonical (no stray trailing bits)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not standard base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical standard base64")
    return raw


def key_id(name: str, public_key: bytes) -> int:
    """Ed25519 key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4] as a big-endian uint32."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def vkey_for(name: str, public_key: bytes) -> str:
    """The vkey string for an Ed25519 key. Raises InvalidVerifierKey for a bad name or key."""
    if not _is_valid_name(name):
        raise InvalidVerifierKey(f"invalid key name {name!r}: must be non-empty UTF-8, "
                                 "without spaces or '+'")
    try:
        check_public_key(public_key)
    except InvalidPublicKey as e:
        raise InvalidVerifierKey(f"key {name!r}: {e.message}") from e
    material = base64.b64encode(bytes([ED25519]) + public_key).decode("ascii")
    return f"{name}+{key_id(name, public_key):08x}+{material}"


def parse_vkey(vkey: str) -> Verifier:
    """Parse ``name+hex8+base64(0x01 || key)``; the key ID must be the one derived from the key.

    Raises InvalidVerifierKey saying which part is wrong.
    """
    # The name holds no '+', the hex ID none either; the base64 key material may.
    name, sep1, rest = vkey.partition("+")
    hex_id, sep2, b64 = rest.partition("+")
    if not (sep1 and sep2):
        raise InvalidVerifierKey("vkey must be name+keyid+key")
    if not _is_valid_name(name):
        raise InvalidVerifierKey(f"invalid key name {name!r} in vkey")
    if not _KEY_ID_HEX.fullmatch(hex_id):
        raise InvalidVerifierKey(f"key ID {hex_id!r} must be 8 lowercase hex digits")
    try:
        material = _std_b64decode(b64)
    except ValueError as e:
        raise InvalidVerifierKey(f"key material of {name!r}: {e}") from None
    if not material or material[0] != ED25519:
        raise InvalidVerifierKey(f"key {name!r} is not an Ed25519 (type 0x01) key")
    public_key = material[1:]
    try:
        check_public_key(public_key)
    except InvalidPublicKey as e:
        raise InvalidVerifierKey(f"key {name!r}: {e.message}") from e
    want = key_id(name, public_key)
    if int(hex_id, 16) != want:
        raise InvalidVerifierKey(f"key ID {hex_id} of {name!r} does not match its key "
                                 f"(want {want:08x})")
    return Verifier(name=name, key_id=want, public_key=public_key)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise MalformedNote(f"note text is not encodable as UTF-8 at offset {e.start}") from None
    if not text.endswith("\n"):
        raise MalformedNote("note text must end in a newline")
    if m := _CONTROL.search(text):
        raise MalformedNote(f"note text contains control character U+{ord(m.group()):04X} "
                            f"at offset {m.start()}")


def sign_note(text: str, name: str, signing_key: SigningKey) -> str:
    """Sign ``text`` as a note with one Ed25519 signature line under key ``name``.

    Raises MalformedNote if the text breaks the note rules or the note would exceed
    MAX_NOTE_SIZE, InvalidVerifierKey for a bad key name.
    """
    _check_text(text)
    vkey_for(name, signing_key.public_key)  # validates the name
    message = text.encode("utf-8")
    sig = signing_key.sign(message)
    prefix = key_id(name, signing_key.public_key).to_bytes(4, "big")
    note = f"{text}\n{SIGNATURE_PREFIX}{name} {base64.b64encode(prefix + sig).decode()}\n"
    if len(note.encode("utf-8")) > MAX_NOTE_SIZE:
        raise MalformedNote(f"note would exceed {MAX_NOTE_SIZE} bytes")
    return note


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[str]]:
    """Verify a signed note against trusted keys; return its text and the names that signed it.

    Signatures from unknown keys (name and key ID not both matching a verifier) are ignored.
    Raises MalformedNote for a note that breaks the format, BadNoteSignature if a signature from
    a known key fails to verify, UnverifiedNote if no known key signed it.
    """
    known: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        if known.setdefault((v.name, v.key_id), v) != v:
            raise InvalidVerifierKey(f"two verifier keys share name {v.name!r} and key ID "
                                     f"{v.key_id:08x}")

    # 1. A note is valid UTF-8, bounded in size, with no control characters but newline.
    if isinstance(note, bytes):
        raw = note
        try:
            note = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedNote(f"note is not valid UTF-8 at byte {e.start}") from None
    else:
        try:
            raw = note.encode("utf-8")
        except UnicodeEncodeError as e:
            raise MalformedNote(f"note is not encodable as UTF-8 at offset {e.start}") from None
    if len(raw) > MAX_NOTE_SIZE:
        raise MalformedNote(f"note is {len(raw)} bytes, more than {MAX_NOTE_SIZE}")
    if m := _CONTROL.search(note):
        raise MalformedNote(f"note contains control character U+{ord(m.group()):04X} "
                            f"at offset {m.start()}")

    # 2. The last blank line separates the text (with its final newline) from the signatures.
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise MalformedNote("note has no signature lines")
    if not block.endswith("\n"):
        raise MalformedNote("note does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"note has {len(lines)} signatures, more than {MAX_SIGNATURES}")

    # 3. Every signature line is well formed; those from known keys must verify.
    verified: list[str] = []
    unknown: list[tuple[str, int]] = []
    message = text.encode("utf-8")
    for number, line in enumerate(lines, start=1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNote(f"signature line {number} does not start with an em dash and "
                                "a space")
        name, sep, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not sep or not _is_valid_name(name):
            raise MalformedNote(f"signature line {number} has an invalid key name {name!r}")
        try:
            sig = _std_b64decode(b64)
        except ValueError as e:
            raise MalformedNote(f"signature line {number} ({name}): {e}") from None
        if len(sig) < 5:
            raise MalformedNote(f"signature line {number} ({name}) is too short")
        kid = int.from_bytes(sig[:4], "big")
        verifier = known.get((name, kid))
        if verifier is None:
            unknown.append((name, kid))
            continue
        try:
            verify(verifier.public_key, message, sig[4:])
        except BadSignature as e:
            raise BadNoteSignature(f"signature by {name} (key ID {kid:08x}) does not verify: "
                                   f"{e.message}", name=name, key_id=kid) from None
        if name not in verified:
            verified.append(name)

    if not verified:
        signers = ", ".join(f"{n}+{k:08x}" for n, k in unknown)
        raise UnverifiedNote(f"note has no signature from a known key (signed by: {signers})",
                             signers=unknown)
    return text, verified
