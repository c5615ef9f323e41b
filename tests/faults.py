"""Fault injection between the service and PostgreSQL, for the crash tests: a relay on a Unix
socket that passes the wire protocol through unchanged until told to cut a connection at one
precise moment — after the server has committed, before the service hears that it has."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

#: the simple-protocol query psycopg sends to end a transaction (``Connection.transaction``)
COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"
#: in the statement with which a writer takes the events' lock (LedgerRecorder)
LOCK = b"ledger_lock_events()"


class Relay:
    """Relays connections made to :attr:`url` to the server of ``url``. After
    :meth:`cut_after_commit`, the next COMMIT is passed to the server, its answer dropped and
    that connection closed: the transaction is committed, and its client sees only a lost
    connection. After :meth:`cut_before_commit`, the next COMMIT is not passed on: the
    connection closes, the server rolls the transaction back, the client sees the same. After
    :meth:`cut_then_commit`, the client's end is closed at once and the COMMIT passed on only
    ``delay`` seconds later: a server still at work on a commit its client has given up on.
    After :meth:`freeze_after`, the connection that next sends ``marker`` (by default the
    statement taking the events' lock) passes nothing more to the server: to the server, its
    client is a host that died mid-transaction (no data, no closed connection). :meth:`close`
    ends every connection."""

    def __init__(self, url: str) -> None:
        params = conninfo_to_dict(url)
        host, port = params.get("host", ""), str(params.get("port") or 5432)
        assert host.startswith("/"), "the relay stands in front of a Unix-socket server"
        self._target = os.path.join(host, f".s.PGSQL.{port}")
        self._dir = tempfile.mkdtemp(prefix="ledger-relay-")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(os.path.join(self._dir, f".s.PGSQL.{port}"))
        self._listener.listen(64)
        self.url = make_conninfo(**{**params, "host": self._dir})
        self._armed = threading.Event()
        self._mode, self._delay, self._marker = "after", 0.0, LOCK
        self.cut = threading.Event()          # set once a connection was cut (or frozen)
        self._closed = False
        self._links: list[_Link] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_after_commit(self) -> None:
        self._arm("after")

    def cut_before_commit(self) -> None:
        self._arm("before")

    def cut_then_commit(self, delay: float) -> None:
        self._arm("late", delay)

    def freeze_after(self, marker: bytes = LOCK) -> None:
        self._marker = marker
        self._arm("freeze")

    def _arm(self, mode: str, delay: float = 0.0) -> None:
        self._mode, self._delay = mode, delay
        self.cut.clear()
        self._armed.set()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._listener.close()
        for link in self._links:
            link.close()
        for name in os.listdir(self._dir):
            Path(self._dir, name).unlink(missing_ok=True)
        os.rmdir(self._dir)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self._target)
            link = _Link(client, server)
            self._links.append(link)
            threading.Thread(target=self._to_server, args=(link,), daemon=True).start()
            threading.Thread(target=self._to_client, args=(link,), daemon=True).start()

    def _to_server(self, link: _Link) -> None:
        try:
            while data := link.client.recv(65536):
                if self._marker in data and self._armed.is_set() and self._mode == "freeze":
                    self._armed.clear()
                    link.server.sendall(data)
                    self.cut.set()
                    while link.client.recv(65536):      # held: the server hears no more
                        pass
                    break
                if COMMIT in data and self._armed.is_set() and self._mode != "freeze":
                    self._armed.clear()
                    if self._mode != "before":
                        link.dropping.set()         # the server's answer goes nowhere
                        if self._mode == "late":
                            link.close_client()
                            time.sleep(self._delay)
                        link.server.sendall(data)
                        link.answered.wait(10)
                    self.cut.set()
                    break
                link.server.sendall(data)
        except OSError:
            pass
        finally:
            link.close()

    @staticmethod
    def _to_client(link: _Link) -> None:
        try:
            while data := link.server.recv(65536):
                if link.dropping.is_set():
                    link.answered.set()
                    break
                link.client.sendall(data)
        except OSError:
            pass
        finally:
            link.close()


class _Link:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client, self.server = client, server
        self.dropping, self.answered = threading.Event(), threading.Event()

    def close_client(self) -> None:
        try:
            self.client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
