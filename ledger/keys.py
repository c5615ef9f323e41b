"""The key registry: who may sign what, from which log position.

Keys are registered and revoked by ``KeyRegistered`` / ``KeyRevoked`` events on stream ``keys``,
signed by a root key pinned in configuration. The registry is a pure fold over those events, so
the service and the offline verifier judge signers identically:

* a key is usable for an event at log index ``i`` recorded at time ``t`` when it was registered
  at an index < ``i``, was not revoked at an index < ``i`` (revocation takes effect from its own
  log position), and ``not_before <= t <= not_after``;
* a pinned root retired from log index ``r`` (``ledger keys rotate-root``) signs only at indexes
  below ``r``: what it signed before stays valid;
* a key may sign an event type only if one of its roles is among the type's signer roles; root
  keys sign only key-registry events.

A key's ``units`` (absent: every unit) bound which units' red flags it may dispose of. That is
judged by the red-flag engine (RF28), which knows each flag's unit, not here: a signature by
such a key is valid whatever flag it names (docs/red-flags.md, RF28).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .crypto import b64url_decode, check_public_key
from .envelope import parse_time
from .errors import (Conflict, InvalidPublicKey, KeyNotAllowed, KeyNotValidNow,
                     KeyRevoked, LedgerError, MalformedEvent, UnknownKey)
from .roots import retirement

KEYS_STREAM = "keys"
ROOT_ROLE = "root"
KEY_EVENT_TYPES = frozenset({"KeyRegistered", "KeyRevoked"})


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    public_key: bytes
    principal: str
    roles: frozenset[str]
    not_before: datetime | None = None
    not_after: datetime | None = None
    registered_at: int = -1          # log index of KeyRegistered; -1 for pinned root keys
    revoked_at: int | None = None    # log index of KeyRevoked
    revoke_reason: str | None = None
    #: the units whose red flags it may dispose of; None = every unit (``units`` absent)
    units: frozenset[str] | None = None
    #: a pinned root's retirement: it signs nothing at this log index or after (rotate-root)
    retired_at: int | None = None

    @property
    def is_root(self) -> bool:
        """Only keys pinned in configuration are roots; no event can make one."""
        return self.registered_at < 0 and ROOT_ROLE in self.roles

    def to_value(self, at: datetime | None = None) -> dict[str, Any]:
        """The key as JSON; its status is judged at ``at`` (revoked whatever ``at``)."""
        from .crypto import b64url_encode
        return {
            "key_id": self.key_id, "public_key": b64url_encode(self.public_key),
            "principal": self.principal, "roles": sorted(self.roles),
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "registered_at": self.registered_at if self.registered_at >= 0 else None,
            "revoked_at": self.revoked_at, "revoke_reason": self.revoke_reason,
            "units": sorted(self.units) if self.units is not None else None,
            "retired_at": self.retired_at, "status": self.status(at),
        }

    def status(self, at: datetime | None = None) -> str:
        """revoked, retired (a root), not_yet_valid or expired (its window against ``at``), else
        active."""
        if self.revoked_at is not None:
            return "revoked"
        if self.retired_at is not None:
            return "retired"
        if at is not None and self.not_before is not None and at < self.not_before:
            return "not_yet_valid"
        if at is not None and self.not_after is not None and at > self.not_after:
            return "expired"
        return "active"


@dataclass(slots=True)
class KeyRegistry:
    """Current state of the registry; ``version`` = number of key events folded in.
    ``retired_roots`` maps a pinned root to the log index it is retired from (LedgerError when
    it names no pinned root or no log index)."""

    roots: Mapping[str, bytes]
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    version: int = 0
    retired_roots: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key_id in self.retired_roots:
            if key_id not in self.roots:
                raise LedgerError(f"the configuration retires {key_id}, which is not pinned")
        for key_id, public in self.roots.items():
            check_public_key(public)
            retired = self.retired_roots.get(key_id)
            self.keys[key_id] = KeyRecord(
                key_id=key_id, public_key=public, principal="root", roles=frozenset({ROOT_ROLE}),
                retired_at=None if retired is None else retirement(key_id, retired))

    def copy(self) -> "KeyRegistry":
        clone = KeyRegistry(roots={})
        clone.roots = self.roots
        clone.retired_roots = self.retired_roots
        clone.keys = dict(self.keys)
        clone.version = self.version
        return clone

    def public_key(self, key_id: str) -> bytes:
        record = self.keys.get(key_id)
        if record is None:
            raise UnknownKey(f"signer key {key_id!r} is not registered", field="signer")
        return record.public_key

    def authorise(self, *, key_id: str, event_type: str, index: int | None, at: datetime,
                  signer_roles: Iterable[str]) -> KeyRecord:
        """Check that ``key_id`` may sign ``event_type`` at log ``index`` and time ``at``.

        ``index`` None means "the next position" (the key must not be revoked at all).
        Raises UnknownKey, KeyRevoked, KeyNotValidNow or KeyNotAllowed.
        """
        record = self.keys.get(key_id)
        if record is None or (index is not None and record.registered_at >= index):
            raise UnknownKey(f"signer key {key_id!r} is not registered"
                             + ("" if record is None else f" before log index {index}"),
                             field="signer")
        if record.retired_at is not None and (index is None or index >= record.retired_at):
            raise KeyRevoked(f"root key {key_id!r} was retired at log index {record.retired_at}"
                             " (a root rotation)", field="signer")
        if record.revoked_at is not None and (index is None or record.revoked_at < index):
            raise KeyRevoked(f"signer key {key_id!r} was revoked at log index {record.revoked_at}"
                             f" ({record.revoke_reason})", field="signer")
        if record.not_before is not None and at < record.not_before:
            raise KeyNotValidNow(f"signer key {key_id!r} is not valid before "
                                 f"{record.not_before.isoformat()}", field="signer")
        if record.not_after is not None and at > record.not_after:
            raise KeyNotValidNow(f"signer key {key_id!r} expired at "
                                 f"{record.not_after.isoformat()}", field="signer")
        if event_type in KEY_EVENT_TYPES:
            if not record.is_root:
                raise KeyNotAllowed(f"{event_type} must be signed by a root key, not {key_id!r}",
                                    field="signer")
            return record
        if record.is_root:
            raise KeyNotAllowed(f"root key {key_id!r} signs only key-registry events",
                                field="signer")
        allowed = frozenset(signer_roles)
        if not record.roles & allowed:
            raise KeyNotAllowed(
                f"key {key_id!r} (principal {record.principal!r}, roles {sorted(record.roles)}) "
                f"may not sign {event_type}; allowed roles: {sorted(allowed)}", field="signer")
        return record

    def apply(self, event_type: str, body: Mapping[str, Any], index: int) -> None:
        """Fold one key-registry event recorded at ``index``.

        Raises MalformedEvent / InvalidPublicKey / Conflict / UnknownKey when the event cannot
        apply (e.g. registering a key id twice, revoking an unknown key).
        """
        if event_type == "KeyRegistered":
            record = key_record_from_body(body, index)
            if record.key_id in self.keys:
                raise Conflict(f"key {record.key_id!r} is already registered", field="body.key_id")
            self.keys[record.key_id] = record
        elif event_type == "KeyRevoked":
            key_id = body.get("key_id")
            record = self.keys.get(key_id) if isinstance(key_id, str) else None
            if record is None:
                raise UnknownKey(f"cannot revoke unknown key {key_id!r}", field="body.key_id")
            if record.is_root:
                raise KeyNotAllowed("root keys are pinned in configuration and cannot be revoked "
                                    "by an event", field="body.key_id")
            if record.revoked_at is not None:
                raise Conflict(f"key {key_id!r} is already revoked", field="body.key_id")
            self.keys[key_id] = replace(record, revoked_at=index,
                                        revoke_reason=str(body.get("reason", "")))
        else:
            raise MalformedEvent(f"{event_type} is not a key-registry event")
        self.version += 1


def check_registry_stream(event_type: str, stream: str) -> None:
    """Key-registry events go on stream ``keys`` and nothing else does.

    The registry is the fold of that one stream (``LedgerStore.key_events_after`` reads it, and
    so does the offline verifier), so this holds whatever vocabulary the ledger is given: a
    KeyRegistered elsewhere would be applied by the writer that took it and missed by every
    reload, and another type on ``keys`` would break every reload. ``keys:<id>`` is refused
    too: the registry is one stream, and a name that reads as part of it is none of it.
    Raises MalformedEvent.
    """
    if stream.startswith(KEYS_STREAM + ":"):
        raise MalformedEvent(f"stream {stream}: {KEYS_STREAM} is a single stream, with no "
                             "<id>", field="stream")
    if (event_type in KEY_EVENT_TYPES) != (stream == KEYS_STREAM):
        raise MalformedEvent(f"stream {stream} cannot hold {event_type}: stream {KEYS_STREAM} "
                             "holds the key-registry events (KeyRegistered, KeyRevoked) and "
                             "only them", field="stream")


def key_record_from_body(body: Mapping[str, Any], index: int) -> KeyRecord:
    """Build a record from a KeyRegistered body; refuses unusable public keys."""
    try:
        public = b64url_decode(body["public_key"], what="body.public_key", size=32)
    except KeyError:
        raise MalformedEvent("body.public_key is required", field="body.public_key") from None
    try:
        check_public_key(public)
    except InvalidPublicKey as e:
        raise InvalidPublicKey(e.message, field="body.public_key") from None
    if ROOT_ROLE in (body.get("roles") or ()):
        raise KeyNotAllowed("the root role cannot be registered: root keys are pinned in "
                            "configuration", field="body.roles")
    nb, na = body.get("not_before"), body.get("not_after")
    units = body.get("units")
    record = KeyRecord(
        key_id=str(body["key_id"]), public_key=public, principal=str(body["principal"]),
        roles=frozenset(body["roles"]),
        not_before=parse_time(nb, "body.not_before") if nb is not None else None,
        not_after=parse_time(na, "body.not_after") if na is not None else None,
        registered_at=index, units=frozenset(units) if units is not None else None,
    )
    if record.not_before and record.not_after and record.not_after < record.not_before:
        # a key id is never registered twice: an empty window would burn it for good
        raise MalformedEvent(f"body.not_after ({na}) is before body.not_before ({nb}): the key "
                             "could never sign", field="body.not_after")
    return record

