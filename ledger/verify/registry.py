"""The key registry as the offline verifier folds it: the rules of :mod:`ledger.keys`, without
its imports (``ledger.keys`` reaches orjson through ``ledger.envelope``).

The messages are the service's, word for word, so an auditor reads the same reason the door
would have given; ``tests/test_verifier_checks.py`` runs both folds on the same histories.

* A key judges an event at log index ``i`` recorded at ``t`` when it was registered at an index
  < ``i``, was not revoked at an index < ``i``, and ``not_before <= t <= not_after``.
* Root keys are pinned by the auditor (never taken from the bundle) and sign only
  ``KeyRegistered`` / ``KeyRevoked``; every other type needs one of its signer roles. A root the
  auditor pins as retired from log index ``r`` (``ledger keys rotate-root``) signs only below
  ``r``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..crypto import b64url_decode, check_public_key
from ..errors import LedgerError
from ..grammar import RFC3339 as _RFC3339

KEYS_STREAM = "keys"
ROOT_ROLE = "root"
KEY_EVENT_TYPES = frozenset({"KeyRegistered", "KeyRevoked"})


def parse_time(value: Any, field: str) -> datetime:
    """An RFC 3339 timestamp with an explicit offset (ValueError otherwise)."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(f"{field} must be an RFC 3339 timestamp with an offset")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} is not a valid date-time") from None


@dataclass(frozen=True, slots=True)
class Key:
    key_id: str
    public_key: bytes
    principal: str
    roles: frozenset[str]
    not_before: datetime | None = None
    not_after: datetime | None = None
    registered_at: int = -1          # -1 for pinned root keys
    revoked_at: int | None = None
    revoke_reason: str | None = None
    retired_at: int | None = None    # a pinned root's retirement (rotate-root)

    @property
    def is_root(self) -> bool:
        return ROOT_ROLE in self.roles


class Registry:
    """Keys known at the current point of an in-order fold over the log."""

    def __init__(self, roots: Mapping[str, bytes], *,
                 retired: Mapping[str, int] | None = None) -> None:
        """``retired``: a pinned root's log index of retirement (the trust file's)."""
        retired = retired or {}
        self.keys: dict[str, Key] = {
            key_id: Key(key_id=key_id, public_key=public, principal="root",
                        roles=frozenset({ROOT_ROLE}), retired_at=retired.get(key_id))
            for key_id, public in roots.items()}
        self._time_text = ""
        self._time = datetime.min

    def public_key(self, key_id: str) -> bytes | None:
        record = self.keys.get(key_id)
        return None if record is None else record.public_key

    def judge(self, *, key_id: str, event_type: str, index: int, recorded_at: str,
              signer_roles: frozenset[str] | None) -> str | None:
        """Why ``key_id`` may not sign ``event_type`` at ``index`` / ``recorded_at``, or None.

        ``signer_roles`` None means the type is unknown to the policy.
        """
        record = self.keys.get(key_id)
        if record is None or record.registered_at >= index:
            return (f"signer key {key_id!r} is not registered"
                    + ("" if record is None else f" before log index {index}"))
        if record.retired_at is not None and index >= record.retired_at:
            return (f"root key {key_id!r} was retired at log index {record.retired_at}"
                    " (a root rotation)")
        if record.revoked_at is not None and record.revoked_at < index:
            return (f"signer key {key_id!r} was revoked at log index {record.revoked_at}"
                    f" ({record.revoke_reason})")
        if record.not_before is not None or record.not_after is not None:
            at = self._recorded(recorded_at)
            if record.not_before is not None and at < record.not_before:
                return (f"signer key {key_id!r} is not valid before "
                        f"{record.not_before.isoformat()}")
            if record.not_after is not None and at > record.not_after:
                return f"signer key {key_id!r} expired at {record.not_after.isoformat()}"
        if event_type in KEY_EVENT_TYPES:
            if not record.is_root:
                return f"{event_type} must be signed by a root key, not {key_id!r}"
            return None
        if record.is_root:
            return f"root key {key_id!r} signs only key-registry events"
        if signer_roles is None:
            return f"event type {event_type!r} is not in the signer-role policy"
        if not record.roles & signer_roles:
            return (f"key {key_id!r} (principal {record.principal!r}, roles "
                    f"{sorted(record.roles)}) may not sign {event_type}; allowed roles: "
                    f"{sorted(signer_roles)}")
        return None

    def apply(self, event_type: str, body: Any, index: int) -> str | None:
        """Fold one authenticated key-registry event; return why it cannot apply, or None."""
        if not isinstance(body, dict):
            return f"{event_type} body must be an object"
        if event_type == "KeyRegistered":
            try:
                record = _record_from_body(body, index)
            except (ValueError, KeyError, TypeError, LedgerError) as e:
                return f"KeyRegistered cannot apply: {getattr(e, 'message', None) or e}"
            if record.key_id in self.keys:
                return f"key {record.key_id!r} is already registered"
            self.keys[record.key_id] = record
            return None
        if event_type == "KeyRevoked":
            key_id = body.get("key_id")
            record = self.keys.get(key_id) if isinstance(key_id, str) else None
            if record is None:
                return f"cannot revoke unknown key {key_id!r}"
            if record.is_root:
                return "root keys are pinned in configuration and cannot be revoked by an event"
            if record.revoked_at is not None:
                return f"key {key_id!r} is already revoked"
            self.keys[key_id] = replace(record, revoked_at=index,
                                        revoke_reason=str(body.get("reason", "")))
            return None
        return f"{event_type} is not a key-registry event"

    def _recorded(self, text: str) -> datetime:
        # A group commit gives every event of a batch the same recorded_at: parse it once.
        if text != self._time_text:
            self._time = parse_time(text, "recorded_at")
            self._time_text = text
        return self._time


def _record_from_body(body: dict[str, Any], index: int) -> Key:
    public = b64url_decode(body["public_key"], what="body.public_key", size=32)
    check_public_key(public)
    key_id, principal, roles = body["key_id"], body["principal"], body["roles"]
    if not isinstance(key_id, str) or not isinstance(principal, str):
        raise ValueError("key_id and principal must be strings")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise ValueError("roles must be a list of strings")
    if ROOT_ROLE in roles:   # else the key would judge as a root (Key.is_root) and register keys
        raise ValueError("the root role cannot be registered: root keys are pinned in "
                         "configuration")
    nb, na = body.get("not_before"), body.get("not_after")
    key = Key(key_id=key_id, public_key=public, principal=principal, roles=frozenset(roles),
              not_before=parse_time(nb, "body.not_before") if nb is not None else None,
              not_after=parse_time(na, "body.not_after") if na is not None else None,
              registered_at=index)
    if key.not_before and key.not_after and key.not_after < key.not_before:
        raise ValueError(f"body.not_after ({na}) is before body.not_before ({nb}): the key "
                         "could never sign")
    return key
