"""Group commit: each request of a group succeeds, fails or is handed on alone, and a request
handed on to a later committer is settled through its own future."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

import pytest

from ledger.errors import ShuttingDown
from ledger.groupcommit import GroupCommitter, HandOff, LoopFuture


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


class Gated:
    """A commit function that tells (``taken``) when it has taken a group, and writes it once
    ``gate`` is set."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.taken = threading.Event()
        self.gate = threading.Event()

    def __call__(self, requests: list[str]) -> list[object]:
        self.taken.set()
        self.gate.wait(5)
        self.seen.extend(requests)
        return [f"written {r}" for r in requests]


def test_a_request_cancelled_while_waiting_is_dropped_and_the_writer_goes_on() -> None:
    write = Gated()
    seen, taken, gate = write.seen, write.taken, write.gate
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


def test_a_group_awaited_on_a_loop_is_handed_over_in_one_wake_up_each_request_its_own() -> None:
    """Requests awaited on an event loop (LoopFuture) are settled for the whole group with one
    call_soon_threadsafe, not one per request as asyncio.wrap_future does; each still gets its
    own result or error, and one handed on gets the later committer's result."""
    gate = threading.Event()
    later = GroupCommitter(lambda requests: [f"written {r}" for r in requests],
                           name="test-loop-later")

    def check(requests: list[str]) -> list[object]:
        gate.wait(5)
        return [ValueError(r) if r.startswith("bad") else
                HandOff(later, r.upper()) if r.startswith("on") else f"done {r}"
                for r in requests]

    first = GroupCommitter(check, name="test-loop")

    async def main() -> tuple[list[object], int]:
        loop = asyncio.get_running_loop()
        wake_ups = 0
        threadsafe = loop.call_soon_threadsafe

        def counted(*args: object, **kw: object) -> object:
            nonlocal wake_ups
            wake_ups += 1
            return threadsafe(*args, **kw)     # type: ignore[arg-type]

        loop.call_soon_threadsafe = counted    # type: ignore[method-assign]
        futures = [first.submit(r, LoopFuture(loop)) for r in ("a", "bad-b", "c", "on-d")]
        gate.set()
        outcomes = await asyncio.gather(*(f.wait() for f in futures), return_exceptions=True)
        return outcomes, wake_ups

    try:
        outcomes, wake_ups = asyncio.run(main())
        assert outcomes[0] == "done a" and outcomes[2] == "done c" and outcomes[3] == "written ON-D"
        assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "bad-b"
        # one for the group of three (a, bad-b and c taken together), one for on-d's later group
        assert wake_ups == 2
    finally:
        first.close()
        later.close()


def test_a_request_awaited_on_a_loop_and_cancelled_before_its_group_is_not_committed() -> None:
    write = Gated()
    seen, taken, gate = write.seen, write.taken, write.gate
    committer = GroupCommitter(write, name="test-loop-cancel")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        first = committer.submit("a", LoopFuture(loop))
        assert await asyncio.to_thread(taken.wait, 5)
        first_waiting = asyncio.ensure_future(first.wait())
        waiting = asyncio.ensure_future(committer.submit("b", LoopFuture(loop)).wait())
        await asyncio.sleep(0)
        first_waiting.cancel()     # already being written: committed all the same
        waiting.cancel()           # still queued: dropped
        for task in (first_waiting, waiting):
            with pytest.raises(asyncio.CancelledError):
                await task
        gate.set()
        assert await committer.submit("c", LoopFuture(loop)).wait() == "written c"
        assert first.result(5) == "written a"

    try:
        asyncio.run(main())
        assert seen == ["a", "c"]
    finally:
        committer.close()


def test_an_outcome_for_a_closed_loop_does_not_stop_the_writer() -> None:
    gate = threading.Event()

    def write(requests: list[str]) -> list[object]:
        gate.wait(5)
        return [f"written {r}" for r in requests]

    committer = GroupCommitter(write, name="test-loop-closed")
    try:
        loop = asyncio.new_event_loop()
        orphan = committer.submit("a", LoopFuture(loop))
        loop.close()
        gate.set()
        assert orphan.result(5) == "written a"
        assert committer.submit("b").result(5) == "written b"
    finally:
        committer.close()


def test_the_requests_a_group_hands_on_are_queued_once_and_written_as_one_group() -> None:
    groups: list[list[str]] = []
    later = GroupCommitter(lambda requests: groups.append(list(requests)) or list(requests),
                           name="test-handed-later")
    queued: list[object] = []
    put = later._queue.put

    def counted_put(item: object, *args: object, **kw: object) -> None:
        queued.append(item)
        put(item, *args, **kw)                         # type: ignore[arg-type]

    later._queue.put = counted_put                     # type: ignore[method-assign]
    first = GroupCommitter(lambda requests: [
        ValueError(r) if r.startswith("bad") else HandOff(later, r.upper()) for r in requests],
        name="test-handed-first")
    try:
        futures: list[Future[object]] = [Future() for _ in range(4)]
        first.submit_all(list(zip(("a", "bad-b", "c", "d"), futures, strict=True)))  # one group
        assert [f.result(5) for f in (futures[0], futures[2], futures[3])] == ["A", "C", "D"]
        with pytest.raises(ValueError, match="bad-b"):
            futures[1].result(5)
        assert len(queued) == 1 and groups == [["A", "C", "D"]]
    finally:
        first.close()
        later.close()
