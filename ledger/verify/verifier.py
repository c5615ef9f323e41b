"""Offline verification of an audit bundle (docs/bundle.md §Verification), in one streaming pass.

The numbered steps are those of docs/bundle.md:

1. the checkpoint note is signed by a pinned log key and names the pinned origin;
2. every envelope signature verifies under libsodium's strict rules over the RFC 8785 bytes of
   the envelope without ``sig``;
3. the signer's key was valid at the event's log position (registered before it, not revoked
   before it, ``recorded_at`` inside its window, a role allowed for the type), judged against
   stream ``keys`` whole up to the head the checkpoint's keys line names (keyshead.py);
4. every stream's hash chain links, with gaps, insertions and reorderings named, and no event
   id occurs twice;
5. every log entry hashes to its receipt's leaf hash;
6. every event is included in the checkpoint (its proof, or the root recomputed from every leaf
   of a whole-log bundle);
7. with an older checkpoint, the bundle's checkpoint is consistent with it.

A bundle that holds its streams whole (case, stream, officer, unit) must end each at the head
the log key signed for it in the end line's ``heads`` (streamheads.py), when it has one.
A time bundle's boundary witnesses (the end line's ``edges``) are checked at the end (edges.py).

The file is read in blocks, and what is kept is each stream's chain head, the key registry,
the Merkle frontier, the failures found (capped) and the event ids seen (~78 bytes each).
Steps 2, 5 and 6 run in a pool of worker processes, a block at a time; the main process folds
their results in bundle order.
"""

from __future__ import annotations

import json
import os
import stat
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

from .. import merkle
from ..checkpoint import Checkpoint, open_checkpoint
from ..crypto import b64url_decode
from ..crypto import verify as ed25519_verify
from ..errors import BadSignature, LedgerError, VerificationError
from ..keyshead import KeysHead
from . import format as fmt
from . import jcs
from .chains import StreamChains
from .edges import check_edges
from .errors import BundleFailed, InvalidBundle, Summary
from .keyshead import KeysStream
from .progress import Progress
from .registry import KEY_EVENT_TYPES, KEYS_STREAM, Registry
from .seen import SeenIds
from .streamheads import HeldStreams, check_heads
from .trust import Trust, signer_roles_from
from .worker import (BAD, BODY, CHAIN, EVENT_ID, INDEX, KIND, LINE, REASONS, RECORDED_AT, STREAM,
                     VERSION, Context, check_chunk, init_worker, is_date_time, pooled_chunk)

BLOCK_SIZE = 1 << 21          # bytes per work unit (~3,000 events)
INLINE_BELOW = 4 << 20        # smaller bundles are checked in-process
MAX_REPORTED = 10_000         # failing events reported one per line; the rest are counted
_KEYS_MARK = b'"stream":"keys"'
#: Scopes that hold their streams whole, from version 1: an anchor there would let a bundle
#: leave out a stream's first events.
_WHOLE_STREAMS = ("case", "stream", "officer", "unit")
_REPLAYED = ("event id already appears earlier in the bundle (the ledger records an event once: "
             "a replayed or duplicated event)")


class _Report:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.general: list[str] = []
        self.events: dict[int, tuple[str | None, list[str]]] = {}
        self.more = 0

    def add(self, index: int, event_id: str | None, reasons: list[str]) -> None:
        entry = self.events.get(index)
        if entry is None:
            if len(self.events) >= self.cap:
                self.more += 1
                return
            self.events[index] = (event_id, list(reasons))
        else:
            if entry[0] is None and event_id is not None:
                self.events[index] = entry = (event_id, entry[1])
            entry[1].extend(r for r in reasons if r not in entry[1])

    def line(self, text: str) -> None:
        if len(self.general) < self.cap:
            self.general.append(text)
        else:
            self.more += 1

    def lines(self) -> list[str]:
        out = list(self.general)
        for index in sorted(self.events):
            event_id, reasons = self.events[index]
            who = f"index {index}" + (f" event {event_id}" if event_id else "")
            out.append(f"{who}: {'; '.join(reasons)}")
        return [_escaped(line) for line in out]


def _escaped(line: str) -> str:
    """``line`` with every unprintable character escaped as Python would (``\\n``, ``\\ud800``):
    reasons quote the bundle's unsigned text (its header's scope), and a line break there would
    print a report line of the bundle's choosing, a lone surrogate crash the output."""
    if line.isprintable():
        return line
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)


