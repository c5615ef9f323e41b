"""POST /v1/events as an enforcement system's integration meets it (issue #2): retries of lost
answers, partial retries, re-signed ids and the transport's oddities — over the protocol
`ledger serve` runs (api/hotpath.py), against the test's real ledger and PostgreSQL."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import asgi, create_app
from ledger.canonical import canonical
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url

from . import minimal_vocabulary
from .conftest import ROOT_ID, World
from .test_hotpath import responses, serve

PROBLEM = b"application/problem+json"


def note(world: World, n: int, **over: Any) -> dict:
    return world.sign("app", stream=f"case:I-{n % 3}", type="NoteRecorded",
                      body={"note": f"n-{n}"}, **over)


@pytest.fixture
def token(world: World) -> str:
    world.register("app", ["case-app"])
    return world.token("poster")


def request(body: bytes, token: str, *, ctype: bytes | None = b"application/json",
            extra: bytes = b"", length: bool = True) -> bytes:
    head = b"POST /v1/events HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer " + token.encode()
    if ctype is not None:
        head += b"\r\nContent-Type: " + ctype
    if length:
        head += b"\r\nContent-Length: " + str(len(body)).encode()
    return head + b"\r\n" + extra + b"\r\n" + body


def answer(world: World, raw: bytes) -> tuple[int, dict[bytes, bytes], Any]:
    [(status, headers, body)] = responses(serve(world, raw).output())
    return status, headers, orjson.loads(body)


def refused(world: World, raw: bytes, status: int, code: str) -> dict:
    before = world.count()
    got, headers, problem = answer(world, raw)
    assert (got, problem["type"].rsplit(":", 1)[1]) == (status, code), problem
    assert headers[b"content-type"] == PROBLEM and problem["status"] == status
    assert problem.get("field") or problem.get("rule"), problem
    assert world.count() == before
    return problem


# -- 1. a lost answer --------------------------------------------------------------------------
def test_a_batch_sent_again_gets_the_same_receipts_and_nothing_is_written_twice(
        world: World, token: str, database: tuple[str, str], root_key: Any) -> None:
    body = canonical([note(world, n) for n in range(5)])
    status, _, first = answer(world, request(body, token))
    assert status == 201
    count = world.count()
    status, _, again = answer(world, request(body, token))
    assert (status, again) == (200, first) and world.count() == count
    # after a restart: another process over the same database knows nothing of the first
    store = LedgerStore(datastore_from_url(database[1]))
    restarted = Ledger(store, root_keys={ROOT_ID: root_key.public_key}, types=minimal_vocabulary)
    try:
        with TestClient(asgi(create_app(restarted))) as http:
            later = http.post("/v1/events", content=body, headers=world.headers("poster"))
        assert (later.status_code, later.json()) == (200, first)
        assert world.count() == count
    finally:
        restarted.close()
        store.close()


def test_a_retry_racing_the_request_it_repeats_gets_the_same_receipts(
        world: World, token: str) -> None:
    """The client timed out and sent again while the first request was still being written:
    whichever is judged second — in a later group, or in the same one — gets the first's
    receipts, and each event is written once."""
    from concurrent.futures import ThreadPoolExecutor
    for round_ in range(5):
        body = canonical([note(world, 100 * round_ + n) for n in range(20)])
        count = world.count()
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(world.ledger.append, [body] * 4))
        assert len({tuple(r.to_value()["index"] for r in a.receipts) for a in answers}) == 1
        assert sum(a.written for a in answers) == 20 and world.count() == count + 20


# -- 2. a partial retry ------------------------------------------------------------------------
def test_a_batch_partly_recorded_gets_the_original_receipts_and_new_ones_for_the_rest(
        world: World, token: str) -> None:
    events = [note(world, n) for n in range(10)]
    status, _, first = answer(world, request(canonical(events[:4]), token))
    assert status == 201
    count = world.count()
    status, _, mixed = answer(world, request(canonical(events), token))
    assert status == 201 and world.count() == count + 6
    receipts = mixed["receipts"]
    assert [r["event_id"] for r in receipts] == [e["event_id"] for e in events]
    assert receipts[:4] == first["receipts"]
    assert [r["index"] for r in receipts[4:]] == list(range(first["receipts"][-1]["index"] + 1,
                                                            first["receipts"][-1]["index"] + 7))

    # one refused event of the new ones refuses the whole retry: none of the rest is written
    more = [note(world, n) for n in range(10, 16)]
    bad = {**more[2], "sig": more[3]["sig"]}
    problem = refused(world, request(canonical(events + more[:2] + [bad] + more[3:]), token),
                      422, "bad-signature")
    assert (problem["index"], problem["event_id"]) == (12, bad["event_id"])


def test_an_event_twice_in_one_batch_is_recorded_once_and_answered_twice(
        world: World, token: str) -> None:
    a, b = note(world, 1), note(world, 2)
    count = world.count()
    status, _, got = answer(world, request(canonical([a, b, a]), token))
    assert status == 201 and world.count() == count + 2
    assert got["receipts"][0] == got["receipts"][2]


# -- 3. re-signed ids --------------------------------------------------------------------------
def test_an_event_id_signed_again_with_other_bytes_is_a_conflict_and_refuses_its_batch(
        world: World, token: str) -> None:
    world.register("other", ["case-app"])
    a = note(world, 1)
    assert answer(world, request(canonical(a), token))[0] == 201
    changed = note(world, 7, event_id=a["event_id"])
    other_key = world.sign("other", stream=a["stream"], type=a["type"], body=a["body"],
                           event_id=a["event_id"], occurred_at=a["occurred_at"])
    for resigned in (changed, other_key):
        problem = refused(world, request(canonical(resigned), token), 409, "conflict")
        assert problem["event_id"] == a["event_id"] and problem["field"] == "event_id"
        batch = [note(world, 20), resigned, note(world, 21)]
        problem = refused(world, request(canonical(batch), token), 409, "conflict")
        assert (problem["event_id"], problem["index"]) == (a["event_id"], 1)
    # a batch of one is a batch: its refused event is named by index 0, as a malformed one is
    problem = refused(world, request(canonical([changed]), token), 409, "conflict")
    assert (problem["event_id"], problem["index"]) == (a["event_id"], 0)
    problem = refused(world, request(canonical(changed), token), 409, "conflict")
    assert "index" not in problem                           # one envelope, not an array
    fresh = note(world, 40)
    clash = [fresh, note(world, 41, event_id=fresh["event_id"])]
    problem = refused(world, request(canonical(clash), token), 409, "conflict")
    assert (problem["event_id"], problem["index"]) == (fresh["event_id"], 1)


# -- 4. the transport --------------------------------------------------------------------------
def test_a_gzip_body_is_refused_as_an_encoding_the_service_does_not_read(
        world: World, token: str) -> None:
    body = gzip.compress(canonical(note(world, 1)))
    raw = request(body, token, extra=b"Content-Encoding: gzip\r\n")
    problem = refused(world, raw, 415, "unsupported-media-type")
    assert problem["rule"] == "content-encoding"
    [(_, headers, _)] = responses(serve(world, raw).output())
    assert headers[b"accept-encoding"] == b"identity"        # RFC 9110 §12.5.3
    # the ASGI path (the app served by another server than `ledger serve`) answers the same
    before = world.count()
    got = world.http.post("/v1/events?via=asgi", content=body, headers={
        **world.headers("poster"), "Content-Encoding": "gzip"})
    assert (got.status_code, got.json()["rule"]) == (415, "content-encoding")
    assert got.headers["accept-encoding"] == "identity" and world.count() == before
    # identity is no encoding at all
    plain = canonical(note(world, 2))
    status, _, _ = answer(world, request(plain, token, extra=b"Content-Encoding: identity\r\n"))
    assert status == 201


def test_a_transfer_coding_other_than_chunked_is_refused_not_taken_as_json(
        world: World, token: str) -> None:
    """`Transfer-Encoding: gzip, chunked` was appended as if it were plain chunked JSON: the
    server decodes the chunks, not the gzip, so gzip bytes were refused as not UTF-8 and JSON
    labelled gzip was taken as sent. Now it is refused as the coding it is."""
    body = canonical(note(world, 1))
    for coded in (body, gzip.compress(body)):
        raw = request(b"", token, length=False,
                      extra=b"Transfer-Encoding: gzip, chunked\r\n") + b"%x\r\n%s\r\n0\r\n\r\n" % (
                          len(coded), coded)
        problem = refused(world, raw, 501, "not-implemented")
        assert problem["rule"] == "transfer-coding"


def test_chunked_and_100_continue_bodies_are_appended(world: World, token: str) -> None:
    body = canonical(note(world, 1))
    raw = request(b"", token, length=False, extra=b"Transfer-Encoding: chunked\r\n"
                  b"Expect: 100-continue\r\n")
    transport = serve(world, raw, b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    out = transport.output()
    assert out.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    [(status, _, _)] = responses(out.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n"))
    assert status == 201


@pytest.mark.parametrize("mangle,rule", [
    (lambda b: b"\xef\xbb\xbf" + b, "no-bom"),
    (lambda b: b.replace(b'"n-1"', b'"n-\xff"'), "utf-8"),
    (lambda b: b + b"x", "json-syntax"),
    (lambda b: b + b"{}", "json-syntax"),
    (lambda b: b"", "json-syntax"),
    (lambda b: b"[" + b + b"," + b"]" + b"]", "json-syntax"),
    (lambda b: b.replace(b'{"body"', b'{"type":"NoteRecorded","body"'), "no-duplicate-keys"),
    (lambda b: b.replace(b'{"note"', b'{"note":"other","note"'), "no-duplicate-keys"),
    (lambda b: b"[" + b.replace(b'{"note"', b'{"note":"x","note"') + b"]",
     "no-duplicate-keys"),
    (lambda b: b"[" + b.replace(b'{"body"', b'{"sig":"x","body"') + b"]", "no-duplicate-keys"),
])
def test_a_body_that_is_not_one_json_text_is_refused_naming_the_rule(
        world: World, token: str, mangle: Any, rule: str) -> None:
    body = canonical(note(world, 1))
    problem = refused(world, request(mangle(body), token), 422, "malformed-event")
    assert problem["rule"] == rule


@pytest.mark.parametrize("ctype", [None, b"text/plain", b"application/x-www-form-urlencoded",
                                   b"application/jsonx", b""])
def test_a_body_not_sent_as_json_is_refused_415(world: World, token: str,
                                               ctype: bytes | None) -> None:
    raw = request(canonical(note(world, 1)), token, ctype=ctype)
    refused(world, raw, 415, "unsupported-media-type")


@pytest.mark.parametrize("framing", [
    b"Content-Length: 5\r\n",                                  # a second, different length
    b"Transfer-Encoding: chunked\r\n",                          # a length and chunked
    b"Transfer-Encoding: gzip\r\n",                             # a coding, not chunked last
])
def test_a_request_http_cannot_frame_is_refused_with_a_problem(
        world: World, token: str, framing: bytes) -> None:
    """uvicorn answers what its parser refuses with a text/plain 400; `ledger serve` answers
    with a problem naming the rule, as every other refusal, and closes the connection."""
    before = world.count()
    raw = request(canonical(note(world, 1)), token, extra=framing)
    transport = serve(world, raw, lost=lambda: True)       # the close reaches the protocol
    [(status, headers, body)] = responses(transport.output())
    problem = orjson.loads(body)
    assert (status, headers[b"content-type"], headers[b"connection"]) == (400, PROBLEM, b"close")
    assert problem["type"].endswith(":bad-request") and problem["rule"] == "http-framing"
    assert transport.closed and world.count() == before



def test_an_append_in_flight_is_answered_before_the_garbage_behind_it_closes_the_connection(
        world: World, token: str) -> None:
    """An append pipelined ahead of bytes no parser can frame: the 400 for those bytes was
    written at once, the connection closed, and the append — recorded — never answered. The
    client read the 400 ("not appended") as the answer to its append and, a 4xx, did not
    retry. Now the append in flight is answered, with `connection: close`, and nothing after."""
    a = note(world, 1)
    count = world.count()
    transport = serve(world, request(canonical(a), token) + b"{not http}\r\n\r\n")
    [(status, headers, body)] = responses(transport.output())
    assert (status, headers[b"connection"]) == (201, b"close") and transport.closed
    assert orjson.loads(body)["receipts"][0]["event_id"] == a["event_id"]
    assert world.count() == count + 1

# -- 5. the Python client against the served ledger --------------------------------------------
class RecordedButUnanswered:
    """The world's HTTP client, the first ``failed`` POSTs forwarded to the ledger (which
    records them) and their answers replaced by ``instead(path)`` — it raises what the client
    meets instead of the answer, or returns the answer it gets."""

    def __init__(self, http: Any, failed: int, instead: Callable[[str], Any]) -> None:
        self.http, self.failed, self.instead, self.bodies = http, failed, instead, []

    def post(self, path: str, **kw: Any) -> Any:
        self.bodies.append(kw["content"])
        answer = self.http.post(path, **kw)
        if self.failed:
            self.failed -= 1
            return self.instead(path)
        return answer


def lost_on_the_way_back(path: str) -> Any:
    raise httpx.ReadTimeout("timed out", request=httpx.Request("POST", path))


def internal_error(path: str) -> Any:
    """The 500 of a service whose database connection dropped mid-commit: the append may or
    may not be recorded (here it is)."""
    return httpx.Response(500, json={
        "type": "urn:integrity-ledger:problem:internal-error", "status": 500,
        "detail": "the append failed and nothing was acknowledged; retry with the same "
                  "event_id(s) — a retry can never append twice"})


@pytest.mark.parametrize("instead", [lost_on_the_way_back, internal_error])
def test_the_client_retries_an_unanswered_append_and_gets_the_original_receipts(
        world: World, token: str, monkeypatch: pytest.MonkeyPatch,
        instead: Callable[[str], Any]) -> None:
    """A lost answer, and a 500 (which was raised at once as LedgerHTTPError, so the caller
    could not tell whether the batch was recorded), are retried with the same bytes; the
    retry returns the receipts of the first attempt, which the ledger recorded, and nothing
    is stored twice."""
    from ledger import client as client_module
    monkeypatch.setattr(client_module.time, "sleep", lambda s: None)
    client = world.client()
    client.http = RecordedButUnanswered(world.http, 2, instead)
    client.retries = 2
    events = [note(world, n) for n in range(3)]
    count = world.count()
    receipts = client.post(events)
    assert [r["event_id"] for r in receipts] == [e["event_id"] for e in events]
    assert world.count() == count + 3                       # written once, by the first try
    assert len(client.http.bodies) == 3 and len(set(client.http.bodies)) == 1
    assert client.post(events) == receipts
    stored = [world.http.get(f"/v1/events/{e['event_id']}", headers=world.headers("auditor"))
              .json()["receipt"] for e in events]
    assert [{k: r[k] for k in s} for r, s in zip(receipts, stored)] == stored


def test_the_client_posts_more_than_a_batch_in_batches_and_surfaces_a_conflict(
        world: World, token: str) -> None:
    from ledger.client import LedgerHTTPError
    client = world.client()
    events = [note(world, n) for n in range(1001)]
    count = world.count()
    with pytest.raises(LedgerHTTPError) as too_many:        # post is one atomic request
        client.post(events)
    assert too_many.value.status == 413 and world.count() == count
    receipts = client.post_all(events)                      # 1,000 then 1
    assert len(receipts) == 1001 and world.count() == count + 1001
    assert receipts[1000]["index"] == receipts[999]["index"] + 1
    changed = note(world, 5000, event_id=events[7]["event_id"])
    with pytest.raises(LedgerHTTPError) as conflict:
        client.post([note(world, 5001), changed])
    assert conflict.value.status == 409 and events[7]["event_id"] in str(conflict.value)
    assert (conflict.value.problem["event_id"], conflict.value.problem["index"]) == (
        events[7]["event_id"], 1)
    assert world.count() == count + 1001


def test_a_batch_refused_after_others_were_recorded_names_what_was_recorded(
        world: World, token: str) -> None:
    """post_all raised the second batch's refusal bare: the receipts of the first batch,
    recorded, were lost to the caller, who could not tell which events the ledger holds. The
    error now carries them (``receipts``) and how many envelopes they cover (``posted``), the
    place in the iterable to resume from; nothing of the refused batch or after it is written."""
    from ledger.client import LedgerHTTPError
    client = world.client()
    client.batch_size = 2
    events = [note(world, n) for n in range(6)]
    events[3] = {**events[3], "sig": events[2]["sig"]}      # the second batch: a bad signature
    count = world.count()
    with pytest.raises(LedgerHTTPError) as refused:
        client.post_all(iter(events))
    assert refused.value.status == 422 and refused.value.problem["type"].endswith(
        ":bad-signature")
    assert refused.value.posted == 2 and world.count() == count + 2
    auditor = world.headers("auditor")
    held = [world.http.get(f"/v1/events/{e['event_id']}", headers=auditor) for e in events]
    assert [h.status_code for h in held] == [200, 200, 404, 404, 404, 404]
    stored = [h.json()["receipt"] for h in held[:2]]
    assert [r["event_id"] for r in refused.value.receipts] == [e["event_id"] for e in events[:2]]
    assert [{k: r[k] for k in s} for r, s in zip(refused.value.receipts, stored)] == stored


def test_the_client_reads_the_ledgers_answers_that_are_not_json(
        world: World, token: str, log_view: Any, log_key: Any) -> None:
    """LedgerClient.get parsed every answer as JSON: the signed checkpoint (text/plain), the one
    thing a client needs to check its receipts' inclusion proofs against, raised
    JSONDecodeError. A text answer of the ledger is now returned as its text; a JSON one still
    as its value, and an answer that is neither is the ledger's no more than it is JSON."""
    from ledger.checkpoint import open_checkpoint
    from ledger.client import LedgerHTTPError
    from ledger.note import parse_vkey, vkey_for

    from .conftest import LOG_ORIGIN
    receipts = world.post([note(world, n) for n in range(3)])
    log_view.issue_checkpoint()
    client = world.client("auditor")
    note_text = client.get("/v1/log/checkpoint")
    checkpoint = open_checkpoint(note_text, [parse_vkey(vkey_for(LOG_ORIGIN, log_key.public_key))],
                                 LOG_ORIGIN)
    assert checkpoint.size == 4                             # the key and the three notes
    proof = client.get("/v1/log/proofs/inclusion", event_id=receipts[2]["event_id"],
                       tree_size=checkpoint.size)
    assert proof["index"] == receipts[2]["index"]
    client.http = FailsWith(httpx.Response(200, html="<html>Sign in to the network</html>"))
    with pytest.raises(LedgerHTTPError, match="not the ledger's"):
        client.get("/v1/log/checkpoint")


