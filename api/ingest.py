"""POST /v1/events: the hot path.

Appending is what enforcement systems do all day, often with many clients at once, so this path
skips the framework's per-request machinery (routing, dependency solving, request objects): an
ASGI wrapper in front of the framework (``api.app.asgi``) answers ``POST /v1/events`` directly.
The FastAPI route of the same path, kept for the OpenAPI document and reached when the app is
served without the wrapper, reads the body as the wrapper does (``read_body``: no more than
``MAX_BODY``) and calls the same ``Ingest``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import orjson
from starlette.requests import ClientDisconnect

from ledger.config import INGEST_THREADS, INLINE_BODY
from ledger.envelope import Envelope
from ledger.errors import (Forbidden, LedgerError, ShuttingDown, Unauthorized,
                           UnsupportedMediaType, UnsupportedTransferCoding)
from ledger.groupcommit import LoopFuture
from ledger.service import Ledger
from ledger.tokens import Principal, TokenCache, token_hash

from .key_units import KeyUnits
from .problems import error_bytes, problem_bytes

_log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024 * 1024
RETRY_AFTER = 1     # seconds: a restarting service, or its database, is back within a few
JSON = "application/json"
Outcome = tuple[int, str, bytes]


class Ingest:
    def __init__(self, ledger: Ledger, token_cache: TokenCache, metrics: Any, *,
                 threads: int = INGEST_THREADS, inline_body: int = INLINE_BODY,
                 key_units: KeyUnits | None = None) -> None:
        """``threads`` authenticate and parse requests off the event loop; a body of at most
        ``inline_body`` bytes from a token seen lately is parsed on the loop instead
        (``Settings.ingest_threads``, ``Settings.inline_body``: LEDGER_INGEST_THREADS,
        LEDGER_INLINE_BODY)."""
        self.ledger = ledger
        self.tokens = token_cache
        self.metrics = metrics
        self.inline_body = inline_body
        self.key_units = key_units
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ingest")

    def principal(self, authorization: str, *, cached_only: bool = False) -> Principal | None:
        """The poster behind ``authorization``. With ``cached_only``: None when the token was not
        looked up lately (reading it is I/O)."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("a bearer token is required (Authorization: Bearer <token>)")
        digest = token_hash(token.strip())
        principal = self.tokens.cached(digest) if cached_only else self.tokens.lookup(digest)
        if principal is None:
            if cached_only:
                return None
            raise Unauthorized("unknown bearer token")
        if not principal.has("poster"):
            raise Forbidden(f"principal {principal.name!r} lacks the role poster")
        return principal

    def judge_headers(self, headers: Mapping[str, str], *, cached_only: bool = False) -> bool:
        """Raise the refusal an append with ``headers`` (by lower-case name) meets whatever its
        body: a coding the ledger does not read (415, 501), no bearer token, an unknown one or
        one without the role poster (401, 403), a content type other than JSON (415) — in the
        order ``__call__`` judges them, so that the answer is the one the body would get.
        Returns True; with ``cached_only``, False when the token was not looked up lately
        (reading it is I/O), and then what follows the token is not judged."""
        if "content-encoding" in headers or "transfer-encoding" in headers:
            refuse_codings(headers)
        if self.principal(headers.get("authorization", ""), cached_only=cached_only) is None:
            return False
        _require_json(_media_type(headers))
        return True

    async def admit(self, headers: Mapping[str, str]) -> None:
        """``judge_headers`` off the event loop, for a token not looked up lately (the caller
        has judged the cached case). Raises the refusal (a LedgerError; ShuttingDown once the
        pool is closed)."""
        await self._off_loop(partial(self.judge_headers, headers))

    def _parse(self, ctype: str, body: bytes) -> list[Envelope]:
        _require_json(ctype)
        return self.ledger.parse(body)

    def _prepare(self, authorization: str, ctype: str, body: bytes,
                 pending: LoopFuture) -> None:
        """Authenticate, parse and find the signers' keys, then hand the request to the ledger's
        verifier stage (and from there to the committer), to settle ``pending``."""
        self.principal(authorization)
        self._submit(self._parse(ctype, body), _batched(body), pending)

    def _submit(self, envelopes: list[Envelope], batched: bool, pending: LoopFuture) -> None:
        """Refuse a disposition beyond its key's units (rule key-units; reads the database),
        then hand the request to the ledger's verifier stage, to settle ``pending``."""
        if self.key_units is not None:
            self.key_units.check(envelopes, batched=batched)
        self.ledger.submit_unverified(envelopes, batched=batched, future=pending)

    async def __call__(self, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Append a request body; returns (status, content type, response bytes)."""
        ctype = _media_type(headers)
        # settled by the stage that ends the request, with the rest of its group, in one call
        # to this loop (ledger.groupcommit.deliver)
        pending = LoopFuture(asyncio.get_running_loop())
        try:
            if "content-encoding" in headers or "transfer-encoding" in headers:
                refuse_codings(headers)
            authorization = headers.get("authorization", "")
            if (len(body) <= self.inline_body
                    and self.principal(authorization, cached_only=True)):
                # A small body from a known token: cheaper to parse right here than to pay a
                # thread hand-off (the ledger's verifier stage checks the signature either way).
                envelopes = self._parse(ctype, body)
                if self.ledger.signers_known(envelopes) and not (
                        self.key_units is not None and self.key_units.concerns(envelopes)):
                    self.ledger.submit_unverified(envelopes, batched=_batched(body),
                                                  future=pending)
                else:   # finding a signer's key or a flag's unit reads the database
                    await self._off_loop(partial(self._submit, envelopes, _batched(body),
                                                 pending))
            else:
                await self._off_loop(partial(self._prepare, authorization, ctype, body, pending))
            result = await pending.wait()
        except LedgerError as e:
            if e.index is None and e.event_id is not None and _batched(body):
                # the writer names an event's place only in a batch of more than one (it is
                # handed no more than the envelopes): in an array of one it is 0, as the parser
                # and the verifier name it
                e.index = 0
            status, content = error_bytes(e)
            return status, "application/problem+json", content
        except Exception:   # a bug or an infrastructure failure: nothing was acknowledged
            _log.exception("append failed")
            return 500, "application/problem+json", problem_bytes(
                500, "internal-error", "the append failed and nothing was acknowledged; "
                "retry with the same event_id(s) — a retry can never append twice")
        self.metrics["events_appended_total"] += result.written
        self.metrics["append_requests_total"] += 1
        return (201 if result.written else 200, JSON,
                orjson.dumps({"receipts": [r.to_value() for r in result.receipts]}))

    def _off_loop(self, work: Callable[[], None]) -> asyncio.Future[None]:
        """``work`` run on the pool. Raises ShuttingDown once the pool is closed."""
        try:
            return asyncio.get_running_loop().run_in_executor(self.pool, work)
        except RuntimeError:    # what a closed pool raises: the service is stopping
            raise ShuttingDown() from None

    def close(self) -> None:
        """End the pool's threads, once the work handed to them is done (each piece ends by
        handing its request to the ledger or refusing it): close this before the ledger."""
        self.pool.shutdown(wait=True)


def _batched(body: bytes) -> bool:
    return body.lstrip()[:1] == b"["


def _media_type(headers: Mapping[str, str]) -> str:
    """The media type of a request's Content-Type, lower-case, without its parameters."""
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _require_json(ctype: str) -> None:
    if ctype != JSON:
        raise UnsupportedMediaType(f"send the envelope(s) as {JSON}, not {ctype or 'nothing'}")


ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]],
                   Awaitable[None]]


