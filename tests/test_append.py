"""POST /v1/events: the append pipeline end to end against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
import threading

import orjson
import psycopg
import pytest

import api.ingest
from api.app import create_app
from ledger.canonical import canonical
from ledger.client import sign_envelope, uuid7

from .conftest import World


def note(world: World, key_id: str = "app", *, stream: str = "case:SH-HP-2024-000123",
         text: str = "filed", **kw: object) -> dict:
    return world.sign(key_id, stream=stream, type="NoteRecorded", body={"note": text}, **kw)


@pytest.fixture
def app_key(world: World):  # noqa: ANN201
    return world.register("app", ["case-app"])


def test_appends_one_signed_event_and_returns_its_receipt(world: World, app_key) -> None:
    env = note(world)
    response = world.post_raw(canonical(env))
    assert response.status_code == 201
    (receipt,) = response.json()["receipts"]
    assert receipt["event_id"] == env["event_id"]
    assert receipt["index"] == 1                    # index 0 is the KeyRegistered event
    assert receipt["stream"] == "case:SH-HP-2024-000123"
    assert receipt["stream_version"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", receipt["recorded_at"])
    assert re.fullmatch(r"[0-9a-f]{64}", receipt["leaf_hash"])
    assert re.fullmatch(r"[0-9a-f]{64}", receipt["chain_hash"])


@pytest.mark.parametrize("stream", ["case:A/./B", "case:A/../B", "case:A//B", "case:A/",
                                    "case:A/.", "case:A/.."])
def test_refuses_a_stream_whose_url_path_clients_rewrite(world: World, app_key,
                                                         stream: str) -> None:
    """GET /v1/streams/{stream}/events holds the stream in its URL path, where clients remove
    dot segments (RFC 3986 §5.2.4) and proxies merge slashes (nginx): case:A/./B was recorded,
    and reading it back as written answered 200 with the events of case:A/B."""
    before = world.count()
    response = world.post_raw(canonical(note(world, stream=stream)))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "stream"
    assert world.count() == before


def test_accepts_stream_segments_that_only_start_with_a_dot(world: World, app_key) -> None:
    (receipt,) = world.post([note(world, stream="case:A/.b/..c/d.")])
    events = world.http.get("/v1/streams/case:A/.b/..c/d./events",
                            headers=world.headers("inspector")).json()["events"]
    assert [e["receipt"]["event_id"] for e in events] == [receipt["event_id"]]


def test_batch_gets_contiguous_indices_and_stream_versions(world: World, app_key) -> None:
    batch = [note(world, text=f"step {i}") for i in range(5)] + \
            [note(world, stream="case:OTHER-1", text="other")]
    receipts = world.post(batch)
    assert [r["event_id"] for r in receipts] == [e["event_id"] for e in batch]
    assert [r["index"] for r in receipts] == list(range(1, 7))
    assert [r["stream_version"] for r in receipts] == [1, 2, 3, 4, 5, 1]


def test_stored_bytes_are_the_posted_bytes(world: World, app_key) -> None:
    env = note(world, text="占道设摊经营 </script> \u2028")
    posted = canonical(env)
    world.post_raw(posted)
    response = world.http.get(f"/v1/events/{env['event_id']}", headers=world.headers("auditor"))
    assert response.status_code == 200
    assert response.content.startswith(b'{"envelope":' + posted + b',"receipt":')
    stream = world.http.get("/v1/streams/case:SH-HP-2024-000123/events",
                            headers=world.headers("inspector"))
    assert posted in stream.content


def test_pretty_printed_post_is_stored_in_canonical_form(world: World, app_key) -> None:
    env = note(world)
    world.post_raw(json.dumps(env, indent=2, ensure_ascii=False).encode())
    response = world.http.get(f"/v1/events/{env['event_id']}", headers=world.headers("auditor"))
    assert response.content.startswith(b'{"envelope":' + canonical(env) + b",")


def test_idempotent_retry_returns_the_original_receipts_and_writes_nothing(
        world: World, app_key) -> None:
    batch = [note(world, text=str(i)) for i in range(3)]
    first = world.post_raw(canonical(batch))
    before = world.count()
    again = world.post_raw(canonical(batch))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert world.count() == before


def test_reusing_an_event_id_with_different_bytes_is_a_conflict(world: World, app_key) -> None:
    env = note(world, text="original")
    world.post(env)
    before = world.count()
    forged = note(world, text="changed", event_id=env["event_id"])
    response = world.post_raw(canonical(forged))
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith(":conflict") and problem["event_id"] == env["event_id"]
    assert response.headers["content-type"] == "application/problem+json"
    assert world.count() == before


def test_batch_with_one_bad_event_writes_none(world: World, app_key) -> None:
    batch = [note(world, text=str(i)) for i in range(4)]
    batch[2] = {**batch[2], "sig": batch[1]["sig"]}
    before = world.count()
    response = world.post_raw(canonical(batch))
    assert response.status_code == 422
    assert response.json()["index"] == 2
    assert response.json()["type"].endswith(":bad-signature")
    assert world.count() == before


def refused(world: World, body: bytes, status: int, code: str, **headers: str) -> dict:
    before = world.count()
    response = world.post_raw(body, headers={**world.headers("poster"), **headers})
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["type"] == f"urn:integrity-ledger:problem:{code}", problem
    assert problem["status"] == status
    assert world.count() == before
    return problem


def test_refuses_bad_signature(world: World, app_key) -> None:
    env = note(world)
    env["body"]["note"] = "tampered after signing"
    problem = refused(world, canonical(env), 422, "bad-signature")
    assert problem["field"] == "sig"


def test_refuses_unknown_key(world: World, app_key) -> None:
    env = note(world)
    env["signer"] = "key:nobody"
    problem = refused(world, canonical(env), 422, "unknown-key")
    assert "nobody" in problem["detail"]


def test_a_signer_unknown_to_the_process_is_looked_up_off_the_event_loop(
        world: World, app_key, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small body from a cached token is parsed on the event loop; finding a key the process
    does not hold reads the database, which must not stall every connection meanwhile."""
    world.post(note(world))                                # the token is cached now
    ledger = world.ledger
    threads: list[str] = []
    refresh = ledger.refresh_registry
    monkeypatch.setattr(ledger, "refresh_registry",
                        lambda: threads.append(threading.current_thread().name) or refresh())
    env = note(world)
    env["signer"] = "key:nobody"
    refused(world, canonical(env), 422, "unknown-key")
    assert threads and all(name.startswith("ingest") for name in threads), threads
    world.post(note(world))                                # a known signer: no look-up at all
    assert len(threads) == 1


