"""``ledger tokens create|list|revoke``: bearer tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import argparse
import json
import sys

from .common import env_settings, home_store


def cmd_tokens_create(args: argparse.Namespace) -> int:
    from ledger.errors import MalformedEvent
    from ledger.tokens import Principal, check_roles, new_token, token_hash
    for name in ("principal", "unit"):      # an empty name would be stored as one
        if any(not value.strip() for value in ([args.principal] if name == "principal"
                                               else args.unit or [])):
            raise MalformedEvent("must not be empty", field=name)
    roles = check_roles(args.role)
    disposes = Principal(args.principal, frozenset(roles)).has("inspector")
    store = home_store(env_settings())
    try:
        token = new_token()
        store.insert_token(token_hash(token), args.principal, roles, args.unit or [])
        officer = disposes and bool(store.stream_events(f"officer:{args.principal}",
                                                        after_version=0, limit=1))
    finally:
        store.close()
    print(token)
    if disposes:    # RF26 knows who disposed of a flag only by this name (docs/red-flags.md)
        print(f"ledger tokens create: {args.principal} is an officer on this ledger: their "
              "dispositions of flags about them or their cases raise RF26" if officer else
              f"ledger tokens create: note: {args.principal} is not an officer id on this "
              "ledger. RF26 knows who disposed of a flag only by this name (the disposition's "
              "inspector_id): if this inspector is also an officer, create the token with "
              "--principal <their officer id> (the id of their officer: stream)",
              file=sys.stderr)
    return 0


def cmd_tokens_list(args: argparse.Namespace) -> int:
    store = home_store(env_settings())
    try:
        rows = store.tokens()
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        units = f"  units {','.join(r['units'])}" if r["units"] else ""
        print(f"{r['id']}  {r['principal']}  {','.join(r['roles'])}{units}  {r['created_at']}")
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from ledger.tokens import TOKEN_TTL, token_hash
    store = home_store(env_settings())
    try:                       # refusals (an id that is no hex) are main's to report
        revoked = store.revoke_tokens(
            token_hash=token_hash(args.token) if args.token else None,
            principal=args.principal, id_prefix=args.id)
    finally:
        store.close()
    if not revoked:
        print("ledger tokens revoke: no token matched", file=sys.stderr)
        return 1
    print(f"revoked {revoked} token(s); running services refuse them within "
          f"{TOKEN_TTL:.0f} s (they re-read a token at least that often)")
    return 0

