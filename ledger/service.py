"""The append pipeline: schema → signature → key validity and roles → idempotency → chain and
version → durable commit → receipts.

Parsing and schema checks happen in the caller's thread. Signatures are verified by a verifier
stage that gathers every waiting request and verifies them together — on worker processes when
there are many (``ledger.sigpool``), so verification never waits on the GIL. The decisions that
depend on what is already recorded (idempotency, key validity and revocation, stream versions,
log indices) happen in the writer's transaction under the library's table lock, so several
``ledger serve`` processes sharing one database cannot disagree.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self

import psycopg
from eventsourcing.persistence import PersistenceError

from . import merkle
from .canonical import json_values_bound, parse_canonical_or_strict, parse_strict
from .crypto import verify
from .envelope import MAX_BATCH, Envelope, Receipt
from .errors import (BadSignature, BatchTooLarge, Conflict, LedgerError, MalformedEvent,
                     RolledBack, Unavailable, UnknownKey)
from .grammar import UUID
from .groupcommit import GroupCommitter, HandOff
from .keys import KEY_EVENT_TYPES, KeyRegistry, check_registry_stream, key_record_from_body
from .logentry import (chain_genesis, chain_next, entry_bytes, format_recorded_at,
                       leaf_hash_of_entry, parse_recorded_at)
from .sigpool import SignaturePool
from .store import LedgerStore, StoredRow, stream_uuid

#: times the writer runs a group again that the database rolled back on its own (a deadlock, a
#: serialization failure): nothing of it was written, and each attempt reads afresh under the
#: lock; the group's requests are answered 503 (RolledBack, naming it) when the last fails too
WRITE_RETRIES = 2
_log = logging.getLogger(__name__)
#: JSON values and keys a request may hold, checked before it is parsed: a batch of 1,000
#: ordinary events holds 40,000-70,000, a fine schedule of 1,000 one-band entries 16,000;
#: parsing is what costs (64 MiB of ``{},`` took ~1.9 GB and ~10 s of CPU).
MAX_JSON_VALUES = 1_000_000


class Vocabulary(Protocol):
    """What the pipeline needs to know about event types (ledger.domain.vocabulary)."""

    def lookup(self, type_name: str) -> Any: ...          # has .signer_roles; raises UnknownEventType

    def validate_event(self, type_name: str, stream: str, body: dict[str, Any]) -> list[Any]: ...


@dataclass(slots=True)
class AppendResult:
    receipts: list[Receipt]
    written: int           # how many of them are new (the rest are idempotent replays)


@dataclass(slots=True)
class _Frontier:
    size: int = -1
    nodes: list[tuple[int, int, bytes]] = field(default_factory=list)


@dataclass(slots=True)
class Signed:
    """An envelope of a request with the public key its signature must verify under."""

    index: int
    env: Envelope
    key: bytes
    batched: bool

    def refusal(self) -> BadSignature:
        return BadSignature(f"signature does not verify under key {self.env.key_id!r}",
                            field="sig", index=self.index if self.batched else None,
                            event_id=self.env.event_id)


def _nul_path(value: Any, path: str) -> str | None:
    """The path of the first string in ``value`` holding U+0000 (for an object key: the path of
    its object), or None. The other envelope fields' grammar already excludes it."""
    if type(value) is str:
        return path if "\x00" in value else None
    if type(value) is dict:
        if any("\x00" in k for k in value):
            return path
        return next((p for k, v in value.items() if (p := _nul_path(v, f"{path}.{k}"))), None)
    if type(value) is list:
        return next((p for i, v in enumerate(value) if (p := _nul_path(v, f"{path}[{i}]"))),
                    None)
    return None


def frontier_coords(size: int) -> list[tuple[int, int]]:
    """Perfect subtrees on the right edge of a tree of ``size`` leaves, largest first."""
    coords = []
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            coords.append((level, (size >> level) - 1))
    return coords