class FailsWith:
    """An HTTP client that never reaches the ledger: every request gets ``answer``."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def get(self, path: str, **kw: Any) -> Any:
        return self.answer


# -- over a real socket: what a client meets on the wire --------------------------------------
@pytest.fixture
def served(world: World) -> Any:
    """The world's app served by uvicorn as `ledger serve` serves it (api/cli/home.py: its protocol,
    no proxy-headers wrapper, which would hide the ingest from the protocol), on a free port."""
    import asyncio
    import threading

    import uvicorn

    from api.hotpath import HotProtocol
    config = uvicorn.Config(world.http.app, host="127.0.0.1", port=0, http=HotProtocol,
                            proxy_headers=False, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    yield server.servers[0].sockets[0].getsockname()[:2]
    server.should_exit = True
    thread.join(10)


def exchange(address: Any, *parts: bytes, pause: float = 0.0) -> bytes:
    """Send ``parts`` on one connection (``pause`` s apart), read until the server closes or
    falls silent for 5 s."""
    import socket
    with socket.create_connection(address, timeout=5) as sock:
        for part in parts:
            sock.sendall(part)
            time.sleep(pause)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except TimeoutError:
            pass
        return out


def test_over_a_socket_a_length_far_over_the_limit_is_refused_at_once_unread(
        world: World, token: str, served: Any) -> None:
    before = world.count()
    started = time.monotonic()
    raw = request(b"", token, length=False, extra=b"Content-Length: 10000000000\r\n"
                  b"Expect: 100-continue\r\n") + b'[{"a'
    out = exchange(served, raw)
    assert time.monotonic() - started < 4           # answered, not waiting for 10 GB
    [(status, headers, body)] = responses(out)        # no 100 Continue before it
    assert (status, headers[b"connection"]) == (413, b"close")
    assert orjson.loads(body)["rule"] == "max-body-bytes" and world.count() == before


def test_over_a_socket_a_chunked_body_is_cut_off_where_it_passes_the_limit(
        world: World, token: str, served: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.ingest
    monkeypatch.setattr(api.ingest, "MAX_BODY", 1000)
    before = world.count()
    raw = request(b"", token, length=False, extra=b"Transfer-Encoding: chunked\r\n")
    piece = b"%x\r\n%s\r\n" % (600, b" " * 600)
    started = time.monotonic()
    # past the limit in one send, and no end: the server shuts its side after the 413 and
    # discards the rest (docs/architecture.md, Speed decisions)
    out = exchange(served, raw + piece + piece)
    assert time.monotonic() - started < 4
    [(status, headers, body)] = responses(out)
    assert (status, headers[b"connection"]) == (413, b"close")
    assert orjson.loads(body)["rule"] == "max-body-bytes" and world.count() == before


def test_over_a_socket_gzip_and_bad_framing_are_refused_as_problems(
        world: World, token: str, served: Any) -> None:
    before = world.count()
    body = gzip.compress(canonical(note(world, 1)))
    [(status, headers, problem)] = responses(exchange(served, request(
        body, token, extra=b"Content-Encoding: gzip\r\nConnection: close\r\n")))
    assert (status, orjson.loads(problem)["rule"]) == (415, "content-encoding")
    assert headers[b"accept-encoding"] == b"identity"
    [(status, headers, problem)] = responses(exchange(served, request(
        canonical(note(world, 2)), token, extra=b"Transfer-Encoding: chunked\r\n")))
    assert (status, headers[b"content-type"]) == (400, PROBLEM)
    assert orjson.loads(problem)["rule"] == "http-framing" and world.count() == before


def send_while_reading(address: Any, request: bytes) -> tuple[bytes, list[OSError]]:
    """Write ``request`` from a thread, as a client does that sends its whole body before it
    looks at the answer, and meanwhile read until the server closes its side (ConnectionResetError
    if it resets the connection instead). Returns what was read and the writer's error, if any."""
    import socket
    import threading
    errors: list[OSError] = []

    with socket.create_connection(address, timeout=5) as sock:
        def send() -> None:
            try:
                sock.sendall(request)
            except OSError as e:
                errors.append(e)

        writer = threading.Thread(target=send, daemon=True)
        writer.start()
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        writer.join(10)
        assert not writer.is_alive(), "the body was still not sent after 10 s"
    return out, errors


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_over_a_socket_a_client_still_sending_a_refused_body_reads_its_413(
        world: World, token: str, served: Any, monkeypatch: pytest.MonkeyPatch,
        framing: str) -> None:
    """The hot path closed the connection as soon as it had written the 413, the rest of the
    body unread: the kernel answers that close with a reset, and a client still sending met
    "connection reset" instead of the 413 — a network error, which LedgerClient retries with
    the same body. Now the server shuts its side after the 413 and reads and discards what the
    client still sends (a lingering close), so the client's body goes out and the 413 is read."""
    import api.ingest
    monkeypatch.setattr(api.ingest, "MAX_BODY", 1000)
    before = world.count()
    body = b" " * (8 * 1024 * 1024)
    if framing == "content-length":
        raw = request(body, token)
    else:
        raw = request(b"", token, length=False, extra=b"Transfer-Encoding: chunked\r\n") + (
            b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    out, errors = send_while_reading(served, raw)
    assert errors == []                 # all of it was sent: read by the server, not reset
    [(status, headers, problem)] = responses(out)
    assert (status, headers[b"content-type"], headers[b"connection"]) == (413, PROBLEM, b"close")
    assert orjson.loads(problem)["rule"] == "max-body-bytes" and world.count() == before



def test_over_a_socket_expect_100_continue_gets_a_refusal_before_the_body_is_sent(
        world: World, token: str, served: Any) -> None:
    """A request its headers refuse is answered so at once — no 100 Continue, so the body is
    never sent — and the connection is closed; one they admit gets the 100 Continue, then its
    receipts, on a connection kept alive."""
    import socket
    before = world.count()
    event = note(world, 1)
    body = canonical(event)
    expect = b"Expect: 100-continue\r\n"
    for raw, status, rule in (
            (request(body, "not-a-token", extra=expect), 401, "bearer-token"),
            (request(body, token, ctype=b"text/plain", extra=expect), 415, "json-content-type")):
        started = time.monotonic()
        out = exchange(served, raw.removesuffix(body))
        assert time.monotonic() - started < 4           # closed by the server, not waited out
        [(got, headers, problem)] = responses(out)      # a 100 Continue would be one more
        assert (got, headers[b"connection"]) == (status, b"close")
        assert orjson.loads(problem)["rule"] == rule and world.count() == before
    # a token not looked up yet: read off the event loop before the 100 Continue is sent
    fresh = world.token("poster", principal="fresh-poster")
    with socket.create_connection(served, timeout=5) as sock:
        sock.sendall(request(body, fresh, extra=expect).removesuffix(body))
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        out = b""
        while not (b"\r\n\r\n" in out and len(responses(out)[0][2]) == int(
                responses(out)[0][1][b"content-length"])):
            out += sock.recv(65536)
    [(got, headers, receipts)] = responses(out)
    assert got == 201 and b"connection" not in headers
    assert orjson.loads(receipts)["receipts"][0]["event_id"] == event["event_id"]
    assert world.count() == before + 1
