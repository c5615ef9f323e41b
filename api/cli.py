"""``ledger``: the command line (verbs fixed by DESIGN.md).

This is the composition root, so it sits above every layer; each command imports what it needs
when it runs. Only the standard library is imported at module level (and while the parser is
built), so ``ledger verify`` runs on an auditor's machine with nothing but PyNaCl installed, as
``python -m ledger.verify`` does; the other verbs, ``ledger flags`` included, need the full
install and say so there.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _curl(url: str, token_file: Path | None = None) -> str:
    """A curl command to try ``url`` with, sending the token ``token_file`` holds: -sS, quiet
    but for an error, where -s alone prints nothing at all when the request fails."""
    auth = f'-H "Authorization: Bearer $(cat {token_file})" ' if token_file else ""
    return f"curl -sS {auth}'{url}'"


def _whole_number(text: str, low: int, high: int | None, expected: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < low or (high is not None and value > high):
        raise argparse.ArgumentTypeError(f"must be {expected}, not {value}")
    return value


def _positive_int(text: str) -> int:
    """An argparse type: a whole number ≥ 1."""
    return _whole_number(text, 1, None, "at least 1")


def _port(text: str) -> int:
    """An argparse type: a TCP port, 1–65535 (the resolver would silently wrap 99999 to 34463)."""
    return _whole_number(text, 1, 65535, "a TCP port, 1 to 65535")


def _refusal(args: argparse.Namespace, error: Any) -> str:
    """The one-line message of ``error`` (a LedgerError) refusing what ``args`` gave, naming the
    option to blame: the layers below name a field (``role``, ``since_size``, ``body.not_before``
    of the event a verb signs), which the verb's user knows as ``--role``, ``--since-size``,
    ``--not-before``."""
    parser = getattr(args, "verb_parser", None)
    name = (error.field or "").removeprefix("body.").split("[")[0].split(".")[0]
    options = {action.dest: action.option_strings[-1] for action in
               (parser._actions if parser else []) if action.option_strings}
    option = options.get({"roles": "role"}.get(name, name))
    message = error.message
    if option is None or option in message:
        return message
    for item in getattr(error, "errors", None) or []:   # a field's own message, unprefixed
        if item["field"] == error.field:
            message = item["message"]
            break
    return f"{option}: {message.removeprefix(f'{error.field}: ')}"


def _settings():  # noqa: ANN202
    from ledger.config import Settings
    return Settings.from_env()


def cmd_init(args: argparse.Namespace) -> int:
    from ledger.home import init_home
    settings = _settings()
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
    with _sigterm_interrupts():
        return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    if not settings.config_path.exists() and not settings.database_url:
        code = cmd_init(args)   # all of it: the read models' tables too
        if code:
            return code
        settings = _settings()
    from ledger.errors import NotFound
    from ledger.home import service_url
    from ledger.store import LedgerStore, datastore_from_url
    url = service_url(settings, stop_at_exit=True)   # start the embedded cluster in this process
    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0))
    try:                        # before announcing anything: a database init never ran on
        present = store.has_schema()
        if present:
            _refuse_an_outdated_schema(settings, store)
            _refuse_an_unprivileged_role("serve", store)
        admin = _admin_token_status(settings, store) if present else None
        rights = store.history_rights() if present else None
    finally:
        store.close()
    if not present:
        raise NotFound("the database holds no ledger: run `ledger init` (with its owner role)")
    _warn_history_rights("serve", rights)
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
        print(f"try: {_curl(f'{base}/healthz')}" + (   # with the token only where it is taken
            f"   |   {_curl(f'{base}/v1/keys', settings.secrets / 'admin.token')}"
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

    from .hotpath import HotProtocol
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


def _refuse_an_unprivileged_role(verb: str, store: Any) -> None:
    """Forbidden (exit 2) when a long-running verb's role may not read and append to the
    ledger's tables (LedgerStore.unprivileged_role): a role never granted ledger_writer
    would fail at its first query, with a traceback."""
    from ledger.errors import Forbidden
    role = store.unprivileged_role()
    if role is not None:
        raise Forbidden(f"the database role {role} may not read and append to the ledger's "
                        f"tables: grant it ledger_writer, as the owner role `ledger init` ran "
                        f"with (GRANT ledger_writer TO {role}), or {verb} with a role granted "
                        "it (README, Production)")


def _warn_history_rights(verb: str, rights: tuple[str, str] | None) -> None:
    """Warn on stderr when a long-running verb's role could change history
    (LedgerStore.history_rights): a compromised process could disable the append-only
    triggers. Says nothing when ``rights`` is None."""
    if rights is None:
        return
    what, run = ("the service", "serve") if verb == "serve" else \
        (f"`ledger {verb}`", f"run `ledger {verb}`")
    print(f"ledger {verb}: warning: the database role {rights[0]} {rights[1]}: {what} could "
          "disable the append-only triggers and rewrite history if it were compromised; "
          f"{run} with a role granted ledger_writer (README, Production) and keep this one "
          "for `ledger init` and `ledger rebuild`", file=sys.stderr, flush=True)


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
                  + _curl(f"{base}/v1/flags?limit=5", settings.secrets / "admin.token"),
                  flush=True)

    threading.Thread(target=load, name="demo-loader", daemon=True).start()


def _home_url(settings: Any) -> str:
    """The owner URL of an initialised home. Raises NotFound — before an embedded cluster is
    started in an empty directory — when ``ledger init`` has not been run."""
    from ledger.errors import NotFound
    from ledger.home import owner_url
    if not settings.database_url and not settings.config_path.exists():
        raise NotFound(f"{settings.home} is not an initialised ledger home: run `ledger init` "
                       "(or set LEDGER_HOME)")
    return owner_url(settings)


def _home_store(settings: Any, *, pool_size: int = 1, wait: float | None = None,  # noqa: ANN202
                current: bool = True):
    """A store on the home's database as its owner, waiting ``wait`` seconds (default: a
    one-shot command's few) for it to accept connections. Raises Unavailable when it does
    not, NotFound if it holds no ledger (``ledger init`` has not been run on it), and
    Conflict if its tables are older than this code (unless not ``current``: a command that
    brings them up to date itself)."""
    from ledger.errors import NotFound
    from ledger.store import COMMAND_WAIT, LedgerStore, datastore_from_url
    url = _home_url(settings)
    store = LedgerStore(datastore_from_url(url, pool_size=pool_size, max_overflow=0), url=url,
                        wait=COMMAND_WAIT if wait is None else wait)
    if not store.has_schema():
        store.close()
        raise NotFound("the database holds no ledger: run `ledger init`"
                       + (" with this LEDGER_DATABASE_URL" if settings.database_url else ""))
    try:
        if current:
            _refuse_an_outdated_schema(settings, store)
    except BaseException:
        store.close()
        raise
    return store


def _refuse_an_outdated_schema(settings: Any, store: Any) -> None:
    """Raises Conflict (exit 2) naming what is missing when the database's tables were made by
    an older version (``LedgerStore.schema_behind``): only ``ledger init``, with the owner
    role, brings them up to date — ``make run`` runs it each time; a service role may not."""
    from ledger.errors import Conflict
    behind = store.schema_behind()
    if behind is not None:
        raise Conflict(f"the database's tables are older than this version ({behind}): run "
                       "`ledger init` once" + (" with the owner role's LEDGER_DATABASE_URL"
                                               if settings.database_url else "")
                       + " to bring them up to date, then start again")


def cmd_tokens_create(args: argparse.Namespace) -> int:
    from ledger.errors import MalformedEvent
    from ledger.tokens import Principal, check_roles, new_token, token_hash
    for name in ("principal", "unit"):      # an empty name would be stored as one
        if any(not value.strip() for value in ([args.principal] if name == "principal"
                                               else args.unit or [])):
            raise MalformedEvent("must not be empty", field=name)
    roles = check_roles(args.role)
    disposes = Principal(args.principal, frozenset(roles)).has("inspector")
    store = _home_store(_settings())
    try:
        token = new_token()
        store.insert_token(token_hash(token), args.principal, roles, args.unit or [])
        officer = disposes and bool(store.stream_events(f"officer:{args.principal}",
                                                        after_version=0, limit=1))
    finally:
        store.close()
    print(token)
    if disposes:    # RF26 knows who disposed of a flag only by this name (docs/red-flags.md)
        print(f"ledger tokens create: {args.principal} is an officer on this ledger: their "
              "dispositions of flags about them or their cases raise RF26" if officer else
              f"ledger tokens create: note: {args.principal} is not an officer id on this "
              "ledger. RF26 knows who disposed of a flag only by this name (the disposition's "
              "inspector_id): if this inspector is also an officer, create the token with "
              "--principal <their officer id> (the id of their officer: stream)",
              file=sys.stderr)
    return 0


def cmd_tokens_list(args: argparse.Namespace) -> int:
    store = _home_store(_settings())
    try:
        rows = store.tokens()
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        units = f"  units {','.join(r['units'])}" if r["units"] else ""
        print(f"{r['id']}  {r['principal']}  {','.join(r['roles'])}{units}  {r['created_at']}")
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from ledger.tokens import TOKEN_TTL, token_hash
    store = _home_store(_settings())
    try:                       # refusals (an id that is no hex) are main's to report
        revoked = store.revoke_tokens(
            token_hash=token_hash(args.token) if args.token else None,
            principal=args.principal, id_prefix=args.id)
    finally:
        store.close()
    if not revoked:
        print("ledger tokens revoke: no token matched", file=sys.stderr)
        return 1
    print(f"revoked {revoked} token(s); running services refuse them within "
          f"{TOKEN_TTL:.0f} s (they re-read a token at least that often)")
    return 0


def _root_key(settings: Any) -> tuple[str, Any]:
    """The id and signing key of the home's root in force (``secrets/root-1.key``, or the
    root-N.key of the latest ``ledger keys rotate-root``), which signs the key registry's
    events. Raises NotFound naming the file when it cannot be read."""
    from ledger.crypto import SigningKey
    from ledger.errors import NotFound
    from ledger.home import current_root
    root_id = current_root(settings)
    path = settings.secrets / f"{root_id}.key"
    try:
        return root_id, SigningKey(settings.secret(f"{root_id}.key"))
    except OSError as e:
        raise NotFound(f"cannot read the root key {path}: {e.strerror}") from None


def cmd_keys_register(args: argparse.Namespace) -> int:
    """Register a signing key: sign KeyRegistered with the home's root key and append it."""
    from ledger.bootstrap import build_ledger
    from ledger.client import sign_envelope
    from ledger.config import write_secret
    from ledger.crypto import SigningKey, b64url_decode, b64url_encode
    from ledger.errors import Conflict, LedgerError, Unavailable
    if args.unit and "inspector" not in args.role:     # units bound dispositions alone
        raise LedgerError("only a key with --role inspector disposes of red flags, so only its "
                          "dispositions are bounded by units (docs/red-flags.md, RF28); a key "
                          "of other roles is registered without units", field="unit")
    settings = _settings()
    out = None
    if args.public_key:
        public = b64url_decode(args.public_key, what="--public-key", size=32)
    home = _home_store(settings)        # an initialised home, before a key pair is made
    url = home.url
    home.close()
    root_id, root = _root_key(settings)
    if not args.public_key:
        key = SigningKey.generate()
        out = Path(args.out or settings.secrets / f"{args.key_id}.key")
        if out.exists():        # it may hold the seed of a key already registered
            raise Conflict(f"{out} already exists: it is not overwritten (remove it, or pass "
                           "--out)")
        try:
            write_secret(out, b64url_encode(key.seed))
        except OSError as e:    # a directory on the way that is a file, a read-only one
            raise LedgerError(f"cannot write --out {out}: {e.strerror} ({e.filename})"
                              ) from None
        public = key.public_key
    body = {"key_id": args.key_id, "public_key": b64url_encode(public),
            "principal": args.principal, "roles": sorted(set(args.role)),
            "not_before": args.not_before, "not_after": args.not_after}
    if args.unit:
        body["units"] = sorted(set(args.unit))
    envelope = sign_envelope(root, root_id, stream="keys", type="KeyRegistered", body=body)
    ledger = build_ledger(settings, url=url)
    try:
        result = ledger.append(json.dumps(envelope).encode())
    except LedgerError as e:
        if out is not None and not isinstance(e, Unavailable):
            out.unlink()        # refused, nothing written: the seed belongs to no key
        raise
    finally:
        ledger.close()
        ledger.store.close()
    if out is not None:
        print(f"private key seed written to {out}", file=sys.stderr)
    print(json.dumps(result.receipts[0].to_value(), indent=2))
    return 0


