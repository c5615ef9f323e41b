"""Warning levels (监督警示): levels rise with flags and fall when flags are dismissed or age out
(re-evaluated as time passes, with no new event), with the reasons and a history of level
changes; formal warnings are signed events on the officer's record that count in the level."""

from __future__ import annotations

from datetime import datetime

import pytest

from ledger.canonical import canonical
from ledger.client import sign_envelope
from projections import flagsview
from projections.oversight import levels
from projections.oversight.warnings import FlagItem, FormalItem, WarningParams, evaluate

from . import domain_factory as f
from .conftest import World
from .test_dashboard_api import XH_CASE, peer_fine
from .test_readmodels import city, post_steps  # noqa: F401  (fixture)

CASE = "SH-HP-2024-S-000777"


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


def project(world: World, when: datetime) -> None:
    world.http.app.app.state.flags.clock = lambda: when
    world.project()


def warnings(world: World, kind: str, ident: str) -> dict:
    response = world.http.get(f"/v1/{kind}/{ident}/warnings", headers=world.headers("inspector"))
    assert response.status_code == 200, response.text
    return response.json()


def flagged(world: World) -> None:
    """Cash above the on-the-spot limit (RF04.a, critical, officer A) and no pledges (RF22, low,
    officers A and B), on 2024-09-30 — the footage signed by the bodycam's own key, as RF08.c
    wants (the fixture's bodycam-01 is bound to no device)."""
    world.register("hp-bc-0457", ["bodycam"], principal=f"device:{f.BODYCAM}")
    world.post([sign_envelope(world.keys[key], key, stream=s.stream, type=s.type, body=s.body,
                              occurred_at=s.occurred_at)
                for s in f.staff() + f.summary_case(CASE, amount_fen=20_000)
                for key in ["hp-bc-0457" if s.type == "EvidenceRecorded"
                            else f"{f.signer_role(s.type)}-01"]])


def dispose(world: World, flag: dict, type_: str, day: str, **body: str) -> None:
    world.post(sign_envelope(world.keys["inspector-01"], "inspector-01",
                             stream=f"flag:{flag['flag_id']}", type=type_, occurred_at=f.at(day),
                             body=f.body(type_, rule_id=flag["rule_id"], **body)))


def test_levels_rise_with_flags_and_list_their_reasons(city: World) -> None:
    flagged(city)
    project(city, at("2024-10-01"))
    a = warnings(city, "officers", f.OFFICER_A)
    assert a["level"] == "serious" and a["points"] == 9
    threshold, *items = a["reasons"]
    assert threshold == {"source": "threshold", "level": "serious", "min_points": 8,
                         "points": 9}
    assert [(r["rule_id"], r["state"], r["points"]) for r in items] == [
        ("RF04.a", "open", 8), ("RF22", "open", 1)]
    assert a["params_version"] == WarningParams().version
    assert [(h["from"], h["level"]) for h in a["history"]] == [
        ("2024-09-30T10:00:00+08:00", "attention"), ("2024-09-30T10:07:00+08:00", "serious")]
    assert warnings(city, "officers", f.OFFICER_B)["level"] == "attention"
    unit = warnings(city, "units", f.UNIT)
    assert unit["level"] == "serious" and unit["points"] >= 10


def test_levels_fall_when_a_flag_is_dismissed_and_when_flags_age_out(city: World) -> None:
    flagged(city)
    project(city, at("2024-10-01"))
    flags = city.http.get("/v1/flags", params={"officer": f.OFFICER_A, "rule_id": "RF04.a"},
                          headers=city.headers("inspector")).json()["flags"]
    dispose(city, flags[0], "FlagDismissed", "2024-10-08")
    project(city, at("2024-10-10"))
    a = warnings(city, "officers", f.OFFICER_A)
    assert a["level"] == "attention" and [r["rule_id"] for r in a["reasons"][1:]] == ["RF22"]
    assert a["history"][-1] == {**a["history"][-1], "from": "2024-10-08T10:00:00+08:00",
                                "level": "attention"}
    # no event arrives; the low flag's 30-day window passes and the runner's periodic
    # evaluation brings the level down
    project(city, at("2024-11-15"))
    a = warnings(city, "officers", f.OFFICER_A)
    assert a["level"] == "none" and a["reasons"] == [] and a["points"] == 0
    assert [(h["from"], h["level"]) for h in a["history"]] == [
        ("2024-09-30T10:00:00+08:00", "attention"), ("2024-09-30T10:07:00+08:00", "serious"),
        ("2024-10-08T10:00:00+08:00", "attention"), ("2024-10-30T10:00:00+08:00", "none")]


