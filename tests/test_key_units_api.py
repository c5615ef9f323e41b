"""A key registered for units (`KeyRegistered.units`, `ledger keys register --unit`) disposes of
those units' red flags only. POST /v1/events refuses, writing nothing, a disposition of a flag
the flags read model does not show to be of the key's units — another unit's, or one it does
not hold — with one answer (403, rule `key-units`); one recorded all the same is not applied
by the engine and raises RF28 — live, offline from a bundle, and the bundle still verifies."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from api.cli import main as ledger_main
from ledger.canonical import canonical
from ledger.client import sign_envelope
from ledger.crypto import SigningKey
from projections.readmodels import fetch_after
from projections.redflags import compute_flags
from projections.redflags.flag import flag_id

from . import domain_factory as f
from .bundles import trust_file, verify
from .clocks import database_clock, skew_process_clock
from .conftest import World
from .test_flags_api import AT, cash_above_limit, flags, held_and_offline
from .test_readmodels import city  # noqa: F401  (fixture)

OTHER_UNIT = "SH-XH-CG-09"
HISTORY = ("stored_events", "ledger_receipts", "ledger_merkle_nodes")


def scoped_key(world: World, key_id: str, units: list[str] | None, **window: str) -> None:
    world.register(key_id, ["inspector"], units=units, **window)


def dismissal(world: World, key_id: str, flag: dict) -> dict:
    return sign_envelope(world.keys[key_id], key_id, stream=f"flag:{flag['flag_id']}",
                         type="FlagDismissed",
                         body=f.body("FlagDismissed", rule_id=flag["rule_id"]))


def rf04(world: World) -> dict:
    (flag,) = flags(world, rule="RF04")["flags"]
    return flag


def history(world: World) -> list[int]:
    return [world.count(t) for t in HISTORY]


def test_a_disposition_by_a_key_of_another_unit_is_refused_and_nothing_is_written(
        city: World) -> None:
    scoped_key(city, "jw-xh", [OTHER_UNIT])
    cash_above_limit(city)
    flag = rf04(city)
    assert flag["subject"]["unit_id"] == f.UNIT
    envelope = dismissal(city, "jw-xh", flag)
    before = history(city)
    for body in (canonical(envelope), canonical([city.key_registered("spare", ["case-app"]),
                                                 envelope])):
        response = city.post_raw(body)
        assert response.status_code == 403, response.text
        problem = response.json()
        assert problem["type"] == "urn:integrity-ledger:problem:forbidden"
        assert problem["rule"] == "key-units" and problem["event_id"] == envelope["event_id"]
        assert "jw-xh" in problem["detail"] and OTHER_UNIT in problem["detail"]
        # the flag's unit is not named: the same answer goes to a flag not held at all
        assert f.UNIT not in response.text
        # it said the disposition "is not applied" (RF28's word for one recorded) and "it is
        # signed with a key of that unit": the refused poster read neither as refused nor
        # as what to do
        assert problem["detail"].endswith(
            "may not dispose of it (docs/red-flags.md, RF28): nothing was written; retry in a "
            "few seconds if the flag was just raised, else sign the disposition with a key of "
            "the flag's unit, or of every unit")
        assert history(city) == before
    assert problem["index"] == 1                     # the batch's second event
    assert rf04(city)["disposition"] == "open"


def test_a_disposition_that_does_not_verify_tells_nothing_of_the_flag(city: World) -> None:
    """The door judges signed acts only: an envelope naming a scoped key it is not signed by
    (anyone with a poster token can write one) is refused bad-signature by the verifier stage,
    as any forgery is, and not answered key-units naming whether the flag exists and its
    unit, which a token of another unit may not read (GET /v1/flags)."""
    scoped_key(city, "jw-xh", [OTHER_UNIT])
    cash_above_limit(city)
    flag = rf04(city)
    forged = sign_envelope(SigningKey.generate(), "jw-xh", stream=f"flag:{flag['flag_id']}",
                           type="FlagDismissed",
                           body=f.body("FlagDismissed", rule_id=flag["rule_id"]))
    before = history(city)
    response = city.post_raw(canonical(forged))
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith(":bad-signature")
    assert f.UNIT not in response.text
    assert history(city) == before
    assert rf04(city)["disposition"] == "open"


def test_a_revoked_scoped_key_is_refused_as_revoked_not_told_the_flags_unit(
        city: World) -> None:
    """A key revoked (or outside its window) is the verifier stage's to refuse, key-revoked,
    as for any other type: the door answered key-units, naming the unit of a flag its holder
    may no longer read."""
    scoped_key(city, "jw-xh", [OTHER_UNIT])
    city.revoke("jw-xh")
    cash_above_limit(city)
    flag = rf04(city)
    before = history(city)
    response = city.post_raw(canonical(dismissal(city, "jw-xh", flag)))
    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith(":key-revoked")
    assert f.UNIT not in response.text
    assert history(city) == before


def test_the_door_judges_a_scoped_keys_window_by_the_database_clock_not_the_process(
        city: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer judges a key's window at recorded_at, the database server's clock; the door
    judged it by this process's. Two hours ahead, it took a key of another unit an hour from
    its not_after for expired and let its dismissal through, which the writer then recorded
    (RF28: an act the engine does not apply); and it took a key an hour before its not_before
    for active and answered key-units, naming the flag's unit to a key the writer refuses."""
    now = database_clock(city.owner_url)
    scoped_key(city, "jw-ending", [OTHER_UNIT], not_after=(now + timedelta(hours=1)).isoformat())
    scoped_key(city, "jw-starting", [OTHER_UNIT],
               not_before=(now + timedelta(hours=1)).isoformat())
    cash_above_limit(city)
    flag = rf04(city)
    skew_process_clock(monkeypatch, timedelta(hours=2))
    before = history(city)
    response = city.post_raw(canonical(dismissal(city, "jw-ending", flag)))
    assert response.status_code == 403, response.text
    assert response.json()["rule"] == "key-units"
    assert history(city) == before
    response = city.post_raw(canonical(dismissal(city, "jw-starting", flag)))
    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith(":key-not-valid")
    assert f.UNIT not in response.text
    assert history(city) == before


