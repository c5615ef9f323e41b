"""A small client: sign envelopes, post them in batches, retry safely.

Retries reuse the same ``event_id`` and the same bytes, so a retried request that had in fact
succeeded returns the original receipts instead of appending twice.

Every error a post raises (LedgerHTTPError, LedgerUnreachable) says what of the call was
recorded before it failed: ``receipts``, the receipts of the batches ``post_all`` had recorded
(empty for ``post``, whose one request is atomic), and ``posted``, their number — the place in
the envelopes posted of the first one not known to be recorded. Post the rest from there (or
all of them again: the same bytes return the same receipts).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

from .canonical import canonical
from .crypto import SigningKey, b64url_encode
from .envelope import MAX_BATCH, signing_bytes, unsigned_envelope
from .errors import Unavailable

#: Answers that may come out differently if the same bytes are sent again: the service failed
#: unexpectedly (500: the append may or may not be recorded — a retry returns its receipts if
#: it was), it or a proxy in front was unavailable (502, 503, 504), or a gateway in front
#: limited the rate (429: the service sends none; the request did not reach it). Any other
#: status is final: a 4xx refusal is the same for the same bytes.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0      # seconds: a server's Retry-After is honoured up to this
TIMEOUT = 60.0              # seconds: an answer, a write, a free connection of the pool
CONNECT_TIMEOUT = 10.0      # seconds: a connection not made by then is lost; try again
#: The ledger's answers that are text, not JSON: the signed checkpoint (and /metrics), a bundle.
TEXT_TYPES = frozenset({"text/plain", "application/x-ndjson"})


def uuid7() -> str:
    """A time-ordered UUIDv7 (RFC 9562) string."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 \
        | 0b10 << 62 | rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def sign_envelope(key: SigningKey, key_id: str, *, stream: str, type: str, body: dict[str, Any],
                  event_id: str | None = None, occurred_at: str | None = None) -> dict[str, Any]:
    """Return the signed envelope as a dict (``sig`` over the RFC 8785 bytes without it)."""
    unsigned = unsigned_envelope(
        event_id=event_id or uuid7(), stream=stream, type=type,
        occurred_at=occurred_at or datetime.now(UTC).astimezone().isoformat(
            timespec="seconds"),
        signer=f"key:{key_id}", body=body)
    return {**unsigned, "sig": b64url_encode(key.sign(signing_bytes(unsigned)))}


