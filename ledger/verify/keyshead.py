"""The key registry a bundle holds, against the ``keys`` head its checkpoint names.

A checkpoint's ``keys`` line (ledger.keyshead) names the last ``keys`` event below its tree
size. A bundle, scoped or whole, carries that stream whole: versions 1 to the head, the last
one's chain hash the line's. Anything less may hide a ``KeyRevoked`` and so make a revoked key
look valid; anything more means the line disagrees with the log. The chain links themselves
are step 4's (chains.py), and so is a version missing between two present ones: here only the
last version present, and its claimed chain hash, which its inclusion proof vouches for.
"""

from __future__ import annotations

from ..keyshead import KeysHead

_WITHHELD = "a key revocation may be withheld"


class KeysStream:
    """The last version of stream ``keys`` a bundle holds as an event (an anchor's signature is
    not judged, so a revocation there would not count) and its chain hash; the same below
    ``bound`` (an older checkpoint's tree size). Events at or beyond ``size``, the checkpoint's
    tree size, are not counted (they are named as beyond it)."""

    def __init__(self, size: int, bound: int | None = None) -> None:
        self.size = size
        self.bound = bound
        self.state = _State()
        self.below = _State()

    def add(self, index: int, version: int, chain: bytes) -> None:
        if index < self.size:
            self.state.add(version, chain)
        if self.bound is not None and index < self.bound:
            self.below.add(version, chain)

    def judge(self, head: KeysHead | None, head_bad: bool, *, size: int, whole_log: bool,
              old_head: KeysHead | None, old_size: int | None) -> tuple[list[str], list[str]]:
        """(failures, notices) of the bundle's ``keys`` events against ``head``, the one the
        checkpoint of tree ``size`` names (None: it names none, or ``head_bad``: it names one
        wrongly, failed already), and against ``old_head``, the older checkpoint's, below its
        ``old_size``: a scoped bundle can withhold a KeyRevoked only where no checkpoint names
        the registry's head."""
        failures, notices = [], []
        if head is not None:
            if why := self.failure(head):
                failures.append(why)
        elif not head_bad and not whole_log:
            notices.append(f"the checkpoint (tree size {size}) has no keys line, so the "
                           "completeness of the bundle's key registry is not proven by it: a "
                           "withheld KeyRevoked would go unnoticed (a whole-log bundle, or a "
                           "checkpoint signed since the ledger writes the line, proves it)")
        if old_head is not None and old_size is not None and old_size <= size:
            if why := self.failure(old_head, "the older checkpoint", below_bound=True):
                failures.append(why)
        return failures, notices

    def failure(self, head: KeysHead, what: str = "the checkpoint", *,
                below_bound: bool = False) -> str | None:
        """What keeps the bundle's ``keys`` events from reaching exactly ``head``, or None (a
        version missing before the last one present is step 4's to name); ``what`` names the
        checkpoint the head is from."""
        state = self.below if below_bound else self.state
        v = head.version
        if state.last < v:
            return (f"keys stream: version {state.last + 1} of {v} named by {what} is absent — "
                    f"{_WITHHELD}")
        if state.last > v:
            return (f"keys stream: the bundle holds version {state.last} below the tree size of "
                    f"{what}, which names version {v} as the stream's head: {what} disagrees "
                    "with the log")
        if state.chain is not None and state.chain != head.chain_hash:
            return (f"keys stream: version {v} has chain hash {state.chain.hex()}, {what} names "
                    f"{head.chain_hash.hex()}: {what} disagrees with the log")
        return None


class _State:
    __slots__ = ("chain", "last")

    def __init__(self) -> None:
        self.last = 0
        self.chain: bytes | None = None     # of version ``last`` (None: the genesis, unchecked)

    def add(self, version: int, chain: bytes) -> None:
        if version > self.last:         # not: reordered or duplicated, which step 4 names
            self.last, self.chain = version, chain
