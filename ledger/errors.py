"""One error hierarchy for the ledger. The API maps these to HTTP statuses in one table."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""

    #: short machine-readable name, used as the problem+json ``type`` suffix
    code = "ledger-error"
    #: the rule broken, where no field of an event is to blame (a duplicate JSON key, a batch
    #: too large): the problem's ``rule`` member (docs/architecture.md, Errors)
    rule: str | None = None

    def __init__(self, message: str, *, field: str | None = None, index: int | None = None,
                 event_id: str | None = None, rule: str | None = None,
                 **evidence: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if rule is not None:
            self.rule = rule
        self.index = index
        self.event_id = event_id
        self.evidence = evidence

    def with_context(self, *, index: int | None = None, event_id: str | None = None) -> "LedgerError":
        if index is not None:
            self.index = index
        if event_id is not None and self.event_id is None:
            self.event_id = event_id
        return self


class MalformedEvent(LedgerError):
    """The envelope or its body is not well-formed (schema, encoding, types)."""

    code = "malformed-event"

    def __init__(self, message: str, *, errors: list[dict[str, str]] | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.errors = errors or []


class UnknownEventType(MalformedEvent):
    code = "unknown-event-type"


class BadSignature(LedgerError):
    code = "bad-signature"


class UnknownKey(LedgerError):
    code = "unknown-key"


class KeyRevoked(LedgerError):
    code = "key-revoked"


class KeyNotValidNow(LedgerError):
    """The key is outside its not_before / not_after window."""

    code = "key-not-valid"


class KeyNotAllowed(LedgerError):
    """The signing key's principal/roles may not sign this event type."""

    code = "key-not-allowed"


class InvalidPublicKey(LedgerError):
    """Small-order, non-canonical or otherwise unusable Ed25519 public key."""

    code = "invalid-public-key"


class Conflict(LedgerError):
    """An event_id already recorded with different bytes, or a stream version already taken."""

    code = "conflict"


class BatchTooLarge(LedgerError):
    code = "batch-too-large"
    rule = "max-batch-events"


class UnsupportedMediaType(LedgerError):
    code = "unsupported-media-type"
    rule = "json-content-type"


class UnsupportedTransferCoding(LedgerError):
    """A request body sent with a transfer coding other than chunked (gzip, deflate)."""

    code = "not-implemented"
    rule = "transfer-coding"


class InvalidRequest(LedgerError):
    """A query parameter of a read the service cannot answer as given (an unknown rule, no
    parameter where one is needed): the problem the framework's own checks of a query's
    parameters answer with, naming it as they do (``query.<name>``)."""

    code = "invalid-request"


class NotFound(LedgerError):
    code = "not-found"


class Unauthorized(LedgerError):
    code = "unauthorized"
    rule = "bearer-token"


class Forbidden(LedgerError):
    code = "forbidden"
    rule = "access-role"


class Unavailable(LedgerError):
    """Something the service needs is not there now (the database, unless ``rule`` names
    another: the dashboard's key); nothing was written — unless the message says the events
    may have been (a connection lost as they committed, the database not to be asked)."""

    code = "unavailable"
    rule = "database-available"


class RolledBack(Unavailable):
    """The database rolled the transaction back on its own — a deadlock, a serialization
    failure (SQLSTATE class 40): nothing was written, and the same work run again may
    succeed (the writer does so, ``Ledger.write_retries`` times)."""


class ShuttingDown(Unavailable):
    """The service is stopping: a stage refused the request before anything was written."""

    code = "shutting-down"
    rule = "service-running"

    def __init__(self, message: str = "the service is shutting down and nothing was written: "
                 "retry with the same event_id(s)", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]


class Damaged(LedgerError):
    """The stored log is not whole (a Merkle node or leaf hash the log's size implies is
    missing): altered or damaged outside the service. Nothing is served or signed from it."""

    code = "log-damaged"


class VerificationError(LedgerError):
    """Offline verification failed; the message says what mismatched."""

    code = "verification-failed"
