"""Everything random in a synthetic city comes from its seed, through this module.

* Random streams: ``rng(seed, name)`` is a ``random.Random`` seeded with the string
  ``"<seed>:<name>"`` (string seeds are hashed with SHA-512 by ``random``, independent of
  ``PYTHONHASHSEED``), so each part of the generator draws from its own stream.
* Keys: the Ed25519 seed of key ``name`` is SHA-256(``"<seed>" ‖ 0x00 ‖ name``).
* Event ids: a UUIDv7 layout whose 48-bit time is the event's ``occurred_at`` (milliseconds)
  and whose 74 "random" bits are SHA-256(seed ‖ "event" ‖ n) for the n-th event created.
* Digests of documents and media (``*_sha256``) and pseudonymous party references are hashes
  of the seed and a label.
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import datetime

from ..crypto import SigningKey


def rng(seed: int, name: str) -> random.Random:
    return random.Random(f"{seed}:{name}")


def _h(seed: int, *parts: str) -> bytes:
    return hashlib.sha256("\x00".join((str(seed),) + parts).encode("utf-8")).digest()


def signing_key(seed: int, name: str) -> SigningKey:
    """The Ed25519 key ``name`` of the city ``seed`` (deterministic)."""
    return SigningKey(_h(seed, name))


def digest(seed: int, label: str) -> str:
    """A SHA-256 hex digest standing for a document or media file called ``label``."""
    return _h(seed, "doc", label).hex()


def party_ref(seed: int, n: int) -> str:
    """The pseudonymous reference ``pty:<12 base64url chars>`` of party ``n``."""
    raw = _h(seed, "party", str(n))[:9]
    return "pty:" + base64.urlsafe_b64encode(raw).decode("ascii")


def event_id(seed: int, n: int, occurred: datetime) -> str:
    """A UUIDv7-shaped event id: time from ``occurred``, the rest from the seed and ``n``."""
    ms = int(occurred.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(hashlib.sha256(b"%d\x00event\x00%d" % (seed, n)).digest()[:10], "big")
    value = ms << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 \
        | rand & ((1 << 62) - 1)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