class LedgerHTTPError(Exception):
    """The service answered ``status`` with ``problem`` (refused, or still failing after the
    retries). ``receipts`` and ``posted``: what ``post_all`` had recorded before it (module doc)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status}: {problem.get('detail', problem)}")
        self.status = status
        self.problem = problem
        self.receipts: list[dict[str, Any]] = []
        self.posted = 0


class LedgerUnreachable(Unavailable):
    """No answer from the service: every attempt to send a request failed on the network
    (connection refused, reset, timed out). ``url`` is where it was sent, ``attempts`` how many
    times (by ``method``); the last network error is the cause. ``receipts`` and ``posted``:
    what ``post_all`` had recorded before it (module doc)."""

    code = "unreachable"
    rule = "service-reachable"      # the client's own error: no 503 the service answered

    def __init__(self, url: str, attempts: int, error: Exception, *, method: str = "POST"
                 ) -> None:
        tried = f"{method} failed" + (f" {attempts} times" if attempts > 1 else "") + (
            ", retried with the same bytes" if attempts > 1 and method == "POST" else "")
        super().__init__(f"no answer from the ledger at {url}: {tried} (last: "
                         f"{type(error).__name__}: {error}); is the service running there "
                         "(`ledger serve`)?")
        self.url = url
        self.attempts = attempts
        self.receipts: list[dict[str, Any]] = []
        self.posted = 0


def _check_batch_size(size: int) -> None:
    """Refuse a batch size the ledger never takes: above MAX_BATCH every batch is refused (413)
    after the ones before it were recorded."""
    if not 1 <= size <= MAX_BATCH:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH} (the most events one "
                         f"append takes), not {size}")


class LedgerClient:
    """Post signed envelopes to ``/v1/events``. ``http`` may be an httpx.Client or a FastAPI
    TestClient (anything with ``post``/``get`` returning httpx-like responses), the caller's
    to close; without one the client opens its own, which ``close`` (or leaving a ``with``
    block) closes, with ``timeout`` (seconds or an httpx.Timeout; by default TIMEOUT, and
    CONNECT_TIMEOUT to connect). Raises ValueError for a ``timeout`` beside an ``http``, which
    has its own, or a ``batch_size`` the ledger never takes (1 to MAX_BATCH)."""

    def __init__(self, base_url: str, token: str, *, http: Any = None, retries: int = 5,
                 backoff: float = 0.2, batch_size: int = 1000, timeout: Any = None) -> None:
        _check_batch_size(batch_size)
        self._owned = http is None
        if http is None:
            import httpx
            http = httpx.Client(base_url=base_url, timeout=httpx.Timeout(
                TIMEOUT, connect=CONNECT_TIMEOUT) if timeout is None else timeout)
        elif timeout is not None:
            raise ValueError("timeout is for the HTTP client LedgerClient opens: set it on "
                             "the one passed as http")
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.retries = retries
        self.backoff = backoff
        self.batch_size = batch_size

    def close(self) -> None:
        """Close the HTTP client this client opened (its connections); not one passed in."""
        if self._owned:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def post(self, envelopes: dict[str, Any] | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append one envelope or one atomic batch; returns the receipts. A network failure,
        a 429, 500, 502, 503 or 504 is retried ``retries`` times with the same bytes. Raises
        LedgerHTTPError for a refusal (or the last retried status, or a success that holds no
        receipts: not the ledger's answer), LedgerUnreachable when no attempt got an answer,
        and httpx's error at once for a request that can never be sent (a bad URL or header)."""
        body = canonical(envelopes if isinstance(envelopes, dict) else list(envelopes))
        response = self._retried("POST", "/v1/events", lambda: self.http.post(
            "/v1/events", content=body, headers=self.headers), ok=(200, 201))
        return _receipts(response)

    def post_all(self, envelopes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append many envelopes in batches of ``batch_size`` (each batch atomic, posted in
        order, none after one that fails); returns their receipts. Raises as ``post`` does,
        the error's ``receipts`` those of the batches recorded before it and ``posted`` their
        number: the place in ``envelopes`` of the first envelope not known to be recorded.
        Raises ValueError, sending nothing, if ``batch_size`` is not 1 to MAX_BATCH."""
        _check_batch_size(self.batch_size)
        receipts: list[dict[str, Any]] = []
        batch: list[dict[str, Any]] = []
        try:
            for env in envelopes:
                batch.append(env)
                if len(batch) >= self.batch_size:
                    receipts.extend(self.post(batch))
                    batch = []
            if batch:
                receipts.extend(self.post(batch))
        except (LedgerHTTPError, LedgerUnreachable) as e:
            e.receipts, e.posted = receipts, len(receipts)
            e.add_note(f"post_all: the first {len(receipts)} envelope(s) were recorded (the "
                       "error's receipts); none after them is known to be")
            raise
        return receipts

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` with query ``params``; returns the answer's value if it is JSON, its
        text if it is text (the signed checkpoint; a bundle's JSON lines). Retried as post is
        (a read is safe to send again), and raises as it does — LedgerHTTPError too for an
        answer that is neither, which is not the ledger's."""
        response = self._retried("GET", path, lambda: self.http.get(
            path, params=params or None, headers=self.headers), ok=(200,))
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type in TEXT_TYPES:
            return response.text
        try:
            if media_type == "application/json" or media_type.endswith("+json"):
                return response.json()
        except ValueError:
            pass
        raise _not_the_ledgers(response, "not JSON, nor text")

    def _retried(self, method: str, path: str, send: Callable[[], Any], *,
                 ok: tuple[int, ...]) -> Any:
        """The response of ``send()`` whose status is in ``ok``: a network failure, a 429,
        500, 502, 503 or 504 is sent again ``retries`` times (after a growing pause — the backoff
        doubled each time, drawn at random from its upper half — or the Retry-After asked).
        Raises LedgerHTTPError for any other status (or the last retried one),
        LedgerUnreachable (naming ``method`` and the URL of ``path``) when no attempt got an
        answer, and httpx's error at once for a request that can never be sent."""
        attempt = 0
        while True:
            asked = 0.0     # the pause the server asked for (Retry-After), if it did
            try:
                response = send()
            except Exception as e:   # connection reset, timeout: the same bytes are safe to resend
                if not _transient(e):
                    raise
                if attempt >= self.retries:
                    raise LedgerUnreachable(self.base_url + path, attempt + 1, e,
                                            method=method) from e
            else:
                if response.status_code in ok:
                    return response
                if response.status_code not in RETRY_STATUSES or attempt >= self.retries:
                    raise LedgerHTTPError(response.status_code, _json_or_text(response))
                asked = _retry_after(response.headers.get("retry-after", ""))
            attempt += 1
            # jittered: the clients a restart cut off together must not all come back together
            pause = self.backoff * 2 ** (attempt - 1)
            time.sleep(max(random.uniform(pause / 2, pause), asked))


def _transient(error: Exception) -> bool:
    """A network failure worth retrying — not a request that can never be sent (a bad URL, a
    header value with a newline), which would fail the same way every time."""
    import httpx
    if isinstance(error, (httpx.UnsupportedProtocol, httpx.LocalProtocolError,
                          httpx.InvalidURL)):
        return False
    return isinstance(error, (httpx.TransportError, OSError))


def _retry_after(value: str) -> float:
    """A Retry-After in seconds from now (RFC 9110 §10.2.3: a number of seconds or an
    HTTP-date), between 0 and MAX_RETRY_AFTER; 0 for none or one that is neither (the backoff
    then decides) — never an error: it is the server's or a proxy's, not the caller's."""
    value = value.strip()
    if value.isascii() and value.isdigit():     # "²".isdigit(), and float("²") raises
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 0.0
        if when.tzinfo is None:                 # "-0000": an HTTP-date is GMT regardless
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _receipts(response: Any) -> list[dict[str, Any]]:
    """The receipts of an append's answer. Raises LedgerHTTPError for an answer that holds
    none: not the ledger's (a captive portal's or a proxy's page, another service's)."""
    try:
        receipts = response.json()["receipts"]
        if isinstance(receipts, list):
            return receipts
    except (ValueError, KeyError, TypeError):
        pass
    raise _not_the_ledgers(response, "no receipts")


def _not_the_ledgers(response: Any, lacking: str) -> LedgerHTTPError:
    """The error for a success that is not the ledger's answer (``lacking`` says why not)."""
    return LedgerHTTPError(response.status_code, {
        "detail": f"an answer that is not the ledger's ({lacking}): {response.text[:200]!r}"})


def _json_or_text(response: Any) -> dict[str, Any]:
    """The problem an error answer carries: its JSON object (the service's problem+json), or
    its text as the ``detail`` — a proxy's page, or JSON that is no object (a gateway's)."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    return problem if isinstance(problem, dict) else {"detail": response.text}