@contextmanager
def _home_ledger(settings: Any) -> Iterator[Any]:
    """The ledger on an initialised home's database, as its owner (a one-shot command's)."""
    from ledger.bootstrap import build_ledger
    home = _home_store(settings)        # refuses a home `ledger init` never ran on
    url = home.url
    home.close()
    ledger = build_ledger(settings, url=url)
    try:
        yield ledger
    finally:
        ledger.close()
        ledger.store.close()


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    """Revoke a signing key: sign KeyRevoked with the home's root key and append it. The key
    signs nothing recorded after the revocation's log position; what it signed before stays
    valid. Refuses (exit 2) a blank reason, an unknown key, a root key, a revoked one."""
    from ledger.canonical import canonical
    from ledger.client import sign_envelope
    from ledger.errors import Conflict, KeyNotAllowed, MalformedEvent, UnknownKey
    if not args.reason.strip():         # the record of why is the point of the event
        raise MalformedEvent("must not be empty: say why the key is revoked (device lost, "
                             "stolen, retired)", field="reason")
    settings = _settings()
    with _home_ledger(settings) as ledger:
        root_id, root = _root_key(settings)
        record = ledger.refresh_registry().keys.get(args.key_id)
        if record is None:
            raise UnknownKey(f"no key {args.key_id!r} is registered (`ledger keys list` shows "
                             "the registry)", field="key_id")
        if record.is_root:
            raise KeyNotAllowed(f"{args.key_id} is a root key, pinned in configuration "
                                "(ledger.json's root_keys or LEDGER_ROOT_KEYS), not registered "
                                "by an event: no event revokes it (to retire a root: `ledger keys "
                                "rotate-root`, docs/architecture.md)", field="key_id")
        if record.revoked_at is not None:
            raise Conflict(f"key {args.key_id!r} was already revoked at log index "
                           f"{record.revoked_at} ({record.revoke_reason})", field="key_id")
        envelope = sign_envelope(root, root_id, stream="keys", type="KeyRevoked",
                                 body={"key_id": args.key_id, "reason": args.reason})
        # the writer judges it again under the lock: a revocation racing this one is refused
        receipt = ledger.append(canonical(envelope)).receipts[0]
    print(f"revoked key {args.key_id} ({record.principal}) at log index {receipt.index}, "
          f"recorded {receipt.recorded_at}")
    print(f"from that position on, every event signed by {args.key_id} and recorded after "
          f"index {receipt.index} is refused (403 key-revoked) by every service on this "
          "database — one signed earlier but posted now too; the events recorded before it "
          "stay valid, and bundles holding them still verify")
    if _signs_for_the_dashboard(settings, record.public_key):
        print(f"ledger keys revoke: note: the dashboard signs with this key "
              f"({settings.dashboard_key_file}): it records no disposition until "
              "LEDGER_DASHBOARD_KEY names the seed of another registered inspector key "
              "(docs/dashboard.md)", file=sys.stderr)
    return 0


