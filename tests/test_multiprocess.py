"""Two `ledger serve` processes appending concurrently to the same streams of one database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from ledger.canonical import canonical
from ledger.client import LedgerClient, sign_envelope
from ledger.crypto import SigningKey, b64url_encode
from ledger.merkle import root_of
from ledger.tokens import new_token, token_hash

from .conftest import ROOT_ID
from .logcheck import LOG_ROWS, leaves_of

STREAMS = [f"case:SH-HP-2024-{n:06d}" for n in range(5)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, app_url: str, root: SigningKey) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "LEDGER_HOME": str(tmp / f"home-{port}"), "LEDGER_DATABASE_URL": app_url,
           "LEDGER_ROOT_KEYS": f"{ROOT_ID}={b64url_encode(root.public_key)}"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


@pytest.fixture
def two_servers(tmp_path: Path, database: tuple[str, str], root_key: SigningKey):  # noqa: ANN201
    owner, app_url = database
    procs = [start_server(tmp_path, app_url, root_key) for _ in range(2)]
    yield owner, [base for _, base in procs]
    for proc, _ in procs:
        proc.terminate()
        proc.wait(timeout=10)


def test_two_serve_processes_lose_and_duplicate_nothing_and_keep_chains_intact(
        two_servers, root_key: SigningKey) -> None:
    owner, bases = two_servers
    token = new_token()
    with psycopg.connect(owner) as conn:
        conn.execute("INSERT INTO ledger_tokens (token_hash, principal, roles) VALUES (%s,%s,%s)",
                     (token_hash(token), "app", ["poster"]))
    app = SigningKey.generate()
    register = sign_envelope(root_key, ROOT_ID, stream="keys", type="KeyRegistered", body={
        "key_id": "app", "public_key": b64url_encode(app.public_key), "principal": "case-app",
        "roles": ["case-app"], "not_before": None, "not_after": None})
    LedgerClient(bases[0], token).post(register)

    def event(worker: int, n: int) -> dict:
        return sign_envelope(app, "app", stream=STREAMS[(worker + n) % len(STREAMS)],
                             type="ClueRegistered",
                             body={"clue_id": f"C-{worker}-{n}", "source": "patrol",
                                   "unit_id": "SH-HP-01"})

    def work(worker: int) -> list[dict]:
        client = LedgerClient(bases[worker % 2], token, retries=0)
        events = [event(worker, n) for n in range(60)]
        receipts = []
        for i in range(0, 30):                       # 30 single-event requests
            receipts += client.post(events[i])
        for i in range(30, 60, 10):                  # 3 batches of 10
            receipts += client.post(events[i:i + 10])
        receipts += client.post(events[:5])          # a retry: must return the same receipts
        return receipts

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(work, range(16)))
    receipts = [r for rs in results for r in rs[:60]]
    replays = [r for rs in results for r in rs[60:]]

    assert len({r["event_id"] for r in receipts}) == 16 * 60
    assert sorted(r["index"] for r in receipts) == list(range(1, 16 * 60 + 1))
    by_id = {r["event_id"]: r for r in receipts}
    assert all(by_id[r["event_id"]] == r for r in replays)

    with psycopg.connect(owner) as conn:
        rows = conn.execute(LOG_ROWS).fetchall()
        stored = conn.execute("SELECT count(*) FROM stored_events").fetchone()[0]
    assert stored == len(rows) == 16 * 60 + 1
    leaves = leaves_of(rows)
    assert [r[3] for r in rows] == sorted(r[3] for r in rows)   # recorded_at never goes back
    proof = httpx.get(bases[1] + "/v1/log/proofs/consistency", params={"first": 1},
                      headers={"Authorization": f"Bearer {token}"}).json()
    assert proof["second"] == len(rows)
    from ledger.merkle import verify_consistency
    verify_consistency(1, len(rows), [bytes.fromhex(h) for h in proof["proof"]],
                       root_of(leaves[:1]), root_of(leaves))
    _ = canonical
