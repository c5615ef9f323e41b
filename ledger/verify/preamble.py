"""The lines before a bundle's events, judged: the header (line 1), the checkpoint the log key
signed (line 2, step 1), the consistency proof when one follows (line 3), and the older
checkpoint an auditor gives (``--since``, step 7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from ..checkpoint import Checkpoint, open_checkpoint
from ..errors import VerificationError
from ..keyshead import KeysHead
from . import format as fmt
from . import jcs
from .errors import BundleFailed, InvalidBundle, Summary
from .lines import read_line, readline
from .report import Report
from .trust import Trust, signer_roles_from
from .worker import is_date_time


@dataclass(frozen=True, slots=True)
class Preamble:
    scope: dict[str, Any]                 # the header's, as it came
    shown_scope: dict[str, Any]           # the fields of its kind, which the summary names
    roles: dict[str, frozenset[str]]      # who may sign each event type: pinned, or the bundle's
    checkpoint: Checkpoint
    keys_head: KeysHead | None            # named by the checkpoint's keys line
    keys_line_bad: bool                   # the checkpoint's keys line is signed and wrong
    old: Checkpoint | None                # the older checkpoint, when given and signed
    old_keys_head: KeysHead | None        # named by its keys line
    consistency: dict[str, Any] | None    # the bundle's consistency line: first, second, proof
    next_line: bytes                      # the line after these (with its newline), or b""
    next_line_no: int
    size: int                             # bytes read before next_line


def read_preamble(f: BinaryIO, trust: Trust, since: str | None, report: Report,
                  notices: list[str]) -> Preamble:
    """Read and judge the lines before the events; what fails goes to ``report``. Raises
    InvalidBundle if they are not a bundle's, BundleFailed if the checkpoint is not signed."""
    first = read_line(f, 1, "header")
    scope, shown, roles, header_size = _header(first, trust, report, notices)
    second = read_line(f, 2, "checkpoint")
    checkpoint, keys_head, keys_line_bad = _checkpoint(second, trust, header_size, report)
    old, old_keys_head = _older(since, trust, report)
    size = len(first) + len(second) + 2
    line_no, line = 3, readline(f, 3)
    consistency = None
    if line.startswith(b'{"first":'):
        consistency = _consistency_line(line, line_no, report)
        size += len(line)
        line_no, line = 4, readline(f, 4)
    return Preamble(scope=scope, shown_scope=shown, roles=roles, checkpoint=checkpoint,
                    keys_head=keys_head, keys_line_bad=keys_line_bad, old=old,
                    old_keys_head=old_keys_head, consistency=consistency, next_line=line,
                    next_line_no=line_no, size=size)


def _header(line: bytes, trust: Trust, report: Report, notices: list[str],
            ) -> tuple[dict[str, Any], dict[str, Any], dict[str, frozenset[str]], int]:
    """Line 1: (scope, the scope shown, the signer roles, the tree size it names)."""
    if line.startswith(fmt.GZIP_MAGIC):
        raise InvalidBundle(f"line 1 is not a bundle header: {fmt.gzipped('verify')}")
    try:
        header = jcs.loads(line)
    except jcs.NotCanonical as e:
        raise InvalidBundle(f"line 1 is not a bundle header: {e.message}") from None
    if not isinstance(header, dict) or header.get("t") != fmt.HEADER:
        raise InvalidBundle("line 1 is not a bundle header")
    if header.get("spec") != fmt.SPEC_BUNDLE:
        raise InvalidBundle(f"unsupported bundle format {header.get('spec')!r}: this "
                            f"verifier reads {fmt.SPEC_BUNDLE}")
    if not _canonical(header, line):
        report.line("line 1: bundle line is not canonical JSON")
    scope, log, policy = header.get("scope"), header.get("log"), header.get("policy")
    if not (isinstance(scope, dict) and isinstance(scope.get("kind"), str)
            and isinstance(log, dict) and type(log.get("tree_size")) is int   # not a bool
            and isinstance(log.get("origin"), str)):
        raise InvalidBundle("bundle header lacks scope.kind, log.origin or log.tree_size")
    if trust.signer_roles is not None:
        roles = dict(trust.signer_roles)
    else:
        roles = signer_roles_from(policy, "bundle header")
        notices.append("signer roles were judged against the bundle's own policy "
                       "table (not pinned: pass --policy or pin it in the trust file)")
    if scope["kind"] not in fmt.SCOPE_KINDS:
        # what a scope must hold is checked per kind; of an unknown one nothing can be, and
        # exit 0 would tell a script "the scope, complete" (the events are still verified)
        report.line(f"bundle: scope kind {scope['kind']!r} is unknown to "
                    f"this verifier (it knows {', '.join(sorted(fmt.SCOPE_KINDS))}): it "
                    "cannot check that every event of the scope is present")
    _scope_fields(scope, report)
    shown = _shown(scope, notices)
    if log["origin"] != trust.origin:
        report.line(f"bundle: header names log {log['origin']!r}, the pinned origin is "
                    f"{trust.origin!r}")
    return scope, shown, roles, log["tree_size"]


def _shown(scope: dict[str, Any], notices: list[str]) -> dict[str, Any]:
    """The scope as the summary names it: the fields of its kind, which the events are
    judged against. Another field is the header's word alone (it is not signed): an OK line
    repeating it would say, unjudged, that a stream bundle is case C-1's."""
    fields = fmt.SCOPE_FIELDS.get(scope["kind"])
    if fields is None:              # an unknown kind fails the bundle: shown as it came
        return scope
    kind = scope["kind"]
    for name in sorted(set(scope) - set(fields)):
        notices.append(f"scope field {name!r} is not a field of scope kind {kind!r} "
                       f"({', '.join(fields)}): it was not checked and is not shown")
    return {name: value for name, value in scope.items() if name in fields}


