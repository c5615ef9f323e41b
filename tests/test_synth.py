"""The synthetic city: deterministic, well-formed, signed by the right keys, with a ground truth
that covers the red-flag catalogue — and accepted in full by the real API."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from fastapi.testclient import TestClient

from api.app import asgi, create_app
from ledger.canonical import canonical, canonical_trusted
from ledger.client import LedgerClient
from ledger.crypto import SigningKey, b64url_decode, b64url_encode, verify
from ledger.domain import vocabulary
from ledger.domain.calendar import legal_date
from ledger.domain.keys import bound_device
from ledger.envelope import Recorded, signing_bytes
from ledger.logentry import format_recorded_at
from ledger.schemas import parse_datetime
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from ledger.synth import KINDS, RF_IDS, CityParams, SyntheticCity, coverage, generate
from ledger.synth.cli import load, run_demo
from ledger.tokens import new_token, token_hash
from projections import case_model
from projections.readmodels import fetch_after
from projections.redflags import compute_flags

ROOT_ID = "root-1"
ROOT = SigningKey(bytes(range(32)))


@pytest.fixture(scope="module")
def tiny() -> SyntheticCity:
    city = SyntheticCity(CityParams.scale("tiny", seed=7), root_key=ROOT, root_key_id=ROOT_ID)
    city.events = list(city.envelopes())          # type: ignore[attr-defined]
    return city


def events(city: SyntheticCity) -> list[dict[str, Any]]:
    return city.events                            # type: ignore[attr-defined, no-any-return]


# --- determinism ------------------------------------------------------------------------------

def test_same_seed_gives_byte_identical_signed_events_and_ground_truth(tiny: SyntheticCity
                                                                       ) -> None:
    again, truth = generate(CityParams.scale("tiny", seed=7), root_key=ROOT,
                            root_key_id=ROOT_ID)
    assert [canonical(e) for e in again] == [canonical(e) for e in events(tiny)]
    assert json.dumps(truth, sort_keys=True) == json.dumps(tiny.ground_truth, sort_keys=True)


def test_different_seed_gives_different_events(tiny: SyntheticCity) -> None:
    other, _ = generate(CityParams.scale("tiny", seed=8), root_key=ROOT, root_key_id=ROOT_ID)
    assert {e["event_id"] for e in other}.isdisjoint(e["event_id"] for e in events(tiny))
    keys = {e["body"]["public_key"] for e in other if e["type"] == "KeyRegistered"}
    assert keys.isdisjoint(e["body"]["public_key"] for e in events(tiny)
                           if e["type"] == "KeyRegistered")


def test_explicit_sizes_scale_the_city() -> None:
    small = SyntheticCity(CityParams(seed=1, days=30, officers_per_squadron=4),
                          root_key=ROOT, root_key_id=ROOT_ID)
    larger = SyntheticCity(CityParams(seed=1, days=30, officers_per_squadron=8, brigades=2),
                           root_key=ROOT, root_key_id=ROOT_ID)
    assert len(larger.world.people) > 3 * len(small.world.people) / 2
    assert larger.slots > small.slots


def test_rejects_a_period_the_working_day_calendar_does_not_cover() -> None:
    with pytest.raises(ValueError, match="calendar"):
        CityParams(start=CityParams().start.replace(year=2026), days=200)


# --- shape, signatures and roles --------------------------------------------------------------

def test_every_envelope_is_well_formed_for_its_type_and_stream(tiny: SyntheticCity) -> None:
    problems = [(e["type"], [f"{p.path}: {p.message}" for p in errors])
                for e in events(tiny)
                if (errors := vocabulary.validate_event(e["type"], e["stream"], e["body"]))]
    assert problems == []


def test_every_event_is_signed_by_a_registered_key_whose_roles_may_sign_it(
        tiny: SyntheticCity) -> None:
    allowed = vocabulary.signer_roles_by_type()
    keys: dict[str, tuple[bytes, set[str]]] = {ROOT_ID: (ROOT.public_key, {"root"})}
    wrong = []
    for env in events(tiny):
        key_id = env["signer"].removeprefix("key:")
        public, roles = keys[key_id]                  # registered before first use
        unsigned = {k: v for k, v in env.items() if k != "sig"}
        verify(public, signing_bytes(unsigned), b64url_decode(env["sig"]))
        if not roles & allowed[env["type"]]:
            wrong.append((env["type"], key_id, sorted(roles)))
        if env["type"] == "KeyRegistered":
            body = env["body"]
            keys[body["key_id"]] = (b64url_decode(body["public_key"]), set(body["roles"]))
    assert wrong == []


def test_keys_registered_match_the_city_key_ring_and_come_first(tiny: SyntheticCity) -> None:
    evs = events(tiny)
    n = len(tiny.keys)
    assert [e["type"] for e in evs[:n]] == ["KeyRegistered"] * n
    assert all(e["type"] != "KeyRegistered" for e in evs[n:])
    registered = {e["body"]["key_id"]: e["body"] for e in evs[:n]}
    for info in tiny.keys:
        assert registered[info.key_id]["public_key"] == b64url_encode(info.key.public_key)
        assert registered[info.key_id]["roles"] == list(info.roles)
    config = [e["type"] for e in evs[n:n + 5]]
    assert set(config) <= {"FineSchedulePublished", "DiscretionBenchmarkPublished",
                           "LegalParametersPublished", "WorkingCalendarPublished",
                           "UnitTerritoryPublished"}


def test_each_kind_of_signer_signs_what_it_would_in_reality(tiny: SyntheticCity) -> None:
    by_prefix: dict[str, set[str]] = collections.defaultdict(set)
    for env in events(tiny):
        key = env["signer"].removeprefix("key:c7-")
        by_prefix[key.split("-SH-")[0]].add(env["type"])
    assert by_prefix["bodycam"] <= {"EvidenceRecorded", "CredentialShown"}
    assert by_prefix["treasury"] == {"PaymentRecorded", "TreasuryReconciled"}
    assert "PenaltyDecided" in by_prefix["pda"] and "PenaltyDecided" in by_prefix["sup"]
    assert by_prefix["config"] == {"FineSchedulePublished", "DiscretionBenchmarkPublished",
                                   "LegalParametersPublished", "WorkingCalendarPublished",
                                   "UnitTerritoryPublished", "PowerListPublished"}


def test_evidence_claiming_device_signed_is_signed_by_its_devices_own_key(
        tiny: SyntheticCity) -> None:
    """The red flags count the claim only then (docs/red-flags.md, RF07, "Device-signed")."""
    devices = {info.key_id: bound_device(info.principal, info.roles) for info in tiny.keys}
    claims = [(env["body"]["capture_device"]["device_id"], env["signer"].removeprefix("key:"))
              for env in events(tiny) if env["type"] == "EvidenceRecorded"
              and env["body"]["device_signed"]]
    assert claims and [c for c in claims if devices.get(c[1]) != c[0]] == []
    assert {d[:3] for d, _ in claims} == {"BC-", "PDA"}


def test_fast_canonical_path_gives_the_rfc8785_bytes(tiny: SyntheticCity) -> None:
    for env in events(tiny):
        assert canonical_trusted(env) == canonical(env)
    for env in events(tiny)[::97]:
        assert canonical_trusted(env) == rfc8785.dumps(env)


def test_small_city_publishes_its_local_detection_minimums_as_configuration(
        tiny: SyntheticCity) -> None:
    published = [e["body"] for e in events(tiny) if e["stream"] == "config:detection-thresholds"]
    assert [{p["name"]: p["value"] for p in b["parameters"]} for b in published] == \
        [tiny.params.detection]
    assert SyntheticCity(CityParams.scale("medium"), root_key=ROOT,
                         root_key_id=ROOT_ID).params.detection == {}


def test_event_ids_are_unique_and_occurred_at_carries_the_china_offset(
        tiny: SyntheticCity) -> None:
    ids = [e["event_id"] for e in events(tiny)]
    assert len(ids) == len(set(ids))
    assert all(e["occurred_at"].endswith("+08:00") for e in events(tiny))


# --- ground truth -----------------------------------------------------------------------------

def test_catalogue_plants_at_least_one_kind_for_every_red_flag() -> None:
    assert [rf for rf, kinds in coverage().items() if not kinds] == []


def test_ground_truth_covers_every_red_flag_and_every_kind(tiny: SyntheticCity) -> None:
    truth = tiny.ground_truth
    assert {rf for item in truth for rf in item["rf"]} == set(RF_IDS)
    assert {item["kind"] for item in truth} == {k.name for k in KINDS}


def test_ground_truth_refers_only_to_generated_events(tiny: SyntheticCity) -> None:
    by_id = {e["event_id"]: e for e in events(tiny)}
    for item in tiny.ground_truth:
        assert item["event_ids"], item
        assert all(e in by_id for e in item["event_ids"]), item
        types = {by_id[e]["type"] for e in item["event_ids"]}
        kind = next(k for k in KINDS if k.name == item["kind"])
        assert types <= set(kind.types) | {"ComplaintReceived", "ComplaintClosed"}, item
        case = item["subject"].get("case")
        if "complaint" in item["subject"]:         # about a case, on the complaint's stream
            assert by_id[item["event_ids"][0]]["body"]["case_id"] == case, item
        elif case is not None and item["scope"] == "case":
            assert any(by_id[e]["stream"] == f"case:{case}" for e in item["event_ids"]), item


def test_no_misconduct_plants_nothing() -> None:
    _, truth = generate(CityParams.scale("tiny", seed=3, misconduct=0), root_key=ROOT,
                        root_key_id=ROOT_ID)
    assert truth == []


def _case_states(city: SyntheticCity) -> dict[str, dict[str, Any]]:
    """Each case's read-model state, every event recorded at the moment it claims (as the
    city's events are posted: a day's acts that day), so none reads as dated ahead of its
    recording, which the deadlines count from the recording (docs/red-flags.md, RF08.e)."""
    states: dict[str, dict[str, Any]] = {}
    versions: collections.Counter[str] = collections.Counter()
    for i, e in enumerate(events(city)):
        versions[e["stream"]] += 1
        if e["stream"].startswith("case:"):
            rec = Recorded(event_id=e["event_id"], stream=e["stream"], type=e["type"],
                           occurred_at=e["occurred_at"], signer=e["signer"], body=e["body"],
                           index=i, stream_version=versions[e["stream"]],
                           recorded_at=format_recorded_at(parse_datetime(e["occurred_at"])))
            states[e["stream"][5:]] = case_model.apply(states.get(e["stream"][5:]), rec)
    return states


def test_clean_cases_follow_the_lifecycle_and_meet_every_deadline(tiny: SyntheticCity) -> None:
    planted = {e for item in tiny.ground_truth for e in item["event_ids"]}
    planted_cases = {item["subject"].get("case") for item in tiny.ground_truth}
    problems = []
    for case_id, st in _case_states(tiny).items():
        if case_id in planted_cases or planted & set(st["events"]):
            continue
        problems += [(case_id, "out of order", o["type"], o["state"]) for o in st["out_of_order"]]
        problems += [(case_id, "late", name) for name, d in st["deadlines"].items()
                     if d["late"] and name != "payment"]
        if st["state"] not in ("CLOSED", "ARCHIVED"):
            problems.append((case_id, "left open", st["state"]))
    assert problems == []


@pytest.mark.parametrize("kind, deadline", [
    ("cash_remitted_late", "cash_to_agency"), ("deposit_late", "agency_to_bank"),
    ("decision_overdue", "decision"), ("publication_late", "publication"),
    ("service_late", "service")])
def test_planted_late_steps_miss_their_statutory_deadline(tiny: SyntheticCity, kind: str,
                                                          deadline: str) -> None:
    states = _case_states(tiny)
    cases = [i["subject"]["case"] for i in tiny.ground_truth if i["kind"] == kind]
    assert cases and all(states[c]["deadlines"][deadline]["late"] for c in cases)


def test_planted_revoked_decision_stays_published(tiny: SyntheticCity) -> None:
    states = _case_states(tiny)
    cases = [i["subject"]["case"] for i in tiny.ground_truth
             if i["kind"] == "publication_not_withdrawn"]
    assert cases
    for c in cases:
        withdrawal = states[c]["deadlines"]["publication_withdrawal"]
        assert withdrawal["due"] and withdrawal["met_on"] is None


def test_clean_revoked_decisions_have_their_publication_withdrawn_in_time(
        tiny: SyntheticCity) -> None:
    planted_cases = {item["subject"].get("case") for item in tiny.ground_truth}
    revoked = {case_id: st for case_id, st in _case_states(tiny).items()
               if st["deadlines"].get("publication_withdrawal") and case_id not in planted_cases}
    assert revoked
    assert all(not st["deadlines"]["publication_withdrawal"]["late"] and st["state"] == "CLOSED"
               for st in revoked.values())


# --- oversight: supervision notices, confirmed flags and warnings ------------------------------

def _notices(city: SyntheticCity) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for e in events(city):
        if e["stream"].startswith("supervision:"):
            out[e["stream"].removeprefix("supervision:")].append(e)
    return out


def test_supervision_notices_are_answered_on_time_late_never_or_not_resubmitted(
        tiny: SyntheticCity) -> None:
    notices = _notices(tiny)
    planted = {item["kind"]: item for item in tiny.ground_truth if item["scope"] == "notice"}
    assert sorted(planted) == ["supervision_answered_late", "supervision_not_resubmitted",
                               "supervision_unanswered"]
    for kind, item in planted.items():
        notice = notices[item["subject"]["supervision"]]
        assert item["subject"]["unit"] == notice[0]["body"]["to_unit_id"]
        assert item["event_ids"][0] == notice[0]["event_id"]
        types = [e["type"] for e in notice]
        respond_by = notice[0]["body"]["respond_by"]
        answers = [legal_date(e["occurred_at"]).isoformat() for e in notice
                   if e["type"] == "SupervisionFeedbackSubmitted"]
        if kind == "supervision_unanswered":
            assert types == ["SupervisionNoticeIssued"]
        elif kind == "supervision_answered_late":
            assert len(answers) == 1 and answers[0] > respond_by
        else:
            assert notice[-1]["body"]["result"] == "rejected_resubmit" and len(answers) == 1
    clean = [n for nid, n in notices.items()
             if nid not in {i["subject"]["supervision"] for i in planted.values()}]
    assert len(clean) == 2
    for notice in clean:       # answered by the deadline, and finally accepted
        answers = [legal_date(e["occurred_at"]).isoformat() for e in notice
                   if e["type"] == "SupervisionFeedbackSubmitted"]
        assert answers and answers[0] <= notice[0]["body"]["respond_by"]
        assert notice[-1]["body"]["result"] == "accepted"
    assert any(e["body"].get("result") == "rejected_resubmit" for n in clean for e in n)


def test_formal_warnings_follow_a_confirmed_flag_and_are_not_ground_truth(
        tiny: SyntheticCity) -> None:
    confirmed = {e["stream"].removeprefix("flag:"): e for e in events(tiny)
                 if e["type"] == "FlagConfirmed"}
    warnings = [e for e in events(tiny) if e["type"] == "OfficerWarningIssued"]
    assert len(warnings) == 3 * len(tiny.scenarios) and len(confirmed) == len(warnings)
    planted_people = {item["subject"].get("officer") for item in tiny.ground_truth}
    for w in warnings:
        [flag_id] = w["body"]["flag_ids"]
        assert legal_date(confirmed[flag_id]["occurred_at"]) < legal_date(w["occurred_at"])
        assert w["stream"].removeprefix("officer:") in planted_people
    truth_ids = {e for item in tiny.ground_truth for e in item["event_ids"]}
    assert truth_ids.isdisjoint(e["event_id"] for e in warnings)
    assert truth_ids.isdisjoint(e["event_id"] for e in confirmed.values())


def test_city_declares_its_history_a_historical_import_in_its_first_configuration_event(
        tiny: SyntheticCity) -> None:
    evs = events(tiny)
    first = evs[len(tiny.keys)]
    assert (first["stream"], first["type"]) == ("config:historical-import",
                                                "LegalParametersPublished")
    [param] = first["body"]["parameters"]
    assert (param["name"], param["unit"]) == ("historical_import_until", "minutes")
    assert param["value"] * 60 == int(tiny.import_until.timestamp())
    assert all(e["occurred_at"] < tiny.import_until.isoformat() for e in evs if e is not first)


def test_clean_acts_are_by_certified_officers_inside_their_grids(tiny: SyntheticCity) -> None:
    planted = {e for item in tiny.ground_truth for e in item["event_ids"]}
    planted_cases = {item["subject"].get("case") for item in tiny.ground_truth}
    flagged_people = {p.id for s in tiny.scenarios
                      for p in (s.expired, s.suspended, s.lapsed_pledge, s.uncountersigned)}
    people = tiny.world.people
    dispatched = {(o, d["body"]["grid_ids"][0], d["body"]["window_from"][:10])
                  for d in events(tiny) if d["type"] == "DispatchOrderIssued"
                  for o in d["body"]["officers"]}
    assert dispatched
    problems = []
    for e in events(tiny):
        if not e["stream"].startswith("case:") or e["event_id"] in planted or \
                e["stream"][5:] in planted_cases:
            continue
        day = legal_date(e["occurred_at"])
        for ref in e["body"].get("officers") or ():
            person = people[ref["officer_id"]]
            if person.id in flagged_people:
                continue
            cert = next((c for c in person.certs if c.cert_no == ref.get("cert_no")), None)
            if person.kind != "officer" or cert is None or \
                    not cert.valid_from <= day <= cert.valid_until:
                problems.append((e["stream"], e["type"], person.id, "credential"))
            grid = (e["body"].get("location") or {}).get("grid_id")
            if grid and grid not in person.grids_on(day) and \
                    (person.id, grid, day.isoformat()) not in dispatched:
                problems.append((e["stream"], e["type"], person.id, "grid"))
    assert problems == []


# --- through the real API ---------------------------------------------------------------------

@pytest.fixture
def domain_api(database: tuple[str, str]) -> Iterator[tuple[TestClient, str, LedgerStore]]:
    """A ledger with the enforcement vocabulary (the ``world`` fixture uses a minimal one), a
    poster token, and the service's store (to read back what was recorded)."""
    owner_url, app_url = database
    store = LedgerStore(datastore_from_url(app_url))
    ledger = Ledger(store, root_keys={ROOT_ID: ROOT.public_key}, types=vocabulary)
    token = new_token()
    owner = LedgerStore(datastore_from_url(owner_url, pool_size=1, max_overflow=0))
    owner.insert_token(token_hash(token), "demo-loader", ["poster"], [])
    owner.close()
    try:
        with TestClient(asgi(create_app(ledger))) as http:
            yield http, token, store
    finally:
        ledger.close()
        store.close()


