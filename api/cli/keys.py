"""``ledger keys register|revoke|list|rotate-root``, ``ledger log rotate-key`` and ``ledger
sign``: the key registry's events, signed by the home's root key, the log's checkpoint key and a
signed envelope for curl."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .common import env_settings, home_store


def _root_key(settings: Any) -> tuple[str, Any]:
    """The id and signing key of the home's root in force (``secrets/root-1.key``, or the
    root-N.key of the latest ``ledger keys rotate-root``), which signs the key registry's
    events. Raises NotFound naming the file when it cannot be read."""
    from ledger.crypto import SigningKey
    from ledger.errors import NotFound
    from ledger.home import current_root
    root_id = current_root(settings)
    path = settings.secrets / f"{root_id}.key"
    try:
        return root_id, SigningKey(settings.secret(f"{root_id}.key"))
    except OSError as e:
        raise NotFound(f"cannot read the root key {path}: {e.strerror}") from None


def cmd_keys_register(args: argparse.Namespace) -> int:
    """Register a signing key: sign KeyRegistered with the home's root key and append it."""
    from ledger.bootstrap import build_ledger
    from ledger.client import sign_envelope
    from ledger.config import write_secret
    from ledger.crypto import SigningKey, b64url_decode, b64url_encode
    from ledger.errors import Conflict, LedgerError, Unavailable
    if args.unit and "inspector" not in args.role:     # units bound dispositions alone
        raise LedgerError("only a key with --role inspector disposes of red flags, so only its "
                          "dispositions are bounded by units (docs/red-flags.md, RF28); a key "
                          "of other roles is registered without units", field="unit")
    settings = env_settings()
    out = None
    if args.public_key:
        public = b64url_decode(args.public_key, what="--public-key", size=32)
    home = home_store(settings)        # an initialised home, before a key pair is made
    url = home.url
    home.close()
    root_id, root = _root_key(settings)
    if not args.public_key:
        key = SigningKey.generate()
        out = Path(args.out or settings.secrets / f"{args.key_id}.key")
        if out.exists():        # it may hold the seed of a key already registered
            raise Conflict(f"{out} already exists: it is not overwritten (remove it, or pass "
                           "--out)")
        try:
            write_secret(out, b64url_encode(key.seed))
        except OSError as e:    # a directory on the way that is a file, a read-only one
            raise LedgerError(f"cannot write --out {out}: {e.strerror} ({e.filename})"
                              ) from None
        public = key.public_key
    body = {"key_id": args.key_id, "public_key": b64url_encode(public),
            "principal": args.principal, "roles": sorted(set(args.role)),
            "not_before": args.not_before, "not_after": args.not_after}
    if args.unit:
        body["units"] = sorted(set(args.unit))
    envelope = sign_envelope(root, root_id, stream="keys", type="KeyRegistered", body=body)
    ledger = build_ledger(settings, url=url)
    try:
        result = ledger.append(json.dumps(envelope).encode())
    except LedgerError as e:
        if out is not None and not isinstance(e, Unavailable):
            out.unlink()        # refused, nothing written: the seed belongs to no key
        raise
    finally:
        ledger.close()
        ledger.store.close()
    if out is not None:
        print(f"private key seed written to {out}", file=sys.stderr)
    print(json.dumps(result.receipts[0].to_value(), indent=2))
    return 0