def test_a_confirmed_flag_counts_double_and_longer(city: World) -> None:
    flagged(city)
    project(city, at("2024-10-01"))
    (rf22,) = city.http.get("/v1/flags", params={"officer": f.OFFICER_B, "rule": "RF22"},
                            headers=city.headers("inspector")).json()["flags"]
    dispose(city, rf22, "FlagConfirmed", "2024-10-02")
    project(city, at("2024-11-15"))            # past the 30-day open window, within 90
    b = warnings(city, "officers", f.OFFICER_B)
    assert b["level"] == "attention" and b["points"] == 2
    assert b["reasons"][1]["state"] == "confirmed"


def test_formal_warning_is_a_signed_event_on_the_record_and_counts(city: World) -> None:
    flagged(city)
    body = f.body("OfficerWarningIssued", warning_id="WN-2024-01", unit_id=f.UNIT,
                  kind="admonishment_talk")
    city.post(sign_envelope(city.keys["supervisor-01"], "supervisor-01",
                            stream=f"officer:{f.OFFICER_B}", type="OfficerWarningIssued",
                            occurred_at=f.at("2024-11-20"), body=body))
    project(city, at("2024-11-21"))
    b = warnings(city, "officers", f.OFFICER_B)
    assert b["level"] == "warning" and b["points"] == 4
    assert b["reasons"][1]["source"] == "formal_warning"
    assert b["reasons"][1]["warning_id"] == "WN-2024-01"
    (formal,) = b["formal_warnings"]
    assert formal["kind"] == "admonishment_talk" and formal["event_id"]
    record = city.http.get(f"/v1/officers/{f.OFFICER_B}", headers=city.headers("inspector"))
    assert record.json()["warnings"] == [formal]
    # a key without the supervisor or inspector role cannot sign one: refused, nothing written
    before = city.count()
    refused = city.post_raw(canonical(
        sign_envelope(city.keys["case-app-01"], "case-app-01", stream=f"officer:{f.OFFICER_B}",
                      type="OfficerWarningIssued", occurred_at=f.at("2024-11-22"),
                      body={**body, "warning_id": "WN-2024-02"})))
    assert refused.status_code == 403 and city.count() == before


def test_warnings_need_an_inspector_and_respect_unit_scope(city: World) -> None:
    flagged(city)
    project(city, at("2024-10-01"))
    url = f"/v1/officers/{f.OFFICER_A}/warnings"
    assert city.http.get(url).status_code == 401
    assert city.http.get(url, headers=city.headers("poster")).status_code == 403
    other = {"Authorization": "Bearer " + city.token("inspector", principal="jw-xh",
                                                     units=("SH-XH-CG-09",))}
    assert city.http.get(url, headers=other).status_code == 404
    assert city.http.get(f"/v1/units/{f.UNIT}/warnings", headers=other).status_code == 404
    assert city.http.get("/v1/officers/NOBODY/warnings",
                         headers=city.headers("auditor")).status_code == 404
    mine = {"Authorization": "Bearer " + city.token("inspector", principal="jw-hp",
                                                    units=(f.UNIT,))}
    assert city.http.get(url, headers=mine).json()["level"] == "serious"


def test_levels_rebuilt_from_the_log_equal_incremental(city: World) -> None:
    view = city.http.app.app.state.flags
    view.clock = lambda: at("2024-10-10")
    flagged(city)
    city.project()
    flags = city.http.get("/v1/flags", params={"officer": f.OFFICER_A, "rule_id": "RF04.a"},
                          headers=city.headers("inspector")).json()["flags"]
    dispose(city, flags[0], "FlagDismissed", "2024-10-08")
    city.project()
    incremental = levels.snapshot(city.ledger.store)
    view.reset()
    view.run_until_idle()
    assert levels.snapshot(city.ledger.store) == incremental
    assert len(incremental["history"]) >= 5


