"""Hashing of flag identities and parameter content, standard library only.

The values hashed here (rule ids, subject keys, parameter tables) are restricted to strings,
integers within ±(2^53-1), booleans, null, lists and objects with ASCII keys. For exactly those
values ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` is RFC 8785
(JCS) — the argument is in :mod:`ledger.verify.jcs`, which we do not import because its package
pulls in PyNaCl and this package must run with the standard library alone. Anything else
(floats above all) is refused, so a hash can never depend on float formatting.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

MAX_SAFE_INT = 2**53 - 1


class NotHashable(ValueError):
    """A value outside the canonical subset (a float, a big integer, a non-ASCII key...)."""


def check(value: Any, where: str = "value") -> None:
    """Raise :class:`NotHashable` unless ``value`` is inside the canonical subset."""
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return
        raise NotHashable(f"{where}: integer {value} outside ±(2^53-1)")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise NotHashable(f"{where}: object keys must be ASCII strings ({key!r})")
            check(item, f"{where}.{key}")
        return
    raise NotHashable(f"{where}: {type(value).__name__} is not allowed (no floats in hashed "
                      "content: use integers or fixed-decimal strings)")


def canonical(value: Any, *, checked: bool = False) -> bytes:
    """RFC 8785 bytes of a value in the canonical subset (raises :class:`NotHashable`).
    ``checked``: the caller built ``value`` inside the subset (a flag, :func:`.flag.make_flag`),
    so it is not walked again — a third of the cost of hashing a flag."""
    if not checked:
        check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def digest(value: Any, *, checked: bool = False) -> str:
    """Lowercase hex SHA-256 of :func:`canonical` bytes."""
    return hashlib.sha256(canonical(value, checked=checked)).hexdigest()
