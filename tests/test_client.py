"""The Python client's retries: network failures are retried with the same bytes (a retry can
never append twice), a request that can never be sent is not."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ledger import client as client_module
from ledger.client import LedgerClient, LedgerHTTPError, LedgerUnreachable

RECEIPT = {"receipts": [{"event_id": "e", "log_index": 0}]}


def make(handler) -> LedgerClient:  # noqa: ANN001
    """A client whose transport is ``handler`` (the network's behaviour, scripted)."""
    http = httpx.Client(base_url="http://ledger.test", transport=httpx.MockTransport(handler))
    return LedgerClient("http://ledger.test", "t0ken", http=http, retries=3, backoff=0.0)


def test_a_lost_connection_is_retried_with_the_same_bytes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        if len(bodies) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201, json=RECEIPT)

    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    client = make(handler)
    assert client.post({"event_id": "e"}) == RECEIPT["receipts"]
    assert len(bodies) == 3 and len(set(bodies)) == 1 and len(sleeps) == 2


def test_a_service_shutting_down_is_retried_after_the_pause_it_asks_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A 503 `shutting-down` (nothing written) is retried like any 503, with the same bytes —
    no sooner than its Retry-After: the backoff alone resent it after 0 s here."""
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        if len(bodies) == 1:
            return httpx.Response(503, headers={"Retry-After": "1"}, json={
                "type": "urn:integrity-ledger:problem:shutting-down",
                "detail": "the service is shutting down and nothing was written"})
        return httpx.Response(201, json=RECEIPT)

    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    assert make(handler).post({"event_id": "e"}) == RECEIPT["receipts"]
    assert len(bodies) == 2 and len(set(bodies)) == 1 and sleeps == [1.0]


@pytest.fixture
def server() -> Iterator[str]:
    """A real HTTP server on localhost answering every POST with a receipt."""
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps(RECEIPT).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_request_that_can_never_be_sent_is_not_retried(
        monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    """A token with a newline or a URL without a scheme was retried for ≈ 6 s before failing."""
    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    assert LedgerClient(server, "t0ken", backoff=0.0).post({"event_id": "e"}) \
        == RECEIPT["receipts"]                               # the server answers
    for url, token in ((server, "bad\ntoken"), (server.removeprefix("http://"), "t0ken")):
        with pytest.raises(httpx.HTTPError):
            LedgerClient(url, token, backoff=0.0).post({"event_id": "e"})
    assert sleeps == []


def test_a_refusal_is_not_retried_and_carries_the_problem(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(409, json={"type": "urn:x:conflict", "detail": "event_id reused"})

    monkeypatch.setattr(client_module.time, "sleep", lambda s: None)
    client = make(handler)
    with pytest.raises(LedgerHTTPError) as refused:
        client.post({"event_id": "e"})
    assert refused.value.status == 409 and refused.value.problem["detail"] == "event_id reused"
    assert calls == [1]


def named_after_four_attempts(error: LedgerUnreachable, url: str, tried: str) -> None:
    """``error`` names ``url``, what was ``tried`` and the connection refused each time."""
    assert str(error) == (
        f"no answer from the ledger at {url}: {tried} (last: ConnectError: [Errno 111] "
        "Connection refused); is the service running there (`ledger serve`)?")
    assert error.url == url and error.attempts == 4
    assert isinstance(error.__cause__, httpx.ConnectError)


def test_a_service_that_never_answers_is_named_after_the_retries(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With the server down the client raised httpx's bare ConnectError after its retries,
    naming neither the URL it tried nor how often."""
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    with pytest.raises(LedgerUnreachable) as unreachable:
        make(handler).post({"event_id": "e"})
    named_after_four_attempts(unreachable.value, "http://ledger.test/v1/events",
                              "POST failed 4 times, retried with the same bytes")
    assert len(bodies) == 4 and len(set(bodies)) == 1 and len(sleeps) == 3


def test_a_read_from_a_service_that_never_answers_is_retried_then_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """LedgerClient.get with the server down raised httpx's bare ConnectError at the first
    failure, where post retries and names the URL: a read is as safe to send again."""
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(str(request.url))
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    with pytest.raises(LedgerUnreachable) as unreachable:
        make(handler).get("/v1/flags", rule="RF04")
    named_after_four_attempts(unreachable.value, "http://ledger.test/v1/flags",
                              "GET failed 4 times")
    assert paths == ["http://ledger.test/v1/flags?rule=RF04"] * 4 and len(sleeps) == 3


