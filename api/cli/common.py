"""What the verbs share: argument types, the refusal line, the home's store and the checks a
long-running verb makes of its database role. Standard library only at module level."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def curl_line(url: str, token_file: Path | None = None) -> str:
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


def positive_int(text: str) -> int:
    """An argparse type: a whole number ≥ 1."""
    return _whole_number(text, 1, None, "at least 1")


def tcp_port(text: str) -> int:
    """An argparse type: a TCP port, 1–65535 (the resolver would silently wrap 99999 to 34463)."""
    return _whole_number(text, 1, 65535, "a TCP port, 1 to 65535")


def refusal(args: argparse.Namespace, error: Any) -> str:
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


def env_settings():  # noqa: ANN202
    from ledger.config import Settings
    return Settings.from_env()


def refuse_an_unprivileged_role(verb: str, store: Any) -> None:
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


def warn_history_rights(verb: str, rights: tuple[str, str] | None) -> None:
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


def _home_url(settings: Any) -> str:
    """The owner URL of an initialised home. Raises NotFound — before an embedded cluster is
    started in an empty directory — when ``ledger init`` has not been run."""
    from ledger.errors import NotFound
    from ledger.home import owner_url
    if not settings.database_url and not settings.config_path.exists():
        raise NotFound(f"{settings.home} is not an initialised ledger home: run `ledger init` "
                       "(or set LEDGER_HOME)")
    return owner_url(settings)


def home_store(settings: Any, *, pool_size: int = 1, wait: float | None = None,  # noqa: ANN202
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
            refuse_an_outdated_schema(settings, store)
    except BaseException:
        store.close()
        raise
    return store


def refuse_an_outdated_schema(settings: Any, store: Any) -> None:
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


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
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