class IngestMiddleware:
    """Answers POST /v1/events without the framework; everything else passes through."""

    def __init__(self, app: ASGIApp, ingest: Ingest) -> None:
        self.app = app
        self.ingest = ingest
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/events" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        # of a repeated header the first counts, as on every framework route (Headers.get)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in reversed(scope["headers"])}
        try:
            body = await read_body(headers, receive)
        except ClientDisconnect:
            return
        status, ctype, content = too_large() if body is None else await self.ingest(headers,
                                                                                    body)
        await _respond(send, status, ctype, content)


async def read_body(headers: Mapping[str, str], receive: Any) -> bytes | None:
    """The body of a request with ``headers`` (looked up by lower-case name), from ASGI
    ``receive``; None when it is over MAX_BODY, and then no more of it is read. Raises
    ClientDisconnect when the client goes first."""
    # the server has checked Content-Length; over the limit, none of the body is read (nor
    # asked for: the server sends 100 Continue on the first receive)
    if over_limit(int(headers.get("content-length", "0"))):
        return None
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if over_limit(size):
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def refuse_codings(headers: Mapping[str, str]) -> None:
    """Refuse a body sent with a coding the ledger does not decode: a Content-Encoding other
    than identity (415, rule content-encoding; RFC 9110 §8.4), a transfer coding other than
    chunked (501, rule transfer-coding; RFC 9112 §6.1). The HTTP server decodes neither: read
    as JSON, the coded bytes would be refused for what they are not (not UTF-8) or, labelled
    but not coded, taken as sent. Not decoding is deliberate: a gzip body of a few MB grows past
    every limit before it could be counted, and a full batch of 1,000 city events is ≈ 0.6 MB
    (≈ 620 bytes each, BENCHMARKS.md)."""
    coding = headers.get("content-encoding", "").strip().lower()
    if coding not in ("", "identity"):
        raise UnsupportedMediaType(
            f"the body is sent with Content-Encoding {coding!r}: the ledger reads only the JSON "
            "itself (identity), not compressed; send it uncompressed", rule="content-encoding")
    coding = headers.get("transfer-encoding", "").strip().lower()
    if coding not in ("", "chunked"):
        raise UnsupportedTransferCoding(
            f"the body is sent with Transfer-Encoding {coding!r}: the server decodes only "
            "chunked; send it uncompressed, with a Content-Length or chunked")


def over_limit(size: int) -> bool:
    """Whether a body of ``size`` bytes is over MAX_BODY: the one limit of every append path
    (this middleware, the framework route and api/hotpath.py), read when asked."""
    return size > MAX_BODY


def too_large() -> Outcome:
    """The answer to a body over MAX_BODY, on every append path."""
    return 413, "application/problem+json", problem_bytes(
        413, "body-too-large", f"request body exceeds {MAX_BODY} bytes", rule="max-body-bytes")


def answer_headers(status: int) -> dict[str, str]:
    """What an answer of ``status`` says beside its problem, on every append path: the scheme a
    401 asks for, the one content coding a 415 reads (RFC 9110 §12.5.3), and when to retry a
    503 (nothing was written: the same bytes are safe to resend)."""
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if status == 415:
        return {"Accept-Encoding": "identity"}
    if status == 503:
        return {"Retry-After": str(RETRY_AFTER)}
    return {}


async def _respond(send: Any, status: int, ctype: str, content: bytes) -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(content)).encode())]
    headers += [(name.lower().encode(), value.encode())
                for name, value in answer_headers(status).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
