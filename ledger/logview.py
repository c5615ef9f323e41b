"""The verifiable log as the server serves it: roots, proofs and signed checkpoints, all read
from the stored perfect-subtree hashes (never by recomputing the tree)."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import merkle
from .checkpoint import Checkpoint, open_checkpoint
from .crypto import SigningKey
from .errors import Conflict, MalformedEvent, NotFound, VerificationError
from .keyshead import KeysHead
from .note import Verifier, key_id, sign_note, vkey_for
from .store import LedgerStore

_log = logging.getLogger(__name__)

#: advisory lock: "issuing a checkpoint"
ISSUE_LOCK = 0x1E_C4E5   # = 2016485, which schema.sql's checkpoint trigger takes too


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str


class ForeignLogKey(Conflict):
    """The log's latest checkpoint is not signed by this process's log key, nor by a key it
    replaced (under the log's origin and key name): another process, whose home holds another
    log key, issued it."""


class LogView:
    """``retired_keys``: public keys this log's checkpoints were signed with before its key
    was rotated (ledger.json's ``log.retired_public_keys``). An issuer extends a log whose
    latest checkpoint one of them signed, and signs on with its own key; nothing else trusts
    them (docs/merkle.md, "Rotating the log key")."""

    def __init__(self, store: LedgerStore, *, origin: str, key_name: str,
                 signing_key: SigningKey | None, retired_keys: Sequence[bytes] = ()) -> None:
        self.store = store
        self.origin = origin
        self.key_name = key_name
        self.signing_key = signing_key
        self.retired_keys = tuple(retired_keys)

    # -- roots and proofs --------------------------------------------------------------------
    def _size_or_current(self, tree_size: int | None, field: str = "tree_size") -> int:
        size = self.store.size()
        if tree_size is None:
            return size
        if tree_size < 0 or tree_size > size:
            raise NotFound(f"{field} {tree_size} is beyond the log (size {size})", field=field)
        return tree_size

    def root(self, size: int) -> bytes:
        return merkle.root_from_nodes(size, self.store.read_nodes(merkle.root_coords(size)))

    def inclusion(self, index: int, tree_size: int | None) -> dict[str, object]:
        size = self._size_or_current(tree_size)
        if not 0 <= index < size:
            raise MalformedEvent(f"index {index} is not in a tree of size {size}", field="index")
        coords = merkle.inclusion_proof_coords(index, size) + [(0, index)]
        nodes = self.store.read_nodes(coords)
        proof = merkle.inclusion_proof_from_nodes(index, size, nodes)
        return {"index": index, "tree_size": size, "leaf_hash": nodes[(0, index)].hex(),
                "proof": [h.hex() for h in proof]}

    def consistency(self, first: int, second: int | None) -> dict[str, object]:
        size2 = self._size_or_current(second, "second")
        if not 0 < first <= size2:      # a proof from the empty tree is meaningless
            raise MalformedEvent(f"first ({first}) must be between 1 and second ({size2})",
                                 field="first")
        nodes = self.store.read_nodes(merkle.consistency_proof_coords(first, size2))
        proof = merkle.consistency_proof_from_nodes(first, size2, nodes)
        return {"first": first, "second": size2, "proof": [h.hex() for h in proof]}

    # -- checkpoints -------------------------------------------------------------------------
    def latest_checkpoint(self, *, in_issue_order: bool = True) -> StoredCheckpoint | None:
        """The latest checkpoint (None: none yet). Not ``in_issue_order``: on tables made before
        checkpoints had an issue order (``LedgerStore.schema_behind``), where each size has one,
        read by ``ledger init`` before it brings them up to date."""
        with self.store.cursor() as curs:
            if in_issue_order:
                return _latest(curs)
            curs.execute("SELECT tree_size, root_hash, note FROM ledger_checkpoints "
                         "ORDER BY tree_size DESC LIMIT 1")
            return _checkpoint(curs.fetchone())

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        with self.store.cursor() as curs:
            curs.execute("SELECT tree_size, root_hash, note FROM ledger_checkpoints "
                         "WHERE tree_size = %s ORDER BY seq DESC LIMIT 1", (size,))
            return _checkpoint(curs.fetchone())

    def issue_checkpoint(self) -> StoredCheckpoint:
        """Sign and store a checkpoint of the current tree, unless this key (already) signed
        one of that size; when a key it replaced (a retired key) signed the latest and the log
        has not grown since, the same checkpoint (same note body) is signed by this key and
        stored as the latest (``ledger log rotate-key``).

        Before storing, the new root is proved consistent with the latest stored checkpoint, so
        two inconsistent checkpoints can never both be issued (raises Conflict if they would).
        Issuers (the checkpointer of every ``ledger serve``, exports) take turns under one
        advisory lock, in one transaction, so each checks against every checkpoint before it
        and none is stored below one issued meanwhile. The note carries the keys line
        (ledger.keyshead), the head of stream ``keys`` read with the tree's size. Raises
        ForeignLogKey when this process's key did not sign the latest checkpoint (one log is
        signed by one key)."""
        if self.signing_key is None:
            raise NotFound("this ledger has no log signing key")
        with self.store.transaction() as curs:
            self.store.end_when_idle(curs)    # an issuer's host dead in its turn stops no other
            curs.execute("SELECT pg_catalog.pg_advisory_xact_lock(%s::bigint)", (ISSUE_LOCK,))
            latest = _latest(curs)
            # the keys head in the statement that reads the size: it is the signed tree's
            size, keys_version, keys_chain = self.store.head_with_keys(curs)
            if latest is not None:
                self._check_signed_by_own_key(latest)
            if latest is not None and latest.size == size:
                if self._signed_by_own_key(latest):
                    return latest
                # a key this one replaced signed it: the same checkpoint, signed by this key
                note = sign_note(latest.note[:latest.note.index("\n\n") + 1], self.key_name,
                                 self.signing_key)
                curs.execute("INSERT INTO ledger_checkpoints (tree_size, root_hash, note) "
                             "VALUES (%s, %s, %s)", (latest.size, latest.root, note))
                return StoredCheckpoint(latest.size, latest.root, note)
            if latest is not None and latest.size > size:
                raise Conflict(f"refusing to sign checkpoint {size}: checkpoint {latest.size} "
                               f"was already issued, so {latest.size - size} logged entries "
                               "are missing")
            root = merkle.root_from_nodes(size, self.store.nodes(curs, merkle.root_coords(size)))
            if latest is not None and latest.size > 0:   # every tree extends the empty one
                nodes = self.store.nodes(curs, merkle.consistency_proof_coords(latest.size, size))
                proof = merkle.consistency_proof_from_nodes(latest.size, size, nodes)
                try:
                    merkle.verify_consistency(latest.size, size, proof, latest.root, root)
                except Exception as e:
                    raise Conflict(f"refusing to sign checkpoint {size}: not consistent with "
                                   f"checkpoint {latest.size}: {e}") from e
            keys = KeysHead.empty() if keys_version is None or keys_chain is None \
                else KeysHead(keys_version, keys_chain)
            text = Checkpoint(origin=self.origin, size=size, root_hash=root,
                              extensions=(keys.line(),)).to_text()
            note = sign_note(text, self.key_name, self.signing_key)
            curs.execute("INSERT INTO ledger_checkpoints (tree_size, root_hash, note) "
                         "VALUES (%s, %s, %s)", (size, root, note))
        return StoredCheckpoint(size, root, note)

    def check_extends(self, public: bytes, retired: Sequence[bytes] = ()) -> None:
        """Raises ForeignLogKey unless the log's latest checkpoint (if any) was signed by
        ``public`` or one of the ``retired`` keys it replaced."""
        latest = self.latest_checkpoint()
        if latest is not None:
            self._check_signed_by(latest, public, retired)

    def _check_signed_by_own_key(self, latest: StoredCheckpoint) -> None:
        """Raises ForeignLogKey unless this process's key, or a key it replaced (a retired
        key), signed ``latest``: a log whose checkpoints two live keys signed in turn fails
        every auditor who pins one of them."""
        assert self.signing_key is not None
        self._check_signed_by(latest, self.signing_key.public_key, self.retired_keys)

    def _signed_by_own_key(self, checkpoint: StoredCheckpoint) -> bool:
        assert self.signing_key is not None
        try:
            open_checkpoint(checkpoint.note, issuer_verifiers(
                self.key_name, self.signing_key.public_key, ()), self.origin)
        except VerificationError:
            return False
        return True

    def _check_signed_by(self, latest: StoredCheckpoint, public: bytes,
                         retired: Sequence[bytes]) -> None:
        try:
            open_checkpoint(latest.note, issuer_verifiers(self.key_name, public, retired),
                            self.origin)
        except VerificationError as e:
            raise ForeignLogKey(
                f"checkpoint {latest.size} is not signed by this process's log key "
                f"{vkey_for(self.key_name, public)} ({e.message}): "
                "another process sharing the database signs with another one. Every process "
                "on a database must sign with the log key its ledger.json pins (copy the home's "
                "ledger.json and secrets/log.key to it)") from e


def issuer_verifiers(name: str, public: bytes, retired: Sequence[bytes]) -> list[Verifier]:
    """The keys an issuer holding ``public`` may extend a log from (its own, then the retired
    ones it replaced), as note verifiers under key ``name``."""
    return [Verifier(name, key_id(name, k), k)
            for k in (public, *(k for k in retired if k != public))]


def _latest(curs: Any) -> StoredCheckpoint | None:
    curs.execute("SELECT tree_size, root_hash, note FROM ledger_checkpoints "
                 "ORDER BY tree_size DESC, seq DESC LIMIT 1")
    return _checkpoint(curs.fetchone())


def _checkpoint(row: Any) -> StoredCheckpoint | None:
    return None if row is None else StoredCheckpoint(row["tree_size"], bytes(row["root_hash"]),
                                                     row["note"])


class Checkpointer:
    """Issues a checkpoint every ``every_events`` new leaves or ``every_seconds`` (whichever
    first) in a background thread. Safe with several processes: issuers take turns under a lock
    and each is checked consistent with the latest before it is stored; both intervals count
    from the latest checkpoint stored, whoever issued it, so processes sharing a database issue
    one checkpoint per interval between them, not one each."""

    def __init__(self, log: LogView, *, every_events: int, every_seconds: float,
                 poll_seconds: float = 0.2) -> None:
        self.log = log
        self.every_events = every_events
        self.every_seconds = every_seconds
        self.poll = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except ForeignLogKey as e:      # not transient: this process signs no checkpoint
                _log.error("this process issues no checkpoints: %s", e.message)
                return
            except Exception:   # keep issuing after a transient database error
                _log.exception("checkpoint failed")
            self._stop.wait(self.poll)

    def tick(self) -> StoredCheckpoint | None:
        """Issue a checkpoint if one is due: ``every_events`` leaves beyond the latest stored
        checkpoint, or any new leaf once that checkpoint is ``every_seconds`` old by the
        database's clock. Returns the checkpoint issued, or None."""
        with self.log.store.cursor() as curs:
            curs.execute("SELECT tree_size, extract(epoch FROM clock_timestamp() - created_at) "
                         "AS age FROM ledger_checkpoints ORDER BY tree_size DESC, seq DESC LIMIT 1")
            row = curs.fetchone()
        done, age = (row["tree_size"], float(row["age"])) if row else (-1, math.inf)
        size = self.log.store.size()
        if size - done >= self.every_events or (size > done and age >= self.every_seconds):
            return self.log.issue_checkpoint()
        return None