@contextmanager
def _home_ledger(settings: Any) -> Iterator[Any]:
    """The ledger on an initialised home's database, as its owner (a one-shot command's)."""
    from ledger.bootstrap import build_ledger
    home = home_store(settings)        # refuses a home `ledger init` never ran on
    url = home.url
    home.close()
    ledger = build_ledger(settings, url=url)
    try:
        yield ledger
    finally:
        ledger.close()
        ledger.store.close()


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    """Revoke a signing key: sign KeyRevoked with the home's root key and append it. The key
    signs nothing recorded after the revocation's log position; what it signed before stays
    valid. Refuses (exit 2) a blank reason, an unknown key, a root key, a revoked one."""
    from ledger.canonical import canonical
    from ledger.client import sign_envelope
    from ledger.errors import Conflict, KeyNotAllowed, MalformedEvent, UnknownKey
    if not args.reason.strip():         # the record of why is the point of the event
        raise MalformedEvent("must not be empty: say why the key is revoked (device lost, "
                             "stolen, retired)", field="reason")
    settings = env_settings()
    with _home_ledger(settings) as ledger:
        root_id, root = _root_key(settings)
        record = ledger.refresh_registry().keys.get(args.key_id)
        if record is None:
            raise UnknownKey(f"no key {args.key_id!r} is registered (`ledger keys list` shows "
                             "the registry)", field="key_id")
        if record.is_root:
            raise KeyNotAllowed(f"{args.key_id} is a root key, pinned in configuration "
                                "(ledger.json's root_keys or LEDGER_ROOT_KEYS), not registered "
                                "by an event: no event revokes it (to retire a root: `ledger keys "
                                "rotate-root`, docs/architecture.md)", field="key_id")
        if record.revoked_at is not None:
            raise Conflict(f"key {args.key_id!r} was already revoked at log index "
                           f"{record.revoked_at} ({record.revoke_reason})", field="key_id")
        envelope = sign_envelope(root, root_id, stream="keys", type="KeyRevoked",
                                 body={"key_id": args.key_id, "reason": args.reason})
        # the writer judges it again under the lock: a revocation racing this one is refused
        receipt = ledger.append(canonical(envelope)).receipts[0]
    print(f"revoked key {args.key_id} ({record.principal}) at log index {receipt.index}, "
          f"recorded {receipt.recorded_at}")
    print(f"from that position on, every event signed by {args.key_id} and recorded after "
          f"index {receipt.index} is refused (403 key-revoked) by every service on this "
          "database — one signed earlier but posted now too; the events recorded before it "
          "stay valid, and bundles holding them still verify")
    if _signs_for_the_dashboard(settings, record.public_key):
        print(f"ledger keys revoke: note: the dashboard signs with this key "
              f"({settings.dashboard_key_file}): it records no disposition until "
              "LEDGER_DASHBOARD_KEY names the seed of another registered inspector key "
              "(docs/dashboard.md)", file=sys.stderr)
    return 0


def _signs_for_the_dashboard(settings: Any, public_key: bytes) -> bool:
    """Whether the dashboard's seed (LEDGER_DASHBOARD_KEY or secrets/dashboard.key) is the
    private half of ``public_key``; False when it cannot be read."""
    from ledger.crypto import SigningKey, b64url_decode
    from ledger.errors import LedgerError
    path = settings.dashboard_key_file
    try:
        seed = b64url_decode(path.read_text().strip(), what=str(path), size=32)
    except (OSError, UnicodeDecodeError, LedgerError):
        return False
    return SigningKey(seed).public_key == public_key


def _key_state(record: Any, now: Any) -> str:
    """A key's state for `ledger keys list`: active, revoked at index N, expired or not yet
    valid (its window judged at ``now``, the ledger's clock); a root pinned, or retired."""
    if record.is_root:
        return "pinned root" if record.retired_at is None else \
            f"retired root from index {record.retired_at}"
    status = record.status(now)
    if status == "revoked":
        return f"revoked at index {record.revoked_at}"
    return status.replace("_", " ")


