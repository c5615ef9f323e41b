"""The HTTP protocol `ledger serve` runs (api/hotpath.py): POST /v1/events answered without an
ASGI cycle, everything else through uvicorn and the framework — driven here byte by byte over a
recording transport, against the test's real ledger and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from uvicorn.config import Config
from uvicorn.server import ServerState

import api.hotpath
import api.ingest
from api.hotpath import HotProtocol
from ledger.canonical import canonical

from .conftest import World


class Transport(asyncio.Transport):
    """Records every write; closing, and shutting the write side, are flags."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.eof = False
        self.reading = True

    def write(self, data: Any) -> None:
        assert not self.eof, "written after the write side was shut"
        self.writes.append(bytes(data))

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000),
                "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        pass

    def output(self) -> bytes:
        return b"".join(self.writes)


def connect(world: World) -> tuple[HotProtocol, Transport, ServerState]:
    """One connection of the protocol over a recording transport (in a running loop)."""
    config = Config(app=world.http.app, http=HotProtocol, proxy_headers=False,
                    log_level="warning")
    config.load()
    state = ServerState()
    protocol = HotProtocol(config=config, server_state=state, app_state={},
                           _loop=asyncio.get_running_loop())
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, transport, state


def serve(world: World, *chunks: bytes, lost: Callable[[], bool] | None = None) -> Transport:
    """Feed ``chunks`` to one connection of the protocol, wait for every request it started.
    With ``lost``, drop the connection after the last chunk and run until ``lost()`` holds."""

    async def run() -> Transport:
        protocol, transport, state = connect(world)
        for chunk in chunks:
            protocol.data_received(chunk)
            await asyncio.sleep(0)
        if lost:
            protocol.connection_lost(None)
            deadline = time.monotonic() + 30
            while not lost():
                assert time.monotonic() < deadline, "the append did not land within 30 s"
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)        # the answer, had it been written, is past
        await answered(protocol, state)
        return transport

    return asyncio.run(run())


async def answered(protocol: HotProtocol, state: ServerState) -> None:
    """Wait until every request is answered (a pipelined one starts when the one before it is),
    or gone."""
    deadline = time.monotonic() + 30
    while state.tasks or protocol.pipeline or not (
            protocol.cycle is None or protocol.cycle.response_complete
            or protocol.cycle.disconnected):
        assert time.monotonic() < deadline, "no answer within 30 s"
        await asyncio.sleep(0.005)
    protocol._unset_keepalive_if_required()


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def expecting(world: World, head: bytes, body: bytes, *, anyway: bool = False) -> Transport:
    """A client that sends ``head`` (with ``Expect: 100-continue``) and waits for the server's
    first answer: the body follows a 100 Continue — or ``anyway``, as from a client that waited
    no longer (RFC 9110 §10.1.1 lets it)."""

    async def run() -> Transport:
        protocol, transport, state = connect(world)
        protocol.data_received(head)
        deadline = time.monotonic() + 30
        while not transport.writes:
            assert time.monotonic() < deadline, "neither 100 Continue nor an answer in 30 s"
            await asyncio.sleep(0.005)
        if transport.writes[0] == CONTINUE or anyway:
            protocol.data_received(body)
        await answered(protocol, state)
        return transport

    return asyncio.run(run())