def test_a_key_of_the_flags_unit_and_a_key_of_every_unit_dispose_of_it(city: World) -> None:
    scoped_key(city, "jw-hp", [OTHER_UNIT, f.UNIT])
    scoped_key(city, "jw-city", None)
    cash_above_limit(city)
    flag = rf04(city)
    (mine,) = city.post(dismissal(city, "jw-hp", flag))
    assert rf04(city)["disposition_event_ids"] == [mine["event_id"]]
    city.post(sign_envelope(city.keys["jw-city"], "jw-city", stream=f"flag:{flag['flag_id']}",
                            type="FlagConfirmed",
                            body=f.body("FlagConfirmed", rule_id=flag["rule_id"])))
    assert rf04(city)["disposition"] == "confirmed"
    assert flags(city, rule="RF28")["flags"] == []


def test_a_batch_of_dispositions_by_unregistered_keys_reads_the_registry_once_not_per_event(
        city: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The door looks a signer up again only once a request: a batch of dispositions each
    signed by another unregistered key is refused unknown-key (by the verifier stage) after
    one registry read, not one read per event under the registry lock every ingest thread
    shares."""
    scoped_key(city, "jw-xh", [OTHER_UNIT])
    reads = 0
    refresh = city.ledger.refresh_registry

    def counted():  # noqa: ANN202
        nonlocal reads
        reads += 1
        return refresh()

    monkeypatch.setattr(city.ledger, "refresh_registry", counted)
    batch = [sign_envelope(SigningKey.generate(), f"ghost-{i}", stream=f"flag:F{i}",
                           type="FlagDismissed", body=f.body("FlagDismissed", rule_id="RF04"))
             for i in range(50)]
    before = history(city)
    response = city.post_raw(canonical(batch))
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith(":unknown-key") and response.json()["index"] == 0
    assert reads <= 2           # the door's one, and the verifier stage's for the first event
    assert history(city) == before


def unprojected_rf04(world: World) -> dict:
    """RF04 as an auditor computes it from the log before the service has projected it."""
    with world.ledger.store.cursor() as curs:
        events = [rec for _, rec in fetch_after(curs, 0, 10_000)]
    (flag,) = [x.to_value() for x in compute_flags(events, at=AT) if x.family == "RF04"]
    return flag


def past_the_door(world: World, envelope: dict) -> dict:
    """``envelope`` recorded by the ledger core, which knows no flags (the path the dashboard
    and `ledger keys register` take; a log written before the door judged flags not held):
    its receipt."""
    (receipt,) = world.ledger.append(canonical(envelope)).receipts
    return receipt.to_value()


def test_a_disposition_of_a_flag_not_projected_yet_is_refused_until_it_is(city: World) -> None:
    """Projection lag: the door cannot tell a flag raised moments ago from no flag, so a scoped
    key's disposition of it is refused as any flag it cannot show to be of the key's units
    (saying a flag just raised may be retried), and accepted once the flag is projected."""
    scoped_key(city, "jw-hp", [f.UNIT])
    cash_above_limit(city)
    flag = unprojected_rf04(city)
    assert city.http.app.app.state.flags.snapshot() == {}       # not yet in the read model
    envelope = dismissal(city, "jw-hp", flag)
    before = history(city)
    response = city.post_raw(canonical(envelope))
    assert response.status_code == 403 and response.json()["rule"] == "key-units"
    assert "retry in a few seconds if the flag was just raised" in response.json()["detail"]
    assert history(city) == before
    city.project()
    (receipt,) = city.post(envelope)                            # the same bytes, retried
    assert rf04(city)["disposition_event_ids"] == [receipt["event_id"]]


def test_a_key_of_every_unit_disposes_of_a_flag_the_service_does_not_hold(city: World) -> None:
    """A key without units is not judged by the door: the synth city (`ledger demo`) and tools
    that compute flags elsewhere (`ledger flags FILE`) post confirmations of flags the service
    has not projected yet, and such a key's authority covers every unit's flags, so refusing
    it would hide nothing; the engine applies the disposition once the flag is raised."""
    scoped_key(city, "jw-city", None)
    cash_above_limit(city)
    flag = unprojected_rf04(city)
    assert city.http.app.app.state.flags.snapshot() == {}
    (receipt,) = city.post(sign_envelope(city.keys["jw-city"], "jw-city",
                                         stream=f"flag:{flag['flag_id']}", type="FlagConfirmed",
                                         body=f.body("FlagConfirmed", rule_id=flag["rule_id"])))
    assert rf04(city)["disposition_event_ids"] == [receipt["event_id"]]


def test_a_disposition_recorded_past_the_door_is_not_applied_and_flagged(
        city: World, tmp_path: Path, log_key) -> None:  # noqa: ANN001
    """The engine, not the door, is the authority: a disposition by a key of another unit
    recorded all the same (by the ledger core, or before the door refused flags it does not
    hold) is judged from the history alone, live and offline alike, and a retry of it posted
    gets its receipt, not key-units."""
    scoped_key(city, "jw-xh", [OTHER_UNIT])
    cash_above_limit(city)
    flag = unprojected_rf04(city)
    envelope = dismissal(city, "jw-xh", flag)
    receipt = past_the_door(city, envelope)
    target = rf04(city)
    assert target["flag_id"] == flag["flag_id"] and target["disposition"] == "open"
    (raised,) = flags(city, rule="RF28")["flags"]
    assert raised["event_ids"][0] == envelope["event_id"]
    assert raised["numbers"]["key_units"] == [OTHER_UNIT]
    assert raised["numbers"]["flag_unit_id"] == f.UNIT
    # a retry of the recorded event gets its receipt, not a refusal
    again = city.post_raw(canonical(envelope))
    assert again.status_code == 200 and again.json()["receipts"] == [receipt]
    held, offline = held_and_offline(city, tmp_path, log_key)
    assert offline == held
    assert [v["rule_id"] for v in held.values() if v["rule_id"] == "RF28"] == ["RF28"]
    bundle = tmp_path / "all.ndjson"                    # written by held_and_offline
    verdict = verify(bundle, trust_file(tmp_path, city, log_key))
    assert verdict.code == 0, verdict.err


@pytest.mark.parametrize("units", [[], [""], ["ok", "ok"] * 40])
def test_a_key_registration_with_units_of_the_wrong_shape_is_refused(
        city: World, units: list[str]) -> None:
    response = city.post_raw(canonical(city.key_registered("bad", ["inspector"], units=units)))
    assert response.status_code == 422, response.text
    assert response.json()["field"].startswith("body.units")


def test_a_disposition_not_applied_leaves_the_warning_levels_as_they_were(city: World) -> None:
    """The levels read the dispositions the engine applied: a dismissal by a key of another
    unit takes no flag out of an officer's level, and its RF28 gives the unit no points (its
    inspectors were not the ones who acted)."""
    scoped_key(city, "jw-xh", [OTHER_UNIT])
    cash_above_limit(city)
    flag = unprojected_rf04(city)
    past_the_door(city, sign_envelope(
        city.keys["jw-xh"], "jw-xh", stream=f"flag:{flag['flag_id']}", type="FlagDismissed",
        occurred_at=f.at("2024-10-08"), body=f.body("FlagDismissed", rule_id=flag["rule_id"])))
    view = city.http.app.app.state.flags
    view.clock = lambda: datetime.fromisoformat("2024-10-10T12:00:00+08:00")
    city.project()
    officer, unit = (city.http.get(path, headers=city.headers("inspector")).json()
                     for path in (f"/v1/officers/{flag['subject']['officer_id']}/warnings",
                                  f"/v1/units/{f.UNIT}/warnings"))
    assert "RF04.a" in [r.get("rule_id") for r in officer["reasons"]]
    assert officer["level"] == "serious"
    assert "RF28" not in [r.get("rule_id") for r in unit["reasons"]]


def test_keys_register_with_units_registers_a_key_of_those_units_only(
        database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    register = ["keys", "register", "--principal", "jw:xh", "--role", "inspector", "--key-id"]
    assert ledger_main([*register, "jw-xh", "--unit", OTHER_UNIT, "--unit", "SH-XH-CG-01",
                        "--unit", OTHER_UNIT]) == 0
    assert ledger_main([*register, "jw-city"]) == 0
    assert ledger_main([*register, "jw-bad", "--unit", "no units here"]) == 2
    assert "body.units[0]" in capsys.readouterr().err
    with psycopg.connect(database[0]) as conn:
        rows = conn.execute("SELECT state FROM stored_events WHERE topic = 'KeyRegistered'")
        bodies = {b["key_id"]: b for b in (json.loads(bytes(r[0]))["body"] for r in rows)}
    assert bodies["jw-xh"]["units"] == ["SH-XH-CG-01", OTHER_UNIT]
    assert "units" not in bodies["jw-city"] and "jw-bad" not in bodies


def test_an_inspectors_rf28_does_not_attach_the_inspector_to_the_flags_unit(city: World) -> None:
    """The levels took an officer's unit from any flag naming them, but an RF28 (or RF26)
    names the inspector who disposed of a flag with the unit_id of that flag: an inspector of
    another unit was stored (view_warning_levels.unit_id) as of the unit whose flag they
    touched. Those flags now give no officer a unit; the flag's own officer keeps theirs."""
    scoped_key(city, "jw-xh", [OTHER_UNIT])
    cash_above_limit(city)
    flag = unprojected_rf04(city)
    past_the_door(city, dismissal(city, "jw-xh", flag))
    view = city.http.app.app.state.flags
    view.clock = lambda: datetime.fromisoformat("2024-10-10T12:00:00+08:00")
    city.project()
    (raised,) = flags(city, rule="RF28")["flags"]
    inspector = raised["numbers"]["inspector_id"]
    assert raised["subject"]["officer_id"] == inspector != flag["subject"]["officer_id"]
    assert raised["subject"]["unit_id"] == f.UNIT
    with city.ledger.store.cursor() as curs:
        curs.execute("SELECT entity_id, unit_id FROM view_warning_levels WHERE kind = 'officer'")
        unit_of = {r["entity_id"]: r["unit_id"] for r in curs.fetchall()}
    assert unit_of[flag["subject"]["officer_id"]] == f.UNIT
    assert unit_of.get(inspector) is None


