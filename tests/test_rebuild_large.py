"""Incremental projection equals a full rebuild, on a generated history of 100k+ events posted
through the real append pipeline (issue #4), for the read models and the red flags."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ledger.canonical import canonical
from ledger.crypto import SigningKey
from ledger.domain import vocabulary
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from ledger.synth.generator import SyntheticCity
from ledger.synth.params import CityParams
from projections.flagsview import FlagsView
from projections.readmodels import ReadModels

from .conftest import ROOT_ID

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.slow
def test_incremental_projection_equals_full_rebuild_on_100k_events(
        database: tuple[str, str], root_key: SigningKey) -> None:
    _, app_url = database
    store = LedgerStore(datastore_from_url(app_url), url=app_url)
    ledger = Ledger(store, root_keys={ROOT_ID: root_key.public_key}, types=vocabulary)
    views, flags = ReadModels(store), FlagsView(store, clock=lambda: AT)
    city = SyntheticCity(CityParams.scale("large", seed=11, days=240),
                         root_key=root_key, root_key_id=ROOT_ID)
    try:
        batch: list[dict] = []
        total = 0

        def flush() -> None:
            nonlocal total
            result = ledger.append(canonical(batch))
            assert result.written == len(batch)
            total += len(batch)
            batch.clear()
            views.process(limit=1500)          # projected as it arrives, in uneven steps
            if total % 10_000 == 0:            # flags in larger steps (each evaluates cohorts)
                flags.process(limit=15_000)

        for envelope in city.envelopes():
            batch.append(envelope)
            if len(batch) == 1000:
                flush()
        if batch:
            flush()
        views.run_until_idle()
        flags.run_until_idle()
        assert total >= 100_000, total
        incremental = {t: views.snapshot(t) for t in ("cases", "officers", "complaints")}
        incremental_flags = flags.snapshot()

        views.reset()
        flags.reset()
        assert views.run_until_idle(limit=20_000) == total
        flags.run_until_idle()
        assert {t: views.snapshot(t) for t in ("cases", "officers", "complaints")} == incremental
        assert flags.snapshot() == incremental_flags
        assert len(incremental["cases"]) > 5_000 and incremental_flags
    finally:
        ledger.close()
        store.close()
