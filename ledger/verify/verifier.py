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

Step 1 and the lines before the events are preamble.py's; step 7 is consistency.py's.
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
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

from .. import merkle
from ..crypto import b64url_decode
from ..crypto import verify as ed25519_verify
from ..errors import BadSignature, LedgerError
from . import format as fmt
from . import jcs
from .chains import StreamChains
from .consistency import judge_consistency
from .edges import judge_edges
from .errors import BundleFailed, InvalidBundle, Summary
from .format import WHOLE_STREAMS
from .keyshead import KeysStream
from .lines import blocks
from .preamble import Preamble, read_preamble
from .progress import Progress
from .registry import KEY_EVENT_TYPES, KEYS_STREAM, Registry
from .report import Report
from .seen import SeenIds
from .streamheads import HeldStreams, judge_heads
from .trust import Trust
from .worker import (
    BAD,
    BODY,
    CHAIN,
    EVENT_ID,
    INDEX,
    KIND,
    LINE,
    REASONS,
    RECORDED_AT,
    STREAM,
    VERSION,
    Context,
    check_chunk,
    init_worker,
    pooled_chunk,
)

INLINE_BELOW = 4 << 20        # smaller bundles are checked in-process
MAX_REPORTED = 10_000         # failing events reported one per line; the rest are counted
_KEYS_MARK = b'"stream":"keys"'
_REPLAYED = ("event id already appears earlier in the bundle (the ledger records an event once: "
             "a replayed or duplicated event)")


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
        self.report = Report(MAX_REPORTED)
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
        self.old_root_seen: bytes | None = None   # whole log: the older checkpoint's leaves'
        self.last_byte = b"\n"          # of the last block read
        # Every event id with its log index, sorted externally (memory bounded, seen.py): the
        # ledger records an id once, so an id at a second index is a replay (named at the end).
        self.seen = SeenIds()

    # -- reading ---------------------------------------------------------------------------
    def run(self, f: BinaryIO, total: int | None, *, workers: int | None,
            progress: bool) -> Summary:
        pre = read_preamble(f, self.trust, self.since_note, self.report, self.notices)
        checkpoint, self.old, self.roles = pre.checkpoint, pre.old, pre.roles
        self.scope, self.scope_kind = pre.scope, pre.scope["kind"]
        self.tree_size = checkpoint.size
        self.whole_log = self.scope_kind == "all"
        if self.old is not None and self.old.size == 0:
            self.old_root_seen = merkle.EMPTY_ROOT
        self.keys = KeysStream(checkpoint.size, pre.old.size if pre.old is not None
                               and pre.old_keys_head is not None else None)
        self.held = HeldStreams(checkpoint.size)
        done, pending = pre.size, pre.next_line     # bytes read, for the progress bar
        ctx = Context(root=checkpoint.root_hash, tree_size=checkpoint.size,
                      whole_log=self.whole_log)
        self.line_no = pre.next_line_no     # of the first line of the next block to fold
        n_workers = (os.cpu_count() or 1) if workers is None else workers
        inline = n_workers <= 1 or (workers is None and total is not None
                                    and total < INLINE_BELOW)
        bar = Progress(total, enabled=progress)
        if inline:
            for blob, size in blocks(f, pending):
                self.last_byte = blob[-1:]
                self._prescan(blob)
                self._fold_all(check_chunk(ctx, blob, self.prescan,
                                           frozenset(self.ambiguous)))
                done += size
                bar.update(done, self.events)
        else:
            done = self._pooled(f, pending, ctx, n_workers, bar, done)
        bar.finish(done, self.events)
        self._finish(pre)
        summary = Summary(scope=pre.shown_scope, tree_size=checkpoint.size, events=self.events,
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
            for blob, size in blocks(f, pending):
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
        elif self.scope_kind in WHOLE_STREAMS:
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
            if self.scope_kind in WHOLE_STREAMS:
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
    def _finish(self, pre: Preamble) -> None:
        checkpoint = pre.checkpoint
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
        judged = [judge_edges(self.scope, self.end, self.span, checkpoint),
                  self.keys.judge(pre.keys_head, pre.keys_line_bad, size=checkpoint.size,
                                  whole_log=self.whole_log, old_head=pre.old_keys_head,
                                  old_size=None if self.old is None else self.old.size),
                  judge_heads(self.scope_kind, self.end, self.trust.log_keys, checkpoint,
                              self.held),
                  judge_consistency(checkpoint, self.old, self.since_note is not None,
                                    pre.consistency,
                                    self.old_root_seen if self.whole_log else None)]
        for failures, notices in judged:
            for line in failures:
                self.report.line(line)
            self.notices += notices

    def _edge_span(self, index: int, recorded_at: str) -> None:
        """Widen the span of the time bundle's in-range event lines (any stream, any envelope)."""
        start, stop = self.scope.get("from"), self.scope.get("to")
        if isinstance(start, str) and isinstance(stop, str) and start <= recorded_at < stop:
            low, high = self.span or (index, index)
            self.span = (min(low, index), max(high, index))


def _count_is(claimed: Any, counted: int) -> bool:
    """A count in the bundle equals ours and is an integer (JSON true is no 1)."""
    return type(claimed) is int and claimed == counted
