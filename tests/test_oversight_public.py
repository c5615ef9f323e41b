"""Public disclosure (公示): the feed and page over signed histories — publication on time and
late (RF12.e), withdrawal after revocation in time and left up (RF12.f), and redaction: no
party identifier or other personal value of the underlying events appears in the feed or page."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ledger.canonical import canonical
from ledger.client import sign_envelope

from . import domain_factory as f
from .conftest import World
from .test_readmodels import city, post_steps  # noqa: F401  (fixture)

AT = datetime(2025, 12, 1, tzinfo=timezone.utc)
STATIC = Path(__file__).resolve().parent.parent / "api" / "static" / "public"
FEED_FIELDS = {"status", "decision_no", "violation", "legal_basis", "legal_basis_cited",
               "penalty", "decided_on",
               "organisation", "unit_id", "published_on", "publication_ref", "channel", "url"}
WITHDRAWN_FIELDS = {"status", "decision_no", "publication_ref", "unit_id", "published_on",
                    "withdrawn_on", "withdrawal_reason"}
REVOKED_FIELDS = {"status", "decision_no", "publication_ref", "unit_id", "published_on",
                  "revoked_on"}
#: body fields that hold a person or anything else personal
PERSONAL = {"party_ref", "officer_id", "cert_no", "decided_by", "approved_by", "closed_by",
            "archived_by", "filed_by", "reviewer_id", "presider_id", "chaired_by",
            "participants", "reviewed_by", "submitted_by", "handler", "accused_officers",
            "complainant_ref", "shown_to", "assigned_officer_id", "device_id", "recipient_ref",
            "place", "grid_id", "content_sha256", "receipt_sha256", "record_sha256"}


def variant(steps: list[f.Step], case_id: str, *, drop: tuple[str, ...] = (),
            moved: dict[str, str] | None = None, **body: Any) -> list[f.Step]:
    """A lifecycle on ``case:<case_id>`` with its own decision number, some steps dropped or
    moved to another day, and body fields overridden in every step that has them."""
    out = []
    no = f"沪黄城管罚〔2024〕第{case_id[-3:]}号"
    for s in steps:
        if s.type in drop:
            continue
        b = dict(s.body)
        if "decision_no" in b:
            b["decision_no"] = no
        for k, v in body.items():
            if k in b:
                b[k] = v
        occurred = s.occurred_at
        if moved and s.type in moved:
            occurred = f.at(moved[s.type])
        out.append(dataclasses.replace(s, stream=f"case:{case_id}", occurred_at=occurred,
                                       body=b))
    return out


ON_TIME, LATE, NEVER = "SH-HP-2024-000201", "SH-HP-2024-000202", "SH-HP-2024-000203"
WITHDRAWN_OK, LEFT_UP = "SH-HP-2025-000301", "SH-HP-2025-000302"
INDIVIDUAL = "SH-HP-2024-000204"
PERSON_NAME = "张三个体户"


def histories() -> list[f.Step]:
    general, withdrawn = f.general_case(), f.withdrawn_case()
    person = {"party_ref": f.VENDOR, "party_type": "individual", "org_name": PERSON_NAME}
    return (f.staff() + variant(general, ON_TIME)
            + variant(general, LATE, moved={"DecisionPublished": "2024-09-02"})
            + variant(general, NEVER, drop=("DecisionPublished",))
            + variant(general, INDIVIDUAL, party=person, parties=[person])
            + variant(withdrawn, WITHDRAWN_OK)
            + variant(withdrawn, LEFT_UP, drop=("DecisionPublicationWithdrawn",)))


def project(world: World) -> None:
    world.http.app.app.state.flags.clock = lambda: AT
    world.project()


def feed(world: World, **params: str) -> dict:
    response = world.http.get("/v1/public/decisions", params=params)     # no token
    assert response.status_code == 200, response.text
    return response.json()


def flags_of(world: World, case_id: str, rule_id: str) -> list[dict]:
    page = world.http.get("/v1/flags", params={"case": case_id, "rule_id": rule_id},
                          headers=world.headers("inspector")).json()
    return page["flags"]


def test_feed_shows_published_decisions_only_without_authentication(city: World) -> None:
    post_steps(city, histories())
    project(city)
    entries = {e["decision_no"]: e for e in feed(city)["decisions"]}
    no = {cid: f"沪黄城管罚〔2024〕第{cid[-3:]}号" for cid in (ON_TIME, LATE, NEVER, INDIVIDUAL,
                                                             WITHDRAWN_OK, LEFT_UP)}
    assert set(entries) == {no[c] for c in (ON_TIME, LATE, INDIVIDUAL, WITHDRAWN_OK, LEFT_UP)}
    on_time = entries[no[ON_TIME]]
    assert set(on_time) == FEED_FIELDS and on_time["status"] == "published"
    assert on_time["violation"] == {"code": "PILEUP_SH", "name": "擅自占用道路等公共场所堆放物品"}
    assert on_time["penalty"] == {"types": ["fine"], "amount_fen": 300_000}
    assert on_time["decided_on"] == "2024-08-08" and on_time["published_on"] == "2024-08-14"
    assert on_time["unit_id"] == f.UNIT and on_time["organisation"] == "上海某某建材有限公司"
    assert on_time["legal_basis"] == "SH_SRHW 第25条"
    # as a citizen reads it: the page showed the ledger's code for the regulation
    assert on_time["legal_basis_cited"] == "《上海市市容环境卫生管理条例》第25条"
    assert entries[no[INDIVIDUAL]]["organisation"] is None
    withdrawn = entries[no[WITHDRAWN_OK]]
    assert set(withdrawn) == WITHDRAWN_FIELDS and withdrawn["status"] == "withdrawn"
    assert withdrawn["withdrawal_reason"] == "decision_revoked"
    assert entries[no[LEFT_UP]]["status"] == "revoked"


def test_a_revoked_decision_left_published_shows_as_revoked_without_its_content(
        city: World) -> None:
    """APL 第48条第2款: a revoked decision's information is withdrawn and the reason stated. Until
    the agency withdraws the publication the feed showed the revoked decision's content as
    published; it now shows only that the decision was revoked and since when (the
    withdrawal with its reason is still owed, and RF12.f flags it when late)."""
    post_steps(city, histories())
    project(city)
    no = f"沪黄城管罚〔2024〕第{LEFT_UP[-3:]}号"
    (left,) = [e for e in feed(city)["decisions"] if e["decision_no"] == no]
    assert left == {"status": "revoked", "decision_no": no,
                    "publication_ref": left["publication_ref"], "unit_id": f.UNIT,
                    "published_on": "2025-04-02", "revoked_on": "2025-04-03"}
    assert set(left) == REVOKED_FIELDS
    # the decision made anew after a revocation is published in full, by its own entry
    anew = f.redecided_case()
    post_steps(city, anew)
    project(city)
    shown = {e["decision_no"]: e["status"] for e in feed(city, limit="50")["decisions"]}
    decided = [s.body["decision_no"] for s in anew if s.type == "PenaltyDecided"]
    assert [shown[d] for d in decided] == ["withdrawn", "published"]


def test_feed_filters_by_unit_and_publication_day_and_pages(city: World) -> None:
    post_steps(city, histories())
    project(city)
    assert len(feed(city)["decisions"]) == 5
    assert feed(city, unit="SH-XH-CG-09")["decisions"] == []
    september = feed(city, **{"from": "2024-09-01", "to": "2024-09-30"})["decisions"]
    assert [e["published_on"] for e in september] == ["2024-09-02"]
    first = feed(city, limit="2")
    assert len(first["decisions"]) == 2 and first["next_offset"] == 2
    rest = feed(city, limit="10", offset="2")
    assert len(rest["decisions"]) == 3 and rest["next_offset"] is None
    seen = [e["decision_no"] for e in first["decisions"] + rest["decisions"]]
    assert len(set(seen)) == 5
    assert city.http.get("/v1/public/decisions", params={"from": "May 1"}).status_code == 422


def test_feed_refuses_an_offset_beyond_a_bigint_and_serves_one_at_it(world: World) -> None:
    """OFFSET is a PostgreSQL bigint: 2^63 was passed on and answered 500."""
    response = world.http.get("/v1/public/decisions", params={"offset": str(2**63)})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "query.offset"
    response = world.http.get("/v1/public/decisions", params={"offset": str(2**63 - 1)})
    assert response.status_code == 200 and response.json()["decisions"] == []


@pytest.mark.parametrize("params,field", [
    ({"from": "2024-13-45"}, "query.from"), ({"to": "2024-02-30"}, "query.to"),
    ({"from": "\u0662\u0660\u0662\u0664-01-01"}, "query.from")])
def test_feed_refuses_a_day_that_is_no_date(world: World, params: dict, field: str) -> None:
    """An impossible day used to filter nothing (200, an empty page) instead of being refused."""
    response = world.http.get("/v1/public/decisions", params=params)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith(":invalid-request") and problem["field"] == field


def test_publication_on_time_is_not_flagged_and_late_or_missing_is(city: World) -> None:
    post_steps(city, histories())
    project(city)
    assert flags_of(city, ON_TIME, "RF12.e") == []
    (late,) = flags_of(city, LATE, "RF12.e")
    assert late["status"] == "cleared" and late["numbers"]["due"] == "2024-08-19"
    assert late["numbers"]["met_at"].startswith("2024-09-02") and late["numbers"]["days_late"] > 0
    (never,) = flags_of(city, NEVER, "RF12.e")
    assert never["status"] == "raised" and never["raised_at"].startswith("2024-08-20")


def test_revoked_decision_withdrawn_in_time_is_not_flagged_and_one_left_up_is(city: World
                                                                             ) -> None:
    post_steps(city, histories())
    project(city)
    assert flags_of(city, WITHDRAWN_OK, "RF12.f") == []
    (left,) = flags_of(city, LEFT_UP, "RF12.f")
    assert left["status"] == "raised"
    # 2025-04-03 + 3 working days across Qingming (Apr 4–6) is Apr 9; raised as Apr 9 ends
    assert left["numbers"]["due"] == "2025-04-09"
    assert left["raised_at"].startswith("2025-04-10")


def _personal(value: Any, key: str | None, out: set[str]) -> None:
    if isinstance(value, dict):
        individual = value.get("party_type") == "individual"
        for k, v in value.items():
            if k == "org_name" and individual:
                out.add(v)
            _personal(v, k, out)
    elif isinstance(value, list):
        for v in value:
            _personal(v, key, out)
    elif isinstance(value, str) and (key in PERSONAL or value.startswith("pty:")):
        out.add(value)


def test_no_personal_value_of_any_underlying_event_appears_in_the_feed_or_page(city: World
                                                                               ) -> None:
    envelopes = post_steps(city, histories())
    project(city)
    secrets: set[str] = set()
    for env in envelopes:
        _personal(env["body"], None, secrets)
    assert f.VENDOR in secrets and f.COMPANY in secrets and f.OFFICER_A in secrets
    assert PERSON_NAME in secrets
    text = json.dumps(feed(city, limit="200"), ensure_ascii=False)
    assert [s for s in secrets if s in text] == []
    page = city.http.get("/public/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    sources = page.text + "".join(city.http.get(f"/public/{name}").text
                                  for name in ("app.js", "style.css"))
    assert "/v1/public/decisions" in sources
    assert [s for s in secrets if s in sources] == []
    stored = city.http.app.app.state.views.snapshot("publications")
    assert [s for s in secrets if s in json.dumps(stored, ensure_ascii=False)] == []


def test_public_page_is_served_without_authentication_in_both_languages(city: World) -> None:
    page = city.http.get("/public/")
    assert page.status_code == 200
    assert "行政处罚决定公示" in page.text and "Published penalty decisions" in page.text
    assert "https://" not in page.text      # no CDN
    assert (STATIC / "index.html").is_file()


def test_public_records_rebuilt_from_the_log_equal_incremental_ones(city: World) -> None:
    steps = histories()
    views = city.http.app.app.state.views
    for i in range(0, len(steps), 17):
        post_steps(city, steps[i:i + 17])
        views.run_until_idle()
    incremental = views.snapshot("publications")
    views.reset()
    views.run_until_idle()
    assert views.snapshot("publications") == incremental and len(incremental) == 6
    views.rebuild(fetch=5)                  # one pass, every state kept in memory to the end
    assert views.snapshot("publications") == incremental


def test_the_feed_pages_through_its_index_as_the_states_say_and_an_older_home_gets_it(
        city: World) -> None:
    """The feed finds its page in view_public_entries (one row per publication, kept by a
    trigger on the states) instead of expanding every state on each request: every page, filter
    and rebuild must list exactly what the stored states say, newest publication first, and a
    home whose states were written before the entries existed gets them from `ledger init`."""
    import psycopg

    from ledger.store import LedgerStore, datastore_from_url
    from projections.readmodels import ReadModels

    post_steps(city, histories() + [dataclasses.replace(s, stream="case:SH-HP-2024-000299")
                                    for s in f.general_case()])
    views = city.http.app.app.state.views
    views.run_until_idle()

    def expected(unit: str | None = None, since: str = "", until: str = "9999") -> list:
        rows = [(p["published_on"], p["publication_ref"], cid, n, p["decision_no"])
                for cid, st in views.snapshot("publications").items()
                for n, p in enumerate(st["publications"], 1)
                if unit in (None, st["unit_id"]) and since <= p["published_on"] <= until]
        return [(day, ref, no) for day, ref, _, _, no in sorted(rows, reverse=True)]

    def paged(**params: str) -> list:
        out, offset = [], 0
        while offset is not None:
            page = feed(city, limit="2", offset=str(offset), **params)
            out += [(e["published_on"], e["publication_ref"], e["decision_no"])
                    for e in page["decisions"]]
            offset = page["next_offset"]
        return out

    def every_view() -> None:
        assert paged() == expected() and len(expected()) == 6
        assert paged(unit=f.UNIT) == expected(f.UNIT)
        assert paged(unit="SH-XX") == [] == expected("SH-XX")
        assert paged(**{"from": "2024-08-20", "to": "2024-09-05"}) == expected(
            since="2024-08-20", until="2024-09-05")

    every_view()
    views.reset()
    views.run_until_idle()
    every_view()
    with psycopg.connect(city.owner_url, autocommit=True) as conn:     # as city_bench does
        conn.execute("TRUNCATE view_public_decisions")
    assert paged() == []
    views.rebuild(fetch=5)
    every_view()
    with psycopg.connect(city.owner_url, autocommit=True) as conn:     # as before 2026-11-29
        conn.execute("DROP TRIGGER view_public_entries_sync ON view_public_decisions")
        conn.execute("DROP TRIGGER view_public_entries_truncate ON view_public_decisions")
        conn.execute("DROP TABLE view_public_entries")
    owner = LedgerStore(datastore_from_url(city.owner_url, pool_size=1, max_overflow=0))
    try:
        assert owner.schema_behind() == ("view_public_entries has no column publication_ref "
                                         "(added 2026-11-29: the public feed's index of "
                                         "publications)")
        ReadModels(owner).create_tables()                          # what `ledger init` runs
        assert owner.schema_behind() is None
    finally:
        owner.close()
    every_view()


def test_a_decision_published_before_its_filing_is_recorded_is_listed_under_its_unit(
        city: World) -> None:
    """Out of order: decision and publication are on the ledger before the filing that names
    the unit. Once the filing arrives the entry carries the unit and the unit filter finds it —
    folded one event per batch or all at once alike."""
    g = {s.type: s for s in f.general_case("SH-HP-2024-000901")}
    post_steps(city, f.staff() + [g["PenaltyDecided"], g["DecisionPublished"], g["CaseFiled"]])
    views = city.http.app.app.state.views
    while views.process(limit=1):
        pass
    project(city)
    [entry] = feed(city, unit=f.UNIT)["decisions"]
    assert entry["unit_id"] == f.UNIT
    incremental = views.snapshot("publications")
    views.reset()
    views.run_until_idle()
    assert views.snapshot("publications") == incremental


def test_a_revoked_decision_recorded_again_stays_revoked_on_the_feed(city: World) -> None:
    """An integrator's retry signed the decision again after its revocation (a new event id:
    same number, instant and fine): the feed took it for the decision made afresh and showed the
    revoked decision in full as published, while the case page read it withdrawn."""
    case_id = "SH-HP-2025-000031"
    steps = [s for s in f.withdrawn_case(case_id) if s.type not in (
        "DecisionPublicationWithdrawn", "CaseClosed")]
    decision = next(s for s in steps if s.type == "PenaltyDecided")
    post_steps(city, f.staff() + steps + [decision])
    project(city)
    [entry] = feed(city)["decisions"]
    assert (entry["status"], entry["revoked_on"]) == ("revoked", "2025-04-03")
    case = city.http.get(f"/v1/cases/{case_id}", headers=city.headers("inspector")).json()
    assert (case["state"], case["decision"]["status"], case["amounts"]["current_fen"]) == (
        "NOT_PENALISED", "withdrawn", 0)


def test_published_entry_shows_the_decision_its_publication_names(city: World) -> None:
    """The feed showed whatever decision or amendment the case recorded last: an amendment
    naming no decision of the case (the case model refuses it) changed the published amount,
    and a decision made anew under another number was shown under the published number."""
    case_id = "SH-HP-2024-000902"
    s, no = f"case:{case_id}", "沪黄城管罚〔2024〕第123号"
    stray = f.step(s, "PenaltyAmended", f.at("2024-08-15"), decision_no="沪黄城管罚〔2024〕第999号",
                   previous_amount_fen=300_000, amount_fen=100, penalty_types=["warning"])
    post_steps(city, f.staff() + f.general_case(case_id) + [stray])
    project(city)
    [entry] = feed(city)["decisions"]
    assert entry["decision_no"] == no
    assert entry["penalty"] == {"types": ["fine"], "amount_fen": 300_000}
    anew = f.step(s, "PenaltyDecided", f.at("2024-09-20"), decision_no="沪黄城管罚〔2024〕第456号",
                  amount_fen=50_000, party={"party_ref": f.COMPANY,
                                            "party_type": "organisation"})
    amended = f.step(s, "PenaltyAmended", f.at("2024-09-21"), decision_no=no,
                     previous_amount_fen=300_000, amount_fen=200_000, penalty_types=["fine"])
    post_steps(city, [anew, amended])
    project(city)
    [entry] = feed(city)["decisions"]      # amended after publication: no content shown
    assert (entry["status"], entry["decision_no"]) == ("amended", no)
    assert entry["amended_on"] == "2024-09-21"


def test_an_amendment_recorded_before_its_decision_changes_the_published_penalty(
        city: World) -> None:
    """Out of order: the approved amendment reaches the ledger before the decision it changes.
    The case model applies it once the decision arrives; the public feed dropped it and kept
    showing the penalty as first decided."""
    case_id = "SH-HP-2024-000903"
    steps = f.general_case(case_id)
    no = "沪黄城管罚〔2024〕第123号"
    amended = f.step(f"case:{case_id}", "PenaltyAmended", f.at("2024-08-13"), decision_no=no,
                     previous_amount_fen=300_000, amount_fen=200_000, penalty_types=["fine"])
    early = f.step(f"case:{case_id}", "PenaltyAmended", f.at("2024-08-01"), decision_no=no,
                   previous_amount_fen=300_000, amount_fen=1, penalty_types=["warning"])
    decided = next(i for i, s in enumerate(steps) if s.type == "PenaltyDecided")
    post_steps(city, f.staff() + steps[:decided] + [amended, early] + steps[decided:])
    project(city)
    [entry] = feed(city)["decisions"]
    assert entry["penalty"] == {"types": ["fine"], "amount_fen": 200_000}
    response = city.http.get(f"/v1/cases/{case_id}", headers=city.headers("inspector"))
    assert response.json()["amounts"]["current_fen"] == 200_000


def test_a_publication_naming_no_decision_of_the_case_shows_the_decision_in_force(
        city: World) -> None:
    """As the case model counts such a publication as the decision in force's, the feed shows
    that decision's content under the published number (not an entry without content)."""
    case_id = "SH-HP-2024-000904"
    steps = [s if s.type != "DecisionPublished" else
             dataclasses.replace(s, body={**s.body, "decision_no": "沪黄城管罚〔2024〕123号"})
             for s in f.general_case(case_id)]
    post_steps(city, f.staff() + steps)
    project(city)
    [entry] = feed(city)["decisions"]
    assert entry["decision_no"] == "沪黄城管罚〔2024〕123号"
    assert entry["penalty"] == {"types": ["fine"], "amount_fen": 300_000}
    assert entry["decided_on"] == "2024-08-08"