def test_refuses_event_signed_with_revoked_key(world: World, app_key) -> None:
    world.revoke("app")
    problem = refused(world, canonical(note(world)), 403, "key-revoked")
    assert "revoked at log index" in problem["detail"]


def test_refuses_key_not_allowed_for_the_type(world: World) -> None:
    world.register("till", ["finance"])
    problem = refused(world, canonical(note(world, "till")), 403, "key-not-allowed")
    assert "may not sign NoteRecorded" in problem["detail"]


def test_refuses_expired_key(world: World) -> None:
    world.register("old", ["case-app"], not_after="2020-01-01T00:00:00+08:00")
    problem = refused(world, canonical(note(world, "old")), 403, "key-not-valid")
    assert "expired" in problem["detail"]


def test_refuses_key_not_yet_valid(world: World) -> None:
    world.register("future", ["case-app"], not_before="2999-01-01T00:00:00+08:00")
    refused(world, canonical(note(world, "future")), 403, "key-not-valid")


def test_the_writer_judges_a_keys_window_at_recorded_at_not_by_the_process_clock(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Key validity is judged at the event's recorded_at (the database server's clock), as the
    offline verifier judges it from the bundle, not by the writing process's clock: two hours
    ahead, this process still records an event signed by a key an hour before its not_after,
    and refuses one signed by a key an hour before its not_before."""
    from datetime import timedelta

    from .clocks import database_clock, skew_process_clock

    now = database_clock(world.owner_url)
    world.register("ending", ["case-app"], not_after=(now + timedelta(hours=1)).isoformat())
    world.register("starting", ["case-app"], not_before=(now + timedelta(hours=1)).isoformat())
    skew_process_clock(monkeypatch, timedelta(hours=2))
    (receipt,) = world.post(note(world, "ending"))
    assert receipt["recorded_at"] < (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    problem = refused(world, canonical(note(world, "starting")), 403, "key-not-valid")
    assert "not valid before" in problem["detail"]


def test_refuses_registration_of_small_order_key(world: World) -> None:
    identity = bytes([1]) + bytes(31)      # the all-identity point: "verifies" anything under OpenSSL
    env = world.key_registered("evil", ["case-app"], public_key=identity)
    problem = refused(world, canonical(env), 422, "invalid-public-key")
    assert problem["field"] == "body.public_key"


def test_refuses_registration_of_non_canonical_key(world: World) -> None:
    env = world.key_registered("odd", ["case-app"], public_key=b"\xff" * 31 + b"\x7f")
    refused(world, canonical(env), 422, "invalid-public-key")


def test_refuses_key_registration_not_signed_by_root(world: World, app_key) -> None:
    env = world.key_registered("sneaky", ["case-app"])
    forged = sign_envelope(app_key, "app", stream="keys", type="KeyRegistered", body=env["body"])
    refused(world, canonical(forged), 403, "key-not-allowed")


def test_refuses_registering_a_key_with_the_root_role(world: World) -> None:
    problem = refused(world, canonical(world.key_registered("usurper", ["root"])), 403,
                      "key-not-allowed")
    assert problem["field"] == "body.roles"


def test_refuses_float_in_body(world: World, app_key) -> None:
    env = note(world)
    body = canonical(env).replace(b'"note":"filed"', b'"note":"filed","amount_fen":1.5')
    problem = refused(world, body, 422, "malformed-event")
    assert "floats are not allowed" in problem["detail"]


@pytest.mark.parametrize("digits", ["18446744073709551616", "9" * 5000])
def test_refuses_an_integer_beyond_the_safe_range_as_an_integer(world: World, app_key,
                                                                 digits: str) -> None:
    """Not as a float (orjson reads 2^64 as one), and not with 500 past Python's 4,300-digit
    int() limit."""
    body = canonical(note(world)).replace(b'"note":"filed"',
                                          b'"note":"filed","amount_fen":' + digits.encode())
    problem = refused(world, body, 422, "malformed-event")
    assert "outside" in problem["detail"] and "float" not in problem["detail"]
    assert len(problem["detail"]) < 200


def test_refuses_missing_field_naming_it(world: World, app_key) -> None:
    env = note(world)
    del env["occurred_at"]
    problem = refused(world, canonical(env), 422, "malformed-event")
    assert {"field": "occurred_at", "message": "required field is missing"} in problem["errors"]


def test_refuses_wrong_spec(world: World, app_key) -> None:
    env = {**note(world), "spec": "integrity-ledger/event/v2"}
    problem = refused(world, canonical(env), 422, "malformed-event")
    assert problem["field"] == "spec"


@pytest.mark.parametrize("field", ["event_id", "stream", "occurred_at", "signer", "type"])
def test_refuses_a_trailing_newline_in_an_envelope_field(world: World, app_key,
                                                         field: str) -> None:
    """A regex anchored with ``$`` also matches before a final newline; the shape rules must
    not (the offline verifier would refuse such an event, and "case:X\\n" is not a stream)."""
    fields = {"event_id": uuid7(), "stream": "case:X-1", "occurred_at": "2024-05-10T21:06:00+08:00",
              "type": "NoteRecorded"}
    signer = "app"
    if field == "signer":
        world.keys["app\n"] = world.keys["app"]
        signer = "app\n"
    else:
        fields[field] += "\n"
    env = world.sign(signer, body={"note": "filed"}, **fields)
    problem = refused(world, canonical(env), 422, "malformed-event")
    assert problem["field"] == field


def test_refuses_an_event_id_with_a_lone_surrogate_naming_the_field(world: World,
                                                                   app_key) -> None:
    """The problem must not echo an event_id that JSON cannot carry (it failed with 500)."""
    env = note(world)
    body = canonical(env).replace(env["event_id"].encode(), b"\\ud800")
    problem = refused(world, body, 422, "malformed-event")
    assert problem["field"] == "event_id" and "event_id" not in problem
    problem = refused(world, b"[" + canonical(note(world)) + b"," + body + b"]", 422,
                      "malformed-event")
    assert problem["index"] == 1 and problem["field"] == "event_id"


def test_refuses_nul_in_a_body_string_naming_the_field(world: World, app_key) -> None:
    """PostgreSQL's jsonb cannot hold U+0000: such an event was recorded (201) and then failed
    every read-model and red-flag projection run after it."""
    problem = refused(world, canonical(note(world, text="filed\u0000")), 422, "malformed-event")
    assert problem["field"] == "body.note" and "U+0000" in problem["detail"]
    nul_key = world.sign("app", stream="case:X-1", type="NoteRecorded",
                         body={"note": "filed", "extra": [{"\u0000": 1}]})
    problem = refused(world, canonical([note(world), nul_key]), 422, "malformed-event")
    assert problem["field"] == "body.extra[0]" and problem["index"] == 1
    world.post(note(world, text="a backslash and u0000 is text: \\u0000"))


def test_refuses_body_schema_violation_with_field_path(world: World, app_key) -> None:
    env = world.sign("app", stream="case:X-1", type="NoteRecorded", body={"note": 5})
    problem = refused(world, canonical(env), 422, "malformed-event")
    assert problem["errors"][0]["field"] == "body.note"


def test_refuses_unknown_event_type(world: World, app_key) -> None:
    env = world.sign("app", stream="case:X-1", type="BribeAccepted", body={})
    refused(world, canonical(env), 422, "unknown-event-type")


def test_refuses_duplicate_keys_in_json(world: World, app_key) -> None:
    body = canonical(note(world)).replace(b'"spec":', b'"note":"x","spec":', 1)
    body = body.replace(b'{"body"', b'{"type":"X","body"', 1)
    problem = refused(world, body, 422, "malformed-event")
    assert "duplicate object key" in problem["detail"]


def test_refuses_oversize_batch(world: World, app_key) -> None:
    batch = [note(world, text=str(i)) for i in range(1001)]
    problem = refused(world, canonical(batch), 413, "batch-too-large")
    assert "at most 1000" in problem["detail"]


def test_refuses_empty_batch_and_non_json(world: World, app_key) -> None:
    refused(world, b"[]", 422, "malformed-event")
    refused(world, b"not json", 422, "malformed-event")
    refused(world, canonical(note(world)), 415, "unsupported-media-type",
            **{"Content-Type": "text/plain"})


def test_refuses_posting_without_a_token_or_the_poster_role(world: World, app_key) -> None:
    body = canonical(note(world))
    refused(world, body, 401, "unauthorized", Authorization="")
    refused(world, body, 401, "unauthorized", Authorization="Bearer il_not-a-token")
    refused(world, body, 403, "forbidden", Authorization=f"Bearer {world.token('inspector')}")


def test_reading_requires_a_token(world: World, app_key) -> None:
    env = note(world)
    world.post(env)
    assert world.http.get(f"/v1/events/{env['event_id']}").status_code == 401
    assert world.http.get(f"/v1/events/{uuid7()}", headers=world.headers("auditor")).status_code \
        == 404


@pytest.mark.parametrize("url", [
    "/v1/events/%00", "/v1/streams/case:%00/events", "/v1/cases/%00", "/v1/officers/%00",
    "/v1/flags?officer=%00", "/v1/flags?after=%00", "/v1/log/proofs/inclusion?event_id=%00",
    "/v1/bundles?unit=%00", "/v1/cases/%00/trail", "/v1/units/%00/overview",
    "/v1/supervision/%00", "/v1/units/%00/assessment?period=2024-Q2",
    "/v1/public/decisions?unit=%00"])
def test_nul_in_a_path_or_query_parameter_is_refused_naming_it(world: World, app_key,
                                                                url: str) -> None:
    """PostgreSQL text cannot hold U+0000; the driver's refusal was a 500."""
    response = world.http.get(url, headers=world.headers("inspector"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith(":invalid-request")
    assert problem["errors"][0]["field"].split(".")[0] in ("path", "query")
    assert "U+0000" in problem["detail"]


def test_unknown_paths_and_methods_are_answered_with_problems(world: World) -> None:
    response = world.http.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(":not-found")
    response = world.http.delete("/v1/events", headers=world.headers("poster"))
    assert response.status_code == 405 and "POST" in response.headers["allow"]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 405


def test_stream_pages_follow_stream_order(world: World, app_key) -> None:
    batch = [note(world, text=str(i)) for i in range(7)]
    world.post(batch)
    seen, url = [], "/v1/streams/case:SH-HP-2024-000123/events?limit=3"
    while url:
        page = world.http.get(url, headers=world.headers("inspector")).json()
        seen += [e["receipt"]["stream_version"] for e in page["events"]]
        url = page["next"]
    assert seen == list(range(1, 8))


def test_key_registry_lists_keys_with_status(world: World, app_key) -> None:
    world.register("gone", ["case-app"])
    world.revoke("gone")
    world.register("old", ["case-app"], not_after="2024-01-01T00:00:00Z")
    world.register("later", ["case-app"], not_before="2999-01-01T00:00:00Z")
    keys = {k["key_id"]: k for k in world.http.get("/v1/keys", headers=world.headers("auditor"))
            .json()["keys"]}
    assert keys["app"]["status"] == "active" and keys["app"]["roles"] == ["case-app"]
    assert keys["gone"]["status"] == "revoked"
    assert keys["old"]["status"] == "expired"              # was listed as active
    assert keys["later"]["status"] == "not_yet_valid"
    assert keys["root-1"]["roles"] == ["root"]


def test_key_registry_judges_each_keys_window_by_the_database_clock_not_the_process(
        world: World, app_key, monkeypatch) -> None:
    """GET /v1/keys said active / expired / not yet valid by this process's clock: a host two
    hours ahead listed as expired a key the writer, on the database's clock, still accepts,
    and as active one it still refuses (key-not-valid)."""
    from datetime import timedelta

    from .clocks import database_clock, skew_process_clock

    now = database_clock(world.owner_url)
    world.register("ending", ["case-app"], not_after=(now + timedelta(hours=1)).isoformat())
    world.register("starting", ["case-app"], not_before=(now + timedelta(hours=1)).isoformat())
    skew_process_clock(monkeypatch, timedelta(hours=2))
    keys = {k["key_id"]: k["status"] for k in world.http.get(
        "/v1/keys", headers=world.headers("auditor")).json()["keys"]}
    assert keys["ending"] == "active"
    assert keys["starting"] == "not_yet_valid"


@pytest.mark.parametrize("statement", [
    "UPDATE stored_events SET state = 'x'",
    "DELETE FROM stored_events",
    "TRUNCATE stored_events",
    "UPDATE ledger_receipts SET stream_version = 99",
    "DELETE FROM ledger_merkle_nodes",
    "TRUNCATE ledger_receipts",
])
def test_service_role_cannot_change_history(world: World, app_key, statement: str) -> None:
    world.post(note(world))
    before = world.count()
    with psycopg.connect(world.app_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)
    assert world.count() == before


@pytest.mark.parametrize("statement", [
    "UPDATE stored_events SET state = 'x'",
    "DELETE FROM ledger_receipts",
    "TRUNCATE ledger_merkle_nodes",
])
def test_even_the_owner_is_stopped_by_the_append_only_triggers(
        world: World, app_key, statement: str) -> None:
    world.post(note(world))
    with psycopg.connect(world.owner_url) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute(statement)


def test_framework_route_behaves_like_the_fast_path(ledger, root_key) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    with TestClient(create_app(ledger)) as http:   # the framework route, no fast path
        slow = World(ledger=ledger, http=http, root=root_key, owner_url="", app_url="")
        slow.owner_url = ledger.store.datastore.pool.conninfo  # not used for counting here
        key = slow.key_registered("app2", ["case-app"])
        response = http.post("/v1/events", content=canonical(key),
                             headers={"Authorization": "Bearer nope",
                                      "Content-Type": "application/json"})
        assert response.status_code == 401
        assert response.json()["type"].endswith(":unauthorized")


def test_deeply_nested_body_is_refused_not_a_server_error(world: World, app_key) -> None:
    body = canonical(note(world)).replace(b'"note":"filed"', b'"note":"filed","x":'
                                          + b"[" * 300 + b"]" * 300)
    problem = refused(world, body, 422, "malformed-event")
    assert "nested" in problem["detail"]


def test_posters_cannot_read_event_contents(world: World, app_key) -> None:
    env = note(world)
    world.post(env)
    assert world.http.get(f"/v1/events/{env['event_id']}",
                          headers=world.headers("poster")).status_code == 403
    assert world.http.get("/v1/streams/case:SH-HP-2024-000123/events",
                          headers=world.headers("poster")).status_code == 403


def test_recorded_at_never_goes_back_when_the_clock_does(world: World, app_key,
                                                          monkeypatch) -> None:
    """recorded_at is non-decreasing along the log (docs/bundle.md): when the ledger's clock
    (the database server's) is behind the last receipt — stepped back, or a failover to a
    server whose clock is slow — the writer records that receipt's time again, not its own."""
    from datetime import datetime, timezone

    from ledger.store import WriteSession

    (first,) = world.post(note(world))
    read = WriteSession.lock_and_read

    def behind(self, event_ids, streams):  # noqa: ANN001, ANN202
        state = read(self, event_ids, streams)
        state.clock = datetime(2020, 1, 1, tzinfo=timezone.utc)
        return state

    monkeypatch.setattr(WriteSession, "lock_and_read", behind)
    (second,) = world.post(note(world))
    assert second["recorded_at"] == first["recorded_at"]
    assert second["index"] == first["index"] + 1


def test_the_ledger_clock_is_never_before_the_last_recorded_at(world: World, app_key,
                                                               monkeypatch) -> None:
    """What judges a key's window "now" outside the writer (GET /v1/keys, the key-units door,
    a bundle's created_at) reads the time the writer would record: the database server's
    clock, or the last recorded_at when that is later (the server's clock stepped back)."""
    from datetime import datetime, timedelta

    from ledger.store import WriteSession

    read = WriteSession.lock_and_read

    def ahead(self, event_ids, streams):  # noqa: ANN001, ANN202
        state = read(self, event_ids, streams)
        state.clock += timedelta(hours=2)      # as if the server's clock then stepped back
        return state

    monkeypatch.setattr(WriteSession, "lock_and_read", ahead)
    (receipt,) = world.post(note(world))
    monkeypatch.undo()
    assert world.ledger.store.ledger_clock() == datetime.fromisoformat(receipt["recorded_at"])


def test_recorded_at_follows_the_database_clock_not_the_writing_process(
        world: World, app_key, monkeypatch) -> None:
    """Several processes share one database and recorded_at never goes back, so one process
    whose clock ran two hours ahead pushed every receipt after its own two hours into the
    future, whoever wrote it. The writer now reads the time from the database server under
    the lock, in the round trip that reads the log head: one clock for every process."""
    from datetime import timedelta

    from ledger.logentry import format_recorded_at

    from .clocks import database_clock as clock_of, skew_process_clock

    def database_clock() -> str:
        return format_recorded_at(clock_of(world.owner_url))

    # this process's clock, wherever the ledger and the API read it (the writer read
    # ledger.service's until the database's clock replaced it)
    skew_process_clock(monkeypatch, timedelta(hours=2))
    before = database_clock()
    (receipt,) = world.post(note(world))
    after = database_clock()
    assert before <= receipt["recorded_at"] <= after
    monkeypatch.undo()
    (next_receipt,) = world.post(note(world, text="next"))
    assert next_receipt["recorded_at"] <= database_clock()


def test_a_cancelled_append_is_never_written_and_later_appends_go_on(world: World,
                                                                     app_key) -> None:
    """A caller may cancel the future of Ledger.submit_unverified: until a stage takes the
    request it is dropped, afterwards cancel() refuses — it never ends the writer thread."""
    envs = [world.ledger.parse(canonical(note(world, text=str(i)))) for i in range(20)]
    futures = [world.ledger.submit_unverified(e, batched=False) for e in envs]
    cancelled = {e[0].event_id for e, f in zip(envs, futures) if f.cancel()}
    assert cancelled                              # the stages are far slower than 20 cancels
    (after,) = world.ledger.parse(canonical(note(world, text="after")))
    assert world.ledger.submit_unverified([after], batched=False).result(10).written == 1
    for e, f in zip(envs, futures):
        if e[0].event_id in cancelled:
            assert world.ledger.get_event(e[0].event_id) is None
        else:
            assert f.result(10).receipts[0].event_id == e[0].event_id


def test_a_key_whose_window_is_empty_is_refused_and_its_id_stays_free(world: World) -> None:
    """A registration with not_after before not_before was accepted: the key could never sign,
    and as a key id is never registered twice, the id was burned for good."""
    before = world.count()
    bad = world.key_registered("kiosk-7", ["case-app"], not_before="2025-06-01T00:00:00Z",
                               not_after="2025-05-01T00:00:00Z")
    response = world.post_raw(canonical(bad))
    assert response.status_code == 422 and world.count() == before
    problem = response.json()
    assert problem["field"] == "body.not_after" and "could never sign" in problem["detail"]
    world.register("kiosk-7", ["case-app"])                  # the id is still free


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_the_framework_route_refuses_a_body_over_the_limit_reading_no_more_of_it(
        world: World, app_key, monkeypatch: pytest.MonkeyPatch, declared: bool) -> None:
    """The app served without asgi() (create_app's app run as is, a test client) reached the
    FastAPI route, which read any body whole: it now refuses one over MAX_BODY as the hot path
    does — declared so, before any of it is asked for; as it comes, at the chunk past it."""
    monkeypatch.setattr(api.ingest, "MAX_BODY", 1000)
    before = world.count()
    app = create_app(world.ledger)
    taken: list[bytes] = []

    async def receive() -> dict:               # 3 000 bytes in chunks of 600
        taken.append(b"x" * 600)
        return {"type": "http.request", "body": taken[-1], "more_body": len(taken) < 5}

    async def run() -> list[dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        headers = [(b"authorization", f"Bearer {world.token('poster')}".encode()),
                   (b"content-type", b"application/json")]
        if declared:
            headers.append((b"content-length", b"1001"))
        await app({"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                   "method": "POST", "scheme": "http", "path": "/v1/events",
                   "raw_path": b"/v1/events", "query_string": b"", "root_path": "",
                   "headers": headers, "client": ("127.0.0.1", 40000),
                   "server": ("testserver", 80)}, receive, send)
        return sent

    try:
        start, body = asyncio.run(run())
    finally:
        app.state.ingest.close()
    assert start["status"] == 413
    assert (b"content-type", b"application/problem+json") in start["headers"]
    problem = orjson.loads(body["body"])
    assert problem["type"].endswith("body-too-large") and "1000 bytes" in problem["detail"]
    assert len(taken) == (0 if declared else 2)
    assert world.count() == before


def test_openapi_lists_every_answer_post_events_gives(world: World) -> None:
    """The document listed 200, 201, 409, 413 (batch) and 422 only: a client generated from it
    knew nothing of a missing token, a revoked key, a wrong media type or a body too large."""
    responses = world.http.get("/openapi.json").json()["paths"]["/v1/events"]["post"][
        "responses"]
    assert set(responses) == {"200", "201", "401", "403", "409", "413", "415", "422", "500",
                              "501", "503"}
    for status in ("401", "403", "409", "413", "415", "422", "500", "501", "503"):
        assert set(responses[status]["content"]) == {"application/problem+json"}, status
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert "Retry-After" in responses["503"]["headers"]
    assert "shutting-down" in responses["503"]["description"]
    assert "poster" in responses["403"]["description"]
    assert "key-revoked" in responses["403"]["description"]
    # RF28: a disposition of another unit's flag signed by a unit-scoped key is a 403 too
    assert "key-units" in responses["403"]["description"]
    assert "batch-too-large" in responses["413"]["description"]
    assert "body-too-large" in responses["413"]["description"]
    assert "64 MiB" in responses["413"]["description"]
    assert "application/json" in responses["415"]["description"]
    assert "content-encoding" in responses["415"]["description"]
    assert "Accept-Encoding" in responses["415"]["headers"]
    assert "transfer-coding" in responses["501"]["description"]


@pytest.mark.parametrize("path, field", [
    ("/v1/streams/b/events", "path.stream"),                        # no kind: never a stream
    ("/v1/streams/case:" + "A" * 200 + "/events", "path.stream"),   # longer than any id
    ("/v1/streams/case:A/../B/events", "path.stream"),              # sent as written, %2E%2E
    ("/v1/events/not-a-uuid", "path.event_id"),
    ("/v1/events/" + "a" * 60_000, "path.event_id"),
])
def test_a_read_of_a_name_the_ledger_could_never_hold_is_refused_not_answered_empty(
        world: World, path: str, field: str) -> None:
    """GET /v1/streams/b/events answered 200 with no events, as if the stream were merely
    empty, and /v1/events/<not a UUID> a 404 echoing the whole id twice (60 KB): both are
    now a 422 naming the grammar, the id shortened."""
    r = world.http.get(path.replace("/../", "/%2E%2E/"), headers=world.headers("auditor"))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"].endswith(":invalid-request") and problem["field"] == field
    assert len(r.content) < 1_000
