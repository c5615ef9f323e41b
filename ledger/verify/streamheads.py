"""The streams a scoped bundle holds whole, against the heads the log key signed for them.

A ``case``, ``stream``, ``officer`` or ``unit`` bundle holds its streams from version 1; its
``end`` line's ``heads`` (ledger.streamheads) names, bound to the checkpoint, where each of them
ends below the tree size. The bundle's last event of each stream must be exactly that head, and
the streams held and named must be the same: anything less may hide a stream's latest events
(a waiver, a refund, a closing). The chain links and a version missing between two present
ones are step 4's (chains.py); here only each stream's last version present.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..checkpoint import Checkpoint
from ..errors import VerificationError
from ..note import Verifier
from ..streamheads import Heads, StreamHead, open_heads
from .format import WHOLE_STREAMS

_WITHHELD = "the stream's tail may be withheld"


class HeldStreams:
    """Each stream's last version held as an event below ``size`` (an anchor's signature is
    not judged; whole-stream scopes carry none), with its chain hash and log index."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.last: dict[str, tuple[int, bytes, int]] = {}

    def add(self, stream: str, version: int, chain: bytes, index: int) -> None:
        if index >= self.size:
            return
        held = self.last.get(stream)
        if held is None or version > held[0]:   # not: reordered or duplicated, step 4's
            self.last[stream] = (version, chain, index)


def judge_heads(scope_kind: str, end: dict[str, Any] | None, verifiers: Sequence[Verifier],
                checkpoint: Checkpoint, held: HeldStreams) -> tuple[list[str], list[str]]:
    """(failures, notices): a bundle that holds its streams whole ends each at the head the
    log key signed for it (``end``, the end line's ``heads``), else a stream's latest events
    could be left out. A bundle of another scope holds no stream whole."""
    heads = None if end is None else end.get("heads")
    if scope_kind not in WHOLE_STREAMS:
        if heads is not None:
            return [], [f"the end line's heads were not checked: a {scope_kind} bundle holds no "
                        "stream whole by scope"]
        return [], []
    if heads is None:
        if end is None:         # no end line: failed already
            return [], []
        return [], ["the end line carries no signed heads, so that the bundle holds the latest "
                    "events of its streams is not proven: a stream's withheld tail would go "
                    "unnoticed (export where the log key is held, or audit a whole-log bundle)"]
    return _check_heads(heads, verifiers, checkpoint, held), []


def _check_heads(note: object, verifiers: Sequence[Verifier], checkpoint: Checkpoint,
                held: HeldStreams) -> list[str]:
    """What keeps the bundle's streams from ending exactly at the signed heads ``note`` (the
    end line's ``heads``), one line each; empty when nothing does."""
    if not isinstance(note, str):
        return ["heads: the end line's heads is not a signed note (a string)"]
    try:
        heads = open_heads(note, verifiers)
    except VerificationError as e:
        return [f"heads: {e.message}"]
    bound = _bound(heads, checkpoint)
    if bound:
        return [bound]
    named = heads.by_stream()
    out = []
    for stream in sorted(set(named) | set(held.last)):
        why = _stream(stream, named.get(stream), held.last.get(stream))
        if why:
            out.append(why)
    return out


def _bound(heads: Heads, checkpoint: Checkpoint) -> str | None:
    for what, signed, ours in (("origin", heads.origin, checkpoint.origin),
                               ("tree size", heads.size, checkpoint.size),
                               ("root", heads.root, checkpoint.root_hash)):
        if signed != ours:
            shown = (signed.hex(), ours.hex()) if isinstance(signed, bytes) else (signed, ours)
            return (f"heads: the signed heads name {what} {shown[0]}, the checkpoint "
                    f"{shown[1]}: they are not the bundle's checkpoint's")
    return None


def _stream(stream: str, head: StreamHead | None,
            held: tuple[int, bytes, int] | None) -> str | None:
    if head is None:
        return (f"stream {stream}: held by the bundle but not named by the signed heads, so "
                "its tail is not proven")
    version, chain, index = held if held is not None else (0, b"", -1)
    if version < head.version:
        return (f"stream {stream}: version {version + 1} of {head.version} named by the signed "
                f"heads is absent — {_WITHHELD}")
    if version > head.version:
        return (f"stream {stream}: the bundle holds version {version}, the signed heads name "
                f"version {head.version} as the stream's head: they disagree with the bundle")
    if chain != head.chain_hash or index != head.index:
        return (f"stream {stream}: version {version} has chain hash {chain.hex()} at log index "
                f"{index}, the signed heads name {head.chain_hash.hex()} at index {head.index}")
    return None