def post(body: bytes, token: str, *, extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    return (b"POST /v1/events HTTP/" + version + b"\r\nHost: ledger\r\nAuthorization: Bearer "
            + token.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


def responses(raw: bytes) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    """Split a connection's output into (status, headers, body), by content-length."""
    out = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        headers = {k.lower(): v for k, _, v in (line.partition(b": ") for line in lines)}
        size = int(headers.get(b"content-length", b"0"))
        out.append((int(status_line.split()[1]), headers, rest[:size]))
        raw = rest[size:]
    return out


@pytest.fixture
def app_event(world: World) -> dict:
    world.register("app", ["case-app"])
    return note(world, 1)


def note(world: World, n: int) -> dict:
    return world.sign("app", stream="case:X-1", type="NoteRecorded", body={"note": f"n-{n}"})


def test_an_append_is_answered_in_one_write_with_its_receipt(world: World,
                                                             app_event: dict) -> None:
    before = world.count()
    transport = serve(world, post(canonical(app_event), world.token("poster")))
    [(status, headers, body)] = responses(transport.output())
    assert status == 201
    assert headers[b"content-type"] == b"application/json"
    [receipt] = orjson.loads(body)["receipts"]
    assert receipt["event_id"] == app_event["event_id"] and receipt["stream_version"] == 1
    assert len(transport.writes) == 1 and not transport.closed
    assert world.count() == before + 1


def test_keep_alive_mixes_appends_and_framework_routes_on_one_connection(
        world: World, app_event: dict) -> None:
    token = world.token("poster")
    reader = world.token("auditor")
    body = canonical(app_event)
    forged = canonical({**app_event, "sig": app_event["sig"][:-2] + "AA"} | {
        "event_id": "00000000-0000-4000-8000-000000000001"})
    get = (b"GET /v1/events/" + app_event["event_id"].encode() + b" HTTP/1.1\r\nHost: ledger\r\n"
           b"Authorization: Bearer " + reader.encode() + b"\r\n\r\n")
    transport = serve(world, post(body, token), post(body, token), get, post(forged, token),
                      post(body, "not-a-token"))
    got = responses(transport.output())
    assert [status for status, _, _ in got] == [201, 200, 200, 422, 401]
    first, again = (orjson.loads(b)["receipts"] for _, _, b in got[:2])
    assert first == again                                    # the retry gets the same receipt
    assert orjson.loads(got[2][2])["receipt"] == first[0]
    assert got[3][1][b"content-type"] == b"application/problem+json"
    assert orjson.loads(got[3][2])["field"] == "sig"
    assert got[4][1][b"www-authenticate"] == b"Bearer"
    assert not transport.closed


def test_pipelined_requests_are_answered_in_order(world: World, app_event: dict) -> None:
    token = world.token("poster")
    events = [note(world, n) for n in range(2, 5)]
    transport = serve(world, b"".join(post(canonical(e), token) for e in events))
    got = responses(transport.output())
    assert [status for status, _, _ in got] == [201, 201, 201]
    assert [orjson.loads(b)["receipts"][0]["event_id"] for _, _, b in got] == \
        [e["event_id"] for e in events]


def test_a_chunked_body_split_across_reads_is_appended_byte_for_byte(
        world: World, app_event: dict) -> None:
    body = canonical(app_event)
    head = (b"POST /v1/events HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer "
            + world.token("poster").encode() + b"\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    parts = [body[:7], body[7:100], body[100:]]
    chunked = [b"%x\r\n%s\r\n" % (len(p), p) for p in parts] + [b"0\r\n\r\n"]
    transport = serve(world, head, *chunked)
    [(status, _, _)] = responses(transport.output())
    assert status == 201
    assert bytes(world.ledger.get_event(app_event["event_id"]).raw) == body


def test_trailer_fields_do_not_stand_in_for_the_headers(world: World, app_event: dict) -> None:
    # RFC 9110 6.5.1: a trailer is not merged into the header section (h11 drops them too);
    # a gateway that checked the Authorization before the body must see the one that counts
    before = world.count()
    body = canonical(app_event)
    for path in (b"/v1/events", b"/v1/events?via=asgi"):
        request = (b"POST " + path + b" HTTP/1.1\r\nHost: ledger\r\n"
                   b"Authorization: Bearer not-a-token\r\nContent-Type: application/json\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n" % (len(body), body)
                   + b"Authorization: Bearer " + world.token("poster").encode() + b"\r\n\r\n")
        [(status, _, _)] = responses(serve(world, request).output())
        assert status == 401
    assert world.count() == before


def test_of_two_authorization_headers_the_first_counts_as_on_every_other_route(
        world: World, app_event: dict) -> None:
    before = world.count()
    body = canonical(app_event)
    twice = b"Authorization: Bearer " + world.token("poster", "auditor").encode() + b"\r\n"
    get = (b"GET /v1/events/" + app_event["event_id"].encode() + b" HTTP/1.1\r\nHost: ledger\r\n"
           b"Authorization: Bearer not-a-token\r\n" + twice + b"\r\n")
    appends = [post(body, "not-a-token", extra=twice),
               post(body, "not-a-token", extra=twice).replace(b"/v1/events", b"/v1/events?x")]
    got = responses(serve(world, *appends, get).output())
    assert [status for status, _, _ in got] == [401, 401, 401]
    assert world.count() == before


def expect_head(body: bytes, token: str) -> bytes:
    head, _, _ = post(body, token, extra=b"Expect: 100-continue\r\n").partition(b"\r\n\r\n")
    return head + b"\r\n\r\n"


def test_expect_100_continue_is_answered_before_the_body(world: World, app_event: dict) -> None:
    body = canonical(app_event)
    # a token not looked up yet (read off the event loop first), then the same one, known
    for _ in range(2):
        transport = expecting(world, expect_head(body, world.token("poster")), body)
        assert transport.writes[0] == CONTINUE
        [(status, _, got)] = responses(b"".join(transport.writes[1:]))
        assert status in (200, 201) and orjson.loads(got)["receipts"][0]["event_id"] == \
            app_event["event_id"]
        assert not transport.closed and not transport.eof


@pytest.mark.parametrize("token,header,status,rule", [
    # the poster token has appended (app_event's key): known, judged on the event loop; the
    # others not looked up yet, read off it first
    (None, b"", 401, "bearer-token"),                     # no Authorization at all
    ("not-a-token", b"", 401, "bearer-token"),
    ("auditor", b"", 403, "access-role"),
    ("poster", b"Content-Type: text/plain\r\n", 415, "json-content-type"),
    ("admin", b"Content-Type: text/plain\r\n", 415, "json-content-type"),
    ("poster", b"Content-Encoding: gzip\r\n", 415, "content-encoding"),
])
def test_expect_100_continue_of_a_request_its_headers_refuse_gets_the_refusal_not_a_continue(
        world: World, app_event: dict, token: str | None, header: bytes, status: int,
        rule: str) -> None:
    """The 100 Continue was written before the token, the content type or the coding was
    looked at, so the client uploaded a body then refused 401, 403 or 415. What the headers
    decide is now judged first, in the order the append judges it, and its refusal answers at
    once: no 100 Continue, and the connection closed lingering, as after a 413 — what follows
    may be the body (sent anyway) or the next request, and the server cannot tell which."""
    before = world.count()
    body = canonical(app_event)
    head = expect_head(body, world.token(token) if token in ("auditor", "poster", "admin")
                       else token or "")
    if token is None:
        head = head.replace(b"Authorization: Bearer \r\n", b"")
    if header.startswith(b"Content-Type"):
        head = head.replace(b"Content-Type: application/json\r\n", header)
    else:
        head = head.replace(b"\r\n\r\n", b"\r\n" + header + b"\r\n")
    for anyway in (False, True):
        transport = expecting(world, head, body, anyway=anyway)
        assert CONTINUE not in transport.output()
        [(got, headers, problem)] = responses(transport.output())
        assert (got, orjson.loads(problem)["rule"]) == (status, rule)
        assert headers[b"connection"] == b"close" and transport.eof
        assert world.count() == before
    # the body sent at once, not waiting: the one answer is the refusal, whichever judges first
    [(got, _, problem)] = responses(serve(world, head, body).output())
    assert (got, orjson.loads(problem)["rule"]) == (status, rule) and world.count() == before


def test_a_malformed_body_sent_while_the_token_is_looked_up_gets_its_400(world: World) -> None:
    """An ``Expect: 100-continue`` append whose token is read off the event loop first, its
    body sent unasked and unframeable (a chunk size that is no number): the parser's refusal
    took the lookup for an append in flight and left the answer to it — but the lookup answers
    only 100 Continue, so the connection hung, read no more and was never answered or closed.
    Now the 400 answers it at once and closes it; nothing is written."""
    before = world.count()
    head = (b"POST /v1/events HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer "
            + world.token("poster").encode() + b"\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n")

    async def run() -> Transport:
        protocol, transport, _ = connect(world)
        protocol.data_received(head + b"zz\r\n")
        deadline = time.monotonic() + 10
        while not transport.closed and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)    # the lookup's end: no 100 Continue after the answer
        return transport

    transport = asyncio.run(run())
    assert transport.closed, "no answer, the connection left open"
    [(status, headers, problem)] = responses(transport.output())
    assert (status, orjson.loads(problem)["rule"]) == (400, "http-framing")
    assert headers[b"connection"] == b"close" and CONTINUE not in transport.output()
    assert world.count() == before


def test_expect_100_continue_from_http_1_0_is_ignored(world: World, app_event: dict) -> None:
    # RFC 9110 10.1.1 (and h11): a 1.0 client knows no interim answers, it would take the 100
    # for the answer to its append
    body = canonical(app_event)
    request = post(body, world.token("poster"), extra=b"Expect: 100-continue\r\n",
                   version=b"1.0")
    head, _, _ = request.partition(b"\r\n\r\n")
    for path in (b"/v1/events", b"/v1/events?via=asgi"):
        transport = serve(world, head.replace(b"/v1/events", path) + b"\r\n\r\n", body)
        [(status, _, _)] = responses(transport.output())
        assert status in (200, 201)


def test_http_1_0_gets_its_answer_and_the_connection_closed(world: World,
                                                            app_event: dict) -> None:
    transport = serve(world, post(canonical(app_event), world.token("poster"), version=b"1.0"))
    [(status, headers, _)] = responses(transport.output())
    assert status == 201 and headers[b"connection"] == b"close"
    assert transport.closed


def test_a_body_over_the_limit_is_refused_unread_and_nothing_written(
        world: World, app_event: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.ingest, "MAX_BODY", 1000)
    before = world.count()
    body = canonical([note(world, n) for n in range(10, 20)])
    assert len(body) > 1000
    head = (b"POST /v1/events HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer "
            + world.token("poster").encode() + b"\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")   # no length declared: counted as it comes
    chunked = [b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:600], body[600:])]
    transport = serve(world, head, *chunked, b"0\r\n\r\n")
    [(status, headers, problem)] = responses(transport.output())
    assert status == 413 and headers[b"connection"] == b"close"
    assert orjson.loads(problem)["type"].endswith("body-too-large")
    assert transport.eof            # closing: lingering, the rest discarded (test_lingering_*)
    assert world.count() == before