def test_a_read_answered_after_a_lost_connection_or_a_503_is_returned(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        if len(calls) == 2:
            return httpx.Response(503, headers={"Retry-After": "2"}, json={"detail": "busy"})
        return httpx.Response(200, json={"flags": []})

    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    assert make(handler).get("/v1/flags") == {"flags": []}
    assert len(calls) == 3 and sleeps == [0.0, 2.0]


def test_a_closed_port_is_named_after_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_multiprocess import free_port
    monkeypatch.setattr(client_module.time, "sleep", lambda s: None)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LedgerUnreachable, match=f"at {url}/v1/events: POST failed 2 times"):
        LedgerClient(url, "t0ken", retries=1).post({"event_id": "e"})


def test_the_backoff_is_jittered_so_clients_cut_off_together_do_not_retry_together(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every client waited exactly 0.2, 0.4, 0.8… s: the devices a restart cut off at once
    all came back at once, every time. Each pause is now drawn from the upper half of the
    doubling one (never less than half of it, nor less than a Retry-After asked)."""
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection reset", request=request)

    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    runs = []
    for _ in range(2):
        sleeps.clear()
        client = make(handler)
        client.backoff = 1.0
        with pytest.raises(LedgerUnreachable):
            client.post({"event_id": "e"})
        assert len(sleeps) == 3
        for pause, full in zip(sleeps, (1.0, 2.0, 4.0)):
            assert full / 2 <= pause <= full
        runs.append(list(sleeps))
    assert runs[0] != runs[1]


def test_a_batch_unanswered_after_others_were_recorded_names_what_was_recorded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """post_all raised LedgerUnreachable for its second batch with the first batch's receipts
    dropped; the error now carries them and the place of the first envelope not known to be
    recorded, and the third batch is not sent."""
    batches: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids = [e["event_id"] for e in json.loads(request.content)]
        batches.append(ids)
        if len(batches) > 1:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return httpx.Response(201, json={"receipts": [{"event_id": i} for i in ids]})

    monkeypatch.setattr(client_module.time, "sleep", lambda s: None)
    client = make(handler)
    client.batch_size = 2
    with pytest.raises(LedgerUnreachable) as unreachable:
        client.post_all({"event_id": f"e{n}"} for n in range(5))
    assert unreachable.value.receipts == [{"event_id": "e0"}, {"event_id": "e1"}]
    assert unreachable.value.posted == 2
    assert batches == [["e0", "e1"]] + [["e2", "e3"]] * 4     # 1 + 3 retries; e4 never sent


def test_a_single_post_that_fails_names_nothing_recorded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": "bad signature"})

    with pytest.raises(LedgerHTTPError) as refused:
        make(handler).post({"event_id": "e"})
    assert (refused.value.receipts, refused.value.posted) == ([], 0)


def test_a_rate_limit_in_front_of_the_service_is_retried_after_the_pause_it_asks_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The service sends no 429, but a gateway or proxy in front of it may (nginx's
    limit_req_status, an API gateway's quota): the request did not reach the ledger and the
    same bytes are safe to send again. It was raised at once as LedgerHTTPError 429, like a
    refusal; it is now retried no sooner than its Retry-After."""
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        if len(bodies) < 3:
            return httpx.Response(429, headers={"Retry-After": "7"},
                                  text="<html>429 Too Many Requests</html>")
        return httpx.Response(201, json=RECEIPT)

    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    assert make(handler).post({"event_id": "e"}) == RECEIPT["receipts"]
    assert len(bodies) == 3 and len(set(bodies)) == 1 and sleeps == [7.0, 7.0]


def test_a_retry_after_given_as_a_date_is_honoured_and_one_unreadable_is_not_fatal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 9110 lets Retry-After be an HTTP-date, as some gateways send it: it was ignored (the
    retry came after the 0 s backoff). A value that looked like digits but was none (a
    superscript two, from a proxy's bytes) raised ValueError out of post; it is ignored too."""
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    asked = [later.encode(), "²".encode(), b"soon"]
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if asked:
            return httpx.Response(503, headers=[(b"retry-after", asked.pop(0))])
        return httpx.Response(201, json=RECEIPT)

    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    assert make(handler).post({"event_id": "e"}) == RECEIPT["receipts"]
    assert len(calls) == 4 and 28.0 <= sleeps[0] <= 30.0 and sleeps[1:] == [0.0, 0.0]


def test_a_client_closes_the_connections_it_opened_and_only_those(server: str) -> None:
    """LedgerClient opened an httpx.Client of its own and had no way to close it: a system
    making a client per job kept every connection pool (and its sockets) until the garbage
    collector found it. It is now a context manager (and has ``close``), closing the HTTP
    client it made, not one the caller passed in, which is the caller's to close."""
    with LedgerClient(server, "t0ken") as client:
        assert client.post({"event_id": "e"}) == RECEIPT["receipts"]
    assert client.http.is_closed
    with httpx.Client(base_url=server) as given:
        with LedgerClient(server, "t0ken", http=given) as client:
            assert client.post({"event_id": "e"}) == RECEIPT["receipts"]
        assert not given.is_closed and given.post("/", content=b"{}").status_code == 201


@pytest.fixture
def unaccepting() -> Iterator[str]:
    """A URL on localhost whose connections are never made: a listener with a full queue,
    whose kernel drops the handshakes (as a link losing every packet, or a firewall, does)."""
    import socket
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = socket.create_connection(("127.0.0.1", port), timeout=5)    # the queue, full
    yield f"http://127.0.0.1:{port}"
    queued.close()
    listener.close()


def test_a_connection_never_made_is_given_up_on_after_the_timeout_asked(
        monkeypatch: pytest.MonkeyPatch, unaccepting: str) -> None:
    """The client waited 60 s for each attempt's connection, and had no way to be told
    otherwise but to build its own httpx.Client: with the network losing every packet a post
    took six minutes to fail. ``timeout`` (seconds, or an httpx.Timeout) is now the client's to
    set; by default a connection not made within 10 s is given up on and tried again."""
    import time
    monkeypatch.setattr(client_module.time, "sleep", lambda s: None)
    client = LedgerClient(unaccepting, "t0ken", retries=1,
                          timeout=httpx.Timeout(30.0, connect=0.3))
    began = time.monotonic()
    with pytest.raises(LedgerUnreachable, match="POST failed 2 times") as unreachable:
        client.post({"event_id": "e"})
    assert time.monotonic() - began < 5.0
    assert isinstance(unreachable.value.__cause__, httpx.ConnectTimeout)
    client.close()
    with LedgerClient(unaccepting, "t0ken") as client:
        assert client.http.timeout == httpx.Timeout(60.0, connect=10.0)
    with httpx.Client() as given, pytest.raises(ValueError, match="timeout"):
        LedgerClient(unaccepting, "t0ken", http=given, timeout=1.0)   # it would not apply


def test_a_success_that_is_not_the_ledgers_answer_is_an_http_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A 200 that is no receipts document — a captive portal's or a proxy's page, a URL of
    another service — raised json's JSONDecodeError (a ValueError) out of post, which a caller
    catching the client's errors did not catch, and out of post_all with the receipts of the
    batches before it dropped. It is a LedgerHTTPError naming the status and the answer's
    beginning, not retried (such a page answers the same every time)."""
    answers = [httpx.Response(201, json={"receipts": [{"event_id": "e0"}]}),
               httpx.Response(200, html="<html>Sign in to the network</html>")]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    client = make(handler)
    client.batch_size = 1
    with pytest.raises(LedgerHTTPError, match="not the ledger's") as refused:
        client.post_all({"event_id": f"e{n}"} for n in range(3))
    assert refused.value.status == 200 and "Sign in" in refused.value.problem["detail"]
    assert (refused.value.receipts, refused.value.posted) == ([{"event_id": "e0"}], 1)
    assert answers == []


@pytest.mark.parametrize("body", [b'["denied"]', b'"denied"', b"null", b"<h1>denied</h1>"])
def test_a_refusal_whose_body_is_no_problem_document_is_still_an_http_error(
        body: bytes) -> None:
    """A refusal from something in front of the service (a gateway answering a JSON array or
    string) raised AttributeError out of LedgerHTTPError itself, which read ``detail`` from
    whatever JSON the body held. The problem is now the body's object, or its text."""
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, content=body, headers={"Content-Type": "application/json"})

    with pytest.raises(LedgerHTTPError) as refused:
        make(handler).post({"event_id": "e"})
    assert refused.value.status == 403
    assert refused.value.problem == {"detail": body.decode()}
    assert str(refused.value) == f"403: {body.decode()}"


@pytest.mark.parametrize("size", [0, -1, 1001])
def test_a_batch_size_the_ledger_can_never_take_is_refused_before_anything_is_sent(
        size: int) -> None:
    """A batch of more than 1,000 envelopes is refused by the ledger (413) every time, after
    the batches before it were recorded; a size of 0 or less posted one envelope at a time. The
    client refuses such a size when made and when post_all is called."""
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(201, json={"receipts": []})

    with pytest.raises(ValueError, match="batch_size"):
        LedgerClient("http://ledger", "t", http=httpx.Client(
            transport=httpx.MockTransport(handler), base_url="http://ledger"), batch_size=size)
    client = make(handler)
    client.batch_size = size
    with pytest.raises(ValueError, match="between 1 and 1000"):
        client.post_all({"event_id": f"e{n}"} for n in range(3))
    assert sent == []