def test_keys_register_refuses_units_on_a_key_that_disposes_of_no_flag(
        database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`--unit` bounds only the flags a key may dispose of, and only an inspector key signs
    dispositions: `ledger keys register --role case-app --unit U` registered a key whose
    units meant nothing, read by a newcomer as a case system bound to unit U's cases. It is
    now a usage error (exit 2, naming --unit), with no key registered and no seed written."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    capsys.readouterr()
    assert ledger_main(["keys", "register", "--principal", "unit:X/app", "--role", "case-app",
                        "--key-id", "app-x", "--unit", OTHER_UNIT]) == 2
    assert capsys.readouterr().err == (
        "ledger keys: --unit: only a key with --role inspector disposes of red flags, so "
        "only its dispositions are bounded by units (docs/red-flags.md, RF28); a key of "
        "other roles is registered without units\n")
    assert not (tmp_path / "secrets" / "app-x.key").exists()
    with psycopg.connect(database[0]) as conn:
        keys = [json.loads(bytes(r[0]))["body"]["key_id"] for r in conn.execute(
            "SELECT state FROM stored_events WHERE topic = 'KeyRegistered'")]
    assert "app-x" not in keys
    assert ledger_main(["keys", "register", "--principal", "jw:x", "--role", "case-app",
                        "--role", "inspector", "--key-id", "both-x", "--unit", OTHER_UNIT]) == 0


def test_the_door_tells_a_scoped_key_nothing_of_a_flag_in_a_request_the_ledger_refuses(
        city: World) -> None:
    """The door judged a disposition before the rest of its request: a holder of a key of one
    unit (and any poster token) batched a disposition of a flag id it computed (flag ids are
    hashes of a rule, a scope and a discriminator: RF22's is an officer and a year, RF24's a
    unit and a month) with an event the ledger refuses — forged, a conflicting retry, one its
    signer may not sign — and read from 403 key-units (naming the unit) against the other
    event's refusal whether another unit's flag exists, with nothing written either way. The
    door now refuses only a request the ledger would otherwise record whole; any other is the
    ledger's to refuse, as if the flag did not exist."""
    scoped_key(city, "jw-xh", [OTHER_UNIT])
    city.register("app", ["case-app"])
    cash_above_limit(city)
    held = rf04(city)
    absent = {"flag_id": "RF04.a-000000000000000000000000", "rule_id": "RF04.a"}
    (recorded,) = city.post(city.key_registered("spare", ["case-app"]))
    spoilers = {
        "bad-signature": lambda: sign_envelope(
            SigningKey.generate(), "jw-xh", stream=f"flag:{absent['flag_id']}",
            type="FlagAcknowledged", body=f.body("FlagAcknowledged", rule_id="RF04.a")),
        "conflict": lambda: sign_envelope(
            city.keys["jw-xh"], "jw-xh", stream=f"flag:{absent['flag_id']}",
            type="FlagAcknowledged", body=f.body("FlagAcknowledged", rule_id="RF04.a"),
            event_id=recorded["event_id"]),
        "key-not-allowed": lambda: sign_envelope(
            city.keys["app"], "app", stream=f"flag:{absent['flag_id']}",
            type="FlagAcknowledged", body=f.body("FlagAcknowledged", rule_id="RF04.a")),
        "unknown-key": lambda: sign_envelope(
            SigningKey.generate(), "ghost", stream=f"flag:{absent['flag_id']}",
            type="FlagAcknowledged", body=f.body("FlagAcknowledged", rule_id="RF04.a")),
    }
    before = history(city)
    for code, spoiler in spoilers.items():
        answers = []
        for flag in (held, absent):
            response = city.post_raw(canonical([dismissal(city, "jw-xh", flag), spoiler()]))
            assert f.UNIT not in response.text, (code, response.text)
            answers.append((response.status_code, response.json()["type"]))
        assert answers[0] == answers[1], code
        assert answers[0][1].endswith(f":{code}"), (code, answers)
        assert history(city) == before, code
    assert rf04(city)["disposition"] == "open"
    # the request otherwise whole is refused as before, naming what to do, flag held or not
    for flag in (held, absent):
        response = city.post_raw(canonical([dismissal(city, "jw-xh", flag)]))
        assert response.status_code == 403 and response.json()["rule"] == "key-units"
    assert history(city) == before


def test_a_scoped_key_reads_nothing_of_whether_another_units_flag_exists(city: World) -> None:
    """Flag ids are hashes of a rule, a scope and a discriminator (RF22's: an officer and a
    year), so a holder of a key of one unit and a poster token can compute the ids of another
    unit's flags. The door answered 403 key-units for such an id the read model held and let
    through (201, recorded) one it did not: a probe of another unit's cases and officers. A
    disposition by a scoped key of a flag the service cannot show to be of its units is now
    refused one way, held outside them or not held at all: the same status, problem and
    headers apart from the ids the holder sent, and nothing written."""
    scoped_key(city, "jw-xh", [OTHER_UNIT])
    cash_above_limit(city)
    held = rf04(city)
    absent = {"flag_id": flag_id("RF04.a", "case:SH-XH-2024-000001", "no such cash"),
              "rule_id": "RF04.a"}
    assert absent["flag_id"] not in city.http.app.app.state.flags.snapshot()
    before = history(city)
    for batched in (False, True):
        answers = []
        for flag in (held, absent):
            envelope = dismissal(city, "jw-xh", flag)
            sent = [envelope] if batched else envelope
            response = city.post_raw(canonical(sent))
            text = response.text.replace(envelope["event_id"], "<event>").replace(
                flag["flag_id"], "<flag>")
            headers = {k: v for k, v in response.headers.items() if k != "content-length"}
            answers.append((response.status_code, headers, json.loads(text)))
        assert answers[0] == answers[1], (batched, answers)
        assert history(city) == before, batched
        status, _, problem = answers[0]
        assert status == 403 and problem["rule"] == "key-units"
        assert problem.get("index") == (0 if batched else None)
        assert f.UNIT not in json.dumps(problem)
    assert rf04(city)["disposition"] == "open"
