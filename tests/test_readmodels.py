"""Case, officer and complaint read models, fed by signed lifecycles posted over HTTP."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import asgi, create_app
from api.cli import main as ledger_main
from ledger.client import sign_envelope
from ledger.crypto import SigningKey
from ledger.domain import vocabulary
from ledger.domain.calendar import CN_2024
from ledger.errors import Unavailable
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from projections import officer_model, readmodels
from projections.flagsview import FlagsView
from projections.oversight import levels
from projections.redflags import national
from projections.redflags.params import ParamsTimeline
from projections.redflags.people import QUALIFIED_ACTS
from projections.runner import LOCK_KEY

from . import domain_factory as f
from .conftest import ROOT_ID, World


@contextmanager
def open_city(owner: str, app_url: str, root_key: SigningKey) -> Iterator[World]:
    """A ledger on ``app_url`` with the real enforcement vocabulary and one key per signing
    role, served over HTTP."""
    store = LedgerStore(datastore_from_url(app_url), url=app_url)
    ledger = Ledger(store, root_keys={ROOT_ID: root_key.public_key}, types=vocabulary)
    with TestClient(asgi(create_app(ledger))) as http:
        world = World(ledger=ledger, http=http, root=root_key, owner_url=owner, app_url=app_url)
        world.post([world.key_registered(f"{role}-01", [role]) for role in sorted(
            {f.signer_role(t) for t in vocabulary.EVENT_TYPES} - {"root"})])
        yield world
    ledger.close()
    store.close()


@pytest.fixture
def city(database: tuple[str, str], root_key: SigningKey) -> Iterator[World]:
    """A ledger with the real enforcement vocabulary and one key per signing role."""
    with open_city(*database, root_key) as world:
        yield world


def post_steps(world: World, steps: list[f.Step]) -> list[dict]:
    envelopes = [sign_envelope(world.keys[f"{f.signer_role(s.type)}-01"],
                               f"{f.signer_role(s.type)}-01", stream=s.stream, type=s.type,
                               body=s.body, occurred_at=s.occurred_at) for s in steps]
    world.post(envelopes)
    return envelopes


def case(world: World, case_id: str) -> dict:
    world.project()
    response = world.http.get(f"/v1/cases/{case_id}", headers=world.headers("inspector"))
    assert response.status_code == 200, response.text
    return response.json()


def officer(world: World, officer_id: str) -> dict:
    world.project()
    response = world.http.get(f"/v1/officers/{officer_id}", headers=world.headers("inspector"))
    assert response.status_code == 200, response.text
    return response.json()


def test_summary_case_paid_on_the_spot_remitted_deposited_filed_closed(city: World) -> None:
    steps = f.staff() + f.summary_case("SH-HP-2024-S-004512")
    people, case_steps = steps[:-12], steps[-12:]
    post_steps(city, people)
    expected_states = ["ON_SCENE", "ON_SCENE", "ON_SCENE", "ON_SCENE", "DECIDED_ON_SPOT",
                       "DELIVERED", "COLLECTED_ON_SPOT", "REMITTED", "DEPOSITED",
                       "FILED_WITH_AGENCY", "FILED_WITH_AGENCY", "CLOSED"]
    for step_, state in zip(case_steps, expected_states, strict=True):
        (env,) = post_steps(city, [step_])
        view = case(city, "SH-HP-2024-S-004512")
        assert view["state"] == state, (step_.type, view["state"])
        assert view["events"][-1] == env["event_id"]
    assert view["procedure"] == "summary"
    assert view["money"]["cash"] == {**view["money"]["cash"], "collected_fen": 10_000,
                                     "remitted_fen": 10_000, "deposited_fen": 10_000}
    assert view["money"]["reconciliation"]["status"] == "reconciled"
    assert view["out_of_order"] == []
    assert view["parties"][0]["party_ref"] == f.VENDOR
    # Remittance was due 2 working days after 2024-09-30: Oct 1-7 is a holiday -> Oct 9.
    assert view["deadlines"]["cash_to_agency"]["due"] == "2024-10-09"


def test_general_case_with_hearing_review_extension_and_bank_payment(city: World) -> None:
    post_steps(city, f.staff())
    steps = f.general_case("SH-HP-2024-000123")
    seen = []
    for step_ in steps:
        post_steps(city, [step_])
        seen.append(case(city, "SH-HP-2024-000123")["state"])
    assert seen[0] == "CLUE" and seen[1] == "FILED"
    assert "HEARING" in seen and "DECIDED" in seen and "EXECUTING" in seen
    assert seen[-2:] == ["CLOSED", "ARCHIVED"]
    view = case(city, "SH-HP-2024-000123")
    assert view["procedure"] == "general"
    assert view["amounts"]["decided_fen"] == 300_000
    assert view["money"]["paid_fen"] == 300_000
    assert view["extensions"][0]["days"] == 30
    assert view["hearing"] is not None and view["legal_review"] is not None
    assert view["out_of_order"] == []
    assert len(view["events"]) == len(steps)


def test_withdrawn_case_and_complaint_cycle(city: World) -> None:
    post_steps(city, f.staff() + f.withdrawn_case("SH-HP-2025-000031"))
    view = case(city, "SH-HP-2025-000031")
    assert view["withdrawal"] is not None
    assert view["state"] == "CLOSED"
    post_steps(city, f.general_case("SH-HP-2024-000123") + f.complaint_cycle("C-2025-0042"))
    city.project()
    complaint = city.http.get("/v1/complaints/C-2025-0042",
                              headers=city.headers("inspector")).json()
    assert complaint["state"] == "CLOSED" and complaint["extension_days"] == 30
    assert complaint["deadlines"]["acknowledge"]["due"]
    linked = case(city, "SH-HP-2024-000123")["complaints"]
    assert linked and linked[0]["complaint_id"] == "C-2025-0042"


def test_out_of_order_steps_are_recorded_not_refused(city: World) -> None:
    post_steps(city, f.staff())
    steps = f.summary_case("SH-HP-2024-S-000001")
    decided = next(s for s in steps if s.type == "PenaltyDecided")
    closed = next(s for s in steps if s.type == "CaseClosed")
    post_steps(city, [steps[0], closed, decided])        # closed before the decision
    view = case(city, "SH-HP-2024-S-000001")
    assert [o["type"] for o in view["out_of_order"]] == ["CaseClosed"] or \
        "CaseClosed" in [o["type"] for o in view["out_of_order"]]


def test_officer_read_model_has_credentials_posts_pledges_and_caseload(city: World) -> None:
    post_steps(city, f.staff() + f.pledge_chain_steps(f.OFFICER_A, f.HEAD, pledge_id="P-A-2024",
                                                      top=False)
               + f.summary_case("SH-HP-2024-S-004512"))
    view = officer(city, f.OFFICER_A)
    assert f.CERT_A in view["credentials"]
    assert view["posts"], "posts over time"
    assert view["pledge_status"] == "countersigned"
    assert view["caseload"]["decisions"] == 1 and view["caseload"]["cases"] == 1


def city_calendar(published: str, *, day_off: tuple[str, ...] = (),
                  working: tuple[str, ...] = ()) -> f.Step:
    """The city's 2024 working calendar: the State Council's, with ``day_off`` added to its
    holidays and ``working`` taken out of them."""
    holidays = sorted(set(CN_2024.published_body()["holidays"]) - set(working) | set(day_off))
    return f.step("config:calendar", "WorkingCalendarPublished", f.at(published),
                  **{**CN_2024.published_body(), "holidays": holidays,
                     "source": "黄浦区 working calendar (test)"})


def payment_period(days: int, published: str) -> f.Step:
    return f.step("config:legal-parameters", "LegalParametersPublished", f.at(published),
                  effective_from=published, parameters=[
                      {"name": "payment_deadline_days", "value": days, "unit": "calendar_days",
                       "basis": "local rule (test)"}])


def test_due_dates_follow_the_calendar_and_parameters_the_city_published(city: World) -> None:
    """The case view counts its deadlines with the city's published calendar (8 October a day
    off) and payment period (30 days), as the red flags do: not with the national defaults."""
    post_steps(city, [city_calendar("2024-01-02", day_off=("2024-10-08",)),
                      payment_period(30, "2024-01-02")]
               + f.staff() + f.summary_case("SH-HP-2024-S-004512") + f.general_case())
    cash = case(city, "SH-HP-2024-S-004512")["deadlines"]["cash_to_agency"]
    assert cash["due"] == "2024-10-10"            # nationally 2024-10-09
    payment = case(city, "SH-HP-2024-000123")["deadlines"]["payment"]
    assert payment["due"] == "2024-09-11"         # served 2024-08-12; nationally 2024-08-27
    assert cash["params_version"] == payment["params_version"] != national().version


def test_a_calendar_published_later_recounts_earlier_deadlines_as_the_flags_do(
        city: World) -> None:
    """A calendar is a fact about its year: published after the case, it still counts the case's
    deadlines (Monday 7 October a working day here: the cash was due on the 8th, handed in on
    the 9th) — the view then agrees with the red flag, names the version both used, and a
    rebuild gives the same states."""
    steps = [dataclasses.replace(s, occurred_at=f.at("2024-10-09", "09:00:00"))
             if s.type == "OnsiteCashRemitted" else s
             for s in f.summary_case("SH-HP-2024-S-004512")]
    post_steps(city, f.staff() + steps)
    before = case(city, "SH-HP-2024-S-004512")["deadlines"]["cash_to_agency"]
    assert (before["due"], before["late"]) == ("2024-10-09", False)
    assert before["params_version"] == national().version
    post_steps(city, [city_calendar("2024-10-20", working=("2024-10-07",))])
    after = case(city, "SH-HP-2024-S-004512")["deadlines"]["cash_to_agency"]
    assert (after["due"], after["late"]) == ("2024-10-08", True)
    (flag,) = city.http.get("/v1/flags", params={"rule_id": "RF05.b"},
                            headers=city.headers("inspector")).json()["flags"]
    assert flag["numbers"]["due"] == after["due"]
    assert flag["params_version"] == after["params_version"] != national().version
    views = city.http.app.app.state.views
    incremental = {t: views.snapshot(t) for t in ("cases", "officers", "complaints")}
    views.rebuild()
    assert {t: views.snapshot(t) for t in ("cases", "officers", "complaints")} == incremental


def test_the_decision_deadline_is_counted_with_the_parameters_in_force_at_filing(
        city: World) -> None:
    """As RF12.a counts it: an extension approved after a shorter decision period was published
    (60 days from 1 June) recounted the case view's deadline under it, so the view called late
    (filed 23 April, 60 + 30 days: 22 July) a decision of 8 August that RF12 judges on time
    (90 + 30 days: 21 August), under another version than RF12's."""
    shorter = f.step("config:legal-parameters", "LegalParametersPublished", f.at("2024-06-01"),
                     effective_from="2024-06-01", parameters=[
                         {"name": "decision_deadline_days_from_filing", "value": 60,
                          "unit": "calendar_days", "basis": "local rule (test)"}])
    general = f.general_case()
    post_steps(city, f.staff() + general[:1] + [shorter] + general[1:])
    decision = case(city, "SH-HP-2024-000123")["deadlines"]["decision"]
    assert (decision["due"], decision["late"]) == ("2024-08-21", False)
    assert decision["params_version"] == national().version
    assert city.http.get("/v1/flags", params={"rule_id": "RF12.a"},
                         headers=city.headers("inspector")).json()["flags"] == []


