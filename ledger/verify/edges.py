"""A time bundle's boundary witnesses: its range is not cut short at either end.

The end line of a ``time`` bundle carries ``edges``: ``before``, the log entry just below the
range's first event, and ``after``, the one just above its last (docs/bundle.md, "`end`"). Each
is an event line's object without ``t``; its leaf is rebuilt exactly as an event's and proved
in the checkpoint's tree, and its ``recorded_at`` must lie outside the range on its side. Its
signature is not judged (like an anchor's): it proves a position and a time, not an event.

One failure per witness, the first of: malformed, missing where an entry exists (or given where
none can), at another index than the one next to the range, recorded inside the range, not in
the checkpoint. Each names the index the witness should be at (or its own, in an empty range).
"""

from __future__ import annotations

from typing import Any

from .. import merkle
from ..checkpoint import Checkpoint
from ..logentry import entry_bytes, leaf_hash_of_entry
from . import format as fmt
from . import jcs
from .worker import _proof, _receipt, is_date_time

NOT_PROVEN = ("the time bundle's end line has no edges (it was written before 2026-11-28), so its "
              "ends are not proven: events at the start or the end of the range could have been "
              "left out (export the range again, or a whole-log bundle, to prove them)")
_SIDES = ("before", "after")


def judge_edges(scope: dict[str, Any], end: dict[str, Any] | None, span: tuple[int, int] | None,
                checkpoint: Checkpoint) -> tuple[list[str], list[str]]:
    """(failures, notices): a time bundle's end line proves, by its boundary witnesses, that
    the range is not cut short at either end. A bundle of another scope has none, and one with
    no end line or a range its header states wrongly has failed already."""
    if scope["kind"] != "time" or end is None:
        return [], []
    start, stop = scope.get("from"), scope.get("to")
    if not all(isinstance(x, str) and fmt.RECORDED_AT.fullmatch(x)
               and is_date_time(x.encode("ascii")) for x in (start, stop)) or start >= stop:
        return [], []
    return _check_edges(end, start, stop, span, checkpoint.size, checkpoint.root_hash)


def _check_edges(end: dict[str, Any], start: str, stop: str, span: tuple[int, int] | None,
                tree_size: int, root: bytes) -> tuple[list[str], list[str]]:
    """``(failures, notices)`` for the witnesses in ``end`` of a time bundle of ``[start,
    stop)`` whose in-range event lines span log indices ``span`` (lowest, highest; None when
    there are none), under a checkpoint of ``tree_size`` leaves and ``root``."""
    if "edges" not in end:
        return [], [NOT_PROVEN]
    edges = end["edges"]
    if type(edges) is not dict or set(edges) - set(_SIDES):
        return ["time bundle: the end line's edges must be an object of before and after "
                "witnesses — the range may be cut short"], []
    failures: list[str] = []
    if span is not None:
        expected: dict[str, int | None] = {"before": span[0] - 1, "after": span[1] + 1}
    else:                               # an empty range: the witnesses are neighbours
        expected = {"before": None, "after": None}
    for side in _SIDES:
        if side == "after" and span is None:
            before = edges.get("before")
            below = -1 if before is None else _index_of(before)
            expected["after"] = None if below is None else below + 1
        why = _check(side, edges.get(side), expected[side], start, stop, tree_size, root)
        if why:
            failures.append(why)
    return failures, []


def _index_of(witness: Any) -> int | None:
    receipt = witness.get("receipt") if type(witness) is dict else None
    index = receipt.get("index") if type(receipt) is dict else None
    return index if type(index) is int and index >= 0 else None


def _check(side: str, witness: Any, want: int | None, start: str, stop: str, tree_size: int,
           root: bytes) -> str | None:
    where = f"the entry {side} the range" + (f" (index {want})" if want is not None else "")
    none_can = want is not None and (want < 0 or want >= tree_size)
    if witness is None:
        if want is None or none_can:
            return None
        return f"time bundle: {where} is missing — the range may be cut short"
    if none_can:
        edge = "starts at index 0" if side == "before" else f"ends at the tree's end ({tree_size})"
        return f"time bundle: an entry {side} the range is given, but the range {edge}"
    parsed = _parse(witness)
    if isinstance(parsed, str):
        return f"time bundle: {where} is malformed: {parsed}"
    raw, proof, (index, version, recorded_at, chain, leaf_claimed) = parsed
    if want is not None and index != want:
        return (f"time bundle: {where} is missing — the witness given is index {index}, so the "
                "range may be cut short")
    where = f"the entry {side} the range (index {index})"
    if side == "before" and not recorded_at < start:
        return (f"time bundle: {where} was recorded at {recorded_at}, not before the range's "
                f"from {start} — the range may be cut short")
    if side == "after" and not recorded_at >= stop:
        return (f"time bundle: {where} was recorded at {recorded_at}, before the range's to "
                f"{stop} — the range may be cut short")
    leaf = leaf_hash_of_entry(entry_bytes(raw, index=index, stream_version=version,
                                          recorded_at=recorded_at, chain_hash=chain))
    if leaf != leaf_claimed:
        return f"time bundle: {where}: its log entry does not hash to its receipt's leaf hash"
    try:
        merkle.verify_inclusion(leaf, index, tree_size, proof, root)
    except merkle.MerkleProofError as e:
        return (f"time bundle: {where} is not included in the checkpoint (tree size "
                f"{tree_size}): {e.message}")
    return None


def _parse(witness: Any) -> tuple[bytes, list[bytes], tuple[int, int, str, bytes, bytes]] | str:
    if type(witness) is not dict or set(witness) != {"envelope", "proof", "receipt"}:
        return "a witness has exactly the fields envelope, proof and receipt"
    receipt = _receipt(witness["receipt"])
    if isinstance(receipt, str):
        return receipt
    proof = _proof(witness["proof"])
    if isinstance(proof, str):
        return proof
    try:
        raw = jcs.dumps_trusted(witness["envelope"])
    except jcs.NotCanonical as e:
        return f"envelope cannot be canonicalised: {e.message}"
    return raw, proof, receipt