@pytest.fixture
def domain_http(domain_api: tuple[TestClient, str, LedgerStore]) -> tuple[TestClient, str]:
    return domain_api[0], domain_api[1]


def test_tiny_city_is_accepted_in_full_through_the_api_and_reloading_appends_nothing(
        domain_http: tuple[TestClient, str]) -> None:
    http, token = domain_http
    client = LedgerClient("http://testserver", token, http=http, retries=0, batch_size=500)
    city = SyntheticCity(CityParams.scale("tiny", seed=11), root_key=ROOT, root_key_id=ROOT_ID)
    count, appended = load(city, client, progress=False)
    assert count == appended <= 3_000
    assert http.get("/healthz").json()["log_size"] == count

    again = SyntheticCity(CityParams.scale("tiny", seed=11), root_key=ROOT, root_key_id=ROOT_ID)
    count2, appended2 = load(again, client, progress=False)
    assert (count2, appended2) == (count, 0)
    assert http.get("/healthz").json()["log_size"] == count


@pytest.mark.parametrize("skew", [timedelta(hours=-3), timedelta(hours=3)],
                         ids=["client-behind", "client-ahead"])
def test_the_appended_count_is_the_servers_whatever_the_loaders_clock(
        domain_http: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch,
        skew: timedelta) -> None:
    """`ledger demo` counted as appended each receipt recorded after the loader's own clock
    read, but recorded_at is the database server's: a loader hours behind counted every event
    already recorded as appended, one ahead counted none of the new. It now counts the
    receipts the log gave an index past its size when the load began (/healthz)."""
    from .clocks import skew_process_clock
    http, token = domain_http
    client = LedgerClient("http://testserver", token, http=http, retries=0, batch_size=500)

    def city() -> SyntheticCity:        # its envelopes() may be walked once
        return SyntheticCity(CityParams.scale("tiny", seed=11), root_key=ROOT,
                             root_key_id=ROOT_ID)
    envelopes = list(city().envelopes())
    client.post_all(envelopes[:700])                 # an earlier load, stopped part way
    skew_process_clock(monkeypatch, skew)
    assert load(city(), client, progress=False) == (len(envelopes), len(envelopes) - 700)
    assert load(city(), client, progress=False) == (len(envelopes), 0)