def verify_bundle(source: str | Path | BinaryIO, trust: Trust, *, since: str | None = None,
                  workers: int | None = None, progress: bool = False) -> Summary:
    """Verify a bundle file (or binary stream) against pinned ``trust``.

    ``since`` is an older signed checkpoint note to prove consistency with (step 7).
    ``workers`` processes check lines (default: one per CPU, but bundles under 4 MiB are
    checked in-process; 0 or 1: in-process).
    Returns a Summary if every check passes; raises BundleFailed listing every failure, or
    InvalidBundle if the input is not a readable bundle.
    """
    with ExitStack() as stack:
        if isinstance(source, (str, Path)):
            try:
                f: BinaryIO = stack.enter_context(open(source, "rb"))
            except OSError as e:
                raise InvalidBundle(f"cannot read {source}: {e.strerror}") from None
        else:
            f = source
        try:
            info = os.fstat(f.fileno())
            total = info.st_size if stat.S_ISREG(info.st_mode) else None
        except (OSError, AttributeError, ValueError):
            total = None
        verification = _Verification(trust, since=since)
        with verification.seen:                 # its spilled runs are temporary files
            return verification.run(f, total, workers=workers, progress=progress)
    raise AssertionError("unreachable")  # pragma: no cover


class _Verification:
    def __init__(self, trust: Trust, *, since: str | None) -> None:
        self.trust = trust
        self.since_note = since
        self.report = _Report(MAX_REPORTED)
        self.notices: list[str] = []
        self.registry = Registry(trust.roots, retired=trust.root_retired)
        self.chains = StreamChains()
        self.root = merkle.StreamingRoot()
        self.leaves: list[bytes] = []    # whole log: leaves folded in order, not yet in the root
        # the keys workers verify with: pinned roots, then each id's first registration
        self.prescan: dict[str, bytes] = dict(trust.roots)
        self.ambiguous: set[str] = set()
        self._sent: tuple[dict[str, bytes], frozenset[str]] | None = None
        self.events = self.anchors = self.key_events = 0
        self.next_index = 0           # whole log: the index expected next
        self.last_index = -1
        self.last_recorded: tuple[str, int] | None = None
        self.scope_next: int | None = None    # time scope: the in-range index expected next
        self.span: tuple[int, int] | None = None  # time scope: lowest, highest in-range index
        self.end: dict[str, Any] | None = None
        self.old: Checkpoint | None = None
        self.keys_head: KeysHead | None = None       # named by the checkpoint's keys line
        self.old_keys_head: KeysHead | None = None   # by the older checkpoint's (--since)
        self.keys_line_bad = False
        self.old_root_seen: bytes | None = None
        self.last_byte = b"\n"          # of the last block read
        # Every event id with its log index, sorted externally (memory bounded, seen.py): the
        # ledger records an id once, so an id at a second index is a replay (named at the end).
        self.seen = SeenIds()

    # -- reading ---------------------------------------------------------------------------
    def run(self, f: BinaryIO, total: int | None, *, workers: int | None,
            progress: bool) -> Summary:
        first = _line(f, 1, "header")
        header = self._header(first)
        second = _line(f, 2, "checkpoint")
        checkpoint = self._checkpoint(second)
        done = len(first) + len(second) + 2      # bytes read, for the progress bar
        self.tree_size = checkpoint.size
        self.whole_log = header["scope"]["kind"] == "all"
        self._old_checkpoint()
        self.keys = KeysStream(checkpoint.size,
                               self.old.size if self.old is not None and self.old_keys_head
                               is not None else None)
        self.held = HeldStreams(checkpoint.size)
        line_no, pending = 3, _readline(f, 3)
        consistency = None
        if pending.startswith(b'{"first":'):
            consistency = self._consistency_line(pending, line_no)
            done += len(pending)
            line_no, pending = 4, _readline(f, 4)
        ctx = Context(root=checkpoint.root_hash, tree_size=checkpoint.size,
                      whole_log=self.whole_log)
        self.line_no = line_no        # of the first line of the next block to fold
        n_workers = (os.cpu_count() or 1) if workers is None else workers
        inline = n_workers <= 1 or (workers is None and total is not None
                                    and total < INLINE_BELOW)
        bar = Progress(total, enabled=progress)
        if inline:
            for blob, size in _blocks(f, pending):
                self.last_byte = blob[-1:]
                self._prescan(blob)
                self._fold_all(check_chunk(ctx, blob, self.prescan,
                                           frozenset(self.ambiguous)))
                done += size
                bar.update(done, self.events)
        else:
            done = self._pooled(f, pending, ctx, n_workers, bar, done)
        bar.finish(done, self.events)
        self._finish(checkpoint, consistency)
        summary = Summary(scope=self.shown_scope, tree_size=checkpoint.size, events=self.events,
                          anchors=self.anchors, key_events=self.key_events,
                          streams=len(self.chains), since_size=self.old.size if self.old else None,
                          notices=tuple(self.notices))
        lines = self.report.lines()
        if lines or self.report.more:
            raise BundleFailed(lines, summary, more=self.report.more)
        return summary

    def _pooled(self, f: BinaryIO, pending: bytes, ctx: Context, n_workers: int, bar: Progress,
                done: int) -> int:
        import multiprocessing

        try:
            mp = multiprocessing.get_context("fork")
        except ValueError:
            mp = multiprocessing.get_context()
        window: deque[tuple[Any, int]] = deque()
        with mp.Pool(n_workers, initializer=init_worker, initargs=(ctx,)) as pool:
            for blob, size in _blocks(f, pending):
                self.last_byte = blob[-1:]
                keys, ambiguous = self._prescan(blob)
                window.append((pool.apply_async(pooled_chunk, (blob, keys, ambiguous)),
                               size))
                if len(window) > 2 * n_workers:
                    result, size = window.popleft()
                    self._fold_all(result.get())
                    done += size
                    bar.update(done, self.events)
            while window:
                result, size = window.popleft()
                self._fold_all(result.get())
                done += size
                bar.update(done, self.events)
        return done

    def _header(self, line: bytes) -> dict[str, Any]:
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
            self.report.line("line 1: bundle line is not canonical JSON")
        scope, log, policy = header.get("scope"), header.get("log"), header.get("policy")
        if not (isinstance(scope, dict) and isinstance(scope.get("kind"), str)
                and isinstance(log, dict) and type(log.get("tree_size")) is int   # not a bool
                and isinstance(log.get("origin"), str)):
            raise InvalidBundle("bundle header lacks scope.kind, log.origin or log.tree_size")
        if self.trust.signer_roles is not None:
            self.roles = dict(self.trust.signer_roles)
        else:
            self.roles = signer_roles_from(policy, "bundle header")
            self.notices.append("signer roles were judged against the bundle's own policy "
                                "table (not pinned: pass --policy or pin it in the trust file)")
        if scope["kind"] not in fmt.SCOPE_KINDS:
            # what a scope must hold is checked per kind; of an unknown one nothing can be, and
            # exit 0 would tell a script "the scope, complete" (the events are still verified)
            self.report.line(f"bundle: scope kind {scope['kind']!r} is unknown to "
                             f"this verifier (it knows {', '.join(sorted(fmt.SCOPE_KINDS))}): it "
                             "cannot check that every event of the scope is present")
        self._scope_fields(scope)
        self.shown_scope = self._shown(scope)
        if log["origin"] != self.trust.origin:
            self.report.line(f"bundle: header names log {log['origin']!r}, the pinned origin is "
                             f"{self.trust.origin!r}")
        self.scope = scope
        self.scope_kind = scope["kind"]
        self.header_size = log["tree_size"]
        return header

    def _shown(self, scope: dict[str, Any]) -> dict[str, Any]:
        """The scope as the summary names it: the fields of its kind, which the events are
        judged against. Another field is the header's word alone (it is not signed): an OK line
        repeating it would say, unjudged, that a stream bundle is case C-1's."""
        fields = fmt.SCOPE_FIELDS.get(scope["kind"])
        if fields is None:              # an unknown kind fails the bundle: shown as it came
            return scope
        kind = scope["kind"]
        for name in sorted(set(scope) - set(fields)):
            self.notices.append(f"scope field {name!r} is not a field of scope kind {kind!r} "
                                f"({', '.join(fields)}): it was not checked and is not shown")
        return {name: value for name, value in scope.items() if name in fields}

    def _scope_fields(self, scope: dict[str, Any]) -> None:
        """The header's scope says what the OK line will name: it must say it the exporter's
        way, or the events are judged against something other than what is printed."""
        kind = scope["kind"]
        subject = scope.get(kind) if kind in ("case", "officer", "unit") else ""
        if not isinstance(subject, str):
            # f"case:{None}" is "case:None": a null case would pass as the case "None"
            self.report.line(f"bundle: the scope's {kind} must be a string, found {subject!r}")
        elif kind in ("officer", "unit") and not (isinstance(scope.get("streams"), list)
                                                 and f"{kind}:{subject}" in scope["streams"]):
            # The summary names the subject; the events are judged against the streams, which
            # the exporter takes from the read models, the subject's own stream always among them.
            self.report.line(f"bundle: the scope names {kind} {subject!r}, but its streams do not "
                             f"include {kind + ':' + subject!r} (an officer's or a unit's trail "
                             "holds its own stream)")
        elif kind == "case" and scope.get("stream") != f"case:{scope.get('case')}":
            # The summary names the case; the events are judged against the stream.
            self.report.line(f"bundle: the scope names case {scope.get('case')!r} and stream "
                             f"{scope.get('stream')!r}; a case bundle holds stream "
                             f"{'case:' + str(scope.get('case'))!r}")
        if kind != "time":
            return
        start, stop = scope.get("from"), scope.get("to")
        if not all(isinstance(end, str) and fmt.RECORDED_AT.fullmatch(end)
                   for end in (start, stop)):
            # The range is compared as text: only the fixed-width UTC form orders as time does.
            self.report.line(f"bundle: the time scope's from and to must be UTC in the ledger's "
                             f"form YYYY-MM-DDTHH:MM:SS.ffffffZ, found {start!r} and {stop!r}")
            return
        # The exporter writes two instants, from before to (ledger.bundle.TimeScope.parse); month
        # 95 has the form's digits, and an empty range verifies holding the registry alone.
        for name, end in (("from", start), ("to", stop)):
            if not is_date_time(end.encode("ascii")):
                self.report.line(f"bundle: the time scope's {name} {end!r} is not a real instant")
        if start >= stop:
            self.report.line(f"bundle: the time scope's from {start!r} is not before its to "
                             f"{stop!r}: the range holds no instant")

    def _checkpoint(self, line: bytes) -> Checkpoint:
        try:
            value = jcs.loads(line)
        except jcs.NotCanonical as e:
            raise InvalidBundle(f"line 2 is not a checkpoint line: {e.message}") from None
        if not isinstance(value, dict) or value.get("t") != fmt.CHECKPOINT \
                or not isinstance(value.get("note"), str):
            raise InvalidBundle("line 2 is not a checkpoint line")
        if not _canonical(value, line):
            self.report.line("line 2: bundle line is not canonical JSON")
        # Step 1: the checkpoint is signed by a pinned log key and names the pinned origin.
        try:
            checkpoint = open_checkpoint(value["note"], self.trust.log_keys, self.trust.origin)
        except VerificationError as e:
            self.report.line(f"checkpoint: {e.message}")
            raise BundleFailed(self.report.lines(), Summary(
                scope={}, tree_size=0, events=0, anchors=0, key_events=0, streams=0,
                since_size=None)) from None
        if checkpoint.size != self.header_size:
            self.report.line(f"bundle: header says tree size {self.header_size}, the checkpoint "
                             f"{checkpoint.size}")
        try:
            self.keys_head = KeysHead.of_extensions(checkpoint.extensions)
        except VerificationError as e:      # signed, and wrong: no head to hold the bundle to
            self.keys_line_bad = True
            self.report.line(f"checkpoint: {e.message}")
        return checkpoint

    def _old_checkpoint(self) -> None:
        if self.since_note is None:
            return
        try:
            self.old = open_checkpoint(self.since_note, self.trust.log_keys, self.trust.origin)
        except VerificationError as e:
            self.report.line(f"older checkpoint: {e.message}")
            return
        if self.old.size == 0:
            self.old_root_seen = merkle.EMPTY_ROOT
        try:
            self.old_keys_head = KeysHead.of_extensions(self.old.extensions)
        except VerificationError as e:
            self.report.line(f"older checkpoint: {e.message}")

    def _consistency_line(self, line: bytes, line_no: int) -> dict[str, Any] | None:
        try:
            value = jcs.loads(line.rstrip(b"\n"))
            proof = [bytes.fromhex(h) for h in value["proof"]]
            first, second = value["first"], value["second"]
            if value.get("t") != fmt.CONSISTENCY or not all(
                    type(x) is int for x in (first, second)):
                raise ValueError("not a consistency line")
        except (jcs.NotCanonical, KeyError, TypeError, ValueError) as e:
            self.report.line(f"line {line_no}: malformed consistency line ({e})")
            return None
        if not _canonical(value, line.rstrip(b"\n")):
            self.report.line(f"line {line_no}: bundle line is not canonical JSON")
        return {"first": first, "second": second, "proof": proof}

    def _prescan(self, blob: bytes) -> tuple[dict[str, bytes], frozenset[str]]:
        """Learn the public keys registered in ``blob`` before its lines go to the workers."""
        if _KEYS_MARK in blob:
            for line in blob.split(b"\n"):
                if _KEYS_MARK not in line or b'"KeyRegistered"' not in line:
                    continue
                try:
                    env = jcs.loads_fast(line)["envelope"]
                    if env["stream"] != KEYS_STREAM or env["type"] != "KeyRegistered":
                        continue
                    key_id = env["body"]["key_id"]
                    public = b64url_decode(env["body"]["public_key"], size=32)
                except (jcs.NotCanonical, LedgerError, KeyError, TypeError):
                    continue
                if not isinstance(key_id, str):
                    continue
                known = self.prescan.setdefault(key_id, public)
                if known != public or key_id in self.trust.roots:
                    self.ambiguous.add(key_id)
                self._sent = None
        if self._sent is None:
            self._sent = (dict(self.prescan), frozenset(self.ambiguous))
        return self._sent

    # -- folding, in bundle order ------------------------------------------------------------
    def _fold_all(self, results: list[tuple[Any, ...]]) -> None:
        """Fold one block's results (one per line, numbered from 0 in the block)."""
        for r in results:
            if r[KIND] == fmt.EVENT and self.end is None:    # _fold's answer, asked sooner
                self._event(r)
            else:
                self._fold(r)
        self.line_no += len(results)
        if self.leaves:
            self._grow_root()

    def _grow_root(self) -> None:
        """Step 6 for a whole-log bundle: the leaves folded so far, in order, into the root (a
        block at a time: hashing runs of leaves costs less than one leaf at a time)."""
        leaves, self.leaves = self.leaves, []
        old = self.old
        if old is not None and self.root.size < old.size <= self.root.size + len(leaves):
            cut = old.size - self.root.size
            self.root.extend(leaves[:cut])
            self.old_root_seen = self.root.root()
            leaves = leaves[cut:]
        self.root.extend(leaves)

    def _fold(self, r: tuple[Any, ...]) -> None:
        kind = r[KIND]
        if self.end is not None:
            self.report.line(f"line {self.line_no + r[LINE]}: data after the end line")
            return
        if kind == BAD:
            self.report.line(f"line {self.line_no + r[LINE]}: {r[REASONS][0]}")
            return
        if kind == fmt.END:
            self.end = r[BODY]
            if r[REASONS]:
                self.report.line(f"line {self.line_no + r[LINE]}: {r[REASONS][0]}")
            return
        if kind == fmt.ANCHOR:
            self._anchor(r)
            return
        self._event(r)

    def _anchor(self, r: tuple[Any, ...]) -> None:
        self.anchors += 1
        index = r[INDEX]
        if self.whole_log:
            self.report.line(f"line {self.line_no + r[LINE]}: anchors have no place in a "
                             "whole-log bundle")
        elif self.scope_kind in _WHOLE_STREAMS:
            self.report.add(index, r[EVENT_ID], [f"anchors have no place in a {self.scope_kind} "
                                                 "bundle (its streams start at version 1)"])
        elif self.scope_kind == "time" and isinstance(self.scope.get("from"), str) \
                and r[RECORDED_AT] is not None and r[RECORDED_AT] >= self.scope["from"]:
            # An anchor's signature is not judged: one inside the range would hide an event.
            self.report.add(index, r[EVENT_ID], [f"anchor recorded inside the time range "
                                                 f"({r[RECORDED_AT]}): an event in range is an "
                                                 "event line"])
        if r[REASONS]:
            self.report.add(index, r[EVENT_ID], [f"anchor: {x}" for x in r[REASONS]])
        self.seen.add(r[EVENT_ID], index)
        if r[STREAM] is not None:
            why = self.chains.anchor(r[STREAM], r[VERSION], index, r[CHAIN])
            if why:
                self.report.add(index, r[EVENT_ID], [why])

    def _event(self, r: tuple[Any, ...]) -> None:
        (_, _, index, stream, version, recorded_at, chain, env_hash, leaf, event_id, key_id,
         event_type, sig_ok, checked, body, deferred) = r
        self.events += 1
        if self.scope_kind == "time":
            self._edge_span(index, recorded_at)
        reasons: list[str] = []          # steps 2-4 first, then the workers' (5, 6), then order
        order: list[str] = []
        if index >= self.tree_size:
            order.append(f"log index {index} is beyond the checkpoint (tree size "
                         f"{self.tree_size})")
        if self.whole_log:
            # Step 6 for a whole-log bundle: every leaf, in order, into the root.
            if index != self.next_index:
                if index > self.next_index:
                    missing = (f"index {self.next_index}" if index == self.next_index + 1
                               else f"indices {self.next_index}..{index - 1}")
                    self.report.line(f"log: {missing} missing")
                else:
                    order.append(f"log index {index} appears after index "
                                 f"{self.next_index - 1} (out of order or duplicated)")
            if index >= self.next_index:
                self.next_index = index + 1
            self.leaves.append(leaf)
        elif index <= self.last_index:
            order.append(f"log index {index} appears after index {self.last_index} "
                         "(out of order or duplicated)")
        if index > self.last_index:
            self.last_index = index
        self.seen.add(event_id, index)
        last = self.last_recorded
        if last is not None and recorded_at < last[0]:
            order.append(f"recorded_at {recorded_at} is earlier than {last[0]} at log index "
                         f"{last[1]} (the ledger clock never goes back)")
        elif last is None or recorded_at != last[0]:
            self.last_recorded = (recorded_at, index)

        if stream is not None:
            if event_type is not None:      # None: a malformed envelope, named by step 2 already
                self._judge(index, stream, version, chain, key_id, event_type, recorded_at,
                            sig_ok, deferred, body, reasons)
            if self.scope_kind != "all":
                self._scope(index, stream, recorded_at, reasons)
            # Step 4: the stream's hash chain.
            blames = self.chains.check(stream, version, index, event_id, env_hash, chain)
            if self.scope_kind in _WHOLE_STREAMS:
                self.held.add(stream, version, chain, index)
            for at, eid, why in blames:
                if at is None:
                    self.report.line(why)
                elif at == index:
                    reasons.append(why)
                else:
                    self.report.add(at, eid, [why])
        reasons += checked
        reasons += order
        if reasons:
            self.report.add(index, event_id, reasons)

    def _judge(self, index: int, stream: str, version: int, chain: bytes, key_id: str,
               event_type: str, recorded_at: str, sig_ok: bool | None,
               deferred: tuple[bytes, bytes] | None, body: Any, reasons: list[str]) -> None:
        """Steps 2 (signatures deferred by the workers) and 3, then fold key events."""
        public = self.registry.public_key(key_id)
        if public is not None:
            if deferred is not None:
                try:
                    ed25519_verify(public, deferred[0], deferred[1])
                    sig_ok = True
                except BadSignature:
                    sig_ok = False
            elif sig_ok is not None and public != self.prescan.get(key_id):
                sig_ok = False   # checked with another registration of the id: unproven
        if sig_ok is False:
            reasons.append(f"signature does not verify under key {key_id!r}")
        why = self.registry.judge(key_id=key_id, event_type=event_type, index=index,
                                  recorded_at=recorded_at,
                                  signer_roles=self.roles.get(event_type))
        if why:
            reasons.append(why)
        is_key_event = event_type in KEY_EVENT_TYPES
        if stream == KEYS_STREAM:
            self.keys.add(index, version, chain)
            if not is_key_event:
                reasons.append(f"stream keys holds only {sorted(KEY_EVENT_TYPES)}")
                return
            self.key_events += 1
            if sig_ok and not why:
                applied = self.registry.apply(event_type, body, index)
                if applied:
                    reasons.append(applied)
        elif is_key_event:
            reasons.append(f"{event_type} does not belong on stream {stream}")

    def _scope(self, index: int, stream: str, recorded_at: str, reasons: list[str]) -> None:
        kind = self.scope_kind
        carried = stream == KEYS_STREAM or stream.startswith(fmt.CONFIG_PREFIX) or (
            kind in fmt.FLAG_KINDS and stream.startswith(fmt.FLAG_PREFIX))
        if kind in ("case", "stream"):
            if not carried and stream != self.scope.get("stream"):
                reasons.append(f"stream {stream} is outside the bundle's scope "
                               f"({self.scope.get('stream')})")
        elif kind in ("officer", "unit"):
            streams = self.scope.get("streams")
            if not carried and not (isinstance(streams, list) and stream in streams):
                reasons.append(f"stream {stream} is outside the bundle's scope "
                               f"({kind} {self.scope.get(kind)})")
        elif kind == "time":
            start, stop = self.scope.get("from"), self.scope.get("to")
            inside = isinstance(start, str) and isinstance(stop, str) \
                and start <= recorded_at < stop
            if not inside:
                if stream != KEYS_STREAM:
                    reasons.append(f"recorded_at {recorded_at} is outside the bundle's time "
                                   f"range [{start}, {stop})")
                return
            if self.scope_next is not None and index > self.scope_next:
                missing = (f"index {self.scope_next}" if index == self.scope_next + 1
                           else f"indices {self.scope_next}..{index - 1}")
                self.report.line(f"log: {missing} missing from the time range")
            self.scope_next = index + 1

    # -- the end ------------------------------------------------------------------------------
    def _finish(self, checkpoint: Checkpoint, consistency: dict[str, Any] | None) -> None:
        if self.last_byte != b"\n":
            self.report.line("bundle: the last line does not end in a newline (cut short)")
        if self.end is None:
            self.report.line("bundle: truncated (no end line)")
        elif not _count_is(self.end.get("events"), self.events) \
                or not _count_is(self.end.get("anchors"), self.anchors):
            # as written (JSON): a count "2" or false must not print as the 2 or 0 it is not
            events, anchors = (json.dumps(self.end.get(k)) for k in ("events", "anchors"))
            self.report.line(f"bundle: the end line counts {events} events and {anchors} "
                             f"anchors, the bundle holds {self.events} and {self.anchors}")
        if self.whole_log:
            n = checkpoint.size
            if self.next_index < n:
                missing = (f"index {self.next_index}" if self.next_index == n - 1
                           else f"indices {self.next_index}..{n - 1}")
                self.report.line(f"log: {missing} missing (the checkpoint commits to {n} leaves)")
            root = self.root.root()
            if root != checkpoint.root_hash:
                self.report.line(f"log: the bundle's {self.root.size} leaves hash to root "
                                 f"{root.hex()}, the checkpoint's root is "
                                 f"{checkpoint.root_hash.hex()}")
        for index, event_id, _ in self.seen.duplicates():
            self.report.add(index, event_id, [_REPLAYED])
        self._check_edges(checkpoint)
        self._keys_heads(checkpoint)
        self._stream_heads(checkpoint)
        self._consistency(checkpoint, consistency)

    def _edge_span(self, index: int, recorded_at: str) -> None:
        """Widen the span of the time bundle's in-range event lines (any stream, any envelope)."""
        start, stop = self.scope.get("from"), self.scope.get("to")
        if isinstance(start, str) and isinstance(stop, str) and start <= recorded_at < stop:
            low, high = self.span or (index, index)
            self.span = (min(low, index), max(high, index))

    def _check_edges(self, checkpoint: Checkpoint) -> None:
        """A time bundle's end line proves, by its boundary witnesses, that the range is not cut
        short at either end (edges.py). A range the header states wrongly has failed already."""
        if self.scope_kind != "time" or self.end is None:
            return
        start, stop = self.scope.get("from"), self.scope.get("to")
        if not all(isinstance(x, str) and fmt.RECORDED_AT.fullmatch(x)
                   and is_date_time(x.encode("ascii")) for x in (start, stop)) or start >= stop:
            return
        failures, notices = check_edges(self.end, start, stop, self.span, checkpoint.size,
                                        checkpoint.root_hash)
        for line in failures:
            self.report.line(line)
        self.notices += notices

    def _keys_heads(self, checkpoint: Checkpoint) -> None:
        """The bundle's ``keys`` events are the stream whole, up to the head the checkpoint
        names (and the older checkpoint's, below its size): a scoped bundle can withhold a
        KeyRevoked only where no checkpoint names the registry's head."""
        if self.keys_head is not None:
            if why := self.keys.failure(self.keys_head):
                self.report.line(why)
        elif not self.keys_line_bad and not self.whole_log:
            self.notices.append(f"the checkpoint (tree size {checkpoint.size}) has no keys line, "
                                "so the completeness of the bundle's key registry is not proven "
                                "by it: a withheld KeyRevoked would go unnoticed (a whole-log "
                                "bundle, or a checkpoint signed since the ledger writes the "
                                "line, proves it)")
        if self.old_keys_head is not None and self.old is not None \
                and self.old.size <= checkpoint.size:
            if why := self.keys.failure(self.old_keys_head, "the older checkpoint",
                                        below_bound=True):
                self.report.line(why)

    def _stream_heads(self, checkpoint: Checkpoint) -> None:
        """A bundle that holds its streams whole ends each at the head the log key signed
        for it (the end line's ``heads``): else a stream's latest events could be left out."""
        heads = None if self.end is None else self.end.get("heads")
        if self.scope_kind not in _WHOLE_STREAMS:
            if heads is not None:
                self.notices.append(f"the end line's heads were not checked: a "
                                    f"{self.scope_kind} bundle holds no stream whole by scope")
            return
        if heads is None:
            if self.end is not None:
                self.notices.append("the end line carries no signed heads, so that the bundle "
                                    "holds the latest events of its streams is not proven: a "
                                    "stream's withheld tail would go unnoticed (export where "
                                    "the log key is held, or audit a whole-log bundle)")
            return
        for why in check_heads(heads, self.trust.log_keys, checkpoint, self.held):
            self.report.line(why)

    def _consistency(self, checkpoint: Checkpoint, consistency: dict[str, Any] | None) -> None:
        # Step 7: the older checkpoint is a prefix of this one.
        old = self.old
        if old is None:
            if consistency is not None and self.since_note is None:
                self.notices.append(f"the bundle carries a consistency proof from size "
                                    f"{consistency['first']}; pass --since to check it")
            return
        what = f"not consistent with the older checkpoint (size {old.size})"
        if old.size > checkpoint.size:
            self.report.line(f"checkpoint: {what}: it is larger than this one (size "
                             f"{checkpoint.size}): the log was truncated or forked")
            return
        if self.whole_log and self.old_root_seen is not None:
            if self.old_root_seen != old.root_hash:
                self.report.line(f"checkpoint: {what}: the bundle's first {old.size} leaves hash "
                                 f"to {self.old_root_seen.hex()}, the older checkpoint says "
                                 f"{old.root_hash.hex()} (a fork)")
            return
        if old.size == checkpoint.size:
            if old.root_hash != checkpoint.root_hash:
                self.report.line(f"checkpoint: {what}: same size, different roots (a fork)")
            return
        if old.size == 0:
            # The empty tree is a prefix of every tree: RFC 9162 has no proof from it (and the
            # exporter writes none), so only its root is checked.
            if old.root_hash != merkle.EMPTY_ROOT:
                self.report.line(f"checkpoint: {what}: its root {old.root_hash.hex()} is not the "
                                 f"empty tree's {merkle.EMPTY_ROOT.hex()}")
            return
        if consistency is None or consistency["first"] != old.size \
                or consistency["second"] != checkpoint.size:
            self.report.line(f"checkpoint: the bundle carries no consistency proof from size "
                             f"{old.size} to {checkpoint.size} (export with --since-size "
                             f"{old.size})")
            return
        try:
            merkle.verify_consistency(old.size, checkpoint.size, consistency["proof"],
                                      old.root_hash, checkpoint.root_hash)
        except merkle.MerkleProofError as e:
            self.report.line(f"checkpoint: {what}: {e.message}")


