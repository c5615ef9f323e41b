"""A case with several parties (共同违法): each party's decision is judged by its own service,
publication, changes and money — a co-party's decision is not the first party's decision made
anew (issue #5)."""

from __future__ import annotations

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_world import (
    GENERAL,
    SUMMARY,
    World,
    change,
    drop,
    general_case,
    insert_after,
    numbers,
)

G = f"case:{GENERAL}"
S = f"case:{SUMMARY}"
COMPANY_NO = "沪黄城管罚〔2024〕第123号"
VENDOR_NO = "沪黄城管罚〔2024〕第124号"
VENDOR = {"party_ref": f.VENDOR, "party_type": "individual"}
COMPANY = {"party_ref": f.COMPANY, "party_type": "organisation"}


def two_parties(*drop_vendor: str) -> list[f.Step]:
    """``general_case`` against the company and, for the same pile, a vendor decided the day
    after the company: each decision served, published and paid by events naming it (the
    company's service, publication and payment come after the vendor's decision in world
    time). ``drop_vendor``: the vendor's steps of these types left out."""
    steps = change(general_case(), "CaseFiled", parties=[COMPANY, VENDOR])
    steps = change(steps, "TreasuryReconciled", amount_fen=600_000)    # the case's total
    vendor = [
        step(G, "PenaltyDecided", at("2024-08-09"), decision_no=VENDOR_NO, party=VENDOR,
             amount_fen=300_000),
        step(G, "DecisionServed", at("2024-08-13"), decision_no=VENDOR_NO, party_ref=f.VENDOR,
             method="post", party_present=False),
        step(G, "DecisionPublished", at("2024-08-15"), decision_no=VENDOR_NO,
             publication_ref="PUB-2024-HP-0413"),
        step(G, "PaymentRecorded", at("2024-08-21"), decision_no=VENDOR_NO, amount_fen=300_000,
             payment_id="PAY-3101-2024-778813"),
    ]
    return insert_after(steps, "PenaltyDecided",
                        *[s for s in vendor if s.type not in drop_vendor])


def _decision(world: World, party_ref: str) -> str:
    [eid] = [e.event_id for e in world.events if e.type == "PenaltyDecided"
             and e.body["party"]["party_ref"] == party_ref]
    return eid


def test_each_partys_decision_is_served_published_and_paid_by_its_own_events() -> None:
    """The vendor decided a day after the company "replaced" the company's decision: the
    company's service and publication, dated after it, were no longer its own (RF12.c/e), and
    both parties' money was the vendor's (RF06.b: 6 000 CNY received of 3 000)."""
    world = World(two_parties())
    assert world.flags(rule="RF12") == []
    assert world.flags(rule="RF06") == []


def test_a_co_partys_service_does_not_serve_a_party() -> None:
    """The vendor never served: the company's service (naming its own decision) counted as the
    vendor's."""
    world = World(two_parties("DecisionServed"))
    flag = world.one("RF12.c")
    assert (flag.party_ref, flag.event_ids) == (f.VENDOR,
                                                (_decision(world, f.VENDOR),))


def test_rf06_judges_each_partys_decision_by_its_own_money() -> None:
    """The company never paid and the case was closed as paid: only the latest decision of the
    case (the vendor's, paid) was judged. The company's decision is short at the closing and
    unpaid after its period; the vendor's raises nothing."""
    steps = drop(two_parties(), "PaymentRecorded")
    steps = insert_after(steps, "DecisionPublished", step(
        G, "PaymentRecorded", at("2024-08-21"), decision_no=VENDOR_NO, amount_fen=300_000,
        payment_id="PAY-3101-2024-778813"))
    world = World(steps)
    flags = world.flags(rule="RF06")
    assert {(fl.rule_id, fl.party_ref) for fl in flags} == {("RF06.b", f.COMPANY),
                                                           ("RF06.e", f.COMPANY)}
    [short] = [fl for fl in flags if fl.rule_id == "RF06.b"]
    assert (numbers(short)["received_fen"], numbers(short)["due_fen"]) == (0, 300_000)