def test_the_payment_deadline_is_the_period_the_decision_states_counted_from_service(
        city: World) -> None:
    """As RF06.e counts it: a 30-day payment period published between the decision (8 August)
    and its service (12 August) counted the case view's payment deadline (12 August + 30 days:
    11 September, under the new version) where RF06.e counts the 15 days the decision states
    (27 August, under the decision's version)."""
    general = f.general_case()
    served = next(i for i, s in enumerate(general) if s.type == "DecisionServed")
    unpaid = general[:served + 1]                 # never paid: RF06.e is raised
    post_steps(city, f.staff() + unpaid[:-1] + [payment_period(30, "2024-08-10")] + unpaid[-1:])
    payment = case(city, "SH-HP-2024-000123")["deadlines"]["payment"]
    (flag,) = city.http.get("/v1/flags", params={"rule_id": "RF06.e"},
                            headers=city.headers("inspector")).json()["flags"]
    assert payment["due"] == flag["numbers"]["payment_due"] == "2024-08-27"
    assert payment["params_version"] == flag["params_version"] == national().version


def test_the_payment_deadline_moves_only_for_a_plan_rf06_counts_and_agrees_with_rf06e(
        city: World) -> None:
    """APL 第66条第2款: a deferral to 3 March 2025 approved by the head on the party's
    application is the payment deadline of the view and of RF06.e (which judged the statutory
    27 August and took the plan for its follow-up); one the party did not apply for moved the
    view's deadline and not RF06's, and now moves neither."""
    general = f.general_case()
    served = next(i for i, s in enumerate(general) if s.type == "DecisionServed")
    unpaid = general[:served + 1]                 # never paid

    def plan(case_id: str, **body: object) -> f.Step:
        return f.step(f"case:{case_id}", "InstalmentApproved", f.at("2024-08-20"),
                      kind="deferral", schedule=[{"due_date": "2025-03-03",
                                                  "amount_fen": 300_000}], **body)
    other = "SH-HP-2024-000124"
    post_steps(city, f.staff() + unpaid + [plan("SH-HP-2024-000123")]
               + f.general_case(other)[:served + 1] + [plan(other, party_applied=False)])
    payment = case(city, "SH-HP-2024-000123")["deadlines"]["payment"]
    (flag,) = city.http.get("/v1/flags", params={"rule_id": "RF06.e"},
                            headers=city.headers("inspector")).json()["flags"]
    assert payment["due"] == flag["numbers"]["payment_due"] == "2025-03-03"
    view = case(city, other)
    assert view["deadlines"]["payment"]["due"] == "2024-08-27"
    assert (view["money"]["instalments"]["counted"], view["money"]["instalments"]["why"]) == (
        False, "the party did not apply (APL 第66条第2款)")