def _count_is(claimed: Any, counted: int) -> bool:
    """A count in the bundle equals ours and is an integer (JSON true is no 1)."""
    return type(claimed) is int and claimed == counted


def _canonical(value: Any, line: bytes) -> bool:
    """Whether ``line`` is exactly the RFC 8785 form of ``value``, its parse."""
    try:
        return jcs.dumps_trusted(value) == line
    except jcs.NotCanonical:
        return False


def _line(f: BinaryIO, number: int, what: str) -> bytes:
    line = _readline(f, number)
    if not line:
        raise InvalidBundle(f"the bundle ends before its {what} line (line {number})")
    return line.rstrip(b"\n")


def _readline(f: BinaryIO, number: int) -> bytes:
    """Line ``number`` of ``f`` (with its newline), or b"" at the end; raises InvalidBundle
    once more than fmt.MAX_LINE bytes of it are read."""
    line = f.readline(fmt.MAX_LINE + 1)
    if len(line) > fmt.MAX_LINE:
        raise _too_long(f"line {number}")
    return line


def _too_long(where: str) -> InvalidBundle:
    return InvalidBundle(fmt.too_long(where))


def _blocks(f: BinaryIO, pending: bytes) -> Iterator[tuple[bytes, int]]:
    """Blocks of whole lines: (bytes, bytes consumed). They are not counted here (a pass over
    every byte): each comes back as one result per line."""
    # The pieces of a line that spans blocks, joined once its end comes (appending each block
    # to all before it would copy a line of n blocks n²/2 times).
    pieces = [pending]
    held = len(pending)         # bytes of the line the pieces hold, not yet ended
    read = len(pending)         # bytes of the events (the lines after the checkpoint) read
    while True:
        data = f.read(BLOCK_SIZE)
        if not data:
            break
        first = data.find(b"\n")
        if held + (len(data) if first < 0 else first) > fmt.MAX_LINE:
            raise _too_long(f"the line starting {read - held:,} bytes after the checkpoint line")
        read += len(data)
        cut = data.rfind(b"\n")
        if cut < 0:
            pieces.append(data)
            held += len(data)
            continue
        # one copy of the block, not one to append it and another to cut it
        pieces.append(memoryview(data)[:cut + 1])
        blob = b"".join(pieces)
        pieces = [data[cut + 1:]]
        held = len(pieces[0])
        yield blob, len(blob)
    rest = b"".join(pieces)
    if rest:
        yield rest, len(rest)
