"""The dashboard's JSON endpoints over HTTP: session, case trail with server-side verification,
officer positions, units, and dispositions signed on the inspector's behalf — with the same
access rules as the rest of the API (roles, unit scoping), and refusals that write nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import asgi, create_app
from api.dashboard import _period_end, pledge_chain
from ledger.crypto import SigningKey
from ledger.domain.calendar import CST
from ledger.domain import vocabulary
from ledger.logview import LogView
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from projections.redflags import national
from projections.redflags.number_names import NUMBER_NAMES

from . import domain_factory as f
from .conftest import LOG_ORIGIN, ROOT_ID, World
from .test_readmodels import post_steps
from .test_redflags_parties import COMPANY_NO, two_parties
from .test_redflags_world import GENERAL, change
from .test_tamper import replace_envelope

CASE = "SH-HP-2024-S-000777"
OTHER_UNIT = "SH-XH-CG-09"


def _world(database: tuple[str, str], root_key: SigningKey, log_key: SigningKey,
           dashboard_key: SigningKey | None) -> Iterator[World]:
    owner, app_url = database
    store = LedgerStore(datastore_from_url(app_url), url=app_url)
    ledger = Ledger(store, root_keys={ROOT_ID: root_key.public_key}, types=vocabulary)
    log = LogView(store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN, signing_key=log_key)
    app = create_app(ledger, log=log, dashboard_key=dashboard_key)
    with TestClient(asgi(app)) as http:
        world = World(ledger=ledger, http=http, root=root_key, owner_url=owner, app_url=app_url)
        keys = [world.key_registered(f"{role}-01", [role]) for role in sorted(
            {f.signer_role(t) for t in vocabulary.EVENT_TYPES} - {"root"})]
        if dashboard_key is not None:
            keys.append(world.key_registered("dashboard", ["inspector"], principal="dashboard",
                                             public_key=dashboard_key.public_key))
        world.post(keys)
        # a summary case with 200 yuan taken in cash on the spot (RF04) in unit f.UNIT
        post_steps(world, f.staff() + f.summary_case(CASE, amount_fen=20_000))
        world.project()
        log.issue_checkpoint()
        yield world
    ledger.close()
    store.close()


@pytest.fixture
def dash(database: tuple[str, str], root_key: SigningKey, log_key: SigningKey) -> Iterator[World]:
    yield from _world(database, root_key, log_key, SigningKey.generate())


@pytest.fixture
def keyless(database: tuple[str, str], root_key: SigningKey, log_key: SigningKey
            ) -> Iterator[World]:
    yield from _world(database, root_key, log_key, None)


def auth(world: World, *roles: str, principal: str | None = None,
         units: tuple[str, ...] = ()) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(*roles, principal=principal, units=units)}"}


def get(world: World, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
    response = world.http.get(path, params=params, headers=headers or auth(world, "inspector"))
    assert response.status_code == 200, response.text
    return response.json()


def rf04(world: World) -> dict[str, Any]:
    (flag,) = get(world, "/v1/flags", rule="RF04")["flags"]
    return flag


def dispose(world: World, flag_id: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return world.http.post(f"/v1/flags/{flag_id}/dispositions", content=content,
                           headers={**(headers or auth(world, "inspector", principal="jw-007")),
                                    "Content-Type": "application/json"})


DISMISS = {"action": "dismiss", "reason_code": "legitimate_exception",
           "reason": "节假日期间经批准延后交款，有审批单"}


# --- session and sign-in ----------------------------------------------------------------------

def test_session_names_the_principal_roles_and_units(dash: World) -> None:
    body = get(dash, "/v1/session", auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,)))
    assert body == {"principal": "jw-hp", "roles": ["inspector"], "units": [f.UNIT],
                    "may_dispose": True, "dashboard_key": True}
    assert get(dash, "/v1/session", auth(dash, "auditor"))["may_dispose"] is False


def test_a_poster_token_may_not_open_the_dashboard(dash: World) -> None:
    response = dash.http.get("/v1/session", headers=auth(dash, "poster"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert dash.http.get("/v1/session").status_code == 401
    assert dash.http.get("/ui/").status_code == 200          # the page itself is static
    assert "app.js" in dash.http.get("/ui/").text
    assert dash.http.get("/", follow_redirects=False).headers["location"] == "/ui/"


# --- unit scoping -----------------------------------------------------------------------------

def test_an_inspector_scoped_to_another_unit_gets_404_and_sees_no_flags(dash: World) -> None:
    other = auth(dash, "inspector", principal="jw-xh", units=(OTHER_UNIT,))
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    paths = [f"/v1/cases/{CASE}/trail", f"/v1/officers/{f.OFFICER_A}/positions",
             f"/v1/officers/{f.OFFICER_A}/pledge-chain", f"/v1/units/{f.UNIT}/overview",
             f"/v1/cases/{CASE}", f"/v1/officers/{f.OFFICER_A}"]
    for path in paths:
        assert dash.http.get(path, headers=other).status_code == 404, path
        assert dash.http.get(path, headers=mine).status_code == 200, path
    assert get(dash, "/v1/flags", other)["flags"] == []
    assert get(dash, "/v1/flags", mine)["flags"]
    assert get(dash, "/v1/units", other)["units"] == []
    assert [u["unit_id"] for u in get(dash, "/v1/units", mine)["units"]] == [f.UNIT]


XH_CASE = "SH-XH-2024-S-000901"       # officer A acting in another unit's case


def test_a_scoped_officer_bundle_leaves_out_the_officers_cases_in_other_units(
        dash: World) -> None:
    post_steps(dash, peer_fine(XH_CASE, f.OFFICER_A, 20_000))
    dash.project()
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    response = dash.http.get("/v1/bundles", params={"officer": f.OFFICER_A}, headers=mine)
    assert response.status_code == 200, response.text
    streams = {orjson.loads(line)["envelope"]["stream"]
               for line in response.text.splitlines() if orjson.loads(line)["t"] == "event"}
    assert f"case:{CASE}" in streams and f"officer:{f.OFFICER_A}" in streams
    assert f"case:{XH_CASE}" not in streams and XH_CASE not in response.text
    # an inspector of every unit still gets the officer's whole trail
    everyone = dash.http.get("/v1/bundles", params={"officer": f.OFFICER_A},
                             headers=auth(dash, "inspector"))
    assert f"case:{XH_CASE}" in everyone.text


def test_a_scoped_officer_record_names_none_of_the_officers_cases_in_other_units(
        dash: World) -> None:
    # the cash they collected there names the case too (case_collections)
    cash = f.step(f"case:{XH_CASE}", "OnsiteCashCollected", f.at("2024-08-20", "10:07:00"),
                  decision_no=f"XH-{XH_CASE[-6:]}", party_ref=f.VENDOR, amount_fen=20_000,
                  justification="hard_to_enforce_later", justification_text="流动摊贩",
                  officers=[{"officer_id": f.OFFICER_A, "cert_no": "31010699001"}])
    post_steps(dash, peer_fine(XH_CASE, f.OFFICER_A, 20_000) + [cash])
    dash.project()
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    officer = get(dash, f"/v1/officers/{f.OFFICER_A}", mine)
    assert list(officer["case_acts"]) == [CASE]
    # nor do the officer's own flags (this unit's) explain themselves with the other case:
    # RF22 counts the act there, and says one case of another unit was withheld
    assert XH_CASE not in orjson.dumps(officer).decode()
    (rf22,) = [x for x in officer["flags"] if x["rule_id"] == "RF22"]
    assert rf22["numbers"]["cases"] == [CASE, {"source": "other_units", "count": 1}]
    assert rf22["subject"]["case_id"] is None and rf22["other_units"]["count"] >= 2
    everyone = get(dash, f"/v1/officers/{f.OFFICER_A}")
    assert XH_CASE in everyone["case_acts"]
    (whole,) = [x for x in everyone["flags"] if x["rule_id"] == "RF22"]
    assert whole["flag_id"] == rf22["flag_id"] and XH_CASE in whole["numbers"]["cases"]
    assert (whole["numbers"]["acts_uncovered"], whole["numbers"]["days_uncovered"]) == (
        rf22["numbers"]["acts_uncovered"], rf22["numbers"]["days_uncovered"])
    assert "other_units" not in whole


XH_COMPLAINT = "XH-C-2024-00017"      # another unit's complaint about this unit's case


def test_a_scoped_case_and_complaint_name_no_complaint_or_case_of_another_unit(
        dash: World) -> None:
    """A complaint is of the unit it names (its `unit_id`), which need not be the unit of the
    case it names (`case_id`): a complaints office of one unit may receive one about another
    unit's case. The case listed that complaint (id, category, event id) to the case's
    unit's scoped inspectors, and the complaint named its case to the complaint's, each a
    reference of another unit the officer record already withholds."""
    s = f"complaint:{XH_COMPLAINT}"
    post_steps(dash, [f.step(s, "ComplaintReceived", f.at("2024-08-21", "09:00:00"),
                             unit_id=OTHER_UNIT, accused_officers=[f.OFFICER_A],
                             case_id=CASE)])
    dash.project()
    before = dash.count("ledger_receipts")
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    theirs = auth(dash, "inspector", principal="jw-xh", units=(OTHER_UNIT,))
    case = get(dash, f"/v1/cases/{CASE}", mine)
    assert XH_COMPLAINT not in orjson.dumps(case).decode()
    assert case["complaints"] == [{"source": "other_units", "count": 1}]
    complaint = get(dash, f"/v1/complaints/{XH_COMPLAINT}", theirs)
    assert CASE not in orjson.dumps(complaint).decode()
    assert complaint["case_id"] == {"source": "other_units", "count": 1}
    assert complaint["accused_officers"] == [f.OFFICER_A]       # whom it is about stays
    # a principal of both units, or of every unit, reads both whole
    both = auth(dash, "inspector", principal="jw-both", units=(f.UNIT, OTHER_UNIT))
    for headers in (both, auth(dash, "inspector")):
        assert [c["complaint_id"] for c in get(dash, f"/v1/cases/{CASE}",
                                               headers)["complaints"]] == [XH_COMPLAINT]
        assert get(dash, f"/v1/complaints/{XH_COMPLAINT}", headers)["case_id"] == CASE
    assert dash.count("ledger_receipts") == before            # reading wrote nothing


def test_a_scoped_officer_records_formal_warnings_name_no_flag_or_notice_of_another_unit(
        dash: World) -> None:
    """A formal warning lists the red flags it answers and the notice it follows: an officer's
    flags in another unit's cases are that unit's, and GET /v1/officers/{id}/warnings already
    folded them out of the level's reasons, yet the officer record and that same answer's
    `formal_warnings` named their ids (and the other unit's notice) to a scoped inspector."""
    post_steps(dash, peer_fine(XH_CASE, f.OFFICER_A, 20_000))
    dash.project()
    every = auth(dash, "inspector")
    theirs = [x["flag_id"] for x in get(dash, "/v1/flags", every, unit=OTHER_UNIT)["flags"]]
    ours = [x["flag_id"] for x in get(dash, "/v1/flags", every, unit=f.UNIT,
                                      officer=f.OFFICER_A)["flags"]]
    assert theirs and ours
    notice = "SN-XH-20240901-01"                        # a notice no unit of HP's holds
    post_steps(dash, [f.step(f"officer:{f.OFFICER_A}", "OfficerWarningIssued",
                             f.at("2024-09-02", "10:00:00"), warning_id="W-2024-007",
                             unit_id=f.UNIT, flag_ids=[ours[0], theirs[0]], notice_id=notice)])
    dash.project()
    before = dash.count("ledger_receipts")
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    hidden = {"source": "other_units", "count": 1}
    for path in (f"/v1/officers/{f.OFFICER_A}", f"/v1/officers/{f.OFFICER_A}/warnings"):
        body = get(dash, path, mine)
        (warning,) = body["warnings" if path.endswith(f.OFFICER_A) else "formal_warnings"]
        assert warning["flag_ids"] == [ours[0], hidden], path
        assert warning["notice_id"] == hidden, path
        assert theirs[0] not in orjson.dumps(body).decode() and notice not in \
            orjson.dumps(body).decode(), path
        (whole,) = get(dash, path, every)["warnings" if path.endswith(f.OFFICER_A)
                                          else "formal_warnings"]
        assert whole["flag_ids"] == [ours[0], theirs[0]] and whole["notice_id"] == notice
    assert dash.count("ledger_receipts") == before            # reading wrote nothing


XH_TWICE = "SH-XH-2024-S-000902"      # the vendor fined by another unit for CASE's act


def fined_twice(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """Another unit fines the vendor of CASE for the same act minutes before CASE's decision:
    RF14 is this unit's (CASE decided second). Returns (that flag as an inspector of every
    unit sees it, the other unit's decision envelope)."""
    steps = peer_fine(XH_TWICE, "SH-XH-0501", 10_000, day="2024-09-30")
    steps[0].body["violation_occurred_at"] = f.at("2024-09-30", "09:45:00")
    decided = post_steps(world, steps[:1] + [f.step(
        steps[1].stream, steps[1].type, f.at("2024-09-30", "09:58:00"), **steps[1].body)])[1]
    world.project()
    (flag,) = get(world, "/v1/flags", rule="RF14")["flags"]
    assert flag["subject"]["unit_id"] == f.UNIT and flag["subject"]["case_id"] == CASE
    assert flag["numbers"]["first_case"] == XH_TWICE and decided["event_id"] in flag["event_ids"]
    return flag, decided


def test_a_scoped_flag_queue_replaces_other_units_cases_and_events_by_a_count(
        dash: World) -> None:
    """RF14 is about this unit's case, but its explanation named the other unit's case, its
    decision event (in event_ids, the discriminator and the summary) to a scoped inspector."""
    whole, decided = fined_twice(dash)
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    response = dash.http.get("/v1/flags", params={"rule": "RF14"}, headers=mine)
    assert response.status_code == 200, response.text
    (flag,) = response.json()["flags"]
    assert XH_TWICE not in response.text and decided["event_id"] not in response.text
    other = {"source": "other_units", "count": 1}
    assert flag["flag_id"] == whole["flag_id"]                  # ids stay stable
    assert flag["numbers"]["first_case"] == other and flag["numbers"]["second_case"] == CASE
    assert flag["event_ids"] == [e for e in whole["event_ids"] if e != decided["event_id"]]
    assert flag["other_units"] == {"source": "other_units", "count": 2}    # case and event
    # the numbers compared stay: they describe the subject
    for name in ("amounts_fen", "first_act", "second_act", "distance_m", "violation_code"):
        assert flag["numbers"][name] == whole["numbers"][name], name
    assert CASE in flag["summary"] and flag["subject"] == whole["subject"]
    assert XH_TWICE in whole["summary_zh"] and CASE in flag["summary_zh"]
    assert "other_units" in flag["summary_zh"]             # withheld in Chinese too
    # an inspector of every unit, and the other unit's own, see it whole or not at all
    assert "other_units" not in whole
    other_inspector = auth(dash, "inspector", principal="jw-xh", units=(OTHER_UNIT,))
    assert get(dash, "/v1/flags", other_inspector, rule="RF14")["flags"] == []


def test_a_scoped_flag_queue_withholds_a_case_the_read_models_have_not_folded_yet(
        dash: World) -> None:
    """The flags and the read models are folded apart (a failing read-model batch waits and
    retries while the flags go on): RF14 named the other unit's case, and its decision event,
    to a scoped inspector while the case view did not hold it yet, since a reference of no
    known unit was taken for one that names nothing. A case or event of the log whose unit is
    not known yet is withheld, as one of no unit is."""
    steps = peer_fine(XH_TWICE, "SH-XH-0501", 10_000, day="2024-09-30")
    steps[0].body["violation_occurred_at"] = f.at("2024-09-30", "09:45:00")
    decided = post_steps(dash, steps[:1] + [f.step(
        steps[1].stream, steps[1].type, f.at("2024-09-30", "09:58:00"), **steps[1].body)])[1]
    dash.http.app.app.state.flags.run_until_idle()             # the read models lag behind
    (whole,) = get(dash, "/v1/flags", rule="RF14")["flags"]
    assert whole["numbers"]["first_case"] == XH_TWICE
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    response = dash.http.get("/v1/flags", params={"rule": "RF14"}, headers=mine)
    assert response.status_code == 200, response.text
    assert XH_TWICE not in response.text and decided["event_id"] not in response.text
    (flag,) = response.json()["flags"]
    assert flag["flag_id"] == whole["flag_id"] and flag["numbers"]["second_case"] == CASE
    assert flag["numbers"]["first_case"] == {"source": "other_units", "count": 1}
    dash.project()                      # folded, it is withheld as another unit's
    response = dash.http.get("/v1/flags", params={"rule": "RF14"}, headers=mine)
    assert response.json()["flags"] == [flag]


@pytest.mark.parametrize("path", [f"/v1/cases/{CASE}", f"/v1/officers/{f.OFFICER_A}"])
def test_scoped_case_and_officer_pages_show_their_flags_without_other_units_references(
        dash: World, path: str) -> None:
    whole, decided = fined_twice(dash)
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    response = dash.http.get(path, headers=mine)
    assert response.status_code == 200, response.text
    (flag,) = [x for x in response.json()["flags"] if x["rule_id"] == "RF14"]
    assert flag["flag_id"] == whole["flag_id"] and flag["other_units"]["count"] == 2
    assert flag["numbers"]["second_case"] == CASE
    assert XH_TWICE not in response.text and decided["event_id"] not in response.text
    (everyone,) = [x for x in get(dash, path)["flags"] if x["rule_id"] == "RF14"]
    assert everyone == whole


def test_a_scoped_queue_filtered_by_another_units_case_is_empty(dash: World) -> None:
    """RF22 of this unit's officer is about the first act it counts, in another unit's case:
    filtering the queue by that case told a scoped inspector that the case exists and that
    the officer acted in it."""
    post_steps(dash, peer_fine(XH_CASE, f.OFFICER_A, 20_000))
    dash.project()
    (rf22,) = get(dash, "/v1/flags", rule="RF22", case=XH_CASE)["flags"]
    assert rf22["subject"]["unit_id"] == f.UNIT
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    assert get(dash, "/v1/flags", mine, case=XH_CASE) == {"flags": [], "evaluated_at": None,
                                                          "next": None}
    assert get(dash, "/v1/flags", mine, case=CASE)["flags"]


XH_CHIEF = "SH-XH-0101"       # heads another unit; countersigns the chain from f.UNIT


def test_a_scoped_pledge_chain_shows_a_link_in_another_unit_without_its_officer_or_pledge(
        dash: World) -> None:
    """The chain of an officer of the token's unit climbs to a head of another unit: a scoped
    inspector was shown that head's id, pledge, dates and document hash."""
    steps = [f.step(f"officer:{XH_CHIEF}", "OfficerCredentialIssued", f.at("2023-01-02"),
                    cert_no="31010699101", valid_from="2023-01-01", valid_until="2027-12-31",
                    unit_id=OTHER_UNIT)]
    steps += (f.pledge_chain_steps(f.OFFICER_A, f.HEAD, pledge_id="P-A-2024", top=False)
              + f.pledge_chain_steps(f.HEAD, XH_CHIEF, pledge_id="P-H-2024", top=False,
                                     level="team", countersigner_level="unit")
              + f.pledge_chain_steps(XH_CHIEF, "SH-XH-0001", pledge_id="P-XH-2024", top=True,
                                     level="unit", countersigner_level="higher_authority"))
    post_steps(dash, steps)
    dash.project()
    path = f"/v1/officers/{f.OFFICER_A}/pledge-chain"
    mine = dash.http.get(path, params={"on": "2024-06-01"},
                         headers=auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,)))
    assert mine.status_code == 200, mine.text
    chain = mine.json()
    assert chain["status"] == "complete"           # the officer's coverage, as RF22 judges it
    assert [link["officer_id"] for link in chain["links"]] == [f.OFFICER_A, f.HEAD, None]
    assert chain["links"][1]["countersigned_by"] == XH_CHIEF    # the head's own pledge says so
    hidden = chain["links"][2]
    assert hidden == dict.fromkeys(hidden) | {"level": "unit", "top_of_chain": True}
    assert "P-XH-2024" not in mine.text and "SH-XH-0001" not in mine.text
    # an inspector of every unit sees the whole chain
    everyone = get(dash, path, on="2024-06-01")["links"]
    assert (everyone[2]["officer_id"], everyone[2]["pledge_id"]) == (XH_CHIEF, "P-XH-2024")


