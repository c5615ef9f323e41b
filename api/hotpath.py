"""POST /v1/events answered inside uvicorn's HTTP protocol, without an ASGI request cycle.

Under many concurrent single-event clients the service's event loop is what the writer waits
for: every round trip the writer makes to PostgreSQL ends with it taking the GIL back from the
loop. Per request uvicorn builds an ASGI scope (copying the app state), a request-response
cycle with its asyncio.Event, a task, and the two `send` messages, each written to the socket
on its own; the middleware (``api.ingest.IngestMiddleware``) then rebuilds the headers. Measured
on this project's machine with 64 `wrk` connections (BENCHMARKS.md, "Ingest"), the loop spent
≈ 300 µs per request that way and ≈ 245 µs through this protocol.

`HotProtocol` is uvicorn's httptools protocol with one route taken out of the ASGI path: a
``POST`` to exactly ``/v1/events`` (no query string) is read into memory, handed to the same
``Ingest`` the middleware calls, and answered with one write of the status line, headers and
body. Everything else — other routes, an upgrade, a request pipelined behind one still in
flight — goes through uvicorn and the framework, with two repairs to uvicorn's parsing for
every request: trailer fields are not merged into the headers, and an HTTP/1.0 client's
``Expect: 100-continue`` is ignored; what its parser refuses is answered with a problem, not
uvicorn's plain text. ``Expect: 100-continue`` is answered 100 only once the headers are
judged (``Ingest.judge_headers``). An append refused before its body is read (a 413, a refusal
of its headers) is answered at once and the connection then closed lingering (``_Linger``): the
server shuts its side and discards what the client still sends, for a bounded time, so the
client reads the answer rather than a reset.
It relies on the internals of the pinned uvicorn
(``pyproject.toml``); tests/test_hotpath.py drives it byte by byte, over a recording transport,
with the app `ledger serve` runs.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from ledger.errors import LedgerError

from .ingest import Ingest, answer_headers, over_limit, too_large
from .problems import error_bytes, problem_bytes

_log = logging.getLogger(__name__)
PATH = b"/v1/events"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
PROBLEM = "application/problem+json"
#: After an answer given before the body was read: how long the connection is read (and what
#: arrives discarded) while the client is silent, at most in all, and at most how many bytes.
LINGER_IDLE = 2.0
LINGER_TOTAL = 5.0
LINGER_BYTES = 256 * 1024 * 1024


class _Linger:
    """A lingering close (nginx's ``lingering_close``), begun once an answer has been written
    before the request's body was read: closed at once, with the body's rest unread in its
    receive buffer, the socket sends a reset, and a client still sending reads "connection
    reset" — not the answer, which the reset can destroy — and retries the same body. So the
    write side is shut (the client reads the answer and then the end of the connection), what
    still arrives is counted and dropped, unparsed and unbuffered, and the connection is closed
    once the client closes its side, falls silent for ``LINGER_IDLE`` seconds, has sent
    ``LINGER_BYTES`` more, or ``LINGER_TOTAL`` seconds have passed, whichever comes first."""

    __slots__ = ("deadline", "last", "left", "loop", "timer", "transport")

    def __init__(self, loop: asyncio.AbstractEventLoop, transport: asyncio.Transport) -> None:
        self.loop = loop
        self.transport = transport
        self.last = loop.time()
        self.deadline = self.last + LINGER_TOTAL
        self.left = LINGER_BYTES
        self.timer = loop.call_at(self.last + LINGER_IDLE, self._check)
        if transport.can_write_eof():   # TLS cannot: there the answer's content-length
            transport.write_eof()       # ends it; a FIN, once what was written is sent

    def discard(self, size: int) -> None:
        self.last = self.loop.time()
        self.left -= size
        if self.left < 0:
            self.close()

    def _check(self) -> None:
        end = min(self.last + LINGER_IDLE, self.deadline)
        if self.loop.time() >= end:
            self.close()
        else:
            self.timer = self.loop.call_at(end, self._check)

    def close(self) -> None:
        self.timer.cancel()
        if self.transport.get_write_buffer_size():
            # a peer that has read nothing in LINGER_TOTAL: its answer is not waited on forever
            self.transport.abort()
        elif not self.transport.is_closing():
            self.transport.close()


class _Set:
    """What uvicorn calls on a cycle's message event when the connection is lost."""

    def set(self) -> None:
        pass


class _Append:
    """One POST /v1/events in flight: the attributes uvicorn's protocol reads of its cycle."""

    __slots__ = (
        "chunks",
        "complete",
        "disconnected",
        "keep_alive",
        "message_event",
        "response_complete",
        "size",
        "unread",
    )

    def __init__(self, keep_alive: bool) -> None:
        self.keep_alive = keep_alive
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = False   # the body read in full: the ingest judges it and answers
        self.response_complete = False
        self.disconnected = False
        self.unread = False     # answered before its body was read: linger, then close
        self.message_event = _Set()


class HotProtocol(HttpToolsProtocol):
    _trailers = False    # past the header section: what the parser reports now is a trailer
    _linger: _Linger | None = None     # closing: what the client sends is discarded unread

    def data_received(self, data: bytes) -> None:
        if self._linger is not None:
            self._linger.discard(len(data))
            return
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger is not None:
            self._linger.timer.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        if self._linger is None:
            super().on_response_complete()
        else:   # no request follows on this connection, nor keep-alive timer
            self.server_state.total_requests += 1

    def handle_websocket_upgrade(self) -> None:
        if self._linger is None:    # an upgrade sent behind a refused body is not served
            super().handle_websocket_upgrade()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._trailers = False

    def on_header(self, name: bytes, value: bytes) -> None:
        # RFC 9110 §6.5.1: trailer fields are not merged into the header section (uvicorn
        # appends them to the request's headers, where a trailing Authorization or Content-Type
        # would win over the one sent before the body; h11 leaves them out)
        if not self._trailers:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._trailers = True
        if self.parser.get_http_version() == "1.0":
            self.expect_100_continue = False    # RFC 9110 §10.1.1: a 1.0 client knows no 1xx
        if self._linger is not None:
            return      # a 413 is closing the connection: what follows it is not served
        ingest: Ingest | None = getattr(self.app, "ingest", None)
        if (ingest is None or self.url != PATH or self.parser.get_method() != b"POST"
                or self.parser.should_upgrade()
                or (self.cycle is not None and not self.cycle.response_complete)):
            super().on_headers_complete()
            return
        append = _Append(
            self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive())
        self.cycle = append  # type: ignore[assignment]
        # the parser has checked Content-Length (digits, not repeated, not with chunked)
        if any(name == b"content-length" and over_limit(int(value))
               for name, value in self.headers):
            self._too_large(append)     # before any of it is read or asked for (100 Continue)
            return
        if self.expect_100_continue:
            self._continue(append, ingest)

    def _continue(self, append: _Append, ingest: Ingest) -> None:
        """``Expect: 100-continue``: the body is asked for only of a request its headers do not
        refuse (``Ingest.judge_headers``: the codings, the token, the content type); else the
        refusal is the answer, and the body is not read. A token not looked up lately is read
        off the event loop first, the body taken meanwhile if the client sends it unasked.
        Only a request that expects 100 Continue is judged here: the others' one more dict and
        hash would be paid by every append, for a body the client has sent already."""
        headers = self._header_map()
        try:
            known = ingest.judge_headers(headers, cached_only=True)
        except LedgerError as e:
            self._refuse_unread(append, e)
            return
        if known:
            self.transport.write(CONTINUE)
            return
        task = self.loop.create_task(self._admit(append, ingest, headers))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    async def _admit(self, append: _Append, ingest: Ingest, headers: dict[str, str]) -> None:
        try:
            await ingest.admit(headers)
        except LedgerError as e:
            if not (append.complete or append.response_complete or append.disconnected):
                self._refuse_unread(append, e)
            return      # a body read in full meanwhile is refused by the ingest, as always
        except Exception:   # the ingest judges the request again, and answers
            _log.exception("judging the headers of an append failed")
        if not (append.response_complete or append.disconnected or self.transport.is_closing()):
            self.transport.write(CONTINUE)      # before the answer, even if the body came

    def on_body(self, body: bytes) -> None:
        append = self.cycle
        if type(append) is not _Append:
            super().on_body(body)
            return
        if append.response_complete:
            return
        append.size += len(body)
        if over_limit(append.size):
            self._too_large(append)
            return
        append.chunks.append(body)

    def on_message_complete(self) -> None:
        append = self.cycle
        if type(append) is not _Append:
            super().on_message_complete()
            return
        if append.response_complete:
            return
        append.complete = True
        headers = self._header_map()
        body, append.chunks = b"".join(append.chunks), []
        task = self.loop.create_task(self._append(append, headers, body))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def _header_map(self) -> dict[str, str]:
        # names arrive lower-cased (uvicorn's on_header); of a repeated one the first counts,
        # as on every framework route (Starlette's Headers.get) and in the middleware
        return {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(self.headers)}

    async def _append(self, append: _Append, headers: dict[str, str], body: bytes) -> None:
        try:
            status, ctype, content = await self.app.ingest(headers, body)
        except Exception:   # Ingest answers every failure itself; this is a bug in the answer
            _log.exception("append failed")
            append.keep_alive = False
            status, ctype, content = 500, PROBLEM, problem_bytes(
                500, "internal-error", "the append failed; retry with the same event_id(s)")
        if self.flow.write_paused and not append.disconnected:
            # as uvicorn's cycle: a peer that reads no answers holds this one, and the requests
            # behind it queue with reading paused, rather than answers piling up unbounded
            await self.flow.drain()
        if not append.disconnected and not self.transport.is_closing():
            self._answer(append, status, ctype, content)

    def send_400_response(self, msg: str) -> None:
        """What the parser refuses — a request no reader of HTTP/1.1 could frame alike (two
        Content-Lengths, one beside Transfer-Encoding, a transfer coding other than chunked last
        (RFC 9112 §6.3), a malformed request line or header) — answered as a problem like every
        other refusal, not uvicorn's text/plain, and the connection closed: where this request
        ends, and so where the next begins, is unknown. Runs only on a refusal.

        Behind an append still in flight (its body read, its task running) nothing is written
        now: that append is answered first, with ``connection: close``, and the bytes behind it
        are not. Written at once, the 400 was read as the append's answer ("not appended") by
        a client whose append was recorded — and a 4xx is not retried. An append whose body is
        not read in full is not in flight, whatever task runs (an ``Expect`` token looked up,
        which answers only 100 Continue): the 400 is its answer. Behind a 413 nothing is
        answered: what the client still sends is the body refused, discarded unread."""
        if self._linger is not None:
            return
        append = self.cycle
        if (type(append) is _Append and append.complete and not append.response_complete
                and self.tasks):
            append.keep_alive = False
            self.flow.pause_reading()       # what follows is not read: the answer closes
            return
        content = problem_bytes(
            400, "bad-request", f"{msg.rstrip('.')}: the request is not HTTP/1.1 this server can "
            "frame (RFC 9112: a single numeric Content-Length, or Transfer-Encoding ending in "
            "chunked and no Content-Length); it was not appended",
            rule="http-framing")
        out = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            out += [name, b": ", value, b"\r\n"]
        out += [b"content-type: application/problem+json\r\ncontent-length: ",
                str(len(content)).encode("ascii"), b"\r\nconnection: close\r\n\r\n", content]
        self.transport.write(b"".join(out))
        self.transport.close()

    def _too_large(self, append: _Append) -> None:
        self._answer_unread(append, *too_large())

    def _refuse_unread(self, append: _Append, error: LedgerError) -> None:
        status, content = error_bytes(error)
        self._answer_unread(append, status, PROBLEM, content)

    def _answer_unread(self, append: _Append, status: int, ctype: str, content: bytes) -> None:
        """Answer before the body is read, and close lingering: whether the bytes that follow
        are the body (sent anyway, or on its way) or a next request (from a client that
        expected 100 Continue, got the answer and sent no body), the server cannot tell, so
        none of them is served (RFC 9110 §10.1.1 lets it close)."""
        append.keep_alive = False
        append.unread = True
        append.chunks = []
        self._answer(append, status, ctype, content)

    def _answer(self, append: _Append, status: int, ctype: str, content: bytes) -> None:
        out = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            out += [name, b": ", value, b"\r\n"]
        out += [b"content-type: ", ctype.encode("latin-1"), b"\r\ncontent-length: ",
                str(len(content)).encode("ascii"), b"\r\n"]
        for name, value in answer_headers(status).items():
            out += [name.lower().encode(), b": ", value.encode(), b"\r\n"]
        if not append.keep_alive:
            out.append(b"connection: close\r\n")
        out += [b"\r\n", content]
        self.transport.write(b"".join(out))
        append.response_complete = True
        if append.unread:
            self._linger = _Linger(self.loop, self.transport)
            self.flow.resume_reading()
        elif not append.keep_alive:
            self.transport.close()
        self.on_response_complete()      # starts a pipelined request or arms keep-alive
