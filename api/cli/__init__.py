"""``ledger``: the command line (verbs fixed by DESIGN.md).

This is the composition root, so it sits above every layer; each command imports what it needs
when it runs. Only the standard library is imported at module level (and while the parser is
built), so ``ledger verify`` runs on an auditor's machine with nothing but PyNaCl installed, as
``python -m ledger.verify`` does; the other verbs, ``ledger flags`` included, need the full
install and say so there.

The verbs live by what they work on: ``home`` (init, serve), ``tokens``, ``keys`` (the key
registry, the log key, sign), ``audit`` (export, flags, verify), ``project`` (rebuild,
project); ``parser`` builds the command line and ``common`` holds what they share.
"""

from __future__ import annotations

import os
import sys

from .audit import cmd_export
from .common import refusal
from .parser import build_parser

__all__ = ["build_parser", "main"]

#: the project's packages: a module of theirs missing is a bug, never a verifier-only install
_OWN_PACKAGES = frozenset({"api", "ledger", "projections"})


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.func is cmd_export and bool(args.from_time) != bool(args.to_time) and not (
            args.case or args.stream or args.all or args.officer or args.unit):
        # half a time range beside another scope is two scopes, said as such by cmd_export
        args.verb_parser.error("--from and --to go together")
    from ledger.errors import LedgerError
    try:
        code = args.func(args)
        sys.stdout.flush()         # a closed pipe shows here, not at the interpreter's exit
        return code
    except LedgerError as e:       # refused input (a role, a key, an event): a message, not a trace
        print(f"ledger {args.command}: {refusal(args, e)}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:   # the auditor's verifier-only install (README)
        if (e.name or "").partition(".")[0] in _OWN_PACKAGES:
            raise                  # the wheel holds them all: a bug, not the install
        print(f"ledger {args.command}: this installation lacks the package '{e.name}' this "
              "command needs: an auditor's verifier-only install runs `ledger verify` alone; "
              "install the project with its dependencies for the rest", file=sys.stderr)
        return 2
    except BrokenPipeError:        # the reader of standard output stopped early (| head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # none again at exit
        print(f"ledger {args.command}: standard output was closed early", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

