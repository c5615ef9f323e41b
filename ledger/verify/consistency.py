"""Step 7: the bundle's checkpoint is consistent with an older one (``--since``), by the bundle's
RFC 9162 consistency proof or, in a whole-log bundle, by the root of its first leaves."""

from __future__ import annotations

from typing import Any

from .. import merkle
from ..checkpoint import Checkpoint


def judge_consistency(checkpoint: Checkpoint, old: Checkpoint | None, since_given: bool,
                      proof: dict[str, Any] | None, old_root_seen: bytes | None,
                      ) -> tuple[list[str], list[str]]:
    """(failures, notices) for ``checkpoint`` against ``old``, the older checkpoint when one
    was given (``since_given``) and signed. ``proof`` is the bundle's consistency line;
    ``old_root_seen`` the root of a whole-log bundle's first ``old.size`` leaves, when it has
    as many."""
    if old is None:
        if proof is not None and not since_given:
            return [], [f"the bundle carries a consistency proof from size {proof['first']}; "
                        "pass --since to check it"]
        return [], []
    what = f"not consistent with the older checkpoint (size {old.size})"
    if old.size > checkpoint.size:
        return [f"checkpoint: {what}: it is larger than this one (size {checkpoint.size}): "
                "the log was truncated or forked"], []
    if old_root_seen is not None:
        if old_root_seen != old.root_hash:
            return [f"checkpoint: {what}: the bundle's first {old.size} leaves hash to "
                    f"{old_root_seen.hex()}, the older checkpoint says {old.root_hash.hex()} "
                    "(a fork)"], []
        return [], []
    if old.size == checkpoint.size:
        if old.root_hash != checkpoint.root_hash:
            return [f"checkpoint: {what}: same size, different roots (a fork)"], []
        return [], []
    if old.size == 0:
        # The empty tree is a prefix of every tree: RFC 9162 has no proof from it (and the
        # exporter writes none), so only its root is checked.
        if old.root_hash != merkle.EMPTY_ROOT:
            return [f"checkpoint: {what}: its root {old.root_hash.hex()} is not the empty "
                    f"tree's {merkle.EMPTY_ROOT.hex()}"], []
        return [], []
    if proof is None or proof["first"] != old.size or proof["second"] != checkpoint.size:
        return [f"checkpoint: the bundle carries no consistency proof from size {old.size} to "
                f"{checkpoint.size} (export with --since-size {old.size})"], []
    try:
        merkle.verify_consistency(old.size, checkpoint.size, proof["proof"], old.root_hash,
                                  checkpoint.root_hash)
    except merkle.MerkleProofError as e:
        return [f"checkpoint: {what}: {e.message}"], []
    return [], []
