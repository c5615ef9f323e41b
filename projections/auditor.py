"""``ledger flags FILE``: recompute the red flags from an audit bundle, offline.

Standard library only (plus the pure engine): an auditor verifies a bundle with
``ledger verify`` and then recomputes the flags it implies, at the instant the service
evaluated them (``--at``), to compare with what the service holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import IO, Any

from ledger.domain import EVENT_TYPES, validate_event
from ledger.envelope import Recorded, parse_time
from ledger.errors import MalformedEvent
from ledger.verify import format as fmt

from .redflags.engine import SUBJECT_KINDS, compute_flags
from .redflags.flag import Flag


class UnreadableBundle(ValueError):
    pass


def bundle_events(stream: IO[bytes],
                  on_header: Callable[[dict[str, Any]], None] | None = None) -> Iterator[Recorded]:
    """The events of a bundle (event lines, in log order) as projections see them; the header
    line goes to ``on_header``.

    Raises UnreadableBundle for input that is not a whole bundle — no header first, a line that
    is not a JSON object, a line longer than any bundle line (read no further than
    ``fmt.MAX_LINE``), no end line (cut short) — so that it is never read as "no flags".
    """
    header = ended = False
    lines = iter(lambda: stream.readline(fmt.MAX_LINE + 1), b"")
    for number, line in enumerate(lines, start=1):
        if len(line) > fmt.MAX_LINE:
            raise UnreadableBundle(fmt.too_long(f"line {number}"))
        if not line.strip():
            continue
        if not header and line.startswith(fmt.GZIP_MAGIC):
            raise UnreadableBundle(fmt.gzipped("flags"))
        try:
            value: dict[str, Any] = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise UnreadableBundle(f"line {number}: not JSON ({e})") from None
        except ValueError:      # int() refuses a decimal string of more than 4,300 digits
            raise UnreadableBundle(f"line {number}: an integer of more than 4,300 digits, "
                                   "which no bundle holds (the ledger records integers within "
                                   "±(2^53-1))") from None
        except RecursionError:
            raise UnreadableBundle(f"line {number}: JSON nested too deeply") from None
        if not isinstance(value, dict):
            raise UnreadableBundle(f"line {number}: not a bundle line (a JSON object)")
        if not header:
            if value.get("t") != "header":
                raise UnreadableBundle(f"line {number}: not a bundle header")
            header = True
            if on_header:
                on_header(value)
        if value.get("t") == "end":
            ended = True
        if value.get("t") != "event":
            continue
        try:
            env, receipt = value["envelope"], value["receipt"]
            rec = Recorded(event_id=env["event_id"], stream=env["stream"], type=env["type"],
                           occurred_at=env["occurred_at"], signer=env["signer"],
                           body=env["body"], index=receipt["index"],
                           stream_version=receipt["stream_version"],
                           recorded_at=receipt["recorded_at"])
        except (KeyError, TypeError) as e:
            raise UnreadableBundle(f"line {number}: not an event line ({e})") from None
        wrong = _unrecordable(rec)
        if wrong:
            raise UnreadableBundle(f"line {number}: event {rec.event_id} is not one the ledger "
                                   f"records: {wrong}")
        yield rec
    if not header:
        raise UnreadableBundle("not a bundle: it is empty")
    if not ended:
        raise UnreadableBundle("the bundle is truncated (no end line)")


def _unrecordable(rec: Recorded) -> str | None:
    """What the ledger's door would have refused in ``rec`` (a field's type; for a type of the
    domain vocabulary, its stream kind and body), or None. The rules read only what the door let
    through, and ``ledger flags`` does not verify the bundle: without this a wrong type was a
    traceback, or flags computed from a string signer or index."""
    for name in ("event_id", "stream", "type", "signer"):
        if not isinstance(getattr(rec, name), str):
            return f"{name}: must be a string"
    for name, value in (("occurred_at", rec.occurred_at), ("receipt.recorded_at", rec.recorded_at)):
        try:
            parse_time(value, name)
        except MalformedEvent as e:
            return e.message
    for name in ("index", "stream_version"):
        if type(getattr(rec, name)) is not int:
            return f"receipt.{name}: must be an integer"
    if rec.type in EVENT_TYPES:
        for error in validate_event(rec.type, rec.stream, rec.body):
            return f"{error.path}: {error.message}"
    elif not isinstance(rec.body, dict):
        return "body: must be an object"
    return None


def flags_of_bundle(stream: IO[bytes], at: datetime,
                    on_header: Callable[[dict[str, Any]], None] | None = None,
                    indices: list[int] | None = None,
                    streams: set[str] | None = None) -> list[Flag]:
    """The flags the bundle's events imply at ``at``; their log indices are appended to
    ``indices`` (for :func:`holds_whole_log`), and ``streams``, when given, collects the kinds
    of stream the bundle held (``config``, ``keys``, ``case`` …)."""
    events = bundle_events(stream, on_header)
    if indices is not None or streams is not None:
        events = _noting(events, indices, streams)
    return compute_flags(events, at=at)


def _noting(events: Iterator[Recorded], indices: list[int] | None,
            streams: set[str] | None) -> Iterator[Recorded]:
    for rec in events:
        if indices is not None:
            indices.append(rec.index)
        if streams is not None:
            streams.add(rec.stream.split(":", 1)[0])
        yield rec


def holds_whole_log(header: dict[str, Any], indices: list[int]) -> bool:
    """Whether the bundle holds the whole log up to its tree size — an event at every index
    ``0 … log.tree_size − 1``, in order — whatever its scope says: the header is not signed,
    so a case bundle relabelled ``all`` must not pass for the whole log."""
    log = header.get("log")
    size = log.get("tree_size") if isinstance(log, dict) else None
    if not isinstance(size, int) or isinstance(size, bool):
        return False
    return indices == list(range(size))


def _kind(header: dict[str, Any]) -> Any:
    scope = header.get("scope")
    return scope.get("kind") if isinstance(scope, dict) else None


def label_note(header: dict[str, Any], whole: bool) -> str | None:
    """What to say when the header's scope kind and the bundle's contents disagree (``whole``:
    :func:`holds_whole_log`), or None when they agree."""
    kind = _kind(header)
    if kind == "all" and not whole:
        return ("the header's scope says the whole log (kind all), but the bundle does not hold "
                "an event at every index 0 … tree_size − 1: it is read as part of the log")
    if kind != "all" and whole:
        return (f"the header's scope says {kind or 'no kind'}, but the bundle holds every event "
                "of the log up to its tree size: it is read as the whole log")
    return None


def partial_note(header: dict[str, Any], whole: bool, *,
                 configuration: bool = False, dispositions: bool = False) -> str | None:
    """What an auditor must know of flags computed from a bundle of part of the log (a case,
    a stream, a time range, an officer's or unit's trail), or None for the whole log
    (``whole``: :func:`holds_whole_log`, not the header's label): rules read credentials and
    posts, dispatch orders, other cases and the dispositions of flags (on ``flag:`` streams)
    that such a bundle leaves out — and published configuration, unless it held some
    (``configuration``: a bundle of whole streams carries every ``config:`` stream since
    2026-11-28). ``dispositions``: it held ``flag:`` streams — a case, officer or unit bundle
    carries, since 2026-11-28, those of the flags the service's flag read model held about its
    cases, officers and unit when it was exported, not those of flags about inspectors."""
    if whole:
        return None
    kind = _kind(header)
    named = "this bundle" if kind == "all" else _a(f"{kind or 'partial'} bundle")
    left_out = "no officer's credentials or posts, dispatch order, " + \
        ("" if configuration else "published configuration, ")
    if dispositions:
        left_out = left_out[:-2] + " or other case it leaves out, and of the dispositions of " \
            "flags only those of the flags about its cases, officers or unit that the service " \
            "held when it was exported (not those about inspectors)"
    else:
        left_out += "other case or disposition of a flag it leaves out: a flag disposed of " \
            "prints as open"
    return (f"{named} holds part of the log: these flags read only what it holds ({left_out}), "
            "so they can differ from the service's; a whole-log bundle (ledger export --all) "
            "gives the service's flags")


#: subject kinds whose rules read the whole log (other cases, an officer's trail, statistics):
#: a bundle of part of the log cannot recompute their flags
WHOLE_LOG_KINDS = tuple(k for k in SUBJECT_KINDS if k not in ("case", "complaint", "supervision"))


def beyond_scope_note(whole: bool, flags: list[Flag]) -> str | None:
    """Which printed flags a bundle of part of the log (``whole`` False: :func:`holds_whole_log`)
    cannot recompute — those about a subject of :data:`WHOLE_LOG_KINDS` — or None (a whole-log
    bundle, or no such flag)."""
    if whole:
        return None
    beyond = [f for f in flags if f.scope.split(":", 1)[0] in WHOLE_LOG_KINDS]
    if not beyond:
        return None
    kinds = sorted({f.scope.split(":", 1)[0] for f in beyond})
    rules = ", ".join(sorted({f.rule_id for f in beyond}))
    named = " or ".join(kinds) if len(kinds) < 3 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
    return (f"{len(beyond)} of the {len(flags)} flags ({rules}) are about {_a(named)}, whose rules "
            "read cases beyond this bundle: they are computed from what it holds, not recomputed")


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: an officer, an inspector, a unit (the kinds and
    subjects named here; no 'u' of theirs is a vowel sound)."""
    return f"{'an' if noun[:1] in 'aeio' else 'a'} {noun}"


def parse_at(text: str | None) -> datetime:
    if text is None:
        return datetime.now(timezone.utc)
    refusal = ("--at must be an RFC 3339 time with an offset, e.g. 2024-10-01T00:00:00+08:00; "
               f"got {text!r}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(refusal) from None
    if moment.tzinfo is None:
        raise ValueError(refusal)
    return moment
