"""``ledger rebuild`` and ``ledger project``: the read models and red flags, folded again
from the whole log or kept up to date in a process of their own."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any

from .common import (env_settings, home_store, refuse_an_unprivileged_role, sigterm_interrupts,
                     warn_history_rights)


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Empty the read models and fold the whole log again. Refused while a projection runner
    (``ledger serve`` or ``ledger project``) runs: it holds the lock for as long as it lives.

    The read models rebuild in a child process (``projections.rebuild``) while this one
    rebuilds the red flags: each in one transaction, so a failure leaves its old tables.
    Interrupted (Ctrl-C, SIGTERM), it stops the child too."""
    import subprocess
    import time

    from ledger.config import child_command, child_env
    from projections.flagsview import FlagsView
    from projections.readmodels import ReadModels
    from projections.rebuild import PARENT_VARIABLE, URL_VARIABLE
    from projections.runner import LOCK_KEY, TRY_LOCK
    store = home_store(env_settings(), pool_size=2)
    try:
        with store.connect() as lock:
            lock.autocommit = True    # held by the session: not idle in a transaction meanwhile
            got = lock.execute(TRY_LOCK, (LOCK_KEY,)).fetchone()
            if not (got and got[0]):
                print("ledger rebuild: the projections are running in another process "
                      "(ledger serve or ledger project); stop it, then rebuild", file=sys.stderr)
                return 2
            # after the lock: CREATE INDEX IF NOT EXISTS waits for any transaction writing the
            # views, such as another rebuild's
            ReadModels(store).create_tables()
            started = time.perf_counter()
            views = subprocess.Popen(
                child_command("-m", "projections.rebuild", str(args.batch)),
                env=child_env(**{URL_VARIABLE: store.url or "",
                                  PARENT_VARIABLE: str(os.getpid())}),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                with sigterm_interrupts():
                    count, _ = FlagsView(store).rebuild()
                    out, err = views.communicate()
            except KeyboardInterrupt:       # the child stops too: its transaction rolls back
                views.terminate()
                raise
            finally:
                if views.returncode is None:    # reaped; when the flags fail, it ends its own
                    out, err = views.communicate()
            elapsed = time.perf_counter() - started
    finally:
        store.close()
    if views.returncode != 0:          # killed (the OOM killer), it has said nothing
        code = views.returncode
        reason = err.strip() or (f"its process was killed by {signal.Signals(-code).name}"
                                 if code < 0 else f"its process exited with status {code}")
        print(f"ledger rebuild: the red flags were rebuilt from {count} events, but the read "
              f"models were not (they keep their old states): {reason}", file=sys.stderr)
        return 2
    print(f"rebuilt the read models and red flags from {count} events in {elapsed:.1f} s "
          f"({count / max(elapsed, 1e-9):,.0f} events/s; read models: {out.strip()} events)")
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    """Run the projections (read models, red flags) in the foreground, in their own process."""
    from ledger.home import service_url
    from ledger.store import SERVICE_WAIT, LedgerStore, datastore_from_url
    from projections.flagsview import FlagsView
    from projections.readmodels import ReadModels
    from projections.runner import ProjectionRunner
    settings = env_settings()
    # an initialised home, before a cluster is started in it; waited for as a service waits
    home_store(settings, wait=SERVICE_WAIT).close()
    url = service_url(settings)
    store = LedgerStore(datastore_from_url(url, pool_size=2, max_overflow=2), url=url)
    try:
        refuse_an_unprivileged_role("project", store)
    except BaseException:
        store.close()
        raise
    warn_history_rights("project", store.history_rights())
    runner = ProjectionRunner(store.connect, [ReadModels(store), FlagsView(store)])
    runner.start()
    try:
        with sigterm_interrupts():     # SIGTERM stops it as Ctrl-C does
            _say_who_leads(runner)
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    runner.stop()
    store.close()
    return 0


def _say_who_leads(runner: Any, grace: float = 2.0) -> None:
    """Print that the projections run here once this runner leads them; if another process
    holds them after ``grace`` seconds, say first that this one stands by."""
    import time
    stands_by = time.monotonic() + grace
    while not runner.leader:
        if stands_by and time.monotonic() > stands_by:
            print("standing by: another process runs the projections (a `ledger serve` without "
                  "LEDGER_PROJECTIONS=off, or another `ledger project`); this one takes over "
                  "when it stops (Ctrl-C to stop)", flush=True)
            stands_by = 0.0
        time.sleep(0.2)
    print("projecting read models and red flags (Ctrl-C to stop)", flush=True)

