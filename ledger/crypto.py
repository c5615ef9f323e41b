"""Ed25519 under libsodium's strict rules, and the base64url helpers of the wire format.

libsodium (via PyNaCl) rejects small-order public keys, non-canonical encodings and
signatures with S >= L; OpenSSL accepts an all-identity key with S = 0 as a signature of any
message. Every verifier in this project — the service and the offline auditor's tool — uses
:func:`verify` below so the two can never disagree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import nacl.bindings as sodium
import nacl.exceptions
import nacl.signing

from .errors import BadSignature, InvalidPublicKey, MalformedEvent

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
_P = 2**255 - 19


def b64url_decode(text: str, *, what: str = "value", size: int | None = None) -> bytes:
    """Decode unpadded base64url; refuse padding, stray characters and non-canonical tails."""
    if not isinstance(text, str) or not text or "=" in text:
        raise MalformedEvent(f"{what} must be unpadded base64url", field=what)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise MalformedEvent(f"{what} is not valid base64url", field=what) from None
    if b64url_encode(raw) != text:
        raise MalformedEvent(f"{what} is not canonical base64url", field=what)
    if size is not None and len(raw) != size:
        raise MalformedEvent(f"{what} must encode {size} bytes, found {len(raw)}", field=what)
    return raw


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def check_public_key(raw: bytes) -> None:
    """Require a usable Ed25519 public key: 32 bytes, canonical encoding, not of small order.

    Raises :class:`InvalidPublicKey` saying which rule failed.
    """
    if len(raw) != PUBLIC_KEY_SIZE:
        raise InvalidPublicKey(f"public key must be {PUBLIC_KEY_SIZE} bytes, found {len(raw)}")
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= _P:
        raise InvalidPublicKey("public key is not canonically encoded (y >= p)")
    if not sodium.crypto_core_ed25519_is_valid_point(raw):
        # libsodium: on the curve, in the prime-order subgroup, not of small order, canonical.
        raise InvalidPublicKey("public key is of small order or not a valid curve point")


def verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Verify an Ed25519 signature with libsodium's strict rules.

    Raises :class:`BadSignature` if it does not verify.
    """
    if len(signature) != SIGNATURE_SIZE:
        raise BadSignature(f"signature must be {SIGNATURE_SIZE} bytes, found {len(signature)}")
    try:
        sodium.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        raise BadSignature("signature does not verify") from None


class SigningKey:
    """An Ed25519 private key (seed) with its public half; used by clients, tests and the log."""

    def __init__(self, seed: bytes) -> None:
        self._key = nacl.signing.SigningKey(seed)
        self.seed = bytes(seed)
        self.public_key = bytes(self._key.verify_key)

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(bytes(nacl.signing.SigningKey.generate()))

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message).signature
