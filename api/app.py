"""The HTTP surface (paths fixed by DESIGN.md). ``create_app(ledger)`` wires one Ledger."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.types import Lifespan

from ledger.bundle import (BundleExport, Scope, StreamScope, StreamsScope, bundle_scope,
                           require_events)
from ledger.config import INGEST_THREADS, INLINE_BODY
from ledger.crypto import SigningKey
from ledger.domain.calendar import CST
from ledger.envelope import MAX_BATCH
from ledger.errors import Forbidden, InvalidRequest, LedgerError, NotFound
from ledger.grammar import DATE, RFC3339, STREAM, UUID
from ledger.logview import LogView
from ledger.schemas import parse_datetime
from ledger.service import MAX_JSON_VALUES, Ledger
from ledger.store import StoredRow
from ledger.tokens import Principal, TokenCache
from ledger.verify.format import MEDIA_TYPE as BUNDLE_MEDIA_TYPE
from projections.flagsview import FlagsView, page_cursor
from projections.jsontext import json_bytes
from projections.readmodels import ReadModels
from projections.redflags.catalogue import check_filter
from projections.runner import ProjectionRunner, events_after, public_health

from . import dashboard, oversight
from .auth import require
from .ingest import (MAX_BODY, RETRY_AFTER, Ingest, IngestMiddleware, answer_headers, read_body,
                     too_large)
from .key_units import KeyUnits
from .problems import (document_problems, http_error_handler, internal_error_handler,
                       ledger_error_handler, query_parameters, validation_error_handler)
from .scoping import other_units, scoped_flags, visible_state, visible_warnings

JSON = "application/json"
PROBLEM = "application/problem+json"

# Posters may read the key registry and log proofs (hashes); event contents are for inspectors
# and auditors, within their units.
Reader = Annotated[Principal, Depends(require("poster", "inspector", "auditor"))]
Inspector = Annotated[Principal, Depends(require("inspector", "auditor"))]
Auditor = Annotated[Principal, Depends(require("auditor", "inspector"))]


def _refusal(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {}}, **extra}


# What POST /v1/events refuses with (api/problems.py's table and api/ingest.py), each an
# RFC 9457 problem whose type ends in the code named here.
POST_EVENTS_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: _refusal("no bearer token, or an unknown one (`unauthorized`)",
                  headers={"WWW-Authenticate": {"schema": {"type": "string"},
                                                "description": "Bearer"}}),
    403: _refusal("the token's principal lacks the role poster (`forbidden`), or a signer key "
                  "is revoked, outside its validity window or not allowed to sign the event "
                  "type (`key-revoked`, `key-not-valid`, `key-not-allowed`), or a key registered "
                  "for units signed a disposition of a flag the service does not hold as of those "
                  "units, another unit's or none (`forbidden`, rule `key-units`; "
                  "docs/red-flags.md, RF28)"),
    409: _refusal("an event_id already recorded, or sent twice, with different bytes; a key "
                  "registered or revoked again (`conflict`)"),
    413: _refusal(f"more than {MAX_BATCH:,} events or {MAX_JSON_VALUES:,} JSON values "
                  "(`batch-too-large`, the latter refused unparsed), or a body over "
                  f"{MAX_BODY // 2**20} MiB (`body-too-large`, answered before the rest of "
                  "it is read)"),
    415: _refusal(f"the body is not sent as {JSON} (`unsupported-media-type`, rule "
                  "`json-content-type`), or is sent with a `Content-Encoding` other than "
                  "`identity` — gzip and the like are not read (rule `content-encoding`)",
                  headers={"Accept-Encoding": {"schema": {"type": "string"},
                                               "description": "identity"}}),
    501: _refusal("the body is sent with a transfer coding other than `chunked` (`gzip, "
                  "chunked`…), which the server does not decode (`not-implemented`, rule "
                  "`transfer-coding`)"),
    422: _refusal("malformed JSON, envelope or body, an unknown event type, a bad signature, an "
                  "unknown signer key or an unusable public key (`malformed-event`, "
                  "`unknown-event-type`, `bad-signature`, `unknown-key`, `invalid-public-key`)"),
    500: _refusal("the append failed and nothing was acknowledged (`internal-error`): retry "
                  "with the same event_id(s), a retry never appends twice"),
    503: _refusal("the database is unavailable (`unavailable`, rule `database-available`) or "
                  "the service is shutting down (`shutting-down`, rule `service-running`), "
                  "and nothing was written (unless `detail` says the events may have been: "
                  "the connection lost as they committed): retry with the same "
                  "event_id(s), after `Retry-After` seconds",
                  headers={"Retry-After": {"schema": {"type": "integer"},
                                           "description": f"{RETRY_AFTER}"}}),
}


def _shown(text: str, most: int = 80) -> str:
    """``text`` quoted for a problem's detail, cut to ``most`` characters: a refused name may be
    as long as the request line."""
    return repr(text if len(text) <= most else text[:most] + "…")


def _stored_json(row: StoredRow) -> bytes:
    """{"envelope": <stored bytes, verbatim>, "receipt": {...}} — the envelope is not re-encoded."""
    return b'{"envelope":' + row.raw + b',"receipt":' + orjson.dumps(row.receipt.to_value()) + b"}"


def _document_events(app: FastAPI, ledger: Ledger) -> None:
    """Publish the signed envelope and every event type's body schema (the same schemas the
    door validates with) in the OpenAPI document, and reference them from POST /v1/events."""
    schemas_of = getattr(ledger.types, "json_schemas", None)
    if schemas_of is None:
        return
    bodies = {f"{name}Body": {k: v for k, v in schema.items() if k != "$schema"}
              for name, schema in schemas_of().items()}
    envelope = {
        "type": "object", "additionalProperties": False,
        "required": ["spec", "event_id", "stream", "type", "occurred_at", "signer", "body", "sig"],
        "properties": {
            "spec": {"const": "integrity-ledger/event/v1"},
            "event_id": {"type": "string", "format": "uuid"},
            "stream": {"type": "string", "examples": ["case:SH-HP-2024-000123"]},
            "type": {"type": "string", "enum": sorted(schemas_of())},
            "occurred_at": {"type": "string", "format": "date-time"},
            "signer": {"type": "string", "pattern": "^key:"},
            "body": {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in sorted(bodies)],
                     "description": "the body schema of `type` (see docs/events.md)"},
            "sig": {"type": "string", "description": "base64url Ed25519 signature over the "
                    "RFC 8785 bytes of the envelope without sig"}}}

    def amend(doc: dict[str, Any]) -> None:
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        components.update(bodies)
        components["SignedEnvelope"] = envelope
        post = doc["paths"]["/v1/events"]["post"]
        post["requestBody"] = {"required": True, "content": {JSON: {"schema": {"oneOf": [
            {"$ref": "#/components/schemas/SignedEnvelope"},
            {"type": "array", "maxItems": MAX_BATCH,
             "items": {"$ref": "#/components/schemas/SignedEnvelope"}}]}}}}

    _amend_openapi(app, amend)


def _amend_openapi(app: FastAPI, amend: Callable[[dict[str, Any]], None]) -> None:
    """Have the app's OpenAPI document, built once, changed by ``amend`` (after any earlier
    amendment)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = build()
        amend(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


async def refuse_nul(request: Request) -> None:
    """Every route's first dependency: PostgreSQL text cannot hold U+0000, so a path or query
    parameter holding it is refused here, naming it, rather than by the driver (a 500)."""
    for where, params in (("path", request.path_params.items()),
                          ("query", request.query_params.multi_items())):
        for name, value in params:
            if isinstance(value, str) and "\x00" in value:
                raise RequestValidationError([{"loc": (where, name), "type": "value_error",
                                               "msg": "must not contain U+0000 (NUL)"}])


async def refuse_repeated(request: Request) -> None:
    """Every route's second dependency: no route takes a list in its query, and the framework
    keeps the last of a parameter given twice, dropping the others unsaid (``?rule=RF04&
    rule=RF05`` answered RF05's flags alone; ``?limit=0&limit=5`` five events). Such a query
    is refused here, naming the parameter."""
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen:
            raise RequestValidationError([{"loc": ("query", name), "type": "value_error",
                                           "msg": "must be given once: no read takes a list"}])
        seen.add(name)


def flag_bound(value: str | None, name: str) -> datetime | date | None:
    """A ``since``/``until`` of the flag queue: an instant with any offset, or a day (the flags
    view compares either with ``raised_at`` in the legal zone the flags are written in). Raises
    InvalidRequest naming ``query.<name>`` for anything else."""
    if value is None:
        return None
    try:
        if DATE.fullmatch(value):
            return date.fromisoformat(value)
        if RFC3339.fullmatch(value):
            moment = parse_datetime(value)
            moment.astimezone(CST)        # an instant after 9999 at UTC+8 is refused, as ever
            return moment
        raise ValueError(value)
    except (ValueError, OverflowError):       # 2024-02-30; 9999-12-31T23:00:00-10:00
        raise InvalidRequest(f"{name} must be an RFC 3339 date-time or a day (YYYY-MM-DD)",
                             field=f"query.{name}") from None


def visible_streams(views: ReadModels, principal: Principal, streams: list[str],
                    kinds: tuple[str, ...] = ("case", "complaint")) -> list[str]:
    """``streams`` without those of ``kinds`` (cases and complaints; ``officer`` too) outside
    ``principal``'s units: an officer of one unit may act in another unit's case, which that
    unit's scoped inspectors may not see."""
    units: dict[str, str | None] = {}
    for kind in kinds:
        ids = [s.partition(":")[2] for s in streams if s.startswith(f"{kind}:")]
        units.update({f"{kind}:{i}": u for i, u in views.units_of(f"{kind}s", ids).items()})
    return [s for s in streams if s.partition(":")[0] not in kinds
            or principal.may_see_unit(units.get(s))]


def visible_officer(views: ReadModels, flags: FlagsView, principal: Principal,
                    state: dict[str, Any]) -> dict[str, Any]:
    """An officer's state naming only the cases, complaints, and flags and notices of formal
    warnings (:func:`visible_warnings`) ``principal`` may see (the counts of the caseload
    stay: they describe the officer, not the cases)."""
    if not principal.units:
        return state
    state["warnings"] = visible_warnings(views, flags, principal, state.get("warnings", []))
    cases = views.units_of("cases", state.get("case_acts", {}))
    for key in ("case_acts", "case_decisions", "case_collections"):   # keyed by case id
        state[key] = {c: v for c, v in state.get(key, {}).items()
                      if principal.may_see_unit(cases.get(c))}
    recused = views.units_of("cases", [r["case_id"] for r in state.get("recusals", [])])
    state["recusals"] = [r for r in state.get("recusals", [])
                         if principal.may_see_unit(recused.get(r["case_id"]))]
    complaints = state.get("complaints")
    if complaints and complaints.get("ids"):
        known = views.units_of("complaints", complaints["ids"])
        complaints["ids"] = [c for c in complaints["ids"] if principal.may_see_unit(known.get(c))]
    return state


def visible_case(views: ReadModels, principal: Principal, state: dict[str, Any]
                 ) -> dict[str, Any]:
    """A case's state naming only the complaints ``principal`` may see: a complaint about the
    case may be of another unit (its ``unit_id``, the unit the complaints office gave it), and
    is then left out of ``complaints``, one ``{"source": "other_units", "count": n}`` appended
    for those left out (the marker a flag's withheld list items get: api/scoping.py)."""
    listed = state.get("complaints") or []
    if not principal.units or not listed:
        return state
    units = views.units_of("complaints", [c["complaint_id"] for c in listed])
    kept = [c for c in listed if principal.may_see_unit(units.get(c["complaint_id"]))]
    state["complaints"] = kept + ([other_units(len(listed) - len(kept))]
                                 if len(kept) < len(listed) else [])
    return state


def visible_complaint(views: ReadModels, principal: Principal, state: dict[str, Any]
                      ) -> dict[str, Any]:
    """A complaint's state whose ``case_id``, a case of another unit ``principal`` may not see,
    reads ``{"source": "other_units", "count": 1}`` (the accused officers, whom it is about,
    stay)."""
    case_id = state.get("case_id")
    if principal.units and case_id and not principal.may_see_unit(
            views.units_of("cases", [case_id]).get(case_id)):
        state["case_id"] = other_units(1)
    return state


def trail_scope(views: ReadModels, *, officer: str | None = None, unit: str | None = None,
                principal: Principal | None = None) -> StreamsScope:
    """The audit trail of an officer or a unit, as a bundle scope (streams from the read
    models); for a unit-scoped ``principal`` an officer's trail leaves out the cases and
    complaints of other units. Raises NotFound for an officer the read models do not know, or a
    unit nothing in the log names."""
    if officer:
        try:
            streams = views.streams_of_officer(officer)
        except LookupError:
            raise NotFound(f"no officer {officer}", field="officer") from None
        if principal is not None and principal.units:
            streams = visible_streams(views, principal, streams)
        return StreamsScope("officer", officer, tuple(streams))
    assert unit is not None
    try:
        streams = views.streams_of_unit(unit)
    except LookupError:
        raise NotFound(f"no unit {unit}", field="unit") from None
    if principal is not None and principal.units:
        # what they may see follows the current unit: not a case or officer that moved away
        streams = visible_streams(views, principal, streams, kinds=("case", "complaint",
                                                                    "officer"))
    return StreamsScope("unit", unit, tuple(streams))


def with_flag_streams(flags: FlagsView, scope: Scope,
                      principal: Principal | None = None) -> Scope:
    """A case, officer or unit bundle's scope with the ``flag:`` streams it carries whole: of
    every flag the flags read model holds about one of its cases, officers or units (the
    ``case:``, ``officer:`` and ``unit:`` streams it holds; a case bundle's case), so that
    ``ledger flags`` shows their dispositions as the service does (docs/bundle.md, Scopes);
    for a unit-scoped ``principal`` only those of flags about its units, as ``GET /v1/flags``
    lists them. Any other scope is returned as it is."""
    if isinstance(scope, StreamScope) and scope.case_id is not None:
        about = flags.flags_about(cases=[scope.case_id])
    elif isinstance(scope, StreamsScope):
        ids: dict[str, list[str]] = {"case": [], "officer": [], "unit": []}
        for stream in scope.streams:
            kind, _, ident = stream.partition(":")
            if kind in ids:
                ids[kind].append(ident)
        about = flags.flags_about(cases=ids["case"], officers=ids["officer"], units=ids["unit"])
    else:
        return scope
    return replace(scope, flags=tuple(f"flag:{i}" for i, unit in about.items()
                                      if principal is None or principal.may_see_unit(unit)))


def asgi(app: FastAPI) -> IngestMiddleware:
    """The application as served: the framework app behind the POST /v1/events fast path."""
    return IngestMiddleware(app, app.state.ingest)


def _closing_ingest(lifespan: Lifespan[FastAPI] | None) -> Lifespan[FastAPI]:
    """``lifespan`` (or none) with the app's Ingest closed when the server stops the app —
    first, before what ``lifespan`` runs then: its threads hand requests to the ledger, which
    that may close."""

    @asynccontextmanager
    async def composed(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) if lifespan else nullcontext() as state:
            yield state
            app.state.ingest.close()

    return composed


#: /metrics' gauges of each projection: events not yet folded; failed attempts in a row and the
#: Unix time of the first (0 when it folds), when this process runs the projections
_PROJECTION_SERIES: tuple[tuple[str, Callable[[dict[str, Any]], int]], ...] = (
    ("behind", lambda e: e["behind"]),
    ("failures", lambda e: e.get("stuck", {}).get("failures", 0)),
    ("stuck_since_seconds", lambda e: int(parse_datetime(e["stuck"]["since"]).timestamp())
     if "stuck" in e else 0),
)


def create_app(ledger: Ledger, *, log: LogView | None = None, views: ReadModels | None = None,
               flags: FlagsView | None = None, title: str = "Integrity Ledger",
               dashboard_key: SigningKey | None = None,
               lifespan: Lifespan[FastAPI] | None = None,
               ingest_threads: int = INGEST_THREADS, inline_body: int = INLINE_BODY,
               projections: ProjectionRunner | None = None) -> FastAPI:
    """The service. ``dashboard_key`` signs the dispositions inspectors record in the
    dashboard (docs/dashboard.md); without it that endpoint answers 503. ``lifespan`` is
    FastAPI's: what runs when the server starts and stops the app. The app owns its ingest
    thread pool (``ingest_threads``, ``inline_body``: api/ingest.py's ``Ingest``): stopping
    the app ends those threads, before ``lifespan``'s shutdown runs. ``projections``, the
    runner this process starts (if any), is what ``/healthz`` and ``/metrics`` ask whether a
    projection is stuck; how far behind each is they read from the database, whoever runs it."""
    app = FastAPI(title=title, version="1.0.0",
                  description="Signed, verifiable event ledger for city-management enforcement.",
                  dependencies=[Depends(refuse_nul), Depends(refuse_repeated)],
                  lifespan=_closing_ingest(lifespan))
    app.state.ledger = ledger
    log = log or LogView(ledger.store, origin="integrity-ledger.local/log",
                         key_name="integrity-ledger.local/log", signing_key=None)
    app.state.log = log
    views = views or ReadModels(ledger.store)
    app.state.views = views
    flags = flags or FlagsView(ledger.store)
    app.state.flags = flags
    app.state.token_cache = TokenCache(ledger.store.find_token)
    app.state.metrics = Counter()
    ingest = Ingest(ledger, app.state.token_cache, app.state.metrics,
                    threads=ingest_threads, inline_body=inline_body,
                    key_units=KeyUnits(ledger, flags.units_and_clock))
    app.state.ingest = ingest
    _document_events(app, ledger)
    _amend_openapi(app, document_problems)    # every error answer is a problem
    app.add_exception_handler(LedgerError, ledger_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
    app.add_exception_handler(Exception, internal_error_handler)     # the last resort: a 500

    def unit_of_stream(stream: str) -> str | None:
        """The unit a stream belongs to for unit-scoped reads: a flag's dispositions
        (``flag:<id>``) are of the flag's unit, as the flag is (the read models know no flags)."""
        kind, _, ident = stream.partition(":")
        return flags.unit_of(ident) if kind == "flag" else views.unit_of_stream(stream)

    @app.post("/v1/events", status_code=201, tags=["events"],
              summary="Append one signed envelope or an array of up to 1,000 (atomic)",
              responses={200: {"description": "every event was already recorded (idempotent "
                                               "replay): the original receipts"},
                         201: {"description": "receipts, one per event, in request order"},
                         **POST_EVENTS_REFUSALS})
    async def post_events(request: Request) -> Response:
        body = await read_body(request.headers, request.receive)
        status, ctype, content = too_large() if body is None else await ingest(request.headers,
                                                                               body)
        return Response(content, status_code=status, media_type=ctype,
                        headers=answer_headers(status))

    @app.get("/v1/events/{event_id}", tags=["events"],
             summary="One stored envelope, byte-for-byte as signed, with its receipt")
    def get_event(event_id: str, principal: Inspector) -> Response:
        if not UUID.fullmatch(event_id):
            raise InvalidRequest(f"an event_id is a lowercase UUID, not {_shown(event_id)}",
                                 field="path.event_id")
        row = ledger.get_event(event_id)
        if row is None or not principal.may_see_unit(unit_of_stream(row.receipt.stream)):
            raise NotFound(f"no event {event_id}", field="event_id")
        return Response(_stored_json(row), media_type=JSON)

    @app.get("/v1/streams/{stream:path}/events", tags=["events"],
             summary="A stream's events in stream order, paged by version")
    def get_stream(stream: str, principal: Inspector,
                   after_version: Annotated[int, Query(ge=0)] = 0,
                   limit: Annotated[int, Query(ge=1, le=MAX_BATCH)] = 100) -> Response:
        if not STREAM.fullmatch(stream):
            raise InvalidRequest(f"no stream can be named {_shown(stream)}: a stream is keys "
                                 "or <kind>:<id> (docs/architecture.md, Streams)",
                                 field="path.stream")
        if not principal.may_see_unit(unit_of_stream(stream)):
            raise NotFound(f"no stream {stream}", field="stream")
        rows = ledger.store.stream_events(stream, after_version=after_version, limit=limit)
        last = rows[-1].receipt.stream_version if rows else after_version
        nxt = (f"/v1/streams/{stream}/events?after_version={last}&limit={limit}"
               if len(rows) == limit else None)
        body = (b'{"stream":' + orjson.dumps(stream) + b',"events":['
                + b",".join(_stored_json(r) for r in rows) + b'],"next":' + orjson.dumps(nxt)
                + b"}")
        return Response(body, media_type=JSON)

    def read_state(table: str, noun: str, ident: str, principal: Principal) -> Response:
        """One state of a read model, as ``principal`` may see it; NotFound names the path's
        parameter (``<noun>_id``)."""
        state = visible_state(views, table, noun, ident, principal)
        if table == "officers":
            state = visible_officer(views, flags, principal, state)
        elif table == "cases":
            state = visible_case(views, principal, state)
        elif table == "complaints":
            state = visible_complaint(views, principal, state)
        if table in ("cases", "officers"):
            state["flags"] = scoped_flags(views, flags, principal, flags.query(
                limit=500, units=sorted(principal.units), **{f"{noun}_id": ident})["flags"])
        return Response(json_bytes(state), media_type=JSON)

    # The path parameters are named as DESIGN.md writes the paths (and as the OpenAPI
    # document then shows them): /v1/cases/{case_id}, /v1/officers/{officer_id}.
    @app.get("/v1/cases/{case_id}", tags=["read models"], name="get_case",
             summary="A case's state: procedure, lifecycle, parties, officers, amounts, money, "
                     "deadlines, out-of-order steps and every event id")
    def get_case(case_id: str, principal: Inspector) -> Response:
        return read_state("cases", "case", case_id, principal)

    @app.get("/v1/officers/{officer_id}", tags=["read models"], name="get_officer",
             summary="An officer's credentials, posts over time, pledge chain and caseload")
    def get_officer(officer_id: str, principal: Inspector) -> Response:
        return read_state("officers", "officer", officer_id, principal)

    @app.get("/v1/complaints/{complaint_id}", tags=["read models"], name="get_complaint",
             summary="A complaint's handling and its statutory deadlines")
    def get_complaint(complaint_id: str, principal: Inspector) -> Response:
        return read_state("complaints", "complaint", complaint_id, principal)

    @app.get("/v1/flags", tags=["red flags"],
             summary="The red-flag queue, newest first, filtered and paged (`next` cursor)")
    def get_flags(principal: Inspector, rule: str | None = None, rule_id: str | None = None,
                  severity: Annotated[str | None, Query(pattern="^(critical|high|medium|low)$")]
                  = None,
                  status: Annotated[str | None, Query(pattern="^(raised|cleared)$")] = None,
                  disposition: Annotated[str | None, Query(
                      pattern="^(open|acknowledged|dismissed|confirmed|referred)$")] = None,
                  officer: str | None = None, unit: str | None = None, party: str | None = None,
                  case: str | None = None, since: str | None = None, until: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  after: str | None = None) -> Response:
        check_filter(rule, rule_id)
        # every query parameter judged before the unit or case it filters on (403, or the
        # empty page of a case the principal may not see)
        since, until = flag_bound(since, "since"), flag_bound(until, "until")
        if after:
            with query_parameters("after"):     # a cursor the queue did not give
                page_cursor(after)
        if unit is not None and not principal.may_see_unit(unit):
            raise Forbidden(f"principal {principal.name!r} may not see unit {unit!r}",
                            field="unit")
        if case is not None and principal.units and not principal.may_see_unit(
                views.unit_of_stream(f"case:{case}")):
            # a flag of the principal's units may be about another unit's case (RF22: the
            # officer's first uncovered act); its id is withheld, so the filter must not match
            return Response(orjson.dumps({"flags": [], "evaluated_at": None, "next": None}),
                            media_type=JSON)
        page = flags.query(limit=limit, after=after, since=since, until=until,
                           units=sorted(principal.units), rule=rule, rule_id=rule_id,
                           severity=severity, status=status, disposition=disposition,
                           officer_id=officer, unit_id=unit, party_ref=party, case_id=case)
        page["flags"] = scoped_flags(views, flags, principal, page["flags"])
        return Response(orjson.dumps(page), media_type=JSON)

    @app.get("/v1/flags/unattached", tags=["red flags"],
             summary="Dispositions whose flag the service does not hold (vanished, or not "
                     "raised), by flag id, paged (`next`); unscoped principals only")
    def get_unattached(principal: Inspector, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                       after: str | None = None) -> Response:
        if principal.units:
            # such a disposition names no unit: a scoped token would read other units' flag ids
            raise Forbidden(f"principal {principal.name!r} is scoped to units "
                            f"{sorted(principal.units)}: a disposition whose flag the service "
                            "does not hold names no unit, so only an unscoped principal may "
                            "read them", rule="unit-scope")
        return Response(orjson.dumps(flags.unattached(limit=limit, after=after)),
                        media_type=JSON)

    @app.get("/v1/keys", tags=["keys"], summary="The key registry: every key and its status")
    def get_keys(principal: Reader) -> Response:
        registry = ledger.refresh_registry()
        now = ledger.store.ledger_clock()       # the writer's clock, not this process's
        keys = [k.to_value(now) for k in registry.keys.values()]
        return Response(orjson.dumps({"keys": keys, "version": registry.version}),
                        media_type=JSON)

    @app.get("/v1/log/checkpoint", tags=["log"], response_class=PlainTextResponse,
             summary="The latest signed checkpoint (C2SP tlog-checkpoint as a signed note)")
    def get_checkpoint(tree_size: Annotated[int | None, Query(ge=0)] = None) -> Response:
        cp = log.latest_checkpoint() if tree_size is None else log.checkpoint_at(tree_size)
        if cp is None:
            if tree_size is None:
                raise NotFound("no checkpoint has been issued yet", rule="checkpoint-issued")
            raise NotFound(f"no checkpoint of size {tree_size}", field="tree_size")
        return PlainTextResponse(cp.note, media_type="text/plain; charset=utf-8")

    @app.get("/v1/log/proofs/inclusion", tags=["log"],
             summary="RFC 9162 inclusion proof of a leaf in the tree of exactly tree_size leaves")
    def get_inclusion(principal: Reader, index: Annotated[int | None, Query(ge=0)] = None,
                      event_id: str | None = None,
                      tree_size: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
        if index is not None and event_id is not None:   # a proof of one would pass for the other
            raise InvalidRequest("give index or event_id, not both", field="query.event_id")
        if index is None and not event_id:
            raise InvalidRequest("give index or event_id", field="query.index")
        if index is None:
            row = ledger.get_event(event_id)
            if row is None or not principal.may_see_unit(unit_of_stream(row.receipt.stream)):
                raise NotFound("give index, or the event_id of a recorded event",
                               field="event_id")
            index = row.receipt.index
            if tree_size is not None and index >= tree_size:
                raise InvalidRequest(f"event {event_id} is at log index {index}, recorded after "
                                     f"the tree of size {tree_size}", field="query.event_id")
        with query_parameters("index"):
            return log.inclusion(index, tree_size)

    @app.get("/v1/log/proofs/consistency", tags=["log"],
             summary="RFC 9162 consistency proof between trees of sizes first and second")
    def get_consistency(principal: Reader, first: Annotated[int, Query(ge=1)],
                        second: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
        with query_parameters("first"):
            return log.consistency(first, second)

    @app.get("/v1/bundles", tags=["log"], response_class=StreamingResponse,
             summary="An audit bundle (JSON Lines, integrity-ledger/bundle/v1) for one scope",
             description="Exactly one scope: `case`, `stream`, `officer`, `unit`, `from`+`to` "
                         "(recorded_at, RFC 3339) or `all=true`. Proofs are for the latest "
                         "checkpoint, or the one of `tree_size`; `since_size` embeds a "
                         "consistency proof. See docs/bundle.md.",
             responses={200: {"content": {BUNDLE_MEDIA_TYPE: {}},
                              "description": "the bundle, streamed line by line"},
                        404: {"description": "no checkpoint (of that tree size), or no "
                                              "event in the case or stream, or no such "
                                              "officer or unit (below the checkpoint's "
                                              "tree size)"}})
    def get_bundle(principal: Auditor, case: str | None = None, stream: str | None = None,
                   officer: str | None = None, unit: str | None = None,
                   from_: Annotated[str | None, Query(alias="from")] = None,
                   to: str | None = None, all_: Annotated[bool, Query(alias="all")] = False,
                   tree_size: Annotated[int | None, Query(ge=1)] = None,
                   since_size: Annotated[int | None, Query(ge=1)] = None) -> Response:
        given = [name for name, on in (
            ("case", case), ("stream", stream), ("officer", officer), ("unit", unit),
            ("to" if to and not from_ else "from", from_ or to), ("all", all_)) if on]
        if len(given) != 1:      # named as the inclusion proof names index or event_id
            raise InvalidRequest("name exactly one scope: case, stream, officer, unit, from "
                                 "and to, or all" + (f" (found {', '.join(given)})" if given
                                                     else ""),
                                 field=f"query.{given[1] if given else 'case'}")
        if officer or unit:
            scope = trail_scope(views, officer=officer, unit=unit, principal=principal)
            if principal.units and not principal.may_see_unit(
                    unit if unit else views.unit_of_stream(f"officer:{officer}")):
                # worded as trail_scope's unknown officer: the detail must not tell them apart
                raise NotFound(f"no officer {officer}" if officer else f"no unit {unit}",
                               field="officer" if officer else "unit")
        else:
            with query_parameters("from", "to"):
                scope = bundle_scope(case=case, stream=stream, start=from_, stop=to,
                                     whole=all_)
        if principal.units and not (officer or unit):
            # a unit-scoped inspector may export a case or stream of its units, not a time range
            # or the log (an officer or unit of its units: above)
            target = f"case:{case}" if case else stream
            if target is None:
                raise Forbidden(f"principal {principal.name!r} is scoped to units "
                                f"{sorted(principal.units)}: export a case, stream, "
                                "officer or unit of those units instead",
                                rule="unit-scope")
            if not principal.may_see_unit(unit_of_stream(target)):
                raise NotFound(f"no stream {target}", field="case" if case else "stream")
        require_events(ledger.store, scope)
        # a case, officer or unit bundle carries the dispositions of the flags about it
        scope = with_flag_streams(flags, scope, principal)
        with query_parameters("since_size"):
            export = BundleExport.prepare(ledger.store, log, scope, types=ledger.types,
                                          tree_size=tree_size, since_size=since_size)
        name = f"bundle-{scope.describe()['kind']}-{export.checkpoint.size}.ndjson"
        return StreamingResponse(export.lines(), media_type=BUNDLE_MEDIA_TYPE,
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def projections_health() -> dict[str, dict[str, Any]]:
        stuck = projections.stuck() if projections is not None else {}
        positions = {view.NAME: view.position() for view in (views, flags)}
        with ledger.store.cursor() as curs:
            return {name: public_health(events_after(curs, at), stuck.get(name))
                    for name, at in positions.items()}

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, Any]:
        started = time.perf_counter()
        size = ledger.store.size()
        took = round((time.perf_counter() - started) * 1000, 2)
        health = projections_health()
        stuck = any("stuck" in entry for entry in health.values())
        return {"status": "degraded" if stuck else "ok", "log_size": size, "db_ms": took,
                "projections": health}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics() -> str:
        lines = []
        for name, value in sorted(app.state.metrics.items()):
            lines.append(f"# TYPE ledger_{name} counter")
            lines.append(f"ledger_{name} {value}")
        lines.append("# TYPE ledger_log_size gauge")
        lines.append(f"ledger_log_size {ledger.store.size()}")
        health = projections_health()
        for series, value_of in _PROJECTION_SERIES:
            lines.append(f"# TYPE ledger_projection_{series} gauge")
            lines.extend(f'ledger_projection_{series}{{projection="{name}"}} {value_of(entry)}'
                         for name, entry in health.items())
        return "\n".join(lines) + "\n"

    dashboard.install(app, ledger=ledger, log=log, views=views, flags=flags,
                      signing_key=dashboard_key)
    oversight.install(app)
    return app
