"""Conformance to what DESIGN.md fixes: every error the HTTP surface answers with is an RFC 9457
problem (application/problem+json) naming the field or the rule it broke, the OpenAPI document
names DESIGN.md's paths and describes errors as problems, stream `keys` holds the key registry
whatever the vocabulary, and every environment variable is documented (docs/architecture.md:
Errors, Configuration, Deviations from DESIGN.md)."""

from __future__ import annotations

import json
import pathlib
import re

import pytest
from fastapi.testclient import TestClient

import api.ingest
from api.app import asgi, create_app
from ledger.canonical import canonical
from ledger.client import sign_envelope
from ledger.crypto import SigningKey
from ledger.service import Ledger

from .conftest import ROOT_ID, World


def test_a_failure_on_a_read_route_is_a_problem_not_plain_text(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug or an infrastructure failure behind a framework route was answered by Starlette's
    last-resort handler: 500 text/plain "Internal Server Error"."""
    def broken() -> int:
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(ledger.store, "size", broken)
    with TestClient(asgi(create_app(ledger)), raise_server_exceptions=False) as http:
        response = http.get("/healthz")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:integrity-ledger:problem:internal-error"
    assert problem["status"] == 500
    assert "secret detail" not in response.text


def _note(world: World, key_id: str = "app", **body: object) -> dict:
    return world.sign(key_id, stream="case:SH-HP-2024-000123", type="NoteRecorded",
                      body={"note": "filed", **body})


def _with(world: World, old: bytes, new: bytes) -> bytes:
    """A signed note's canonical bytes with ``old`` replaced by ``new`` once."""
    raw = canonical(_note(world))
    assert old in raw
    return raw.replace(old, new, 1)


# Each refusal POST /v1/events gives for the body itself, with the rule it must name: these
# carried only a prose detail (no field, no rule), so a client could not tell them apart.
BODY_REFUSALS = {
    "duplicate key": (lambda w: _with(w, b'{"body"', b'{"type":"X","body"'), "no-duplicate-keys"),
    "float": (lambda w: _with(w, b'"note":"filed"', b'"note":"filed","fen":1.5'), "no-floats"),
    "NaN": (lambda w: _with(w, b'"note":"filed"', b'"note":"filed","fen":NaN'), "json-syntax"),
    "unsafe integer": (lambda w: _with(w, b'"note":"filed"', b'"note":"filed","fen":' +
                                       str(2**53).encode()), "safe-integers"),
    "non-ASCII key": (lambda w: _with(w, b'"note":"filed"', '"note":"filed","金额":1'.encode()),
                      "ascii-keys"),
    "byte order mark": (lambda w: b"\xef\xbb\xbf" + canonical(_note(w)), "no-bom"),
    "invalid UTF-8": (lambda w: _with(w, b'"filed"', b'"fil\xffed"'), "utf-8"),
    "not JSON": (lambda w: b"not json", "json-syntax"),
    "extra data": (lambda w: canonical(_note(w)) + b" {}", "json-syntax"),
    "nested too deep": (lambda w: _with(w, b'"note":"filed"',
                                        b'"note":"filed","x":' + b"[" * 70 + b"]" * 70),
                        "max-depth"),
    "lone surrogate": (lambda w: _with(w, b'"filed"', b'"fil\\udc00ed"'), "unicode-scalars"),
    "empty batch": (lambda w: b"[]", "non-empty-batch"),
    "not an object": (lambda w: b"[5]", "envelope-object"),
    "too many events": (lambda w: canonical([_note(w)] * 1001), "max-batch-events"),
}


@pytest.fixture
def app_key(world: World) -> SigningKey:
    return world.register("app", ["case-app"])


@pytest.mark.parametrize("case", sorted(BODY_REFUSALS))
def test_a_refused_body_names_the_rule_it_broke(world: World, app_key: SigningKey,
                                                case: str) -> None:
    make, rule = BODY_REFUSALS[case]
    before = world.count()
    response = world.post_raw(make(world))
    assert response.status_code in (413, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["rule"] == rule, response.text
    assert world.count() == before


def test_refusals_of_the_request_around_the_body_name_their_rule(
        world: World, app_key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    body = canonical(_note(world))
    poster = world.headers("poster")
    before = world.count()
    cases = [
        ({**poster, "Content-Type": "text/plain"}, 415, "json-content-type"),
        ({"Content-Type": "application/json"}, 401, "bearer-token"),
        ({**poster, "Authorization": "Bearer il_not-a-token"}, 401, "bearer-token"),
        (world.headers("inspector"), 403, "access-role"),
    ]
    for headers, status, rule in cases:
        response = world.post_raw(body, headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["rule"] == rule, response.text
    monkeypatch.setattr(api.ingest, "MAX_BODY", 100)
    response = world.post_raw(body)
    assert response.status_code == 413
    assert response.json()["rule"] == "max-body-bytes"
    assert world.count() == before


def test_every_other_refusal_of_an_event_names_its_field(world: World, app_key: SigningKey) -> None:
    """What already named its field, held to it: the contract wants one of the two on every
    refusal."""
    world.register("till", ["finance"])
    world.register("old", ["case-app"], not_after="2020-01-01T00:00:00+08:00")
    tampered = _note(world)
    tampered["body"]["note"] = "changed after signing"
    unknown = {**_note(world), "signer": "key:nobody"}
    recorded = _note(world)
    world.post(recorded)
    cases = {
        "bad-signature": (tampered, "sig"),
        "unknown-key": (unknown, "signer"),
        "key-not-allowed": (_note(world, "till"), "signer"),
        "key-not-valid": (_note(world, "old"), "signer"),
        "conflict": (world.sign("app", stream="case:X-1", type="NoteRecorded",
                                body={"note": "other"}, event_id=recorded["event_id"]),
                     "event_id"),
        "unknown-event-type": (world.sign("app", stream="case:X-1", type="Bribe", body={}),
                               "type"),
        "malformed-event": (world.sign("app", stream="case:X-1", type="NoteRecorded",
                                       body={"note": 5}), "body.note"),
        "invalid-public-key": (world.key_registered("evil", ["case-app"],
                                                    public_key=bytes([1]) + bytes(31)),
                               "body.public_key"),
    }
    for code, (env, field) in cases.items():
        response = world.post_raw(canonical(env))
        problem = response.json()
        assert problem["type"].endswith(f":{code}") and problem["field"] == field, problem


def test_every_refusal_of_a_read_names_the_field_or_rule(world: World) -> None:
    """The read routes' refusals (404 above all) said what was missing only in prose."""
    scoped = {"Authorization": f"Bearer {world.token('inspector', units=('SH-HP-01',))}"}
    auditor = world.headers("auditor")
    missing = "0192f3c4-8a1e-7c3b-9d2e-4f5a6b7c8d9e"
    cases = [
        ("GET", f"/v1/events/{missing}", auditor, 404, "field", "event_id"),
        ("GET", "/v1/streams/case:NOPE/events", scoped, 404, "field", "stream"),
        ("GET", "/v1/cases/NOPE", auditor, 404, "field", "case_id"),
        ("GET", "/v1/officers/NOPE", auditor, 404, "field", "officer_id"),
        ("GET", "/v1/complaints/NOPE", auditor, 404, "field", "complaint_id"),
        ("GET", "/v1/log/checkpoint", {}, 404, "rule", "checkpoint-issued"),
        ("GET", "/v1/log/checkpoint?tree_size=7", {}, 404, "field", "tree_size"),
        ("GET", "/v1/bundles?all=true", auditor, 404, "rule", "checkpoint-issued"),
        ("GET", "/v1/bundles?officer=NOPE", auditor, 404, "field", "officer"),
        ("GET", "/v1/bundles?unit=NOPE", auditor, 404, "field", "unit"),
        ("GET", "/v1/bundles?all=true", scoped, 403, "rule", "unit-scope"),
        ("GET", "/v1/bundles?case=NOPE", scoped, 404, "field", "case"),
        ("GET", "/v1/flags?unit=SH-HP-02", scoped, 403, "field", "unit"),
        ("GET", "/v1/flags?limit=0", auditor, 422, "field", "query.limit"),
        ("GET", "/v1/supervision/NOPE", auditor, 404, "field", "notice_id"),
        ("GET", "/v1/units/SH-HP-02/overview", scoped, 404, "field", "unit_id"),
        ("GET", "/v1/cases/NOPE/trail", auditor, 404, "field", "case_id"),
        ("POST", "/v1/flags/NOPE/dispositions", world.headers("inspector"), 404, "field",
         "flag_id"),
        ("GET", "/v1/nowhere", {}, 404, "rule", "known-path"),
        ("DELETE", "/v1/events", {}, 405, "rule", "allowed-method"),
        ("GET", "/v1/cases/NOPE", {}, 401, "rule", "bearer-token"),
        ("GET", "/v1/cases/NOPE", world.headers("poster"), 403, "rule", "access-role"),
    ]
    for method, url, headers, status, member, value in cases:
        response = world.http.request(method, url, headers=headers, json={})
        assert response.status_code == status, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json", url
        assert response.json().get(member) == value, (url, response.text)



def test_a_database_that_does_not_answer_is_a_503_naming_its_rule(world: World,
                                                                   app_key: SigningKey) -> None:
    """Every other refusal named its `field` or `rule`; a 503 named neither, so a client could
    tell "the database is down" from "no dashboard key" or "shutting down" only by the prose."""
    auditor = world.headers("auditor")
    poster = world.headers("poster")
    note = canonical(_note(world))
    before = world.count()
    world.ledger.store.datastore.pool.close()       # nothing below the service answers now
    for method, url, headers, body in [("GET", "/v1/cases/NOPE", auditor, None),
                                       ("GET", "/healthz", {}, None),
                                       ("POST", "/v1/events", poster, note)]:
        response = world.http.request(method, url, headers=headers, content=body)
        assert response.status_code == 503, (url, response.text)
        problem = response.json()
        assert problem["type"].endswith(":unavailable"), problem
        assert problem["rule"] == "database-available", (url, problem)
    assert response.headers["retry-after"] == str(api.ingest.RETRY_AFTER)
    assert world.count() == before

# A query parameter each read route checks itself (past the framework's checks of its shape),
# with the parameter its refusal must name. These answered `malformed-event` — the problem of a
# bad posted event — naming the bare parameter (`since`, `from`, `on`), or `scope`.
BAD_QUERIES = [
    ("/v1/flags", {"since": "soon"}, "since"),
    ("/v1/flags", {"until": "2024-02-30"}, "until"),
    ("/v1/flags", {"after": "no cursor"}, "after"),
    ("/v1/bundles", {}, "case"),
    ("/v1/bundles", {"case": "C-1", "all": "true"}, "all"),
    ("/v1/bundles", {"stream": "case:C-1", "to": "2024-01-01T00:00:00Z"}, "to"),
    ("/v1/bundles", {"officer": "O-1", "unit": "U-1"}, "unit"),
    ("/v1/bundles", {"unit": "U-1", "case": "C-1"}, "unit"),
    ("/v1/bundles", {"from": "2024-01-01", "to": "2024-02-01T00:00:00Z"}, "from"),
    ("/v1/bundles", {"from": "2024-01-01T00:00:00Z"}, "to"),
    ("/v1/bundles", {"to": "2024-01-01T00:00:00Z"}, "from"),
    ("/v1/bundles", {"from": "2024-02-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"}, "to"),
    ("/v1/bundles", {"from": "0001-01-01T00:00:00+08:00", "to": "2024-01-01T00:00:00Z"},
     "from"),
    ("/v1/log/proofs/inclusion", {"index": 50}, "index"),
    ("/v1/log/proofs/consistency", {"first": 5}, "first"),
    ("/v1/supervision", {"at": "2024-02-30"}, "at"),
    ("/v1/public/decisions", {"to": "2024-02-30"}, "to"),
    ("/v1/units/SH-HP-01/assessment", {"period": "0000-Q1"}, "period"),
    ("/v1/units/SH-HP-01/assessment", {"period": "2024-Q1", "at": "2024-02-30"}, "at"),
    ("/v1/units/SH-HP-01/overview", {"on": "20241001"}, "on"),
    ("/v1/officers/O-1/pledge-chain", {"on": "2024-02-30"}, "on"),
]


@pytest.mark.parametrize("path, params, name", BAD_QUERIES,
                         ids=[f"{p}?{'&'.join(q)}" for p, q, _ in BAD_QUERIES])
def test_a_bad_query_parameter_is_an_invalid_request_naming_it(world: World, path: str,
                                                                params: dict, name: str) -> None:
    """Every bad query parameter of a read is the problem the framework's own checks answer
    one with (`invalid-request`, `query.<name>`), whichever check found it."""
    response = world.http.get(path, params=params, headers=world.headers("auditor"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:integrity-ledger:problem:invalid-request", problem
    assert problem["field"] == f"query.{name}", problem
    assert problem["errors"] == [{"field": f"query.{name}", "message": problem["detail"]}]



# A bad query parameter beside a path id (or a filter) naming nothing the principal may see:
# these answered 404 (or an empty page) before the query parameter was judged, while every
# other read route answered 422 naming it first.
BAD_QUERIES_BESIDE_UNKNOWN_IDS = [
    ("/v1/supervision/NOPE", {"at": "2024-02-30"}, "at"),
    ("/v1/supervision", {"unit": "SH-HP-02", "at": "2024-02-30"}, "at"),
    ("/v1/officers/NOPE/assessment", {"period": "0000-Q1"}, "period"),
    ("/v1/officers/NOPE/assessment", {"period": "2024-Q1", "at": "2024-02-30"}, "at"),
    ("/v1/units/SH-HP-02/assessment", {"period": "0000-Q1"}, "period"),
    ("/v1/units/NOPE/assessment", {"period": "2024-Q1", "at": "2024-02-30"}, "at"),
    ("/v1/units/SH-HP-02/overview", {"on": "20241001"}, "on"),
    ("/v1/officers/NOPE/pledge-chain", {"on": "2024-02-30"}, "on"),
    ("/v1/streams/case:NOPE/events", {"limit": "0"}, "limit"),
    ("/v1/flags", {"case": "NOPE", "since": "soon"}, "since"),
    ("/v1/flags", {"case": "NOPE", "after": "no cursor"}, "after"),
    ("/v1/flags", {"unit": "SH-HP-02", "until": "2024-02-30"}, "until"),
]


@pytest.mark.parametrize("path, params, name", BAD_QUERIES_BESIDE_UNKNOWN_IDS,
                         ids=[f"{p}?{'&'.join(q)}" for p, q, _ in BAD_QUERIES_BESIDE_UNKNOWN_IDS])
def test_a_bad_query_parameter_is_judged_before_the_id_it_comes_with(
        world: World, path: str, params: dict, name: str) -> None:
    """Whether the id exists, or the principal (scoped to one unit here) may see it, the bad
    query parameter is the answer: 422 `invalid-request` naming it, as on every read route."""
    scoped = {"Authorization": f"Bearer {world.token('inspector', units=('SH-HP-01',))}"}
    response = world.http.get(path, params=params, headers=scoped)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:integrity-ledger:problem:invalid-request", problem
    assert problem["field"] == f"query.{name}", problem

# DESIGN.md's HTTP surface, as it writes the paths (templates and all).
DESIGN_PATHS = {
    "/v1/events": "post", "/v1/events/{event_id}": "get", "/v1/streams/{stream}/events": "get",
    "/v1/cases/{case_id}": "get", "/v1/officers/{officer_id}": "get", "/v1/flags": "get",
    "/v1/log/checkpoint": "get", "/v1/log/proofs/inclusion": "get",
    "/v1/log/proofs/consistency": "get", "/v1/bundles": "get", "/v1/keys": "get",
    "/healthz": "get", "/metrics": "get",
}


def test_the_openapi_document_names_every_path_as_design_md_does(world: World) -> None:
    """The case and officer routes were published as /v1/cases/{ident} and
    /v1/officers/{ident}: a client generated from the document had an `ident` parameter, unlike
    DESIGN.md and the routes beside them (/v1/cases/{case_id}/trail)."""
    paths = world.http.get("/openapi.json").json()["paths"]
    missing = {p: m for p, m in DESIGN_PATHS.items() if m not in paths.get(p, {})}
    assert not missing, sorted(paths)
    assert [p["name"] for p in paths["/v1/cases/{case_id}"]["get"]["parameters"]
            if p["in"] == "path"] == ["case_id"]



def test_every_environment_variable_the_code_reads_is_documented() -> None:
    """DESIGN.md fixes LEDGER_HOME and LEDGER_DATABASE_URL; the others the code reads were
    named in no document (LEDGER_INGEST_THREADS, LEDGER_INLINE_BODY) or only in passing."""
    root = pathlib.Path(__file__).resolve().parent.parent
    read = {name for package in ("ledger", "api", "projections")
            for source in (root / package).rglob("*.py")
            for name in re.findall(r"\bLEDGER_[A-Z_]+\b", source.read_text())}
    table = (root / "docs" / "architecture.md").read_text().partition(
        "## Configuration")[2].partition("\n## ")[0]
    assert {"LEDGER_HOME", "LEDGER_DATABASE_URL"} <= read
    assert not {name for name in read if f"`{name}`" not in table}


def test_the_key_registry_lives_on_stream_keys_whatever_the_vocabulary(world: World,
                                                                        app_key: SigningKey) -> None:
    """DESIGN.md: keys are registered by events on stream `keys`. The core left that to the
    vocabulary: with one that does not check stream kinds (the tests' minimal one, or an
    embedder's), a KeyRegistered on `keys:x` was recorded and registered the key in this
    process only — the registry read back from the database (stream `keys`) and the offline
    verifier knew nothing of it."""
    before = world.count()
    registration = world.key_registered("k2", ["case-app"])
    off_stream = sign_envelope(world.root, ROOT_ID, stream="keys:x", type="KeyRegistered",
                               body=registration["body"])
    on_keys = world.sign("app", stream="keys", type="NoteRecorded", body={"note": "filed"})
    for env in (off_stream, on_keys):
        response = world.post_raw(canonical(env))
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "stream"
    assert world.count() == before
    assert "k2" not in world.ledger.registry.keys


def test_a_re_encoded_retry_is_the_same_event(world: World, app_key: SigningKey) -> None:
    """docs/architecture.md, Deviations 1: "the same bytes" are the same RFC 8785 bytes, so a
    retry encoded otherwise (indented, members in reverse order) gets the original receipt."""
    env = _note(world)
    first = world.post_raw(canonical(env))
    before = world.count()
    reordered = dict(reversed(list(env.items())))
    again = world.post_raw(json.dumps(reordered, indent=2, ensure_ascii=False).encode())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert world.count() == before


def test_the_openapi_document_describes_every_error_as_a_problem(world: World) -> None:
    """Every route's 422 was documented as FastAPI's `HTTPValidationError` in
    application/json ({"detail": [...]}), a body the service never sends: a client or a
    schemathesis run generated from the document expected the wrong type and shape."""
    doc = world.http.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert {"type", "title", "status", "detail", "field", "rule", "index", "event_id",
            "errors"} <= set(schemas["Problem"]["properties"])
    errors = [(path, method, status, answer)
              for path, methods in doc["paths"].items() for method, op in methods.items()
              for status, answer in op["responses"].items() if int(status) >= 400]
    assert any(status == "422" for _, _, status, _ in errors)
    for path, method, status, answer in errors:
        assert answer["content"] == {"application/problem+json": {"schema": {
            "$ref": "#/components/schemas/Problem"}}}, (path, method, status)


REPEATED_QUERIES = [
    ("/v1/flags", [("rule", "RF04"), ("rule", "RF05")], "rule"),
    ("/v1/flags", [("severity", "huge"), ("severity", "critical")], "severity"),
    ("/v1/streams/case:NOPE/events", [("limit", "0"), ("limit", "5")], "limit"),
    ("/v1/bundles", [("case", "A"), ("case", "B")], "case"),
]


@pytest.mark.parametrize("path, params, name", REPEATED_QUERIES,
                         ids=[f"{p}?{n}" for p, _, n in REPEATED_QUERIES])
def test_a_query_parameter_given_twice_is_an_invalid_request_naming_it(
        world: World, path: str, params: list, name: str) -> None:
    """No read takes a list: `?rule=RF04&rule=RF05` answered RF05's flags alone, and
    `?severity=huge&severity=critical` the critical ones, the first value dropped unsaid."""
    response = world.http.get(path, params=params, headers=world.headers("auditor"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:integrity-ledger:problem:invalid-request", problem
    assert problem["field"] == f"query.{name}", problem
