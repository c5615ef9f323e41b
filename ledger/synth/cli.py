"""``ledger demo``: load a synthetic city into a running ledger through its HTTP API.

Hooked into the main CLI with ``add_parser(subparsers)`` (sets ``func``); ``run_demo(argv)``
runs it standalone. Every event goes through ``POST /v1/events`` with ``LedgerClient.post_all``
(atomic batches, retries reuse the same bytes), signed by the key of the system or person that
would sign it; the keys are registered by ``KeyRegistered`` events signed with the home's root
key. Running it twice with the same seed appends nothing: same event ids, same bytes, so the
ledger answers with the original receipts.

Exit status: 0 loaded (or written), 1 the ledger refused an event, 2 usage error or no ledger
reachable.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from .params import SCALES, CityParams

DEFAULT_URL = "http://127.0.0.1:8000"
TOKEN_FILE = "demo.token"


def configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--url", default=DEFAULT_URL, help=f"the ledger service (default {DEFAULT_URL})")
    p.add_argument("--seed", type=int, default=0, help="the city's seed (default 0)")
    p.add_argument("--scale", choices=list(SCALES), default="small",
                   help="city size: tiny ≈ 2.5k events, small ≈ 5k (default), medium ≈ 25k, "
                        "large ≈ 160k")
    sizes = p.add_argument_group("explicit sizes (override --scale)")
    sizes.add_argument("--brigades", type=int, help="大队")
    sizes.add_argument("--squadrons", type=int, help="中队 per 大队")
    sizes.add_argument("--officers", type=int, help="team members per 中队 (even, ≥ 4)")
    sizes.add_argument("--auxiliaries", type=int, help="协管员 per 中队")
    sizes.add_argument("--days", type=int, help="days on which new cases start")
    sizes.add_argument("--start", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    sizes.add_argument("--cases-per-officer-day", type=float,
                       help="new cases each officer starts a day")
    sizes.add_argument("--misconduct", type=float,
                       help="scale of every planted kind's rate (0 = a clean city)")
    sizes.add_argument("--no-scenarios", action="store_true",
                       help="no actor scenarios (corrupt officer, quota unit, …)")
    p.add_argument("--ground-truth", metavar="FILE",
                   help="write what was planted here (JSON Lines)")
    p.add_argument("--out", metavar="FILE",
                   help="write the signed events as JSON Lines instead of posting ('-' = stdout)")
    p.add_argument("--token", help="a bearer token with the poster role (default: create one "
                                    f"for principal demo-loader, kept in secrets/{TOKEN_FILE})")
    p.add_argument("--batch-size", type=int, default=500, help="events per request (≤ 1000)")
    p.add_argument("--root-key", metavar="FILE", type=Path,
                   help="root key seed, base64url (default: $LEDGER_HOME/secrets/root-1.key)")
    p.add_argument("--root-key-id", default=None, help="its key id (default: root-1)")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="progress bar on stderr (default: when stderr is a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false",
                     help="no progress bar")
    return p


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``demo`` to the main CLI's subparsers; ``args.func(args)`` runs it."""
    p = subparsers.add_parser("demo", help="load a realistic synthetic city (docs/demo.md)",
                              description="load a synthetic city into a running ledger through "
                              "its HTTP API (docs/demo.md)")
    configure(p)
    p.set_defaults(func=cmd_demo)
    return p


def run_demo(argv: list[str] | None = None) -> int:
    parser = configure(argparse.ArgumentParser(prog="ledger demo",
                                               description=__doc__.splitlines()[0]))
    return cmd_demo(parser.parse_args(argv))


def params_from(args: argparse.Namespace) -> CityParams:
    overrides: dict[str, Any] = {}
    for arg, name in (("brigades", "brigades"), ("squadrons", "squadrons_per_brigade"),
                      ("officers", "officers_per_squadron"),
                      ("auxiliaries", "auxiliaries_per_squadron"), ("days", "days"),
                      ("start", "start"), ("cases_per_officer_day", "cases_per_officer_day"),
                      ("misconduct", "misconduct")):
        if getattr(args, arg, None) is not None:
            overrides[name] = getattr(args, arg)
    if getattr(args, "no_scenarios", False):
        overrides["scenarios"] = False
    return CityParams.scale(args.scale, seed=args.seed, **overrides)


