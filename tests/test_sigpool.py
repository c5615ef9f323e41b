"""Signature verification off the GIL: the worker pool, its fallbacks, and the verifier stage
that verifies concurrent requests together and fails each bad one alone."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from ledger import sigpool
from ledger.canonical import canonical
from ledger.crypto import SigningKey, b64url_decode, b64url_encode
from ledger.errors import BadSignature
from ledger.sigpool import SignaturePool, failures

from .conftest import World


def _work(n: int, bad: set[int]) -> list[tuple[bytes, bytes, bytes]]:
    key = SigningKey.generate()
    out = []
    for i in range(n):
        message = f"event {i}".encode()
        sig = key.sign(message)
        if i in bad:
            sig = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
        out.append((key.public_key, message, sig))
    return out


@pytest.fixture
def pool() -> Iterator[SignaturePool]:
    pool = SignaturePool(2)
    yield pool
    pool.close()


def test_the_pool_finds_exactly_the_bad_signatures_across_its_workers(
        pool: SignaturePool) -> None:
    work = _work(200, bad={3, 99, 100, 199})
    assert pool.failures(work) == [3, 99, 100, 199] == failures(work)
    assert pool.failures(_work(50, bad=set())) == []
    assert len(pool._all) == 2            # both shares went to worker processes


def test_concurrent_callers_share_the_workers_even_while_they_die(pool: SignaturePool) -> None:
    works = [_work(40, bad={i}) for i in range(8)]
    results: dict[int, list[int]] = {}

    def call(i: int) -> None:
        for _ in range(5):
            results[i] = pool.failures(works[i])
            if i == 0:
                for worker in list(pool._all):
                    os.kill(worker.proc.pid, signal.SIGKILL)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert results == {i: [i] for i in range(8)}


def _signal_workers(pool: SignaturePool, signum: int) -> set[int]:
    """Start the pool's workers, send each ``signum``; returns their pids."""
    assert pool.failures(_work(40, bad=set())) == []
    pids = {w.proc.pid for w in pool._all}
    for pid in pids:
        os.kill(pid, signum)
    return pids


def test_a_killed_worker_is_replaced_and_its_share_verified_in_thread(
        pool: SignaturePool) -> None:
    killed = _signal_workers(pool, signal.SIGKILL)
    work = _work(40, bad={7, 31})
    assert pool.failures(work) == [7, 31]             # same answer, verified in-thread
    assert pool.failures(work) == [7, 31]             # and again, on fresh workers
    assert len(pool._all) == 2
    assert not {w.proc.pid for w in pool._all} & killed


def test_workers_ignore_an_interrupt_meant_for_the_service(pool: SignaturePool) -> None:
    pids = _signal_workers(pool, signal.SIGINT)
    assert pool.failures(_work(40, bad={39})) == [39]
    workers = list(pool._all)
    assert {w.proc.pid for w in workers} == pids        # the same workers answered
    pool.close()
    assert [w.proc.returncode for w in workers] == [0, 0]   # and ended cleanly when closed


def test_workers_that_cannot_start_leave_verification_in_thread(
        monkeypatch: pytest.MonkeyPatch, pool: SignaturePool) -> None:
    monkeypatch.setattr(sigpool, "WORKER_ARGS", ["-c", "import sys; sys.exit(3)"])
    work = _work(30, bad={0, 29})
    assert pool.failures(work) == [0, 29]
    assert pool.failures(work) == [0, 29]
    assert pool._all == [] or all(w.proc.poll() is not None for w in pool._all)


def test_a_closed_pool_still_verifies(pool: SignaturePool) -> None:
    pool.close()
    assert pool.failures(_work(20, bad={5})) == [5]


def test_concurrent_requests_verified_together_fail_alone(world: World) -> None:
    """Single-event requests queued at once reach the verifier stage together (16 or more,
    so on the workers); each bad signature fails its own request, named, and
    nothing of it is written; every other request is committed."""
    world.register("app", ["case-app"])
    envelopes = [world.sign("app", stream=f"case:C-{i % 7}", type="NoteRecorded",
                            body={"note": f"n{i}"}) for i in range(60)]
    forged = {5, 17, 42}
    for i in forged:
        sig = b64url_decode(envelopes[i]["sig"], what="sig")
        envelopes[i]["sig"] = b64url_encode(sig[:5] + bytes([sig[5] ^ 1]) + sig[6:])
    before = world.count()
    parsed = [world.ledger.parse(canonical(env)) for env in envelopes]
    futures = [world.ledger.submit_unverified(p, batched=False) for p in parsed]
    for i, future in enumerate(futures):
        if i in forged:
            with pytest.raises(BadSignature) as err:
                future.result(timeout=60)
            assert err.value.event_id == envelopes[i]["event_id"]
            assert err.value.index is None
        else:
            assert future.result(timeout=60).written == 1
    assert world.count() == before + len(envelopes) - len(forged)
    assert world.ledger._signatures._all          # some group was large enough for the workers
    for i in forged:
        assert world.ledger.get_event(envelopes[i]["event_id"]) is None
