"""Log entries and per-stream hash chains: the bytes the Merkle tree commits to.

Pure functions shared by the service and the offline verifier (stdlib only).

Log entry (the RFC 9162 leaf input) — RFC 8785 bytes of::

    {"chain_hash": <hex>, "envelope": <the stored envelope>, "index": <global log index>,
     "recorded_at": <RFC 3339 UTC>, "spec": "integrity-ledger/entry/v1",
     "stream_version": <1-based version within the stream>}

Because the stored envelope is itself RFC 8785, the entry is built by concatenation (keys are
already in JCS order); a test checks it against ``rfc8785``.

Stream chain: ``chain_0 = SHA-256("integrity-ledger/chain/v1:" ‖ stream)`` and
``chain_v = SHA-256(chain_{v-1} ‖ SHA-256(envelope_v))``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

SPEC_ENTRY = "integrity-ledger/entry/v1"
_LEAF_PREFIX = b"\x00"


def chain_genesis(stream: str) -> bytes:
    return hashlib.sha256(b"integrity-ledger/chain/v1:" + stream.encode("utf-8")).digest()


def chain_next(prev: bytes, envelope_raw: bytes) -> bytes:
    return hashlib.sha256(prev + hashlib.sha256(envelope_raw).digest()).digest()


def entry_bytes(envelope_raw: bytes, *, index: int, stream_version: int, recorded_at: str,
                chain_hash: bytes) -> bytes:
    """The canonical log entry for one event. Requires ``envelope_raw`` to be RFC 8785."""
    return b"".join((
        b'{"chain_hash":"', chain_hash.hex().encode("ascii"),
        b'","envelope":', envelope_raw,
        b',"index":', str(index).encode("ascii"),
        b',"recorded_at":"', recorded_at.encode("ascii"),
        b'","spec":"', SPEC_ENTRY.encode("ascii"),
        b'","stream_version":', str(stream_version).encode("ascii"),
        b"}",
    ))


def leaf_hash_of_entry(entry: bytes) -> bytes:
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def format_recorded_at(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds, fixed width so string order is time order. Raises
    OverflowError for a moment whose UTC date is outside years 1..9999."""
    # isoformat, not strftime: glibc's %Y does not pad years below 1000 to four digits.
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_recorded_at(text: str) -> datetime:
    """The inverse of :func:`format_recorded_at` (fromisoformat: strptime costs ≈ 20× more, once
    per write group)."""
    return datetime.fromisoformat(text)
