"""Who may write what: POST /v1/events as an attacker holding a poster token and a registered
non-root key, or a revoked key — every refusal names its rule and writes nothing (no stored
event, receipt or Merkle node)."""

from __future__ import annotations

import pytest

from ledger.canonical import canonical
from ledger.client import sign_envelope

from .conftest import ROOT_ID, World

HISTORY = ("stored_events", "ledger_receipts", "ledger_merkle_nodes")


def note(world: World, key_id: str = "app", *, stream: str = "case:SH-HP-2024-000123",
         text: str = "filed") -> dict:
    return world.sign(key_id, stream=stream, type="NoteRecorded", body={"note": text})


def refused(world: World, envelopes: object, status: int, code: str) -> dict:
    """Post ``envelopes``; assert the problem and that no history table grew."""
    before = [world.count(t) for t in HISTORY]
    response = world.post_raw(canonical(envelopes))
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["type"] == f"urn:integrity-ledger:problem:{code}", problem
    assert [world.count(t) for t in HISTORY] == before
    return problem


@pytest.fixture
def app_key(world: World):  # noqa: ANN201
    return world.register("app", ["case-app"])


def test_a_non_key_event_on_stream_keys_is_refused_whatever_the_vocabulary(
        world: World, app_key) -> None:
    """The registry is the fold of stream `keys`: the core let the vocabulary decide what goes
    there, and with one that did not (the tests' minimal one, an embedder's own) a case-app key
    put a NoteRecorded on it — written, and every later append failed on reloading the registry
    ("NoteRecorded is not a key-registry event"). Now the core refuses it, naming the stream."""
    problem = refused(world, note(world, stream="keys"), 422, "malformed-event")
    assert problem["field"] == "stream" and "keys" in problem["detail"]
    world.ledger.refresh_registry()
    world.post(note(world))                                 # the registry still loads


def test_a_key_registration_off_stream_keys_is_refused_and_registers_nothing(
        world: World) -> None:
    """A root-signed KeyRegistered on `case:…` would have been applied by the writer that took it
    and missed by every registry reload (which reads stream `keys`), so processes disagreed on
    whether the key exists; the offline verifier rejects it. Now refused at the door."""
    body = world.key_registered("side", ["case-app"])["body"]
    stray = sign_envelope(world.root, ROOT_ID, stream="case:SH-HP-2024-000123",
                          type="KeyRegistered", body=body)
    problem = refused(world, [stray, note(world, "side")], 422, "malformed-event")
    assert problem["field"] == "stream" and problem["index"] == 0
    refused(world, note(world, "side"), 422, "unknown-key")
