"""RFC 9457 problem+json: one table from domain errors to HTTP statuses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ledger import errors as e
from ledger.grammar import DATE

PROBLEM_BASE = "urn:integrity-ledger:problem:"

STATUS: dict[type[e.LedgerError], int] = {
    e.MalformedEvent: 422,
    e.UnknownEventType: 422,
    e.InvalidPublicKey: 422,
    e.BadSignature: 422,
    e.UnknownKey: 422,
    e.KeyRevoked: 403,
    e.KeyNotValidNow: 403,
    e.KeyNotAllowed: 403,
    e.Conflict: 409,
    e.BatchTooLarge: 413,
    e.UnsupportedMediaType: 415,
    e.UnsupportedTransferCoding: 501,
    e.NotFound: 404,
    e.Unauthorized: 401,
    e.Forbidden: 403,
    e.Unavailable: 503,
    e.Damaged: 500,
    e.VerificationError: 422,
    e.InvalidRequest: 422,
}

TITLES = {
    400: "Bad request", 422: "Unprocessable content", 403: "Forbidden", 409: "Conflict", 413: "Content too large",
    404: "Not found", 405: "Method not allowed", 415: "Unsupported media type", 401: "Unauthorized", 503: "Service unavailable", 500: "Internal error",
    501: "Not implemented",
}


#: The problem document every error answer carries, for the OpenAPI document.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "description": "RFC 9457 problem details; a refusal names its `field` or its `rule` "
                   "(docs/architecture.md, Errors)",
    "properties": {
        "type": {"type": "string", "format": "uri",
                 "examples": [PROBLEM_BASE + "malformed-event"]},
        "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "the field, path or query parameter to "
                                                   "blame, e.g. sig, body.amount_fen"},
        "rule": {"type": "string", "description": "the rule broken where no field is to "
                                                  "blame, e.g. no-duplicate-keys"},
        "index": {"type": "integer", "description": "the refused event's place in the batch"},
        "event_id": {"type": "string", "description": "the refused event's id"},
        "errors": {"type": "array", "description": "every field found wrong",
                   "items": {"type": "object", "required": ["field", "message"],
                             "properties": {"field": {"type": "string"},
                                            "message": {"type": "string"}}}}}}
_PROBLEM_CONTENT = {"application/problem+json": {"schema": {
    "$ref": "#/components/schemas/Problem"}}}


def document_problems(doc: dict[str, Any]) -> None:
    """Describe every error answer of the OpenAPI document ``doc`` as the problem it is, in
    place of the framework's ``HTTPValidationError`` (a JSON body the service never sends)."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    for methods in doc.get("paths", {}).values():
        for operation in methods.values():
            for status, answer in operation.get("responses", {}).items():
                if status[:1] in ("4", "5"):
                    answer["content"] = _PROBLEM_CONTENT


def query_day(value: str, name: str) -> date:
    """Query parameter ``name``, a day (YYYY-MM-DD). Raises InvalidRequest naming
    ``query.<name>`` for anything else — 2024-02-30, which a pattern admits and no calendar
    has, or 20241001 and 2024-W40-2, which ``date.fromisoformat`` also reads."""
    try:
        if not DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise e.InvalidRequest(f"{name} must be a date (YYYY-MM-DD)",
                               field=f"query.{name}") from None


@contextmanager
def query_parameters(*names: str) -> Iterator[None]:
    """Around what a read route asks of the layers below about its query parameters ``names``:
    their refusal of one, a MalformedEvent naming it plainly (``from``, ``since_size``: the
    same code names the CLI's ``--from``), is a bad query, not a bad event. It is raised again
    as the InvalidRequest the framework's own checks of a query answer with, naming
    ``query.<name>``; a refusal naming anything else passes unchanged."""
    try:
        yield
    except e.MalformedEvent as error:
        if error.field not in names:
            raise
        raise e.InvalidRequest(error.message, field=f"query.{error.field}") from None


def status_of(error: e.LedgerError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 500


def problem_bytes(status: int, code: str, detail: str, **extra: Any) -> bytes:
    body = {"type": PROBLEM_BASE + code, "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return orjson.dumps(body)


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(problem_bytes(status, code, detail, **extra), status_code=status,
                    media_type="application/problem+json", headers=headers)


def error_bytes(error: e.LedgerError) -> tuple[int, bytes]:
    errors = getattr(error, "errors", None) or (
        [{"field": error.field, "message": error.message}] if error.field else None)
    status = status_of(error)
    return status, problem_bytes(status, error.code, error.message, field=error.field,
                                 rule=error.rule, index=error.index, event_id=error.event_id,
                                 errors=errors)


def from_error(error: e.LedgerError) -> Response:
    status, content = error_bytes(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(content, status_code=status, media_type="application/problem+json",
                    headers=headers)


async def ledger_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.LedgerError)
    return from_error(exc)


async def validation_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
              for err in exc.errors()]
    return problem(422, e.InvalidRequest.code, "; ".join(f"{x['field']}: {x['message']}"
                                                      for x in errors),
                   field=errors[0]["field"] if errors else None, errors=errors)


async def internal_error_handler(_: Request, exc: Exception) -> Response:
    """Anything else a route raised (a bug, a failure below it): a problem too, saying nothing
    of the failure itself (the server logs it), instead of the server's plain-text 500."""
    return problem(500, "internal-error", "the server failed to answer this request; the "
                   "failure is logged on the server")


async def http_error_handler(_: Request, exc: Exception) -> Response:
    """The framework's own refusals (no such route, method not allowed) as problems too."""
    assert isinstance(exc, HTTPException)
    code, rule = {404: ("not-found", "known-path"),
                  405: ("method-not-allowed", "allowed-method")}.get(exc.status_code,
                                                                    ("http-error", None))
    response = problem(exc.status_code, code, str(exc.detail), rule=rule)
    response.headers.update(exc.headers or {})
    return response
