"""Poison: a signed event the door accepts must never stop the projections. Each test posts an
event a poster with a valid key could send, then shows that the read models and red flags fold
it and go on — a case posted after it is still flagged — and that the reads about it answer."""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import asgi, create_app
from ledger.crypto import SigningKey
from ledger.envelope import Recorded
from ledger.schemas import MAX_SAFE_INT
from projections import readmodels
from projections.redflags import engine
from projections.redflags.engine import compute_flags
from projections.runner import ProjectionRunner

from . import domain_factory as f
from .conftest import World
from .test_flags_api import held_and_offline
from .test_readmodels import city, post_steps  # noqa: F401  (fixture)

LATER = "SH-HP-2025-S-000777"


def still_flags_later_misconduct(world: World, *, cases: tuple[str, ...] = (),
                                 officers: tuple[str, ...] = ()) -> None:
    """Project (raising if a projection cannot fold what was posted), then post 200 yuan taken
    in cash on the spot (RF04.a) and see it flagged; the reads of what was poisoned answer."""
    world.project()
    post_steps(world, f.summary_case(LATER, day="2025-06-02", amount_fen=20_000))
    world.project()
    inspector = world.headers("inspector")
    response = world.http.get("/v1/flags", params={"rule": "RF04"}, headers=inspector)
    assert response.status_code == 200, response.text
    assert LATER in {x["subject"]["case_id"] for x in response.json()["flags"]}
    for case_id in cases:
        for path in (f"/v1/cases/{case_id}", f"/v1/cases/{case_id}/trail"):
            response = world.http.get(path, headers=inspector)
            assert response.status_code == 200, (path, response.text)
    for officer_id in officers:
        response = world.http.get(f"/v1/officers/{officer_id}", headers=inspector)
        assert response.status_code == 200, response.text
    response = world.http.get("/v1/flags", headers=inspector)
    assert response.status_code == 200, response.text


def test_cash_collected_summing_past_the_safe_integers_does_not_stop_the_flags(
        city: World, tmp_path: Path, log_key: SigningKey) -> None:
    """Each amount is within ±(2^53-1), as the door requires, but the case's total is not: a
    flag's numbers held it as an integer no canonical JSON may carry, and evaluating the case
    raised on every attempt — no new flag for anyone after it. The sum is now decimal text, and
    ``ledger flags FILE`` computes the same flags offline."""
    case_id = "SH-HP-2024-S-004512"
    steps = f.staff() + f.summary_case(case_id)
    post_steps(city, steps)
    collected = next(s for s in steps if s.type == "OnsiteCashCollected")
    post_steps(city, [dataclasses.replace(collected, body={**collected.body,
                                                           "amount_fen": MAX_SAFE_INT - 1})])
    still_flags_later_misconduct(city, cases=(case_id,), officers=(f.OFFICER_A,))
    held, offline = held_and_offline(city, tmp_path, log_key)
    assert offline == held
    assert str(MAX_SAFE_INT - 1 + 10_000) in {v["numbers"].get("received_fen")
                                               for v in held.values() if v["rule_id"] == "RF06.b"}


def test_cash_collected_summing_past_64_bits_does_not_stop_the_read_models(city: World) -> None:
    """2,050 collections of 2^53-1 fen in one case: the case's total no longer fits the 64 bits
    the read models' JSON encoder takes, and saving the case raised on every attempt — no case,
    officer or complaint view moved on after it. Each on its own receipt: the same collection
    posted again is one (docs/events.md, decision 6)."""
    case_id = "SH-HP-2024-S-004512"
    steps = f.staff() + f.summary_case(case_id)
    post_steps(city, steps)
    collected = next(s for s in steps if s.type == "OnsiteCashCollected")

    def huge(n: int) -> f.Step:
        return dataclasses.replace(collected, body={**collected.body, "amount_fen": MAX_SAFE_INT,
                                                    "receipt_no": f"SH-FK-HUGE-{n:05d}"})
    for k in range(3):
        post_steps(city, [huge(700 * k + i) for i in range(700)])
    still_flags_later_misconduct(city, cases=(case_id, LATER), officers=(f.OFFICER_A,))
    post_steps(city, [huge(2100)])        # folded onto the wide total read back, exactly
    city.project()
    response = city.http.get(f"/v1/cases/{case_id}", headers=city.headers("inspector"))
    assert response.status_code == 200, response.text
    assert response.json()["money"]["cash"]["collected_fen"] == MAX_SAFE_INT * 2101 + 10_000