def test_units_lists_the_units_with_their_case_and_officer_counts(dash: World) -> None:
    (unit,) = get(dash, "/v1/units")["units"]
    assert unit["unit_id"] == f.UNIT and unit["cases"] == 1 and unit["officers"] >= 2


def test_ledger_init_on_an_up_to_date_home_does_not_wait_for_the_views_readers(
        dash: World) -> None:
    """`ledger init` runs the views' schema at every `make run`: adding a computed column that
    is already there still locked each table against its readers (ALTER TABLE takes the
    strongest lock), so init waited behind a dashboard query and every query behind init."""
    import psycopg
    from importlib import resources
    schema = resources.files("projections").joinpath("schema.sql").read_text()
    with psycopg.connect(dash.app_url) as reader:              # a reader mid-transaction
        for table in ("view_cases", "view_officers", "view_complaints",
                      "view_public_decisions", "view_flags"):
            reader.execute(f"SELECT count(*) FROM {table}").fetchall()
        with psycopg.connect(dash.owner_url, autocommit=True) as init:
            init.execute("SET lock_timeout = '2s'")
            init.execute(schema)                       # raised LockNotAvailable before


def init_completes(world: World, behind: str) -> None:
    """The services name what the home lacks (``behind``), and `ledger init` completes it."""
    from projections.readmodels import ReadModels
    owner = LedgerStore(datastore_from_url(world.owner_url, pool_size=1, max_overflow=0))
    try:
        assert owner.schema_behind() == behind
        ReadModels(owner).create_tables()                          # what `ledger init` runs
        assert owner.schema_behind() is None
    finally:
        owner.close()


