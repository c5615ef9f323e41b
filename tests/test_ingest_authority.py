"""Who may write what: POST /v1/events as an attacker holding a poster token and a registered
non-root key, or a revoked key — every refusal names its rule and writes nothing (no stored
event, receipt or Merkle node)."""

from __future__ import annotations

import threading

import psycopg
import pytest

from ledger.canonical import canonical
from ledger.client import sign_envelope
from ledger.errors import KeyRevoked

from .conftest import ROOT_ID, World

HISTORY = ("stored_events", "ledger_receipts", "ledger_merkle_nodes")


def note(world: World, key_id: str = "app", *, stream: str = "case:SH-HP-2024-000123",
         text: str = "filed") -> dict:
    return world.sign(key_id, stream=stream, type="NoteRecorded", body={"note": text})


def revocation(world: World, key_id: str) -> dict:
    return sign_envelope(world.root, ROOT_ID, stream="keys", type="KeyRevoked",
                         body={"key_id": key_id, "reason": "device lost"})


def history(world: World) -> list[int]:
    """How many rows each history table holds."""
    with psycopg.connect(world.owner_url) as conn:
        return [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in HISTORY]


def refused(world: World, envelopes: object, status: int, code: str) -> dict:
    """Post ``envelopes`` (or a body); assert the problem and that no history table grew."""
    before = history(world)
    response = world.post_raw(envelopes if isinstance(envelopes, bytes) else canonical(envelopes))
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["type"] == f"urn:integrity-ledger:problem:{code}", problem
    assert history(world) == before
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


def test_a_key_cannot_revoke_itself_nor_another_key(world: World, app_key) -> None:
    world.register("other", ["case-app"])
    for target in ("app", "other"):
        forged = world.sign("app", stream="keys", type="KeyRevoked",
                            body={"key_id": target, "reason": "mine now"})
        problem = refused(world, forged, 403, "key-not-allowed")
        assert "must be signed by a root key" in problem["detail"]
    world.post(note(world, "other"))                        # neither was revoked


def test_a_key_cannot_register_itself(world: World) -> None:
    own = world.key_registered("self-made", ["case-app"])
    forged = world.sign("self-made", stream="keys", type="KeyRegistered", body=own["body"])
    refused(world, forged, 422, "unknown-key")


def test_an_event_before_its_keys_registration_in_one_batch_is_refused(world: World) -> None:
    """Inside a batch the order is the log order: a key registered at index i signs from i+1."""
    registration = world.key_registered("late", ["case-app"])
    problem = refused(world, [note(world, "late"), registration], 422, "unknown-key")
    assert problem["index"] == 0
    receipts = world.post([registration, note(world, "late")])
    assert [r["index"] for r in receipts] == [0, 1]


def test_an_event_after_its_keys_revocation_in_one_batch_is_refused(world: World,
                                                                     app_key) -> None:
    problem = refused(world, [revocation(world, "app"), note(world)], 403, "key-revoked")
    assert problem["index"] == 1


def test_a_registered_key_id_is_never_registered_again(world: World, app_key) -> None:
    """Not a root's id, nor a revoked key's: an old root signature cannot revive either."""
    refused(world, world.key_registered(ROOT_ID, ["case-app"]), 409, "conflict")
    world.revoke("app")
    refused(world, world.key_registered("app", ["case-app"]), 409, "conflict")
    world.keys["app"] = app_key                    # key_registered made a new key of that id
    refused(world, note(world), 403, "key-revoked")


