"""``ledger init``: create a home — database, root key, log key, admin token. Idempotent."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

from .config import Settings, write_config, write_secret
from .crypto import SigningKey, b64url_encode
from .database import APP_ROLE, ensure_app_role, start_embedded, with_user
from .errors import NotFound
from .tokens import new_token, token_hash

ROOT_KEY_ID = "root-1"


def current_root(settings: Settings) -> str:
    """The id of the root that signs the key registry's events from now on: ``root-1`` while it
    is pinned and in force (or nothing is pinned yet), else the last root pinned in force — the
    one ``ledger keys rotate-root`` added. Its seed is ``secrets/<id>.key``. Raises NotFound
    when every pinned root is retired."""
    in_force = [k for k in settings.root_keys if k not in settings.root_retired]
    if not settings.root_keys or ROOT_KEY_ID in in_force:
        return ROOT_KEY_ID
    if not in_force:
        raise NotFound("every pinned root key is retired (ledger.json's root_keys or "
                       "LEDGER_ROOT_KEYS): pin one in force")
    return in_force[-1]


@dataclass(frozen=True, slots=True)
class Home:
    settings: Settings
    owner_url: str
    app_url: str
    created: bool
    #: the home's admin.token on this database: "valid", or "revoked" (LedgerStore.admin_token_status)
    admin_token: str


def owner_url(settings: Settings, *, stop_at_exit: bool = True) -> str:
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.pgdata, stop_at_exit=stop_at_exit)


def service_url(settings: Settings, *, stop_at_exit: bool = True) -> str:
    """The URL ``ledger serve`` uses: LEDGER_DATABASE_URL as given, or the embedded cluster
    as the least-privileged ``ledger_app`` role."""
    if settings.database_url:
        return settings.database_url
    return with_user(start_embedded(settings.pgdata, stop_at_exit=stop_at_exit), APP_ROLE)


def refuse_a_foreign_log(settings: Settings, url: str | None = None) -> None:
    """Raises ForeignLogKey, before anything is written, when the database (of ``url``, else of
    LEDGER_DATABASE_URL) holds a checkpoint that this home's log key (under its origin and key
    name) did not sign: a second host's fresh home, whose own key would sign no checkpoint
    there (every host of one log signs with the log key of the home that initialised it), or a
    home whose ledger.json was lost or renamed the log, whose checkpoints would go on under
    another name than the one auditors pin."""
    from .logview import ForeignLogKey, LogView
    from .note import vkey_for
    from .store import COMMAND_WAIT, LedgerStore, datastore_from_url

    url = url or settings.database_url
    if not url:
        return
    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0), wait=COMMAND_WAIT)
    try:
        latest = LogView(store, origin=settings.log_origin, key_name=settings.log_key_name,
                         signing_key=None).latest_checkpoint(
            in_issue_order=store.schema_behind(("ledger_checkpoints",)) is None
        ) if store.has_schema() else None
    finally:
        store.close()
    if latest is None:
        return
    key_path = settings.secrets / "log.key"
    # The note is unverified until a key opens it, so its first line only words the refusal: a
    # second host given another --origin (or none) is told the log's name, not only that a key
    # differs.
    named = latest.note.split("\n", 1)[0]
    if key_path.exists():
        public = SigningKey(settings.secret("log.key")).public_key
        retired = settings.log_retired_keys
        # the home's key, or one it replaced (a rotation not yet signed on from)
        if _signed_as(latest.note, settings.log_origin, settings.log_key_name, public, retired):
            return
        held = f"{vkey_for(settings.log_key_name, public)}, in {key_path}"
        if named != settings.log_origin and _signed_as(latest.note, named, named, public,
                                                       retired):
            config = settings.config_path
            raise ForeignLogKey(
                f"this home's log key signed the database's log under the name {named!r}, but "
                + (f"{config} is missing (lost?), and init would name the log "
                   f"{settings.log_origin!r}" if not config.exists() else
                   f"{config} names it {settings.log_origin!r}")
                + ": a log's name never changes — every checkpoint is signed under it, and "
                f"auditors' ledger.json pins it. Restore {config} from a backup or from an "
                "auditor's copy of it (the trust file `ledger verify --trust` reads); nothing "
                "was written")
    else:
        held = f"none yet: it would make one in {key_path}"
    renamed = (f"this database's log is named {named!r}, not {settings.log_origin!r}, and a "
               "log's name never changes; " if named != settings.log_origin else "")
    raise ForeignLogKey(
        f"{renamed}checkpoint {latest.size} of this database's log is not signed by this home's "
        f"log key ({held}): another home initialised this database, and every process on it must sign "
        "with that home's log key. On a second host do not run `ledger init`: copy ledger.json, "
        "secrets/log.key and secrets/dashboard.key from the home that initialised it (the first "
        f"host's) to {settings.home}, then run `ledger serve` (README, Production). Nothing was "
        "written")


def _signed_as(note: str, origin: str, key_name: str, public: bytes,
               retired: Sequence[bytes]) -> bool:
    """Whether ``public`` (or a key it replaced) signed ``note`` as a checkpoint of the log
    ``origin``, under key name ``key_name``."""
    from .checkpoint import open_checkpoint
    from .errors import VerificationError
    from .logview import issuer_verifiers
    try:
        open_checkpoint(note, issuer_verifiers(key_name, public, retired), origin)
    except VerificationError:
        return False
    return True


class _Written:
    """What ``ledger init`` may write in a home that was not there before it ran. Until a
    database has been given something of the home (:meth:`given`), :meth:`undo` removes it
    again, so a refused init leaves a fresh home as it found it — and never touches what the
    home held before (the keys of a home initialised earlier). After that, what was written
    stays: the database knows it, and init run again completes the home."""

    def __init__(self, settings: Settings) -> None:
        secrets = settings.secrets
        files = [settings.config_path, secrets / f"{ROOT_KEY_ID}.key", secrets / "log.key",
                 secrets / "admin.token", secrets / "dashboard.key"]
        self._files = [path for path in files if not path.exists()]
        self._dirs: list[Path] = []      # deepest first: secrets/, the home, its new parents
        for directory in (secrets, settings.home, *settings.home.parents):
            if directory.exists():
                break
            self._dirs.append(directory)
        self._undoable = True

    def given(self) -> None:
        """The database is about to hold something of the home: keep what was written."""
        self._undoable = False

    def undo(self) -> None:
        if not self._undoable:
            return
        for path in self._files:
            with suppress(OSError):
                path.unlink(missing_ok=True)
        for directory in self._dirs:
            try:
                directory.rmdir()
            except FileNotFoundError:
                continue
            except OSError:             # not empty: something else (pgdata/) was put there
                break


def init_home(settings: Settings, *, stop_at_exit: bool = True) -> Home:
    """Create or check the home of ``settings`` and its database (idempotent). Raises
    ForeignLogKey, Forbidden, Unavailable, NotFound or OSError; when it does before the
    database took the home's admin token, what it wrote in the home is removed again."""
    refuse_a_foreign_log(settings)
    written = _Written(settings)
    try:
        return _init_home(settings, written, stop_at_exit=stop_at_exit)
    except BaseException:           # Ctrl-C too: a half-made home is not an initialised one
        written.undo()
        raise