def test_a_head_post_recorded_after_the_complaint_extension_counts_it_as_rf23b_does(
        city: World) -> None:
    """XFGZ 第34条 asks whether the approver was a head of the agency on the day of approval. A
    head's PostAssigned recorded after the extension it covers: RF23.b (everything recorded)
    counted the 30 days, while the complaint view had read the approver's post as of the
    extension's log position, found none, and kept the 60-day deadline."""
    deputy = "SH-HP-0102"
    cycle = f.complaint_cycle()
    steps = [dataclasses.replace(s, body={**s.body, "approved_by": deputy})
             if s.type == "ComplaintExtended" else s for s in cycle[:3]]
    closed = dataclasses.replace(cycle[3], occurred_at=f.at("2025-05-12"))   # late either way
    post_steps(city, f.staff() + f.officer_setup(deputy, "31010210002")[:1] + steps + [closed])
    views = city.http.app.app.state.views
    city.project()
    assert views.get("complaints", "C-2025-0042")["extensions"][0]["counted"] is False
    head_post = f.officer_setup(deputy, "31010210002", role="unit_head")[1]
    post_steps(city, [dataclasses.replace(head_post, occurred_at=f.at("2025-05-20"))])
    city.project()
    view = city.http.get("/v1/complaints/C-2025-0042", headers=city.headers("inspector")).json()
    (flag,) = city.http.get("/v1/flags", params={"rule_id": "RF23.b"},
                            headers=city.headers("inspector")).json()["flags"]
    assert view["extensions"][0]["approver_role"] == "unit_head"
    assert [[e[k] for k in ("event_id", "days", "approved_by", "counted", "why")]
            for e in view["extensions"]] == flag["numbers"]["extensions"]
    assert view["extension_days"] == flag["numbers"]["extension_days"] == 30
    assert (view["deadlines"]["close"]["due"], view["deadlines"]["close"]["late"]) == (
        flag["numbers"]["due"], True) == ("2025-05-06", True)
    incremental = views.snapshot("complaints")
    views.rebuild()                                     # the post and extension in one fold
    assert views.snapshot("complaints") == incremental


def test_a_head_post_recorded_after_the_decision_extension_counts_it_as_rf12b_does(
        city: World) -> None:
    """RF12.b asks whether the approver held a head's post at the approval, whenever the post
    is recorded. The deputy's unit_head post, recorded in a later batch than the extension it
    covers, finds the case through the index of its extensions' approvers, and the page's
    decision deadline moves as RF12.a's does (no flag left); a rebuild folds the same."""
    gid = "SH-HP-2024-000123"
    steps = [dataclasses.replace(s, body={**s.body, "approved_by": f.DEPUTY,
                                           "approval_form": "deputy_head"})
             if s.type == "ExtensionApproved" else s for s in f.general_case(gid)]
    post_steps(city, f.staff() + f.officer_setup(f.DEPUTY, "31010210003")[:1] + steps)
    views = city.http.app.app.state.views
    assert case(city, gid)["extensions"][0]["counted"] is False
    assert case(city, gid)["deadlines"]["decision"]["late"] is True
    with views.store.transaction() as curs:
        assert readmodels.ReadModels._approved_by(curs, [f.DEPUTY], "cases") == {
            f.DEPUTY: [gid]}
    head_post = f.officer_setup(f.DEPUTY, "31010210003", role="unit_head")[1]
    post_steps(city, [dataclasses.replace(head_post, occurred_at=f.at("2024-09-20"))])
    view = case(city, gid)
    assert (view["extensions"][0]["approver_role"], view["extensions"][0]["counted"]) == (
        "unit_head", True)
    assert (view["deadlines"]["decision"]["due"], view["deadlines"]["decision"]["late"]) == (
        "2024-08-21", False)
    flags = city.http.get("/v1/flags", params={"rule": "RF12"},
                          headers=city.headers("inspector")).json()["flags"]
    assert [fl["rule_id"] for fl in flags if fl["rule_id"] in ("RF12.a", "RF12.b")] == []
    incremental = views.snapshot("cases")
    views.rebuild()
    assert views.snapshot("cases") == incremental


def test_a_post_assigned_finds_the_complaints_its_officer_approved_through_an_index(
        city: World) -> None:
    """Every batch that assigns a post asks which complaints the officers approved an
    extension of (RF23.b's recount). That question read every complaint's state, its
    extensions unnested — the whole table, detoasted, for each PostAssigned a live service
    takes — where an index on the extensions' approvers answers it."""
    post_steps(city, f.staff() + f.complaint_cycle()[:3])
    city.project()
    views = city.http.app.app.state.views
    approver = views.get("complaints", "C-2025-0042")["extensions"][0]["approved_by"]
    with views.store.transaction() as curs:
        assert readmodels.ReadModels._approved_by(curs, [approver, "SH-HP-0999"]) == {
            approver: ["C-2025-0042"]}
        curs.execute("SET LOCAL enable_seqscan = off")      # any scan but a full one
        sql, params = readmodels.ReadModels.approved_by_query([approver])
        curs.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(str(next(iter(r.values()))) for r in curs.fetchall())
    # every scan of the table is bounded by a condition (not a walk of the whole primary key)
    scans = [n for n in re.split(r"\n\s*->\s*", plan)
             if " on view_complaints" in n.split("\n")[0]]
    assert scans and all("Cond:" in n for n in scans), plan


def _view_and_rf02(city: World, case_id: str, officer_id: str) -> tuple[dict, list]:
    """The case view's entry for ``officer_id`` (its acts RF02 judges, as (type, status)) and
    the RF02 flags about them, as (event_type, status)."""
    entry = case(city, case_id)["officers"][officer_id]
    flags = city.http.get("/v1/flags", params={"rule_id": "RF02", "officer_id": officer_id},
                          headers=city.headers("inspector")).json()["flags"]
    return entry, sorted((fl["numbers"]["event_type"], fl["numbers"]["status"]) for fl in flags)


def _judged(entry: dict) -> list[tuple[str, str]]:
    return sorted((a["type"], a["status"]) for a in entry["invalid_acts"]
                  if a["type"] in QUALIFIED_ACTS)


