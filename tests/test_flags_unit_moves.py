"""A case or an officer that changes unit: the live flag projection re-evaluates every scope
whose flags name that unit, so what it holds equals a full rebuild after each change
(docs/red-flags.md, "apply returns every subject an event can change").

A case changes unit by a `CaseFiled` of another unit than its clue's or its first filing's
(移送管辖); the ``party:`` flags naming the case and the statistical flags (``cohort:``,
``grid:``) counting its decisions carry that unit. An officer changes unit by a
``PostAssigned`` or credential of another unit; their ``officer:`` flags carry it. The live
path here is the real one: events appended through the ledger into PostgreSQL, then the flag
projection run as the service runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from ledger.canonical import canonical
from ledger.client import sign_envelope
from ledger.crypto import SigningKey
from ledger.domain import vocabulary
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from ledger.synth.generator import SyntheticCity
from ledger.synth.params import CityParams
from projections.flagsview import FlagsView
from projections.oversight import levels

from .conftest import ROOT_ID

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Town:
    """The small synthetic city appended through the ledger, with its keys and envelopes."""

    def __init__(self, database: tuple[str, str], root_key: SigningKey) -> None:
        _, app_url = database
        self.store = LedgerStore(datastore_from_url(app_url), url=app_url)
        self.ledger = Ledger(self.store, root_keys={ROOT_ID: root_key.public_key},
                             types=vocabulary)
        city = SyntheticCity(CityParams.scale("small", seed=0), root_key=root_key,
                             root_key_id=ROOT_ID)
        self.envelopes = list(city.envelopes())
        self.keys = {info.key_id: info.key for info in city.keys}
        for i in range(0, len(self.envelopes), 1000):
            self.ledger.append(canonical(self.envelopes[i:i + 1000]))
        self.units = sorted({e["body"]["unit_id"] for e in self.envelopes
                             if e["type"] == "CaseFiled"})

    def append(self, like: dict[str, Any], occurred_at: str, **body: Any) -> None:
        """Append an event of ``like``'s stream and type, signed by ``like``'s key, with
        ``like``'s body changed by ``body``."""
        key_id = like["signer"].removeprefix("key:")
        env = sign_envelope(self.keys[key_id], key_id, stream=like["stream"], type=like["type"],
                            occurred_at=occurred_at, body={**like["body"], **body})
        self.ledger.append(canonical([env]))

    def refile(self, case_id: str) -> str:
        """File case ``case_id`` again, by another unit, naming no party and no place (so
        nothing but the unit changes); returns the new unit."""
        (filed,) = [e for e in self.envelopes
                    if e["stream"] == f"case:{case_id}" and e["type"] == "CaseFiled"]
        other = next(u for u in self.units if u != filed["body"]["unit_id"])
        when = datetime.fromisoformat(filed["occurred_at"]) + timedelta(days=1)
        body = {k: v for k, v in filed["body"].items() if k != "location"}
        self.append({**filed, "body": body}, when.isoformat(), unit_id=other, parties=[])
        return other

    def close(self) -> None:
        self.ledger.close()
        self.store.close()


@pytest.fixture
def town(database: tuple[str, str], root_key: SigningKey) -> Iterator[Town]:
    t = Town(database, root_key)
    yield t
    t.close()


def live_equals_rebuild(live: FlagsView, store: LedgerStore) -> dict[str, Any]:
    """Bring ``live`` up to date as the service does, and check that its flags and warning
    levels equal those a full rebuild of the same log writes; returns the flags."""
    live.run_until_idle()
    held, held_levels = live.snapshot(), levels.snapshot(store)["levels"]
    rebuilt = FlagsView(store, clock=lambda: AT)
    rebuilt.rebuild(AT)
    expected = rebuilt.snapshot()
    moved = {fid: (held.get(fid, {}).get("subject"), expected.get(fid, {}).get("subject"))
             for fid in set(held) | set(expected) if held.get(fid) != expected.get(fid)}
    assert moved == {}, "live flags differ from a rebuild"
    assert held_levels == levels.snapshot(store)["levels"]
    return expected


def test_flags_follow_a_case_filed_again_by_another_unit(town: Town) -> None:
    live = FlagsView(town.store, clock=lambda: AT)
    live.reset()
    flags = live_equals_rebuild(live, town.store)
    # a party's flag names the case, and carries its unit
    party = next(x for x in flags.values() if x["scope"].startswith("party:")
                 and x["subject"]["case_id"])
    case_id = party["subject"]["case_id"]
    other = town.refile(case_id)
    flags = live_equals_rebuild(live, town.store)
    assert flags[party["flag_id"]]["subject"]["unit_id"] == other

    # every case of an officer whose void rate is flagged, filed again one by one: the
    # statistical flags about the officer move with the majority of their cases
    void = next(x for x in flags.values() if x["rule_id"] == "RF20.c")
    officer = void["subject"]["officer_id"]
    cases = sorted({e["stream"].removeprefix("case:") for e in town.envelopes
                    if e["type"] == "CaseFiled" and officer in
                    {r["officer_id"] for r in e["body"]["officers"]}} - {case_id})
    assert len(cases) > 10
    before = void["subject"]["unit_id"]
    for cid in cases:
        town.refile(cid)
        live.process()
    flags = live_equals_rebuild(live, town.store)
    assert flags[void["flag_id"]]["subject"]["unit_id"] != before


def test_flags_follow_an_officer_posted_to_another_unit(town: Town) -> None:
    live = FlagsView(town.store, clock=lambda: AT)
    live.reset()
    flags = live_equals_rebuild(live, town.store)
    own = next(x for x in flags.values() if x["scope"].startswith("officer:"))
    officer = own["subject"]["officer_id"]
    post = [e for e in town.envelopes
            if e["stream"] == f"officer:{officer}" and e["type"] == "PostAssigned"][-1]
    other = next(u for u in town.units if u != own["subject"]["unit_id"])
    when = (datetime.fromisoformat(post["body"]["window_from"]) + timedelta(days=30))
    town.append(post, when.isoformat(), unit_id=other, post_id=f"{post['body']['post_id']}-2",
                window_from=when.isoformat(), window_until=None)
    flags = live_equals_rebuild(live, town.store)
    assert flags[own["flag_id"]]["subject"]["unit_id"] == other
