"""Bearer tokens bound to a principal and roles (poster, inspector, auditor, admin).

Tokens are 32 random bytes; only their SHA-256 is stored, so a database dump reveals none.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .crypto import b64url_encode, sha256
from .errors import MalformedEvent

ACCESS_ROLES = frozenset({"poster", "inspector", "auditor", "admin"})
PREFIX = "il_"


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    roles: frozenset[str]
    units: frozenset[str] = frozenset()   # empty = all units (for inspectors: unit scoping)

    def has(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles

    def may_see_unit(self, unit_id: str | None) -> bool:
        """Inspectors scoped to units see only those units' cases, officers, events and flags
        (nothing that belongs to no unit)."""
        return not self.units or unit_id in self.units


def new_token() -> str:
    return PREFIX + b64url_encode(secrets.token_bytes(32))


def token_hash(token: str) -> bytes:
    return sha256(token.encode("utf-8"))


def check_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - ACCESS_ROLES)
    if unknown or not roles:
        raise MalformedEvent(f"roles must be among {sorted(ACCESS_ROLES)}; got {roles}",
                             field="role")
    return sorted(set(roles))
