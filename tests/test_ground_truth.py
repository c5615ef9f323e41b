"""The synthetic city's ground truth agrees with the red flags raised (issue #6): on a small
city, every planted rule-based misconduct item is flagged by one of the rules it names, on its
subject (ledger/synth/score.py: a flag of one of its families about the planted case or person
itself, or citing its events; raised or cleared, since a cleared flag records a deadline met
late). A demo city loaded at once (every event recorded at the load time) declares its history
an import, so it raises no late-recording flags (RF08.a) and the same planted flags.
(Statistical plants — discretion outliers, RF17 — depend on sample sizes a small city
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


def history(city: SyntheticCity, *, loaded_at: datetime | None = None,
            skip: str | None = None) -> list[Recorded]:
    """The envelopes in log order, recorded a minute after they occurred (a prompt poster) —
    or all at ``loaded_at`` (a bulk load, a microsecond apart), leaving out stream ``skip``."""
    versions: dict[str, int] = {}
    out: list[Recorded] = []
    for env in city.envelopes():
        if env["stream"] == skip:
            continue
        index = len(out)
        version = versions[env["stream"]] = versions.get(env["stream"], 0) + 1
        recorded = parse_datetime(env["occurred_at"]) + timedelta(minutes=1) \
            if loaded_at is None else loaded_at + timedelta(microseconds=index)
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
    assert {rf for entry in truth for rf in entry["rf"]} >= {f"RF{n:02d}" for n in range(1, 26)} \
        | {"RF27"}
    rule_based = [e for e in truth if not set(e["rf"]) <= STATISTICAL]
    missed = [(e["id"], e["kind"], e["rf"]) for e in rule_based if not any(explains(e, f) for f in flags)]
    assert missed == [], f"{len(missed)} of {len(rule_based)} planted items not flagged: {missed}"
    assert len(rule_based) >= 60


def _small(seed: int = 0) -> tuple[CityParams, SyntheticCity]:
    params = CityParams.scale("small", seed=seed)
    return params, SyntheticCity(params, root_key=SigningKey(bytes(32)), root_key_id="root-1")


def test_a_demo_city_loaded_at_once_raises_no_late_recording_flags() -> None:
    params, city = _small()
    loaded = city.import_until + timedelta(days=30)
    at = loaded + timedelta(hours=1)
    flags = compute_flags(history(city, loaded_at=loaded), at=at)
    assert [f.flag_id for f in flags if f.rule_id == "RF08.a"] == []
    rule_based = [e for e in city.ground_truth if not set(e["rf"]) <= STATISTICAL]
    assert [e["id"] for e in rule_based if not any(explains(e, f) for f in flags)] == []
    # the declaration is what makes the difference: without it, thousands of RF08.a
    _, again = _small()
    undeclared = compute_flags(history(again, loaded_at=loaded, skip="config:historical-import"),
                               at=at)
    assert sum(f.rule_id == "RF08.a" for f in undeclared) > 1_000


def test_a_demo_city_loaded_before_its_history_ends_gets_no_import() -> None:
    # the declaration names the end of the history; recorded earlier, it is ignored
    _, city = _small()
    early = city.import_until - timedelta(days=1)
    flags = compute_flags(history(city, loaded_at=early), at=early + timedelta(hours=1))
    assert sum(f.rule_id == "RF08.a" for f in flags) > 1_000


def test_warnings_answer_confirmed_flags_about_the_warned_officer() -> None:
    params, city = _small()
    events = history(city)
    flags = {f.flag_id: f for f in compute_flags(
        events, at=datetime.combine(params.start + timedelta(days=params.days + 120),
                                    datetime.min.time(), tzinfo=timezone.utc))}
    warnings = [e for e in events if e.type == "OfficerWarningIssued"]
    confirmed = {e.stream.removeprefix("flag:"): e for e in events if e.type == "FlagConfirmed"}
    assert len(warnings) == 3
    for w in warnings:
        [flag_id] = w.body["flag_ids"]
        flag = flags[flag_id]
        assert flag.officer_id == w.stream.removeprefix("officer:")
        assert flag.disposition == "confirmed" and flag_id in confirmed
        assert confirmed[flag_id].body["rule_id"] == flag.rule_id


def _rf21c_cases(params: CityParams) -> tuple[set[str], set[str]]:
    """(cases RF21.c flags, cases the city planted as ``outside_powers``) of a tiny city."""
    city = SyntheticCity(params, root_key=SigningKey(bytes(32)), root_key_id="root-1")
    at = datetime.combine(params.start + timedelta(days=params.days + 120),
                          datetime.min.time(), tzinfo=timezone.utc)
    flags = compute_flags(history(city), at=at)
    return ({f.case_id for f in flags if f.rule_id == "RF21.c"},
            {e["subject"]["case"] for e in city.ground_truth if e["kind"] == "outside_powers"})


def test_a_code_outside_the_power_list_is_planted_and_raises_rf21c_on_its_case_only() -> None:
    flagged, planted = _rf21c_cases(CityParams.scale("tiny", seed=7))
    assert planted and flagged == planted


def test_the_clean_city_acts_within_its_published_power_lists() -> None:
    flagged, planted = _rf21c_cases(CityParams.scale("tiny", seed=7, misconduct=0))
    assert (flagged, planted) == (set(), set())
