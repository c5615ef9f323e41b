"""The verbs, their options and their help (fixed by DESIGN.md)."""

from __future__ import annotations

import argparse
from typing import Any

from .audit import cmd_export, cmd_flags, cmd_verify
from .common import positive_int, tcp_port
from .home import cmd_init, cmd_serve
from .keys import (cmd_keys_list, cmd_keys_register, cmd_keys_revoke, cmd_keys_rotate_root,
                   cmd_log_rotate_key, cmd_sign)
from .project import cmd_project, cmd_rebuild
from .tokens import cmd_tokens_create, cmd_tokens_list, cmd_tokens_revoke

DESCRIPTION = """\
Integrity Ledger: an append-only ledger of signed events for city-management law enforcement
(城管执法). `ledger VERB --help` says more of each verb."""


ENVIRONMENT = """\
environment:
  LEDGER_HOME           the home: keys, tokens, ledger.json, pgdata/ (default ./var)
  LEDGER_DATABASE_URL   postgresql://… of an existing server (default: the home's embedded one)
  LEDGER_ROOT_KEYS      pinned root keys, id=base64url[@N][,…] (default: the home's ledger.json)
  LEDGER_PROJECTIONS    off: `ledger serve` leaves the projections to `ledger project`
  LEDGER_DASHBOARD_KEY  file of the seed the dashboard signs dispositions with
                        (default: the home's secrets/dashboard.key)
  LEDGER_INGEST_THREADS `ledger serve`'s threads per process parsing appends (default 4)
  LEDGER_INLINE_BODY    bytes: smaller appends are parsed on the event loop (default 16384)"""


def _verb(sub: Any, name: str, text: str) -> argparse.ArgumentParser:
    """A verb whose own --help opens with the line the verb list shows; its parser is the
    namespace's ``verb_parser`` (to name its options in a refusal, and its usage errors)."""
    parser = sub.add_parser(name, help=text, description=text)
    parser.set_defaults(verb_parser=parser)
    return parser