# --- the pure function ------------------------------------------------------------------------

DAY = 86_400
T0 = int(at("2024-01-01").timestamp())


def test_thresholds_are_versioned_configuration() -> None:
    strict = WarningParams(name="strict", thresholds={"attention": 1, "warning": 2,
                                                      "serious": 3})
    assert strict.version.startswith("strict@") and strict.version != WarningParams().version
    high = FlagItem("F1", "RF01", "high", T0, None, ())
    assert evaluate([high], [], WarningParams(), T0 + DAY).level == "warning"
    result = evaluate([high], [], strict, T0 + DAY)
    assert result.level == "serious" and result.params_version == strict.version


def test_each_item_counts_for_its_window_and_the_next_change_is_reported() -> None:
    p = WarningParams()
    medium = FlagItem("F1", "RF12.e", "medium", T0, None, ())
    cleared = FlagItem("F2", "RF12.c", "medium", T0, T0 + 10 * DAY, ())
    excluded = FlagItem("F3", "RF27.c", "critical", T0, None, ())
    formal = FormalItem("W1", "admonishment_talk", "O1", "U1", T0, "e1")
    r = evaluate([medium, cleared, excluded], [formal], p, T0 + DAY)
    assert (r.level, r.points) == ("serious", 8)
    assert r.next_due == T0 + 10 * DAY                         # F2 cleared
    r = evaluate([medium, cleared, excluded], [formal], p, T0 + 100 * DAY)
    assert (r.level, r.points) == ("warning", 4)                # F1 aged out after 90 days
    r = evaluate([medium, cleared, excluded], [formal], p, T0 + 400 * DAY)
    assert (r.level, r.points, r.next_due) == ("none", 0, None)
    assert [h["level"] for h in r.history] == ["serious", "warning", "none"]


def test_a_record_dated_ahead_by_the_complaints_office_or_supervisor_counts_against_no_unit(
        ) -> None:
    """RF08.f names the complaint's or notice's unit, but the record dated ahead was written by
    the complaints office or the supervisor: like RF27.c it gives the unit no points; RF08.e, an
    act its own officer dated ahead, does."""
    p = WarningParams()
    office = FlagItem("F1", "RF08.f", "high", T0, None, ())
    officer = FlagItem("F2", "RF08.e", "high", T0, None, ())
    assert evaluate([office], [], p, T0 + DAY).points == 0
    assert evaluate([office, officer], [], p, T0 + DAY).points == 4


def test_a_complaint_extension_back_dated_counts_for_the_unit_as_the_breach_it_hides() -> None:
    """RF08.g stands for the RF23.b a back-dated extension hid, which counts for the unit: left
    out of the levels like RF08.f, back-dating would still have paid off there."""
    back_dated = FlagItem("F1", "RF08.g", "high", T0, None, ())
    hidden = FlagItem("F2", "RF23.b", "high", T0, None, ())
    p = WarningParams()
    assert evaluate([back_dated], [], p, T0 + DAY).points \
        == evaluate([hidden], [], p, T0 + DAY).points == 4