def test_city_loaded_through_the_api_is_a_declared_import_without_late_recording_flags(
        domain_api: tuple[TestClient, str, LedgerStore]) -> None:
    http, token, store = domain_api
    client = LedgerClient("http://testserver", token, http=http, retries=0, batch_size=500)
    # a history that ended long before any machine running this test loads it
    city = SyntheticCity(CityParams.scale("tiny", seed=5, start=date(2024, 3, 4)),
                         root_key=ROOT, root_key_id=ROOT_ID)
    load(city, client, progress=False)
    with store.cursor() as curs:
        recorded = [rec for _, rec in fetch_after(curs, 0, 10_000)]
    at = max(parse_datetime(r.recorded_at) for r in recorded) + timedelta(hours=1)
    flags = compute_flags(recorded, at=at)
    assert [f.flag_id for f in flags if f.rule_id == "RF08.a"] == []
    assert {f.rule_id for f in flags} >= {"RF12.f", "RF27.a", "RF27.b"}
    undeclared = [r for r in recorded if r.stream != "config:historical-import"]
    assert sum(f.rule_id == "RF08.a" for f in compute_flags(undeclared, at=at)) > 500


def test_demo_writes_signed_events_and_ground_truth_as_json_lines(tmp_path: Path) -> None:
    root_file = tmp_path / "root.key"
    root_file.write_text(b64url_encode(ROOT.seed) + "\n")
    out, truth = tmp_path / "city.jsonl", tmp_path / "truth.jsonl"
    code = run_demo(["--scale", "tiny", "--seed", "7", "--root-key", str(root_file),
                     "--out", str(out), "--ground-truth", str(truth), "--no-progress"])
    assert code == 0
    lines = out.read_text().splitlines()
    city = SyntheticCity(CityParams.scale("tiny", seed=7), root_key=ROOT, root_key_id=ROOT_ID)
    assert lines == [canonical(e).decode() for e in city.envelopes()]
    items = [json.loads(line) for line in truth.read_text().splitlines()]
    assert items == city.ground_truth


