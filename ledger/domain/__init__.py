"""The enforcement domain (城管执法): event vocabulary with body schemas, legal parameters and
the fine schedule, and the working-day calendar. Standard library only.

Public API::

    EVENT_TYPES: dict[str, EventType]
    lookup(type_name) -> EventType                       # raises UnknownEventType
    validate_event(type_name, stream, body) -> list[FieldError]
    upcast(type_name, body) -> dict
    json_schemas() -> dict[str, dict]                     # for OpenAPI
    ROLES, STREAM_KINDS, stream_kind(stream)
"""

from .event_type import CATEGORIES, ROLES, STREAM_KINDS, EventType, Upcaster, stream_kind
from .vocabulary import (EVENT_TYPES, json_schemas, lookup, signer_roles_by_type, upcast,
                         validate_event)

__all__ = [
    "CATEGORIES", "EVENT_TYPES", "EventType", "ROLES", "STREAM_KINDS", "Upcaster", "json_schemas",
    "lookup", "signer_roles_by_type", "stream_kind", "upcast", "validate_event",
]
