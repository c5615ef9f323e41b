"""Statistical cohorts are ledger-wide, so the flag projection defers their evaluation while it
works off a backlog (at most ``stats_every`` seconds), evaluates them once caught up, and a new
leader re-evaluates what a previous one deferred. The flags end up those of a full rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from ledger.canonical import canonical
from ledger.crypto import SigningKey
from ledger.domain import vocabulary
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from ledger.synth.generator import SyntheticCity
from ledger.synth.params import CityParams
from projections.flagsview import FlagsView
from projections.redflags.engine import FlagEngine

from .conftest import ROOT_ID

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
STEP = 1000


@pytest.fixture
def loaded(database: tuple[str, str], root_key: SigningKey) -> Iterator[LedgerStore]:
    """The small synthetic city (it publishes small statistical minimums, so its cohorts raise
    RF17 flags), appended through the ledger."""
    _, app_url = database
    store = LedgerStore(datastore_from_url(app_url), url=app_url)
    ledger = Ledger(store, root_keys={ROOT_ID: root_key.public_key}, types=vocabulary)
    city = SyntheticCity(CityParams.scale("small", seed=0), root_key=root_key,
                         root_key_id=ROOT_ID)
    envelopes = list(city.envelopes())
    for i in range(0, len(envelopes), 1000):
        ledger.append(canonical(envelopes[i:i + 1000]))
    ledger.close()
    yield store
    store.close()


@pytest.fixture
def cohort_evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many cohort subjects each call of FlagEngine.evaluate was given."""
    calls: list[int] = []
    original = FlagEngine.evaluate

    def counting(self: FlagEngine, subjects: Any, at: datetime) -> Any:
        subjects = set(subjects)
        calls.append(sum(1 for s in subjects if s.kind == "cohort"))
        return original(self, subjects, at)

    monkeypatch.setattr(FlagEngine, "evaluate", counting)
    return calls


def _rebuilt(store: LedgerStore) -> dict[str, Any]:
    view = FlagsView(store, clock=lambda: AT)
    view.reset()
    view.run_until_idle(limit=10 ** 6)
    return view.snapshot()


def _statistical(snapshot: dict[str, Any]) -> set[str]:
    return {fid for fid in snapshot if fid.startswith(("RF17", "RF20.c", "RF24"))}


def test_a_backlog_evaluates_cohorts_once_then_again_when_caught_up(
        loaded: LedgerStore, cohort_evaluations: list[int]) -> None:
    view = FlagsView(loaded, clock=lambda: AT, stats_every=3600, idle_stats_every=3600)
    view.reset()
    batches = 0
    while view.process(STEP):
        batches += 1
    assert batches >= 4
    # the first batch evaluates its cohorts (nothing evaluated yet); later ones defer theirs
    assert cohort_evaluations[0] > 0
    assert sum(cohort_evaluations[1:]) == 0
    pending = len(view._deferred)
    assert pending > 0, "later batches touched cohorts"
    before = _statistical(view.snapshot())

    view.run_until_idle(STEP)                    # caught up: the deferred cohorts now
    assert cohort_evaluations[-1] == pending and not view._deferred
    after = view.snapshot()
    assert _statistical(after) and _statistical(after) != before
    assert after == _rebuilt(loaded)


def test_a_deferred_cohort_waits_at_most_stats_every_seconds(
        loaded: LedgerStore, cohort_evaluations: list[int]) -> None:
    view = FlagsView(loaded, clock=lambda: AT, stats_every=0)
    view.reset()
    while view.process(STEP):
        pass
    # with no wait allowed, every batch that touched a cohort evaluated it
    assert all(n > 0 for n in cohort_evaluations[:3])
    assert not view._deferred
    assert view.snapshot() == _rebuilt(loaded)


def test_an_idle_call_evaluates_deferred_cohorts_sooner(
        loaded: LedgerStore, cohort_evaluations: list[int]) -> None:
    view = FlagsView(loaded, clock=lambda: AT, stats_every=3600, idle_stats_every=0)
    view.reset()
    while view.process(STEP):
        pass                         # the last call found nothing new: it evaluated them
    assert not view._deferred and cohort_evaluations[-1] > 0
    assert view.snapshot() == _rebuilt(loaded)


def test_a_new_leader_evaluates_what_the_previous_one_deferred(
        loaded: LedgerStore, cohort_evaluations: list[int]) -> None:
    first = FlagsView(loaded, clock=lambda: AT, stats_every=3600, idle_stats_every=3600)
    first.reset()
    while first.process(STEP):
        pass
    assert first._deferred           # the leader stops here (crash) with cohorts deferred
    stale = first.snapshot()

    second = FlagsView(loaded, clock=lambda: AT, stats_every=3600,    # folds silently, then
                       idle_stats_every=3600)                          # evaluates every cohort
    assert second.process(STEP) == 0
    assert cohort_evaluations[-1] > 0
    rebuilt = _rebuilt(loaded)
    assert second.snapshot() == rebuilt != stale
