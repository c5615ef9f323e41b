"""Which event ids a bundle holds twice, in memory bounded whatever the bundle's size.

The ledger records an event id once (``ledger_receipts.event_id`` is UNIQUE), so an id met
twice in a bundle is a replayed or duplicated event — a forged second payment chains as well as
the first. Remembering every id would make the verifier's memory grow with the bundle (≈ 70
bytes an event in a set: 7 GB at 100M events), so ids are kept as an external sort: records of
(id, log index) are collected in a run of at most ``RUN`` records, each full run is sorted and
spilled to an anonymous temporary file, and at the end the runs are merged; equal ids are then
neighbours. Runs are merged by level: whenever ``FAN_IN`` runs of one level are waiting they are
merged into one run of the next, so the files open at once stay few (fewer than ``FAN_IN`` a
level) and each id is written once a level, log_FAN_IN(runs) + 1 times in all — merging into one
ever-growing run instead would copy every id spilled so far at each merge, bytes written growing
with the square of the bundle. Memory: one run (≈ 15 MB); disk: 24 bytes an event; CPU: ≈ 1 µs
an event.
Standard library only, like the rest of the verifier.
"""

from __future__ import annotations

import heapq
import struct
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from itertools import islice, tee
from operator import eq, itemgetter
from typing import IO

RUN = 1 << 18            # records sorted in memory at once
FAN_IN = 32              # spilled runs merged into one when this many are waiting
_ID = 16                 # bytes of an event id (a UUID)
_RECORD = _ID + 8        # id, then the log index (big-endian, so bytes sort as (id, index))
_BLOCK = 4096            # records read from a run at a time
_WHOLE = struct.Struct(f"{_RECORD}s")
_id_of = itemgetter(slice(0, _ID))
_first = itemgetter(0)


class SeenIds:
    """Collects (event id, log index) and names, at the end, every index whose id an earlier
    index already holds. Use as a context manager (the spilled runs are temporary files)."""

    def __init__(self, *, run: int | None = None, fan_in: int | None = None) -> None:
        self.run = run or RUN
        self.fan_in = fan_in or FAN_IN
        self._records: list[bytes] = []
        #: spilled runs by level: a run of level k + 1 is FAN_IN runs of level k merged
        self._levels: list[list[IO[bytes]]] = []

    def __enter__(self) -> SeenIds:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _runs(self) -> list[IO[bytes]]:
        return [f for level in self._levels for f in level]

    def close(self) -> None:
        for f in self._runs:
            f.close()
        self._levels = []
        self._records = []

    def add(self, event_id: str | None, index: int) -> None:
        """Remembers ``event_id`` (a UUID; None, for a line too malformed to have one, is
        skipped) at log ``index``."""
        if event_id is None or index < 0:
            return
        try:
            rid = bytes.fromhex(event_id.replace("-", ""))
        except ValueError:                      # not a UUID: the line is reported as malformed
            return
        if len(rid) != _ID:
            return
        self._records.append(rid + index.to_bytes(8, "big"))
        if len(self._records) >= self.run:
            self._records.sort()
            run, self._records = _spill(self._records), []
            level = 0
            while True:
                if level == len(self._levels):
                    self._levels.append([])
                self._levels[level].append(run)
                if len(self._levels[level]) < self.fan_in:
                    break
                runs, self._levels[level] = self._levels[level], []
                run = _spill(heapq.merge(*(_read(f) for f in runs)))
                for f in runs:
                    f.close()
                level += 1

    def duplicates(self) -> Iterator[tuple[int, str, int]]:
        """(index, event id, first index) for every index holding an id already held at a
        smaller index, in id order."""
        self._records.sort()
        # A bundle seldom holds an id twice: equal neighbours among the sorted ids are looked
        # for by the standard library's C loops, and the records walked one by one in Python
        # only when there are some.
        ids, following = tee(map(_id_of, self._merged()))
        next(following, None)
        if not any(map(eq, ids, following)):
            return
        first_id, first_index = b"", -1
        for rec in self._merged():
            rid = rec[:_ID]
            if rid == first_id:
                yield (int.from_bytes(rec[_ID:], "big"), str(uuid.UUID(bytes=rid)), first_index)
            else:
                first_id, first_index = rid, int.from_bytes(rec[_ID:], "big")

    def _merged(self) -> Iterable[bytes]:
        """Every record, in order (requires the records in memory sorted)."""
        runs = self._runs
        if not runs:
            return self._records
        return heapq.merge(*(_read(f) for f in runs), iter(self._records))


def _spill(records: Iterable[bytes]) -> IO[bytes]:
    f = tempfile.TemporaryFile(prefix="ledger-verify-ids-")
    records = iter(records)
    while block := b"".join(islice(records, _BLOCK)):
        f.write(block)
    f.seek(0)
    return f


def _read(f: IO[bytes]) -> Iterator[bytes]:
    f.seek(0)
    while block := f.read(_RECORD * _BLOCK):
        yield from map(_first, _WHOLE.iter_unpack(block))


__all__ = ["SeenIds"]