def test_each_publication_keeps_its_own_entry_and_withdrawal(city: World) -> None:
    """The feed held one publication per case: a decision made anew and published after the
    first publication was withdrawn replaced the withdrawn marker (APL 第48条第2款: the
    reason stays public), and withdrawing one of two channels' publications marked the other,
    still valid one, as withdrawn."""
    case_id = "SH-HP-2025-000905"
    s, new_no = f"case:{case_id}", "沪黄城管罚〔2025〕第77号"
    anew = [f.step(s, "PenaltyDecided", f.at("2025-04-15"), decision_no=new_no,
                   amount_fen=150_000, party={"party_ref": f.COMPANY,
                                              "party_type": "organisation"}),
            f.step(s, "DecisionPublished", f.at("2025-04-18"), decision_no=new_no,
                   publication_ref="PUB-2025-HP-0500")]
    post_steps(city, f.staff() + [x for x in f.withdrawn_case(case_id)
                                  if x.type != "CaseClosed"] + anew)
    project(city)
    entries = feed(city)["decisions"]
    assert [(e["status"], e["decision_no"], e["publication_ref"]) for e in entries] == [
        ("published", new_no, "PUB-2025-HP-0500"),
        ("withdrawn", "沪黄城管罚〔2025〕第31号", "PUB-2024-HP-0412")]
    assert entries[0]["penalty"] == {"types": ["fine"], "amount_fen": 150_000}
    assert entries[1]["withdrawal_reason"] == "decision_revoked"
    credit = f.step(s, "DecisionPublished", f.at("2025-04-19"), decision_no=new_no,
                    channel="credit_platform", publication_ref="PUB-2025-CR-0009")
    wrong = f.step(s, "DecisionPublicationWithdrawn", f.at("2025-04-21"), decision_no=new_no,
                   publication_ref="PUB-2025-CR-0009", reason="error")
    post_steps(city, [credit, wrong])
    project(city)
    entries = feed(city)["decisions"]
    assert [(e["status"], e["publication_ref"]) for e in entries] == [
        ("withdrawn", "PUB-2025-CR-0009"), ("published", "PUB-2025-HP-0500"),
        ("withdrawn", "PUB-2024-HP-0412")]
    assert len(feed(city, limit="1", offset="2")["decisions"]) == 1
    assert feed(city, **{"from": "2025-04-18", "to": "2025-04-18"})["decisions"][0][
        "publication_ref"] == "PUB-2025-HP-0500"


