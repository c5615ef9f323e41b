"""Application factory for uvicorn (``api.main:create``): settings from the environment."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from ledger.bootstrap import build_checkpointer, build_ledger, build_log
from ledger.config import Settings
from ledger.crypto import SigningKey, b64url_decode
from ledger.errors import LedgerError

from projections.flagsview import FlagsView
from projections.readmodels import ReadModels
from projections.runner import ProjectionRunner

from .app import asgi, create_app


def projections_on(value: str | None) -> bool:
    """LEDGER_PROJECTIONS: on (the default) or off, in any case; 1/0, true/false, yes/no too.
    Anything else is refused: a typo must not leave projections running beside ingest."""
    text = (value or "on").strip().lower()
    if text in ("on", "1", "true", "yes"):
        return True
    if text in ("off", "0", "false", "no"):
        return False
    raise LedgerError(f"LEDGER_PROJECTIONS must be on or off, not {value!r}")


def create() -> Any:
    settings = Settings.from_env()
    run_projections = projections_on(os.environ.get("LEDGER_PROJECTIONS"))
    key_file = settings.dashboard_key_file
    try:                    # before anything is opened: a directory, a file we may not read
        text = key_file.read_text() if key_file.exists() else None
    except (OSError, UnicodeDecodeError) as e:
        raise LedgerError(f"cannot read the dashboard key {key_file}: {e}") from None
    dashboard_key = (SigningKey(b64url_decode(text.strip(), what=str(key_file), size=32))
                     if text is not None else None)
    ledger = build_ledger(settings)
    log = build_log(settings, ledger)
    views = ReadModels(ledger.store)
    flags = FlagsView(ledger.store)
    checkpointer = build_checkpointer(settings, log) if log.signing_key else None
    # Projections share this process's GIL with ingest; a busy site runs them in their own
    # process (`ledger project`) and serves with LEDGER_PROJECTIONS=off.
    runner = ProjectionRunner(ledger.store.connect, [views, flags])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield                   # serving; what follows runs when the server stops the app
        # (after create_app has closed the app's ingest: its threads hand requests to the ledger)
        if runner.leader or runner._thread.is_alive():
            runner.stop()
        if checkpointer:
            checkpointer.stop()
        ledger.close()
        ledger.store.close()

    app = create_app(ledger, log=log, views=views, flags=flags, dashboard_key=dashboard_key,
                     lifespan=lifespan, ingest_threads=settings.ingest_threads,
                     inline_body=settings.inline_body,
                     projections=runner if run_projections else None)
    if checkpointer:
        checkpointer.start()
    if run_projections:
        runner.start()

    # Everything built so far (modules, the app, the registry) lives as long as the process:
    # move it out of the collector's reach, so full collections triggered by request garbage
    # scan only what requests allocate (Python's gc.freeze(), for long-lived servers).
    gc.freeze()
    return asgi(app)
