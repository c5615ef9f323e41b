"""Bundles built in memory (no database), for the verifier's tests: an adversary's log — any
envelopes, each chained onto its stream and hashed into a leaf exactly as the ledger would — and
the bundle of it, with a checkpoint signed by the log key it holds."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ledger import merkle
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.crypto import SigningKey, b64url_encode
from ledger.keyshead import KeysHead
from ledger.logentry import chain_genesis, chain_next, entry_bytes, leaf_hash_of_entry
from ledger.note import vkey_for
from ledger.streamheads import Heads, StreamHead
from ledger.verify import BundleFailed, command, verify_bundle
from ledger.verify import format as fmt
from ledger.verify.trust import Trust

ORIGIN = "test.integrity-ledger.local/log"
ROOT, LOG, DEVICE = (SigningKey(bytes([i]) * 32) for i in (1, 2, 3))
TRUST = Trust.from_args(log_keys=[vkey_for(ORIGIN, LOG.public_key)],
                        root_keys=[f"root-1={b64url_encode(ROOT.public_key)}"], origin=None)
WHOLE = {"kind": "all"}


class Log:
    """The log an adversary writes, one envelope (bytes, taken as they are) per index."""

    def __init__(self, *envelopes: bytes) -> None:
        self.entries: list[dict[str, Any]] = []
        self._heads: dict[str, tuple[int, bytes]] = {}
        for raw in envelopes:
            self.append(raw)

    def append(self, raw: bytes) -> None:
        # the stream by position, not by parsing: the envelope need not be valid JSON
        stream = raw[raw.rindex(b'"stream":"') + 10:raw.rindex(b'","type"')].decode()
        version, prev = self._heads.get(stream, (0, chain_genesis(stream)))
        index, chain = len(self.entries), chain_next(prev, raw)
        self._heads[stream] = (version + 1, chain)
        recorded_at = f"2024-05-10T13:{index // 60:02d}:{index % 60:02d}.000000Z"
        leaf = leaf_hash_of_entry(entry_bytes(raw, index=index, stream_version=version + 1,
                                              recorded_at=recorded_at, chain_hash=chain))
        self.entries.append({"raw": raw, "index": index, "stream_version": version + 1,
                             "recorded_at": recorded_at, "chain_hash": chain, "leaf_hash": leaf})

    def keys_head(self, size: int | None = None) -> KeysHead:
        """The head of stream ``keys`` below ``size`` (default: the whole log)."""
        last = [e for e in self.entries[:size] if e["raw"].find(b'"stream":"keys"') > 0]
        return KeysHead(last[-1]["stream_version"], last[-1]["chain_hash"]) if last \
            else KeysHead.empty()

    def heads(self, streams: Sequence[str], size: int | None = None) -> Heads:
        """The heads of ``streams`` below ``size`` (default: the whole log), bound to the
        checkpoint of that size, as the exporter reads them."""
        size = len(self.entries) if size is None else size
        last: dict[str, StreamHead] = {}
        for e in self.entries[:size]:
            raw = e["raw"]
            stream = raw[raw.rindex(b'"stream":"') + 10:raw.rindex(b'","type"')].decode()
            if stream in streams:
                last[stream] = StreamHead(stream, e["stream_version"], e["chain_hash"],
                                          e["index"])
        root = merkle.root_of([e["leaf_hash"] for e in self.entries[:size]])
        return Heads.of(ORIGIN, size, root, last.values())

    def nodes(self, size: int) -> dict[tuple[int, int], bytes]:
        """The perfect subtrees of the first ``size`` leaves, as the ledger stores them."""
        nodes: dict[tuple[int, int], bytes] = {}
        level, row = 0, [e["leaf_hash"] for e in self.entries[:size]]
        while row:
            nodes.update(((level, i), h) for i, h in enumerate(row))
            row = [merkle.node_hash(a, b) for a, b in zip(row[::2], row[1::2])]
            level += 1
        return nodes

    def checkpoint(self, size: int | None = None,
                   extensions: Sequence[str] | None = None) -> str:
        """The log key's checkpoint of the first ``size`` entries (default: all), with
        ``extensions`` for lines (default: the keys line the ledger writes)."""
        size = len(self.entries) if size is None else size
        lines = (self.keys_head(size).line(),) if extensions is None else tuple(extensions)
        root = merkle.root_of([e["leaf_hash"] for e in self.entries[:size]])
        return sign_checkpoint(Checkpoint(origin=ORIGIN, size=size, root_hash=root,
                                          extensions=lines), ORIGIN, LOG)

    def bundle(self, path: Path, scope: dict[str, Any] = WHOLE, *,
               lines: Sequence[tuple[int, str]] | None = None,
               extensions: Sequence[str] | None = None, heads: str | None = None,
               edges: bool = True) -> Path:
        """A bundle in ``scope``'s layout (proofs unless it is whole-log) of the log's entries
        named by ``lines`` (index, "event" or "anchor"), by default all of them as events,
        under a checkpoint with ``extensions`` (default: the keys line the ledger writes), its
        end line carrying ``heads`` (a signed heads note) when given. A time scope in the
        ledger's form gets the boundary witnesses of the log's own range (not of ``lines``),
        as the exporter writes them, unless ``edges`` is false."""
        size = len(self.entries)
        nodes = self.nodes(size)
        checkpoint = self.checkpoint(size, extensions)
        picked = [(i, fmt.EVENT) for i in range(size)] if lines is None else lines
        events = [fmt.event_line(
            e["raw"], index=e["index"], stream_version=e["stream_version"],
            recorded_at=e["recorded_at"], chain_hash=e["chain_hash"], leaf_hash=e["leaf_hash"],
            proof=None if scope["kind"] == "all"
            else merkle.inclusion_proof_from_nodes(e["index"], size, nodes), kind=kind)
            for e, kind in ((self.entries[i], kind) for i, kind in picked)]
        anchors = sum(kind == fmt.ANCHOR for _, kind in picked)
        path.write_bytes(b"".join([
            fmt.header_line(created_at="2024-05-11T09:00:00Z", scope=scope, origin=ORIGIN,
                            tree_size=size, signer_roles={"NoteRecorded": ["case-app"]},
                            generator="tests"),
            fmt.checkpoint_line(checkpoint), *events,
            fmt.end_line(events=len(picked) - anchors, anchors=anchors,
                         edges=self.edges(scope, size, nodes) if edges else None,
                         **({} if heads is None else {"heads": heads}))]))
        return path

    def edges(self, scope: dict[str, Any], size: int,
              nodes: dict[tuple[int, int], bytes]) -> dict[str, bytes] | None:
        """A time scope's witnesses: the last entry recorded before ``from`` and the first at
        or after ``to`` (None for another scope, or one not in the ledger's form)."""
        start, stop = scope.get("from"), scope.get("to")
        if scope["kind"] != "time" or not all(isinstance(x, str) and fmt.RECORDED_AT.fullmatch(x)
                                              for x in (start, stop)):
            return None
        before = [e for e in self.entries[:size] if e["recorded_at"] < start][-1:]
        after = [e for e in self.entries[:size] if e["recorded_at"] >= stop][:1]
        return {name: fmt.witness(
            e["raw"], index=e["index"], stream_version=e["stream_version"],
            recorded_at=e["recorded_at"], chain_hash=e["chain_hash"], leaf_hash=e["leaf_hash"],
            proof=merkle.inclusion_proof_from_nodes(e["index"], size, nodes))
            for name, found in (("before", before), ("after", after)) for e in found}


def failures_of(path: Path) -> list[str]:
    """What verifying ``path`` in-process reports; it must fail."""
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(path, TRUST, workers=0)
    return list(failed.value.failures)


def cli(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """``ledger verify`` writing to a strict UTF-8 stdout, as a terminal or a pipe does."""
    out = io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdout", stdout)
    code = command.main([str(path), "--log-key", vkey_for(ORIGIN, LOG.public_key),
                         "--root-key", f"root-1={b64url_encode(ROOT.public_key)}",
                         "--workers", "1"])   # in this process
    stdout.flush()
    return code, out.getvalue().decode("utf-8")