def cmd_keys_list(args: argparse.Namespace) -> int:
    """List the key registry (the fold of stream `keys`, with the pinned root keys), each key's
    state judged by the ledger's clock, as GET /v1/keys does."""
    with _home_ledger(env_settings()) as ledger:
        registry = ledger.refresh_registry()
        now = ledger.store.ledger_clock()       # the writer's clock, not this host's
    records = list(registry.keys.values())
    if args.json:
        print(json.dumps({"keys": [r.to_value(now) for r in records],
                          "version": registry.version}, ensure_ascii=False, indent=2))
        return 0
    rows = [("KEY", "PRINCIPAL", "ROLES", "UNITS", "WINDOW", "STATE")]
    for r in records:
        window = "-" if r.not_before is None and r.not_after is None else (
            f"{r.not_before.isoformat() if r.not_before else '…'} .. "
            f"{r.not_after.isoformat() if r.not_after else '…'}")
        rows.append((r.key_id, r.principal, ",".join(sorted(r.roles)),
                     ",".join(sorted(r.units)) if r.units is not None else "all", window,
                     _key_state(r, now)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    return 0


def cmd_keys_rotate_root(args: argparse.Namespace) -> int:
    """Replace the root key: a new root-N (secrets/root-N.key) pinned in ledger.json, and every
    root in force retired there from the log's size now — it signs nothing recorded at or after
    that index, and what it signed before stays valid. Refuses (exit 2) a home whose roots
    LEDGER_ROOT_KEYS pins, and one not initialised."""
    import re

    from ledger.config import sync_directory, write_file, write_secret
    from ledger.crypto import SigningKey, b64url_encode
    from ledger.errors import Conflict, LedgerError, NotFound
    from ledger.roots import root_entry
    settings = env_settings()
    if os.environ.get("LEDGER_ROOT_KEYS"):
        raise LedgerError("LEDGER_ROOT_KEYS pins the root keys, not ledger.json: pin the new "
                          "root there and the old as id=base64url@N, N the log's size "
                          "(docs/architecture.md, Rotating a root key)")
    in_force = [k for k in settings.root_keys if k not in settings.root_retired]
    if not settings.config_path.exists() or not in_force:
        raise NotFound(f"{settings.config_path} pins no root key in force: run `ledger init`")
    store = home_store(settings)       # the database is there before the home is changed
    try:
        position = store.size()         # the old root signs below it, never at or after
    finally:
        store.close()
    numbers = [int(m[1]) for k in settings.root_keys if (m := re.fullmatch(r"root-(\d+)", k))]
    new_id = f"root-{max(numbers, default=len(settings.root_keys)) + 1}"
    key_path = settings.secrets / f"{new_id}.key"
    if new_id in settings.root_keys or key_path.exists():
        raise Conflict(f"{key_path} already exists: it is not overwritten")
    config = json.loads(settings.config_path.read_text())
    new = SigningKey.generate()
    roots = config["root_keys"]
    for key_id in in_force:
        roots[key_id] = root_entry(roots[key_id], position)
    roots[new_id] = b64url_encode(new.public_key)
    # the new seed first, then the configuration, then the old seeds aside (each write whole
    # or not at all): an interrupted rotation leaves a home whose root in force is one whose
    # seed it holds
    write_secret(key_path, b64url_encode(new.seed))
    write_file(settings.config_path, json.dumps(config, indent=2) + "\n")
    moved = []
    for key_id in in_force:
        seed = settings.secrets / f"{key_id}.key"
        if seed.exists():
            seed.replace(seed.with_name(f"{key_id}.key.retired"))
            moved.append(f"{seed.name}.retired")
    sync_directory(settings.secrets)
    print(f"root key rotated: {new_id} registers and revokes keys from now on ({key_path}, "
          f"public key {b64url_encode(new.public_key)})")
    for key_id in in_force:
        print(f"{key_id} is retired from log index {position}: what it signs recorded there or "
              "later is refused (403 key-revoked) and named by `ledger verify`; what it signed "
              "before stays valid, and the keys it registered sign on")
    if moved:
        print(f"its seed moved to {', '.join(str(settings.secrets / m) for m in moved)}: "
              "delete it once nothing needs it")
    print("now: copy ledger.json to every host that serves this database and restart each "
          "`ledger serve` (one still running takes the old root's events until then); give "
          "auditors the new ledger.json, which verifies bundles from before and after the "
          f"rotation; keep {key_path} offline (docs/architecture.md, Rotating a root key)")
    return 0


def cmd_log_rotate_key(args: argparse.Namespace) -> int:
    """Replace the home's log key (the key that signs checkpoints): a new secrets/log.key,
    pinned in ledger.json, the old public key kept there as retired so the new key's issuer
    extends the log from the old key's last checkpoint; then sign a checkpoint with it."""
    from ledger.config import write_file, write_secret
    from ledger.crypto import SigningKey, b64url_encode
    from ledger.errors import Conflict, NotFound
    from ledger.logview import LogView
    from ledger.note import key_id, vkey_for
    settings = env_settings()
    if settings.log_public_key is None:
        raise NotFound(f"{settings.config_path} pins no log key: run `ledger init` first")
    store = home_store(settings, current=False)  # there before the home is changed
    try:
        store.create_schema()   # as `ledger init` does: a log that may hold two of one size
        old = settings.log_public_key
        name = settings.log_key_name
        key_path = settings.secrets / "log.key"
        retired_path = key_path.with_name(f"log.key.retired-{key_id(name, old):08x}")
        if retired_path.exists():
            raise Conflict(f"{retired_path} already exists: this key was rotated out before")
        LogView(store, origin=settings.log_origin, key_name=name, signing_key=None
                ).check_extends(old, settings.log_retired_keys)   # before the home changes
        config = json.loads(settings.config_path.read_text())
        new = SigningKey.generate()
        log = config.setdefault("log", {})
        log["public_key"] = b64url_encode(new.public_key)
        log["retired_public_keys"] = [*log.get("retired_public_keys", []), b64url_encode(old)]
        # the old seed kept under its retired name (a second link: log.key is never missing),
        # then the new seed, then the configuration, each written whole or not at all
        if key_path.exists():
            os.link(key_path, retired_path)
        write_secret(key_path, b64url_encode(new.seed))
        write_file(settings.config_path, json.dumps(config, indent=2) + "\n")
        settings = env_settings()
        view = LogView(store, origin=settings.log_origin, key_name=name, signing_key=new,
                       retired_keys=settings.log_retired_keys)
        latest = view.latest_checkpoint()
        signed = view.issue_checkpoint()   # of the tree as it is: the latest again if not grown
    finally:
        store.close()
    print(f"log key rotated: checkpoints are signed by {vkey_for(name, new.public_key)} "
          f"({key_path}), no longer by {vkey_for(name, old)}"
          + (f" (its seed moved to {retired_path})" if retired_path.exists() else ""))
    print(f"checkpoint {signed.size} is the new key's first"
          + (" (the log has not grown since the old key's latest: the same tree, signed again)"
             if latest is not None and latest.size == signed.size else "")
          + "; bundles exported from now carry it")
    print("now: copy ledger.json and secrets/log.key to every host that serves this database "
          "and restart each `ledger serve` (one still holding the old key issues no more "
          "checkpoints); give auditors the new ledger.json — it trusts the new key only "
          "(docs/merkle.md, Rotating the log key)")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    """Print a signed envelope (for curl): body from --body JSON."""
    from ledger.canonical import parse_strict
    from ledger.client import sign_envelope
    from ledger.crypto import SigningKey, b64url_decode
    try:
        text = Path(args.key).read_text()
    except (OSError, UnicodeDecodeError) as e:
        print(f"ledger sign: cannot read --key {args.key}: {e}", file=sys.stderr)
        return 2
    seed = b64url_decode(text.strip(), what="--key", size=32)
    body = parse_strict(args.body)
    envelope = sign_envelope(SigningKey(seed), args.key_id, stream=args.stream, type=args.type,
                             body=body, event_id=args.event_id, occurred_at=args.occurred_at)
    from ledger.canonical import canonical
    sys.stdout.write(canonical(envelope).decode() + "\n")
    return 0

