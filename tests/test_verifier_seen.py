"""The verifier finds an event id recorded twice with memory bounded whatever the bundle's size
(ledger/verify/seen.py: an external sort of (id, log index), spilled to temporary files)."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest

from ledger.verify import seen as seen_module
from ledger.verify.seen import SeenIds

from .forged import WHOLE, Log, failures_of
from .test_verifier_adversarial import _event_id, note, registration


def _ids(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(n)]


@pytest.mark.parametrize(("run", "fan_in"), [(1000, 32), (7, 3), (2, 2)],
                         ids=["in-memory", "spilled", "cascaded"])
def test_every_repeated_id_is_named_at_its_later_indices_and_nothing_else(
        run: int, fan_in: int) -> None:
    ids = _ids(300, seed=1)
    log = list(ids)
    log.insert(40, ids[3])            # a replay of index 3 at index 40
    log.append(ids[3])                # and again at the end
    log.insert(200, ids[250])         # a copy recorded before the original (now at 252)
    with SeenIds(run=run, fan_in=fan_in) as seen:
        for index, event_id in enumerate(log):
            seen.add(event_id, index)
            assert len(seen._records) < run          # never more than one run in memory
            assert all(len(level) < fan_in for level in seen._levels)  # merged before they pile up
        found = sorted(seen.duplicates())
    assert found == sorted([(40, ids[3], 3), (len(log) - 1, ids[3], 3), (252, ids[250], 200)])


@pytest.mark.parametrize(("run", "fan_in"), [(1000, 32), (7, 3)], ids=["in-memory", "spilled"])
def test_a_repeated_id_is_named_when_it_sorts_first_or_last(run: int, fan_in: int) -> None:
    """duplicates() first looks for equal neighbours among the sorted ids as a whole, and walks
    the records only when it finds some: the first and the last pair count too."""
    ids = sorted(_ids(50, seed=4))
    log = ids[::-1] + [ids[0], ids[-1]]
    with SeenIds(run=run, fan_in=fan_in) as seen:
        for index, event_id in enumerate(log):
            seen.add(event_id, index)
        found = sorted(seen.duplicates())
        assert list(seen.duplicates()) != []         # the runs can be read again
    assert found == [(50, ids[0], 49), (51, ids[-1], 0)]


def test_each_id_is_rewritten_a_logarithmic_number_of_times(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs were merged into the one run merged before whenever FAN_IN were waiting, so every
    merge copied all the ids spilled so far again: the bytes written grew with the square of
    the bundle (at RUN and FAN_IN's 2^18 and 32, ~1.5 TB written for 10^9 events). Runs are
    now merged by level, FAN_IN of one level into one of the next, so each id is written once
    a level: log_FAN_IN(runs) + 1 times."""
    written = []
    spill = seen_module._spill

    def counting(records: object) -> object:
        records = list(records)             # type: ignore[call-overload]
        written.append(len(records))
        return spill(records)

    monkeypatch.setattr(seen_module, "_spill", counting)
    n = 4096
    with SeenIds(run=4, fan_in=4) as seen:
        for index, event_id in enumerate(_ids(n, seed=3)):
            seen.add(event_id, index)
        # 1024 runs of 4: written at levels 0..5 (4^5 = 1024), 6 times each
        assert sum(written) <= n * 6, sum(written)
        assert all(len(level) < 4 for level in seen._levels)    # merged before they pile up
        assert list(seen.duplicates()) == []


def test_ids_that_are_no_uuid_are_left_to_the_line_checks() -> None:
    with SeenIds(run=2, fan_in=2) as seen:
        for index, event_id in enumerate([None, "not-hex", "f" * 40, None, "not-hex"]):
            seen.add(event_id, index)
        assert list(seen.duplicates()) == []


def test_the_spilled_runs_are_removed_when_it_closes(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seen_module.tempfile, "tempdir", str(tmp_path))
    seen = SeenIds(run=2, fan_in=4)
    for index, event_id in enumerate(_ids(9, seed=2)):
        seen.add(event_id, index)
    files = list(seen._runs)
    assert files and list(tmp_path.iterdir()) == []   # spilled, to unlinked files
    seen.close()
    assert all(f.closed for f in files)


def test_a_replay_is_named_when_the_ids_spill_to_disk(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifier end to end with runs of two ids: the replayed payment at index 9 is named as
    with every id in memory, and no other event."""
    monkeypatch.setattr(seen_module, "RUN", 2)
    monkeypatch.setattr(seen_module, "FAN_IN", 2)
    paid = note(1, "罚款已缴 200 元")
    log = Log(registration(), paid, *(note(10 + i) for i in range(7)), paid, note(30))
    assert failures_of(log.bundle(tmp_path / "b.ndjson", WHOLE)) == [
        f"index 9 event {_event_id(1)}: event id already appears earlier in the bundle (the "
        "ledger records an event once: a replayed or duplicated event)"]
