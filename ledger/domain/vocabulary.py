"""The event vocabulary: every event type the ledger accepts, and the door's shape checks.

Types are declared by category (identity, case, money, property, oversight, config, flags,
keys) in the sibling modules and gathered here. Names are the wire ``type`` and the stable
topic of stored events: a type is never renamed or removed; its body evolves by versions with
upcasters (see ``EventType``).
"""

from __future__ import annotations

from typing import Any

from ..errors import UnknownEventType
from ..schemas import Enum, FieldError
from . import case, config, flags, identity, keys, money, oversight, property
from .event_type import EventType
from .names import NAMES_ZH


def _gather(*modules: Any) -> dict[str, EventType]:
    types: dict[str, EventType] = {}
    for module in modules:
        for t in module.TYPES:
            if t.name in types:
                raise ValueError(f"event type {t.name} declared twice")
            types[t.name] = t
    return types


EVENT_TYPES: dict[str, EventType] = _gather(identity, case, money, property, oversight, config,
                                            flags, keys)
if NAMES_ZH.keys() != EVENT_TYPES.keys():
    raise ValueError("names.NAMES_ZH must name every declared event type and no other: "
                     f"{sorted(NAMES_ZH.keys() ^ EVENT_TYPES.keys())}")


def lookup(type_name: str) -> EventType:
    """The declared type named ``type_name``.

    Raises :class:`UnknownEventType` (with a field-level entry for ``type``) if there is none.
    """
    try:
        return EVENT_TYPES[type_name]
    except (KeyError, TypeError):
        message = f"unknown event type {type_name!r}"
        raise UnknownEventType(message, field="type",
                               errors=[{"field": "type", "message": message}]) from None


def validate_event(type_name: str, stream: str, body: Any) -> list[FieldError]:
    """Every shape problem of an event: stream kind allowed for the type, and the body (at the
    ``schema_version`` it declares) against the schema. Empty list = well-formed.

    Shape only (DESIGN.md principle 1): procedurally improper events pass. Who signed it is not
    checked here (see ``EventType.may_be_signed_by``).
    Raises :class:`UnknownEventType` if ``type_name`` is not declared.
    """
    return lookup(type_name).validate(stream, body)


def upcast(type_name: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` in the current shape of its type. Requires a body that passed validation.

    Raises :class:`UnknownEventType` if ``type_name`` is not declared.
    """
    return lookup(type_name).upcast(body)


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema 2020-12 of every type's accepted bodies, keyed by type name (for OpenAPI)."""
    return {name: t.json_schema() for name, t in sorted(EVENT_TYPES.items())}


def signer_roles_by_type() -> dict[str, frozenset[str]]:
    """Which key roles may sign each type (the authorisation table the core enforces)."""
    return {name: t.signer_roles for name, t in EVENT_TYPES.items()}


def labels() -> dict[str, Any]:
    """What a reader sees for the vocabulary's codes: each type's Chinese name
    (``{"types": {name: {"zh": ...}}}``) and, under ``codes``, the Chinese labels of every
    top-level body field whose values are named (``"EvidenceRecorded.kind": {"video": "视频"}``).
    """
    codes: dict[str, dict[str, str]] = {}
    for name, t in EVENT_TYPES.items():
        for field, schema in t.body.fields.items():
            if isinstance(schema, Enum) and schema.zh:
                codes[f"{name}.{field}"] = dict(schema.zh)
    return {"types": {name: {"zh": NAMES_ZH[name]} for name in EVENT_TYPES}, "codes": codes}
