"""What the auditor pins: root public keys, the log's origin and public key, and (optionally) the
signer-role policy. Nothing here is ever taken from the bundle being verified.

Sources: a home's ``ledger.json`` (``--trust FILE``), or ``--log-key VKEY`` (a C2SP vkey,
``name+hex8+base64``) with ``--root-key ID=B64URL`` (repeatable; ``ID=B64URL@N`` a root retired
from log index N, :mod:`ledger.roots`) and ``--origin``.
``ledger.json`` may pin the policy as ``"policy": {"signer_roles": {type: [roles]}}``;
``--policy FILE`` reads the same object from its own file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..crypto import b64url_decode, check_public_key
from ..errors import LedgerError
from ..note import Verifier, parse_vkey, vkey_for
from ..roots import pinned_root, pinned_root_text
from .errors import InvalidBundle


@dataclass(frozen=True, slots=True)
class Trust:
    roots: Mapping[str, bytes]
    log_keys: tuple[Verifier, ...]
    origin: str
    signer_roles: Mapping[str, frozenset[str]] | None = None   # None: not pinned
    #: a root's log index of retirement (``ledger keys rotate-root``); absent: in force
    root_retired: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_config(cls, path: Path) -> "Trust":
        """Read a home's ``ledger.json``. Raises InvalidBundle if it is unusable."""
        data = _read_json(path, "trust file")
        _check_shape(data, path)
        try:
            roots: dict[str, bytes] = {}
            retired: dict[str, int] = {}
            for key_id, entry in data["root_keys"].items():
                roots[key_id], at = pinned_root(key_id, entry)
                check_public_key(roots[key_id])
                if at is not None:
                    retired[key_id] = at
            log = data["log"]
            origin = log["origin"]
            name = log.get("key_name", origin)
            public = _public_key(log["public_key"], "log public key")
            verifier = parse_vkey(vkey_for(name, public))
        except (KeyError, TypeError, AttributeError) as e:
            raise InvalidBundle(f"trust file {path}: missing or malformed {e}") from None
        except LedgerError as e:
            raise InvalidBundle(f"trust file {path}: {e.message}") from None
        if not roots:
            raise InvalidBundle(f"trust file {path} pins no root keys")
        policy = data.get("policy")
        return cls(roots=roots, log_keys=(verifier,), origin=origin, root_retired=retired,
                   signer_roles=None if policy is None else _signer_roles(policy, str(path)))

    @classmethod
    def from_args(cls, *, log_keys: Sequence[str], root_keys: Sequence[str],
                  origin: str | None) -> "Trust":
        """``--log-key VKEY`` (repeatable), ``--root-key ID=B64URL`` (repeatable), ``--origin``
        (default: the first log key's name). Raises InvalidBundle."""
        if not log_keys or not root_keys:
            raise InvalidBundle("pin the log key and at least one root key: --log-key VKEY "
                                "--root-key ID=B64URL (or --trust FILE)")
        try:
            verifiers = tuple(parse_vkey(v) for v in log_keys)
        except LedgerError as e:
            raise InvalidBundle(f"--log-key: {e.message}") from None
        roots: dict[str, bytes] = {}
        retired: dict[str, int] = {}
        for item in root_keys:
            try:
                key_id, roots[key_id], at = pinned_root_text(item)
                check_public_key(roots[key_id])
            except LedgerError as e:
                raise InvalidBundle(f"--root-key: {e.message}") from None
            if at is not None:
                retired[key_id] = at
        return cls(roots=roots, log_keys=verifiers, origin=origin or verifiers[0].name,
                   root_retired=retired)

    def with_policy_file(self, path: Path) -> "Trust":
        data = _read_json(path, "policy file")
        policy = data.get("policy", data) if isinstance(data, dict) else data
        return replace(self, signer_roles=_signer_roles(policy, str(path)))


def _check_shape(data: Any, path: Path) -> None:
    """Refuse a trust file whose parts are of the wrong JSON type, naming the part: a number
    pinned as the origin would fail every bundle (exit 1) as if the bundle were at fault.
    Raises InvalidBundle; a missing part is named where it is read."""
    def wrong(what: str) -> InvalidBundle:
        return InvalidBundle(f"trust file {path}: {what}")
    if not isinstance(data, dict):
        raise wrong("not a JSON object")
    if not isinstance(data.get("root_keys", {}), dict):
        raise wrong("root_keys must be an object {key id: public key}")
    log = data.get("log", {})
    if not isinstance(log, dict):
        raise wrong("log must be an object")
    for name in ("origin", "key_name"):
        if not isinstance(log.get(name, ""), str):
            raise wrong(f"log.{name} must be a string")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise InvalidBundle(f"cannot read {what} {path}: {e.strerror}") from None
    except ValueError as e:
        raise InvalidBundle(f"{what} {path} is not JSON: {e}") from None


def _public_key(value: Any, what: str) -> bytes:
    try:
        raw = b64url_decode(value, what=what, size=32)
        check_public_key(raw)
    except LedgerError as e:
        raise InvalidBundle(f"{what}: {e.message}") from None
    return raw


def signer_roles_from(value: Any, where: str) -> dict[str, frozenset[str]]:
    """``{"signer_roles": {type: [role, ...]}}`` as a mapping. Raises InvalidBundle."""
    return _signer_roles(value, where)


def _signer_roles(policy: Any, where: str) -> dict[str, frozenset[str]]:
    table = policy.get("signer_roles") if isinstance(policy, dict) else None
    if not isinstance(table, dict) or not all(
            isinstance(t, str) and isinstance(r, list) and all(isinstance(x, str) for x in r)
            for t, r in table.items()):
        raise InvalidBundle(f"{where}: policy must be {{\"signer_roles\": {{type: [role, ...]}}}}")
    return {t: frozenset(r) for t, r in table.items()}
