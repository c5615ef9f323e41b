"""A unit's audit trail after a case or an officer leaves it (issue #3): the case it filed and
the officer it posted stay in its bundle, which verifies."""

from __future__ import annotations

import json
from pathlib import Path

from api.app import trail_scope
from ledger.logview import LogView
from projections.readmodels import ReadModels

from . import domain_factory as f
from .bundles import export
from .conftest import LOG_ORIGIN, World
from .test_offline_flags_city import verified
from .test_readmodels import city, post_steps  # noqa: F401  (fixture)

CASE = "SH-HP-2024-000123"
OTHER = "SH-JA-CG-01"


def _move_away(city: World) -> None:
    """The general case filed again by unit OTHER (移送管辖) and officer B posted there."""
    party = {"party_ref": f.COMPANY, "party_type": "organisation",
             "org_name": "上海某某建材有限公司"}
    post_steps(city, f.staff() + f.general_case(CASE) + [
        f.step(f"case:{CASE}", "CaseFiled", f.at("2025-04-01"), unit_id=OTHER, parties=[party],
               filing_no="静城管立〔2025〕第1号"),
        f.step(f"officer:{f.OFFICER_B}", "PostAssigned", f.at("2025-04-01"), unit_id=OTHER,
               post_id="POST-JA", role="team_member", window_from=f.at("2025-04-01", "00:00:00"),
               window_until=None, superior_officer_id=f.DROP)])
    city.project()


def test_a_units_trail_keeps_the_case_and_officer_that_moved_to_another_unit(
        city: World, log_key, tmp_path: Path) -> None:
    """Unit SH-HP-CG-02 filed the case and posted officer B; once the case was filed again by
    another unit and B posted there, its trail held neither (the read models' current unit
    chose the streams), so its bundle left out its own filing, acts and posts, and verified."""
    _move_away(city)
    views = ReadModels(city.ledger.store)
    held = trail_scope(views, unit=f.UNIT).streams
    assert f"case:{CASE}" in held and f"officer:{f.OFFICER_B}" in held
    assert {f"case:{CASE}", f"officer:{f.OFFICER_B}"} <= set(trail_scope(views, unit=OTHER).streams)
    log = LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN, signing_key=log_key)
    bundle = tmp_path / "unit.ndjson"
    export(city, log, bundle, trail_scope(views, unit=f.UNIT))
    assert verified(city, log_key, bundle)

    # what an inspector scoped to the unit may see follows the current unit, as everywhere
    # else: for them the unit's bundle leaves out what moved to another unit
    token = city.token("inspector", principal="insp-hp", units=(f.UNIT,))
    response = city.http.get("/v1/bundles", params={"unit": f.UNIT},
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    scoped = json.loads(response.content.splitlines()[0])["scope"]["streams"]
    assert f"case:{CASE}" not in scoped and f"officer:{f.OFFICER_B}" not in scoped
    assert f"officer:{f.OFFICER_A}" in scoped


def test_an_officer_recorded_after_the_checkpoint_is_refused_not_exported_empty(
        city: World, log_key) -> None:
    """An officer whose events all came after the latest checkpoint, exported by a service
    without the log key (which exports under that checkpoint), gave a bundle of the key
    registry alone that verified `OK: … officer=…`; the read models, ahead of the checkpoint,
    knew the officer. It is refused as an officer they do not know is."""
    post_steps(city, f.staff())
    LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
            signing_key=log_key).issue_checkpoint()
    post_steps(city, f.officer_setup("SH-HP-0999", "31010219099"))
    city.project()
    response = city.http.get("/v1/bundles", params={"officer": "SH-HP-0999"},
                             headers=city.headers("auditor"))
    assert response.status_code == 404, response.text[:300]
    assert response.json()["field"] == "officer"
    assert response.json()["detail"].startswith(
        "no officer SH-HP-0999: none of its streams holds an event below the checkpoint's tree "
        "size")
    assert city.http.get("/v1/bundles", params={"officer": f.OFFICER_A},
                         headers=city.headers("auditor")).status_code == 200