def test_a_certificate_recorded_after_the_acts_it_covers_clears_them_in_the_view_as_in_rf02(
        city: World) -> None:
    """HR records an officer's certificate (valid since 2023) three weeks after the summary case
    they acted in. RF02 judges every act with every certificate recorded and clears them; the
    case view had judged each act with the officer model as of its log position, and kept
    showing a certificate never issued on every act. Before it is recorded, both call the
    officer (a post, no HR credential event) an unknown person: the view had said
    unknown_certificate, its own reading of a person with no certificate."""
    staff = [s for s in f.staff()
             if not (s.stream == f"officer:{f.OFFICER_B}" and s.type == "OfficerCredentialIssued")]
    post_steps(city, staff + f.summary_case()[:5])
    entry, flags = _view_and_rf02(city, "SH-HP-2024-S-004512", f.OFFICER_B)
    assert _judged(entry) == flags == [("CaseFiled", "unknown_person"),
                                       ("PenaltyDecided", "unknown_person"),
                                       ("RectificationOrdered", "unknown_person")]
    issued = f.officer_setup(f.OFFICER_B, f.CERT_B)[0]
    post_steps(city, [dataclasses.replace(issued, occurred_at=f.at("2024-10-21"))])
    entry, flags = _view_and_rf02(city, "SH-HP-2024-S-004512", f.OFFICER_B)
    assert flags == []
    assert entry["invalid_acts"] == []
    assert (entry["kind"], entry["credential_at_first_act"]["status"]) == ("officer", "valid")
    views = city.http.app.app.state.views
    incremental = views.snapshot("cases")
    views.rebuild()                             # the certificate and the acts in one fold
    assert views.snapshot("cases") == incremental


def test_a_suspension_recorded_after_the_acts_it_covers_shows_them_suspended_as_rf02_does(
        city: World) -> None:
    """A suspension from 29 September recorded on 21 October: RF02 (present knowledge) flags
    the officer's acts of 30 September as suspended, while the case view had judged them valid
    with the officer model as of their log position."""
    post_steps(city, f.staff() + f.summary_case()[:5])
    entry, flags = _view_and_rf02(city, "SH-HP-2024-S-004512", f.OFFICER_B)
    assert _judged(entry) == flags == []
    suspended = f.step(f"officer:{f.OFFICER_B}", "OfficerCredentialSuspended",
                       f.at("2024-10-21"), cert_no=f.CERT_B,
                       effective_at=f.at("2024-09-29", "08:00:00"), until="2024-10-31")
    post_steps(city, [suspended])
    entry, flags = _view_and_rf02(city, "SH-HP-2024-S-004512", f.OFFICER_B)
    assert _judged(entry) == flags == [("CaseFiled", "suspended"),
                                       ("PenaltyDecided", "suspended"),
                                       ("RectificationOrdered", "suspended")]
    assert entry["credential_at_first_act"]["status"] == "suspended"
    views = city.http.app.app.state.views
    incremental = views.snapshot("cases")
    views.rebuild()
    assert views.snapshot("cases") == incremental


def test_a_suspension_recorded_between_two_acts_of_one_day_is_read_for_the_later_act() -> None:
    """The fold judges a person's certificate once per legal day while none of theirs starts or
    ends at an instant (a suspension or an end does): a suspension from 10:04 recorded between
    the officer's acts of 10:03 and 10:05 on one day leaves the first valid and makes the
    second suspended, as folding it anew judges them. Pure fold, no database."""
    history, o = f.History(), f"officer:{f.OFFICER_B}"
    case_steps = f.summary_case()
    suspended = f.step(o, "OfficerCredentialSuspended", f.at("2024-09-30", "10:04:00"),
                       cert_no=f.CERT_B, effective_at=f.at("2024-09-30", "10:04:00"),
                       until="2024-10-31")
    events = history.extend(f.staff() + case_steps[:4] + [suspended] + case_steps[4:5])
    fold = readmodels.Fold(lambda table, ids: {}, ParamsTimeline(national()))
    for rec in events:
        fold.apply(rec)
    entry = fold.cases["SH-HP-2024-S-004512"]["officers"][f.OFFICER_B]
    assert [(a["type"], a["status"]) for a in entry["invalid_acts"]] == [
        ("PenaltyDecided", "suspended")]
    assert entry["credential_at_first_act"]["status"] == "valid"


def test_the_fold_remembers_a_bounded_number_of_days_per_person() -> None:
    """The per-day memory of credential judgements is bounded per person (Judgements.DAYS), so
    a projector folding years of acts keeps officers × DAYS answers, not officers × days acted;
    every answer, remembered or judged anew after the memory starts again, is credential_on's."""
    history = f.History()
    fold = readmodels.Fold(lambda table, ids: {}, ParamsTimeline(national()))
    for rec in history.extend(f.staff()):
        fold.apply(rec)
    judgements = officer_model.Judgements(fold.officer)
    state = fold.officer(f.OFFICER_B)
    start = datetime(2024, 9, 1, 2, 0, tzinfo=timezone.utc)
    for n in range(3 * officer_model.Judgements.DAYS + 5):
        t = start + timedelta(days=n)
        day = t.date().isoformat()
        for _ in range(2):
            assert judgements.at(f.OFFICER_B, t, day, f.CERT_B) == officer_model.credential_on(
                state, t, day, f.CERT_B)
        assert len(judgements._by_person[f.OFFICER_B][1]) <= officer_model.Judgements.DAYS


def test_a_payment_stays_with_the_withdrawn_decision_it_paid_and_the_new_one_starts_unpaid(
        city: World) -> None:
    """2,000 CNY paid on 1 April on a decision withdrawn on 3 April (refund required), then made
    anew for 1,500 CNY on 18 April and never paid: the payment counted toward the new decision,
    so the case view showed it paid (nothing outstanding, payment deadline met) and RF06.b
    called it overpaid, where it is unpaid (RF06.e: served 21 April, due 6 May + 90 days)."""
    case_id = "SH-HP-2025-000032"
    paid = f.step(f"case:{case_id}", "PaymentRecorded", f.at("2025-04-01"),
                  decision_no="沪黄城管罚〔2025〕第31号", amount_fen=200_000)
    steps: list[f.Step] = []
    for s in f.redecided_case(case_id):
        if s.type == "PenaltyWithdrawn":
            steps += [paid, dataclasses.replace(s, body={**s.body, "refund_required": True})]
        elif s.type not in ("PaymentRecorded", "TreasuryReconciled", "CaseClosed"):
            steps.append(s)
    post_steps(city, f.staff() + steps)
    view = case(city, case_id)
    [old] = view["previous_decisions"]
    assert (old["decision_no"], old["received_fen"]) == ("沪黄城管罚〔2025〕第31号", 200_000)
    assert (view["money"]["received_fen"], view["money"]["outstanding_fen"]) == (0, 150_000)
    assert view["deadlines"]["payment"]["met_on"] is None
    flags = city.http.get("/v1/flags", params={"case_id": case_id},
                          headers=city.headers("inspector")).json()["flags"]
    [unpaid] = [fl for fl in flags if fl["rule_id"].startswith("RF06")]
    assert unpaid["rule_id"] == "RF06.e"
    assert (unpaid["numbers"]["received_fen"], unpaid["numbers"]["payment_due"]) == (
        view["money"]["received_fen"], view["deadlines"]["payment"]["due"])


