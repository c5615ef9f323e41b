"""A two-type vocabulary for testing the append pipeline in isolation from the domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ledger.errors import UnknownEventType


class FieldError(NamedTuple):
    path: str
    message: str


@dataclass(frozen=True)
class EventType:
    name: str
    signer_roles: frozenset[str]


TYPES = {
    "KeyRegistered": EventType("KeyRegistered", frozenset({"root"})),
    "KeyRevoked": EventType("KeyRevoked", frozenset({"root"})),
    "NoteRecorded": EventType("NoteRecorded", frozenset({"case-app"})),
    "PaymentNoted": EventType("PaymentNoted", frozenset({"finance"})),
}


def lookup(type_name: str) -> EventType:
    try:
        return TYPES[type_name]
    except KeyError:
        raise UnknownEventType(f"unknown event type {type_name!r}", field="type") from None


def validate_event(type_name: str, stream: str, body: dict[str, Any]) -> list[FieldError]:
    lookup(type_name)
    errors = []
    if type_name in ("NoteRecorded", "PaymentNoted"):
        if not isinstance(body.get("note"), str):
            errors.append(FieldError("body.note", "required string"))
        if "amount_fen" in body and (not isinstance(body["amount_fen"], int)
                                     or body["amount_fen"] < 0):
            errors.append(FieldError("body.amount_fen", "must be a non-negative integer (fen)"))
    return errors
