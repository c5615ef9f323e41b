"""Pinned root keys as ``ledger.json`` and ``LEDGER_ROOT_KEYS`` / ``--root-key`` write them: one
reader for the service's settings and the auditor's trust file (standard library and
:mod:`ledger.crypto` only, so the offline verifier may import it).

A root is in force, or retired from a log position by ``ledger keys rotate-root``: it signs
key-registry events recorded at log indexes below that position, and nothing at or after it.
In ``ledger.json``'s ``root_keys`` an entry in force is its public key (base64url), a retired one
``{"public_key": "…", "retired_at": N}`` — a shape a reader that knows no retirement refuses
rather than trusting the root for ever. As text (``LEDGER_ROOT_KEYS``, ``--root-key``):
``id=base64url`` or ``id=base64url@N``.
"""

from __future__ import annotations

from typing import Any

from .crypto import b64url_decode
from .errors import LedgerError

ROOT_FIELDS = frozenset({"public_key", "retired_at"})


def retirement(key_id: str, value: Any) -> int:
    """``value`` as the log index root ``key_id`` is retired from. Raises LedgerError unless it
    is a whole number ≥ 0 (JSON's true is no number here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LedgerError(f"root key {key_id}: retired_at must be a log index (a whole number "
                          f"at least 0), not {value!r}")
    return value


def pinned_root(key_id: str, value: Any) -> tuple[bytes, int | None]:
    """One ``root_keys`` entry of ``ledger.json``: its public key and the log index it is retired
    from (None: in force). Raises LedgerError (MalformedEvent naming the key for bad base64url)."""
    if not isinstance(value, dict):
        return b64url_decode(value, what=f"root key {key_id}", size=32), None
    if set(value) != ROOT_FIELDS:
        raise LedgerError(f"root key {key_id}: a retired root is {{\"public_key\": …, "
                          f"\"retired_at\": N}}, not one with fields {sorted(value)}")
    return (b64url_decode(value["public_key"], what=f"root key {key_id}", size=32),
            retirement(key_id, value["retired_at"]))


def pinned_root_text(item: str) -> tuple[str, bytes, int | None]:
    """``id=base64url`` or ``id=base64url@N``: the key id, its public key, its retirement (or
    None). Raises LedgerError."""
    key_id, sep, value = item.partition("=")
    if not sep or not key_id:
        raise LedgerError(f"{item!r}: expected ID=BASE64URL or ID=BASE64URL@N")
    public, at, position = value.partition("@")
    retired = None
    if at:
        if not position.isascii() or not position.isdigit():
            raise LedgerError(f"root key {key_id}: retired_at must be a log index (a whole "
                              f"number at least 0), not {position!r}")
        retired = retirement(key_id, int(position))
    return key_id, b64url_decode(public, what=f"root key {key_id}", size=32), retired


def root_entry(public: str, retired_at: int | None) -> Any:
    """The ``root_keys`` entry of ``ledger.json`` for a root (base64url ``public``)."""
    return public if retired_at is None else {"public_key": public, "retired_at": retired_at}