def test_the_views_units_are_columns_an_older_home_gets_from_init(dash: World) -> None:
    """The unit list, the overview and the unit assessment count and filter by indexed
    columns PostgreSQL computes from each state (reading the unit from the states decompressed
    every state of every unit on each request). A home whose views were made before them is
    named by the services and completed by `ledger init`, the columns computed for the states
    already stored, so the pages read the same."""
    import psycopg

    pages = (("/v1/units", {}), (f"/v1/units/{f.UNIT}/overview", {"on": "2024-10-31"}),
             (f"/v1/units/{f.UNIT}/assessment", {"period": "2024-Q4"}),
             (f"/v1/officers/{f.OFFICER_A}/positions", {}),
             (f"/v1/officers/{f.OFFICER_A}/assessment", {"period": "2024-Q4"}))
    before = [get(dash, page, **params) for page, params in pages]
    assert before[0]["units"][0]["cases"] == 1 and before[1]["fines_per_day"]
    with psycopg.connect(dash.owner_url, autocommit=True) as conn:     # as before 2026-11-29
        for table, column in (("view_cases", "unit_id"), ("view_cases", "decided_unit_id"),
                              ("view_cases", "violation_code"), ("view_cases", "decided_on"),
                              ("view_cases", "officer_ids"), ("view_cases", "decided_unit_ids"),
                              ("view_cases", "first_decided_on"),
                              ("view_cases", "last_decided_on"),
                              ("view_officers", "unit_id"), ("view_complaints", "unit_id")):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    init_completes(dash, "view_cases has no column unit_id (added 2026-11-29: the views' "
                         "units as indexed columns)")
    assert [get(dash, page, **params) for page, params in pages] == before


