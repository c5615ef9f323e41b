"""Statistical red flags at a realistic caseload (issue #5): on the synthetic medium city
(≈ 26k events, 48 officers, ≈ 0.2 cases per officer per working day over ≈ 15 violation codes,
where no officer reaches 20 fines of one code in one unit-quarter), with national defaults,
every planted statistical item — discretion outliers (RF17.a), threshold bunching (RF17.g),
high void rates (RF20.c), period-end spikes (RF24) — is flagged; statistical flags on officers
with nothing planted stay within the null simulation's bound (≤ 5 % of officers); and folding
the history in batches, evaluating what each batch dirtied, equals a rebuild."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

import pytest

from ledger.crypto import SigningKey
from ledger.envelope import Recorded
from ledger.synth.generator import SyntheticCity
from ledger.synth.params import CityParams
from ledger.synth.score import explains
from projections.redflags import Flag, FlagEngine, compute_flags, national
from projections.redflags.statistics import lead

from .test_ground_truth import history

STATISTICAL = ("RF17", "RF20.c", "RF24")
#: what each planted statistical kind must raise
EXPECTED_RULE = {"discretion_outlier": "RF17.a", "threshold_bunching": "RF17.g",
                 "form_void_outlier": "RF20.c", "quota_spikes": "RF24"}


@functools.lru_cache(maxsize=2)
def medium(seed: int) -> tuple[list[dict], tuple[Recorded, ...], datetime, tuple[Flag, ...]]:
    params = CityParams.scale("medium", seed=seed)
    assert params.detection == {}              # national defaults: n ≥ 20, ≥ 5 peers
    city = SyntheticCity(params, root_key=SigningKey(bytes(32)), root_key_id="root-1")
    events = tuple(history(city))
    at = datetime.combine(params.start + timedelta(days=params.days + 120),
                          datetime.min.time(), tzinfo=timezone.utc)
    return city.ground_truth, events, at, tuple(compute_flags(events, national(), at=at))


def planted_statistical(truth: list[dict]) -> list[dict]:
    return [e for e in truth if set(e["rules"]) <= set(STATISTICAL)]


@pytest.mark.parametrize("seed", [0, 1])
def test_every_planted_statistical_item_in_a_medium_city_is_flagged(seed: int) -> None:
    truth, events, _, flags = medium(seed)
    assert len(events) > 20_000
    planted = planted_statistical(truth)
    assert sorted({e["kind"] for e in planted}) == sorted(EXPECTED_RULE)
    assert len(planted) >= 8
    for e in planted:
        rule = EXPECTED_RULE[e["kind"]]
        found = [f for f in flags if f.rule_id == rule and explains(e, f)]
        assert found, (e["kind"], e["subject"])
        officer = e["subject"].get("officer")
        if officer is not None:
            assert {f.officer_id for f in found} == {officer}


@pytest.mark.parametrize("seed", [0, 1])
def test_statistical_flags_on_officers_with_nothing_planted_stay_within_five_percent(
        seed: int) -> None:
    truth, events, _, flags = medium(seed)
    engine = FlagEngine(national())
    engine.apply_all(events)
    leads = {lead(d) for c in engine.fold.cases.values() for d in c.decisions} - {None}
    assert len(leads) >= 40
    planted = {e["subject"].get("officer") for e in planted_statistical(truth)}
    statistical = [f for f in flags if f.rule_id.startswith(STATISTICAL[:2])]
    flagged = {f.officer_id for f in statistical}
    assert planted - {None} <= flagged
    assert len(flagged - planted) <= 0.05 * len(leads), sorted(
        (f.rule_id, f.officer_id) for f in statistical if f.officer_id not in planted)
    # each flag is about the officer, in the officer's own unit (unit-scoped inspectors)
    for f in statistical:
        assert f.officer_id is not None
        assert f.unit_id == engine.fold.officers[f.officer_id].unit_id, f.flag_id


def test_a_medium_city_folded_in_batches_gives_the_flags_of_a_rebuild() -> None:
    _, events, at, expected = medium(0)
    engine = FlagEngine(national())
    held: dict[str, list[Flag]] = {}
    batch = 2_500
    for start in range(0, len(events), batch):
        subjects = engine.apply_all(events[start:start + batch])
        for s in subjects:
            held[str(s)] = []
        for fl in engine.evaluate(subjects, at):
            held.setdefault(fl.scope, []).append(fl)
    incremental = sorted((fl for fls in held.values() for fl in fls),
                         key=lambda fl: (fl.raised_at, fl.rule_id, fl.flag_id))
    assert any(fl.rule_id == "RF17.a" for fl in incremental)
    assert [fl.to_value() for fl in incremental] == [fl.to_value() for fl in expected]