def test_revocation_takes_effect_exactly_at_its_log_position_under_concurrency(
        world: World, app_key) -> None:
    """Requests racing a KeyRevoked: each event signed by the key lands before it in the log or
    is refused as revoked; none is recorded after it."""
    statuses: list[int] = []

    def post(envelope: dict) -> None:
        statuses.append(world.post_raw(canonical(envelope)).status_code)

    events = [note(world, text=str(i)) for i in range(40)]
    threads = [threading.Thread(target=post, args=(e,)) for e in events[:20]]
    threads.append(threading.Thread(target=post, args=(revocation(world, "app"),)))
    threads += [threading.Thread(target=post, args=(e,)) for e in events[20:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with psycopg.connect(world.owner_url) as conn:
        rows = conn.execute("SELECT log_index, event_type FROM ledger_receipts "
                            "ORDER BY log_index").fetchall()
    (revoked_at,) = [i for i, t in rows if t == "KeyRevoked"]
    notes = [i for i, t in rows if t == "NoteRecorded"]
    assert all(i < revoked_at for i in notes)
    assert sorted(statuses) == sorted([201] * (len(notes) + 1) + [403] * (40 - len(notes)))


@pytest.fixture
def parses(world: World, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the request bodies the ledger parsed."""
    import ledger.service
    sizes: list[int] = []
    parse = ledger.service.parse_canonical_or_strict

    def counting(body: bytes):  # noqa: ANN202
        sizes.append(len(body))
        return parse(body)

    monkeypatch.setattr(ledger.service, "parse_canonical_or_strict", counting)
    return sizes


def test_a_body_of_too_many_json_values_is_refused_before_it_is_parsed(
        world: World, app_key, parses: list[int]) -> None:
    """A poster token alone (no key) could send 64 MiB of `[{},{},…]`: parsed whole before the
    1,000-event limit was looked at, about 10 s of CPU and 1.9 GB of memory per request, four
    at a time on the ingest pool. And a signed event with a million-element list in its body
    (a vocabulary that does not close its bodies) was stored. Both are now refused unparsed."""
    flood = b"[" + b"{}," * 1_000_000 + b"{}]"
    problem = refused(world, flood, 413, "batch-too-large")
    assert "1,000,000" in problem["detail"] and parses == []
    signed = world.sign("app", stream="case:SH-HP-2024-000123", type="NoteRecorded",
                        body={"note": "filed", "marks": [0] * 1_000_001})
    refused(world, signed, 413, "batch-too-large")
    assert parses == []


def test_a_large_body_of_few_values_is_still_parsed_and_appended(
        world: World, app_key, parses: list[int]) -> None:
    long = note(world, text="占道" * 600_000)                # 3.6 MB, a handful of values
    world.post(long)
    assert parses == [len(canonical(long))]


def test_a_revocation_through_one_process_binds_another_that_still_holds_the_key(
        world: World, app_key) -> None:
    """Each process caches the registry; the writer reloads it under the lock when stream keys
    has grown, so a process that last saw the key valid still refuses it after the revocation."""
    from ledger.service import Ledger
    from ledger.store import LedgerStore, datastore_from_url

    from . import minimal_vocabulary
    store = LedgerStore(datastore_from_url(world.app_url))
    other = Ledger(store, root_keys={ROOT_ID: world.root.public_key}, types=minimal_vocabulary)
    try:
        other.append(canonical(note(world)))                # caches the key as valid
        world.revoke("app")                                 # through the first process
        before = history(world)
        with pytest.raises(KeyRevoked, match="revoked at log index 2"):
            other.append(canonical(note(world)))
        assert history(world) == before
    finally:
        other.close()
        store.close()


@pytest.fixture
def domain(database: tuple[str, str], root_key):  # noqa: ANN001, ANN201
    """A world with the enforcement vocabulary (the service's), not the minimal one."""
    from fastapi.testclient import TestClient

    from api.app import asgi, create_app
    from ledger.domain import vocabulary
    from ledger.service import Ledger
    from ledger.store import LedgerStore, datastore_from_url
    owner, app_url = database
    store = LedgerStore(datastore_from_url(app_url), url=app_url)
    ledger = Ledger(store, root_keys={ROOT_ID: root_key.public_key}, types=vocabulary)
    with TestClient(asgi(create_app(ledger))) as http:
        yield World(ledger=ledger, http=http, root=root_key, owner_url=owner, app_url=app_url)
    ledger.close()
    store.close()


def test_no_key_signs_a_type_outside_its_roles_even_holding_every_other_role(
        domain: World) -> None:
    """Role escalation, type by type: a flag disposition by a case app, configuration by an
    inspector, a payment by an officer's device… — a key holding every registrable role but the
    type's signer roles is refused, and nothing is written."""
    from ledger.domain import vocabulary
    from ledger.domain.keys import REGISTRABLE_ROLES

    from . import domain_factory as f
    keys: dict[frozenset[str], str] = {}
    for name, event_type in sorted(vocabulary.EVENT_TYPES.items()):
        if "root" in event_type.signer_roles:
            continue
        roles = frozenset(REGISTRABLE_ROLES) - event_type.signer_roles
        if roles not in keys:
            keys[roles] = f"all-but-{len(keys)}"
            domain.register(keys[roles], sorted(roles))
        kind = event_type.stream_kinds[0]
        env = domain.sign(keys[roles], stream=f"{kind}:X-1", type=name, body=f.body(name))
        problem = refused(domain, env, 403, "key-not-allowed")
        assert f"may not sign {name}" in problem["detail"], name


CONFUSABLE_STREAMS = {
    "rtl-override": "case:SH-1\u202e1-HS", "zero-width": "case:SH\u200b-1",
    "nul": "case:SH-1\x00", "fullwidth": "case:ＳＨ-1", "combining": "case:SH-1\u0301",
    "newline": "case:SH-1\n", "keys-with-id": "keys:SH-1", "upper-keys": "KEYS",
    "upper-kind": "Case:SH-1", "empty-id": "case:", "overlong": "case:" + "A" * 129,
}


def test_a_stream_name_outside_the_ascii_grammar_is_refused(world: World, app_key) -> None:
    """Names that display like another stream, or end where a reader thinks they do not: the
    stream is the read models' and a bundle's key, so two spellings must never be one case.
    `keys:<id>` passed the grammar and, with a vocabulary that did not refuse it, was written
    — a stream that reads as part of the registry and is none of it."""
    for trick, stream in CONFUSABLE_STREAMS.items():
        problem = refused(world, note(world, stream=stream), 422, "malformed-event")
        assert problem["field"] == "stream", trick


def test_an_overlong_utf8_spelling_is_refused_as_invalid_utf8(world: World, app_key) -> None:
    body = canonical(note(world)).replace(b'"case:SH', b'"case\xc0\xbaSH')   # ':' in two bytes
    problem = refused(world, body, 422, "malformed-event")
    assert "UTF-8" in problem["detail"]


def test_a_poster_token_posts_what_another_principal_signed_but_never_unsigned(
        world: World, app_key) -> None:
    """Decision (docs/architecture.md, "Keys and roles"): the signature is the authority, so a
    relay's token posts its devices' events; the token adds no right a signature lacks."""
    headers = {"Authorization": f"Bearer {world.token('poster', principal='gateway:SH-HP')}",
               "Content-Type": "application/json"}
    env = note(world)
    assert world.post_raw(canonical(env), headers=headers).status_code == 201
    forged = {**note(world), "sig": env["sig"]}
    before = history(world)
    response = world.post_raw(canonical(forged), headers=headers)
    assert response.status_code == 422 and response.json()["type"].endswith(":bad-signature")
    assert history(world) == before


def test_an_event_id_twice_in_one_batch_is_written_once_or_is_a_conflict(world: World,
                                                                         app_key) -> None:
    env = note(world)
    first, again = world.post([env, env])
    assert first == again and history(world)[0] == 2        # the key's registration and env
    other = note(world, text="one")
    twin = world.sign("app", stream=other["stream"], type="NoteRecorded", body={"note": "two"},
                      event_id=other["event_id"])
    problem = refused(world, [other, twin], 409, "conflict")
    assert problem["index"] == 1
