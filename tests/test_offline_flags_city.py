"""`ledger flags FILE` on a served synthetic city equals the service's flags (issue #5).

A real ledger (PostgreSQL, the projections run as events arrive) is fed the small synthetic
city (≈ 5k signed events) and, through its own signed events in the middle of that history:
inspector dispositions (acknowledged, dismissed with a reason, confirmed, referred; one
dismissal of a flag about the dismissing inspector himself and one by an inspector who declares
a relation with the case's party later: RF26; five flags about one officer dismissed by one
inspector: RF30; an acknowledgement back-dated and never followed up: RF29; one of a flag the
history raises only later; one signed by a key of other units, refused), a published parameter
change (the payment period and a statistics threshold), a key revocation (the key's events
before it are kept, those after it refused), a calendar change (the working day a deadline ends
on made a day off, the Saturday after it a working day) — and then time passes beyond every
deadline. The flags the service holds (`GET /v1/flags`, the case and officer views) are
compared with those `ledger flags` prints for a whole-log bundle (exactly, every field), for a
case, an officer and a unit bundle (which carry the dispositions of the flags about their
cases and officers: each flag they recompute is disposed of as the service's; their notes must
name what they leave out and the flags they cannot recompute; they verify), and with a full rebuild (`FlagsView.rebuild`, what `ledger rebuild`
runs).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from api.app import trail_scope, with_flag_streams
from api.cli import main as ledger_main
from ledger.bundle import StreamScope, WholeLog
from ledger.canonical import canonical
from ledger.crypto import b64url_encode
from ledger.client import sign_envelope
from ledger.domain.calendar import CN_2025
from ledger.logview import LogView
from ledger.note import vkey_for
from ledger.schemas import parse_datetime
from ledger.synth.generator import SyntheticCity
from ledger.synth.params import CityParams
from projections.auditor import WHOLE_LOG_KINDS, bundle_events
from projections.flagsview import FlagsView
from projections.redflags import compute_flags as compute

from . import domain_factory as f
from .bundles import export
from .conftest import LOG_ORIGIN, ROOT_ID, World
from .test_ground_truth import history as history_of
from .test_readmodels import city, post_steps  # noqa: F401  (fixture)

#: the instant time has passed to: every deadline of the history (cases start by 2025-11-14,
#: their tails end by 2026-05-31) has run out
AT = datetime(2026, 12, 20, tzinfo=timezone.utc)
CHUNK = 400


def service_flags(world: World) -> tuple[dict[str, dict[str, Any]], datetime]:
    """Every flag `GET /v1/flags` lists, page after page of 37 (flag id -> flag), and the
    latest `evaluated_at` of the pages: the instant to recompute them at (README)."""
    out: dict[str, dict[str, Any]] = {}
    after, evaluated = None, []
    while True:
        params = {"limit": "37", **({"after": after} if after else {})}
        page = world.http.get("/v1/flags", params=params, headers=world.headers("inspector"))
        assert page.status_code == 200, page.text
        body = page.json()
        evaluated.append(datetime.fromisoformat(body["evaluated_at"]))
        for flag in body["flags"]:
            assert flag["flag_id"] not in out, flag["flag_id"]
            out[flag["flag_id"]] = flag
        if not (after := body["next"]):
            return out, max(evaluated)


def offline(bundle: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """What `ledger flags bundle --at AT` prints (flag id -> flag) and its notes."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ledger_main(["flags", str(bundle), "--at", AT.isoformat()])
    assert code == 0, err.getvalue()
    flags = {v["flag_id"]: v for v in map(json.loads, out.getvalue().splitlines())}
    return flags, [x for x in err.getvalue().splitlines() if x.startswith("note: ")]


def verified(world: World, log_key: Any, bundle: Path) -> bool:
    """Whether `ledger verify` accepts the bundle, pinning the log key and the root."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ledger_main(["verify", str(bundle), "--log-key",
                            vkey_for(LOG_ORIGIN, log_key.public_key), "--root-key",
                            f"{ROOT_ID}={b64url_encode(world.root.public_key)}"])
    assert code == 0, out.getvalue()
    assert "tails are not proven" not in err.getvalue(), err.getvalue()
    return True


def compute_flags(events: Any, *, at: datetime) -> dict[str, Any]:
    return {x.flag_id: x for x in compute(events, at=at)}


def differences(held: dict[str, dict], printed: dict[str, dict]) -> list[Any]:
    """Every flag one side has and the other lacks, and every field both print that differs."""
    diff: list[Any] = [("service only", i, held[i]["rule_id"])
                       for i in sorted(held.keys() - printed.keys())]
    diff += [("offline only", i, printed[i]["rule_id"])
             for i in sorted(printed.keys() - held.keys())]
    for i in sorted(held.keys() & printed.keys()):
        for name in sorted(held[i].keys() & printed[i].keys()):
            if held[i][name] != printed[i][name]:
                diff.append((i, name, held[i][name], printed[i][name]))
    return diff


def judged(flags: dict[str, dict]) -> dict[str, tuple]:
    """What each flag says was found, without its parameter version and sentences."""
    return {i: (v["status"], v["raised_at"], v["cleared_at"], v["numbers"])
            for i, v in flags.items()}


class Feed:
    """Posts signed envelopes in chunks, projecting after each with the service's clock at the
    latest time the posted history claims (a service following the city as it happens)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.view: FlagsView = world.http.app.app.state.flags
        self.now = datetime(2024, 12, 1, tzinfo=timezone.utc)
        self.view.clock = lambda: self.now

    def post(self, envelopes: list[dict[str, Any]]) -> None:
        for lo in range(0, len(envelopes), CHUNK):
            chunk = envelopes[lo:lo + CHUNK]
            self.world.post(chunk)
            self.now = max([self.now] + [parse_datetime(e["occurred_at"]) for e in chunk])
            self.world.project()


