"""Group commit: each request of a group succeeds, fails or is handed on alone, and a request
handed on to a later committer is settled through its own future."""

from __future__ import annotations

import threading

import pytest

from ledger.errors import ShuttingDown
from ledger.groupcommit import GroupCommitter, HandOff


def test_each_request_gets_its_own_outcome_and_a_handed_on_one_its_later_result() -> None:
    seen: list[list[str]] = []
    gate = threading.Event()

    def write(requests: list[str]) -> list[object]:
        gate.wait(5)
        seen.append(list(requests))
        return [f"written {r}" for r in requests]

    later = GroupCommitter(write, name="test-later")

    def check(requests: list[str]) -> list[object]:
        return [ValueError(r) if r.startswith("bad") else HandOff(later, r.upper())
                for r in requests]

    first = GroupCommitter(check, name="test-first")
    try:
        futures = {r: first.submit(r) for r in ("a", "bad-b", "c")}
        with pytest.raises(ValueError, match="bad-b"):
            futures["bad-b"].result(5)
        gate.set()
        assert futures["a"].result(5) == "written A"
        assert futures["c"].result(5) == "written C"
        assert sorted(r for group in seen for r in group) == ["A", "C"]
    finally:
        first.close()
        later.close()


def test_a_request_handed_to_a_closed_committer_fails_rather_than_hangs() -> None:
    later = GroupCommitter(lambda requests: list(requests), name="test-closed")
    later.close()
    first = GroupCommitter(lambda requests: [HandOff(later, r) for r in requests],
                           name="test-first")
    try:
        with pytest.raises(ShuttingDown, match="shutting down"):
            first.submit("x").result(5)
    finally:
        first.close()


def test_a_whole_group_failing_fails_each_of_its_requests() -> None:
    def fail(requests: list[str]) -> list[object]:
        raise ConnectionError("database gone")

    committer = GroupCommitter(fail, name="test-fail")
    try:
        futures = [committer.submit(r) for r in ("a", "b")]
        for future in futures:
            with pytest.raises(ConnectionError):
                future.result(5)
    finally:
        committer.close()


def test_a_request_cancelled_while_waiting_is_dropped_and_the_writer_goes_on() -> None:
    seen: list[str] = []
    taken = threading.Event()
    gate = threading.Event()

    def write(requests: list[str]) -> list[object]:
        taken.set()
        gate.wait(5)
        seen.extend(requests)
        return [f"written {r}" for r in requests]

    committer = GroupCommitter(write, name="test-cancel")
    try:
        first = committer.submit("a")
        assert taken.wait(5)
        waiting = committer.submit("b")
        assert not first.cancel()          # already being written: too late to cancel
        assert waiting.cancel()
        gate.set()
        assert first.result(5) == "written a"
        assert committer.submit("c").result(5) == "written c"
        assert seen == ["a", "c"]
    finally:
        committer.close()


class Contended:
    """A lock that tells, through ``waiting``, when a thread has to wait for it."""

    def __init__(self, waiting: threading.Event) -> None:
        self._lock = threading.Lock()
        self._waiting = waiting

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            self._waiting.set()
            self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def test_a_submit_racing_close_is_committed_not_left_behind_the_stop_marker() -> None:
    """submit checked that the committer was open, then queued: one that checked before close()
    and queued after close() had queued its stop marker was never taken, and its future never
    resolved (a request hung at shutdown). Here the submit is held between its check and its
    queueing until close() has either queued the marker or waits for the submit."""
    committer = GroupCommitter(lambda requests: [f"written {r}" for r in requests],
                               name="test-race")
    checked, close_went_on, go = threading.Event(), threading.Event(), threading.Event()
    put = committer._queue.put

    def held_put(item: object, *args: object, **kw: object) -> None:
        if item is not None and item[0] == "late":     # type: ignore[index]
            checked.set()
            go.wait(5)
        put(item, *args, **kw)                         # type: ignore[arg-type]
        if item is None:
            close_went_on.set()                        # the marker is queued

    committer._queue.put = held_put                    # type: ignore[method-assign]
    committer._lock = Contended(close_went_on)         # type: ignore[attr-defined]
    futures = []
    submitting = threading.Thread(target=lambda: futures.append(committer.submit("late")))
    submitting.start()
    assert checked.wait(5)
    closing = threading.Thread(target=committer.close)
    closing.start()
    assert close_went_on.wait(5)
    go.set()
    submitting.join(5)
    closing.join(35)
    assert futures[0].result(5) == "written late"
    with pytest.raises(ShuttingDown, match="shutting down"):
        committer.submit("after")