def _err(message: str) -> None:
    print(f"ledger demo: {message}", file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> int:
    from ..config import Settings
    from ..crypto import SigningKey, b64url_decode
    from ..errors import LedgerError
    from .generator import SyntheticCity

    if not 1 <= args.batch_size <= 1000:
        _err("--batch-size must be within 1..1000")
        return 2
    try:
        params = params_from(args)
    except ValueError as e:
        _err(str(e))
        return 2
    settings = Settings.from_env()
    root_path = args.root_key or settings.secrets / "root-1.key"
    try:
        root = SigningKey(b64url_decode(root_path.read_text().strip(), what=str(root_path),
                                        size=32))
    except (OSError, LedgerError) as e:
        _err(f"cannot read the root key {root_path}: {e} (run `ledger init`, or pass "
             "--root-key)")
        return 2
    root_key_id = args.root_key_id or "root-1"
    city = SyntheticCity(params, root_key=root, root_key_id=root_key_id)
    progress_label = f"city {city.world.tag}"
    started = time.monotonic()
    if args.out:
        try:
            count = _write(city, args.out, args, progress_label)
        except OSError as e:            # no such directory, a directory, a full disk
            _err(f"cannot write --out {args.out}: {e.strerror}")
            return 2
        summary = f"{count:,} signed events written to {args.out}"
    else:
        result = _post(city, args, settings, progress_label)
        if isinstance(result, int):
            return result
        count, appended = result
        summary = (f"{count:,} events posted to {args.url}: {appended:,} appended, "
                   f"{count - appended:,} already recorded")
    elapsed = time.monotonic() - started
    truth = city.ground_truth
    rf = sorted({r for item in truth for r in item["rf"]})
    if args.ground_truth:
        try:
            _write_lines(args.ground_truth, (json.dumps(item, ensure_ascii=False)
                                             for item in truth))
        except OSError as e:
            _err(f"cannot write --ground-truth {args.ground_truth}: {e.strerror}")
            return 2
    _err(f"{summary} in {elapsed:.1f} s (seed {params.seed}, {params.days} days, "
         f"{len(city.world.people)} staff, {city.slots} cases planned); {len(truth)} planted "
         f"items covering {len(rf)} red flags"
         + (f" -> {args.ground_truth}" if args.ground_truth else ""))
    return 0


def _write(city: Any, out: str, args: argparse.Namespace, label: str) -> int:
    from ..canonical import canonical_trusted
    from .progress import Progress
    bar = Progress(city.estimated_events(), label=label, enabled=args.progress)
    lines = (canonical_trusted(env).decode("utf-8") for env in bar.wrap(city.envelopes()))
    count = _write_lines(out, lines)
    bar.close()
    return count


def _write_lines(path: str, lines: Any) -> int:
    """Write ``lines`` to ``path`` ('-' = stdout) via a ``.partial`` file renamed on success."""
    count = 0
    if path == "-":
        for line in lines:
            sys.stdout.write(line + "\n")
            count += 1
        sys.stdout.flush()
        return count
    partial = Path(path + ".partial")
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line + "\n")
                count += 1
        partial.replace(path)
    except OSError:             # nothing half-written is left behind
        partial.unlink(missing_ok=True)
        raise
    return count


def _post(city: Any, args: argparse.Namespace, settings: Any,
          label: str) -> tuple[int, int] | int:
    from ..client import LedgerClient, LedgerHTTPError
    probe = LedgerClient(args.url, args.token or "-", batch_size=args.batch_size)
    try:
        probe.http.get("/healthz").raise_for_status()
    except Exception as e:   # httpx's connection and status errors, through ledger.client
        _err(f"no ledger service at {args.url} ({e}); start one with `ledger serve`")
        return 2
    client = probe
    if args.token is None:
        client = LedgerClient(args.url, _token(settings, fresh=False), http=probe.http,
                              batch_size=args.batch_size)
        if not _authorised(client):
            client = LedgerClient(args.url, _token(settings, fresh=True), http=probe.http,
                                  batch_size=args.batch_size)
    try:
        return load(city, client, progress=args.progress, label=label)
    except LedgerHTTPError as e:
        _err(f"the ledger refused a batch: {e}")
        if e.status in (401, 403):
            _err("the token was refused: pass --token with a poster token of that ledger")
        if e.status == 409:
            _err("a different city with the same event ids is already recorded: one of "
                 "another --scale or size with this --seed (or another generator version); "
                 "load the same one again, use another --seed, or a fresh LEDGER_HOME")
        return 1


def load(city: Any, client: Any, *, progress: bool | None = None,
         label: str = "city") -> tuple[int, int]:
    """Post every envelope of ``city`` with ``client.post_all``; returns (events, appended).

    An event counts as appended when its receipt's log index is past the log's size when the
    load began (``/healthz``): an idempotent replay returns the original receipt, whose index
    is below it. Both numbers are the server's — recorded_at is too, but this machine's clock
    may be hours off the database server's.
    """
    from .progress import Progress
    size = client.get("/healthz")["log_size"]
    bar = Progress(city.estimated_events(), label=label, enabled=progress)
    receipts = client.post_all(bar.wrap(city.envelopes()))
    bar.close()
    return len(receipts), sum(1 for r in receipts if r["index"] >= size)


def _authorised(client: Any) -> bool:
    from ..client import LedgerHTTPError
    try:
        client.get("/v1/keys")
    except LedgerHTTPError as e:
        return e.status not in (401, 403)
    return True


def _token(settings: Any, *, fresh: bool) -> str:
    """The demo loader's poster token: kept in the home's secrets, created when missing."""
    from ..config import write_secret
    path = settings.secrets / TOKEN_FILE
    if path.exists() and not fresh:
        return path.read_text().strip()
    from ..home import owner_url
    from ..store import LedgerStore, datastore_from_url
    from ..tokens import new_token, token_hash
    store = LedgerStore(datastore_from_url(owner_url(settings, stop_at_exit=False), pool_size=1,
                                           max_overflow=0))
    try:
        token = new_token()
        store.insert_token(token_hash(token), "demo-loader", ["poster"], [])
    finally:
        store.close()
    write_secret(path, token)
    return token


if __name__ == "__main__":
    sys.exit(run_demo())
