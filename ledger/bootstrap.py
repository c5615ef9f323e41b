"""One wiring function where the ledger's dependencies meet."""

from __future__ import annotations

import logging

from .config import Settings
from .crypto import SigningKey
from .logview import Checkpointer, LogView
from .home import service_url
from .service import Ledger
from .store import LedgerStore, datastore_from_url

_log = logging.getLogger(__name__)


def build_ledger(settings: Settings, *, url: str | None = None, stop_at_exit: bool = True) -> Ledger:
    if not settings.root_keys:
        raise SystemExit(f"no root keys pinned: run `ledger init` (LEDGER_HOME={settings.home}) "
                         "or set LEDGER_ROOT_KEYS")
    url = url or service_url(settings, stop_at_exit=stop_at_exit)
    store = LedgerStore(datastore_from_url(url), url=url)
    return Ledger(store, root_keys=dict(settings.root_keys),
                  retired_roots=dict(settings.root_retired),
                  verify_processes=settings.verify_processes,
                  max_group_events=settings.max_group_events)


def build_log(settings: Settings, ledger: Ledger) -> LogView:
    key_path = settings.secrets / "log.key"
    key = SigningKey(settings.secret("log.key")) if key_path.exists() else None
    if key is None:
        _log.warning("no log signing key (%s): this process issues no checkpoints; another "
                     "one sharing the database must, or the log's checkpoint stays where it "
                     "is", key_path)
    return LogView(ledger.store, origin=settings.log_origin, key_name=settings.log_key_name,
                   signing_key=key, retired_keys=settings.log_retired_keys)


def build_checkpointer(settings: Settings, log: LogView) -> Checkpointer:
    return Checkpointer(log, every_events=settings.checkpoint_every_events,
                        every_seconds=settings.checkpoint_every_seconds)