def test_rf15_judges_an_amendment_under_the_decision_it_names() -> None:
    """The company's decision amended above the maximum after the vendor's was decided: the
    amendment was judged under the vendor's decision (the one "in force" in world time)."""
    amend = step(G, "PenaltyAmended", at("2024-08-15"), decision_no=COMPANY_NO,
                 previous_amount_fen=300_000, amount_fen=520_000)
    world = World(insert_after(two_parties(), "DecisionPublished", amend))
    flag = world.one("RF15.a")
    assert (flag.party_ref, numbers(flag)["amount_fen"]) == (f.COMPANY, 520_000)
    [amended] = [e.event_id for e in world.events if e.type == "PenaltyAmended"]
    assert flag.event_ids == (amended,)


def test_rf15_ignores_an_amendment_naming_another_decision() -> None:
    """An amendment naming a number the case has no decision of changes nothing (RF20.d says
    so): it was judged as an amendment of the decision in force."""
    amend = step(G, "PenaltyAmended", at("2024-08-15"), decision_no="沪黄城管罚〔2024〕第999号",
                 previous_amount_fen=300_000, amount_fen=520_000)
    world = World(insert_after(general_case(), "DecisionPublished", amend))
    assert world.flags(rule="RF15") == []
    assert world.one("RF20.d")


def test_rf10_reads_an_amendment_of_a_partys_decision_after_a_co_partys() -> None:
    """APL 第45条第2款: the company, heard, had its decision amended above its notice after the
    vendor's decision; the amendment was not the company decision's (a later decision was "in
    force"), so RF10 raised nothing."""
    amend = step(G, "PenaltyAmended", at("2024-08-15"), decision_no=COMPANY_NO,
                 previous_amount_fen=300_000, amount_fen=400_000)
    world = World(insert_after(two_parties(), "DecisionPublished", amend))
    flag = world.one("RF10")
    assert flag.party_ref == f.COMPANY
    assert numbers(flag)["amended_fen"] == 400_000



def summary_two_parties() -> list[f.Step]:
    """``summary_case``: the vendor fined 100 CNY on the spot and paid in cash; a minute later
    the company beside it fined 300 CNY under its own form (paid at the bank)."""
    steps = change(f.summary_case(SUMMARY), "CaseFiled", parties=[VENDOR, COMPANY])
    return insert_after(steps, "PenaltyDecided", step(
        S, "PenaltyDecided", at("2024-09-30", "10:06:00"), decision_no="HP-S-2024-004513",
        procedure="summary", party=COMPANY, violation_code="STALL_SH",
        legal_basis="SH_SRHW 第25条", penalty_types=["fine"], amount_fen=30_000,
        decided_by=[f.OFFICER_A, f.OFFICER_B], form_no="HP-S-2024-004513",
        benchmark_tier="minor", payment_method="e_payment"))


def test_rf04_judges_cash_under_the_decision_it_names() -> None:
    """The vendor's 100 CNY, collected after the company's decision, was judged under the
    company's 300 CNY: collected where the law does not allow it (RF04.a, above 100 CNY) and
    differing from the fine (RF04.b)."""
    assert World(summary_two_parties()).flags(rule="RF04") == []


def test_rf03_judges_an_amendment_of_a_partys_summary_decision_after_a_co_partys() -> None:
    """The vendor's summary fine amended to 250 CNY (above the 200 CNY APL 第51条 allows for an
    individual) after the company's decision was not the vendor decision's amendment: nothing
    raised."""
    amend = step(S, "PenaltyAmended", at("2024-09-30", "11:00:00"),
                 decision_no="HP-S-2024-004512", previous_amount_fen=10_000, amount_fen=25_000)
    flag = World(insert_after(summary_two_parties(), "DecisionServed", amend)).one("RF03")
    assert (flag.party_ref, numbers(flag)["amount_fen"]) == (f.VENDOR, 25_000)


def company_unpaid(*money: f.Step) -> list[f.Step]:
    """``two_parties`` where the company never pays, with ``money`` (naming its decision) after
    the vendor's payment."""
    return insert_after(drop(two_parties(), "PaymentRecorded"), "DecisionPublished", step(
        G, "PaymentRecorded", at("2024-08-21"), decision_no=VENDOR_NO, amount_fen=300_000,
        payment_id="PAY-3101-2024-778813"), *money)