def test_an_id_number_typed_into_a_published_field_is_refused_and_never_shown(
        city: World) -> None:
    """Redaction chose fields, not their content: an ID number typed into the legal basis of a
    decision was signed into the log and published as posted. Now it is refused at the door
    (422 naming the field, nothing written); an honest decision passes, and an identifier typed
    into an organisation's name is masked in the record and the feed."""
    case_id = "SH-HP-2024-000906"
    steps = f.general_case(case_id)
    post_steps(city, f.staff() + [s for s in steps if s.type not in ("PenaltyDecided",
                                                                     "DecisionPublished")])
    decided = next(s for s in steps if s.type == "PenaltyDecided")
    key = f"{f.signer_role(decided.type)}-01"
    leaky = {**decided.body, "legal_basis": "SH_SRHW 第25条 310101199001011234"}
    leaky = sign_envelope(city.keys[key], key, stream=decided.stream, type=decided.type,
                          body=leaky, occurred_at=decided.occurred_at)
    before = city.count()
    response = city.post_raw(canonical(leaky))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["body.legal_basis"]
    assert city.count() == before
    company = {"party_ref": f.COMPANY, "party_type": "organisation",
               "org_name": "上海某某建材有限公司（联系人13812345678，310101900101123）"}
    post_steps(city, [dataclasses.replace(decided, body={**decided.body, "party": company})]
               + [s for s in steps if s.type == "DecisionPublished"])
    project(city)
    [entry] = feed(city)["decisions"]
    assert entry["legal_basis"] == "SH_SRHW 第25条"
    # a 15-digit ID number shows no digit of its birth date (900101) either
    assert entry["organisation"] == "上海某某建材有限公司（联系人138****5678，310*********123）"
    stored = json.dumps(city.http.app.app.state.views.snapshot("publications"),
                        ensure_ascii=False)
    assert "310101199001011234" not in stored and "13812345678" not in stored
    assert "1123" not in stored and "900101" not in stored


