"""DESIGN.md's wire contract: every error the HTTP surface answers with is an RFC 9457
problem (application/problem+json), and every refusal names the field or the rule it broke."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import asgi, create_app
from ledger.service import Ledger


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