class _LostCommit:
    """Around a write transaction: once its insert is sent (`sent`), an Unavailable from its
    commit — the connection lost — may come after the server committed it. The database is
    then asked (`Ledger.committed_after_all`): the group recorded, the error is dropped and the
    writer goes on as committed; else it stands (nothing was written). A rollback the server
    answered with (RolledBack) stands as it is."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._receipts: list[Receipt] = []

    def sent(self, rows: Sequence[tuple[Receipt, str]]) -> None:
        self._receipts = [receipt for receipt, _ in rows]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if not isinstance(error, Unavailable) or isinstance(error, RolledBack) \
                or not self._receipts:
            return False
        if not self._ledger.committed_after_all(self._receipts, error):
            return False
        _log.warning("the connection was lost as %d event(s) committed, and the database holds "
                     "them: answered with their receipts", len(self._receipts))
        return True


class Ledger:
    """The ledger application: one per process, shared by every request."""

    def __init__(self, store: LedgerStore, *, root_keys: dict[str, bytes],
                 retired_roots: dict[str, int] | None = None, types: Vocabulary | None = None,
                 verify_processes: int = 2, max_group_events: int = 5000,
                 write_retries: int = WRITE_RETRIES) -> None:
        if types is None:
            from .domain import vocabulary as types  # the enforcement vocabulary by default
        self.types: Vocabulary = types
        self.store = store
        self.write_retries = write_retries
        self._registry = KeyRegistry(roots=root_keys, retired_roots=retired_roots or {})
        self._registry_lock = threading.Lock()
        self._frontier = _Frontier()
        self._signatures = SignaturePool(verify_processes)
        self.committer: GroupCommitter[list[Envelope]] = GroupCommitter(
            self._commit_group, size_of=len, max_events=max_group_events)
        self._verifier: GroupCommitter[list[Signed]] = GroupCommitter(
            self._verify_group, size_of=len, max_events=max_group_events, name="ledger-verifier")

    def close(self) -> None:
        self._verifier.close()
        self.committer.close()
        self._signatures.close()

    @property
    def registry(self) -> KeyRegistry:
        return self._registry

    # -- 1. parse and check shape ------------------------------------------------------------
    def parse(self, body: bytes) -> list[Envelope]:
        """Parse a request body (one envelope or an array of up to 1,000).

        Raises MalformedEvent (with ``index`` for arrays), UnknownEventType or BatchTooLarge
        (also, unparsed, for a body of more than MAX_JSON_VALUES values).
        """
        # a body shorter than the limit cannot hold more values than it has bytes
        if len(body) > MAX_JSON_VALUES and json_values_bound(body) > MAX_JSON_VALUES:
            raise BatchTooLarge(f"the body holds more than {MAX_JSON_VALUES:,} JSON values and "
                                f"keys (counted by the , : [ {{ in it); a request holds at most "
                                f"{MAX_BATCH} events, far fewer values: split it")
        value = parse_canonical_or_strict(body)
        items = value if isinstance(value, list) else [value]
        if not items:
            raise MalformedEvent("an empty array appends nothing", rule="non-empty-batch")
        if len(items) > MAX_BATCH:
            raise BatchTooLarge(f"a batch holds at most {MAX_BATCH} events, found {len(items)}")
        envelopes = []
        for i, item in enumerate(items):
            try:
                env = Envelope.from_value(item)
                # the wire contract's, whatever the vocabulary: the registry is read back from
                # stream keys alone, and the offline verifier holds every event to it
                check_registry_stream(env.type, env.stream)
                errors = self.types.validate_event(env.type, env.stream, env.body)
                if errors:
                    raise MalformedEvent(
                        "; ".join(f"{e.path}: {e.message}" for e in errors),
                        errors=[{"field": e.path, "message": e.message} for e in errors],
                        field=errors[0].path)
                if env.type == "KeyRegistered":
                    key_record_from_body(env.body, -1)
                if b"\\u0000" in env.raw:      # how RFC 8785 writes U+0000 (or a "\\u0000")
                    where = _nul_path(env.body, "body")
                    if where is not None:
                        raise MalformedEvent(f"{where} holds U+0000 (NUL), which the ledger's "
                                             "PostgreSQL read models cannot store", field=where)
            except LedgerError as e:
                # echo the event_id only if well-formed: any other value may be one the problem
                # document cannot carry (a lone surrogate), and the error names the field anyway
                event_id = item.get("event_id") if isinstance(item, dict) else None
                raise e.with_context(index=i if isinstance(value, list) else None,
                                     event_id=event_id if isinstance(event_id, str)
                                     and UUID.fullmatch(event_id) else None) from None
            envelopes.append(env)
        return envelopes

    # -- 2. verify signatures ----------------------------------------------------------------
    def signers_known(self, envelopes: Sequence[Envelope]) -> bool:
        """Whether every signer's key is in the registry this process holds, so that
        :meth:`signature_work` needs no database read."""
        keys = self._registry.keys
        return all(env.key_id in keys for env in envelopes)

    def signature_work(self, envelopes: Sequence[Envelope], *, batched: bool) -> list[Signed]:
        """Each envelope with its signer's public key — registered, or registered by an earlier
        event of the same batch. Raises UnknownKey naming the event."""
        registry = self._registry
        pending: dict[str, bytes] = {}
        work: list[Signed] = []
        for i, env in enumerate(envelopes):
            public = registry.keys.get(env.key_id)
            if public is None and env.key_id not in pending:
                registry = self.refresh_registry()
            record = registry.keys.get(env.key_id)
            key = record.public_key if record else pending.get(env.key_id)
            if key is None:
                raise UnknownKey(f"signer key {env.key_id!r} is not registered", field="signer",
                                 index=i if batched else None, event_id=env.event_id)
            work.append(Signed(i, env, key, batched))
            if env.type == "KeyRegistered":
                pending[env.body["key_id"]] = key_record_from_body(env.body, -1).public_key
        return work

    def verify_signatures(self, envelopes: Sequence[Envelope], *, batched: bool) -> None:
        """Verify every signature in the calling thread (on the signature workers for a large
        batch). Raises UnknownKey or BadSignature naming the event."""
        work = self.signature_work(envelopes, batched=batched)
        bad = self._bad_signatures(work)
        if bad:
            raise work[bad[0]].refusal()

    def _bad_signatures(self, work: list[Signed]) -> list[int]:
        """Positions in ``work`` whose signatures do not verify (on the workers if many)."""
        return self._signatures.failures([(w.key, w.env.signed_bytes, w.env.sig) for w in work])

    # -- 3..6. commit ------------------------------------------------------------------------
    def submit(self, envelopes: list[Envelope]) -> Future[AppendResult]:
        """Commit envelopes whose signatures are already verified."""
        return self.committer.submit(envelopes)

    def submit_unverified(self, envelopes: list[Envelope], *, batched: bool,
                          future: Future[AppendResult] | None = None) -> Future[AppendResult]:
        """Verify on the signature workers, then commit: the caller's thread does neither.

        Raises UnknownKey at once; the future (``future``, or a new one: a `LoopFuture` for a
        caller on an event loop) raises BadSignature or resolves to the receipts.
        """
        return self._verifier.submit(self.signature_work(envelopes, batched=batched), future)

    def append(self, body: bytes) -> AppendResult:
        """The whole pipeline for one request body, blocking until durable."""
        envelopes = self.parse(body)
        return self.submit_unverified(envelopes, batched=body.lstrip()[:1] == b"[").result()

    def _verify_group(self, requests: list[list[Signed]]) -> list[Any]:
        """The verifier stage: every signature of every waiting request in one pass over the
        workers; each request then fails alone or goes on to the committer."""
        bad = self._bad_signatures([w for work in requests for w in work])   # sorted
        outcomes: list[Any] = []
        start = 0
        for work in requests:
            first = bisect_left(bad, start)      # the request's first bad signature, if any
            if first < len(bad) and bad[first] < start + len(work):
                outcomes.append(work[bad[first] - start].refusal())
            else:
                outcomes.append(HandOff(self.committer, [w.env for w in work]))
            start += len(work)
        return outcomes

    def refresh_registry(self) -> KeyRegistry:
        with self._registry_lock, self.store.cursor() as curs:
            self._registry = self._load_registry(curs, self._registry)
            return self._registry

    def _load_registry(self, curs: Any, base: KeyRegistry) -> KeyRegistry:
        """``base`` with the key events stream ``keys`` holds past it. Each is judged again as
        the writer judged it when it was recorded — signed by a root key in force at its log
        index, the signature verifying — for the database is not the service: a row its
        administrator put there past the writer (a KeyRegistered no root signed, or one a
        retired root signed) is passed over, and logged, instead of trusted; ``ledger verify``
        names it (docs/architecture.md, "Keys and roles")."""
        rows = self.store.key_events_after(curs, base.version)
        if not rows:
            return base
        registry = base.copy()
        for row in rows:
            index = row.receipt.index
            try:
                env = Envelope.from_value(parse_strict(row.raw))
                record = registry.authorise(
                    key_id=env.key_id, event_type=env.type, index=index,
                    at=parse_recorded_at(row.receipt.recorded_at), signer_roles=())
                verify(record.public_key, env.signed_bytes, env.sig)
                registry.apply(env.type, env.body, index)
            except LedgerError as e:
                registry.version += 1           # read past, not folded in
                _log.error("key registry: the key event at log index %d (keys version %d) is "
                           "not trusted, so not applied: %s", index, row.receipt.stream_version,
                           e)
        return registry

    def _commit_group(self, batches: list[list[Envelope]]) -> list[AppendResult | LedgerError]:
        try:
            return self._write_again_if_rolled_back(batches)
        except (psycopg.Error, PersistenceError):
            self._frontier = _Frontier()
            if len(batches) == 1:
                raise
        # Something unexpected failed the shared transaction: isolate it request by request.
        outcomes: list[AppendResult | LedgerError] = []
        for batch in batches:
            try:
                outcomes.extend(self._write_again_if_rolled_back([batch]))
            except (psycopg.Error, PersistenceError) as e:
                self._frontier = _Frontier()
                outcomes.append(Unavailable(f"database error, nothing written: {e}"))
        return outcomes

    def _write_again_if_rolled_back(
            self, batches: list[list[Envelope]]) -> list[AppendResult | LedgerError]:
        """:meth:`_write`, run up to ``write_retries`` times more while the database rolls it
        back on its own. Raises RolledBack when the last attempt is rolled back too."""
        for attempt in range(1, self.write_retries + 1):
            try:
                return self._write(batches)
            except RolledBack as e:
                _log.warning("write attempt %d of %d rolled back, running it again: %s",
                             attempt, self.write_retries + 1, e.message)
        return self._write(batches)

    def _write(self, batches: list[list[Envelope]]) -> list[AppendResult | LedgerError]:
        store = self.store
        all_ids = [env.event_id for batch in batches for env in batch]
        streams = sorted({e.stream for b in batches for e in b})
        with _LostCommit(self) as commit, store.write_session() as session:
            state = session.lock_and_read(all_ids, streams)      # round trip 1 (under the lock)
            size = state.size
            if self._frontier.size != size:      # another process appended since our last write
                coords = frontier_coords(size)
                with session.cursor() as curs:
                    nodes = store.nodes(curs, coords)
                self._frontier = _Frontier(size, [(lv, ix, nodes[(lv, ix)]) for lv, ix in coords])
            registry = self._registry
            if state.keys_version != registry.version:
                with session.cursor() as curs:
                    registry = self._load_registry(curs, registry)
            existing: dict[str, StoredRow] = {}
            if state.existing_ids:
                with session.cursor() as curs:
                    existing = store.rows_by_id(curs, state.existing_ids)
            now = state.clock       # the database server's: one clock for every process
            if state.last_recorded_at is not None:
                now = max(now, parse_recorded_at(state.last_recorded_at))
            recorded_at = format_recorded_at(now)
            heads = state.heads

            outcomes: list[AppendResult | LedgerError | None] = []
            new: list[tuple[Envelope, int, int, bytes]] = []   # env, index, version, chain
            planned: dict[str, tuple[Envelope, int]] = {}      # event_id -> (env, position in new)
            plan_of_batch: list[list[tuple[str, Any]]] = []
            written_of_batch: list[int] = []
            next_index = size
            for batch in batches:
                try:
                    reg = registry.copy() if any(e.type in KEY_EVENT_TYPES for e in batch) \
                        else registry
                    overlay: dict[str, tuple[int, bytes]] = {}
                    local: list[tuple[Envelope, int, int, bytes]] = []
                    local_ids: dict[str, tuple[Envelope, int]] = {}
                    refs: list[tuple[str, Any]] = []
                    for i, env in enumerate(batch):
                        try:
                            old = existing.get(env.event_id)
                            if old is not None:
                                if old.raw != env.raw:
                                    raise Conflict(
                                        f"event_id {env.event_id} is already recorded with "
                                        "different content", field="event_id")
                                refs.append(("old", old.receipt))
                                continue
                            seen = local_ids.get(env.event_id) or planned.get(env.event_id)
                            if seen is not None:
                                if seen[0].raw != env.raw:
                                    raise Conflict(f"event_id {env.event_id} appears twice with "
                                                   "different content", field="event_id")
                                refs.append(("new", env.event_id))
                                continue
                            index = next_index + len(local)
                            event_type = self.types.lookup(env.type)
                            reg.authorise(key_id=env.key_id, event_type=env.type, index=index,
                                          at=now, signer_roles=event_type.signer_roles)
                            if env.type in KEY_EVENT_TYPES:
                                reg.apply(env.type, env.body, index)
                            version, prev = overlay.get(env.stream) or heads.get(env.stream) or \
                                (0, chain_genesis(env.stream))
                            chain = chain_next(prev, env.raw)
                            overlay[env.stream] = (version + 1, chain)
                            local_ids[env.event_id] = (env, len(new) + len(local))
                            local.append((env, index, version + 1, chain))
                            refs.append(("new", env.event_id))
                        except LedgerError as e:
                            raise e.with_context(index=i if len(batch) > 1 else None,
                                                 event_id=env.event_id)
                except LedgerError as e:
                    outcomes.append(e)
                    plan_of_batch.append([])
                    written_of_batch.append(0)
                    continue
                registry = reg
                heads.update(overlay)
                planned.update(local_ids)
                new.extend(local)
                next_index += len(local)
                outcomes.append(None)
                plan_of_batch.append(refs)
                written_of_batch.append(len(local))

            receipts_by_id: dict[str, Receipt] = {}
            if new:
                receipt_rows = []
                leaves = []
                for env, index, version, chain in new:
                    leaf = leaf_hash_of_entry(entry_bytes(
                        env.raw, index=index, stream_version=version, recorded_at=recorded_at,
                        chain_hash=chain))
                    leaves.append(leaf)
                    receipt = Receipt(event_id=env.event_id, index=index, stream=env.stream,
                                      stream_version=version, recorded_at=recorded_at,
                                      leaf_hash=leaf, chain_hash=chain)
                    receipts_by_id[env.event_id] = receipt
                    receipt_rows.append((receipt, env.type))
                new_nodes, new_frontier = merkle.append_leaves(self._frontier.nodes, size, leaves)
                session.insert(                                     # round trip 2 + commit
                    originator_ids=[stream_uuid(e.stream) for e, _, _, _ in new],
                    versions=[v for _, _, v, _ in new], topics=[e.type for e, _, _, _ in new],
                    states=[e.raw for e, _, _, _ in new], receipts=receipt_rows, nodes=new_nodes)
                commit.sent(receipt_rows)
        # committed
        if new:
            self._frontier = _Frontier(size + len(new), list(new_frontier))
        self._registry = registry
        results: list[AppendResult | LedgerError] = []
        for outcome, refs, written in zip(outcomes, plan_of_batch, written_of_batch, strict=True):
            if outcome is not None:
                results.append(outcome)
                continue
            receipts = [ref if kind == "old" else receipts_by_id[ref] for kind, ref in refs]
            results.append(AppendResult(receipts=receipts, written=written))
        return results

    def committed_after_all(self, receipts: Sequence[Receipt], lost: Unavailable) -> bool:
        """Whether the group of ``receipts`` (one transaction: all of it or none) is recorded,
        asked on another connection than the one lost (``lost``) as it committed — under the
        events' lock, which that transaction holds until the server has ended it (the server
        may still be at the commit its client gave up on). Raises Unavailable, saying the
        events may have been written, when the database cannot be asked either."""
        first = receipts[0]
        try:
            with self.store.transaction() as curs:
                self.store.recorder.lock_and_notify(curs)
                row = self.store.rows_by_id(curs, [first.event_id]).get(first.event_id)
        except Unavailable as again:
            raise Unavailable(
                f"the connection to the database was lost while {len(receipts)} event(s) were "
                f"committed ({lost.message}), and the database cannot be asked whether they "
                f"were ({again.message}): they may have been written; send them again with the "
                "same event_id(s), which returns their original receipts if they were") from lost
        return row is not None and row.receipt == first

    # -- reads -------------------------------------------------------------------------------
    def get_event(self, event_id: str) -> StoredRow | None:
        return self.store.get_event(event_id)