def test_each_partys_decision_columns_a_home_of_this_morning_gets_from_init(
        dash: World) -> None:
    """A home with the views' units as columns but not the units and days of each party's
    decision in force is named by the services and completed by `ledger init`: the unit
    overview and the positions count the co-party's fine as on a home made anew."""
    import psycopg

    post_steps(dash, two_parties())
    dash.project()
    pages = ((f"/v1/units/{f.UNIT}/overview", {"on": "2024-10-31"}),
             (f"/v1/officers/{f.OFFICER_A}/positions", {}))
    before = [get(dash, page, **params) for page, params in pages]
    assert len(before[0]["fines_per_day"]) == 3
    with psycopg.connect(dash.owner_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE view_cases DROP COLUMN decided_unit_ids, "
                     "DROP COLUMN first_decided_on, DROP COLUMN last_decided_on")
    init_completes(dash, "view_cases has no column decided_unit_ids (added 2026-11-29: each "
                         "party's decision in force, indexed)")
    assert [get(dash, page, **params) for page, params in pages] == before


# --- the case trail and its verification ------------------------------------------------------

def test_trail_verifies_signature_chain_and_inclusion_of_every_case_event(dash: World) -> None:
    trail = get(dash, f"/v1/cases/{CASE}/trail")
    case_events = get(dash, f"/v1/cases/{CASE}")["events"]
    assert [e["event_id"] for e in trail["events"]] == case_events
    assert [e["index"] for e in trail["events"]] == sorted(e["index"] for e in trail["events"])
    first = trail["events"][0]
    assert first["type"] == "CaseFiled" and first["stream_version"] == 1
    assert first["signer"] == "officer-device-01"
    assert first["signer_principal"] == "principal:officer-device-01"
    assert first["occurred_at"].startswith("2024-09-30T10:00") and first["recorded_at"]
    for event in trail["events"]:
        v = event["verification"]
        assert v["signature"]["ok"] and v["chain"]["ok"], event
        assert v["inclusion"]["status"] == "included" and v["inclusion"]["ok"] is True
    assert trail["checkpoint"]["tree_size"] == dash.ledger.store.size()


def test_trail_reports_a_tampered_envelope_as_failing_signature_chain_and_inclusion(
        dash: World) -> None:
    trail = get(dash, f"/v1/cases/{CASE}/trail")
    target = next(e for e in trail["events"] if e["type"] == "PenaltyDecided")
    raw = dash.ledger.store.get_event(target["event_id"]).raw
    assert b'"amount_fen":20000' in raw
    replace_envelope(dash, raw, raw.replace(b'"amount_fen":20000', b'"amount_fen":10000'))
    events = {e["event_id"]: e for e in get(dash, f"/v1/cases/{CASE}/trail")["events"]}
    bad = events.pop(target["event_id"])["verification"]
    assert bad["signature"] == {"ok": False, "detail": "signature does not verify"}
    assert bad["chain"]["ok"] is False and "chain hash" in bad["chain"]["detail"]
    assert bad["inclusion"]["status"] == "failed" and bad["inclusion"]["ok"] is False
    for event in events.values():        # the rest still verify: the failure is pinpointed
        v = event["verification"]
        assert v["signature"]["ok"] and v["chain"]["ok"] and v["inclusion"]["ok"], event


# --- dispositions -----------------------------------------------------------------------------

def test_dismissal_is_signed_by_the_dashboard_naming_the_inspector_and_joins_the_trail(
        dash: World) -> None:
    flag = rf04(dash)
    response = dispose(dash, flag["flag_id"], DISMISS)
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["type"] == "FlagDismissed" and out["stream"] == f"flag:{flag['flag_id']}"
    assert out["receipt"]["stream_version"] == 1 and out["inspector_id"] == "jw-007"
    stored = orjson.loads(dash.ledger.store.get_event(out["event_id"]).raw)
    assert stored["signer"] == "key:dashboard"
    assert stored["body"] == {"rule_id": flag["rule_id"], "inspector_id": "jw-007",
                              "reason_code": "legitimate_exception",
                              "reason": "节假日期间经批准延后交款，有审批单"}
    trail = get(dash, f"/v1/cases/{CASE}/trail")
    last = trail["events"][-1]
    assert last["event_id"] == out["event_id"] and last["flag_id"] == flag["flag_id"]
    assert last["signer_principal"] == "dashboard" and last["body"]["inspector_id"] == "jw-007"
    assert last["verification"]["signature"]["ok"] and last["verification"]["chain"]["ok"]
    assert last["verification"]["inclusion"]["status"] == "pending"   # after the checkpoint
    dash.project()
    assert rf04(dash)["disposition"] == "dismissed"



def test_a_scoped_inspector_reads_the_disposition_events_of_its_units_flags(
        dash: World) -> None:
    """A flag's stream was judged as of no unit, so an inspector scoped to the flag's unit, who
    sees the flag and may dispose of it, got 404 for its disposition events (the stream and each
    event), while an inspector of another unit must still get 404."""
    flag = rf04(dash)
    out = dispose(dash, flag["flag_id"], DISMISS).json()
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    other = auth(dash, "inspector", principal="jw-xh", units=(OTHER_UNIT,))
    stream = f"/v1/streams/flag:{flag['flag_id']}/events"
    event = f"/v1/events/{out['event_id']}"
    assert [e["envelope"]["event_id"] for e in get(dash, stream, mine)["events"]] == [
        out["event_id"]]
    assert get(dash, event, mine)["receipt"]["stream"] == f"flag:{flag['flag_id']}"
    for path in (stream, event):
        assert dash.http.get(path, headers=other).status_code == 404
    unknown = "/v1/streams/flag:RF04.a-000000000000000000000000/events"
    assert dash.http.get(unknown, headers=mine).status_code == 404