def test_certificates_are_judged_on_the_legal_day_of_the_published_time_zone_as_rf02_does(
        city: World) -> None:
    """A city may publish the legal time zone (``legal_utc_offset_minutes``, here UTC): RF02
    judges a certificate's day in it, the case view judged it at UTC+08:00 whatever was
    published, so a filing at 07:00+08:00 on 30 September (29 September in UTC, the
    certificate's last day) was an expired certificate's act in the view and not for RF02."""
    utc = f.step("config:legal-parameters", "LegalParametersPublished", f.at("2024-01-02"),
                 effective_from="2024-01-02", parameters=[
                     {"name": "legal_utc_offset_minutes", "value": 0, "unit": "minutes",
                      "basis": "local rule (test)"}])
    staff = [dataclasses.replace(s, body={**s.body, "valid_until": "2024-09-29"})
             if s.stream == f"officer:{f.OFFICER_A}" and s.type == "OfficerCredentialIssued"
             else s for s in f.staff()]
    filed, *steps = f.summary_case()
    filed = dataclasses.replace(filed, occurred_at=f.at("2024-09-30", "07:00:00"), body={
        **filed.body, "violation_occurred_at": f.at("2024-09-30", "06:50:00")})
    decided = next(s for s in steps if s.type == "PenaltyDecided")     # 10:05, 30 Sep in UTC
    post_steps(city, [utc] + staff + [filed, decided])
    invalid = case(city, "SH-HP-2024-S-004512")["officers"][f.OFFICER_A]["invalid_acts"]
    flags = city.http.get("/v1/flags", params={"rule_id": "RF02", "officer_id": f.OFFICER_A},
                          headers=city.headers("inspector")).json()["flags"]
    assert [(a["type"], a["status"]) for a in invalid] == [
        (fl["numbers"]["event_type"], fl["numbers"]["status"]) for fl in flags] == [
        ("PenaltyDecided", "expired")]


def test_a_time_zone_published_later_counts_earlier_legal_days_as_the_flags_do(
        city: World) -> None:
    """The legal time zone is a fact about the whole history, as the red flags count it: UTC
    published on 20 October moves a case handled at 07:00+08:00 on 30 September to 29
    September (a working day), so the cash was due on 8 October and handed in late on the 9th
    for RF05.b, while the view counted from 30 September under the +08:00 in force then (due
    9 October, on time)."""
    early = [dataclasses.replace(s, occurred_at=s.occurred_at.replace("T10:", "T07:"))
             for s in f.summary_case("SH-HP-2024-S-004512")[:7]]
    early[0] = dataclasses.replace(early[0], body={
        **early[0].body, "violation_occurred_at": f.at("2024-09-30", "06:50:00")})
    remitted = dataclasses.replace(next(s for s in f.summary_case("SH-HP-2024-S-004512")
                                        if s.type == "OnsiteCashRemitted"),
                                   occurred_at=f.at("2024-10-09", "09:00:00"))
    utc = f.step("config:legal-parameters", "LegalParametersPublished", f.at("2024-10-20"),
                 effective_from="2024-10-20", parameters=[
                     {"name": "legal_utc_offset_minutes", "value": 0, "unit": "minutes",
                      "basis": "local rule (test)"}])
    post_steps(city, f.staff() + early + [remitted, utc])
    cash = case(city, "SH-HP-2024-S-004512")["deadlines"]["cash_to_agency"]
    (flag,) = city.http.get("/v1/flags", params={"rule_id": "RF05.b"},
                            headers=city.headers("inspector")).json()["flags"]
    assert (cash["due"], cash["late"]) == (flag["numbers"]["due"], True) == ("2024-10-08", True)
    views = city.http.app.app.state.views
    incremental = views.snapshot("cases")
    views.rebuild()
    assert views.snapshot("cases") == incremental