def disposition(world: World, flag: dict[str, Any], type_name: str, inspector_id: str,
                occurred_at: str | None = None, key_id: str = "inspector-01",
                **body: Any) -> dict[str, Any]:
    return sign_envelope(world.keys[key_id], key_id,
                         stream=f"flag:{flag['flag_id']}", type=type_name,
                         body=f.body(type_name, rule_id=flag["rule_id"],
                                     inspector_id=inspector_id, **body),
                         **({"occurred_at": occurred_at} if occurred_at else {}))


def test_offline_flags_of_a_served_city_equal_the_services(
        city: World, tmp_path: Path, log_key) -> None:  # noqa: ANN001
    synth = SyntheticCity(CityParams.scale("small", seed=2), root_key=city.root,
                          root_key_id=ROOT_ID)
    envelopes = list(synth.envelopes())
    half = len(envelopes) // 2
    first, rest = envelopes[:half], envelopes[half:]
    feed = Feed(city)
    feed.post(first)
    middle = first[-1]["occurred_at"][:10]

    # dispositions of flags the service raised so far: each kind once, on case flags about
    # an officer, and one dismissal by the inspector the flag is about (RF26)
    # (flags the whole history still raises: one a later event makes vanish takes its
    # dispositions with it)
    held = feed.view.snapshot()
    final = compute_flags(history_of(SimpleNamespace(envelopes=lambda: envelopes)), at=AT)
    about = sorted((v for v in held.values() if v["scope"].startswith("case:")
                    and v["subject"]["officer_id"] and v["flag_id"] in final),
                   key=lambda v: v["flag_id"])
    ack, dismissed, confirmed, referred, own = about[:5]
    # five flags about one other officer dismissed by one inspector (RF30)
    officer, buried = max(((o, [v for v in about[5:] if v["subject"]["officer_id"] == o])
                           for o in sorted({v["subject"]["officer_id"] for v in about[5:]})),
                          key=lambda x: (len(x[1]), x[0]))
    assert len(buried) >= 5, (officer, len(buried))
    # a flag the history raises only after this point (acknowledged before it is raised), and
    # one dismissed by an inspector who declares a relation with its party later (RF26)
    later = sorted(i for i, v in final.items() if i not in held
                   and v.scope.startswith("case:"))[0]
    related = about[-1]
    city.register("inspector-other-unit", ["inspector"], units=["SH-NOWHERE"])
    city.post([
        disposition(city, ack, "FlagAcknowledged", "SH-JW-007",
                    occurred_at="2026-09-01T10:00:00+08:00"),
        disposition(city, dismissed, "FlagDismissed", "SH-JW-007",
                    reason_code="legitimate_exception", reason="经批准延后，有审批单"),
        disposition(city, confirmed, "FlagConfirmed", "SH-JW-007"),
        disposition(city, referred, "FlagReferred", "SH-JW-007"),
        disposition(city, own, "FlagDismissed", own["subject"]["officer_id"],
                    reason_code="false_positive", reason="本人认为误报"),
        *(disposition(city, v, "FlagDismissed", "SH-JW-009", reason_code="other",
                      reason="情节轻微") for v in buried[:5]),
        disposition(city, {"flag_id": later, "rule_id": later.split("-")[0]},
                    "FlagAcknowledged", "SH-JW-007"),
        disposition(city, related, "FlagDismissed", officer, reason_code="duplicate",
                    reason="重复"),
    ])
    # a key of other units may not dispose of the flag: refused at the door, nothing written
    stored = city.count()
    refused = city.post_raw(canonical([disposition(
        city, about[6], "FlagDismissed", "SH-JW-007", reason_code="other", reason="越权",
        key_id="inspector-other-unit")]))
    assert refused.status_code == 403 and "key-units" in refused.text, refused.text
    assert city.count() == stored
    # a published parameter change from the middle of the history on, and a calendar change
    # for 2025: the working day a deadline of the history ends on becomes a day off, the
    # Saturday after it a working day (调休)
    calendar = CN_2025.published_body()
    swapped = min(d for d in (v.to_value()["numbers"].get("due") for v in final.values())
                  if isinstance(d, str) and d.startswith("2025-1")
                  and date.fromisoformat(d).weekday() < 5 and d not in calendar["holidays"])
    saturday = date.fromisoformat(swapped) + timedelta(days=5 - date.fromisoformat(swapped)
                                                       .weekday())
    calendar["holidays"] = sorted(set(calendar["holidays"]) | {swapped})
    calendar["makeup_workdays"] = sorted(set(calendar["makeup_workdays"]) | {saturday.isoformat()})
    post_steps(city, [
        f.step("config:legal-parameters", "LegalParametersPublished", f.at(middle),
               effective_from=middle, parameters=[
                   {"name": "payment_deadline_days", "value": 30, "unit": "calendar_days",
                    "basis": "local rule (test)"},
                   {"name": "stats_min_n", "value": 4, "unit": "count",
                    "basis": "local rule (test)"}]),
        f.step("config:calendar", "WorkingCalendarPublished", f.at(middle),
               **{**calendar, "source": "city working calendar (test)"}),
    ])
    # a device key revoked in the middle: its events before are kept, those after refused
    signer = min((s for s in {e["signer"] for e in first} & {e["signer"] for e in rest}
                  if "-bodycam-" in s), key=lambda s: (sum(e["signer"] == s for e in rest), s))
    before = sum(e["signer"] == signer for e in first)
    after = [e for e in rest if e["signer"] == signer]
    city.revoke(signer.removeprefix("key:"), "device lost")
    stored = city.count()
    refused = city.post_raw(canonical([after[0]]))
    assert refused.status_code == 403 and "key-revoked" in refused.text, refused.text
    assert city.count() == stored
    kept = [e for e in rest if e["signer"] != signer]
    feed.post(kept[:len(kept) // 2])
    party = next(p["party_ref"] for e in envelopes if e["type"] == "CaseFiled"
                 and e["stream"] == f"case:{related['subject']['case_id']}"
                 for p in e["body"]["parties"])
    post_steps(city, [f.step(f"officer:{officer}", "RelationshipDeclared",
                             kept[len(kept) // 2]["occurred_at"], party_ref=party,
                             relation="business")])
    feed.post(kept[len(kept) // 2:])
    before_time = feed.view.snapshot()

    # time passes beyond every deadline
    feed.now = AT
    city.project()

    held = feed.view.snapshot()
    listed, evaluated_at = service_flags(city)
    assert listed == held                      # the queue lists every stored flag, as stored
    assert evaluated_at == AT
    rules = Counter(v["rule_id"] for v in held.values())
    assert len(held) > 100 and rules["RF26"] == 2 and rules["RF30"] == 1, rules
    assert held[later]["disposition"] == "acknowledged"
    assert {v["numbers"]["relation"] for v in held.values() if v["rule_id"] == "RF26"} \
        == {"subject_of_flag", "related_to_party"}
    assert {held[x["flag_id"]]["disposition"] for x in (ack, dismissed, confirmed, referred)} \
        == {"acknowledged", "dismissed", "confirmed", "referred"}
    assert any(r.startswith("RF29") for r in rules), rules

    log = LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
                  signing_key=log_key)
    export(city, log, tmp_path / "all.ndjson", WholeLog())
    printed, notes = offline(tmp_path / "all.ndjson")
    assert notes == []
    assert differences(held, printed) == []
    assert printed == held
    # the passing of time, the calendar and the parameters each changed what flags say (not
    # only the parameter version, which names every publication merged in)
    assert judged(before_time) != judged(held)
    events = list(bundle_events(io.BytesIO((tmp_path / "all.ndjson").read_bytes())))
    for config in ("WorkingCalendarPublished", "LegalParametersPublished"):
        ours = next(r for r in events if r.type == config and "(test)" in json.dumps(r.body))
        without = compute_flags([r for r in events if r is not ours], at=AT)
        assert judged({i: v.to_value() for i, v in without.items()}) != judged(printed), config
    assert sum(r.signer == signer for r in events) == before

    # the case and officer views list the flags the service holds about them
    case_id = own["subject"]["case_id"]
    officer_id = own["subject"]["officer_id"]
    for path, key in ((f"/v1/cases/{case_id}", "case_id"),
                      (f"/v1/officers/{officer_id}", "officer_id")):
        response = city.http.get(path, headers=city.headers("inspector"))
        assert response.status_code == 200, response.text
        shown = {v["flag_id"]: v for v in response.json()["flags"]}
        ident = case_id if key == "case_id" else officer_id
        assert shown == {i: v for i, v in held.items() if v["subject"][key] == ident}

    # a case, an officer and a unit bundle: the flags about a subject whose rules read the
    # whole log are named as not recomputed; the others are recomputed from what the bundle
    # holds, with the dispositions the service holds; the first note names what it leaves out
    views = city.http.app.app.state.views
    flags_view = city.http.app.app.state.flags
    for name, scope in (("case", StreamScope.case(case_id)),
                        ("officer", trail_scope(views, officer=officer_id)),
                        ("unit", trail_scope(views, unit=held[own["flag_id"]]["subject"]
                                             ["unit_id"]))):
        path = tmp_path / f"{name}.ndjson"
        # as GET /v1/bundles and ledger export build it: with the flag: streams of the flags
        # the service's flag read model holds about the bundle's cases and officers
        export(city, log, path, with_flag_streams(flags_view, scope))
        partial, notes = offline(path)
        beyond = {i: v for i, v in partial.items()
                  if v["scope"].split(":", 1)[0] in WHOLE_LOG_KINDS}
        assert len(notes) == (2 if beyond else 1)
        if beyond:
            assert notes[1].startswith(f"note: {len(beyond)} of the {len(partial)} flags (")
            assert all(v["rule_id"] in notes[1] for v in beyond.values())
        recomputed = {i: v for i, v in partial.items() if i not in beyond}
        # the flag: streams of the flags about its cases and officers travel whole: each flag
        # it recomputes that the service holds shows the service's disposition — the one the
        # subject dismissed himself (RF26's) among them, until 2026-11-28 printed as open
        assert own["flag_id"] in recomputed and held[own["flag_id"]]["disposition"] == "dismissed"
        assert [(i, field, held[i][field], recomputed[i][field])
                for i in sorted(recomputed.keys() & held.keys())
                for field in ("disposition", "disposition_event_ids")
                if held[i][field] != recomputed[i][field]] == []
        assert recomputed[own["flag_id"]]["status"] == held[own["flag_id"]]["status"]
        # and the note no longer says the dispositions are left out
        assert notes[0] == (
            f"note: {'an' if name == 'officer' else 'a'} {name} bundle holds part of the log: "
            "these flags read only what it holds "
            "(no officer's credentials or posts, dispatch order or other case it leaves out, "
            "and of the dispositions of flags only those of the flags about its cases, officers "
            "or unit that the service held when it was exported (not those about inspectors)), "
            "so they can differ from the service's; a whole-log bundle (ledger export --all) "
            "gives the service's flags")
        # and it verifies: the flag: streams are named by the signed heads, their
        # inspectors' keys are in the keys stream it carries whole
        assert verified(city, log_key, path)

    # a full rebuild equals the live flags
    rebuilt = FlagsView(city.ledger.store, clock=lambda: AT)
    assert rebuilt.rebuild()[1] == AT
    assert differences(held, rebuilt.snapshot()) == []


def test_a_case_bundle_recomputes_its_flags_under_the_published_configuration(
        city: World, tmp_path: Path, log_key) -> None:  # noqa: ANN001
    """docs/red-flags.md said the published configuration is something "every bundle carries,
    so `ledger flags` recomputes with the same `params_version`"; on the served city not one
    flag of a case or officer bundle had the service's version: a case bundle held its stream
    and `keys`, no `config:` stream. Every bundle of whole streams now carries them whole, and
    verifies."""
    from .test_flags_api import AT as AT_2024, CASE, cash_above_limit, held_and_offline
    post_steps(city, [f.step("config:legal-parameters", "LegalParametersPublished",
                             f.at("2024-01-02"), effective_from="2024-01-02", parameters=[
                                 {"name": "payment_deadline_days", "value": 30,
                                  "unit": "calendar_days", "basis": "local rule (test)"}])])
    cash_above_limit(city)
    held, _ = held_and_offline(city, tmp_path, log_key)
    log = LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
                  signing_key=log_key)
    export(city, log, tmp_path / "case.ndjson", StreamScope.case(CASE))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert ledger_main(["flags", str(tmp_path / "case.ndjson"), "--at",
                            AT_2024.isoformat()]) == 0
    printed = {v["flag_id"]: v for v in map(json.loads, out.getvalue().splitlines())}
    rf04 = [i for i, v in held.items() if v["rule_id"] == "RF04.a"]
    assert rf04 and all(printed[i]["params_version"] == held[i]["params_version"] for i in rf04)
    assert "published configuration" not in err.getvalue()       # the note no longer says so
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert ledger_main(["verify", str(tmp_path / "case.ndjson"), "--log-key",
                            vkey_for(LOG_ORIGIN, log_key.public_key), "--root-key",
                            f"{ROOT_ID}={b64url_encode(city.root.public_key)}"]) == 0
