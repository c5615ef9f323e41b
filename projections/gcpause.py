"""Pausing the cyclic garbage collector around bulk work that builds acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk decode, fold or evaluation.

    What these build is acyclic (decoded JSON, tuples, lists, dicts and slotted records that
    never point back), so reference counting frees everything; but millions of small live
    containers make every generation-2 collection rescan them all, which tripled rebuild time.
    The previous state is restored on exit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