def test_a_scoped_rf30_names_no_flag_or_disposition_of_another_unit(dash: World) -> None:
    """One inspector dismissed five flags about officer A, on this unit's case and another
    unit's: the RF30 is of the unit of the decisive flag, and listed the other unit's flag ids
    and the events dismissing them, which an inspector scoped to its unit may not read."""
    post_steps(dash, peer_fine(XH_CASE, f.OFFICER_A, 20_000))
    dash.project()
    about_a = get(dash, "/v1/flags", officer=f.OFFICER_A, limit=500)["flags"]
    picked = [x for x in about_a if x["subject"]["unit_id"] == OTHER_UNIT][:4] + [rf04(dash)]
    dismissals = {x["flag_id"]: dispose(dash, x["flag_id"], DISMISS).json()["event_id"]
                  for x in picked}
    dash.project()
    (whole,) = get(dash, "/v1/flags", rule="RF30")["flags"]
    assert set(whole["numbers"]["dismissed_flag_ids"]) == set(dismissals)
    unit = whole["subject"]["unit_id"]
    foreign = [x["flag_id"] for x in picked if x["subject"]["unit_id"] != unit]
    own = [i for i in whole["numbers"]["dismissed_flag_ids"] if i not in foreign]
    assert foreign and own
    scoped = auth(dash, "inspector", principal="jw-unit", units=(unit,))
    (rf30,) = get(dash, "/v1/flags", scoped, rule="RF30")["flags"]
    assert rf30["flag_id"] == whole["flag_id"]
    text = orjson.dumps(rf30).decode()
    assert [i for i in foreign if i in text] == []
    assert [dismissals[i] for i in foreign if dismissals[i] in text] == []
    assert rf30["numbers"]["dismissed_flag_ids"] == own + [
        {"source": "other_units", "count": len(foreign)}]
    assert rf30["event_ids"] == [e for e in whole["event_ids"]
                                 if e in {dismissals[i] for i in own}]