def _signs_for_the_dashboard(settings: Any, public_key: bytes) -> bool:
    """Whether the dashboard's seed (LEDGER_DASHBOARD_KEY or secrets/dashboard.key) is the
    private half of ``public_key``; False when it cannot be read."""
    from ledger.crypto import SigningKey, b64url_decode
    from ledger.errors import LedgerError
    path = settings.dashboard_key_file
    try:
        seed = b64url_decode(path.read_text().strip(), what=str(path), size=32)
    except (OSError, UnicodeDecodeError, LedgerError):
        return False
    return SigningKey(seed).public_key == public_key


def _key_state(record: Any, now: Any) -> str:
    """A key's state for `ledger keys list`: active, revoked at index N, expired or not yet
    valid (its window judged at ``now``, the ledger's clock); a root pinned, or retired."""
    if record.is_root:
        return "pinned root" if record.retired_at is None else \
            f"retired root from index {record.retired_at}"
    status = record.status(now)
    if status == "revoked":
        return f"revoked at index {record.revoked_at}"
    return status.replace("_", " ")


def cmd_keys_list(args: argparse.Namespace) -> int:
    """List the key registry (the fold of stream `keys`, with the pinned root keys), each key's
    state judged by the ledger's clock, as GET /v1/keys does."""
    with _home_ledger(_settings()) as ledger:
        registry = ledger.refresh_registry()
        now = ledger.store.ledger_clock()       # the writer's clock, not this host's
    records = list(registry.keys.values())
    if args.json:
        print(json.dumps({"keys": [r.to_value(now) for r in records],
                          "version": registry.version}, ensure_ascii=False, indent=2))
        return 0
    rows = [("KEY", "PRINCIPAL", "ROLES", "UNITS", "WINDOW", "STATE")]
    for r in records:
        window = "-" if r.not_before is None and r.not_after is None else (
            f"{r.not_before.isoformat() if r.not_before else '…'} .. "
            f"{r.not_after.isoformat() if r.not_after else '…'}")
        rows.append((r.key_id, r.principal, ",".join(sorted(r.roles)),
                     ",".join(sorted(r.units)) if r.units is not None else "all", window,
                     _key_state(r, now)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    return 0


def cmd_keys_rotate_root(args: argparse.Namespace) -> int:
    """Replace the root key: a new root-N (secrets/root-N.key) pinned in ledger.json, and every
    root in force retired there from the log's size now — it signs nothing recorded at or after
    that index, and what it signed before stays valid. Refuses (exit 2) a home whose roots
    LEDGER_ROOT_KEYS pins, and one not initialised."""
    import re

    from ledger.config import sync_directory, write_file, write_secret
    from ledger.crypto import SigningKey, b64url_encode
    from ledger.errors import Conflict, LedgerError, NotFound
    from ledger.roots import root_entry
    settings = _settings()
    if os.environ.get("LEDGER_ROOT_KEYS"):
        raise LedgerError("LEDGER_ROOT_KEYS pins the root keys, not ledger.json: pin the new "
                          "root there and the old as id=base64url@N, N the log's size "
                          "(docs/architecture.md, Rotating a root key)")
    in_force = [k for k in settings.root_keys if k not in settings.root_retired]
    if not settings.config_path.exists() or not in_force:
        raise NotFound(f"{settings.config_path} pins no root key in force: run `ledger init`")
    store = _home_store(settings)       # the database is there before the home is changed
    try:
        position = store.size()         # the old root signs below it, never at or after
    finally:
        store.close()
    numbers = [int(m[1]) for k in settings.root_keys if (m := re.fullmatch(r"root-(\d+)", k))]
    new_id = f"root-{max(numbers, default=len(settings.root_keys)) + 1}"
    key_path = settings.secrets / f"{new_id}.key"
    if new_id in settings.root_keys or key_path.exists():
        raise Conflict(f"{key_path} already exists: it is not overwritten")
    config = json.loads(settings.config_path.read_text())
    new = SigningKey.generate()
    roots = config["root_keys"]
    for key_id in in_force:
        roots[key_id] = root_entry(roots[key_id], position)
    roots[new_id] = b64url_encode(new.public_key)
    # the new seed first, then the configuration, then the old seeds aside (each write whole
    # or not at all): an interrupted rotation leaves a home whose root in force is one whose
    # seed it holds
    write_secret(key_path, b64url_encode(new.seed))
    write_file(settings.config_path, json.dumps(config, indent=2) + "\n")
    moved = []
    for key_id in in_force:
        seed = settings.secrets / f"{key_id}.key"
        if seed.exists():
            seed.replace(seed.with_name(f"{key_id}.key.retired"))
            moved.append(f"{seed.name}.retired")
    sync_directory(settings.secrets)
    print(f"root key rotated: {new_id} registers and revokes keys from now on ({key_path}, "
          f"public key {b64url_encode(new.public_key)})")
    for key_id in in_force:
        print(f"{key_id} is retired from log index {position}: what it signs recorded there or "
              "later is refused (403 key-revoked) and named by `ledger verify`; what it signed "
              "before stays valid, and the keys it registered sign on")
    if moved:
        print(f"its seed moved to {', '.join(str(settings.secrets / m) for m in moved)}: "
              "delete it once nothing needs it")
    print("now: copy ledger.json to every host that serves this database and restart each "
          "`ledger serve` (one still running takes the old root's events until then); give "
          "auditors the new ledger.json, which verifies bundles from before and after the "
          f"rotation; keep {key_path} offline (docs/architecture.md, Rotating a root key)")
    return 0


def cmd_log_rotate_key(args: argparse.Namespace) -> int:
    """Replace the home's log key (the key that signs checkpoints): a new secrets/log.key,
    pinned in ledger.json, the old public key kept there as retired so the new key's issuer
    extends the log from the old key's last checkpoint; then sign a checkpoint with it."""
    from ledger.config import write_file, write_secret
    from ledger.crypto import SigningKey, b64url_encode
    from ledger.errors import Conflict, NotFound
    from ledger.logview import LogView
    from ledger.note import key_id, vkey_for
    settings = _settings()
    if settings.log_public_key is None:
        raise NotFound(f"{settings.config_path} pins no log key: run `ledger init` first")
    store = _home_store(settings, current=False)  # there before the home is changed
    try:
        store.create_schema()   # as `ledger init` does: a log that may hold two of one size
        old = settings.log_public_key
        name = settings.log_key_name
        key_path = settings.secrets / "log.key"
        retired_path = key_path.with_name(f"log.key.retired-{key_id(name, old):08x}")
        if retired_path.exists():
            raise Conflict(f"{retired_path} already exists: this key was rotated out before")
        LogView(store, origin=settings.log_origin, key_name=name, signing_key=None
                ).check_extends(old, settings.log_retired_keys)   # before the home changes
        config = json.loads(settings.config_path.read_text())
        new = SigningKey.generate()
        log = config.setdefault("log", {})
        log["public_key"] = b64url_encode(new.public_key)
        log["retired_public_keys"] = [*log.get("retired_public_keys", []), b64url_encode(old)]
        # the old seed kept under its retired name (a second link: log.key is never missing),
        # then the new seed, then the configuration, each written whole or not at all
        if key_path.exists():
            os.link(key_path, retired_path)
        write_secret(key_path, b64url_encode(new.seed))
        write_file(settings.config_path, json.dumps(config, indent=2) + "\n")
        settings = _settings()
        view = LogView(store, origin=settings.log_origin, key_name=name, signing_key=new,
                       retired_keys=settings.log_retired_keys)
        latest = view.latest_checkpoint()
        signed = view.issue_checkpoint()   # of the tree as it is: the latest again if not grown
    finally:
        store.close()
    print(f"log key rotated: checkpoints are signed by {vkey_for(name, new.public_key)} "
          f"({key_path}), no longer by {vkey_for(name, old)}"
          + (f" (its seed moved to {retired_path})" if retired_path.exists() else ""))
    print(f"checkpoint {signed.size} is the new key's first"
          + (" (the log has not grown since the old key's latest: the same tree, signed again)"
             if latest is not None and latest.size == signed.size else "")
          + "; bundles exported from now carry it")
    print("now: copy ledger.json and secrets/log.key to every host that serves this database "
          "and restart each `ledger serve` (one still holding the old key issues no more "
          "checkpoints); give auditors the new ledger.json — it trusts the new key only "
          "(docs/merkle.md, Rotating the log key)")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    """Print a signed envelope (for curl): body from --body JSON."""
    from ledger.canonical import parse_strict
    from ledger.client import sign_envelope
    from ledger.crypto import SigningKey, b64url_decode
    try:
        text = Path(args.key).read_text()
    except (OSError, UnicodeDecodeError) as e:
        print(f"ledger sign: cannot read --key {args.key}: {e}", file=sys.stderr)
        return 2
    seed = b64url_decode(text.strip(), what="--key", size=32)
    body = parse_strict(args.body)
    envelope = sign_envelope(SigningKey(seed), args.key_id, stream=args.stream, type=args.type,
                             body=body, event_id=args.event_id, occurred_at=args.occurred_at)
    from ledger.canonical import canonical
    sys.stdout.write(canonical(envelope).decode() + "\n")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write an audit bundle (docs/bundle.md) for one scope of the log."""
    from ledger.bundle import BundleExport, bundle_scope, require_events
    from ledger.crypto import SigningKey
    from ledger.errors import LedgerError
    from ledger.logview import LogView

    def warn(message: str) -> None:
        print(f"ledger export: warning: {message}", file=sys.stderr)

    settings = _settings()
    trail = args.officer or args.unit
    try:
        if not trail:
            scope = bundle_scope(case=args.case, stream=args.stream, start=args.from_time,
                                 stop=args.to_time, whole=args.all, names=("--from", "--to"))
        elif args.case or args.stream or args.from_time or args.to_time or args.all \
                or (args.officer and args.unit):
            raise LedgerError("name exactly one scope")
    except LedgerError as e:
        print(f"ledger export: {_refusal(args, e)}", file=sys.stderr)
        return 2
    try:
        from ledger.domain import vocabulary as types
    except ImportError:
        types = None
        warn("no event vocabulary installed: the bundle carries no signer-role policy")
    key_path = settings.secrets / "log.key"
    store = _home_store(settings, pool_size=2)    # a refusal here is main's to report
    try:
        from api.app import trail_scope, with_flag_streams
        from projections.flagsview import FlagsView
        if trail:
            from projections.readmodels import ReadModels
            scope = trail_scope(ReadModels(store), officer=args.officer, unit=args.unit)
        else:
            require_events(store, scope, case_param="--case ")
        if trail or args.case:
            # a case, officer or unit bundle carries the dispositions of the flags about it
            scope = with_flag_streams(FlagsView(store), scope)
        try:
            log_key = SigningKey(settings.secret("log.key")) if key_path.exists() else None
        except (OSError, UnicodeDecodeError) as e:
            print(f"ledger export: cannot read the log key {key_path}: "
                  f"{getattr(e, 'strerror', None) or e}", file=sys.stderr)
            return 2
        log = LogView(store, origin=settings.log_origin, key_name=settings.log_key_name,
                      signing_key=log_key, retired_keys=settings.log_retired_keys)
        export = BundleExport.prepare(store, log, scope, types=types, tree_size=args.tree_size,
                                      since_size=args.since_size, warn=warn)
        if args.out == "-":
            try:
                export.write(sys.stdout.buffer)
                sys.stdout.buffer.flush()
            except OSError as e:       # the reader stopped early (| head): EPIPE
                # no second broken pipe when the interpreter flushes stdout at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                print(f"ledger export: cannot write standard output: {e.strerror}",
                      file=sys.stderr)
                return 2
        else:
            out = Path(args.out)
            partial = out.with_name(out.name + ".partial")
            try:
                with open(partial, "wb") as f:
                    export.write(f)
                partial.replace(out)
            except OSError as e:
                partial.unlink(missing_ok=True)
                print(f"ledger export: cannot write {out}: {e.strerror}", file=sys.stderr)
                return 2
    except LedgerError as e:
        print(f"ledger export: {_refusal(args, e)}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"ledger export: {export.events} events, {export.anchors} anchors, checkpoint tree "
          f"size {export.checkpoint.size} -> {args.out}", file=sys.stderr)
    return 0


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Within it SIGTERM (``kill``, a supervisor stopping the command) raises KeyboardInterrupt
    as Ctrl-C does, so that cleanups run; in the main thread only, where handlers are set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    store = _home_store(_settings(), pool_size=2)
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
                with _sigterm_interrupts():
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
    settings = _settings()
    # an initialised home, before a cluster is started in it; waited for as a service waits
    _home_store(settings, wait=SERVICE_WAIT).close()
    url = service_url(settings)
    store = LedgerStore(datastore_from_url(url, pool_size=2, max_overflow=2), url=url)
    try:
        _refuse_an_unprivileged_role("project", store)
    except BaseException:
        store.close()
        raise
    _warn_history_rights("project", store.history_rights())
    runner = ProjectionRunner(store.connect, [ReadModels(store), FlagsView(store)])
    runner.start()
    try:
        with _sigterm_interrupts():     # SIGTERM stops it as Ctrl-C does
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


def cmd_flags(args: argparse.Namespace) -> int:
    """Recompute the red flags of a bundle offline and print them as JSON Lines."""
    import json

    from projections.auditor import (UnreadableBundle, beyond_scope_note, flags_of_bundle,
                                     holds_whole_log, label_note, parse_at, partial_note)
    headers: list[dict[str, Any]] = []
    held: set[str] = set()
    indices: list[int] = []
    try:
        at = parse_at(args.at)
        try:
            f = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
        except OSError as e:
            raise UnreadableBundle(f"cannot read {args.file}: {e.strerror}") from None
        with f:
            flags = flags_of_bundle(f, at, on_header=headers.append, indices=indices,
                                    streams=held)
    except (OSError, ValueError, UnreadableBundle) as e:
        print(f"ledger flags: {e}", file=sys.stderr)
        return 2
    for flag in flags:
        sys.stdout.write(json.dumps(flag.to_value(), ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(flags)} flags at {at.isoformat()}", file=sys.stderr)
    # whole-log-ness is read from the events, not the (unsigned) header's label
    whole = holds_whole_log(headers[0], indices)
    mislabelled = label_note(headers[0], whole)
    if mislabelled:
        print(f"ledger flags: {mislabelled}", file=sys.stderr)
    for note in (partial_note(headers[0], whole, configuration="config" in held,
                              dispositions="flag" in held),
                 beyond_scope_note(whole, flags)):
        if note:
            print(f"note: {note}", file=sys.stderr)
    # a bundle claiming the whole log that does not hold it fails, as ledger verify fails it:
    # its flags are printed (of what it holds) but cannot stand for the service's
    return 1 if mislabelled and not whole else 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify a bundle offline (standard library + PyNaCl only)."""
    from ledger.verify.command import run
    return run(args)


DESCRIPTION = """\
Integrity Ledger: an append-only ledger of signed events for city-management law enforcement
(城管执法). `ledger VERB --help` says more of each verb."""

ENVIRONMENT = """\
environment:
  LEDGER_HOME           the home: keys, tokens, ledger.json, pgdata/ (default ./var)
  LEDGER_DATABASE_URL   postgresql://… of an existing server (default: the home's embedded one)
  LEDGER_ROOT_KEYS      pinned root keys, id=base64url[@N][,…] (default: the home's ledger.json)
  LEDGER_PROJECTIONS    off: `ledger serve` leaves the projections to `ledger project`
  LEDGER_DASHBOARD_KEY  file of the seed the dashboard signs dispositions with
                        (default: the home's secrets/dashboard.key)
  LEDGER_INGEST_THREADS `ledger serve`'s threads per process parsing appends (default 4)
  LEDGER_INLINE_BODY    bytes: smaller appends are parsed on the event loop (default 16384)"""


def _verb(sub: Any, name: str, text: str) -> argparse.ArgumentParser:
    """A verb whose own --help opens with the line the verb list shows; its parser is the
    namespace's ``verb_parser`` (to name its options in a refusal, and its usage errors)."""
    parser = sub.add_parser(name, help=text, description=text)
    parser.set_defaults(verb_parser=parser)
    return parser


def build_parser() -> argparse.ArgumentParser:
    from ledger.config import DEFAULT_ORIGIN
    parser = argparse.ArgumentParser(prog="ledger", description=DESCRIPTION, epilog=ENVIRONMENT,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = _verb(sub, "init", "create the home, or check it again: database, root and log keys, "
              "admin token, dashboard key (idempotent)")
    p.add_argument("--origin", metavar="NAME",
                   help="name the log when the home is made: the first line of every signed "
                        "checkpoint, a URL without its scheme such as "
                        "zfj.example.gov.cn/integrity-ledger (default "
                        f"{DEFAULT_ORIGIN}); fixed from then on")
    p.set_defaults(func=cmd_init)

    p = _verb(sub, "serve", "serve the HTTP API, the dashboard (/ui/) and the public pages "
              "(/public/); Ctrl-C stops it")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000)")
    p.add_argument("--workers", type=_positive_int, default=1,
                   help="HTTP worker processes sharing the port (default 1)")
    p.add_argument("--log-level", default="warning", type=str.lower,
                   choices=["critical", "error", "warning", "info", "debug", "trace"],
                   help="uvicorn's log level (default warning)")
    p.add_argument("--demo-on-first-start", action="store_true",
                   help="load the small synthetic city the first time this home is served")
    p.set_defaults(func=cmd_serve)

    tokens = _verb(sub, "tokens", "bearer tokens: create, list, revoke").add_subparsers(
        dest="sub", required=True)
    p = _verb(tokens, "create", "create a token and print it (only its SHA-256 is stored)")
    p.add_argument("--principal", required=True,
                   help="who holds it; an inspector who is also an officer: their officer id")
    p.add_argument("--role", action="append", required=True,
                   help="poster, inspector, auditor or admin (repeatable)")
    p.add_argument("--unit", action="append", help="restrict an inspector to a unit (repeatable)")
    p.set_defaults(func=cmd_tokens_create)
    p = _verb(tokens, "list", "list tokens (id, principal, roles, units, created; never the "
              "token)")
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(func=cmd_tokens_list)
    p = _verb(tokens, "revoke", "revoke tokens: one, by id, or all of a principal's")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--token", help="the token itself")
    which.add_argument("--id", help="its id as `ledger tokens list` shows it (8+ hex digits)")
    which.add_argument("--principal", help="every token of this principal")
    p.set_defaults(func=cmd_tokens_revoke)

    keys = _verb(sub, "keys", "signing keys: register, revoke, list, rotate-root").add_subparsers(
        dest="sub", required=True)
    p = _verb(keys, "register", "register a signing key: a KeyRegistered event on stream "
              "`keys`, signed by the home's root key")
    p.add_argument("--key-id", required=True, help="the key's id; events name it as "
                   "signer key:<id>")
    p.add_argument("--principal", required=True,
                   help="the system or person holding it, e.g. unit:SH-HP-01/case-app")
    p.add_argument("--role", action="append", required=True,
                   help="what it may sign, e.g. case-app, officer-device, finance, inspector "
                   "(repeatable; the roles and their event types: docs/events.md)")
    p.add_argument("--public-key", help="base64url public key; omit to generate a key pair")
    p.add_argument("--out", help="where to write a generated seed (default: "
                   "$LEDGER_HOME/secrets/<key-id>.key)")
    p.add_argument("--not-before", metavar="T", help="valid from T (RFC 3339 with offset)")
    p.add_argument("--not-after", metavar="T", help="valid until T (RFC 3339 with offset)")
    p.add_argument("--unit", action="append", metavar="U",
                   help="an inspector key of unit U: it may dispose only of U's red flags "
                   "(repeatable; omit for every unit; docs/red-flags.md, RF28)")
    p.set_defaults(func=cmd_keys_register)
    p = _verb(keys, "revoke", "revoke a signing key (a lost or stolen device): a KeyRevoked "
              "event on stream `keys`, signed by the home's root key, in force from its log "
              "position")
    p.add_argument("--key-id", required=True, help="the registered key's id")
    p.add_argument("--reason", required=True, help="why, recorded in the event (e.g. "
                   "'device lost'); at most 500 characters")
    p.set_defaults(func=cmd_keys_revoke)
    p = _verb(keys, "list", "list the key registry: id, principal, roles, units, window, "
              "state (active, revoked at index N, expired, not yet valid)")
    p.add_argument("--json", action="store_true", help="as JSON (the document GET /v1/keys "
                   "answers with)")
    p.set_defaults(func=cmd_keys_list)
    p = _verb(keys, "rotate-root", "replace the root key (suspected copied, or policy): a new "
              "root-N pinned in ledger.json, the old one retired from the log's size now — it "
              "signs nothing recorded from there on (docs/architecture.md)")
    p.set_defaults(func=cmd_keys_rotate_root)

    log = _verb(sub, "log", "the log's checkpoint-signing key").add_subparsers(
        dest="sub", required=True)
    p = _verb(log, "rotate-key", "replace the log key (suspected compromise, or policy): a new "
              "secrets/log.key pinned in ledger.json, the old one kept there as retired; then "
              "copy both to every host and restart it (docs/merkle.md)")
    p.set_defaults(func=cmd_log_rotate_key)

    p = _verb(sub, "export", "write an audit bundle (JSON Lines, docs/bundle.md)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", help="one case: stream case:<ID>")
    which.add_argument("--stream", help="any one stream, e.g. officer:SH-HP-0042")
    which.add_argument("--from", dest="from_time", metavar="T",
                       help="events recorded at or after T (RFC 3339 with offset; with --to)")
    which.add_argument("--officer", help="an officer's audit trail: their stream, pledges, the "
                       "cases they acted in, complaints naming them")
    which.add_argument("--unit", help="a unit's audit trail: its cases, officers, complaints")
    which.add_argument("--all", action="store_true", help="the whole log, every leaf")
    p.add_argument("--to", dest="to_time", metavar="T", help="events recorded before T")
    p.add_argument("--tree-size", type=_positive_int, help="use the existing checkpoint of this size "
                   "(default: a fresh checkpoint of the whole log)")
    p.add_argument("--since-size", type=_positive_int, metavar="N",
                   help="embed a consistency proof from the tree of size N")
    p.add_argument("--out", required=True, help="the bundle file ('-' for standard output)")
    p.set_defaults(func=cmd_export)

    p = _verb(sub, "verify", "verify a bundle offline (exit 0 valid, 1 failed, 2 unreadable "
              "or usage)")
    from ledger.verify.command import add_arguments
    add_arguments(p)
    p.set_defaults(func=cmd_verify)

    p = _verb(sub, "project", "run the projections in their own process (serve with "
              "LEDGER_PROJECTIONS=off); Ctrl-C stops it")
    p.set_defaults(func=cmd_project)

    p = _verb(sub, "flags", "recompute the red flags of a bundle, offline (JSON Lines on "
              "standard output)")
    p.add_argument("file", help="the bundle (JSON Lines); '-' reads standard input")
    p.add_argument("--at", help="evaluation instant, RFC 3339 (default: now); use the service's "
                   "evaluated_at to reproduce its flags")
    p.set_defaults(func=cmd_flags)

    from ledger.synth.cli import add_parser as add_demo_parser
    add_demo_parser(sub)

    p = _verb(sub, "rebuild", "empty the read models and red flags and fold the whole log "
              "again (stop `ledger serve` or `ledger project` first)")
    # One transaction; every state is held in memory and written once (BENCHMARKS.md).
    p.add_argument("--batch", type=_positive_int, default=100_000,
                   help="events read from the database at a time (≥ 1)")
    p.set_defaults(func=cmd_rebuild)

    p = _verb(sub, "sign", "print a signed envelope (to pipe into curl); it checks no "
              "schema: the service does")
    p.add_argument("--key", required=True, help="file holding the base64url seed")
    p.add_argument("--key-id", required=True, help="the registered key's id")
    p.add_argument("--stream", required=True, help="<kind>:<id>, e.g. case:SH-HP-2024-000123")
    p.add_argument("--type", required=True, help="the event type, e.g. ClueRegistered "
                   "(docs/events.md)")
    p.add_argument("--body", required=True, help="the body as JSON")
    p.add_argument("--event-id", help="the idempotency key (default: a new UUIDv7)")
    p.add_argument("--occurred-at", metavar="T",
                   help="when it happened, RFC 3339 with offset (default: now)")
    p.set_defaults(func=cmd_sign)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.func is cmd_export and bool(args.from_time) != bool(args.to_time) and not (
            args.case or args.stream or args.all or args.officer or args.unit):
        # half a time range beside another scope is two scopes, said as such by cmd_export
        args.verb_parser.error("--from and --to go together")
    from ledger.errors import LedgerError
    try:
        code = args.func(args)
        sys.stdout.flush()         # a closed pipe shows here, not at the interpreter's exit
        return code
    except LedgerError as e:       # refused input (a role, a key, an event): a message, not a trace
        print(f"ledger {args.command}: {_refusal(args, e)}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:   # the auditor's verifier-only install (README)
        print(f"ledger {args.command}: this installation lacks the package '{e.name}' this "
              "command needs: an auditor's verifier-only install runs `ledger verify` alone; "
              "install the project with its dependencies for the rest", file=sys.stderr)
        return 2
    except BrokenPipeError:        # the reader of standard output stopped early (| head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # none again at exit
        print(f"ledger {args.command}: standard output was closed early", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
