"""The key registry, on the single stream ``keys``, signed by the pinned root key.

Both bodies are fixed by the wire contract (DESIGN.md) and carry no ``schema_version``. Shape
only here: that ``public_key`` is a usable Ed25519 point (not small-order, canonical) is checked
by the registry with ``ledger.crypto.check_public_key`` — that needs a crypto package, and this
module needs only the standard library.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..schemas import B64Url, DateTime, Enum, ListOf, Nullable, Obj, Opt, Str
from .event_type import ROLES, EventType
from .fields import UNIT_ID

#: every role but ``root``: a registered key must never be able to register keys itself
REGISTRABLE_ROLES = tuple(r for r in ROLES if r != "root")

KEY_ID = Str(pattern=r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", max_len=128,
             hint="a key id (letters, digits and . _ -), as in signer 'key:<key_id>'",
             label="key id")

#: a key acts for a few units (a district's squads), never a city's hundreds one by one: leave
#: ``units`` out for a key that acts for every unit
MAX_KEY_UNITS = 64


def key_covers_unit(units: Collection[str] | None, unit_id: str | None) -> bool:
    """Whether a key registered with ``units`` (None: ``units`` absent, every unit) may dispose
    of a flag whose subject ``unit_id`` is this. A flag of no unit is every unit's and no one
    unit's: only a key of every unit covers it, as only an unscoped token sees it."""
    return units is None or unit_id in units


#: the roles of a key held by a capture device (docs/red-flags.md, "device-signed")
DEVICE_ROLES = frozenset(("bodycam", "officer-device"))
#: a device key's principal names its device: ``device:<device_id>`` (docs/demo.md's keys)
DEVICE_PRINCIPAL = "device:"


def bound_device(principal: str, roles: Collection[str]) -> str | None:
    """The capture device a key registered with ``principal`` and ``roles`` belongs to: the
    ``<device_id>`` of a principal ``device:<device_id>`` of a key with a device role, else
    None. Only such a key proves an ``EvidenceRecorded``'s ``device_signed`` claim, and only
    for the evidence whose ``capture_device.device_id`` it names (docs/red-flags.md, RF07)."""
    if not principal.startswith(DEVICE_PRINCIPAL) or DEVICE_ROLES.isdisjoint(roles):
        return None
    return principal[len(DEVICE_PRINCIPAL):] or None



def fold_device_key(devices: dict[str, str], body: Mapping[str, Any]) -> None:
    """Fold one ``KeyRegistered`` body into ``devices`` (key id -> the capture device it is
    bound to, :func:`bound_device`): a key registered again without a device binding leaves."""
    device = bound_device(body["principal"], body["roles"])
    if device is not None:
        devices[body["key_id"]] = device
    else:
        devices.pop(body["key_id"], None)

TYPES = [
    EventType(
        name="KeyRegistered", category="keys", signer_roles=frozenset(("root",)),
        stream_kinds=("keys",), versioned=False,
        body=Obj({
            "key_id": KEY_ID,
            "public_key": B64Url(size=32, doc="Ed25519 public key, raw 32 bytes"),
            "principal": Str(pattern=r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}", max_len=128,
                             hint="a principal name", doc="system or person the key belongs to"),
            "roles": ListOf(Enum(*REGISTRABLE_ROLES), min_items=1, max_items=len(REGISTRABLE_ROLES),
                            doc="roles of the key; `root` cannot be registered (roots are pinned "
                                "in configuration)"),
            "not_before": Nullable(DateTime(), doc="valid from (null = from registration)"),
            "not_after": Nullable(DateTime(), doc="valid until (null = until revoked); not "
                                  "before not_before"),
            "units": Opt(ListOf(UNIT_ID, min_items=1, max_items=MAX_KEY_UNITS,
                                doc="the units whose red flags the key may dispose of (absent = "
                                    "every unit); docs/red-flags.md, RF28")),
        }),
        doc="A signing key was registered with its roles, validity window and (optionally) "
            "the units it acts for.",
        example={"key_id": "hp-case-app-01",
                 "public_key": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                 "principal": "sys:hp-case-app", "roles": ["case-app"],
                 "not_before": "2024-01-01T00:00:00+08:00", "not_after": None}),
    EventType(
        name="KeyRevoked", category="keys", signer_roles=frozenset(("root",)),
        stream_kinds=("keys",), versioned=False,
        body=Obj({"key_id": KEY_ID, "reason": Str(max_len=500)}),
        doc="A key was revoked, effective from this event's log position.",
        example={"key_id": "hp-case-app-01", "reason": "device lost"}),
]
