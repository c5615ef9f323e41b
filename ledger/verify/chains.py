"""Per-stream hash chains (spec step 4), checked in one pass keeping only each stream's head.

``chain_0 = SHA-256("integrity-ledger/chain/v1:" ‖ stream)``,
``chain_v = SHA-256(chain_{v-1} ‖ SHA-256(envelope_v))`` (ledger.logentry). Every link is checked
against the *claimed* chain hash of the previous version (which the Merkle proof of that event
vouches for), so one bad event is reported once, and the chain resumes after it.

A mismatch is diagnosed where the evidence allows:

* a missing version (a gap in the numbers) is named as missing;
* version ``v`` that chains from version ``v-2`` means the event at ``v-1`` was inserted;
* two mismatched positions whose envelopes fit each other's links were swapped (reordered).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..logentry import chain_genesis

#: How many unexplained mismatches per stream are kept to look for a swap partner.
PENDING = 16

Blame = tuple[int | None, str | None, str]   # (log index and event id at fault, or None; why)


def _link(prev: bytes, envelope_hash: bytes) -> bytes:
    return hashlib.sha256(prev + envelope_hash).digest()


@dataclass(slots=True)
class _Head:
    version: int
    chain: bytes
    index: int
    event_id: str | None
    prev_chain: bytes | None                 # claimed chain of version - 1, if known
    # (version, index, event id, claimed prev chain, claimed chain, envelope hash) of links
    # that did not follow, kept to find swap partners
    pending: list[tuple[int, int, str | None, bytes, bytes, bytes]] | None = None  # made on need


class StreamChains:
    def __init__(self) -> None:
        self._heads: dict[str, _Head] = {}

    def __len__(self) -> int:
        return len(self._heads)

    def seen(self, stream: str) -> bool:
        return stream in self._heads

    def anchor(self, stream: str, version: int, index: int, chain: bytes) -> str | None:
        """Start ``stream`` from the (inclusion-proved) event at ``version``; why not, or None."""
        if stream in self._heads:
            return f"stream {stream}: anchor at version {version} comes after its events"
        self._heads[stream] = _Head(version, chain, index, None, None)
        return None

    def check(self, stream: str, version: int, index: int, event_id: str | None,
              envelope_hash: bytes, claimed: bytes) -> list[Blame]:
        """Link the event at ``version`` into ``stream``; return what is wrong, if anything."""
        head = self._heads.get(stream)
        if head is not None and version == head.version + 1 \
                and hashlib.sha256(head.chain + envelope_hash).digest() == claimed:  # _link
            head.prev_chain = head.chain
            head.version, head.chain, head.index, head.event_id = version, claimed, index, \
                event_id
            return []
        here = (index, event_id)
        if head is None:
            if version != 1:
                self._heads[stream] = _Head(version, claimed, index, event_id, None)
                missing = "version 1" if version == 2 else f"versions 1..{version - 1}"
                return [(*here, f"stream {stream}: starts at version {version} with no anchor: "
                                f"{missing} missing")]
            head = _Head(0, chain_genesis(stream), -1, None, None)
        elif version <= head.version:
            return [(*here, f"stream {stream}: version {version} appears after version "
                            f"{head.version} (reordered or duplicated)")]
        elif version > head.version + 1:
            first, last = head.version + 1, version - 1
            self._heads[stream] = _Head(version, claimed, index, event_id, None)
            return [(None, None, f"stream {stream}: version {first} missing" if first == last
                     else f"stream {stream}: versions {first}..{last} missing")]
        blames: list[Blame] = []
        if _link(head.chain, envelope_hash) != claimed:
            after = f"version {version - 1}" if version > 1 else "the stream's genesis"
            blames.append((*here, f"stream {stream} version {version}: chain hash does not "
                                  f"follow from {after}"))
            if head.prev_chain is not None and _link(head.prev_chain, envelope_hash) == claimed:
                blames.append((head.index, head.event_id,
                               f"stream {stream} version {version - 1}: inserted (version "
                               f"{version} chains directly from version {version - 2})"))
            blames.extend(self._swaps(stream, head, version, here, envelope_hash, claimed))
        if head.version == 0:
            self._heads[stream] = head
        head.prev_chain = head.chain
        head.version, head.chain, head.index, head.event_id = version, claimed, index, event_id
        return blames

    @staticmethod
    def _swaps(stream: str, head: _Head, version: int, here: tuple[int, str | None],
               envelope_hash: bytes, claimed: bytes) -> list[Blame]:
        blames: list[Blame] = []
        if head.pending is None:
            head.pending = []
        for v, i, eid, prev, chain, env_hash in head.pending:
            if _link(prev, envelope_hash) == chain:
                blames.append((*here, f"stream {stream} version {version}: holds the event "
                                      f"recorded at version {v} (reordered)"))
            if _link(head.chain, env_hash) == claimed:
                blames.append((i, eid, f"stream {stream} version {v}: holds the event recorded "
                                       f"at version {version} (reordered)"))
        head.pending.append((version, *here, head.chain, claimed, envelope_hash))
        del head.pending[:-PENDING]
        return blames