@pytest.mark.parametrize("path", [b"/v1/events", b"/v1/events?via=asgi"])
def test_a_body_declared_over_the_limit_is_refused_before_it_is_asked_for(
        world: World, app_event: dict, monkeypatch: pytest.MonkeyPatch, path: bytes) -> None:
    """On the hot path, and off it (a query string takes the append through uvicorn's cycle
    and the ASGI middleware): a 413 from the declared length, no 100 Continue, nothing read."""
    monkeypatch.setattr(api.ingest, "MAX_BODY", 1000)
    before = world.count()
    request = post(b"x" * 1001, world.token("poster"), extra=b"Expect: 100-continue\r\n")
    head, _, _ = request.replace(b"/v1/events", path).partition(b"\r\n\r\n")
    transport = serve(world, head + b"\r\n\r\n")
    [(status, headers, problem)] = responses(transport.output())     # no 100 Continue
    assert status == 413
    assert orjson.loads(problem)["type"].endswith("body-too-large")
    assert world.count() == before
    if path == b"/v1/events":       # the hot path closes; uvicorn's cycle discards the rest
        assert headers[b"connection"] == b"close" and transport.eof


@pytest.mark.parametrize("closed", ["ledger", "writer", "ingest"])
def test_an_append_refused_at_shutdown_is_a_503_to_retry_on_every_path(
        world: World, app_event: dict, closed: str) -> None:
    """A request refused because the service was stopping (a closed stage of the ledger, at
    once or at the hand-off from verifier to writer; a closed ingest pool) was answered 500
    `internal-error`, as a bug would be. Every path now answers 503 `shutting-down` with
    Retry-After, saying nothing was written."""
    before = world.count()
    {"ledger": world.ledger.close, "writer": world.ledger.committer.close,
     "ingest": world.http.app.ingest.close}[closed]()
    answers = []
    for n, path in enumerate((b"/v1/events", b"/v1/events?via=asgi")):
        # a token never seen is looked up off the event loop: on the ingest pool
        request = post(canonical(app_event), world.token("poster", principal=f"p{n}"))
        answers += responses(serve(world, request.replace(b"/v1/events", path)).output())
    # the framework route the wrapper stands in front of, with the same ingest
    routed = TestClient(world.http.app.app).post("/v1/events", content=canonical(
        app_event), headers={"Authorization": f"Bearer {world.token('poster', principal='p2')}",
                             "Content-Type": "application/json"})
    answers.append((routed.status_code, {k.encode(): v.encode()
                                         for k, v in routed.headers.items()}, routed.content))
    for status, headers, problem in answers:
        assert status == 503 and headers[b"retry-after"] == str(api.ingest.RETRY_AFTER).encode()
        assert orjson.loads(problem)["type"].endswith(":shutting-down")
        assert orjson.loads(problem)["rule"] == "service-running"
        assert "nothing was written" in orjson.loads(problem)["detail"]
    assert world.count() == before


