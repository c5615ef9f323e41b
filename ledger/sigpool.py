"""Ed25519 verification of large batches on worker processes.

libsodium releases the GIL for each signature but needs it back after every one. On threads,
that is fine while nothing else runs Python; but the service's request threads parse and its
writer builds receipts in Python, and a thread that must re-acquire the GIL from a running
Python thread waits up to the interpreter's switch interval (5 ms). Measured on this project's
machine (`benchmarks/convoy.py`): two threads verify a signature every 61 µs alone, every
2,390 µs beside one busy Python thread. Worker processes have their own interpreters, so a
batch verifies at libsodium's speed whatever the request threads are doing, at the cost of
copying the signed bytes to the workers — which is why fewer than ``min_batch`` signatures are
verified in the calling thread: a round trip to the workers would cost more than they do.

The workers are plain subprocesses (``python -m ledger.sigpool``) speaking length-prefixed
pickles over their stdin/stdout: never a fork of the threaded service, no re-import of the
caller's main module (multiprocessing's spawn and forkserver do that), and each exits when its
stdin closes. They start on first use. A worker that dies is replaced and its share is
verified in the calling thread, so a crash can slow a request but never change its outcome.
"""

from __future__ import annotations

import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import BinaryIO

from .config import child_command, child_env
from .crypto import verify
from .errors import BadSignature

#: (public key, signed bytes, signature)
Work = tuple[bytes, bytes, bytes]
_LEN = struct.Struct("<I")
WORKER_ARGS = ["-m", "ledger.sigpool"]


def failures(work: Sequence[Work]) -> list[int]:
    """Indices of the signatures in ``work`` that do not verify, in order."""
    bad = []
    for i, (key, message, sig) in enumerate(work):
        try:
            verify(key, message, sig)
        except BadSignature:
            bad.append(i)
    return bad


class _Worker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(child_command(*WORKER_ARGS),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=child_env())
        self.answered = False

    def send(self, work: Sequence[Work]) -> None:
        data = pickle.dumps(list(work), protocol=pickle.HIGHEST_PROTOCOL)
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(_LEN.pack(len(data)) + data)
        stdin.flush()

    def receive(self) -> list[int]:
        stdout = self.proc.stdout
        assert stdout is not None
        head = stdout.read(4)
        if len(head) != 4:
            raise EOFError("signature worker exited")
        (size,) = _LEN.unpack(head)
        data = stdout.read(size)
        if len(data) != size:
            raise EOFError("signature worker exited")
        self.answered = True
        return pickle.loads(data)

    def stop(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class SignaturePool:
    """Verifies batches of ``min_batch`` or more signatures on up to ``processes`` worker
    processes (smaller ones in the calling thread).

    A batch is split across the workers idle when it arrives (waiting only for the first), so
    concurrent batches share the workers without ever waiting on each other in a cycle.
    """

    def __init__(self, processes: int, *, min_batch: int = 16) -> None:
        self.processes = processes
        self.min_batch = min_batch
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def failures(self, work: Sequence[Work]) -> list[int]:
        """Indices of the signatures in ``work`` that do not verify, in order."""
        if len(work) < self.min_batch or self.processes < 1:
            return failures(work)
        workers = self._acquire()
        if not workers:
            return failures(work)
        step = -(-len(work) // len(workers))
        shares = [(start, work[start:start + step]) for start in range(0, len(work), step)]
        sent: list[tuple[int, Sequence[Work], _Worker | None]] = []
        for (start, share), worker in zip(shares, workers, strict=False):
            try:
                worker.send(share)
                sent.append((start, share, worker))
            except OSError:
                self._replace(worker)
                sent.append((start, share, None))
        for worker in workers[len(shares):]:
            self._idle.put(worker)
        found: list[int] = []
        for start, share, worker in sent:
            result: list[int]
            if worker is None:
                result = failures(share)
            else:
                try:
                    result = worker.receive()
                    self._release(worker)
                except (OSError, EOFError, struct.error, pickle.UnpicklingError):
                    self._replace(worker)
                    result = failures(share)
            found.extend(start + i for i in result)
        return found

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()

    def _acquire(self) -> list[_Worker]:
        while True:
            with self._lock:
                if self._closed:
                    return []
                while len(self._all) < self.processes:   # first use, or replacing a dead one
                    worker = _Worker()
                    self._all.append(worker)
                    self._idle.put(worker)
            try:
                workers = [self._idle.get(timeout=0.2)]
                break
            except queue.Empty:   # all busy: look again (one may have died meanwhile)
                continue
        while len(workers) < self.processes:
            try:
                workers.append(self._idle.get_nowait())
            except queue.Empty:
                break
        return workers

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                closing = True
            else:
                closing = False
                self._idle.put(worker)
        if closing:
            worker.stop()

    def _replace(self, worker: _Worker) -> None:
        """Drop a broken worker; the next batch starts a fresh one in its place — unless it
        died before ever answering (it cannot start here): then verify in-thread from now on."""
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            if not worker.answered:
                self._closed = True
                for other in self._all:
                    other.proc.kill()
        worker.proc.kill()
        worker.stop()


def _serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    while True:
        head = stdin.read(4)
        if len(head) != 4:
            return
        (size,) = _LEN.unpack(head)
        answer = pickle.dumps(failures(pickle.loads(stdin.read(size))))
        stdout.write(_LEN.pack(len(answer)) + answer)
        stdout.flush()


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group: the service shuts down and closes
    # this worker's stdin, which ends it; the interrupt itself would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _serve(sys.stdin.buffer, sys.stdout.buffer)
