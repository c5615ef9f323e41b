"""``ledger init`` and ``ledger serve``: the home (database, keys, admin token) and the service
on it, announced once it listens."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from .common import (curl_line, env_settings, refuse_an_outdated_schema,
                     refuse_an_unprivileged_role, sigterm_interrupts, warn_history_rights)


def cmd_init(args: argparse.Namespace) -> int:
    from ledger.home import init_home
    settings = env_settings()
    origin = getattr(args, "origin", None)     # `ledger serve` inits too, without one
    if origin is not None:
        settings = _with_origin(settings, origin)
        if settings is None:
            return 2
    try:
        home = init_home(settings, stop_at_exit=True)
    except OSError as e:          # LEDGER_HOME is a file, or cannot be created or written
        print(f"ledger init: cannot create the home {settings.home}: {e.strerror} "
              f"({e.filename})", file=sys.stderr)
        return 2
    from ledger.store import LedgerStore, datastore_from_url
    from projections.readmodels import ReadModels
    store = LedgerStore(datastore_from_url(home.owner_url, pool_size=1, max_overflow=0))
    try:
        ReadModels(store).create_tables()
    finally:
        store.close()
    s = home.settings
    print(f"ledger home: {s.home} ({'created' if home.created else 'already initialised'})")
    print(f"database:    {'LEDGER_DATABASE_URL' if s.database_url else f'embedded, {s.pgdata}'}")
    print(f"log origin:  {s.log_origin}")
    print(_root_key_line(s))
    print(_admin_token_line(s, home.admin_token))
    print(f"dashboard:   {s.dashboard_key_file} signs inspectors' dispositions; the dashboard "
          "is /ui/ on the address `ledger serve` prints (docs/dashboard.md)")
    return 0


def _with_origin(settings: Any, origin: str) -> Any:
    """``settings`` naming the log ``origin`` (init --origin), or None after saying why not: a
    name no checkpoint could carry, or a home whose log already has another name."""
    from dataclasses import replace

    from ledger.checkpoint import MalformedCheckpoint, check_origin
    try:
        check_origin(origin)
    except MalformedCheckpoint as e:
        print(f"ledger init: {e.message}; nothing was created", file=sys.stderr)
        return None
    if settings.config_path.exists():
        if settings.log_origin == origin:
            return settings
        print(f"ledger init: this home's log is named {settings.log_origin!r} "
              f"({settings.config_path}), not {origin!r}: a log cannot change its origin — "
              "every checkpoint is signed under it, and auditors' ledger.json pins it. To name "
              "a log, give --origin to the `ledger init` that creates its home; nothing was "
              "changed", file=sys.stderr)
        return None
    return replace(settings, log_origin=origin, log_key_name=origin)


def _root_key_line(settings: Any) -> str:
    """Where the seed of the root in force is, as init says it: root-1.key, or the root-N.key of
    the latest ``ledger keys rotate-root`` (which moved root-1.key to root-1.key.retired)."""
    from ledger.errors import NotFound
    from ledger.home import current_root
    try:
        root_id = current_root(settings)
    except NotFound as e:
        return f"root key:    none in force: {e.message}"
    return f"root key:    {settings.secrets / f'{root_id}.key'} (keep offline in production)"


def _admin_token_status(settings: Any, store: Any) -> str | None:
    """The home's admin.token on ``store``'s database (LedgerStore.admin_token_status), or None
    when the home has none."""
    from ledger.errors import NotFound
    from ledger.tokens import token_hash
    path = settings.secrets / "admin.token"
    if not path.exists():
        return None
    try:
        token = path.read_text().strip()
    except (OSError, UnicodeDecodeError) as e:
        raise NotFound(f"cannot read the admin token {path}: "
                       f"{getattr(e, 'strerror', None) or e}") from None
    return store.admin_token_status(token_hash(token))


def _admin_token_line(settings: Any, status: str | None) -> str:
    """Where the home's admin token is, as init and serve say it, and what to run when the
    database does not take it (``status``: :func:`_admin_token_status`)."""
    path = settings.secrets / "admin.token"
    owner = (" with LEDGER_DATABASE_URL set to the database owner's URL"
             if settings.database_url else "")
    make = f"make one with `ledger tokens create --principal admin --role admin`{owner}"
    if status is None:
        return f"admin token: none in this home ({path}): {make}"
    if status == "revoked":
        return (f"admin token: {path} is not valid on this database (revoked there; `ledger "
                f"init` never registers it again): {make}")
    if status == "unregistered":
        return (f"admin token: {path} is not valid on this database (never registered there): "
                f"run `ledger init`{owner}")
    return f"admin token: {path}"


def cmd_serve(args: argparse.Namespace) -> int:
    # SIGTERM is Ctrl-C: Python's default for it ends the process without its exit handlers,
    # which stop the embedded cluster this process started (uvicorn, once serving, shuts down
    # gracefully first and then raises the signal again). Restored on return: a caller in the
    # same process (a test) keeps its own, and processes it forks later are not left with one
    # that a Pool's terminate() cannot end.
    with sigterm_interrupts():
        return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = env_settings()
    if not settings.config_path.exists() and not settings.database_url:
        code = cmd_init(args)   # all of it: the read models' tables too
        if code:
            return code
        settings = env_settings()
    from ledger.errors import NotFound
    from ledger.home import service_url
    from ledger.store import LedgerStore, datastore_from_url
    url = service_url(settings, stop_at_exit=True)   # start the embedded cluster in this process
    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0))
    try:                        # before announcing anything: a database init never ran on
        present = store.has_schema()
        if present:
            refuse_an_outdated_schema(settings, store)
            refuse_an_unprivileged_role("serve", store)
        admin = _admin_token_status(settings, store) if present else None
        rights = store.history_rights() if present else None
    finally:
        store.close()
    if not present:
        raise NotFound("the database holds no ledger: run `ledger init` (with its owner role)")
    warn_history_rights("serve", rights)
    if not settings.dashboard_key_file.exists():    # a second host given only part of the home
        print(f"ledger serve: warning: no dashboard key ({settings.dashboard_key_file}): the "
              "dashboard records no disposition (503 dashboard-key); copy "
              "secrets/dashboard.key from the home `ledger init` made (README, Production)",
              file=sys.stderr, flush=True)
    base = f"http://{args.host}:{args.port}"
    os.environ["LEDGER_HOME"] = str(settings.home)
    announced = []

    def announce() -> None:     # once listening: not before a startup that may yet fail
        print(f"Integrity Ledger serving on {base}  (API docs: {base}/docs, "
              f"dashboard: {base}/ui/)", flush=True)
        print(_admin_token_line(settings, admin), flush=True)
        print(f"try: {curl_line(f'{base}/healthz')}" + (   # with the token only where it is taken
            f"   |   {curl_line(f'{base}/v1/keys', settings.secrets / 'admin.token')}"
            if admin == "valid" else ""), flush=True)
        announced.append(base)
        if args.demo_on_first_start:
            _load_demo_when_up(settings, base)

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)   # a port in use: uvicorn logs it and exits
            if self.started and not self.should_exit:
                announce()

    from uvicorn.supervisors import Multiprocess

    from ..hotpath import HotProtocol
    config = uvicorn.Config("api.main:create", factory=True, host=args.host, port=args.port,
                            workers=args.workers, log_level=args.log_level, access_log=False,
                            proxy_headers=False, http=HotProtocol)
    try:
        if args.workers == 1:
            Server(config).run()
        else:                   # the workers build the app; the socket is bound here, but
            sock = config.bind_socket()         # listens only once a worker has started
            _when_answering(base, announce)
            Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:   # Ctrl-C (or SIGTERM), raised again once shut down
        return 0 if announced else 130
    except SystemExit as e:     # uvicorn logged why it could not start (a port in use)
        if announced or not isinstance(e.code, int):
            raise
        print(f"ledger serve: not serving on {base}: it could not start (the error above)",
              file=sys.stderr)
        return 1
    return 0


def _when_answering(base: str, then: Callable[[], None]) -> None:
    """Call ``then`` in a thread of its own once ``base``/healthz answers: with --workers, the
    port is bound before the workers start and listens only once one of them has built the app,
    seconds later. A service that never answers calls nothing (the thread ends with it)."""
    import time
    import urllib.error
    import urllib.request

    def wait() -> None:
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):
                    break
            except urllib.error.HTTPError:      # an answer all the same (503: starting up)
                break
            except OSError:
                time.sleep(0.1)
        then()

    threading.Thread(target=wait, name="announce", daemon=True).start()


def _load_demo_when_up(settings: Any, base: str) -> None:
    """On a home's first start, load the small synthetic city once the API answers, so a
    newcomer sees cases, officers and flags straight away (a marker file remembers it)."""
    import threading
    import time
    import urllib.request

    marker = settings.home / ".demo-loaded"
    if marker.exists():
        return

    def load() -> None:
        from ledger.synth.cli import run_demo
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        print("first start: loading a small synthetic city (ledger demo) ...", flush=True)
        if run_demo(["--url", base, "--scale", "small", "--no-progress"]) == 0:
            marker.write_text("loaded by `ledger serve --demo-on-first-start`\n")
            print("demo city loaded. Try: "
                  + curl_line(f"{base}/v1/flags?limit=5", settings.secrets / "admin.token"),
                  flush=True)

    threading.Thread(target=load, name="demo-loader", daemon=True).start()