def test_a_dashboard_disposition_is_dated_by_the_ledger_clock_not_the_process(
        dash: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The service signs a dashboard disposition itself, and dated it (occurred_at) by its
    process's clock: on a host two hours ahead each was dated two hours after it was recorded,
    past RF08.e's ten minutes — a flag of an act dated after its recording for every
    disposition. It is now dated by the ledger's clock, which recorded_at is read from."""
    from datetime import datetime, timedelta

    from .clocks import skew_process_clock

    flag = rf04(dash)
    skew_process_clock(monkeypatch, timedelta(hours=2))
    response = dispose(dash, flag["flag_id"], DISMISS)
    assert response.status_code == 201, response.text
    out = response.json()
    event = get(dash, f"/v1/events/{out['event_id']}", auth(dash, "auditor"))
    occurred = datetime.fromisoformat(event["envelope"]["occurred_at"])
    recorded = datetime.fromisoformat(out["receipt"]["recorded_at"])
    assert recorded - timedelta(minutes=1) <= occurred <= recorded


@pytest.mark.parametrize("body,field", [
    ({"action": "dismiss", "reason_code": "legitimate_exception"}, "reason"),
    ({"action": "dismiss", "reason_code": "because", "reason": "x"}, "reason_code"),
    ({"action": "shred"}, "action"),
    ({"action": ["dismiss"]}, "action"),            # unhashable: was a 500
    ({"action": "acknowledge", "inspector_id": "someone-else"}, "inspector_id"),
    ({"action": "refer", "referred_to": "the press"}, "referred_to"),
    (b"not json", "body"),
    ([DISMISS], "body"),
])
def test_a_bad_disposition_body_is_refused_naming_the_field_and_writes_nothing(
        dash: World, body: Any, field: str) -> None:
    flag, before = rf04(dash), dash.count()
    response = dispose(dash, flag["flag_id"], body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert dash.count() == before


def test_dispositions_refused_for_auditors_unknown_flags_and_other_units_write_nothing(
        dash: World) -> None:
    flag, before = rf04(dash), dash.count()
    assert dispose(dash, flag["flag_id"], DISMISS, auth(dash, "auditor")).status_code == 403
    assert dispose(dash, "RF04.a-000000000000000000000000", DISMISS).status_code == 404
    other = auth(dash, "inspector", principal="jw-xh", units=(OTHER_UNIT,))
    response = dispose(dash, flag["flag_id"], DISMISS, other)
    assert response.status_code == 404
    assert dispose(dash, flag["flag_id"], DISMISS, auth(dash, "poster")).status_code == 403
    assert dash.http.post(f"/v1/flags/{flag['flag_id']}/dispositions",
                          json=DISMISS).status_code == 401
    assert dash.count() == before


def test_without_a_dashboard_key_a_disposition_is_503_saying_how_to_configure_it(
        keyless: World) -> None:
    flag, before = rf04(keyless), keyless.count()
    response = dispose(keyless, flag["flag_id"], DISMISS)
    assert response.status_code == 503
    problem = response.json()
    assert problem["rule"] == "dashboard-key", problem
    assert "LEDGER_DASHBOARD_KEY" in problem["detail"] and "ledger keys register" in \
        problem["detail"]
    # a second host lacks the copy of init's key; registering key id `dashboard` again, as the
    # detail said, is refused (init registered it): it names the file to copy instead
    assert "copy secrets/dashboard.key from the home `ledger init` made" in problem["detail"]
    assert "--key-id dashboard " not in problem["detail"]
    assert keyless.count() == before
    assert get(keyless, "/v1/session")["dashboard_key"] is False


def test_an_unregistered_dashboard_key_is_503_and_writes_nothing(
        database: tuple[str, str], root_key: SigningKey, log_key: SigningKey) -> None:
    world_iter = _world(database, root_key, log_key, SigningKey.generate())
    world = next(world_iter)
    try:
        world.revoke("dashboard")
        flag, before = rf04(world), world.count()
        response = dispose(world, flag["flag_id"], DISMISS)
        assert response.status_code == 503 and "not registered" in response.json()["detail"]
        assert response.json()["rule"] == "dashboard-key-registered", response.text
        assert world.count() == before
    finally:
        world_iter.close()


# --- officer positions, unit overview ---------------------------------------------------------

def peer_fine(case_id: str, officer_id: str, amount_fen: int, *, unit: str = OTHER_UNIT,
              day: str = "2024-08-20") -> list[f.Step]:
    """A summary STALL_SH fine of a vendor, ``officer_id`` acting alone, in ``unit``."""
    s, crew = f"case:{case_id}", [{"officer_id": officer_id, "cert_no": "31010699001"}]
    party = {"party_ref": f.VENDOR, "party_type": "individual"}
    return [f.step(s, "CaseFiled", f.at(day, "10:00:00"), procedure="summary", unit_id=unit,
                   officers=crew, parties=[party], violation_code="STALL_SH",
                   filing_no=f"XH-S-{case_id[-6:]}", approved_by=f.DROP,
                   violation_occurred_at=f.at(day, "09:50:00")),
            f.step(s, "PenaltyDecided", f.at(day, "10:05:00"), decision_no=f"XH-{case_id[-6:]}",
                   procedure="summary", party=party, violation_code="STALL_SH",
                   legal_basis="SH_SRHW 第25条", penalty_types=["fine"], amount_fen=amount_fen,
                   decided_by=[officer_id], officers=crew, benchmark_tier="minor",
                   payment_method="designated_bank")]


XH_OFFICERS = [f"SH-XH-05{i:02d}" for i in range(5)]      # five officers of another unit


def post_peers(world: World, officers: list[str] = XH_OFFICERS) -> None:
    steps = []
    for i, oid in enumerate(officers):
        for k in range(2):         # 2024-Q3 (the same quarter) and 2024-Q2 (the window's first)
            steps += peer_fine(f"SH-XH-2024-S-0{i}{k}{k}{k}{k}", oid, 10_000 + 5_000 * i,
                               day="2024-08-20" if k == 0 else "2024-05-20")
    post_steps(world, steps)
    world.project()


def test_positions_place_the_lead_officers_fine_in_the_statutory_range_per_rf17_window(
        dash: World) -> None:
    lo, hi = 5_000, 50_000            # STALL_SH in the national fine schedule
    lead = f.OFFICER_A              # first acting officer of the decision (主办人)
    body = get(dash, f"/v1/officers/{lead}/positions")
    # the decision of 2024-09-30 would count in 2024-Q4's window too, but the ledger has no
    # decision in 2024-Q4, so RF17 has no such cohort
    (window,) = body["windows"]
    assert window["window"] == ["2024-Q2", "2024-Q3"]
    assert window["cohort"] == "discretion|2024-Q3"
    (row,) = window["rows"]
    assert (row["violation_code"], row["party_type"], row["range_fen"]) == (
        "STALL_SH", "individual", [lo, hi])
    assert row["own"] == [{"case_id": CASE, "amount_fen": 20_000, "decided_on": "2024-09-30",
                           "position_bp": (20_000 - lo) * 10_000 // (hi - lo),
                           "residual_bp": None}]
    # nobody else decided STALL_SH × individual: not compared, no residual
    assert (row["compared"], row["peer_officers"], row["peer_cases"]) == (False, 0, 0)
    assert (window["n_compared"], window["mean_residual"], window["flags"]) == (0, None, [])
    assert get(dash, f"/v1/officers/{f.OFFICER_B}/positions")["windows"] == []   # not lead


def test_positions_compare_with_other_units_peers_anonymously_for_a_scoped_inspector(
        dash: World) -> None:
    post_peers(dash)
    mine = auth(dash, "inspector", principal="jw-hp", units=(f.UNIT,))
    response = dash.http.get(f"/v1/officers/{f.OFFICER_A}/positions", headers=mine)
    assert response.status_code == 200, response.text
    (window,) = [w for w in response.json()["windows"] if w["quarter"] == "2024-Q3"]
    (row,) = window["rows"]
    # every unit's officers are peers: 5 officers of SH-XH with 2 cases each in the window
    assert (row["compared"], row["peer_officers"], row["peer_cases"]) == (True, 5, 10)
    peer = sorted([(5_000 + 5_000 * i) * 10_000 // 45_000 for i in range(5)] * 2)
    assert row["peer_positions_bp"] == peer
    assert row["peer_median_bp"] == (peer[4] + peer[5]) // 2
    own = (20_000 - 5_000) * 10_000 // 45_000
    assert row["own"][0]["residual_bp"] == own - row["peer_median_bp"]
    assert window["n_compared"] == 1
    assert window["mean_residual"] == round((own - row["peer_median_bp"]) / 10_000, 4)
    # nothing names the other unit's officers or cases
    text = response.text
    assert "SH-XH-05" not in text and "SH-XH-2024" not in text and OTHER_UNIT not in text
    # the other unit's inspector still gets 404 for this officer
    other = auth(dash, "inspector", principal="jw-xh", units=(OTHER_UNIT,))
    assert dash.http.get(f"/v1/officers/{f.OFFICER_A}/positions",
                         headers=other).status_code == 404


def test_a_row_with_fewer_than_five_other_officers_is_not_compared(dash: World) -> None:
    post_peers(dash, XH_OFFICERS[:4])
    body = get(dash, f"/v1/officers/{f.OFFICER_A}/positions")
    (window,) = [w for w in body["windows"] if w["quarter"] == "2024-Q3"]
    (row,) = window["rows"]
    assert (row["compared"], row["peer_officers"], row["peer_cases"]) == (False, 4, 8)
    assert row["peer_median_bp"] is not None            # drawn, but not a reference
    assert row["own"][0]["residual_bp"] is None
    assert (window["n_compared"], window["min_peers"]) == (0, 5)


def test_unit_overview_counts_fines_per_day_flags_by_rule_and_pledge_coverage(
        dash: World) -> None:
    body = get(dash, f"/v1/units/{f.UNIT}/overview", on="2024-10-01")
    assert body["fines_per_day"] == [{"day": "2024-09-30", "count": 1, "amount_fen": 20_000,
                                      "period_end": "quarter"}]
    rules = {r["rule_id"]: r for r in body["flags_by_rule"]}
    assert rules["RF04.a"]["raised"] == 1 and rules["RF04.a"]["open"] == 1
    assert rules["RF04.a"]["name"]["zh"] == "违规当场收缴罚款"
    coverage = body["pledge_coverage"]
    assert coverage["on"] == "2024-10-01" and coverage["total"] >= 2
    assert coverage["covered"] == sum(o["status"] == "complete" for o in coverage["officers"])
    assert dash.http.get("/v1/units/SH-NOWHERE/overview",
                         headers=auth(dash, "inspector")).status_code == 404
    assert dash.http.get(f"/v1/units/{f.UNIT}/overview", params={"on": "soon"},
                         headers=auth(dash, "inspector")).json()["field"] == "query.on"


def test_a_decision_whose_form_was_voided_before_service_is_no_fine_of_its_unit_or_officer(
        dash: World) -> None:
    """The form of the case's decision voided (a late upload dated between the decision and
    its service): the unit's fines per day and the lead officer's positions chart still
    counted its 200 yuan, while the case page showed no decision in force."""
    post_steps(dash, [f.step(f"case:{CASE}", "DecisionFormVoided",
                             f.at("2024-09-30", "10:05:30"), form_no="HP-S-2024-004512",
                             reason="wrong_amount")])
    dash.project()
    assert get(dash, f"/v1/cases/{CASE}")["decision"]["status"] == "voided"
    assert get(dash, f"/v1/units/{f.UNIT}/overview", on="2024-10-01")["fines_per_day"] == []
    assert get(dash, f"/v1/officers/{f.OFFICER_A}/positions")["windows"] == []
    load = get(dash, f"/v1/officers/{f.OFFICER_A}")["caseload"]
    assert (load["decisions"], load["decided_fen"], load["voided_decisions"]) == (0, 0, 1)


def test_each_partys_decision_in_force_is_a_fine_of_its_unit_and_lead_officer(
        dash: World) -> None:
    """A case with two parties (共同违法): the company fined on 8 August, the vendor the day
    after. The unit's fines per day and the lead officer's positions read only the case's
    ``decision`` (the vendor's, recorded last): the company's 3 000 yuan, in force in
    ``co_party_decisions``, was no fine (RF24 and RF17 read each party's)."""
    post_steps(dash, two_parties())
    dash.project()
    [company] = get(dash, f"/v1/cases/{GENERAL}")["co_party_decisions"]
    fines = get(dash, f"/v1/units/{f.UNIT}/overview", on="2024-10-01")["fines_per_day"]
    assert [(r["day"], r["count"], r["amount_fen"]) for r in fines] == [
        ("2024-08-08", 1, 300_000), ("2024-08-09", 1, 300_000), ("2024-09-30", 1, 20_000)]
    [window] = [w for w in get(dash, f"/v1/officers/{f.OFFICER_A}/positions")["windows"]
                if w["quarter"] == "2024-Q3"]
    assert sorted((p["case_id"], p["decided_on"], p["amount_fen"])
                  for r in window["rows"] for p in r["own"]) == [
        (GENERAL, "2024-08-08", 300_000), (GENERAL, "2024-08-09", 300_000),
        (CASE, "2024-09-30", 20_000)]
    assert company["decision_no"] == COMPANY_NO


def test_period_ends_are_the_last_five_days_of_a_month_or_quarter_by_default() -> None:
    p = national()
    assert _period_end("2024-09-26", p) == "quarter" and _period_end("2024-09-25", p) is None
    assert _period_end("2024-10-27", p) == "month" and _period_end("2024-10-26", p) is None
    assert _period_end("2024-02-25", p) == "month" and _period_end("2024-02-24", p) is None


def period_end_days_published(days: int, effective_from: str) -> f.Step:
    return f.step("config:legal-parameters", "LegalParametersPublished", f.at("2024-08-01"),
                  effective_from=effective_from, parameters=[
                      {"name": "period_end_days", "value": days, "unit": "calendar_days",
                       "basis": "local rule"}])


def test_period_end_marks_follow_the_published_period_end_days_as_rf24_does(
        dash: World) -> None:
    """A city publishing period_end_days = 2 has RF24 compare the last two days of a month; the
    chart marked the last five all the same. As RF24 does, a month is marked under the
    parameters in force on its latest fine (October's, 5 again from the 29th)."""
    steps = [period_end_days_published(2, "2024-08-01"),
             period_end_days_published(5, "2024-10-29")]
    for i, day in enumerate(("2024-09-27", "2024-10-27", "2024-10-30")):
        steps += peer_fine(f"SH-HP-2024-S-00078{i}", f.OFFICER_A, 10_000, unit=f.UNIT, day=day)
    post_steps(dash, steps)
    dash.project()
    body = get(dash, f"/v1/units/{f.UNIT}/overview", on="2024-11-01")
    assert {r["day"]: r["period_end"] for r in body["fines_per_day"]} == {
        "2024-09-27": None, "2024-09-30": "quarter",
        "2024-10-27": "month", "2024-10-30": "month"}


def test_pledge_chain_walks_countersigners_to_the_top() -> None:
    def pledge(pid: str, by: str | None, top: bool) -> dict[str, Any]:
        return {"pledge_id": pid, "period_from": "2024-01-01", "period_until": "2024-12-31",
                "countersigned_by": by, "top_of_chain": top, "status": "countersigned"}
    people = {"A": {"pledges": {"p1": pledge("p1", "B", False)}},
              "B": {"pledges": {"p2": pledge("p2", "C", True)}},
              "D": {"pledges": {"p3": pledge("p3", "E", False)}},
              "E": {"pledges": {}},
              "F": {"pledges": {"p4": pledge("p4", "G", False)},
                    "posts": [{"from": "2024-01-01T00:00:00+08:00", "until": None,
                               "superior_officer_id": "H"}]}}
    status, links = pledge_chain("A", "2024-06-01", people.get)
    assert status == "complete" and [x["officer_id"] for x in links] == ["A", "B"]
    assert pledge_chain("D", "2024-06-01", people.get)[0] == "broken"
    assert pledge_chain("E", "2024-06-01", people.get)[0] == "none"
    assert pledge_chain("A", "2025-06-01", people.get)[0] == "none"
    assert pledge_chain("F", "2024-06-01", people.get)[0] == "wrong_countersigner"
    people["S"] = {"pledges": {"p5": {**pledge("p5", None, False), "status": "signed"}}}
    status, links = pledge_chain("S", "2024-06-01", people.get)    # signed, not countersigned
    assert (status, [(x["officer_id"], x["status"]) for x in links]) == (
        "uncountersigned", [("S", "signed")])
    people["B"]["pledges"]["p2"].update(countersigned_by=None, status="signed")
    status, links = pledge_chain("A", "2024-06-01", people.get)
    assert (status, [x["officer_id"] for x in links]) == ("superior_uncountersigned", ["A", "B"])


def test_pledge_chain_takes_the_post_of_the_legal_day_not_of_the_utc_date() -> None:
    """A post handed over at midnight Beijing time, written in UTC (16:00Z the day before):
    on that day before, the old post (and its superior) still stands."""
    pledge = {"pledge_id": "p1", "period_from": "2024-01-01", "period_until": "2024-12-31",
              "countersigned_by": "G", "top_of_chain": True, "status": "countersigned"}
    people = {"F": {"pledges": {"p1": pledge}, "posts": [
        {"from": "2024-01-01T00:00:00+08:00", "until": "2024-06-30T16:00:00Z",
         "superior_officer_id": "G"},
        {"from": "2024-06-30T16:00:00Z", "until": None, "superior_officer_id": "H"}]}}
    assert pledge_chain("F", "2024-06-30", people.get)[0] == "complete"
    assert pledge_chain("F", "2024-07-01", people.get)[0] == "wrong_countersigner"


@pytest.mark.parametrize("path", ["/ui/", "/ui/app.js", "/public/", "/public/app.js"])
def test_served_pages_forbid_inline_script_and_mime_sniffing(dash: World, path: str) -> None:
    response = dash.http.get(path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = {d.split()[0]: d.split()[1:]
              for d in response.headers["content-security-policy"].split(";") if d.strip()}
    assert policy["script-src"] == ["'self'"]          # no inline script, no eval, no CDN
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_unit_overview_leaves_a_withdrawn_fine_out_as_rf24_does(dash: World) -> None:
    """A decision withdrawn (PenaltyWithdrawn) is no fine any more: RF24 leaves it out of the
    days it compares, and so does the chart of fines per day (it counted it, at full amount)."""
    gone = "SH-HP-2024-S-000778"
    steps = peer_fine(gone, f.OFFICER_A, 30_000, unit=f.UNIT, day="2024-09-30")
    steps.append(f.step(f"case:{gone}", "PenaltyWithdrawn", f.at("2024-10-08"),
                        decision_no=f"XH-{gone[-6:]}"))
    post_steps(dash, steps)
    dash.project()
    assert get(dash, f"/v1/cases/{gone}")["withdrawal"] is not None
    body = get(dash, f"/v1/units/{f.UNIT}/overview", on="2024-10-08")
    assert body["fines_per_day"] == [{"day": "2024-09-30", "count": 1, "amount_fen": 20_000,
                                      "period_end": "quarter"}]


def test_unit_overview_counts_a_fine_for_the_unit_that_decided_it_as_rf24_does(
        dash: World) -> None:
    """A case decided by one unit and then filed again by another (移送管辖) counted its fine
    in the bars of the unit now holding it, while RF24 counts it for the unit that held the
    case when it was decided: the bars of a unit's period-end spike were another unit's."""
    moved = "SH-HP-2024-S-000779"
    steps = peer_fine(moved, f.OFFICER_A, 40_000, unit=f.UNIT, day="2024-09-29")
    steps.append(dataclasses.replace(steps[0], occurred_at=f.at("2024-10-09"),
                                     body={**steps[0].body, "unit_id": OTHER_UNIT}))
    post_steps(dash, steps)
    dash.project()
    assert get(dash, f"/v1/cases/{moved}")["unit_id"] == OTHER_UNIT
    mine = get(dash, f"/v1/units/{f.UNIT}/overview", on="2024-10-10")["fines_per_day"]
    other = get(dash, f"/v1/units/{OTHER_UNIT}/overview", on="2024-10-10")["fines_per_day"]
    assert {"day": "2024-09-29", "count": 1, "amount_fen": 40_000,
            "period_end": "quarter"} in mine
    assert all(d["day"] != "2024-09-29" for d in other)


def test_an_inspector_whose_principal_is_no_identifier_is_told_so_and_may_not_dispose(
        dash: World) -> None:
    """inspector_id must be an identifier; a token made for principal "张 三" got a 422 about a
    field it never sent, and the session said it may dispose."""
    zhang = auth(dash, "inspector", principal="张 三")
    assert get(dash, "/v1/session", zhang)["may_dispose"] is False
    flag, before = rf04(dash), dash.count()
    response = dispose(dash, flag["flag_id"], DISMISS, zhang)
    assert response.status_code == 403, response.text
    assert "--principal" in response.json()["detail"]
    assert dash.count() == before


@pytest.mark.parametrize("on", ["20241001", "2024-W40-2", "2024-275",
                                "\u0662\u0660\u0662\u0664-10-01"])
def test_on_must_be_written_yyyy_mm_dd(dash: World, on: str) -> None:
    """date.fromisoformat also reads 20241001, 2024-W40-2 (and other ISO forms): they were
    taken, while the error and the docs say YYYY-MM-DD."""
    for path in (f"/v1/units/{f.UNIT}/overview", f"/v1/officers/{f.OFFICER_A}/pledge-chain"):
        response = dash.http.get(path, params={"on": on}, headers=auth(dash, "inspector"))
        assert response.status_code == 422, (path, on)
        assert response.json()["field"] == "query.on"


def test_every_listed_unit_has_an_overview(dash: World) -> None:
    """A unit whose only case has no fine in force (withdrawn) and with no officer records was
    listed by /v1/units, and its overview was 404."""
    gone = "SH-XH-2024-S-000779"
    steps = peer_fine(gone, XH_OFFICERS[0], 30_000)
    steps.append(f.step(f"case:{gone}", "PenaltyWithdrawn", f.at("2024-08-28"),
                        decision_no=f"XH-{gone[-6:]}"))
    post_steps(dash, steps)
    dash.project()
    listed = {u["unit_id"]: u for u in get(dash, "/v1/units")["units"]}
    assert listed[OTHER_UNIT] == {"unit_id": OTHER_UNIT, "cases": 1, "officers": 0}
    body = get(dash, f"/v1/units/{OTHER_UNIT}/overview", on="2024-09-01")
    assert body["fines_per_day"] == [] and body["pledge_coverage"]["total"] == 0


def test_a_scoped_officer_bundle_of_another_unit_reads_as_an_unknown_officer(
        dash: World) -> None:
    """An officer of another unit answered 404 "no officer:<id>" and an unknown one "no
    officer <id>": the detail told a scoped inspector which officers exist elsewhere."""
    other = auth(dash, "inspector", principal="jw-xh", units=(OTHER_UNIT,))
    problems = {}
    for officer in (f.OFFICER_A, "SH-HP-9999"):
        response = dash.http.get("/v1/bundles", params={"officer": officer}, headers=other)
        assert response.status_code == 404, response.text
        problems[officer] = response.text.replace(officer, "<id>")
    assert problems[f.OFFICER_A] == problems["SH-HP-9999"]


def test_vocabulary_names_every_event_type_and_labelled_code_in_chinese(dash: World) -> None:
    labels = get(dash, "/v1/vocabulary")
    assert labels["types"].keys() == vocabulary.EVENT_TYPES.keys()
    assert labels["types"]["PenaltyDecided"]["zh"] == "作出行政处罚决定"
    assert labels["types"]["FlagDismissed"]["zh"] == "驳回红旗"
    assert all(name["zh"] for name in labels["types"].values())
    assert labels["codes"]["EvidenceRecorded.kind"]["video"] == "视频"
    assert labels["codes"]["EvidenceRecorded.kind"].keys() == set(
        vocabulary.lookup("EvidenceRecorded").body.fields["kind"].values)
    assert labels["codes"]["ComplaintReceived.category"] == {
        "violent": "野蛮执法", "extortion": "吃拿卡要", "arbitrary_fine": "乱罚款", "other": "其他"}
    assert labels["codes"]["DecisionServed.method"]["left_at_address"] == "留置送达"
    assert labels["codes"]["PenaltyDecided.penalty_types"]["fine"] == "罚款"
    assert labels["codes"] == vocabulary.labels()["codes"]     # every field (test_names_codes)
    assert get(dash, "/v1/vocabulary", auth(dash, "auditor")) == labels
    assert dash.http.get("/v1/vocabulary", headers=auth(dash, "poster")).status_code == 403


def test_vocabulary_names_every_flag_number_in_both_languages(dash: World) -> None:
    """The flag card and the queue showed a number's raw key (window_working_days: 7): the
    vocabulary now names each number a flag gives, in Chinese and English, under ``numbers``."""
    labels = get(dash, "/v1/vocabulary")
    assert labels["numbers"]["amount_fen"] == {"zh": "罚款金额", "en": "fine amount"}
    assert labels["numbers"]["days_late"] == {"zh": "逾期天数", "en": "days late"}
    assert labels["numbers"].keys() == NUMBER_NAMES.keys()
    assert get(dash, "/v1/vocabulary", auth(dash, "auditor"))["numbers"] == labels["numbers"]


def test_vocabulary_names_every_event_type_and_code_in_english_too(dash: World) -> None:
    """The English page showed wire codes (PropertyInventorySigned, onsite_cash_with_receipt):
    the vocabulary had Chinese names only. Each type has both now, and ``codes_en`` gives the
    codes' English names beside ``codes``, whose shape old clients read is unchanged."""
    labels = get(dash, "/v1/vocabulary")
    assert labels["types"]["PenaltyDecided"] == {"zh": "作出行政处罚决定",
                                                 "en": "Administrative penalty decided"}
    assert labels["types"]["PropertyInventorySigned"]["en"] == "Property inventory signed"
    assert all(name["en"] for name in labels["types"].values())
    assert labels["codes_en"]["PaymentRecorded.channel"]["onsite_cash_with_receipt"] == \
        "on-site cash with an official receipt"
    assert labels["codes_en"]["ClueRegistered.source"]["hotline_12345"] == "12345 hotline"
    assert {k: v.keys() for k, v in labels["codes_en"].items()} == {
        k: v.keys() for k, v in labels["codes"].items()}
    assert labels["codes"]["PaymentRecorded.channel"]["onsite_cash_with_receipt"] == \
        "当场收缴（出具专用票据）"                                  # the old shape, kept
    assert {k: v for k, v in labels.items() if k not in ("numbers", "statutes")} == \
        vocabulary.labels()
    assert labels["statutes"]["SH_SRHW"]["zh"] == "上海市市容环境卫生管理条例"


def test_the_default_day_is_the_ledgers_not_the_serving_processs(
        dash: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``on``, the pledge chain is of today: a service whose host
    clock ran three days ahead took its own today; it takes the ledger's (the database
    server's clock, UTC+8)."""
    from .clocks import database_clock, skew_process_clock

    today = database_clock(dash.owner_url).astimezone(CST).date().isoformat()
    skew_process_clock(monkeypatch, timedelta(days=3))
    chain = get(dash, f"/v1/officers/{f.OFFICER_A}/pledge-chain")
    assert chain["on"] == today


def test_a_territory_and_a_power_list_published_through_the_api_raise_rf21_on_the_service(
        dash: World) -> None:
    """The service takes no code overrides: a city's territories and power lists reach RF21.b/c
    only as published configuration, posted like any event (signed by a `config` key)."""
    territory = f.step(f"config:territory-{f.UNIT}", "UnitTerritoryPublished", f.at("2024-01-02"),
                       unit_id=f.UNIT, grid_ids=["HP-G-0113", "HP-G-0114"],
                       effective_from="2024-01-02", source="辖区划分通知 (test)")
    powers = f.step("config:powers", "PowerListPublished", f.at("2024-01-02"), unit_id=None,
                    violation_codes=["PILEUP_SH"], effective_from="2024-01-02",
                    source="权力清单 (test)")
    outside = {"lat_e6": 31230000, "lon_e6": 121470000, "grid_id": "JA-G-0001"}
    steps = change(f.summary_case("SH-HP-2024-S-000990"), "PenaltyDecided", location=outside)
    post_steps(dash, [territory, powers, *steps])
    dash.project()
    (b,) = get(dash, "/v1/flags", rule_id="RF21.b")["flags"]
    (c,) = get(dash, "/v1/flags", rule_id="RF21.c", case="SH-HP-2024-S-000990")["flags"]
    assert b["numbers"]["grid_id"] == "JA-G-0001" and b["params_version"] != national().version
    assert c["numbers"]["violation_code"] == "STALL_SH"
