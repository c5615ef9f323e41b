"""This process's clock set off from the database server's, which is the ledger's clock
(docs/architecture.md): several ``ledger serve`` processes share one database, and a host's
clock may be hours off."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import psycopg
import pytest


def skew_process_clock(monkeypatch: pytest.MonkeyPatch, by: timedelta) -> None:
    """Shift this process's clock by ``by`` wherever the ledger, the API and the projections
    read it: each of their modules' ``datetime`` (``monkeypatch.undo()`` puts it back)."""

    class Skewed(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + by

    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("ledger", "api", "projections") \
                and getattr(module, "datetime", None) is datetime:
            monkeypatch.setattr(module, "datetime", Skewed)


def database_clock(url: str) -> datetime:
    """The database server's clock now (aware)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    return row[0]
