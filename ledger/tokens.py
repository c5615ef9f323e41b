"""Bearer tokens bound to a principal and roles (poster, inspector, auditor, admin).

Tokens are 32 random bytes; only their SHA-256 is stored, so a database dump reveals none.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .crypto import b64url_encode, sha256
from .errors import MalformedEvent

ACCESS_ROLES = frozenset({"poster", "inspector", "auditor", "admin"})
PREFIX = "il_"
#: Seconds a service trusts a token it has looked up before reading it again (so a revoked
#: token stops working within this time).
TOKEN_TTL = 30.0


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


class TokenCache:
    """Principals by token hash, each trusted for ``ttl`` seconds before the database is asked
    again: a revoked token (``ledger tokens revoke``) stops working everywhere within ``ttl``.

    ``find`` reads a token's (principal, roles, units) from the database, or None.
    """

    def __init__(self, find: Callable[[bytes], tuple[str, Sequence[str], Sequence[str]] | None],
                 *, ttl: float = TOKEN_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._find = find
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[bytes, tuple[Principal, float]] = {}

    def cached(self, digest: bytes) -> Principal | None:
        """The principal of a token looked up less than ``ttl`` ago; never reads the database."""
        entry = self._entries.get(digest)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def lookup(self, digest: bytes) -> Principal | None:
        """The token's principal, from the database when not fresh here; None if unknown."""
        principal = self.cached(digest)
        if principal is not None:
            return principal
        found = self._find(digest)
        if found is None:
            self._entries.pop(digest, None)
            return None
        name, roles, units = found
        principal = Principal(name=name, roles=frozenset(roles), units=frozenset(units))
        self._entries[digest] = (principal, self._clock() + self.ttl)
        return principal


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
