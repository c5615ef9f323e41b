"""Integrity-based assessment (定考): built on quality and integrity, never on fines
(行政处罚法 第74条). Two signed histories differing only in fine amounts give byte-identical
assessments; each component is tested on its own."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import orjson
import pytest

from ledger.client import LedgerClient
from ledger.crypto import SigningKey
from ledger.store import LedgerStore
from ledger.synth import CityParams, SyntheticCity
from ledger.synth.cli import load
from projections.oversight import assessment as A
from projections.oversight import queries
from projections.redflags import compute_flags, national

from . import domain_factory as f
from .conftest import ROOT_ID, World
from .domain_factory import at, step
from .pg import Cluster
from .test_case_model import SUMMARY_ID
from .test_case_model import world as folded  # the read models' fold of steps
from .test_case_model_voided_publication import (DUE, PUBLISHED, VOID, co_party_voided,
                                                  reissued_published, rf12f, withdrawn)
from .test_readmodels import city, open_city, post_steps  # noqa: F401  (fixture)
from .test_redflags_parties import two_parties
from .test_redflags_world import numbers, when

AT = datetime(2025, 1, 15, tzinfo=timezone.utc)
GENERAL, SUMMARY = "SH-HP-2024-000123", "SH-HP-2024-S-004512"


@pytest.fixture
def twin(cluster: Cluster, root_key: SigningKey) -> Iterator[World]:
    """A second, independent ledger like ``city`` (its own database)."""
    owner, app_url = cluster.new_database()
    with open_city(owner, app_url, root_key) as world:
        yield world
    cluster.drop(owner)


AMOUNT_FIELDS = ("amount_fen", "principal_fen")


def fined(general_fen: int, summary_fen: int) -> list[f.Step]:
    """Staff, pledges, a general case (fine paid at the bank), a summary case (cash on the
    spot) and a complaint — every amount of the two fines set as given."""
    out = []
    for s in f.general_case(GENERAL):
        if s.type in ("PenaltyDecided", "PaymentRecorded", "TreasuryReconciled"):
            s = dataclasses.replace(s, body={**s.body, "amount_fen": general_fen})
        out.append(s)
    for s in f.summary_case(SUMMARY, amount_fen=summary_fen):
        if "principal_fen" in s.body:
            s = dataclasses.replace(s, body={**s.body, "principal_fen": summary_fen})
        out.append(s)
    pledges = (f.pledge_chain_steps(f.OFFICER_A, f.HEAD, pledge_id="P-A-2024", top=False)
               + f.pledge_chain_steps(f.HEAD, f.HEAD, pledge_id="P-H-2024", top=True,
                                      level="team"))
    return f.staff() + pledges + out + f.complaint_cycle("C-2024-0042")


def assessed(world: World, path: str, period: str) -> bytes:
    response = world.http.get(path, params={"period": period}, headers=world.headers("auditor"))
    assert response.status_code == 200, response.text
    return response.content


def flag_summary(world: World) -> list[tuple]:
    page = world.http.get("/v1/flags", params={"limit": "500"},
                          headers=world.headers("auditor")).json()
    # by day, as the assessment reads them: a flag raised at a recording (RF08.g) carries the
    # ledger's clock when the event was posted, a second apart in the two worlds now and then
    return sorted((x["rule_id"], x["subject"]["officer_id"], x["subject"]["case_id"],
                   x["status"], x["raised_at"][:10]) for x in page["flags"])


def test_assessments_are_byte_identical_for_histories_differing_only_in_fines(
        city: World, twin: World) -> None:
    post_steps(city, fined(300_000, 10_000))
    post_steps(twin, fined(200_000, 5_000))
    for world in (city, twin):
        world.http.app.app.state.flags.clock = lambda: AT
        world.project()
    # the histories really differ in fines ...
    one = city.http.get(f"/v1/cases/{GENERAL}", headers=city.headers("auditor")).json()
    two = twin.http.get(f"/v1/cases/{GENERAL}", headers=twin.headers("auditor")).json()
    assert one["amounts"]["decided_fen"] == 300_000 and two["amounts"]["decided_fen"] == 200_000
    # ... and not in flags (held equal), so the assessments must not differ at all
    assert flag_summary(city) == flag_summary(twin) and flag_summary(city)
    paths = [f"/v1/officers/{o}/assessment" for o in (f.OFFICER_A, f.OFFICER_B, f.HEAD)]
    paths.append(f"/v1/units/{f.UNIT}/assessment")
    for path in paths:
        for period in ("2024-Q2", "2024-Q3", "2024-Q4", "2024-08", "2024-10"):
            assert assessed(city, path, period) == assessed(twin, path, period), (path, period)


def test_assessment_components_over_http(city: World) -> None:
    post_steps(city, fined(300_000, 10_000))
    city.http.app.app.state.flags.clock = lambda: AT
    city.project()
    import json
    q3 = json.loads(assessed(city, f"/v1/officers/{f.OFFICER_A}/assessment", "2024-Q3"))
    assert q3["period"] == {"id": "2024-Q3", "from": "2024-07-01", "until": "2024-09-30"}
    assert q3["evidence"] == {"decisions": 2, "with_prior_evidence": 2, "share_milli": 1000}
    assert q3["pledge"] == {"officers": 1, "covered": 1, "share_milli": 1000}
    assert q3["timeliness"]["cases_judged"] >= 1
    assert "fine amounts" in q3["excluded"] and "APL 第74条第3款" in q3["basis"]
    assert 0 <= q3["score"]["value"] <= 100
    b = json.loads(assessed(city, f"/v1/officers/{f.OFFICER_B}/assessment", "2025-Q1"))
    assert b["complaints"]["received"] == 1 and b["pledge"]["covered"] == 0
    unit = json.loads(assessed(city, f"/v1/units/{f.UNIT}/assessment", "2024-Q3"))
    assert unit["pledge"]["officers"] == 4 and unit["pledge"]["covered"] == 2
    text = assessed(city, f"/v1/units/{f.UNIT}/assessment", "2024-Q3").decode()
    assert "300000" not in text and "_fen" not in text


def test_each_partys_decision_in_force_is_a_decision_made_with_its_own_deadlines(
        city: World) -> None:
    """A case with two parties (共同违法): the company decided on 8 August, the vendor the day
    after, each decision served and published on time. The assessment read the case's
    ``decision`` alone (the vendor's, recorded last): one decision made, and the company's
    service and publication, met on time in ``co_party_decisions``, were not judged."""
    import json
    post_steps(city, f.staff() + two_parties())
    city.http.app.app.state.flags.clock = lambda: AT
    city.project()
    unit = json.loads(assessed(city, f"/v1/units/{f.UNIT}/assessment", "2024-Q3"))
    assert unit["evidence"]["decisions"] == 2
    # the decision deadline and each party's service and publication (the vendor's alone: 3)
    assert unit["timeliness"]["deadlines"] == {"met_on_time": 5, "late": 0, "missed": 0}


SPOILT = "HP-S-2024-004511"        # reissued_published's voided decision


def voided_withdrawal(withdrawn_on: str | None) -> list[f.Step]:
    """A published summary decision whose form was voided before it was served, re-issued on
    the next form (tests/test_case_model_voided_publication.py), its publication withdrawn on
    ``withdrawn_on`` (None: never); the withdrawal is due on 10 October 2024."""
    return reissued_published(False) + ([withdrawn(withdrawn_on, SPOILT)] if withdrawn_on else [])


def test_a_voided_decisions_publication_withdrawal_counts_once_as_rf12f_judges_it() -> None:
    """The withdrawal a voided published decision owes (APL 第48条第2款) goes with it to
    ``previous_decisions`` when it is re-issued, and the assessment read the case's and the
    other parties' deadlines alone: RF12.f was raised and the case judged on time. Now counted
    once, as RF12.f judges it: never withdrawn, missed; withdrawn a day late, late; on the
    day, met. A service dated before the void (the void ended nothing) removes the deadline
    (it is not cancelled): nothing is counted, and RF12.f raises nothing."""
    october = A.Period.parse("2024-10")
    others = 3                  # the re-issued decision's filing, the cash's hand-over, deposit
    for withdrawn_on, counted, on_time, flags in (
            (None, "missed", 0, [("raised", DUE, None)]),
            ("2024-10-11", "late", 0, [("cleared", DUE, 1)]),
            ("2024-10-10", "met_on_time", 1, [])):
        history, folder = folded(voided_withdrawal(withdrawn_on))
        facts = A.case_facts(folder.cases[SUMMARY_ID])
        assert [(d.due, d.met_on, d.cancelled) for d in facts.deadlines
                if d.name == "publication_withdrawal"] == [(DUE, withdrawn_on, False)]
        t = A.assess(SUBJECT, october, date(2025, 1, 1), cases=[facts], complaints=[],
                     flags=[], pledges=[])["timeliness"]
        assert t["deadlines"] == {"met_on_time": others, "late": 0, "missed": 0,
                                  counted: others * (counted == "met_on_time") + 1}
        assert (t["cases_judged"], t["cases_on_time"]) == (1, on_time)
        assert rf12f(history) == flags
    steps = voided_withdrawal(None)
    served = step(f"case:{SUMMARY_ID}", "DecisionServed", at("2024-09-30", "10:04:20"),
                  decision_no=SPOILT, party_ref=f.VENDOR, method="on_the_spot",
                  party_present=True, receipt_sha256=f.DROP)
    history, folder = folded(steps + [served])
    case = folder.cases[SUMMARY_ID]
    assert [d["decision_no"] for d in case["previous_decisions"]] == [SPOILT]
    assert not [d for d in A.case_facts(case).deadlines if d.name == "publication_withdrawal"]
    assert rf12f(history) == []


def withdrawals_owed(case: dict, month: str) -> dict[str, int]:
    """The assessment's counts of the publication withdrawals ``case`` owes, alone, in
    ``month``, judged on 1 January 2025."""
    facts = A.case_facts(case)
    owed = dataclasses.replace(facts, deadlines=tuple(
        d for d in facts.deadlines if d.name == "publication_withdrawal"))
    return A.assess(SUBJECT, A.Period.parse(month), date(2025, 1, 1), cases=[owed],
                    complaints=[], flags=[], pledges=[])["timeliness"]["deadlines"]


def test_the_assessment_calls_each_voided_decisions_withdrawal_what_rf12f_does() -> None:
    """Wherever the case view keeps the withdrawal a voided published decision owes — the
    case's deadlines (the decision shown), a co-party's entry, a re-issued decision's entry in
    ``previous_decisions`` — the assessment counts it once and calls it what RF12.f does:
    missed when raised, late when cleared, met on time when not raised."""
    verdicts = {"raised": "missed", "cleared": "late"}
    for made, case_id, party, month, days in (
            (lambda day: [PUBLISHED] + f.summary_case(SUMMARY_ID) + [VOID]
             + ([withdrawn(day)] if day else []), SUMMARY_ID, None, "2024-10",
             ("2024-10-10", "2024-10-11")),
            (co_party_voided, GENERAL, f.COMPANY, "2024-08", ("2024-08-21", "2024-08-22")),
            (voided_withdrawal, SUMMARY_ID, None, "2024-10", ("2024-10-10", "2024-10-11"))):
        for day in (None, *days):
            history, folder = folded(made(day))
            expected = {"met_on_time": 0, "late": 0, "missed": 0}
            for status, _, _ in rf12f(history, party):
                expected[verdicts[status]] += 1
            expected["met_on_time"] = 1 - sum(expected.values())
            assert withdrawals_owed(folder.cases[case_id], month) == expected, (case_id, day)


def test_a_replaced_decisions_late_service_still_counts_once_as_rf12c_judges_it() -> None:
    """The company's decision of 8 August served on the 21st (due the 19th), withdrawn on
    2 September and made anew on the 10th: the late service went with the first decision to
    ``previous_decisions``, and August's assessment no longer counted it. It counts, once, as
    RF12.c still judges it."""
    no, anew = "沪黄城管罚〔2024〕第123号", "沪黄城管罚〔2024〕第140号"
    steps = f.general_case(GENERAL)
    decided = [s.type for s in steps].index("PenaltyDecided")
    party = steps[decided].body["party"]
    steps = steps[:decided + 1] + [
        dataclasses.replace(steps[decided + 1], occurred_at=at("2024-08-21")),     # served
        step(f"case:{GENERAL}", "PenaltyWithdrawn", at("2024-09-02"), decision_no=no),
        step(f"case:{GENERAL}", "PenaltyDecided", at("2024-09-10"), decision_no=anew,
             party=party)]
    history, folder = folded(steps)
    case = folder.cases[GENERAL]
    assert [d["decision_no"] for d in case["previous_decisions"]] == [no]
    facts = A.case_facts(case)
    assert [(d.due, d.met_on) for d in facts.deadlines if d.name == "service"] == [
        (case["deadlines"]["service"]["due"], None), ("2024-08-19", "2024-08-21")]
    t = A.assess(SUBJECT, A.Period.parse("2024-08"), date(2025, 1, 1), cases=[facts],
                 complaints=[], flags=[], pledges=[])["timeliness"]
    assert t["deadlines"] == {"met_on_time": 1, "late": 1, "missed": 0}    # decided in time
    # the decision made anew, never served, is September's (missed, as RF12.c raises it)
    assert sorted((x.status, numbers(x)["due"]) for x in compute_flags(
        history.events, national(), at=when("2025-01-01"), processes=1)
        if x.rule_id == "RF12.c") == [("cleared", "2024-08-19"), ("raised", "2024-09-20")]


def test_the_assessment_reads_the_deadlines_of_a_decision_set_aside(city: World) -> None:
    """What the database cuts of a case for the period (queries.py) carries the deadlines of
    ``previous_decisions`` due in it: the voided decision's publication never withdrawn is the
    unit's and the deciding officer's one deadline missed in October 2024, as reading every
    case whole finds it."""
    post_steps(city, f.staff() + voided_withdrawal(None))
    city.project()
    october, as_of = A.Period.parse("2024-10"), date(2025, 1, 15)
    for kind, ident in (("unit", f.UNIT), ("officer", f.OFFICER_A)):
        got = queries.assessment(city.ledger.store, kind, ident, october, as_of)
        assert got["timeliness"]["deadlines"] == {"met_on_time": 3, "late": 0, "missed": 1}
        assert got == whole_history(city.ledger.store, kind, ident, october, as_of)


def test_assessment_needs_an_inspector_a_valid_period_and_respects_unit_scope(
        city: World) -> None:
    post_steps(city, fined(300_000, 10_000))
    city.project()
    url = f"/v1/officers/{f.OFFICER_A}/assessment"
    assert city.http.get(url, params={"period": "2024-Q2"}).status_code == 401
    assert city.http.get(url, params={"period": "2024-Q2"},
                         headers=city.headers("poster")).status_code == 403
    for bad in ("2024-Q5", "2024-13", "Q2-2024", "", "0000-01", "0000-Q1"):
        assert city.http.get(url, params={"period": bad},
                             headers=city.headers("auditor")).status_code == 422, bad
    other = {"Authorization": "Bearer " + city.token("inspector", principal="jw-xh",
                                                     units=("SH-XH-CG-09",))}
    assert city.http.get(url, params={"period": "2024-Q2"}, headers=other).status_code == 404
    assert city.http.get(f"/v1/units/{f.UNIT}/assessment", params={"period": "2024-Q2"},
                         headers=other).status_code == 404


# --- components -------------------------------------------------------------------------------

Q3 = A.Period.parse("2024-Q3")
SUBJECT = {"kind": "officer", "id": "O1"}


def case(cid: str, *deadlines: A.Deadline, decided: str | None = None,
         evidence: tuple[str, ...] = ()) -> A.CaseFacts:
    return A.CaseFacts(cid, tuple(deadlines), (decided,) if decided else (), evidence)


def run(**inputs: object) -> dict:
    base = {"cases": [], "complaints": [], "flags": [], "pledges": []}
    return A.assess(SUBJECT, Q3, date(2024, 10, 15), **{**base, **inputs})  # type: ignore


def test_periods_are_months_or_quarters() -> None:
    assert (Q3.start, Q3.end) == (date(2024, 7, 1), date(2024, 9, 30))
    feb = A.Period.parse("2024-02")
    assert (feb.start, feb.end) == (date(2024, 2, 1), date(2024, 2, 29))
    with pytest.raises(A.PeriodError, match="YYYY-MM or YYYY-Qn"):
        A.Period.parse("2024-Q0")


#: what a case state holds of its decisions before any is made (case_model.new_state)
UNDECIDED = {"decision": None, "co_party_decisions": [], "previous_decisions": []}


def test_the_case_input_has_no_field_that_could_hold_a_fine() -> None:
    names = {fl.name for cls in (A.CaseFacts, A.Deadline, A.ComplaintFacts, A.FlagFacts,
                                 A.PledgeFacts) for fl in dataclasses.fields(cls)}
    assert not [n for n in names if "fen" in n or "amount" in n or "fine" in n
                or "pay" in n or "money" in n]
    state = {**UNDECIDED, "case_id": "C1", "amounts": {"decided_fen": 1},
             "money": {"paid_fen": 1},
             "decision": {"decided_on": "2024-08-01", "payment_method": "onsite_cash"},
             "deadlines": {"payment": {"due": "2024-08-16", "met_on": None},
                           "service": {"due": "2024-08-10", "met_on": "2024-08-09"}},
             "evidence": [{"captured_at": "2024-07-30T10:00:00+08:00"}]}
    facts = A.case_facts(state)
    assert facts == A.CaseFacts("C1", (A.Deadline("service", "2024-08-10", "2024-08-09",
                                                  False),), ("2024-08-01",), ("2024-07-30",))


def test_evidence_days_are_legal_days_whatever_the_offset_of_the_capture_time() -> None:
    """Captured at 01:30 Beijing time on 2 August, written in UTC (1 August 17:30Z): after a
    decision of 1 August, so not prior evidence."""
    state = {**UNDECIDED, "case_id": "C1", "decision": {"decided_on": "2024-08-01"},
             "evidence": [{"captured_at": "2024-08-01T17:30:00Z"},
                          {"captured_at": "2024-07-31T23:00:00-05:00"}]}
    facts = A.case_facts(state)
    assert facts.evidence_days == ("2024-08-01", "2024-08-02")
    facts = A.case_facts({**state, "evidence": state["evidence"][:1]})
    assert run(cases=[facts])["evidence"]["with_prior_evidence"] == 0


def test_a_decision_whose_form_was_voided_before_service_is_no_decision_made() -> None:
    """The evidence share counted a decision whose numbered form was voided before it was
    served (the case page's decision ``voided``: it never took effect) as a decision made in
    the period, with or without evidence before it."""
    state = {**UNDECIDED, "case_id": "C1",
             "decision": {"decided_on": "2024-08-01", "status": "voided"},
             "evidence": [{"captured_at": "2024-08-02T10:00:00+08:00"}]}
    facts = A.case_facts(state)
    assert facts.decided_days == ()
    assert run(cases=[facts])["evidence"]["decisions"] == 0


def test_a_co_partys_decision_whose_form_was_voided_before_service_is_no_decision_made(
        ) -> None:
    state = {**UNDECIDED, "case_id": "C1",
             "decision": {"decided_on": "2024-08-09", "status": "in_force"},
             "co_party_decisions": [{"decided_on": "2024-08-08", "status": "voided",
                                     "deadlines": {}}]}
    assert A.case_facts(state).decided_days == ("2024-08-09",)


def test_timeliness_counts_cases_whose_deadlines_were_all_met() -> None:
    on_time = case("C1", A.Deadline("service", "2024-08-10", "2024-08-09", False))
    late = case("C2", A.Deadline("service", "2024-08-10", "2024-08-12", False))
    missed = case("C3", A.Deadline("publication", "2024-09-01", None, False))
    not_yet = case("C4", A.Deadline("publication", "2024-10-20", None, False))
    cancelled = case("C5", A.Deadline("service", "2024-08-10", None, True))
    t = run(cases=[on_time, late, missed, not_yet, cancelled])["timeliness"]
    assert t == {"cases_judged": 3, "cases_on_time": 1, "share_milli": 333,
                 "deadlines": {"met_on_time": 1, "late": 1, "missed": 1}}


def test_evidence_completeness_needs_evidence_captured_by_the_decision_day() -> None:
    e = run(cases=[case("C1", decided="2024-08-01", evidence=("2024-07-30",)),
                   case("C2", decided="2024-08-01", evidence=("2024-08-02",)),
                   case("C3", decided="2024-06-01", evidence=())])["evidence"]
    assert e == {"decisions": 2, "with_prior_evidence": 1, "share_milli": 500}


def test_complaint_handling_and_substantiated_complaints() -> None:
    r = run(complaints=[A.ComplaintFacts("K1", "2024-07-02", True, True, False),
                        A.ComplaintFacts("K2", "2024-07-03", True, False, True),
                        A.ComplaintFacts("K3", "2024-05-01", False, False, True)])
    assert r["complaints"] == {"received": 2, "pending": 0, "handled_on_time": 1,
                               "substantiated": 1, "share_milli": 500}
    assert r["score"]["complaint_penalty"] == 5


def test_a_complaint_still_within_its_deadlines_is_not_judged_yet() -> None:
    """Received on 30 September, judged on 15 October: acknowledged on time, its close
    deadline (29 November) not yet due. It counted as not handled on time (share 500 ‰);
    like a case deadline not yet due, it is not judged (docs/oversight.md)."""
    state = {"complaint_id": "K2", "received_on": "2024-09-30", "outcome": None,
             "deadlines": {"acknowledge": {"due": "2024-10-15", "met_on": "2024-10-02",
                                           "late": False},
                           "close": {"due": "2024-11-29", "met_on": None}}}
    overdue = {**state, "complaint_id": "K3", "deadlines": {
        "acknowledge": {"due": "2024-10-14", "met_on": None},
        "close": {"due": "2024-11-29", "met_on": None}}}
    r = run(complaints=[A.ComplaintFacts("K1", "2024-07-02", True, True, False),
                        A.complaint_facts(state)])
    assert r["complaints"] == {"received": 2, "pending": 1, "handled_on_time": 1,
                               "substantiated": 0, "share_milli": 1000}
    r = run(complaints=[A.complaint_facts(overdue)])        # acknowledgement missed: judged
    assert r["complaints"] == {"received": 1, "pending": 0, "handled_on_time": 0,
                               "substantiated": 0, "share_milli": 0}


def test_pledge_coverage_needs_a_countersigned_pledge_over_the_whole_period() -> None:
    r = run(pledges=[A.PledgeFacts("O1", (("2024-01-01", "2024-12-31"),)),
                     A.PledgeFacts("O2", (("2024-08-01", "2024-12-31"),)),
                     A.PledgeFacts("O3", ())])
    assert r["pledge"] == {"officers": 3, "covered": 1, "share_milli": 333}


def test_flags_cost_points_unless_dismissed_and_the_score_is_documented() -> None:
    flags = [A.FlagFacts("RF04.a", "critical", "2024-08-01", "confirmed"),
             A.FlagFacts("RF22", "low", "2024-08-01", "open"),
             A.FlagFacts("RF01", "high", "2024-08-01", "dismissed"),
             A.FlagFacts("RF01", "high", "2024-01-01", "confirmed")]
    r = run(flags=flags, pledges=[A.PledgeFacts("O1", (("2024-01-01", "2024-12-31"),))])
    assert r["flags"]["raised"] == {"critical": 1, "high": 1, "medium": 0, "low": 1}
    assert r["flags"]["confirmed"]["critical"] == 1 and r["flags"]["dismissed"]["high"] == 1
    assert r["score"]["flag_penalty"] == 21            # 20 + 2 / 2
    assert r["score"]["quality_milli"] == 1000 and r["score"]["value"] == 79
    assert run()["score"]["value"] == 100              # nothing to judge, nothing against


def test_a_cleared_flag_is_not_open_and_costs_nothing_unless_confirmed() -> None:
    """A flag whose rule was later satisfied (the late remittance arrived) counted as open, at
    half the confirmed penalty. As for the warning level, it stops counting when cleared — on or
    before the day judged; a confirmed flag stays confirmed."""
    flags = [A.FlagFacts("RF05", "high", "2024-08-01", "open", cleared_on="2024-08-05"),
             A.FlagFacts("RF05", "medium", "2024-08-02", "confirmed", cleared_on="2024-08-06"),
             A.FlagFacts("RF22", "low", "2024-08-03", "open", cleared_on="2024-10-20")]
    r = run(flags=flags)                                # judged on 2024-10-15
    assert r["flags"]["cleared"] == {"critical": 0, "high": 1, "medium": 0, "low": 0}
    assert r["flags"]["open"] == {"critical": 0, "high": 0, "medium": 0, "low": 1}
    assert r["flags"]["confirmed"]["medium"] == 1
    assert r["score"]["flag_penalty"] == 6              # 5 confirmed + 2 / 2 open
    assert r["method"] == "dingkao-v4"


def test_flag_facts_read_the_legal_day_a_flag_was_cleared() -> None:
    flag = {"rule_id": "RF05", "severity": "high", "disposition": "open",
            "raised_at": "2024-08-01T10:00:00+08:00", "status": "cleared",
            "cleared_at": "2024-08-05T09:00:00+08:00"}
    assert A.flag_facts(flag).cleared_on == "2024-08-05"
    assert A.flag_facts(flag | {"status": "raised", "cleared_at": None}).cleared_on is None


def whole_history(store: LedgerStore, kind: str, ident: str, period: A.Period,
                  as_of: date) -> dict:
    """The assessment as it was computed until 2026-11-28: every case, complaint and flag of
    the subject read whole and parsed, the period applied in Python only."""
    def states(sql: str) -> list[dict]:
        curs.execute(sql, (ident,))
        return [orjson.loads(r["state"]) for r in curs.fetchall()]
    case, complaint, flag, officer = {
        "officer": ("state->'officers' ? %s", "state->'accused_officers' ? %s",
                    "officer_id = %s", "officer_id = %s"),
        "unit": ("state->>'unit_id' = %s", "state->>'unit_id' = %s", "unit_id = %s",
                 "state->>'unit_id' = %s AND state->>'kind' = 'officer'")}[kind]
    with store.cursor() as curs:
        cases = states(f"SELECT state::text AS state FROM view_cases WHERE {case}")
        complaints = states(f"SELECT state::text AS state FROM view_complaints WHERE {complaint}")
        flags = states(f"SELECT flag::text AS state FROM view_flags WHERE {flag}")
        officers = states(f"SELECT state::text AS state FROM view_officers WHERE {officer}")
    return A.assess({"kind": kind, "id": ident}, period, as_of,
                    cases=[A.case_facts(c) for c in cases],
                    complaints=[A.complaint_facts(c) for c in complaints],
                    flags=[A.flag_facts(x) for x in flags],
                    pledges=[A.pledge_facts(o) for o in officers])


def test_the_assessment_read_for_its_period_equals_the_one_read_from_the_whole_history(
        city: World) -> None:
    """The assessment reads, in the database, only what its period can count (a deadline due
    in it, a decision made in it, a complaint received in it, a flag raised in it: a busy
    unit's whole history took 15 s, benchmarks/assessment_bench.py). On a synthetic city, every
    unit and officer, every month and quarter of its history and the ones around it, judged on
    two days: the same assessment as reading everything."""
    client = LedgerClient("http://testserver", city.token("poster"), http=city.http, retries=0,
                          batch_size=500)
    synthetic = SyntheticCity(CityParams.scale("tiny", seed=3), root_key=city.root,
                              root_key_id=ROOT_ID)
    load(synthetic, client, progress=False)
    city.project()
    store = city.ledger.store
    with store.cursor() as curs:
        curs.execute("SELECT DISTINCT state->>'unit_id' AS id FROM view_cases")
        units = sorted(r["id"] for r in curs.fetchall())
        curs.execute("SELECT officer_id AS id FROM view_officers WHERE state->>'kind' = "
                     "'officer' ORDER BY 1 LIMIT 6")
        officers = [r["id"] for r in curs.fetchall()]
        curs.execute("SELECT min(raised_at) AS lo, max(raised_at) AS hi FROM view_flags")
        span = curs.fetchone()
    first, last = date.fromisoformat(span["lo"][:10]), date.fromisoformat(span["hi"][:10])
    months = sorted({(d.year, d.month) for d in (first.replace(day=1) + timedelta(days=n)
                                                  for n in range(-31, (last - first).days + 62))})
    periods = [A.Period.parse(f"{y}-{m:02d}") for y, m in months] + \
        [A.Period.parse(q) for q in sorted({f"{y}-Q{(m - 1) // 3 + 1}" for y, m in months})]
    compared, seen = 0, set()
    for kind, ids in (("unit", units), ("officer", officers)):
        for ident in ids:
            for period in periods:
                for as_of in (period.end, last + timedelta(days=400)):
                    got = queries.assessment(store, kind, ident, period, as_of)
                    assert got == whole_history(store, kind, ident, period, as_of), \
                        (kind, ident, period.id, as_of)
                    compared += 1
                    seen.update(k for k, n in (
                        ("flags", sum(got["flags"]["raised"].values())),
                        ("deadlines", got["timeliness"]["cases_judged"]),
                        ("decisions", got["evidence"]["decisions"]),
                        ("complaints", got["complaints"]["received"])) if n)
    assert compared > 100 and seen == {"flags", "deadlines", "decisions", "complaints"}