def test_a_one_pass_rebuild_leaves_what_batches_and_a_refresh_leave(
        city: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """``FlagsView.rebuild`` (``ledger rebuild``) folds the log without evaluating each batch:
    the flags, levels, level history and position equal those of the batch-by-batch path."""
    view = city.http.app.app.state.flags
    when = at("2024-10-10")
    view.clock = lambda: when
    flagged(city)
    city.project()
    flags = city.http.get("/v1/flags", params={"officer": f.OFFICER_A, "rule_id": "RF04.a"},
                          headers=city.headers("inspector")).json()["flags"]
    dispose(city, flags[0], "FlagDismissed", "2024-10-08")
    city.post(sign_envelope(city.keys["supervisor-01"], "supervisor-01",
                            stream=f"officer:{f.OFFICER_B}", type="OfficerWarningIssued",
                            occurred_at=f.at("2024-10-09"),
                            body=f.body("OfficerWarningIssued", warning_id="WN-2024-01",
                                        unit_id=f.UNIT, kind="admonishment_talk")))
    city.project()
    view.reset()
    view.run_until_idle(limit=7)
    view.refresh_all(when)
    batched = view.snapshot(), levels.snapshot(city.ledger.store), flags_position(city)

    view.reset()
    monkeypatch.setattr(flagsview, "SAVE_CHUNK", 2)       # flags written two per statement
    assert view.rebuild(when) == (city.count(), when)
    assert (view.snapshot(), levels.snapshot(city.ledger.store), flags_position(city)) == batched
    assert batched[0] and batched[1]["history"] and batched[2] > 0
    # and it carries on from there: a later event is folded once, on top of the rebuilt engine
    post_steps(city, f.summary_case("SH-HP-2024-S-000778", amount_fen=20_000))
    assert view.process() > 0
    assert "SH-HP-2024-S-000778" in {x["subject"]["case_id"] for x in view.snapshot().values()}


def flags_position(world: World) -> int:
    with world.ledger.store.cursor() as curs:
        curs.execute("SELECT notification_id FROM ledger_view_tracking "
                     "WHERE application_name = 'flags'")
        return curs.fetchone()["notification_id"]


def test_an_unknown_unit_has_no_warnings_nor_assessment_but_a_404(city: World) -> None:
    """A unit id no case, officer, complaint or notice names is 404, as an unknown officer is
    (it was 200 with level none and a full score, as if the unit were clean)."""
    flagged(city)
    project(city, at("2024-10-01"))
    auditor = city.headers("auditor")
    for path, params in (("/v1/units/SH-NOWHERE/warnings", {}),
                         ("/v1/units/SH-NOWHERE/assessment", {"period": "2024-Q3"})):
        response = city.http.get(path, params=params, headers=auditor)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    assert city.http.get(f"/v1/units/{f.UNIT}/warnings", headers=auditor).status_code == 200
    assert city.http.get(f"/v1/units/{f.UNIT}/assessment", params={"period": "2024-Q3"},
                         headers=auditor).status_code == 200


def test_a_scoped_inspector_sees_no_reason_from_the_officers_flags_in_other_units(
        city: World) -> None:
    """Officer A also acts in another unit's case, flagged there: an inspector of A's unit sees
    the level and points (they describe the officer) but not that unit's flags — the officer
    record leaves them out too."""
    flagged(city)
    post_steps(city, peer_fine(XH_CASE, f.OFFICER_A, 20_000))
    project(city, at("2024-10-01"))
    everyone = warnings(city, "officers", f.OFFICER_A)
    mine = {"Authorization": "Bearer " + city.token("inspector", principal="jw-hp",
                                                    units=(f.UNIT,))}
    visible = {g["flag_id"] for g in city.http.get(f"/v1/officers/{f.OFFICER_A}",
                                                   headers=mine).json()["flags"]}
    listed = {r["flag_id"] for r in everyone["reasons"] if r["source"] == "flag"}
    assert listed - visible, "the officer has no flag in another unit to hide"
    scoped = city.http.get(f"/v1/officers/{f.OFFICER_A}/warnings", headers=mine).json()
    assert (scoped["level"], scoped["points"]) == (everyone["level"], everyone["points"])
    shown = [r for r in scoped["reasons"] if r["source"] == "flag"]
    assert {r["flag_id"] for r in shown} == listed & visible
    (other,) = [r for r in scoped["reasons"] if r["source"] == "other_units"]
    assert other["points"] == sum(r["points"] for r in everyone["reasons"]
                                  if r["source"] == "flag" and r["flag_id"] not in visible)
    assert len(scoped["history"]) == len(everyone["history"])
    for level in scoped["history"]:
        assert not {r.get("flag_id") for r in level["reasons"]} - visible - {None}
    assert XH_CASE not in str(scoped)