def test_one_limit_governs_the_hot_path_and_the_asgi_route_alike(
        world: World, app_event: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hot path kept its own copy of MAX_BODY and built its own 413: a limit changed in
    api/ingest.py left it at 64 MiB. Both now ask ingest, and answer with its problem."""
    monkeypatch.setattr(api.ingest, "MAX_BODY", 1000)
    before = world.count()
    request = post(b"x" * 1001, world.token("poster"))
    answers = [responses(serve(world, request.replace(b"/v1/events", path)).output())
               for path in (b"/v1/events", b"/v1/events?via=asgi")]
    [[(hot, _, hot_problem)], [(routed, _, routed_problem)]] = answers
    assert hot == routed == 413
    assert hot_problem == routed_problem == api.ingest.too_large()[2]
    assert b"exceeds 1000 bytes" in hot_problem
    assert world.count() == before


def test_a_request_behind_a_refused_body_on_the_closed_connection_is_not_appended(
        world: World, app_event: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.ingest, "MAX_BODY", 1000)
    before = world.count()
    token = world.token("poster")
    body = canonical([note(world, n) for n in range(10, 20)])
    head = (b"POST /v1/events HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer "
            + token.encode() + b"\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    behind = post(canonical(note(world, 30)), token)
    upgrade = (b"GET /ws HTTP/1.1\r\nHost: ledger\r\nConnection: Upgrade\r\n"
               b"Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
    refused = head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    # in the read that held the refused body, in a later one; an upgrade is not served either
    for reads in ([refused + behind], [refused, behind], [refused + upgrade], [refused, upgrade]):
        transport = serve(world, *reads)
        [(status, headers, _)] = responses(transport.output())
        assert status == 413 and headers[b"connection"] == b"close" and transport.eof
        assert world.count() == before         # the client was told nothing of the second


def test_lingering_after_a_413_discards_what_follows_and_ends_within_its_bounds(
        world: World, app_event: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a 413 given before the body was read, the connection is not closed at once (its
    reset could destroy the answer: test_integrator's socket tests). The write side is shut,
    and what the client still sends is dropped unparsed until it falls silent for LINGER_IDLE,
    has sent LINGER_BYTES, or LINGER_TOTAL has passed: a client cannot hold it open."""
    monkeypatch.setattr(api.ingest, "MAX_BODY", 1000)
    monkeypatch.setattr(api.hotpath, "LINGER_IDLE", 0.2)
    monkeypatch.setattr(api.hotpath, "LINGER_TOTAL", 1.0)
    monkeypatch.setattr(api.hotpath, "LINGER_BYTES", 10_000)
    head, _, _ = post(b"x" * 5000, world.token("poster")).partition(b"\r\n\r\n")

    async def run(piece: bytes) -> tuple[float, int, Transport]:
        """Seconds until closed, and pieces sent meanwhile (one each 50 ms, if any)."""
        protocol, transport, _ = connect(world)
        protocol.data_received(head + b"\r\n\r\n" + b"x" * 100)
        started, sent = time.monotonic(), 0
        while not transport.closed:
            assert time.monotonic() - started < 10, "still open after 10 s"
            if piece:
                protocol.data_received(piece)
                sent += 1
            await asyncio.sleep(0.05)
        return time.monotonic() - started, sent, transport

    silent, _, transport = asyncio.run(run(b""))
    [(status, _, _)] = responses(transport.output())
    assert status == 413 and transport.eof and 0.2 <= silent < 1.0
    trickling, _, transport = asyncio.run(run(b"x" * 50))
    assert [status for status, _, _ in responses(transport.output())] == [413]
    assert 1.0 <= trickling < 5
    _, sent, _ = asyncio.run(run(b"x" * 3000))
    assert sent == 4                            # past 10,000 bytes at the fourth


def test_a_client_gone_before_the_answer_is_not_written_to_but_its_append_lands(
        world: World, app_event: dict) -> None:
    before = world.count()
    transport = serve(world, post(canonical(app_event), world.token("poster")),
                      lost=lambda: world.count() > before)
    assert transport.writes == []
    assert world.count() == before + 1          # durable: a retry gets the original receipt


def test_a_peer_that_reads_no_answers_holds_them_and_stops_being_read(world: World) -> None:
    # a client that sends and never reads: once the transport asks to stop writing, answers
    # wait and the connection is no longer read (as uvicorn's own cycle), instead of the
    # answers piling up in the server's memory without bound
    unauthenticated = (b"POST /v1/events HTTP/1.1\r\nHost: ledger\r\n"
                       b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    async def run() -> tuple[Transport, list[bytes]]:
        protocol, transport, state = connect(world)
        protocol.pause_writing()
        for _ in range(3):
            protocol.data_received(unauthenticated)
            await asyncio.sleep(0.2)
        held = list(transport.writes)
        assert not transport.reading
        protocol.resume_writing()
        deadline = time.monotonic() + 30
        while state.tasks or protocol.pipeline:
            assert time.monotonic() < deadline, "no answer within 30 s"
            await asyncio.sleep(0.005)
        protocol._unset_keepalive_if_required()
        return transport, held

    transport, held = asyncio.run(run())
    assert held == []
    assert [status for status, _, _ in responses(transport.output())] == [401, 401, 401]
    assert transport.reading
