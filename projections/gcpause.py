"""Pausing the cyclic garbage collector around bulk work that builds acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk decode, fold or evaluation.

    What these build is acyclic (decoded JSON, tuples, lists, dicts and slotted records that
    never point back), so reference counting frees everything; but millions of small live
    containers make every generation-2 collection rescan them all, which tripled rebuild time.
    The previous state is restored on exit.

    ``freeze``: what was built is kept (an engine's fold of the whole log), so on resuming, move
    every object to the collector's permanent generation first (``gc.freeze()``): otherwise the
    collector scans all of them two or three times as they age, ≈ 8 s after a fold of 1M events
    (BENCHMARKS.md, "Red flags"). Reference counting still frees them; only a cycle among
    them would stay, and a fold builds none."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if freeze:
                gc.freeze()
            gc.enable()
