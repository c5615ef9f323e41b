"""Settings and the ledger home (``LEDGER_HOME``, default ``./var``).

Layout of a home::

    ledger.json            pinned public configuration: root public keys (a retired one with the
                           log index it is retired from, ledger/roots.py), log origin and key
                           (and the log keys it replaced: ``log.retired_public_keys``)
    secrets/root-1.key     root private key seed (base64url), mode 0600; root-N.key after
                           N−1 rotations (``ledger keys rotate-root``), root-1.key.retired …
    secrets/log.key        log (checkpoint) private key seed, mode 0600
    secrets/admin.token    the admin bearer token created by ``ledger init``
    secrets/dashboard.key  the dashboard's signing key seed (dispositions), registered by init
    pgdata/                embedded PostgreSQL cluster (only without LEDGER_DATABASE_URL)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .crypto import b64url_decode, b64url_encode
from .errors import LedgerError
from .roots import pinned_root, pinned_root_text, root_entry

DEFAULT_ORIGIN = "integrity-ledger.local/log"
#: the defaults of LEDGER_INGEST_THREADS and LEDGER_INLINE_BODY (api/ingest.py's ``Ingest``)
INGEST_THREADS = 4
INLINE_BODY = 16384


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    database_url: str | None = None
    root_keys: dict[str, bytes] = field(default_factory=dict)
    #: a pinned root's retirement: the log index from which it signs nothing (rotate-root)
    root_retired: dict[str, int] = field(default_factory=dict)
    log_origin: str = DEFAULT_ORIGIN
    log_key_name: str = DEFAULT_ORIGIN
    log_public_key: bytes | None = None
    #: keys that signed the log's checkpoints before a rotation (``ledger log rotate-key``)
    log_retired_keys: tuple[bytes, ...] = ()
    checkpoint_every_events: int = 1000
    checkpoint_every_seconds: float = 5.0
    max_group_events: int = 5000
    verify_processes: int = 2
    dashboard_key_path: Path | None = None     # LEDGER_DASHBOARD_KEY (docs/dashboard.md)
    ingest_threads: int = INGEST_THREADS       # LEDGER_INGEST_THREADS
    inline_body: int = INLINE_BODY             # LEDGER_INLINE_BODY

    @property
    def config_path(self) -> Path:
        return self.home / "ledger.json"

    @property
    def secrets(self) -> Path:
        return self.home / "secrets"

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def dashboard_key_file(self) -> Path:
        """The seed that signs dashboard dispositions: LEDGER_DASHBOARD_KEY, else the home's
        ``secrets/dashboard.key`` (created and registered by ``ledger init``)."""
        return self.dashboard_key_path or self.secrets / "dashboard.key"

    def secret(self, name: str) -> bytes:
        """A 32-byte Ed25519 seed kept in the home's ``secrets/`` (MalformedEvent names the file
        when it holds anything else)."""
        path = self.secrets / name
        return b64url_decode(path.read_text().strip(), what=str(path), size=32)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        env = dict(os.environ if env is None else env)
        home = Path(env.get("LEDGER_HOME") or "./var").resolve()   # set but empty: unset
        values: dict[str, Any] = {"home": home, "database_url": env.get("LEDGER_DATABASE_URL")}
        if values["database_url"]:
            from psycopg import ProgrammingError
            from psycopg.conninfo import conninfo_to_dict
            try:
                conninfo_to_dict(values["database_url"])
            except ProgrammingError as e:    # its text, not the URL (which may hold a password)
                raise LedgerError(f"LEDGER_DATABASE_URL is not a PostgreSQL URL: {e}") from None
        if env.get("LEDGER_DASHBOARD_KEY"):
            values["dashboard_key_path"] = Path(env["LEDGER_DASHBOARD_KEY"]).resolve()
        if env.get("LEDGER_INGEST_THREADS"):
            values["ingest_threads"] = _whole_number(env, "LEDGER_INGEST_THREADS", low=1)
        if env.get("LEDGER_INLINE_BODY"):
            values["inline_body"] = _whole_number(env, "LEDGER_INLINE_BODY", low=0)
        config = home / "ledger.json"
        if config.exists():
            try:
                data = json.loads(config.read_text())
            except (OSError, UnicodeDecodeError, ValueError) as e:
                raise LedgerError(f"cannot read {config}: {e}") from None
            if not isinstance(data, dict):
                raise LedgerError(f"{config} is not a JSON object")
            try:        # a field of the wrong shape (a list of keys, "every_events": "abc")
                pinned = {k: pinned_root(k, v) for k, v in data.get("root_keys", {}).items()}
                values["root_keys"] = {k: public for k, (public, _) in pinned.items()}
                values["root_retired"] = {k: at for k, (_, at) in pinned.items()
                                          if at is not None}
                log = data.get("log", {})
                values["log_origin"] = log.get("origin", DEFAULT_ORIGIN)
                values["log_key_name"] = log.get("key_name", values["log_origin"])
                if log.get("public_key"):
                    values["log_public_key"] = b64url_decode(log["public_key"], what="log key")
                values["log_retired_keys"] = tuple(
                    b64url_decode(k, what="retired log key")
                    for k in log.get("retired_public_keys", []))
                cp = data.get("checkpoints", {})
                values["checkpoint_every_events"] = int(cp.get("every_events", 1000))
                values["checkpoint_every_seconds"] = float(cp.get("every_seconds", 5.0))
            except (AttributeError, TypeError, ValueError) as e:
                raise LedgerError(f"{config} is malformed: {e}") from None
            except LedgerError as e:
                raise LedgerError(f"{config}: {e.message}") from None
        if env.get("LEDGER_ROOT_KEYS"):
            # "id=base64url,id2=base64url" pins root keys without a config file (production);
            # "id=base64url@N" one retired from log index N (ledger keys rotate-root)
            try:
                items = [pinned_root_text(item) for item in env["LEDGER_ROOT_KEYS"].split(",")]
            except LedgerError as e:
                raise LedgerError("LEDGER_ROOT_KEYS must be id=base64url[@N][,id=base64url"
                                  f"[@N]...]: {e.message}") from None
            values["root_keys"] = {k: public for k, public, _ in items}
            values["root_retired"] = {k: at for k, _, at in items if at is not None}
        values.update(overrides)
        return cls(**values)


def _whole_number(env: dict[str, str], name: str, *, low: int) -> int:
    """Variable ``name`` of ``env``, a whole number ≥ ``low``. Raises LedgerError naming it."""
    text = env[name]
    try:
        value = int(text.strip())
    except ValueError:
        value = low - 1
    if value < low:
        raise LedgerError(f"{name} must be a whole number at least {low}, not {text!r}")
    return value


def write_config(settings: Settings, *, root_keys: dict[str, bytes], log_public_key: bytes) -> None:
    data = {
        "root_keys": {k: root_entry(b64url_encode(v), settings.root_retired.get(k))
                      for k, v in root_keys.items()},
        "log": {"origin": settings.log_origin, "key_name": settings.log_key_name,
                "public_key": b64url_encode(log_public_key)},
        "checkpoints": {"every_events": settings.checkpoint_every_events,
                        "every_seconds": settings.checkpoint_every_seconds},
    }
    write_file(settings.config_path, json.dumps(data, indent=2) + "\n")


def write_secret(path: Path, value: str) -> None:
    """Write a seed or token to ``path``, mode 0600 (its directory 0700 when made), whole or
    not at all (:func:`write_file`)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_file(path, value + "\n", mode=0o600)


def write_file(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` whole or not at all, and durably: into a temporary file beside
    it, flushed to the disk, renamed over ``path``, the directory flushed. A crash, a full disk
    or an error while writing leaves the old file (or none) — never an empty or half-written
    seed or ledger.json (truncating in place lost the old one; a file's new name can reach the
    disk before its data); a home's keys cannot be made again once pinned."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """Flush a directory's entries (a rename, a new file) to the disk."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: the directory holding ledger/ (and api/, projections/ in a source checkout)
SOURCE_ROOT = Path(__file__).resolve().parent.parent


def child_command(*args: str) -> list[str]:
    """The command line of a Python child of this code (``child_command("-m", module)``) run
    with :func:`child_env`. ``-P`` keeps the working directory off its path: a ``ledger/`` or
    ``projections/`` there (another checkout, a directory anyone may write) would otherwise be
    what it imports, and run with this process's environment (the database URL)."""
    return [sys.executable, "-P", *args]


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a ``python -m`` child of this code (the signature workers, the
    read-model rebuild): this one, with the source root first on PYTHONPATH so the child
    imports the same code whether it is installed or not, plus ``extra``."""
    path = os.pathsep.join(p for p in (str(SOURCE_ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}