def test_demo_refuses_a_bad_size_with_usage_status(tmp_path: Path) -> None:
    root_file = tmp_path / "root.key"
    root_file.write_text(b64url_encode(ROOT.seed))
    assert run_demo(["--officers", "5", "--root-key", str(root_file), "--out",
                     str(tmp_path / "x")]) == 2


@pytest.mark.parametrize("rate", ["-1", "nan"])
def test_demo_refuses_a_negative_misconduct_scale_with_usage_status(tmp_path: Path,
                                                                     rate: str) -> None:
    """--misconduct -1 (or nan) was taken as a clean city and posted; it is a usage error."""
    root_file = tmp_path / "root.key"
    root_file.write_text(b64url_encode(ROOT.seed))
    out = tmp_path / "x"
    assert run_demo(["--misconduct", rate, "--root-key", str(root_file), "--out",
                     str(out)]) == 2
    assert not out.exists()


def test_a_city_with_more_grids_than_a_post_can_list_is_refused_up_front() -> None:
    """The bureau's staff hold posts over every grid and PostAssigned lists at most 1,000: a
    city of 28 brigades (1,120 grids) must fail when built, not as a refused event mid-load."""
    with pytest.raises(ValueError, match="1,120 grids"):
        SyntheticCity(CityParams.scale("large", brigades=28), root_key=SigningKey(bytes(32)),
                      root_key_id="root-1")
    SyntheticCity(CityParams.scale("large", brigades=24), root_key=SigningKey(bytes(32)),
                  root_key_id="root-1")


def test_each_squadron_publishes_a_power_list_and_only_the_plant_acts_outside_it(
        tiny: SyntheticCity) -> None:
    """RF21.c's input: every squadron's power list, published before the cases; the
    ``outside_powers`` plant files a case under a code outside its unit's list, no other case
    does (docs/demo.md)."""
    powers = {e["body"]["unit_id"]: set(e["body"]["violation_codes"])
              for e in events(tiny) if e["type"] == "PowerListPublished"}
    assert set(powers) == {s.id for s in tiny.world.squadrons}
    planted = {item["subject"]["case"] for item in tiny.ground_truth
               if item["kind"] == "outside_powers"}
    outside = {e["stream"][5:] for e in events(tiny) if e["type"] == "CaseFiled"
               and e["body"]["violation_code"] not in powers[e["body"]["unit_id"]]}
    assert planted and outside == planted