def test_readers_see_the_old_states_while_a_publication_folds_the_log_again(
        city: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch carrying configuration folds the whole log again in its transaction: it emptied
    the tables first, so every reader of a case waited (here: gave up after its lock timeout)
    for as long as the fold took — minutes on a city's log — instead of reading the old states
    until the commit (docs/architecture.md)."""
    post_steps(city, f.staff() + f.summary_case("SH-HP-2024-S-004512"))
    views = city.http.app.app.state.views
    views.run_until_idle()
    before = views.snapshot("cases")
    post_steps(city, [payment_period(30, "2024-01-02")])
    folding, go_on = threading.Event(), threading.Event()
    apply = readmodels.Fold.apply

    def slow_apply(fold: readmodels.Fold, rec: Any) -> None:
        folding.set()
        go_on.wait(timeout=30)
        apply(fold, rec)
    monkeypatch.setattr(readmodels.Fold, "apply", slow_apply)
    refold = threading.Thread(target=views.process, daemon=True)
    refold.start()
    try:
        assert folding.wait(timeout=30)
        with psycopg.connect(city.owner_url, options="-c lock_timeout=1000") as reader:
            rows = reader.execute("SELECT count(*) FROM view_cases").fetchone()
        assert rows == (len(before),)
    finally:
        go_on.set()
        refold.join(timeout=60)


def test_read_models_need_an_inspector_or_auditor_token(city: World) -> None:
    post_steps(city, f.staff() + f.summary_case("SH-HP-2024-S-004512"))
    city.project()
    url = "/v1/cases/SH-HP-2024-S-004512"
    assert city.http.get(url).status_code == 401
    assert city.http.get(url, headers=city.headers("poster")).status_code == 403
    assert city.http.get(url, headers=city.headers("auditor")).status_code == 200
    assert city.http.get("/v1/cases/NOPE", headers=city.headers("auditor")).status_code == 404


def test_incremental_application_equals_a_full_rebuild(city: World,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Also with configuration published after the events it counts: a calendar for their
    year, and a payment period in force from a day before the case recorded ahead of it."""
    early = f.step("case:SH-HP-2024-000123", "PenaltyAmended", f.at("2024-08-13"),
                   amount_fen=100_000)                 # recorded before the decision it amends
    steps = f.staff() + f.summary_case("SH-HP-2024-S-004512") + [early] \
        + [city_calendar("2024-10-20", day_off=("2024-10-08",))] + f.general_case() \
        + [payment_period(30, "2024-01-02")] + f.withdrawn_case() + f.redecided_case() \
        + f.complaint_cycle()
    views = city.http.app.app.state.views
    for i in range(0, len(steps), 7):                    # small increments, projected each time
        post_steps(city, steps[i:i + 7])
        views.process(limit=3)
        views.process(limit=3)
    views.run_until_idle()
    incremental = {t: views.snapshot(t) for t in ("cases", "officers", "complaints")}
    views.reset()
    assert views.snapshot("cases") == {}
    views.run_until_idle(limit=10_000)
    rebuilt = {t: views.snapshot(t) for t in ("cases", "officers", "complaints")}
    assert rebuilt == incremental
    assert len(incremental["cases"]) == 4
    cases = incremental["cases"]
    assert cases["SH-HP-2025-000032"]["previous_decisions"]
    assert cases["SH-HP-2024-000123"]["amounts"]["current_fen"] == 100_000
    assert cases["SH-HP-2024-S-004512"]["deadlines"]["cash_to_agency"]["due"] == "2024-10-10"
    assert cases["SH-HP-2024-000123"]["deadlines"]["payment"]["due"] == "2024-09-11"
    position = views.position()
    monkeypatch.setattr(readmodels, "SAVE_CHUNK", 2)  # the states written two per statement
    assert views.rebuild(fetch=4) == city.count()   # one pass: states held to the end
    assert {t: views.snapshot(t) for t in ("cases", "officers", "complaints")} == incremental
    assert views.position() == position


def test_views_another_version_folded_are_folded_again_not_patched(
        city: World, caplog: pytest.LogCaptureFixture) -> None:
    """After an upgrade that changes what the states hold, the states the older code stored
    are not carried on with new events (a missing field failed every later event of the case):
    the next leader finds them tracked under another version and folds the log again, once."""
    post_steps(city, f.staff() + f.general_case())
    city.project()
    views = city.http.app.app.state.views
    folded, position = views.snapshot("cases"), views.position()
    with city.ledger.store.transaction() as curs:       # as the version before this one left them
        curs.execute("UPDATE ledger_view_tracking SET application_name = 'read_models' "
                     "WHERE application_name LIKE 'read%'")
        curs.execute("UPDATE view_cases SET state = state - 'amounts'")
    assert views.process() == city.count()
    assert "folded by another version" in caplog.text
    assert views.snapshot("cases") == folded
    assert views.position() == position
    with city.ledger.store.cursor() as curs:
        curs.execute("SELECT application_name FROM ledger_view_tracking "
                     "WHERE application_name LIKE 'read%'")
        assert [r["application_name"] for r in curs.fetchall()] == [views.TRACKED]
    assert views.process() == 0                         # once


def test_the_rebuild_command_folds_the_whole_log_again_in_batches(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ledger rebuild` (the operator's verb) empties the read models and the flags and folds
    every event again, in batches smaller than the log: the same states as the incremental
    projection, the flags back, the tracking position at the log's end."""
    post_steps(city, f.staff() + f.summary_case("SH-HP-2024-S-004512") + f.general_case()
               + f.withdrawn_case() + f.complaint_cycle())
    city.project()
    views = city.http.app.app.state.views
    before = {t: views.snapshot(t) for t in ("cases", "officers", "complaints")}
    position = views.position()
    with city.ledger.store.cursor() as curs:
        curs.execute("SELECT count(*) AS n FROM view_flags")
        assert curs.fetchone()["n"] > 0, "the history raises flags (else nothing is shown)"
        curs.execute("SELECT count(*) AS n FROM stored_events")
        events = curs.fetchone()["n"]
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", city.owner_url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert ledger_main(["rebuild", "--batch", "7"]) == 0
    assert f"from {events} events" in out.getvalue()
    assert {t: views.snapshot(t) for t in ("cases", "officers", "complaints")} == before
    assert views.position() == position
    with city.ledger.store.cursor() as curs:
        curs.execute("SELECT count(*) AS n FROM view_flags")
        assert curs.fetchone()["n"] > 0


def test_a_read_model_rebuild_that_fails_keeps_the_old_states_and_says_so(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The read models rebuild in a child process beside the flags: when it fails (here it
    cannot take its tables' lock within a second), the command says so and exits 2, and the
    read models keep their states (one transaction)."""
    views, _ = _projected_home(city, tmp_path, monkeypatch)
    before = {t: views.snapshot(t) for t in ("cases", "officers", "complaints")}
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=1000")
    with psycopg.connect(city.owner_url) as holder:
        holder.execute("LOCK TABLE view_supervision IN SHARE MODE")   # as CREATE INDEX does
        assert ledger_main(["rebuild"]) == 2
    err = capsys.readouterr().err
    assert "the read models were not" in err and "lock" in err
    assert {t: views.snapshot(t) for t in ("cases", "officers", "complaints")} == before


def _projected_home(city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                    ) -> tuple[readmodels.ReadModels, dict[str, Any]]:
    """One projected summary case, and the environment of a `ledger` command on its database;
    returns the read models and their cases."""
    post_steps(city, f.staff() + f.summary_case("SH-HP-2024-S-004512"))
    city.project()
    views = city.http.app.app.state.views
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", city.owner_url)
    return views, views.snapshot("cases")


@pytest.mark.parametrize("batch", ["0", "-5", "many"])
def test_the_rebuild_command_refuses_a_bad_batch_before_emptying_anything(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: str) -> None:
    views, before = _projected_home(city, tmp_path, monkeypatch)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        ledger_main(["rebuild", "--batch", batch])
    assert exit_.value.code == 2
    assert "--batch" in err.getvalue()
    assert views.snapshot("cases") == before and before


def test_the_rebuild_command_refuses_while_a_projection_runner_holds_the_lock(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With `ledger serve` (or `ledger project`, or another `ledger rebuild`) running, its
    projection runner holds the lock for as long as it lives: `ledger rebuild` says so at once
    instead of waiting forever, also while that process is in the middle of writing the flags,
    and empties nothing."""
    views, before = _projected_home(city, tmp_path, monkeypatch)
    with psycopg.connect(city.owner_url) as runner:
        runner.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        runner.execute("DELETE FROM view_flags")       # in the middle of a transaction
        err, result = io.StringIO(), []

        def rebuild() -> None:
            with contextlib.redirect_stderr(err):
                result.append(ledger_main(["rebuild"]))

        thread = threading.Thread(target=rebuild, daemon=True)
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), "ledger rebuild waits for the running service forever"
    assert result == [2]
    assert "projections are running" in err.getvalue()
    assert views.snapshot("cases") == before and before


def test_projection_is_exactly_once(city: World) -> None:
    post_steps(city, f.staff() + f.summary_case("SH-HP-2024-S-004512"))
    views = city.http.app.app.state.views
    views.run_until_idle()
    before = views.snapshot("cases")
    assert views.run_until_idle() == 0                   # nothing new: nothing applied again
    assert views.snapshot("cases") == before


def test_openapi_publishes_the_envelope_and_every_event_body_schema(city: World) -> None:
    doc = city.http.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert {f"{name}Body" for name in vocabulary.EVENT_TYPES} <= set(schemas)
    assert schemas["PenaltyDecidedBody"]["properties"]["amount_fen"]["type"] == "integer"
    body = doc["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["oneOf"][0] == {"$ref": "#/components/schemas/SignedEnvelope"}


@pytest.mark.parametrize("type_name", sorted(set(vocabulary.EVENT_TYPES) - {"KeyRegistered",
                                                                             "KeyRevoked"}))
def test_every_event_type_refuses_a_body_missing_a_required_field(city: World,
                                                                  type_name: str) -> None:
    """Field-level message, 422, and nothing written — for every type of the vocabulary."""
    kind = sorted(vocabulary.lookup(type_name).stream_kinds)[0]
    stream = "keys" if kind == "keys" else f"{kind}:X-1"
    full = f.body(type_name)
    missing = next(k for k in sorted(full) if any(
        e.path == f"body.{k}" and e.message == "required field is missing"
        for e in vocabulary.validate_event(type_name, stream, {**{x: v for x, v in full.items()
                                                                  if x != k}})))
    body = {k: v for k, v in full.items() if k != missing}
    role = f.signer_role(type_name)
    env = sign_envelope(city.keys[f"{role}-01"], f"{role}-01", stream=stream, type=type_name,
                        body=body)
    before = city.count()
    from ledger.canonical import canonical
    response = city.post_raw(canonical(env))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert {"field": f"body.{missing}", "message": "required field is missing"} \
        in problem["errors"]
    assert city.count() == before


ALL_VIEWS = ("cases", "officers", "complaints", "publications", "supervision")


def test_one_event_per_batch_equals_one_batch_for_every_view(city: World) -> None:
    """Every view, folded one event per batch (each state read back from its jsonb row), equals
    the same history folded in one batch — also for an officer holding two valid certificates
    (a renewal overlapping the old one), whom a decision names without a certificate, and with
    configuration published after the events it counts."""
    renewal = f.step(f"officer:{f.OFFICER_A}", "OfficerCredentialIssued",
                     f.at("2024-01-02", "09:00:00"), cert_no="A2024", unit_id=f.UNIT,
                     valid_from="2024-01-01", valid_until="2028-12-31")
    case_id = "SH-HP-2024-000777"
    no_penalty = [
        f.step(f"case:{case_id}", "CaseFiled", f.at("2024-05-20"),
               officers=[{"officer_id": f.OFFICER_B, "cert_no": f.CERT_B}]),
        f.step(f"case:{case_id}", "NoPenaltyDecided", f.at("2024-05-22"),
               decided_by=[f.OFFICER_A])]
    notice = "SV-2025-001"
    supervision = [
        f.step(f"supervision:{notice}", "SupervisionNoticeIssued", f.at("2025-06-02")),
        f.step(f"supervision:{notice}", "SupervisionFeedbackSubmitted", f.at("2025-06-20")),
        f.step(f"supervision:{notice}", "SupervisionFeedbackAccepted", f.at("2025-06-25"))]
    post_steps(city, f.staff() + [renewal] + no_penalty + f.summary_case("SH-HP-2024-S-004512")
               + [city_calendar("2024-10-20", day_off=("2024-10-08",))] + f.general_case()
               + [payment_period(30, "2024-01-02")] + f.withdrawn_case() + f.complaint_cycle()
               + supervision)
    views = city.http.app.app.state.views
    while views.process(limit=1):
        pass
    incremental = {t: views.snapshot(t) for t in ALL_VIEWS}
    views.reset()
    views.run_until_idle(limit=10_000)
    assert {t: views.snapshot(t) for t in ALL_VIEWS} == incremental
    assert all(incremental.values())



@pytest.mark.parametrize("which", ["read models", "flags"])
def test_readers_see_the_old_tables_while_a_rebuild_runs(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str) -> None:
    """A rebuild is one transaction, and until it commits a reader (a case page, the flag
    queue, a warning level, a unit-scoped access check) is answered from the old tables at
    once: it does not wait for the rebuild, which takes minutes on a large log."""
    views, _ = _projected_home(city, tmp_path, monkeypatch)
    store = city.ledger.store
    flags = city.http.app.app.state.flags

    def tables() -> tuple[Any, ...]:
        return views.snapshot("cases"), flags.snapshot(), levels.snapshot(store)

    before = tables()
    assert before[0] and before[1], "the case raises flags (else nothing is read)"
    folding, release = threading.Event(), threading.Event()
    owner, name, rebuild = ((readmodels.Fold, "apply", views.rebuild) if which == "read models"
                            else (FlagsView, "_fold", FlagsView(store).rebuild))
    fold = getattr(owner, name)

    def paused(*args: Any, **kwargs: Any) -> Any:
        folding.set()
        release.wait(30)
        return fold(*args, **kwargs)

    monkeypatch.setattr(owner, name, paused)
    thread = threading.Thread(target=rebuild, daemon=True)
    thread.start()
    try:
        assert folding.wait(10), "the rebuild never started folding"
        read: list[Any] = []
        reader = threading.Thread(target=lambda: read.append(tables()), daemon=True)
        reader.start()
        reader.join(timeout=5)
        assert read == [before], "a reader waits for the rebuild to commit"
    finally:
        release.set()
        thread.join(timeout=30)
    assert tables()[:2] == before[:2]


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def rebuild_waiting_for_its_child(city: World) -> Iterator[tuple[subprocess.Popen, list[int]]]:
    """`ledger rebuild` in a process of its own (LEDGER_HOME and LEDGER_DATABASE_URL set), its
    read-model child waiting for a lock this holds until the block ends; yields the command and
    the ids of its child processes."""
    with psycopg.connect(city.owner_url) as holder, \
            psycopg.connect(city.owner_url, autocommit=True) as watch:
        holder.execute("LOCK TABLE view_supervision IN SHARE MODE")   # the child waits here
        # started as from a terminal: a test session run in the background of a shell without
        # job control (nohup … &) ignores SIGINT, and a command started with SIGINT ignored
        # keeps ignoring it, as it should
        rebuild = subprocess.Popen([sys.executable, "-m", "api.cli", "rebuild"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=_interruptible)
        children: list[int] = []
        try:
            deadline = time.monotonic() + 30
            # the child's own wait on that table: any other session of the cluster waiting on a
            # lock (an earlier test's process) let the rebuild be interrupted before it
            while not watch.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND "
                                    "relation = 'view_supervision'::regclass").fetchone()[0]:
                assert time.monotonic() < deadline and rebuild.poll() is None
                time.sleep(0.1)
            proc = Path(f"/proc/{rebuild.pid}/task/{rebuild.pid}/children")
            children = [int(pid) for pid in proc.read_text().split()]
            assert children
            yield rebuild, children
        finally:
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            rebuild.kill()
            rebuild.wait()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_rebuild_stops_its_read_model_child_too(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    """`kill -INT` or `kill` (a supervisor stopping it) of `ledger rebuild` while its read-model
    child is still at work: the command ends at once and takes the child with it, which does
    not go on rebuilding behind the operator's back, without the projections' lock."""
    views, before = _projected_home(city, tmp_path, monkeypatch)
    with rebuild_waiting_for_its_child(city) as (rebuild, children):
        rebuild.send_signal(signum)
        _, err = rebuild.communicate(timeout=15)
        assert rebuild.returncode != 0 and "Traceback" not in err, err
        for pid in children:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    assert views.snapshot("cases") == before


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in "ZX"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_a_rebuild_killed_outright_takes_its_read_model_child_with_it(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kill -9` of `ledger rebuild` (the OOM killer) ends the lock it holds on the projections
    with its connection; the child went on waiting, then rebuilt and committed without the lock.
    The kernel now stops it with its parent."""
    views, before = _projected_home(city, tmp_path, monkeypatch)
    with rebuild_waiting_for_its_child(city) as (rebuild, children):
        rebuild.kill()
        rebuild.wait(timeout=15)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in children):
            assert time.monotonic() < deadline, "the read-model child outlived its parent"
            time.sleep(0.05)
    assert views.snapshot("cases") == before


def test_the_read_model_child_run_by_hand_says_how_to_run_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without its environment it was a KeyError traceback."""
    from projections import rebuild
    monkeypatch.delenv(rebuild.URL_VARIABLE, raising=False)
    assert rebuild.main(["100000"]) == 2
    assert capsys.readouterr().err.startswith("usage: LEDGER_REBUILD_URL=")


def test_a_read_model_child_killed_is_named_as_the_reason(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read-model child killed (by the kernel's OOM killer: it holds every state in
    memory) leaves nothing on its standard error; the command says how it ended."""
    views, before = _projected_home(city, tmp_path, monkeypatch)
    with rebuild_waiting_for_its_child(city) as (rebuild, children):
        os.kill(children[0], signal.SIGKILL)
        _, err = rebuild.communicate(timeout=60)
    assert rebuild.returncode == 2
    assert err.endswith("the read models were not (they keep their old states): its process "
                        "was killed by SIGKILL\n"), err
    assert views.snapshot("cases") == before


def test_a_flag_rebuild_that_fails_still_waits_for_the_read_model_child(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The red flags' rebuild fails (the database went away): the command reports it and ends
    only once its read-model child has, leaving no process behind."""
    _projected_home(city, tmp_path, monkeypatch)
    started: list[subprocess.Popen] = []
    popen = subprocess.Popen

    def recorded(*args: Any, **kwargs: Any) -> subprocess.Popen:
        started.append(popen(*args, **kwargs))
        return started[-1]

    def failing(self: FlagsView, at: Any = None) -> None:
        raise Unavailable("database unavailable: the connection was lost")

    monkeypatch.setattr(subprocess, "Popen", recorded)
    monkeypatch.setattr(FlagsView, "rebuild", failing)
    assert ledger_main(["rebuild"]) == 2
    assert "the connection was lost" in capsys.readouterr().err
    (child,) = started
    assert child.returncode == 0


def test_the_read_model_child_imports_this_code_not_the_working_directorys(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ledger rebuild` run from a directory holding a `projections` package (another checkout,
    or a shared directory where anyone may write) runs the ledger's own child, not that one with
    the database owner's URL in its environment."""
    _projected_home(city, tmp_path, monkeypatch)
    planted = tmp_path / "cwd" / "projections"
    planted.mkdir(parents=True)
    (planted / "__init__.py").write_text("")
    (planted / "rebuild.py").write_text(
        "import os, pathlib\n"
        f"pathlib.Path({str(tmp_path / 'stolen')!r}).write_text(os.environ['LEDGER_REBUILD_URL'])\n")
    monkeypatch.chdir(planted.parent)
    with contextlib.redirect_stdout(io.StringIO()):
        assert ledger_main(["rebuild"]) == 0
    assert not (tmp_path / "stolen").exists()


def test_the_rebuild_command_as_the_service_role_says_it_needs_the_owner_role(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Run with the URL `ledger serve` uses (a role granted ledger_writer, as README says),
    `ledger rebuild` was a traceback ("must be owner of table view_flags"); it says which role
    it needs, and empties nothing."""
    views, before = _projected_home(city, tmp_path, monkeypatch)
    monkeypatch.setenv("LEDGER_DATABASE_URL", city.app_url)
    assert ledger_main(["rebuild"]) == 2
    assert capsys.readouterr().err.startswith(
        "ledger rebuild: creating the views' tables needs the database's owner role")
    assert views.snapshot("cases") == before


def test_the_rebuild_holds_the_projections_lock_through_an_idle_transaction_timeout(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A server that ends sessions idle in a transaction (idle_in_transaction_session_timeout,
    a common setting) must not take the projections' lock from a rebuild that outlasts it."""
    views, before = _projected_home(city, tmp_path, monkeypatch)
    with psycopg.connect(city.owner_url) as holder:
        holder.execute("LOCK TABLE view_supervision IN SHARE MODE")   # the child waits 2 s
        threading.Timer(2.0, holder.commit).start()
        monkeypatch.setenv("PGOPTIONS", "-c idle_in_transaction_session_timeout=500")
        assert ledger_main(["rebuild"]) == 0, capsys.readouterr().err
    assert views.snapshot("cases") == before


def test_a_cases_evidence_shows_the_device_signed_claim_and_whether_its_devices_key_proves_it(
        city: World) -> None:
    """Proven only when signed by a key registered with a device role and the principal
    `device:<device_id>` naming the evidence's device — read from the log before the batch
    (the key is folded in an earlier one) as in a rebuild (docs/red-flags.md, RF07)."""
    case_id = "SH-HP-2024-S-004512"
    city.register("hp-bc-0457", ["bodycam"], principal=f"device:{f.BODYCAM}")
    views = city.http.app.app.state.views
    views.run_until_idle()
    post_steps(city, f.staff() + f.summary_case(case_id))      # signed by bodycam-01: unbound
    body = f.body("EvidenceRecorded", captured_at=f.at("2024-09-30", "10:01:40"))
    city.post([city.sign(key, stream=f"case:{case_id}", type="EvidenceRecorded",
                         body={**body, "evidence_id": f"EV-{key}"},
                         occurred_at=f.at("2024-09-30", "10:04:00"))
               for key in ("hp-bc-0457", "case-app-01")])
    while views.process(limit=7):
        pass
    seen = {e["evidence_id"]: (e["device_signed_claimed"], e["device_signed_proven"],
                               e["signer_key_id"]) for e in case(city, case_id)["evidence"]}
    assert seen == {f"EV-{case_id}-1": (True, False, "bodycam-01"),
                    "EV-hp-bc-0457": (True, True, "hp-bc-0457"),
                    "EV-case-app-01": (True, False, "case-app-01")}
    incremental = views.snapshot("cases")
    assert views.rebuild() == city.count()
    assert views.snapshot("cases") == incremental