def test_a_projection_that_cannot_fold_an_event_says_where_and_since_when(
        city: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug we have not found: the read models raise on a case's closing. They fold every
    event before it and stop there, and /healthz and /metrics — public — say so: how many
    events wait, since when, how many attempts failed and the log index of the event; not the
    error nor the event's id, which name cases (they go to the log). The flags go on."""
    post_steps(city, f.staff())
    city.project()
    fold = readmodels.Fold.apply

    def closing_fails(self: readmodels.Fold, rec: Recorded) -> None:
        if rec.type == "CaseClosed":
            raise RuntimeError("a bug we have not found")
        fold(self, rec)

    monkeypatch.setattr(readmodels.Fold, "apply", closing_fails)
    closed = post_steps(city, f.summary_case())[-1]
    event = city.http.get(f"/v1/events/{closed['event_id']}", headers=city.headers("inspector"))
    index = event.json()["receipt"]["index"]
    state = city.http.app.app.state
    runner = ProjectionRunner(city.ledger.store.connect, [state.views, state.flags],
                              poll_seconds=0.02, retry_seconds=0.05)
    started = datetime.now(timezone.utc)
    with TestClient(asgi(create_app(city.ledger, views=state.views, flags=state.flags,
                                    projections=runner))) as http:
        assert http.get("/healthz").json()["status"] == "ok"
        runner.start()
        try:
            deadline = time.monotonic() + 30
            while not ((stuck := runner.stuck().get("read_models")) and stuck.event) \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
            health = http.get("/healthz")
            metrics = http.get("/metrics").text
        finally:
            runner.stop()
    assert stuck is not None and stuck.event == {"log_index": index, "stream": closed["stream"],
                                                 "event_id": closed["event_id"],
                                                 "type": "CaseClosed"}
    body = health.json()
    assert health.status_code == 200 and body["status"] == "degraded"
    read_models = body["projections"]["read_models"]
    assert read_models["behind"] == 1 and read_models["stuck"]["at_log_index"] == index
    assert read_models["stuck"]["failures"] >= 1
    since = datetime.fromisoformat(read_models["stuck"]["since"].replace("Z", "+00:00"))
    assert started <= since <= datetime.now(timezone.utc)
    assert body["projections"]["flags"] == {"behind": 0}
    assert "a bug" not in health.text and closed["event_id"] not in health.text
    assert 'ledger_projection_behind{projection="read_models"} 1\n' in metrics
    assert 'ledger_projection_failures{projection="flags"} 0\n' in metrics
    assert 'ledger_projection_stuck_since_seconds{projection="flags"} 0\n' in metrics
    assert int(metrics.split('ledger_projection_stuck_since_seconds{projection="read_models"} ')
               [1].split("\n")[0]) >= int(started.timestamp())
    assert "a bug" not in metrics and closed["event_id"] not in metrics


@pytest.mark.parametrize("decided_at", ["9999-12-30T10:00:00+08:00", "0001-01-02T10:00:00+08:00"])
def test_an_officers_positions_answer_for_a_fine_decided_at_the_ends_of_the_calendar(
        city: World, decided_at: str) -> None:
    """A fine decided in the last quarter of 9999 (or the first of year 1) made RF17's windows
    reach a quarter no calendar has (+10000-Q1, 0000-Q2), and the dashboard's positions of every
    officer of that decision answered 500."""
    steps = [dataclasses.replace(s, occurred_at=decided_at) if s.type == "PenaltyDecided" else s
             for s in f.staff() + f.summary_case("SH-HP-2024-S-004512")]
    post_steps(city, steps)
    still_flags_later_misconduct(city, officers=(f.OFFICER_A,))
    response = city.http.get(f"/v1/officers/{f.OFFICER_A}/positions",
                             headers=city.headers("inspector"))
    assert response.status_code == 200, response.text
    assert response.json()["officer_id"] == f.OFFICER_A


def test_a_units_overview_answers_with_a_fine_decided_in_december_9999(city: World) -> None:
    """Whether a day lies in the last days of its month was asked of the first day of the next
    month — 10000-01-01 for a fine decided in December 9999, which no date holds: the unit's
    overview (every day of fines it ever had) answered 500."""
    steps = [dataclasses.replace(s, occurred_at="9999-12-30T10:00:00+08:00")
             if s.type == "PenaltyDecided" else s
             for s in f.staff() + f.summary_case("SH-HP-2024-S-004512")]
    post_steps(city, steps)
    still_flags_later_misconduct(city)
    response = city.http.get(f"/v1/units/{f.UNIT}/overview", headers=city.headers("inspector"))
    assert response.status_code == 200, response.text
    assert {"day": "9999-12-30", "count": 1, "amount_fen": 10_000, "period_end": "quarter"} \
        in response.json()["fines_per_day"]



def test_an_unqualified_legal_review_before_a_decision_made_anew_does_not_stop_the_flags(
        city: World, tmp_path: Path, log_key: SigningKey) -> None:
    """A case's decision withdrawn and made anew (重新作出), both after a legal review by someone
    not qualified: RF11.b raised the review's flag once per decision after it, under one flag id;
    storing the two in one statement failed (ON CONFLICT cannot affect a row twice) on every
    attempt, and no flag moved on for anyone. It is raised once, with the first decision after
    the review, and ``ledger flags FILE`` printed it twice: now once, as the service holds it."""
    case_id = "SH-HP-2025-000032"
    review = f.step(f"case:{case_id}", "LegalReviewCompleted", f.at("2025-03-26"),
                    reviewer_qualified=False)
    steps = f.redecided_case(case_id)
    first = next(i for i, s in enumerate(steps) if s.type == "PenaltyDecided")
    post_steps(city, f.staff() + steps[:first] + [review] + steps[first:])
    still_flags_later_misconduct(city, cases=(case_id,))
    held, offline = held_and_offline(city, tmp_path, log_key)
    assert offline == held
    (flag,) = [v for v in held.values() if v["rule_id"] == "RF11.b"]
    decisions = [e for e in case_view_events(city, case_id) if e["type"] == "PenaltyDecided"]
    assert flag["event_ids"] == [flag["discriminator"], decisions[0]["event_id"]]


def case_view_events(world: World, case_id: str) -> list[dict]:
    response = world.http.get(f"/v1/streams/case:{case_id}/events",
                              headers=world.headers("inspector"))
    assert response.status_code == 200, response.text
    return [e["envelope"] for e in response.json()["events"]]



def test_a_rule_that_raises_one_flag_twice_gives_it_once(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Whatever rule repeats a flag id (a bug like RF11.b's), the engine gives the first one
    only — to the service, which would otherwise fail to store them, and offline alike."""
    def twice(case: object, ctx: engine.Ctx) -> None:
        for decision in ("first", "second"):
            ctx.flag("RF11.b", "one review", anchor=0, raised=0, event_ids=[decision],
                     numbers={}, summary=decision, summary_zh="法制审核")

    monkeypatch.setitem(engine.RULES_BY_KIND, "case", (twice,))
    history = f.History().extend(f.summary_case())
    with caplog.at_level(logging.WARNING, logger="projections.redflags.engine"):
        (flag,) = compute_flags(history, at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert flag.rule_id == "RF11.b" and flag.event_ids == ("first",)
    assert "RF11.b raised flag" in caplog.text
