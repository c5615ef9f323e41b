"""Group commit: coalesce concurrent append requests into shared transactions.

The library serialises writers on a table lock, so one transaction per request collapses under
concurrency. One writer thread per process drains whatever requests are waiting (up to
``max_events``) and commits them together; each request still succeeds or fails on its own
(the commit function returns one outcome per request: a result, an error, or a `HandOff` to a
later stage, which then settles the same future). Under no load a request is written alone
with no added delay; under load batches grow and throughput rises instead of collapsing.

A request awaited on an asyncio event loop comes with a `LoopFuture`: the committer hands the
outcomes of all such requests of a group to their loop in one ``call_soon_threadsafe``, where
``asyncio.wrap_future`` makes one per request (a wake-up of the loop, and a callback run there,
for each).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import ShuttingDown

_log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

CommitFn = Callable[[list[T]], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class HandOff:
    """An outcome that passes the request on to another committer: it settles the request's
    own future (one future per request from end to end, none chained to another)."""

    to: "GroupCommitter[Any]"
    request: Any


class LoopFuture(Future[Any]):
    """A request's future awaited on an asyncio event loop (`wait`). A committer that settles it
    hands its outcome to the loop with those of the rest of its group (`deliver`); a thread may
    still wait on it as on any future."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.waiter: asyncio.Future[Any] = loop.create_future()
        self._outcome: tuple[Any, BaseException | None] = (None, None)

    def set_result(self, result: Any) -> None:
        super().set_result(result)
        self._outcome = (result, None)

    def set_exception(self, exception: BaseException | None) -> None:
        super().set_exception(exception)
        self._outcome = (None, exception)

    async def wait(self) -> Any:
        """The outcome, on the loop. Cancelled, it cancels the request too if no group has
        taken it yet (it is then never committed)."""
        try:
            return await self.waiter
        except asyncio.CancelledError:
            self.cancel()
            raise

    def _hand_over(self) -> None:
        """On the loop: the settled outcome to the waiter (unless its awaiting was cancelled)."""
        if self.waiter.done():
            return
        result, exception = self._outcome
        if exception is None:
            self.waiter.set_result(result)
        else:
            self.waiter.set_exception(exception)


def deliver(futures: Sequence[Future[Any]]) -> None:
    """Hand the settled `LoopFuture`s among ``futures`` to their loops: one call per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[LoopFuture]] = {}
    for future in futures:
        if type(future) is LoopFuture:
            by_loop.setdefault(future.loop, []).append(future)
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_hand_over, settled)
        except RuntimeError:    # the loop is closed: nothing awaits these any more
            pass


def _hand_over(futures: list[LoopFuture]) -> None:
    for future in futures:
        try:
            future._hand_over()
        except TypeError:   # an exception an asyncio future refuses (StopIteration): not the rest
            _log.exception("could not hand an outcome to its waiter")
            future.waiter.set_exception(RuntimeError("the request's outcome was lost"))


class GroupCommitter(Generic[T]):
    def __init__(self, commit: CommitFn[T], *, size_of: Callable[[T], int] = lambda _: 1,
                 max_events: int = 5000, name: str = "ledger-writer") -> None:
        self._commit = commit
        self._size_of = size_of
        self._max_events = max_events
        self._queue: queue.Queue[tuple[T, Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._closed = False
        # held from the check of _closed to the queueing: every request is queued before the
        # stop marker (which the writer takes last) or refused, never left behind it unsettled
        self._lock = threading.Lock()
        self._thread.start()

    def submit(self, request: T, future: Future[Any] | None = None) -> Future[Any]:
        """Queue a request; the future (``future``, or a new one) resolves to its outcome or
        raises its error. Cancelling it succeeds only until a group takes the request, which
        is then never committed. Raises ShuttingDown once the committer is closed."""
        if future is None:
            future = Future()
        with self._lock:
            if self._closed:
                raise ShuttingDown()
            self._queue.put((request, future))
        return future

    def submit_all(self, pairs: list[tuple[T, Future[Any]]]) -> None:
        """Queue requests, each with its future, as one item: what a group hands on (one
        queueing and one take by the writer, not one per request). A group takes them all
        together, so it may pass ``max_events`` by as many events as they hold. Raises
        ShuttingDown once the committer is closed."""
        with self._lock:
            if self._closed:
                raise ShuttingDown()
            self._queue.put(pairs)

    def close(self) -> None:
        """Refuse new requests, commit those already queued, and stop the writer (waiting up
        to 30 s for it)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                return
            group: list[tuple[T, Future[Any]]] = []
            total = 0
            while True:
                if type(item) is list:      # requests handed on together (submit_all)
                    group += item
                    total += sum(self._size_of(request) for request, _ in item)
                else:
                    group.append(item)
                    total += self._size_of(item[0])
                if total >= self._max_events:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
            self._write(group)

    def _write(self, group: list[tuple[T, Future[Any]]]) -> None:
        # A request whose caller cancelled its future before it was taken is dropped, never
        # committed; the others can no longer be cancelled (a handed-on one already runs), so
        # settling them below cannot raise InvalidStateError and end this thread.
        group = [(r, f) for r, f in group if f.running() or f.set_running_or_notify_cancel()]
        if not group:
            return
        try:
            outcomes = self._commit([request for request, _ in group])
        except BaseException as e:  # the whole group failed: every request gets the error
            for _, future in group:
                future.set_exception(e)
            deliver([future for _, future in group])
            return
        settled: list[Future[Any]] = []
        handed: dict[GroupCommitter[Any], list[tuple[Any, Future[Any]]]] = {}
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
                settled.append(future)
            elif isinstance(outcome, HandOff):
                handed.setdefault(outcome.to, []).append((outcome.request, future))
            else:
                future.set_result(outcome)
                settled.append(future)
        for to, pairs in handed.items():
            try:
                to.submit_all(pairs)
            except ShuttingDown as e:         # that committer is closed
                for _, future in pairs:
                    future.set_exception(e)
                    settled.append(future)
        deliver(settled)