def _init_home(settings: Settings, written: _Written, *, stop_at_exit: bool) -> Home:
    from .store import COMMAND_WAIT, LedgerStore, datastore_from_url

    settings.home.mkdir(parents=True, exist_ok=True)
    created = False
    # A key is made only while none is pinned: a root key moved offline (as it should be in
    # production) or a lost log key must not come back as a new key that ledger.json does not
    # pin — checkpoints signed by it would fail every auditor's `ledger verify --trust`.
    root_path = settings.secrets / f"{ROOT_KEY_ID}.key"
    if not root_path.exists() and not settings.root_keys:
        write_secret(root_path, b64url_encode(SigningKey.generate().seed))
        created = True
    log_path = settings.secrets / "log.key"
    if not log_path.exists():
        if settings.log_public_key is not None:
            raise NotFound(f"{settings.config_path} pins a log key but {log_path} is missing: "
                           "restore it (ledger init never replaces a pinned key)")
        write_secret(log_path, b64url_encode(SigningKey.generate().seed))
        created = True
    root_id = current_root(settings)
    root_path = settings.secrets / f"{root_id}.key"
    root = SigningKey(settings.secret(f"{root_id}.key")) if root_path.exists() else None
    log = SigningKey(settings.secret("log.key"))
    root_keys = dict(settings.root_keys) or {ROOT_KEY_ID: root.public_key}
    url = owner_url(settings, stop_at_exit=stop_at_exit)
    if not settings.database_url:   # LEDGER_DATABASE_URL's was checked before anything was written
        refuse_a_foreign_log(settings, url)
    if not settings.config_path.exists():
        write_config(settings, root_keys=root_keys, log_public_key=log.public_key)
    settings = replace(settings, root_keys=root_keys, log_public_key=log.public_key)

    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0), wait=COMMAND_WAIT)
    try:
        store.create_schema()
        token_path = settings.secrets / "admin.token"
        if not token_path.exists():
            write_secret(token_path, new_token())
            created = True
        # Any database the home's token was never registered on gets it: one new to the home (a
        # second LEDGER_DATABASE_URL, a pgdata made afresh), one another home initialised, one an
        # init interrupted after the tables left without it. Never again: a token missing from
        # one it was registered on was revoked, and init (run by every `make run`) must not
        # bring it back.
        digest = token_hash(token_path.read_text().strip())
        written.given()
        created = store.register_admin_token(digest) or created
        admin_token = store.admin_token_status(digest)
    finally:
        store.close()
    app = url
    if not settings.database_url:
        ensure_app_role(url)
        app = with_user(url, APP_ROLE)
    if settings.dashboard_key_path is None:
        created = ensure_dashboard_key(settings, url, root, root_id) or created
    return Home(settings=settings, owner_url=url, app_url=app, created=created,
                admin_token=admin_token)


