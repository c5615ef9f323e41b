"""Supervision and feedback (督办反馈): notices answered on time, late and never, sent back and
not resubmitted; RF27 raised when time passes; only an accepted feedback closes a notice; the
endpoints need an inspector or auditor and respect unit scoping."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from projections.oversight import supervision

from . import domain_factory as f
from .conftest import World
from .test_readmodels import city, post_steps  # noqa: F401  (fixture)

AT = datetime(2024, 9, 2, tzinfo=timezone.utc)
ON_TIME, LATE, NEVER, RETURNED, EARLY_ACCEPT = "SN-01", "SN-02", "SN-03", "SN-04", "SN-05"


def notice(nid: str, *, feedback: tuple[str, ...] = (), reviews: tuple[tuple[str, str], ...] = (),
           respond_by: str = "2024-06-20") -> list[f.Step]:
    s = f"supervision:{nid}"
    steps = [f.step(s, "SupervisionNoticeIssued", f.at("2024-06-03"), respond_by=respond_by,
                    issues=[{"issue_id": "1", "description": "当场收缴罚款未按期交至机关",
                             "officer_id": f.OFFICER_A}])]
    events = [(day, "feedback", None) for day in feedback] + \
             [(day, "review", result) for day, result in reviews]
    for day, kind, result in sorted(events):
        if kind == "feedback":
            steps.append(f.step(s, "SupervisionFeedbackSubmitted", f.at(day, "15:00:00")))
        else:
            steps.append(f.step(s, "SupervisionFeedbackAccepted", f.at(day, "16:00:00"),
                                result=result))
    return steps


def scenario() -> list[f.Step]:
    return (notice(ON_TIME, feedback=("2024-06-14",), reviews=(("2024-06-18", "accepted"),))
            + notice(LATE, feedback=("2024-06-25",), reviews=(("2024-06-27", "accepted"),))
            + notice(NEVER)
            + notice(RETURNED, feedback=("2024-06-14",),
                     reviews=(("2024-06-18", "rejected_resubmit"),))
            + notice(EARLY_ACCEPT, reviews=(("2024-06-05", "accepted"),),
                     respond_by="2024-12-31"))


def project(world: World, at: datetime = AT) -> None:
    world.http.app.app.state.flags.clock = lambda: at
    world.project()


def get(world: World, nid: str, **params: str) -> dict:
    response = world.http.get(f"/v1/supervision/{nid}", params=params,
                              headers=world.headers("inspector"))
    assert response.status_code == 200, response.text
    return response.json()


def rf27(world: World, nid: str) -> dict[str, dict]:
    return {x["rule_id"]: x for x in get(world, nid)["flags"]}


def test_notice_answered_on_time_and_accepted_is_closed_and_not_flagged(city: World) -> None:
    post_steps(city, scenario())
    project(city)
    n = get(city, ON_TIME)
    assert n["status"] == "closed" and n["accepted"] and n["closed_on"] == "2024-06-18"
    assert n["unit_id"] == f.UNIT and n["respond_by"] == "2024-06-20"
    (fb,) = n["feedback"]
    assert fb["late"] is False and fb["review"]["result"] == "accepted"
    assert n["issues"][0]["officer_id"] == f.OFFICER_A
    # no RF27; the scenario is posted today, dated 2024, with no import declared, so its
    # feedback is a record back-dated across respond_by, which the page lists (RF08.g)
    assert list(rf27(city, ON_TIME)) == ["RF08.g"]


def test_notice_answered_late_is_flagged_with_the_late_feedback(city: World) -> None:
    post_steps(city, scenario())
    project(city)
    n = get(city, LATE)
    assert n["status"] == "closed" and n["feedback"][0]["late"] is True
    flag = rf27(city, LATE)["RF27.a"]
    assert flag["status"] == "cleared" and flag["numbers"]["days_late"] == 5
    assert flag["cleared_by"] == n["feedback"][0]["event_id"]
    assert flag["subject"]["unit_id"] == f.UNIT and flag["legal_basis"]


def test_notice_never_answered_is_overdue_and_flagged_once_the_deadline_passes(city: World
                                                                               ) -> None:
    post_steps(city, scenario())
    project(city, datetime(2024, 6, 20, 12, tzinfo=timezone.utc))   # 20:00 on the last day
    assert get(city, NEVER, at="2024-06-20")["status"] == "open"
    assert "RF27.a" not in rf27(city, NEVER)
    project(city)                                   # time passes, no event arrives
    assert get(city, NEVER, at="2024-06-21")["status"] == "overdue"
    flag = rf27(city, NEVER)["RF27.a"]
    assert flag["status"] == "raised" and flag["raised_at"] == "2024-06-21T00:00:00+08:00"


def test_a_sent_back_feedback_not_resubmitted_is_flagged_and_the_notice_stays_open(
        city: World) -> None:
    post_steps(city, scenario())
    project(city)
    n = get(city, RETURNED)
    assert n["status"] == "returned" and not n["accepted"]
    flag = rf27(city, RETURNED)["RF27.b"]
    assert flag["status"] == "raised" and flag["numbers"]["due"] == "2024-07-02"
    # resubmitted and accepted: closed, and RF27.b now names the late resubmission
    post_steps(city, notice(RETURNED, feedback=("2024-07-10",),
                            reviews=(("2024-07-11", "accepted"),))[1:])
    project(city)
    n = get(city, RETURNED)
    assert n["status"] == "closed" and len(n["feedback"]) == 2
    assert rf27(city, RETURNED)["RF27.b"]["status"] == "cleared"


def test_only_an_accepted_feedback_closes_a_notice(city: World) -> None:
    post_steps(city, scenario())
    project(city)
    n = get(city, EARLY_ACCEPT, at="2024-07-01")
    assert n["status"] == "open" and not n["accepted"]
    assert n["out_of_order"][0]["type"] == "SupervisionFeedbackAccepted"
    unreviewed = notice("SN-06", feedback=("2024-06-10",))
    post_steps(city, unreviewed)
    project(city)
    n = get(city, "SN-06")
    assert n["status"] == "answered"
    assert rf27(city, "SN-06")["RF27.c"]["status"] == "raised"     # supervisor sat on it


def test_list_filters_by_status_and_unit_and_pages(city: World) -> None:
    post_steps(city, scenario())
    project(city)
    h = city.headers("auditor")
    everything = city.http.get("/v1/supervision", params={"at": "2024-09-01"}, headers=h).json()
    assert {n["notice_id"]: n["status"] for n in everything["notices"]} == {
        ON_TIME: "closed", LATE: "closed", NEVER: "overdue", RETURNED: "returned",
        EARLY_ACCEPT: "open"}
    closed = city.http.get("/v1/supervision", params={"status": "closed"}, headers=h).json()
    assert sorted(n["notice_id"] for n in closed["notices"]) == [ON_TIME, LATE]
    page = city.http.get("/v1/supervision", params={"limit": "2"}, headers=h).json()
    assert len(page["notices"]) == 2 and page["next_offset"] == 2
    assert city.http.get("/v1/supervision", params={"status": "lost"},
                         headers=h).status_code == 422


def test_supervision_needs_an_inspector_and_respects_unit_scope(city: World) -> None:
    post_steps(city, scenario())
    project(city)
    assert city.http.get("/v1/supervision").status_code == 401
    assert city.http.get("/v1/supervision", headers=city.headers("poster")).status_code == 403
    assert city.http.get(f"/v1/supervision/{ON_TIME}",
                         headers=city.headers("poster")).status_code == 403
    other = {"Authorization": "Bearer " + city.token("inspector", principal="jw-xh",
                                                     units=("SH-XH-CG-09",))}
    assert city.http.get("/v1/supervision", headers=other).json()["notices"] == []
    assert city.http.get(f"/v1/supervision/{ON_TIME}", headers=other).status_code == 404
    assert city.http.get("/v1/supervision", params={"unit": f.UNIT},
                         headers=other).status_code == 404
    assert city.http.get(f"/v1/streams/supervision:{ON_TIME}/events",
                         headers=other).status_code == 404
    mine = {"Authorization": "Bearer " + city.token("inspector", principal="jw-hp",
                                                    units=(f.UNIT,))}
    assert len(city.http.get("/v1/supervision", headers=mine).json()["notices"]) == 5
    assert city.http.get(f"/v1/supervision/{ON_TIME}", headers=mine).status_code == 200
    assert city.http.get("/v1/supervision/SN-404", headers=mine).status_code == 404


@pytest.mark.parametrize("url,field", [
    ("/v1/supervision?at=2024-13-45", "query.at"), ("/v1/supervision?at=2024-02-30", "query.at"),
    ("/v1/units/U-1/assessment?period=2024-Q2&at=2024-02-30", "query.at"),
    # digits are ASCII digits ([0-9], not \\d, which admits Arabic-Indic ones)
    ("/v1/supervision?at=\u0662\u0660\u0662\u0664-01-01", "query.at"),
    ("/v1/units/U-1/assessment?period=\u0662\u0660\u0662\u0664-Q2", "query.period")])
def test_an_impossible_at_day_is_refused_naming_it(world: World, url: str, field: str) -> None:
    """The query pattern admits 2024-02-30; reading it as a date was a 500."""
    response = world.http.get(url, headers=world.headers("inspector"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(":invalid-request") and problem["field"] == field


def test_supervision_rebuilt_from_the_log_equals_incremental(city: World) -> None:
    steps = scenario()
    views = city.http.app.app.state.views
    for s in steps:
        post_steps(city, [s])
        views.run_until_idle()
    incremental = views.snapshot("supervision")
    views.reset()
    views.run_until_idle()
    assert views.snapshot("supervision") == incremental and len(incremental) == 5
    assert views.rebuild(fetch=4) == city.count() and views.snapshot("supervision") == incremental


def test_a_feedback_recorded_before_its_notice_is_judged_late_once_the_notice_arrives() -> None:
    """Out of order: the unit's answer is on the ledger before the notice it answers. Once the
    notice (respond_by 20 June) arrives, an answer of 25 June is late."""
    issue, answer = notice(LATE, feedback=("2024-06-25",))
    history = f.History()
    state = None
    for rec in history.extend([answer, issue]):
        state = supervision.apply(state, rec, offset_minutes=480)
    assert state is not None and [x["late"] for x in state["feedback"]] == [True]


def test_a_notice_shows_its_flags_however_many_newer_ones_its_unit_has(city: World) -> None:
    """A notice's flags are its own, not the first of its unit's newest RF27 flags: with more
    than a page of newer overdue notices, the oldest one still shows its flag."""
    steps = notice(NEVER, respond_by="2024-06-10")
    for i in range(101):
        steps += notice(f"SN-X{i:03d}", respond_by="2024-06-20")
    post_steps(city, steps)
    project(city)
    assert "RF27.a" in rf27(city, NEVER)


def test_the_list_is_newest_first_by_instant_whatever_the_offset(city: World) -> None:
    """09:00 Beijing time written in UTC (01:00Z) is newer than 08:30 written at +08:00."""
    issue = notice(ON_TIME)[0]
    post_steps(city, [
        f.Step("supervision:SN-A", issue.type, "2024-06-03T08:30:00+08:00", issue.body),
        f.Step("supervision:SN-B", issue.type, "2024-06-03T01:00:00Z", issue.body)])
    project(city)
    listed = city.http.get("/v1/supervision", headers=city.headers("auditor")).json()
    assert [n["notice_id"] for n in listed["notices"]] == ["SN-B", "SN-A"]


def test_a_notice_dated_ahead_of_its_recording_shows_that_flag_on_its_page(city: World) -> None:
    """RF08.f (a record dated after the ledger recorded it) is about the notice: its page lists
    it beside the RF27 flags, as the queue does (GET /v1/flags?rule_id=RF08.f)."""
    post_steps(city, [f.step("supervision:SN-2099", "SupervisionNoticeIssued", f.at("2099-06-03"),
                             respond_by="2099-06-20",
                             issues=[{"issue_id": "1", "description": "当场收缴罚款未按期交至机关",
                                      "officer_id": f.OFFICER_A}])])
    project(city, datetime.now(timezone.utc))
    flag = rf27(city, "SN-2099")["RF08.f"]
    assert flag["status"] == "raised" and flag["scope"] == "supervision:SN-2099"


def test_today_is_the_ledgers_day_not_the_serving_processs(city: World,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """A notice due tomorrow is open today. A service whose host clock is three days ahead
    called it overdue: without ``at`` the legal day was its process's; it is the ledger's
    (the database server's clock, UTC+8)."""
    from datetime import timedelta

    from ledger.domain.calendar import CST

    from .clocks import database_clock, skew_process_clock

    now = database_clock(city.owner_url).astimezone(CST)
    tomorrow = (now + timedelta(days=1)).date().isoformat()
    post_steps(city, [f.step("supervision:SN-77", "SupervisionNoticeIssued",
                             (now - timedelta(hours=1)).isoformat(), respond_by=tomorrow,
                             issues=[{"issue_id": "1", "description": "当场收缴罚款未按期交至机关",
                                      "officer_id": f.OFFICER_A}])])
    skew_process_clock(monkeypatch, timedelta(days=3))
    city.project()
    assert get(city, "SN-77")["status"] == "open"
    listed = city.http.get("/v1/supervision", headers=city.headers("inspector")).json()
    assert [n["status"] for n in listed["notices"] if n["notice_id"] == "SN-77"] == ["open"]