def test_a_decision_amended_after_publication_shows_as_amended_until_withdrawn_and_republished(
        city: World) -> None:
    """APL 第48条第2款: a published decision that is changed (变更) is owed a withdrawal within
    three days, as a revoked one is. The feed kept showing it as published, with the amended
    penalty under the original publication; it now shows only that the decision was amended
    and since when, and the amended decision appears in full when it is published again."""
    case_id = "SH-HP-2024-000907"
    s, no = f"case:{case_id}", "沪黄城管罚〔2024〕第123号"
    amended = f.step(s, "PenaltyAmended", f.at("2024-09-02"), decision_no=no,
                     previous_amount_fen=300_000, amount_fen=200_000, penalty_types=["fine"])
    post_steps(city, f.staff() + f.general_case(case_id) + [amended])
    project(city)
    [entry] = feed(city)["decisions"]
    assert entry == {"status": "amended", "decision_no": no, "publication_ref": "PUB-2024-HP-0412",
                     "unit_id": f.UNIT, "published_on": "2024-08-14", "amended_on": "2024-09-02"}
    withdrawn = f.step(s, "DecisionPublicationWithdrawn", f.at("2024-09-03"), decision_no=no,
                       publication_ref="PUB-2024-HP-0412", reason="decision_changed")
    again = f.step(s, "DecisionPublished", f.at("2024-09-04"), decision_no=no,
                   publication_ref="PUB-2024-HP-0600")
    post_steps(city, [withdrawn, again])
    project(city)
    entries = feed(city)["decisions"]
    assert [(e["status"], e["publication_ref"]) for e in entries] == [
        ("published", "PUB-2024-HP-0600"), ("withdrawn", "PUB-2024-HP-0412")]
    assert entries[0]["penalty"] == {"types": ["fine"], "amount_fen": 200_000}
    assert entries[1]["withdrawal_reason"] == "decision_changed"
