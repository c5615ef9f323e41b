"""The synthetic city's ground truth agrees with the red flags raised (issue #6): on a small
city, every planted rule-based misconduct item is flagged by one of the rules it names, on its
subject (ledger/synth/score.py: a flag of one of its families about the planted case or person
itself, or citing its events; raised or cleared, since a cleared flag records a deadline met
late). (Statistical plants — discretion outliers, RF17 — depend on sample sizes a small city
barely reaches; their recall is reported, not yet guaranteed: see the issue notes.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ledger.crypto import SigningKey
from ledger.envelope import Recorded
from ledger.schemas import parse_datetime
from ledger.synth.generator import SyntheticCity
from ledger.synth.params import CityParams
from ledger.synth.score import explains
from projections.redflags.engine import compute_flags

STATISTICAL = {"RF17"}


def history(city: SyntheticCity) -> list[Recorded]:
    """The envelopes in log order, recorded a minute after they occurred (a prompt poster)."""
    versions: dict[str, int] = {}
    out = []
    for index, env in enumerate(city.envelopes()):
        version = versions[env["stream"]] = versions.get(env["stream"], 0) + 1
        recorded = parse_datetime(env["occurred_at"]) + timedelta(minutes=1)
        out.append(Recorded(event_id=env["event_id"], stream=env["stream"], type=env["type"],
                            occurred_at=env["occurred_at"], signer=env["signer"],
                            body=env["body"], index=index, stream_version=version,
                            recorded_at=recorded.astimezone(timezone.utc)
                            .strftime("%Y-%m-%dT%H:%M:%S.%fZ")))
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_every_planted_misconduct_in_a_small_city_is_flagged(seed: int) -> None:
    params = CityParams.scale("small", seed=seed)
    city = SyntheticCity(params, root_key=SigningKey(bytes(32)), root_key_id="root-1")
    events = history(city)
    at = datetime.combine(params.start + timedelta(days=params.days + 120),
                          datetime.min.time(), tzinfo=timezone.utc)
    flags = compute_flags(events, at=at)
    truth = city.ground_truth
    assert {rf for entry in truth for rf in entry["rf"]} >= {f"RF{n:02d}" for n in range(1, 26)}
    rule_based = [e for e in truth if not set(e["rf"]) <= STATISTICAL]
    missed = [(e["id"], e["kind"], e["rf"]) for e in rule_based if not any(explains(e, f) for f in flags)]
    assert missed == [], f"{len(missed)} of {len(rule_based)} planted items not flagged: {missed}"
    assert len(rule_based) >= 60
