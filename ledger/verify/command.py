"""``ledger verify FILE`` (also ``python -m ledger.verify FILE``): exit 0 valid, 1 verification
failed (one line per failing event on stdout), 2 unreadable input or usage (a message on
stderr)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import BundleFailed, InvalidBundle, Summary
from .trust import Trust
from .verifier import verify_bundle


def _positive_int(text: str) -> int:
    """An argparse type: a whole number ≥ 1 (0 or -2 workers would verify in one, silently)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the bundle (JSON Lines); '-' reads standard input")
    p.add_argument("--trust", type=Path,
                   help="pinned keys: a home's ledger.json (default: $LEDGER_HOME/ledger.json)")
    p.add_argument("--log-key", action="append", default=[], metavar="VKEY",
                   help="the log's public key as a C2SP vkey (name+keyid+base64); repeatable")
    p.add_argument("--root-key", action="append", default=[], metavar="ID=B64URL",
                   help="a pinned root public key (base64url); ID=B64URL@N a root retired "
                   "from log index N (ledger keys rotate-root); repeatable")
    p.add_argument("--origin", help="the log's origin (default: the first --log-key's name)")
    p.add_argument("--policy", type=Path,
                   help='pinned signer roles: JSON {"signer_roles": {type: [role, ...]}}')
    p.add_argument("--since", type=Path, metavar="NOTE_FILE",
                   help="an older signed checkpoint note: prove the bundle's log extends it")
    p.add_argument("--workers", type=_positive_int,
                   help="worker processes, at least 1 (default: one per CPU)")
    p.add_argument("--progress", action="store_true",
                   help="progress bar on stderr (default: only when stderr is a terminal)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ledger verify",
                                     description="Verify an Integrity Ledger audit bundle offline.")
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:          # argparse exits 2 on usage errors, as the contract wants
        return int(e.code or 0)
    return run(args)


def trust_from(args: argparse.Namespace) -> Trust:
    """The pinned trust named by the arguments. Raises InvalidBundle (a usage error)."""
    # a pin beside a trust file is refused, not dropped: the auditor meant it to count
    if args.log_key or args.root_key:
        if args.trust is not None:
            raise InvalidBundle("--log-key and --root-key pin the keys without a trust file: "
                                "pass them or --trust FILE, not both")
        trust = Trust.from_args(log_keys=args.log_key, root_keys=args.root_key,
                                origin=args.origin)
    else:
        if args.origin:
            raise InvalidBundle("--origin goes with --log-key; the trust file names the origin")
        if args.trust is not None:
            trust = Trust.from_config(args.trust)
        else:
            # LEDGER_HOME set but empty is the default, as ledger.config reads it
            default = Path(os.environ.get("LEDGER_HOME") or "./var") / "ledger.json"
            if not default.exists():
                raise InvalidBundle(f"no pinned keys: pass --trust FILE, or --log-key and "
                                    f"--root-key (no {default})")
            trust = Trust.from_config(default)
    return trust.with_policy_file(args.policy) if args.policy else trust


def run(args: argparse.Namespace) -> int:
    try:
        trust = trust_from(args)
        since = None
        if args.since is not None:
            try:
                since = args.since.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise InvalidBundle(f"cannot read --since {args.since}: {e}") from None
        source = sys.stdin.buffer if args.file == "-" else args.file
        summary = verify_bundle(source, trust, since=since, workers=args.workers,
                                progress=args.progress or sys.stderr.isatty())
    except InvalidBundle as e:
        print(f"ledger verify: {e.message}", file=sys.stderr)
        return 2
    except BundleFailed as e:
        out = sys.stdout
        for line in e.failures:
            out.write(line + "\n")
        if e.more:
            out.write(f"... and {e.more} more failures\n")
        _notices(e.summary)
        out.write(f"FAILED: {_describe(e.summary)}\n")
        return 1
    _notices(summary)
    sys.stdout.write(f"OK: {_describe(summary)}\n")
    return 0


def _notices(summary: Summary) -> None:
    for notice in summary.notices:
        print(f"note: {notice}", file=sys.stderr)


def _describe(s: Summary) -> str:
    scope = ", ".join(f"{_printable(k)}={_printable(v)}" for k, v in s.scope.items()) or "?"
    text = (f"{s.events} events ({s.key_events} key events) in {s.streams} streams, "
            f"{s.anchors} anchors; scope {scope}; checkpoint tree size {s.tree_size}")
    if s.since_size is not None:
        text += f"; checked against the older checkpoint of tree size {s.since_size}"
    return text


def _printable(value: object) -> str:
    """The bundle's own text as it may be printed: a string holding a line break or a lone
    surrogate (which stdout cannot encode) is shown quoted and escaped."""
    text = str(value)
    return text if text.isprintable() else repr(text)
