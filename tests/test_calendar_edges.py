"""Instants at the edges of the calendar (years 0001 and 9999, any offset): the red-flag
helpers are total over them, and an event the door accepts there is projected and flagged
like any other, without stopping the events after it (docs/red-flags.md, "Dates at the edges
of the calendar")."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from api.cli import main as ledger_main

from ledger.canonical import canonical
from ledger.domain.calendar import legal_date
from ledger.client import sign_envelope
from ledger.logview import LogView
from projections.redflags import national
from projections.redflags.days import (day_iso, iso, month_bounds, month_of, next_month,
                                       quarter_of, ts_of)
from projections.redflags.facts import quarter_shift

from . import domain_factory as f
from .bundles import export_all
from .conftest import LOG_ORIGIN, World
from .test_readmodels import city, post_steps  # noqa: F401  (fixture)

EARLIEST = "0001-01-01T00:00:00+14:00"      # 0000-12-31T10:00:00Z
LATEST = "9999-12-31T23:59:59-14:00"        # 10000-01-01T13:59:59Z
TOP = date.max.toordinal()
AT = datetime(2024, 12, 2, tzinfo=timezone.utc)


# --- the helpers, at the edges ----------------------------------------------------------------

@pytest.mark.parametrize("instant", ["1969-12-31T23:59:59.5+08:00",
                                     "0999-05-01T23:59:59.250+08:00",
                                     "0001-01-02T23:59:59.999999+08:00"])
def test_the_last_fraction_of_a_second_before_1970_stays_on_its_legal_day(instant: str) -> None:
    """``ts_of`` dropped sub-seconds by truncating toward zero, which before the epoch is the
    next second: an act at 23:59:59.5 fell on the next legal day for every rule reading its
    day (a credential's last valid day, RF12.h's bar) — a day later than ``legal_date``, which
    the case view counts with."""
    days = national().days()
    assert day_iso(days.day(ts_of(instant))) == legal_date(instant).isoformat()


def test_quarters_and_months_of_years_below_1000_have_four_digits() -> None:
    day = date(999, 5, 1).toordinal()
    assert quarter_of(day) == "0999-Q2" and month_of(day) == "0999-05"
    assert quarter_of(date(24, 12, 31).toordinal()) == "0024-Q4"
    assert quarter_shift("0999-Q4", 1) == "1000-Q1" and quarter_shift("0024-Q1", -1) == "0023-Q4"
    assert sorted(["2024-Q1", "0999-Q2"]) == ["0999-Q2", "2024-Q1"]


def test_legal_days_beyond_year_9999_and_before_year_1_have_expanded_years() -> None:
    assert day_iso(TOP) == "9999-12-31" and day_iso(TOP + 1) == "+10000-01-01"
    assert day_iso(0) == "0000-12-31" and day_iso(-366) == "-0001-12-31"
    assert quarter_of(TOP + 1) == "+10000-Q1" and quarter_shift("9999-Q4", 1) == "+10000-Q1"
    assert quarter_shift("+10000-Q1", -1) == "9999-Q4"
    assert month_of(0) == "0000-12" and next_month("9999-12") == "+10000-01"
    assert month_bounds("+10000-01") == (TOP + 1, TOP + 31)
    assert month_bounds("0000-02")[1] - month_bounds("0000-02")[0] == 28     # a leap year


@pytest.mark.parametrize("instant, legal", [
    (LATEST, "+10000-01-01T21:59:59+08:00"),
    (EARLIEST, "0000-12-31T18:00:00+08:00"),
    ("0999-05-01T00:00:00+08:00", "0999-05-01T00:00:00+08:00"),
    ("2024-10-09T00:00:00+08:00", "2024-10-09T00:00:00+08:00"),
])
def test_iso_writes_every_accepted_instant_in_legal_time_and_reads_it_back(
        instant: str, legal: str) -> None:
    ts = ts_of(instant)
    assert iso(ts) == legal and ts_of(legal) == ts
    assert ts_of(iso(ts, -840)) == ts


def test_iso_agrees_with_datetime_wherever_datetime_can_say() -> None:
    for ts in (ts_of("0001-01-02T00:00:00Z"), 0, ts_of("9999-12-30T23:59:59Z"), 1_728_403_200):
        for offset in (480, -840, 840, 0, -30):
            tz = timezone(timedelta(minutes=offset))
            assert iso(ts, offset) == datetime.fromtimestamp(ts, tz).isoformat()


# --- through the service ----------------------------------------------------------------------

def at_the_edge(case_id: str, instant: str) -> list[f.Step]:
    """A summary case whose every event, evidence capture and violation happened at
    ``instant``."""
    steps = []
    for s in f.summary_case(case_id):
        body = dict(s.body)
        for name in ("violation_occurred_at", "captured_at"):
            if name in body:
                body[name] = instant
        steps.append(f.Step(s.stream, s.type, instant, body))
    return steps


def flagged(world: World, case_id: str) -> list[dict]:
    response = world.http.get(f"/v1/cases/{case_id}", headers=world.headers("inspector"))
    assert response.status_code == 200, response.text
    return response.json()["flags"]


@pytest.mark.parametrize("instant", ["0999-05-01T10:00:00+08:00", "0024-05-01T10:00:00+08:00",
                                     "0001-01-02T10:00:00+08:00", "9999-12-30T10:00:00+08:00"])
def test_a_case_at_the_edge_of_the_calendar_is_projected_and_later_events_still_are(
        city: World, instant: str) -> None:
    post_steps(city, f.staff() + at_the_edge("SH-HP-2024-S-000001", instant))
    city.project()
    post_steps(city, f.summary_case("SH-HP-2024-S-000002", amount_fen=20_000))
    city.project()
    flagged(city, "SH-HP-2024-S-000001")
    assert "RF04.a" in {x["rule_id"] for x in flagged(city, "SH-HP-2024-S-000002")}



def test_rebuild_and_offline_flags_fold_cases_at_the_edges_like_the_service(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_key) -> None:  # noqa: ANN001
    """`ledger rebuild` and `ledger flags FILE` crashed on the same helpers as the service."""
    post_steps(city, f.staff() + at_the_edge("SH-HP-2024-S-000001", "0999-05-01T10:00:00+08:00")
               + at_the_edge("SH-HP-2024-S-000003", "9999-12-30T10:00:00+08:00")
               + f.summary_case("SH-HP-2024-S-000002", amount_fen=20_000))
    city.project()
    views, flags = city.http.app.app.state.views, city.http.app.app.state.flags
    flags.refresh_all(AT)
    held, cases = flags.snapshot(), views.snapshot("cases")
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", city.owner_url)
    with contextlib.redirect_stdout(io.StringIO()):
        assert ledger_main(["rebuild", "--batch", "7"]) == 0
    assert views.snapshot("cases") == cases
    bundle = tmp_path / "all.ndjson"
    export_all(city, LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
                             signing_key=log_key), bundle)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert ledger_main(["flags", str(bundle), "--at", AT.isoformat()]) == 0, err.getvalue()
    assert {v["flag_id"]: v for v in map(json.loads, out.getvalue().splitlines())} == held
    assert any(v["raised_at"].startswith("0999-") for v in held.values())

# --- the door ---------------------------------------------------------------------------------

def refused(world: World, steps: list[f.Step]) -> dict:
    envelopes = [sign_envelope(world.keys[f"{f.signer_role(s.type)}-01"],
                               f"{f.signer_role(s.type)}-01", stream=s.stream, type=s.type,
                               body=s.body, occurred_at=s.occurred_at) for s in steps]
    before = world.count()
    response = world.post_raw(canonical(envelopes))
    assert response.status_code == 422, response.text
    assert world.count() == before
    return response.json()


@pytest.mark.parametrize("instant", [LATEST, EARLIEST, "9999-12-31T00:00:00Z"])
def test_an_instant_whose_date_cannot_be_represented_is_refused_naming_the_field(
        city: World, instant: str) -> None:
    post_steps(city, f.staff())
    filed, evidence = f.summary_case("SH-HP-2024-S-000001")[0:3:2]
    problem = refused(city, [f.Step(filed.stream, filed.type, instant, filed.body)])
    assert problem["field"] == "occurred_at" and "cannot be dated" in problem["detail"]
    body = {**evidence.body, "captured_at": instant}
    problem = refused(city, [filed, f.Step(evidence.stream, evidence.type, evidence.occurred_at,
                                           body)])
    assert "body.captured_at" in problem["detail"] and "cannot be dated" in problem["detail"]
    post_steps(city, f.summary_case("SH-HP-2024-S-000002", amount_fen=20_000))
    city.project()
    assert "RF04.a" in {x["rule_id"] for x in flagged(city, "SH-HP-2024-S-000002")}
