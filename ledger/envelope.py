"""The signed envelope of the wire contract (v1), its receipt, and the log entry.

An envelope as posted::

    {"spec": "integrity-ledger/event/v1", "event_id": <uuid>, "stream": "<kind>:<id>",
     "type": <EventType>, "occurred_at": <RFC 3339 with offset>, "signer": "key:<key_id>",
     "body": {...}, "sig": <base64url Ed25519 signature, no padding>}

Signed bytes are the RFC 8785 bytes of the envelope without ``sig``; the ledger stores (and
returns) the RFC 8785 bytes of the whole envelope, so the signed bytes are always derivable
from what is stored.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import SPEC_EVENT
from .canonical import canonical, canonical_trusted
from .crypto import SIGNATURE_SIZE, b64url_decode, b64url_encode
from .errors import MalformedEvent
from .grammar import (EVENT_TYPE as _TYPE, RFC3339 as _RFC3339, SIGNATURE as _SIG,
                     SIGNER as _SIGNER, STREAM as _STREAM, UUID as _UUID)
from .schemas import UNDATABLE, datable

#: the most events one append takes (POST /v1/events: one envelope or an array of up to this)
MAX_BATCH = 1000
ENVELOPE_FIELDS = ("spec", "event_id", "stream", "type", "occurred_at", "signer", "body", "sig")


def parse_time(value: Any, field: str) -> datetime:
    """Parse an RFC 3339 timestamp that carries an explicit offset."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise MalformedEvent(f"{field} must be an RFC 3339 timestamp with an offset, "
                             f"e.g. 2024-05-10T21:06:00+08:00", field=field)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedEvent(f"{field} is not a valid date-time", field=field) from None


@dataclass(frozen=True, slots=True)
class Envelope:
    """A well-formed signed envelope (shape checked; signature not yet verified)."""

    event_id: str
    stream: str
    type: str
    occurred_at: str
    signer: str
    body: dict[str, Any]
    sig: bytes
    #: RFC 8785 bytes of the whole envelope (what is stored and returned)
    raw: bytes
    #: RFC 8785 bytes of the envelope without ``sig`` (what is signed)
    signed_bytes: bytes

    @property
    def key_id(self) -> str:
        return self.signer[4:]

    @property
    def stream_kind(self) -> str:
        return self.stream.split(":", 1)[0]

    @classmethod
    def from_value(cls, value: Any) -> "Envelope":
        """Build from a parsed JSON value (from :func:`ledger.canonical.parse_strict`).

        Raises :class:`MalformedEvent` with one entry per bad field.
        """
        return _well_formed(value) or cls.checked(value)

    @classmethod
    def checked(cls, value: Any) -> "Envelope":
        """:meth:`from_value` rule by rule, collecting every error (what it falls back to)."""
        if not isinstance(value, dict):
            raise MalformedEvent("an event must be a JSON object", rule="envelope-object")
        errors: list[dict[str, str]] = []

        def bad(field: str, message: str) -> None:
            errors.append({"field": field, "message": message})

        for name in ENVELOPE_FIELDS:
            if name not in value:
                bad(name, "required field is missing")
        for name in value:
            if name not in ENVELOPE_FIELDS:
                bad(name, "unknown field")
        for name in ENVELOPE_FIELDS:
            if name in value and name != "body" and not isinstance(value[name], str):
                bad(name, "must be a string")
        if errors:
            raise MalformedEvent(_summary(errors), errors=errors, field=errors[0]["field"])
        if value["spec"] != SPEC_EVENT:
            bad("spec", f"must be {SPEC_EVENT!r}")
        if not _UUID.fullmatch(value["event_id"]):
            bad("event_id", "must be a lowercase hyphenated UUID")
        if not _STREAM.fullmatch(value["stream"]):
            bad("stream", "must be '<kind>:<id>' (kind lowercase, id of [A-Za-z0-9._:/-] with no "
                          "empty, . or .. segment between the /) or 'keys'")
        if not _TYPE.fullmatch(value["type"]):
            bad("type", "must be a PascalCase event type name")
        if not _SIGNER.fullmatch(value["signer"]):
            bad("signer", "must be 'key:<key_id>'")
        if not isinstance(value["body"], dict):
            bad("body", "must be a JSON object")
        try:
            moment = parse_time(value["occurred_at"], "occurred_at")
        except MalformedEvent as e:
            bad("occurred_at", e.message)
        else:
            if not datable(moment):
                bad("occurred_at", f"{value['occurred_at']!r} {UNDATABLE}")
        sig = b""
        try:
            sig = b64url_decode(value["sig"], what="sig", size=SIGNATURE_SIZE)
        except MalformedEvent as e:
            bad("sig", e.message)
        if errors:
            raise MalformedEvent(_summary(errors), errors=errors, field=errors[0]["field"])
        unsigned = {k: v for k, v in value.items() if k != "sig"}
        return cls(
            event_id=value["event_id"], stream=value["stream"], type=value["type"],
            occurred_at=value["occurred_at"], signer=value["signer"], body=value["body"],
            sig=sig, raw=canonical_trusted(value), signed_bytes=canonical_trusted(unsigned),
        )

    def to_value(self) -> dict[str, Any]:
        return {
            "spec": SPEC_EVENT, "event_id": self.event_id, "stream": self.stream,
            "type": self.type, "occurred_at": self.occurred_at, "signer": self.signer,
            "body": self.body, "sig": b64url_encode(self.sig),
        }