DASHBOARD_KEY_ID = "dashboard"


def ensure_dashboard_key(settings: Settings, url: str, root: SigningKey | None,
                         root_id: str = ROOT_KEY_ID) -> bool:
    """Create ``secrets/dashboard.key`` and register it on ``keys`` (KeyRegistered signed by
    root ``root_id``; principal "dashboard", role inspector) unless already done. The dashboard
    signs inspectors' dispositions with it. Returns whether anything was created."""
    from .canonical import canonical
    from .client import sign_envelope
    from .service import Ledger
    from .store import LedgerStore, datastore_from_url

    path = settings.secrets / "dashboard.key"
    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0), url=url)
    ledger = Ledger(store, root_keys=dict(settings.root_keys),
                    retired_roots=dict(settings.root_retired), verify_processes=1)
    try:
        registered = ledger.refresh_registry().keys.get(DASHBOARD_KEY_ID)
        if registered is not None:
            if not path.exists():   # a new key could not be registered under the same id
                raise NotFound(f"{path} is missing but a dashboard key is registered: restore "
                               "it, or set LEDGER_DASHBOARD_KEY (docs/dashboard.md)")
            return False
        if not path.exists():
            write_secret(path, b64url_encode(SigningKey.generate().seed))
        key = SigningKey(settings.secret("dashboard.key"))
        if root is None:
            raise NotFound(f"the root key {settings.secrets / f'{root_id}.key'} is not "
                           "here to register the dashboard key: put it there for this `ledger "
                           "init`, or set LEDGER_DASHBOARD_KEY (docs/dashboard.md)")
        envelope = sign_envelope(root, root_id, stream="keys", type="KeyRegistered", body={
            "key_id": DASHBOARD_KEY_ID, "public_key": b64url_encode(key.public_key),
            "principal": "dashboard", "roles": ["inspector"], "not_before": None,
            "not_after": None})
        ledger.append(canonical(envelope))
        return True
    finally:
        ledger.close()
        store.close()
