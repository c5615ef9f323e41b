"""``ledger export``, ``ledger flags`` and ``ledger verify``: audit bundles, written from the
home's database and read offline."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .common import env_settings, home_store, refusal


def cmd_export(args: argparse.Namespace) -> int:
    """Write an audit bundle (docs/bundle.md) for one scope of the log."""
    from ledger.bundle import BundleExport, bundle_scope, require_events
    from ledger.crypto import SigningKey
    from ledger.errors import LedgerError
    from ledger.logview import LogView

    def warn(message: str) -> None:
        print(f"ledger export: warning: {message}", file=sys.stderr)

    settings = env_settings()
    trail = args.officer or args.unit
    try:
        if not trail:
            scope = bundle_scope(case=args.case, stream=args.stream, start=args.from_time,
                                 stop=args.to_time, whole=args.all, names=("--from", "--to"))
        elif args.case or args.stream or args.from_time or args.to_time or args.all \
                or (args.officer and args.unit):
            raise LedgerError("name exactly one scope")
    except LedgerError as e:
        print(f"ledger export: {refusal(args, e)}", file=sys.stderr)
        return 2
    try:
        from ledger.domain import vocabulary as types
    except ImportError:
        types = None
        warn("no event vocabulary installed: the bundle carries no signer-role policy")
    key_path = settings.secrets / "log.key"
    store = home_store(settings, pool_size=2)    # a refusal here is main's to report
    try:
        from api.app import trail_scope, with_flag_streams
        from projections.flagsview import FlagsView
        if trail:
            from projections.readmodels import ReadModels
            scope = trail_scope(ReadModels(store), officer=args.officer, unit=args.unit)
        else:
            require_events(store, scope, case_param="--case ")
        if trail or args.case:
            # a case, officer or unit bundle carries the dispositions of the flags about it
            scope = with_flag_streams(FlagsView(store), scope)
        try:
            log_key = SigningKey(settings.secret("log.key")) if key_path.exists() else None
        except (OSError, UnicodeDecodeError) as e:
            print(f"ledger export: cannot read the log key {key_path}: "
                  f"{getattr(e, 'strerror', None) or e}", file=sys.stderr)
            return 2
        log = LogView(store, origin=settings.log_origin, key_name=settings.log_key_name,
                      signing_key=log_key, retired_keys=settings.log_retired_keys)
        export = BundleExport.prepare(store, log, scope, types=types, tree_size=args.tree_size,
                                      since_size=args.since_size, warn=warn)
        if args.out == "-":
            try:
                export.write(sys.stdout.buffer)
                sys.stdout.buffer.flush()
            except OSError as e:       # the reader stopped early (| head): EPIPE
                # no second broken pipe when the interpreter flushes stdout at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                print(f"ledger export: cannot write standard output: {e.strerror}",
                      file=sys.stderr)
                return 2
        else:
            out = Path(args.out)
            partial = out.with_name(out.name + ".partial")
            try:
                with open(partial, "wb") as f:
                    export.write(f)
                partial.replace(out)
            except OSError as e:
                partial.unlink(missing_ok=True)
                print(f"ledger export: cannot write {out}: {e.strerror}", file=sys.stderr)
                return 2
    except LedgerError as e:
        print(f"ledger export: {refusal(args, e)}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"ledger export: {export.events} events, {export.anchors} anchors, checkpoint tree "
          f"size {export.checkpoint.size} -> {args.out}", file=sys.stderr)
    return 0


def cmd_flags(args: argparse.Namespace) -> int:
    """Recompute the red flags of a bundle offline and print them as JSON Lines."""
    from projections.auditor import (UnreadableBundle, beyond_scope_note, flags_of_bundle,
                                     holds_whole_log, label_note, parse_at, partial_note)
    headers: list[dict[str, Any]] = []
    held: set[str] = set()
    indices: list[int] = []
    try:
        at = parse_at(args.at)
        try:
            f = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
        except OSError as e:
            raise UnreadableBundle(f"cannot read {args.file}: {e.strerror}") from None
        with f:
            flags = flags_of_bundle(f, at, on_header=headers.append, indices=indices,
                                    streams=held)
    except (OSError, ValueError, UnreadableBundle) as e:
        print(f"ledger flags: {e}", file=sys.stderr)
        return 2
    for flag in flags:
        sys.stdout.write(json.dumps(flag.to_value(), ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(flags)} flags at {at.isoformat()}", file=sys.stderr)
    # whole-log-ness is read from the events, not the (unsigned) header's label
    whole = holds_whole_log(headers[0], indices)
    mislabelled = label_note(headers[0], whole)
    if mislabelled:
        print(f"ledger flags: {mislabelled}", file=sys.stderr)
    for note in (partial_note(headers[0], whole, configuration="config" in held,
                              dispositions="flag" in held),
                 beyond_scope_note(whole, flags)):
        if note:
            print(f"note: {note}", file=sys.stderr)
    # a bundle claiming the whole log that does not hold it fails, as ledger verify fails it:
    # its flags are printed (of what it holds) but cannot stand for the service's
    return 1 if mislabelled and not whole else 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify a bundle offline (standard library + PyNaCl only)."""
    from ledger.verify.command import run
    return run(args)