def _scope_fields(scope: dict[str, Any], report: Report) -> None:
    """The header's scope says what the OK line will name: it must say it the exporter's
    way, or the events are judged against something other than what is printed."""
    kind = scope["kind"]
    subject = scope.get(kind) if kind in ("case", "officer", "unit") else ""
    if not isinstance(subject, str):
        # f"case:{None}" is "case:None": a null case would pass as the case "None"
        report.line(f"bundle: the scope's {kind} must be a string, found {subject!r}")
    elif kind in ("officer", "unit") and not (isinstance(scope.get("streams"), list)
                                             and f"{kind}:{subject}" in scope["streams"]):
        # The summary names the subject; the events are judged against the streams, which
        # the exporter takes from the read models, the subject's own stream always among them.
        report.line(f"bundle: the scope names {kind} {subject!r}, but its streams do not "
                    f"include {kind + ':' + subject!r} (an officer's or a unit's trail "
                    "holds its own stream)")
    elif kind == "case" and scope.get("stream") != f"case:{scope.get('case')}":
        # The summary names the case; the events are judged against the stream.
        report.line(f"bundle: the scope names case {scope.get('case')!r} and stream "
                    f"{scope.get('stream')!r}; a case bundle holds stream "
                    f"{'case:' + str(scope.get('case'))!r}")
    if kind != "time":
        return
    start, stop = scope.get("from"), scope.get("to")
    if not all(isinstance(end, str) and fmt.RECORDED_AT.fullmatch(end)
               for end in (start, stop)):
        # The range is compared as text: only the fixed-width UTC form orders as time does.
        report.line(f"bundle: the time scope's from and to must be UTC in the ledger's "
                    f"form YYYY-MM-DDTHH:MM:SS.ffffffZ, found {start!r} and {stop!r}")
        return
    # The exporter writes two instants, from before to (ledger.bundle.TimeScope.parse); month
    # 95 has the form's digits, and an empty range verifies holding the registry alone.
    for name, end in (("from", start), ("to", stop)):
        if not is_date_time(end.encode("ascii")):
            report.line(f"bundle: the time scope's {name} {end!r} is not a real instant")
    if start >= stop:
        report.line(f"bundle: the time scope's from {start!r} is not before its to "
                    f"{stop!r}: the range holds no instant")


def _checkpoint(line: bytes, trust: Trust, header_size: int, report: Report,
                ) -> tuple[Checkpoint, KeysHead | None, bool]:
    """Line 2 and step 1: (the checkpoint, the keys head it names, whether its keys line is
    signed and wrong)."""
    try:
        value = jcs.loads(line)
    except jcs.NotCanonical as e:
        raise InvalidBundle(f"line 2 is not a checkpoint line: {e.message}") from None
    if not isinstance(value, dict) or value.get("t") != fmt.CHECKPOINT \
            or not isinstance(value.get("note"), str):
        raise InvalidBundle("line 2 is not a checkpoint line")
    if not _canonical(value, line):
        report.line("line 2: bundle line is not canonical JSON")
    # Step 1: the checkpoint is signed by a pinned log key and names the pinned origin.
    try:
        checkpoint = open_checkpoint(value["note"], trust.log_keys, trust.origin)
    except VerificationError as e:
        report.line(f"checkpoint: {e.message}")
        raise BundleFailed(report.lines(), Summary(
            scope={}, tree_size=0, events=0, anchors=0, key_events=0, streams=0,
            since_size=None)) from None
    if checkpoint.size != header_size:
        report.line(f"bundle: header says tree size {header_size}, the checkpoint "
                    f"{checkpoint.size}")
    try:
        return checkpoint, KeysHead.of_extensions(checkpoint.extensions), False
    except VerificationError as e:      # signed, and wrong: no head to hold the bundle to
        report.line(f"checkpoint: {e.message}")
        return checkpoint, None, True


def _older(since: str | None, trust: Trust, report: Report,
           ) -> tuple[Checkpoint | None, KeysHead | None]:
    """The older checkpoint's note (``--since``): (the checkpoint, the keys head it names)."""
    if since is None:
        return None, None
    try:
        old = open_checkpoint(since, trust.log_keys, trust.origin)
    except VerificationError as e:
        report.line(f"older checkpoint: {e.message}")
        return None, None
    try:
        return old, KeysHead.of_extensions(old.extensions)
    except VerificationError as e:
        report.line(f"older checkpoint: {e.message}")
        return old, None


def _consistency_line(line: bytes, line_no: int, report: Report) -> dict[str, Any] | None:
    try:
        value = jcs.loads(line.rstrip(b"\n"))
        proof = [bytes.fromhex(h) for h in value["proof"]]
        first, second = value["first"], value["second"]
        if value.get("t") != fmt.CONSISTENCY or not all(
                type(x) is int for x in (first, second)):
            raise ValueError("not a consistency line")
    except (jcs.NotCanonical, KeyError, TypeError, ValueError) as e:
        report.line(f"line {line_no}: malformed consistency line ({e})")
        return None
    if not _canonical(value, line.rstrip(b"\n")):
        report.line(f"line {line_no}: bundle line is not canonical JSON")
    return {"first": first, "second": second, "proof": proof}


def _canonical(value: Any, line: bytes) -> bool:
    """Whether ``line`` is exactly the RFC 8785 form of ``value``, its parse."""
    try:
        return jcs.dumps_trusted(value) == line
    except jcs.NotCanonical:
        return False
