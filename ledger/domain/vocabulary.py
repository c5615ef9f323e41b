"""The event vocabulary: every event type the ledger accepts, and the door's shape checks.

Types are declared by category (identity, case, money, property, oversight, config, flags,
keys) in the sibling modules and gathered here. Names are the wire ``type`` and the stable
topic of stored events: a type is never renamed or removed; its body evolves by versions with
upcasters (see ``EventType``).
"""

from __future__ import annotations

from typing import Any

from ..errors import UnknownEventType
from ..schemas import Enum, FieldError, ListOf, Nullable, Obj, Opt, Schema
from . import case, config, flags, identity, keys, money, oversight, property
from .event_type import EventType
from .names import CODES_EN, CODES_ZH, NAMES_EN, NAMES_ZH


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


def _check_type_names() -> None:
    """Refuse a declared type left without a Chinese or an English name (``names.NAMES_ZH``,
    ``names.NAMES_EN``), or a name of no declared type: raises ValueError."""
    for table, names in (("NAMES_ZH", NAMES_ZH), ("NAMES_EN", NAMES_EN)):
        unnamed = sorted(names.keys() ^ EVENT_TYPES.keys()) + sorted(
            t for t, name in names.items() if not name)
        if unnamed:
            raise ValueError(f"names.{table} must name every declared event type and no other: "
                             f"{unnamed}")


_check_type_names()


def _coded(schema: Schema | Opt, path: str, out: dict[str, Enum]) -> None:
    """Every enum under ``path``: the field itself, the items of a list, the fields of an object
    (optional or nullable too), keyed by the dotted path of field names."""
    while isinstance(schema, (Opt, Nullable, ListOf)):
        schema = schema.item if isinstance(schema, ListOf) else schema.inner
    if isinstance(schema, Enum):
        out[path] = schema
    elif isinstance(schema, Obj):
        for field, inner in schema.fields.items():
            _coded(inner, f"{path}.{field}", out)


def _coded_fields() -> dict[str, Enum]:
    """``"Type.field"`` (``"Type.field.sub"`` inside an object or a list of objects) → the enum
    of every body field that holds codes."""
    out: dict[str, Enum] = {}
    for name, t in EVENT_TYPES.items():
        _coded(t.body, name, out)
    return out


def _name_codes() -> None:
    """Give each coded field's enum (:data:`CODED_FIELDS`) its names from ``names.CODES_ZH`` and
    ``names.CODES_EN`` (the generated docs show them), refusing a field or a value left without
    either name: raises ValueError."""
    fields = CODED_FIELDS
    for table, codes in (("CODES_ZH", CODES_ZH), ("CODES_EN", CODES_EN)):
        if codes.keys() != fields.keys():
            raise ValueError(f"names.{table} must name every enumerated body field and no "
                             f"other: {sorted(codes.keys() ^ fields.keys())}")
        for key, enum in fields.items():
            names = codes[key]
            if names.keys() != set(enum.values) or not all(names.values()):
                unnamed = sorted(names.keys() ^ set(enum.values)) + sorted(
                    code for code, name in names.items() if not name)
                raise ValueError(f"names.{table}[{key!r}] must name every value of the field "
                                 f"and no other: {unnamed}")
    for key, enum in fields.items():
        zh, en = CODES_ZH[key], CODES_EN[key]
        # one enum shared by fields named differently
        if (enum.zh and enum.zh != zh) or (enum.en and enum.en != en):
            raise ValueError(f"names.CODES_ZH/CODES_EN[{key!r}] name a shared enum otherwise "
                             "than another field does")
        enum.zh, enum.en = dict(zh), dict(en)


#: every enumerated body field, by its dotted path (the vocabulary is fixed at import)
CODED_FIELDS = _coded_fields()
_name_codes()


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
    """What a reader sees for the vocabulary's codes: each type's Chinese and English name
    (``{"types": {name: {"zh": ..., "en": ...}}}``); under ``codes``, the Chinese names of the
    values of every enumerated body field, a list of codes included, a field inside an object by
    its dotted path (``"EvidenceRecorded.kind": {"video": "视频"}``,
    ``"PenaltyDecided.party.party_type"``), and under ``codes_en`` their English names in the
    same shape (``{"EvidenceRecorded.kind": {"video": "video recording"}}``). ``codes`` kept its
    shape when the English came, so a client that reads only the Chinese reads it as before.
    """
    return {"types": {name: {"zh": NAMES_ZH[name], "en": NAMES_EN[name]}
                      for name in EVENT_TYPES},
            "codes": {key: dict(CODES_ZH[key]) for key in CODED_FIELDS},
            "codes_en": {key: dict(CODES_EN[key]) for key in CODED_FIELDS}}