def test_a_surcharge_is_judged_under_the_decision_it_names() -> None:
    """The company's late-payment surcharge, assessed after the vendor was decided, was read in
    world time as the vendor's: the vendor (paid in full) was short by it at the closing and
    the company's unpaid fine had no follow-up (RF06.e). Naming the company's decision, it is
    the company's follow-up and due: the company (closed as paid, nothing received) raises
    RF06.b, the vendor nothing; the case's closing RF06.a (the treasury's 6 000 CNY, not the
    7 800 both parties' decisions were due)."""
    surcharge = step(G, "SurchargeAssessed", at("2024-09-20"), decision_no=COMPANY_NO,
                     principal_fen=300_000, days=20, surcharge_fen=180_000,
                     from_date="2024-08-28", to_date="2024-09-16")
    flags = World(company_unpaid(surcharge)).flags(rule="RF06")
    assert {(fl.rule_id, fl.party_ref) for fl in flags} == {("RF06.b", f.COMPANY),
                                                           ("RF06.a", None)}
    assert numbers(next(fl for fl in flags if fl.rule_id == "RF06.a"))["due_fen"] == 780_000
    [short] = [fl for fl in flags if fl.rule_id == "RF06.b"]
    assert numbers(short)["due_fen"] == 480_000


def test_an_instalment_plan_is_counted_for_the_decision_it_names() -> None:
    """The company's deferral, approved after the vendor was decided, was read in world time as
    the vendor's: the company's fine was judged due on the statutory day, its plan ignored."""
    plan = step(G, "InstalmentApproved", at("2024-08-22"), decision_no=COMPANY_NO,
                kind="deferral", schedule=[{"due_date": "2024-10-30", "amount_fen": 300_000}])
    flag = World(company_unpaid(plan)).one("RF06.e")
    assert (flag.party_ref, numbers(flag)["plan"], numbers(flag)["payment_due"]) == (
        f.COMPANY, "deferral", "2024-10-30")


def _reconciled(amount_fen: int) -> list[f.Step]:
    return change(two_parties(), "TreasuryReconciled", amount_fen=amount_fen)


def test_the_treasury_reconciles_the_cases_total_of_every_partys_fine() -> None:
    """A TreasuryReconciled names no decision: it is the total credited for the case. Closed as
    paid, each party's decision was held to it alone: the treasury's 6 000 CNY for both parties'
    3 000 raised RF06.a for each, and 3 000 (one party's fine, the other's missing) raised
    nothing (two_parties reconciled 3 000 until then). The case's closing is now judged once,
    against the sum of the fines it closes."""
    assert World(_reconciled(600_000)).flags(rule="RF06") == []
    flag = World(_reconciled(300_000)).one("RF06.a")
    assert (flag.party_ref, numbers(flag)["due_fen"]) == (None, 600_000)
    assert numbers(flag)["parties"] == sorted([[f.COMPANY, 300_000], [f.VENDOR, 300_000]])


def test_a_party_not_penalised_by_name_is_a_party_an_officers_relation_conflicts_with() -> None:
    """The vendor, named only by the decision not to penalise them (共同违法: the company
    fined), was no party of the case for the flags: the head related to the vendor who decided
    it raised no RF19.a. It is the vendor's outcome, as a waiver naming them is."""
    relation = step(f"officer:{f.HEAD}", "RelationshipDeclared", at("2024-01-10"),
                    party_ref=f.VENDOR)
    spared = step(G, "NoPenaltyDecided", at("2024-07-01"), ground="minor_and_corrected",
                  legal_basis="APL 第33条第1款", decided_by=[f.HEAD], party_ref=f.VENDOR)
    world = World([relation], insert_after(general_case(), "LegalReviewCompleted", spared))
    flag = world.one("RF19.a")
    assert (flag.officer_id, numbers(flag)["relation"]) == (f.HEAD, "relative")