_FIELD_SET = frozenset(ENVELOPE_FIELDS)
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _well_formed(value: Any) -> Envelope | None:
    """The envelope, if ``value`` passes every rule of :meth:`Envelope.from_value`; else None
    (and from_value says what is wrong). The ingest path's common case: no error lists, one
    serialisation (the signed bytes are the stored bytes without the ``sig`` member)."""
    if type(value) is not dict or value.keys() != _FIELD_SET:
        return None
    event_id, stream, type_, occurred_at, signer, body, sig = (
        value["event_id"], value["stream"], value["type"], value["occurred_at"],
        value["signer"], value["body"], value["sig"])
    if (value["spec"] != SPEC_EVENT or type(body) is not dict
            or type(event_id) is not str or not _UUID.fullmatch(event_id)
            or type(stream) is not str or not _STREAM.fullmatch(stream)
            or type(type_) is not str or not _TYPE.fullmatch(type_)
            or type(signer) is not str or not _SIGNER.fullmatch(signer)
            or type(occurred_at) is not str or not _RFC3339.fullmatch(occurred_at)
            or type(sig) is not str or not _SIG.fullmatch(sig)):
        return None
    try:
        if not datable(datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))):
            return None
    except ValueError:
        return None
    raw = canonical_trusted(value)
    member = f',"sig":"{sig}"'.encode("ascii")
    cut = raw.rfind(member)    # top-level: the members after it (signer ... type) hold no quote
    return Envelope(event_id=event_id, stream=stream, type=type_, occurred_at=occurred_at,
                    signer=signer, body=body,
                    sig=binascii.a2b_base64(sig.encode("ascii").translate(_FROM_URLSAFE) + b"=="),
                    raw=raw,
                    signed_bytes=raw[:cut] + raw[cut + len(member):])


def _summary(errors: list[dict[str, str]]) -> str:
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors)


def unsigned_envelope(*, event_id: str, stream: str, type: str, occurred_at: str, signer: str,
                      body: dict[str, Any]) -> dict[str, Any]:
    return {"spec": SPEC_EVENT, "event_id": event_id, "stream": stream, "type": type,
            "occurred_at": occurred_at, "signer": signer, "body": body}


def signing_bytes(unsigned: dict[str, Any]) -> bytes:
    """The bytes a signer signs: RFC 8785 of the envelope without ``sig``."""
    return canonical(unsigned)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the ledger returns for each appended event (and stores beside it)."""

    event_id: str
    index: int            # 0-based position in the global log (= Merkle leaf index)
    stream: str
    stream_version: int   # 1-based position within the stream
    recorded_at: str      # RFC 3339 UTC, ledger clock; non-decreasing along the log
    leaf_hash: bytes      # RFC 9162 leaf hash of the log entry
    chain_hash: bytes     # stream hash chain after this event

    def to_value(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id, "index": self.index, "stream": self.stream,
            "stream_version": self.stream_version, "recorded_at": self.recorded_at,
            "leaf_hash": self.leaf_hash.hex(), "chain_hash": self.chain_hash.hex(),
        }


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event as projections see it: the envelope's content plus the ledger's receipt data."""

    event_id: str
    stream: str
    type: str
    occurred_at: str
    signer: str
    body: dict[str, Any]
    index: int
    stream_version: int
    recorded_at: str
