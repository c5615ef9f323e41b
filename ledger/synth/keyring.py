"""The signing keys of a synthetic city: one per system or person that signs in reality.

=================  ======================================  ==========================
key name           who holds it                             role (docs/events.md)
=================  ======================================  ==========================
``config``         法制科 publishing configuration facts     config
``hr``             personnel system (政治处)                  hr
``case-app``       the case-handling system (办案系统)        case-app
``finance``        the agency's finance office (财务)         finance
``treasury``       designated bank / 非税收入 system          treasury
``complaints``     12345 / 信访 system                        complaints
``inspector``      纪检监察 / 督察                             inspector
``pda:<person>``   a person's handheld terminal (执法终端)    officer-device
``bodycam:<p>``    a person's body-worn camera (执法记录仪)   bodycam
``sup:<person>``   an agency head, deputy or squadron leader  supervisor
``legal:<p>``      a legal reviewer (法制审核)                 legal
=================  ======================================  ==========================

Key ids carry the city tag (``c42-case-app``, ``c42-pda-C42-0107``) so cities generated from
different seeds never register the same key id with different public keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..crypto import SigningKey, b64url_encode
from . import seeded

SYSTEM_KEYS: dict[str, tuple[str, str]] = {
    # name: (role, principal suffix)
    "config": ("config", "sys:legal-affairs-office"),
    "hr": ("hr", "sys:personnel"),
    "case-app": ("case-app", "sys:case-app"),
    "finance": ("finance", "sys:finance-office"),
    "treasury": ("treasury", "sys:treasury"),
    "complaints": ("complaints", "sys:12345-complaints"),
    "inspector": ("inspector", "org:discipline-inspection"),
}
PERSONAL_ROLES = {"pda": "officer-device", "bodycam": "bodycam", "sup": "supervisor",
                  "legal": "legal"}


@dataclass(frozen=True)
class KeyInfo:
    name: str          # ``case-app``, ``pda:C42-0107`` …
    key_id: str        # as in ``signer: key:<key_id>``
    principal: str
    roles: tuple[str, ...]
    key: SigningKey


class KeyRing:
    """Keys derived from the seed; ``register`` adds one, ``info(name)`` finds it."""

    def __init__(self, seed: int, tag: str) -> None:
        self.seed = seed
        self.prefix = tag.lower()
        self._keys: dict[str, KeyInfo] = {}

    def register(self, name: str, principal: str, role: str) -> KeyInfo:
        if name in self._keys:
            return self._keys[name]
        key_id = f"{self.prefix}-{name.replace(':', '-')}"
        info = KeyInfo(name=name, key_id=key_id, principal=principal, roles=(role,),
                       key=seeded.signing_key(self.seed, key_id))
        self._keys[name] = info
        return info

    def system(self, name: str, tag: str) -> KeyInfo:
        role, principal = SYSTEM_KEYS[name]
        kind, _, what = principal.partition(":")
        return self.register(name, f"{kind}:{tag}-{what}", role)

    def personal(self, kind: str, person_id: str) -> KeyInfo:
        device = {"pda": "PDA", "bodycam": "BC"}.get(kind)
        principal = f"device:{device}-{person_id}" if device else f"person:{person_id}"
        return self.register(f"{kind}:{person_id}", principal, PERSONAL_ROLES[kind])

    def info(self, name: str) -> KeyInfo:
        return self._keys[name]

    def __iter__(self):  # noqa: ANN204
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def registration_body(self, info: KeyInfo) -> dict[str, Any]:
        """The ``KeyRegistered`` body of ``info``: valid from its registration until revoked
        (no dates: the ledger checks key validity on its own clock, and a demo loaded today
        replays a history that happened earlier)."""
        return {"key_id": info.key_id, "public_key": b64url_encode(info.key.public_key),
                "principal": info.principal, "roles": list(info.roles),
                "not_before": None, "not_after": None}