def build_parser() -> argparse.ArgumentParser:
    from ledger.config import DEFAULT_ORIGIN
    parser = argparse.ArgumentParser(prog="ledger", description=DESCRIPTION, epilog=ENVIRONMENT,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = _verb(sub, "init", "create the home, or check it again: database, root and log keys, "
              "admin token, dashboard key (idempotent)")
    p.add_argument("--origin", metavar="NAME",
                   help="name the log when the home is made: the first line of every signed "
                        "checkpoint, a URL without its scheme such as "
                        "zfj.example.gov.cn/integrity-ledger (default "
                        f"{DEFAULT_ORIGIN}); fixed from then on")
    p.set_defaults(func=cmd_init)

    p = _verb(sub, "serve", "serve the HTTP API, the dashboard (/ui/) and the public pages "
              "(/public/); Ctrl-C stops it")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1)")
    p.add_argument("--port", type=tcp_port, default=8000, help="TCP port (default 8000)")
    p.add_argument("--workers", type=positive_int, default=1,
                   help="HTTP worker processes sharing the port (default 1)")
    p.add_argument("--log-level", default="warning", type=str.lower,
                   choices=["critical", "error", "warning", "info", "debug", "trace"],
                   help="uvicorn's log level (default warning)")
    p.add_argument("--demo-on-first-start", action="store_true",
                   help="load the small synthetic city the first time this home is served")
    p.set_defaults(func=cmd_serve)

    tokens = _verb(sub, "tokens", "bearer tokens: create, list, revoke").add_subparsers(
        dest="sub", required=True)
    p = _verb(tokens, "create", "create a token and print it (only its SHA-256 is stored)")
    p.add_argument("--principal", required=True,
                   help="who holds it; an inspector who is also an officer: their officer id")
    p.add_argument("--role", action="append", required=True,
                   help="poster, inspector, auditor or admin (repeatable)")
    p.add_argument("--unit", action="append", help="restrict an inspector to a unit (repeatable)")
    p.set_defaults(func=cmd_tokens_create)
    p = _verb(tokens, "list", "list tokens (id, principal, roles, units, created; never the "
              "token)")
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(func=cmd_tokens_list)
    p = _verb(tokens, "revoke", "revoke tokens: one, by id, or all of a principal's")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--token", help="the token itself")
    which.add_argument("--id", help="its id as `ledger tokens list` shows it (8+ hex digits)")
    which.add_argument("--principal", help="every token of this principal")
    p.set_defaults(func=cmd_tokens_revoke)

    keys = _verb(sub, "keys", "signing keys: register, revoke, list, rotate-root").add_subparsers(
        dest="sub", required=True)
    p = _verb(keys, "register", "register a signing key: a KeyRegistered event on stream "
              "`keys`, signed by the home's root key")
    p.add_argument("--key-id", required=True, help="the key's id; events name it as "
                   "signer key:<id>")
    p.add_argument("--principal", required=True,
                   help="the system or person holding it, e.g. unit:SH-HP-01/case-app")
    p.add_argument("--role", action="append", required=True,
                   help="what it may sign, e.g. case-app, officer-device, finance, inspector "
                   "(repeatable; the roles and their event types: docs/events.md)")
    p.add_argument("--public-key", help="base64url public key; omit to generate a key pair")
    p.add_argument("--out", help="where to write a generated seed (default: "
                   "$LEDGER_HOME/secrets/<key-id>.key)")
    p.add_argument("--not-before", metavar="T", help="valid from T (RFC 3339 with offset)")
    p.add_argument("--not-after", metavar="T", help="valid until T (RFC 3339 with offset)")
    p.add_argument("--unit", action="append", metavar="U",
                   help="an inspector key of unit U: it may dispose only of U's red flags "
                   "(repeatable; omit for every unit; docs/red-flags.md, RF28)")
    p.set_defaults(func=cmd_keys_register)
    p = _verb(keys, "revoke", "revoke a signing key (a lost or stolen device): a KeyRevoked "
              "event on stream `keys`, signed by the home's root key, in force from its log "
              "position")
    p.add_argument("--key-id", required=True, help="the registered key's id")
    p.add_argument("--reason", required=True, help="why, recorded in the event (e.g. "
                   "'device lost'); at most 500 characters")
    p.set_defaults(func=cmd_keys_revoke)
    p = _verb(keys, "list", "list the key registry: id, principal, roles, units, window, "
              "state (active, revoked at index N, expired, not yet valid)")
    p.add_argument("--json", action="store_true", help="as JSON (the document GET /v1/keys "
                   "answers with)")
    p.set_defaults(func=cmd_keys_list)
    p = _verb(keys, "rotate-root", "replace the root key (suspected copied, or policy): a new "
              "root-N pinned in ledger.json, the old one retired from the log's size now — it "
              "signs nothing recorded from there on (docs/architecture.md)")
    p.set_defaults(func=cmd_keys_rotate_root)

    log = _verb(sub, "log", "the log's checkpoint-signing key").add_subparsers(
        dest="sub", required=True)
    p = _verb(log, "rotate-key", "replace the log key (suspected compromise, or policy): a new "
              "secrets/log.key pinned in ledger.json, the old one kept there as retired; then "
              "copy both to every host and restart it (docs/merkle.md)")
    p.set_defaults(func=cmd_log_rotate_key)

    p = _verb(sub, "export", "write an audit bundle (JSON Lines, docs/bundle.md)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", help="one case: stream case:<ID>")
    which.add_argument("--stream", help="any one stream, e.g. officer:SH-HP-0042")
    which.add_argument("--from", dest="from_time", metavar="T",
                       help="events recorded at or after T (RFC 3339 with offset; with --to)")
    which.add_argument("--officer", help="an officer's audit trail: their stream, pledges, the "
                       "cases they acted in, complaints naming them")
    which.add_argument("--unit", help="a unit's audit trail: its cases, officers, complaints")
    which.add_argument("--all", action="store_true", help="the whole log, every leaf")
    p.add_argument("--to", dest="to_time", metavar="T", help="events recorded before T")
    p.add_argument("--tree-size", type=positive_int, help="use the existing checkpoint of this "
                   "size (default: a fresh checkpoint of the whole log)")
    p.add_argument("--since-size", type=positive_int, metavar="N",
                   help="embed a consistency proof from the tree of size N")
    p.add_argument("--out", required=True, help="the bundle file ('-' for standard output)")
    p.set_defaults(func=cmd_export)

    p = _verb(sub, "verify", "verify a bundle offline (exit 0 valid, 1 failed, 2 unreadable "
              "or usage)")
    from ledger.verify.command import add_arguments
    add_arguments(p)
    p.set_defaults(func=cmd_verify)

    p = _verb(sub, "project", "run the projections in their own process (serve with "
              "LEDGER_PROJECTIONS=off); Ctrl-C stops it")
    p.set_defaults(func=cmd_project)

    p = _verb(sub, "flags", "recompute the red flags of a bundle, offline (JSON Lines on "
              "standard output)")
    p.add_argument("file", help="the bundle (JSON Lines); '-' reads standard input")
    p.add_argument("--at", help="evaluation instant, RFC 3339 (default: now); use the service's "
                   "evaluated_at to reproduce its flags")
    p.set_defaults(func=cmd_flags)

    from ledger.synth.cli import add_parser as add_demo_parser
    add_demo_parser(sub)

    p = _verb(sub, "rebuild", "empty the read models and red flags and fold the whole log "
              "again (stop `ledger serve` or `ledger project` first)")
    # One transaction; every state is held in memory and written once (BENCHMARKS.md).
    p.add_argument("--batch", type=positive_int, default=100_000,
                   help="events read from the database at a time (≥ 1)")
    p.set_defaults(func=cmd_rebuild)

    p = _verb(sub, "sign", "print a signed envelope (to pipe into curl); it checks no "
              "schema: the service does")
    p.add_argument("--key", required=True, help="file holding the base64url seed")
    p.add_argument("--key-id", required=True, help="the registered key's id")
    p.add_argument("--stream", required=True, help="<kind>:<id>, e.g. case:SH-HP-2024-000123")
    p.add_argument("--type", required=True, help="the event type, e.g. ClueRegistered "
                   "(docs/events.md)")
    p.add_argument("--body", required=True, help="the body as JSON")
    p.add_argument("--event-id", help="the idempotency key (default: a new UUIDv7)")
    p.add_argument("--occurred-at", metavar="T",
                   help="when it happened, RFC 3339 with offset (default: now)")
    p.set_defaults(func=cmd_sign)
    return parser

