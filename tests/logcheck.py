"""The stored log checked against itself, as an auditor would: each stream's versions and chain
and each leaf hash recomputed from the stored envelope bytes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledger.logentry import chain_genesis, chain_next, entry_bytes, leaf_hash_of_entry

#: the rows :func:`leaves_of` reads, in log order
LOG_ROWS = ("SELECT r.log_index, r.stream, r.stream_version, r.recorded_at, r.chain_hash, "
            "r.leaf_hash, e.state FROM ledger_receipts r JOIN stored_events e "
            "ON e.originator_id = r.originator_id AND e.originator_version = r.stream_version "
            "ORDER BY r.log_index")


def leaves_of(rows: Iterable[Any]) -> list[bytes]:
    """The leaf hashes of ``rows`` (LOG_ROWS), asserting every stream's versions count up from 1,
    its chain links each event's stored bytes and every leaf hash is its entry's."""
    heads: dict[str, tuple[int, bytes]] = {}
    leaves = []
    for index, stream, version, recorded_at, chain, leaf, state in rows:
        prev_version, prev_chain = heads.get(stream, (0, chain_genesis(stream)))
        assert version == prev_version + 1, f"{stream}: version {version} after {prev_version}"
        assert bytes(chain) == chain_next(prev_chain, bytes(state)), f"{stream} chain broken"
        heads[stream] = (version, bytes(chain))
        expected_leaf = leaf_hash_of_entry(entry_bytes(bytes(state), index=index,
                                                       stream_version=version,
                                                       recorded_at=recorded_at,
                                                       chain_hash=bytes(chain)))
        assert bytes(leaf) == expected_leaf
        leaves.append(expected_leaf)
    return leaves
