"""Two verifiers, one verdict: `ledger verify` and the clean-room verifier written from the
documentation alone (tests/cleanroom/verify.py) judge the same bundles — untouched ones of every
scope kind, the docs/bundle.md example, and the tampered bundles the other tests build — and
must agree: both accept, or both reject naming the same log indices. A disagreement means the
docs and the code have drifted apart.

Most bundles are built in memory (tests/forged.py); one test exports from a real ledger.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as ledger_main
from ledger.crypto import SigningKey, b64url_encode
from ledger.logview import LogView
from ledger.note import vkey_for
from ledger.verify import format as fmt

from .cleanroom import verify as cleanroom
from .conftest import World
from .forged import DEVICE, LOG, ORIGIN, ROOT, WHOLE, Log
from .test_verifier_adversarial import (
    CASE,
    OTHER,
    _event_id,
    _nested_note,
    _signed,
    note,
    registration,
)

PINS = ["--log-key", vkey_for(ORIGIN, LOG.public_key),
        "--root-key", f"root-1={b64url_encode(ROOT.public_key)}"]
CLEAN_TRUST = cleanroom.trust_from_vkeys([vkey_for(ORIGIN, LOG.public_key)],
                                         {"root-1": b64url_encode(ROOT.public_key)})
INDEX = re.compile(r"^index (\d+)[ :]|^time bundle: [^(]*\(index (\d+)\)")


def _named(lines: list[str]) -> set[int]:
    """The log indices report lines name: an event's line, or a time bundle's witness."""
    return {int(m.group(1) or m.group(2)) for line in lines if (m := INDEX.match(line))}


def ledger_verdict(path: Path, pins: list[str]) -> tuple[int, set[int], str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = ledger_main(["verify", str(path), *pins, "--workers", "1"])
        except SystemExit as e:
            code = int(e.code or 0)
    return code, _named(out.getvalue().splitlines()), out.getvalue()


def clean_verdict(path: Path, trust: cleanroom.Trust) -> tuple[int, set[int], list[str]]:
    try:
        v = cleanroom.verify(path.read_bytes(), trust)
    except cleanroom.Unreadable as e:
        return 2, set(), [str(e)]
    return v.code, _named(v.problems), v.problems


def agree(path: Path, *, pins: list[str] = PINS, trust: cleanroom.Trust = CLEAN_TRUST) -> int:
    """Both verifiers' exit codes and the log indices they name; they must be equal."""
    code, named, out = ledger_verdict(path, pins)
    ccode, cnamed, problems = clean_verdict(path, trust)
    assert (code, named) == (ccode, cnamed), f"ledger verify:\n{out}\nclean room:\n{problems}"
    return code


# ---- bundles built in memory ---------------------------------------------------------------

def revocation(i: int, key_id: str = "device-1") -> bytes:
    return _signed(ROOT, event_id=_event_id(i), stream="keys", type="KeyRevoked",
                   signer="key:root-1", body={"key_id": key_id, "reason": "lost"})


def key_event(i: int, type: str, **body: Any) -> bytes:
    """A key-registry event the root signs, with any body."""
    return _signed(ROOT, event_id=_event_id(i), stream="keys", type=type, signer="key:root-1",
                   body=body)


def _registered(i: int, key_id: str = "device-2", **over: Any) -> bytes:
    body = {"key_id": key_id, "not_after": None, "not_before": None, "principal": key_id,
            "public_key": b64url_encode(OTHER.public_key), "roles": ["case-app"], **over}
    return key_event(i, "KeyRegistered", **body)


def _by_other(i: int) -> bytes:
    return _signed(OTHER, event_id=_event_id(i), stream="case:C-1", type="NoteRecorded",
                   signer="key:device-2", body={"note": "by device-2"})


def _device(**over: Any) -> bytes:
    """A note device-1 signs, with fields of the envelope replaced (or added) by ``over``."""
    fields = {"event_id": _event_id(1), "stream": "case:C-1", "type": "NoteRecorded",
              "signer": "key:device-1", "body": {"note": "x"}, **over}
    return _signed(DEVICE, **fields)


def _mixed() -> Log:
    """Keys, case C-1, an officer's and a unit's stream, and case C-2, interleaved."""
    return Log(registration(), note(1), note(2, stream="officer:O-1"), note(3),
               note(4, stream="unit:U-1"), note(5, stream="case:C-2"), note(6),
               registration(7, key_id="device-2", key=OTHER), note(8, stream="officer:O-1"),
               note(9))


TIME = {"kind": "time", "from": "2024-05-10T13:00:04.000000Z",
        "to": "2024-05-10T13:00:08.000000Z"}
OFFICER = {"kind": "officer", "officer": "O-1", "streams": ["case:C-1", "officer:O-1"]}
UNIT = {"kind": "unit", "unit": "U-1", "streams": ["unit:U-1"]}
STREAM = {"kind": "stream", "stream": "case:C-2"}
KEYS = [0, 7]


def _lines(indices: list[int], anchors: list[int] = ()) -> list[tuple[int, str]]:
    return sorted([(i, "event") for i in indices] + [(i, "anchor") for i in anchors])


# scope -> the lines the exporter would write for it from _mixed()
HONEST: dict[str, tuple[dict[str, Any], list[tuple[int, str]] | None]] = {
    "case": (CASE, _lines([0, 1, 3, 6, 7, 9])),
    "stream": (STREAM, _lines([0, 5, 7])),
    "officer": (OFFICER, _lines([0, 1, 2, 3, 6, 7, 8, 9])),
    "unit": (UNIT, _lines([0, 4, 7])),
    "time": (TIME, _lines([0, 4, 5, 6, 7], anchors=[3])),   # case:C-1 enters at version 3
    "all": (WHOLE, None),
}


@pytest.mark.parametrize("kind", sorted(HONEST))
def test_both_verifiers_accept_an_untouched_bundle_of_every_scope_kind(tmp_path: Path,
                                                                       kind: str) -> None:
    scope, lines = HONEST[kind]
    assert agree(_mixed().bundle(tmp_path / "b.ndjson", scope, lines=lines)) == 0


def test_both_verifiers_agree_on_a_retired_root(tmp_path: Path) -> None:
    """root-1 retired from log index 2: its registration at index 0 stands, the one at 2
    does not (docs/architecture.md, "Rotating a root key")."""
    log = Log(registration(), note(1), _registered(2), _by_other(3))
    root = b64url_encode(ROOT.public_key)
    pins = ["--log-key", vkey_for(ORIGIN, LOG.public_key), "--root-key", f"root-1={root}@2"]
    trust = cleanroom.trust_from_vkeys([vkey_for(ORIGIN, LOG.public_key)], {"root-1": f"{root}@2"})
    assert agree(log.bundle(tmp_path / "b.ndjson", WHOLE), pins=pins, trust=trust) == 1
    pins[-1] = trust_root = f"root-1={root}@3"
    trust = cleanroom.trust_from_vkeys([vkey_for(ORIGIN, LOG.public_key)],
                                       {"root-1": trust_root.split("=", 1)[1]})
    assert agree(log.bundle(tmp_path / "b.ndjson", WHOLE), pins=pins, trust=trust) == 0


def _docs_example() -> tuple[bytes, list[str], cleanroom.Trust]:
    text = (Path(__file__).parent.parent / "docs" / "bundle.md").read_text(encoding="utf-8")
    bundle = text.split("```jsonl\n", 1)[1].split("```", 1)[0].encode()
    vkey = re.search(r"Pinned: log key `([^`]+)`", text).group(1)
    root = re.search(r"root key `root-1=([^`]+)`", text).group(1)
    return (bundle, ["--log-key", vkey, "--root-key", f"root-1={root}"],
            cleanroom.trust_from_vkeys([vkey], {"root-1": root}))


def test_both_verifiers_accept_the_docs_example_and_reject_it_edited(tmp_path: Path) -> None:
    bundle, pins, trust = _docs_example()
    path = tmp_path / "example.ndjson"
    path.write_bytes(bundle)
    assert agree(path, pins=pins, trust=trust) == 0
    path.write_bytes(bundle.replace("改正".encode(), "改进".encode()))
    assert agree(path, pins=pins, trust=trust) == 1


# Edits of an honest bundle's bytes, as an exporter (or a DBA before it) makes them.

def _edit_line(n: int, f: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[n] = f(lines[n])
        return b"\n".join(lines)
    return edit


def _drop_line(n: int) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        dropped = json.loads(lines.pop(n))
        end = json.loads(lines[-2])
        end[{"event": "events", "anchor": "anchors"}[dropped["t"]]] -= 1
        lines[-2] = fmt.end_line(**{k: v for k, v in end.items() if k != "t"}).rstrip(b"\n")
        return b"\n".join(lines)
    return edit


def _swap_envelopes(a: int, b: int) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        ea, eb = (json.loads(lines[n]) for n in (a, b))
        ea["envelope"], eb["envelope"] = eb["envelope"], ea["envelope"]
        lines[a], lines[b] = (cleanroom.jcs(x) for x in (ea, eb))
        return b"\n".join(lines)
    return edit


def _re_encode(n: int) -> Callable[[bytes], bytes]:
    """Line ``n``'s envelope written with \\u escapes: the same JSON value, other bytes."""
    def edit(line: bytes) -> bytes:
        value = json.loads(line)
        env = json.dumps(value["envelope"], ensure_ascii=True, separators=(",", ":"),
                         sort_keys=True)
        return line.replace(cleanroom.jcs(value["envelope"]), env.encode())
    return _edit_line(n, edit)


def _header(f: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    def edit(line: bytes) -> bytes:
        value = json.loads(line)
        f(value)
        return cleanroom.jcs(value)
    return _edit_line(0, edit)


# name -> (log, scope, lines, edit of the bundle's bytes)
TAMPERED: dict[str, tuple[Callable[[], Log], dict[str, Any], Any, Callable[[bytes], bytes]]] = {
    # lines 0 header, 1 checkpoint, 2.. events
    "one-byte": (_mixed, CASE, HONEST["case"][1], _edit_line(4, lambda x: x.replace(
        "占道".encode(), "占路".encode()))),
    "one-byte-whole": (_mixed, WHOLE, None, _edit_line(5, lambda x: x.replace(
        "占道".encode(), "占路".encode()))),
    "deleted": (_mixed, CASE, HONEST["case"][1], _drop_line(4)),
    "deleted-whole": (_mixed, WHOLE, None, _drop_line(5)),
    "swapped": (_mixed, CASE, HONEST["case"][1], _swap_envelopes(3, 4)),
    "re-encoded": (_mixed, CASE, HONEST["case"][1], _re_encode(4)),
    "truncated": (_mixed, CASE, HONEST["case"][1], lambda d: d[:-1]),
    "no-end": (_mixed, CASE, HONEST["case"][1],
               lambda d: b"\n".join(d.split(b"\n")[:-2]) + b"\n"),
    "tree-size": (_mixed, CASE, HONEST["case"][1],
                  _header(lambda h: h["log"].update(tree_size=9))),
    "replayed": (lambda: Log(registration(), note(1, "罚款已缴"), note(2), note(1, "罚款已缴")),
                 CASE, None, lambda d: d),
    "one-id-two-streams": (lambda: Log(registration(), note(1, "a"),
                                       note(1, "b", stream="case:C-2")), WHOLE, None,
                           lambda d: d),
    "case-of-another-stream": (lambda: Log(registration(), note(1, stream="case:C-2")),
                               {"kind": "case", "case": "C-1", "stream": "case:C-2"}, None,
                               lambda d: d),
    "event-off-scope": (_mixed, CASE, _lines([0, 1, 3, 5, 6, 7, 9]), lambda d: d),
    "anchor-in-case": (_mixed, CASE, _lines([0, 3, 6, 7, 9], anchors=[1]), lambda d: d),
    "time-with-offset": (_mixed, {"kind": "time", "from": "2024-05-10T21:00:04+08:00",
                                  "to": "2024-05-10T21:00:08+08:00"},
                         HONEST["time"][1], lambda d: d),
    "time-anchor-in-range": (_mixed, TIME, _lines([0, 5, 6, 7], anchors=[3, 4]), lambda d: d),
    "time-event-before-range": (_mixed, TIME, _lines([0, 2, 4, 5, 6, 7], anchors=[3]),
                                lambda d: d),
    "time-event-after-range": (_mixed, TIME, _lines([0, 4, 5, 6, 7, 8], anchors=[3]),
                               lambda d: d),
    "whole-with-an-anchor": (_mixed, WHOLE, [(0, "anchor"), *_lines(list(range(1, 10)))],
                             lambda d: d),
    "event-line-extra-field": (_mixed, CASE, HONEST["case"][1], _edit_line(3, lambda x: x.replace(
        b'"t":"event"', b'"t":"event","x":1'))),
    "event-line-no-proof": (_mixed, CASE, HONEST["case"][1], _edit_line(3, lambda x: re.sub(
        rb'"proof":\[[^\]]*\],', b"", x))),
    "time-gap": (_mixed, TIME, _lines([0, 4, 6, 7], anchors=[3]), lambda d: d),
    "time-inverted": (_mixed, {"kind": "time", "from": TIME["to"], "to": TIME["from"]},
                      _lines([0, 7]), lambda d: d),
    "time-month-95": (_mixed, {"kind": "time", "from": TIME["from"],
                               "to": "2024-95-10T13:00:08.000000Z"}, _lines([0, 4, 5, 6, 7, 8, 9], anchors=[2, 3]),
                      lambda d: d),
    "unknown-kind": (_mixed, {"kind": "casefile", "case": "C-1"}, HONEST["case"][1],
                     lambda d: d),
    "officer-not-own": (_mixed, {"kind": "officer", "officer": "O-2",
                                 "streams": ["case:C-1", "officer:O-1"]},
                        HONEST["officer"][1], lambda d: d),
    "officer-partial-stream": (_mixed, OFFICER, _lines([0, 3, 6, 7, 8, 9], anchors=[1]),
                               lambda d: d),
    "case-null": (lambda: Log(registration(), note(1, stream="case:None")),
                  {"kind": "case", "case": None, "stream": "case:None"}, None, lambda d: d),
    "revocation-withheld": (lambda: Log(registration(), note(1), revocation(9), note(2)),
                            CASE, _lines([0, 1, 3]), lambda d: d),
    "revoked-signer": (lambda: Log(registration(), note(1), revocation(9), note(2)),
                       CASE, None, lambda d: d),
    "revocation-mid-registry": (lambda: Log(registration(), note(1), revocation(9),
                                            registration(8, key_id="device-2", key=OTHER),
                                            note(2)), CASE, _lines([0, 1, 3, 4]), lambda d: d),
    "registered-by-device": (lambda: Log(registration(), registration(
        8, key_id="device-2", key=OTHER, by=SigningKey(bytes([3]) * 32), signer="device-1")),
        CASE, None, lambda d: d),
    "unregistered-signer": (lambda: Log(registration(), _signed(
        OTHER, event_id=_event_id(5), stream="case:C-1", type="NoteRecorded",
        signer="key:ghost", body={"note": "nobody"})), WHOLE, None, lambda d: d),
    "nested-too-deep": (lambda: Log(registration(), _nested_note(1, 63)), WHOLE, None,
                        lambda d: d),
    "after-not-after": (lambda: Log(registration(not_after="2024-05-10T13:00:00Z"), note(1)),
                        CASE, None, lambda d: d),
    "recorded-at-month-13": (lambda: Log(registration(), note(1)), CASE, None,
                             lambda d: d.replace(b"2024-05-10T13:00:01.000000Z",
                                                 b"2024-13-10T13:00:01.000000Z")),
    "integer-beyond-2-53": (lambda: Log(registration(), note(1)), CASE, None,
                            _edit_line(3, lambda x: x.replace(b'"index":1',
                                                              b'"index":9007199254740993'))),
    "keys-line-hash": (lambda: Log(registration(), note(1)), CASE, None, lambda d: d),
    "re-registered": (lambda: Log(registration(), _registered(1, "device-1")), WHOLE, None,
                      lambda d: d),
    "registered-small-order": (lambda: Log(registration(), _registered(
        1, public_key=b64url_encode(bytes(32)))), WHOLE, None, lambda d: d),
    "registered-not-a-point": (lambda: Log(registration(), _registered(
        1, public_key=b64url_encode(b"\xff" * 32))), WHOLE, None, lambda d: d),
    "registered-short-key": (lambda: Log(registration(), _registered(
        1, public_key=b64url_encode(bytes(31)))), WHOLE, None, lambda d: d),
    "registered-root-role": (lambda: Log(registration(), _registered(
        1, roles=["root", "case-app"])), WHOLE, None, lambda d: d),
    "registered-window-inverted": (lambda: Log(registration(), _registered(
        1, not_before="2024-06-01T00:00:00Z", not_after="2024-05-01T00:00:00Z")), WHOLE, None,
        lambda d: d),
    "registered-root-id": (lambda: Log(registration(), _registered(1, "root-1")), WHOLE, None,
                           lambda d: d),
    "registered-no-roles-key": (lambda: Log(registration(), key_event(
        1, "KeyRegistered", key_id="device-2", principal="p", roles=["case-app"])), WHOLE, None,
        lambda d: d),
    "registered-principal-null": (lambda: Log(registration(), _registered(1, principal=None)),
                                  WHOLE, None, lambda d: d),
    "registered-roles-text": (lambda: Log(registration(), _registered(1, roles="case-app")),
                              WHOLE, None, lambda d: d),
    "event-id-not-uuid": (lambda: Log(registration(), _device(event_id="abc")), WHOLE, None,
                          lambda d: d),
    "signer-without-key-prefix": (lambda: Log(registration(), _device(signer="device-1")),
                                  WHOLE, None, lambda d: d),
    "occurred-at-not-rfc3339": (lambda: Log(registration(), _device(occurred_at="yesterday")),
                                WHOLE, None, lambda d: d),
    "occurred-at-without-offset": (lambda: Log(registration(), _device(
        occurred_at="2024-05-10T21:06:00")), WHOLE, None, lambda d: d),
    "stream-without-kind": (lambda: Log(registration(), _device(stream="C-1")), WHOLE, None,
                            lambda d: d),
    "stream-empty-id": (lambda: Log(registration(), _device(stream="case:")), WHOLE, None,
                        lambda d: d),
    "body-array": (lambda: Log(registration(), _device(body=["x"])), WHOLE, None, lambda d: d),
    "extra-envelope-field": (lambda: Log(registration(), _device(extra=1)), WHOLE, None,
                             lambda d: d),
    "type-empty": (lambda: Log(registration(), _device(type="")), WHOLE, None, lambda d: d),
    "type-lowercase": (lambda: Log(registration(), _device(type="noteRecorded")), WHOLE, None,
                       lambda d: d),
    "occurred-at-february-30": (lambda: Log(registration(), _device(
        occurred_at="2024-02-30T21:06:00+08:00")), WHOLE, None, lambda d: d),
    "sig-not-canonical-base64url": (_mixed, WHOLE, None, _edit_line(3, lambda x: re.sub(
        rb'("sig":"[A-Za-z0-9_-]{85})([AQgw])"',   # the same 64 bytes, a stray bit set
        lambda m: m.group(1) + {b"A": b"B", b"Q": b"R", b"g": b"h", b"w": b"x"}[m.group(2)]
        + b'"', x))),
    "body-non-ascii-key": (_mixed, CASE, HONEST["case"][1], _edit_line(3, lambda x: x.replace(
        b'{"note":', '{"备注":'.encode()))),
    "event-line-spaced": (_mixed, CASE, HONEST["case"][1], _edit_line(3, lambda x: x.replace(
        b'"t":"event"', b'"t": "event"'))),
    "event-line-float": (_mixed, CASE, HONEST["case"][1], _edit_line(3, lambda x: x.replace(
        b'"index":1', b'"index":1.0'))),
    "body-lone-surrogate": (_mixed, CASE, HONEST["case"][1], _edit_line(3, lambda x: x.replace(
        "占道".encode(), b"\\ud800"))),
    "body-escaped-slash": (_mixed, CASE, HONEST["case"][1], _edit_line(3, lambda x: x.replace(
        "占道".encode(), b"\\/"))),
    "body-duplicate-key": (_mixed, CASE, HONEST["case"][1], _edit_line(3, lambda x: x.replace(
        b'{"note":', b'{"note":"a","note":'))),
    "revoke-root": (lambda: Log(registration(), key_event(1, "KeyRevoked", key_id="root-1",
                                                          reason="?")), WHOLE, None, lambda d: d),
    "revoke-unknown": (lambda: Log(registration(), key_event(1, "KeyRevoked", key_id="nobody",
                                                             reason="?")), WHOLE, None,
                       lambda d: d),
    "revoke-twice": (lambda: Log(registration(), revocation(1), revocation(2)), WHOLE, None,
                     lambda d: d),
    "not-yet-valid": (lambda: Log(registration(), _registered(
        1, not_before="2024-05-10T13:00:03Z"), _by_other(2)), WHOLE, None, lambda d: d),
    "expired": (lambda: Log(registration(), _registered(
        1, not_after="2024-05-10T21:00:01+08:00"), _by_other(2)), WHOLE, None, lambda d: d),
    "root-signs-a-note": (lambda: Log(registration(), _signed(
        ROOT, event_id=_event_id(1), stream="case:C-1", type="NoteRecorded",
        signer="key:root-1", body={"note": "x"})), WHOLE, None, lambda d: d),
    "key-event-off-keys": (lambda: Log(registration(), key_event(1, "KeyRevoked",
                                                                 key_id="device-1",
                                                                 reason="?")
                                       .replace(b'"stream":"keys"', b'"stream":"case:C-1"')),
                           WHOLE, None, lambda d: d),
    "note-on-keys": (lambda: Log(registration(), note(1, stream="keys")), WHOLE, None,
                     lambda d: d),
}


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_both_verifiers_reject_each_tampered_bundle_naming_the_same_events(
        tmp_path: Path, name: str) -> None:
    make, scope, lines, edit = TAMPERED[name]
    log = make()
    kw: dict[str, Any] = {}
    if name == "keys-line-hash":
        kw["extensions"] = ["keys 1 " + "A" * 43 + "="]
    path = log.bundle(tmp_path / "b.ndjson", scope, lines=lines, **kw)
    path.write_bytes(edit(path.read_bytes()))
    assert agree(path) != 0


# ---- a time bundle's boundary witnesses (the end line's edges) ------------------------------

def _at(second: float) -> str:
    """The time forged.Log records at index ``second`` (13:00:ss), or between two indices."""
    return f"2024-05-10T13:00:{int(second):02d}.{round(second % 1 * 1e6):06d}Z"


def _time(start: str, stop: str) -> dict[str, str]:
    return {"kind": "time", "from": start, "to": stop}


# name -> (scope, the lines the exporter writes from _mixed(), the witnesses' indices)
EDGES: dict[str, tuple[dict[str, str], list[tuple[int, str]], tuple[int | None, int | None]]] = {
    "log-start": (_time("2024-05-10T12:00:00.000000Z", _at(3)), _lines([0, 1, 2, 7]),
                  (None, 3)),
    "middle": (TIME, HONEST["time"][1], (3, 8)),
    "log-end": (_time(_at(7), "2024-05-10T14:00:00.000000Z"), _lines([0, 7, 8, 9],
                                                                     anchors=[2, 6]), (6, None)),
    "empty": (_time(_at(4.5), _at(4.9)), _lines([0, 7]), (4, 5)),
    "empty-before-the-log": (_time("2024-05-10T12:00:00.000000Z", "2024-05-10T12:30:00.000000Z"),
                             _lines([0, 7]), (None, 0)),
    "empty-after-the-log": (_time(_at(20), "2024-05-10T14:00:00.000000Z"), _lines([0, 7]),
                            (9, None)),
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_both_verifiers_accept_a_time_bundle_with_its_edges(tmp_path: Path, name: str) -> None:
    scope, lines, (before, after) = EDGES[name]
    path = _mixed().bundle(tmp_path / "b.ndjson", scope, lines=lines)
    edges = json.loads(path.read_bytes().splitlines()[-1])["edges"]
    assert {k: w["receipt"]["index"] for k, w in edges.items()} == {
        k: i for k, i in (("before", before), ("after", after)) if i is not None}
    assert agree(path) == 0


def test_a_time_bundle_without_edges_verifies_with_a_note_that_its_ends_are_not_proven(
        tmp_path: Path) -> None:
    """Bundles written before the end line carried edges still verify, saying what is unproven."""
    path = _mixed().bundle(tmp_path / "b.ndjson", TIME, lines=HONEST["time"][1], edges=False)
    assert b"edges" not in path.read_bytes()
    assert agree(path) == 0
    assert any("not proven" in n for n in cleanroom.verify(path.read_bytes(), CLEAN_TRUST).notes)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert ledger_main(["verify", str(path), *PINS, "--workers", "1"]) == 0
    assert "its ends are not proven" in err.getvalue()


def _end(edit: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    """Edit the end line's value (then written canonically again, as a server would)."""
    def change(data: bytes) -> bytes:
        lines = data.split(b"\n")
        end = json.loads(lines[-2])
        edit(end)
        lines[-2] = cleanroom.jcs(end)
        return b"\n".join(lines)
    return change


def _witness(name: str, f: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    return _end(lambda end: f(end["edges"][name]))


def _recount(data: bytes) -> bytes:
    """The end line's counts made right again after event lines were dropped."""
    events = sum(b'"t":"event"}' in line for line in data.split(b"\n"))
    return re.sub(rb',"events":\d+,"t":"end"}\n$', b',"events":%d,"t":"end"}\n' % events, data)


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def edit(witness: dict) -> None:
        *parents, last = path.split(".")
        target = witness
        for name in parents:
            target = target[name]
        target[last] = value
    return edit


def _flip_proof(witness: dict) -> None:
    witness["proof"][0] = ("0" if witness["proof"][0][0] != "0" else "1") + witness["proof"][0][1:]


# name -> (EDGES entry, lines (None: its own), edit, the index both must name)
CUT_SHORT: dict[str, tuple[str, list[tuple[int, str]] | None, Callable[[bytes], bytes], int]] = {
    "first-event-dropped": ("middle", _lines([0, 5, 6, 7], anchors=[3]), _recount, 4),
    "last-event-dropped": ("log-end", _lines([0, 7, 8], anchors=[2, 6]), _recount, 9),
    "last-keys-event-dropped": ("middle", _lines([0, 4, 5, 6], anchors=[3]), _recount, 7),
    "before-dropped": ("middle", None, _end(lambda e: e["edges"].pop("before")), 3),
    "after-dropped": ("middle", None, _end(lambda e: e["edges"].pop("after")), 8),
    "empty-after-dropped": ("empty", None, _end(lambda e: e["edges"].pop("after")), 5),
    "empty-both-dropped": ("empty", None, _end(lambda e: e["edges"].clear()), 0),
    "before-recorded-at-later": ("middle", None, _witness(
        "before", _set("receipt.recorded_at", _at(4))), 3),
    "before-recorded-at-earlier": ("middle", None, _witness(
        "before", _set("receipt.recorded_at", _at(2))), 3),
    "after-recorded-at-in-range": ("middle", None, _witness(
        "after", _set("receipt.recorded_at", _at(7))), 8),
    "before-index": ("middle", None, _witness("before", _set("receipt.index", 2)), 3),
    "after-index": ("middle", None, _witness("after", _set("receipt.index", 9)), 8),
    "empty-after-index": ("empty", None, _witness("after", _set("receipt.index", 6)), 5),
    "before-proof": ("middle", None, _witness("before", _flip_proof), 3),
    "after-proof": ("log-start", None, _witness("after", _flip_proof), 3),
    "after-envelope": ("middle", None, _witness("after", _set("envelope.body", {"note": "x"})),
                       8),
    "after-malformed": ("middle", None, _witness("after", lambda w: w.pop("receipt")), 8),
}


@pytest.mark.parametrize("name", sorted(CUT_SHORT))
def test_both_verifiers_reject_a_time_bundle_cut_short_naming_the_same_index(
        tmp_path: Path, name: str) -> None:
    which, lines, edit, index = CUT_SHORT[name]
    scope, honest, _ = EDGES[which]
    path = _mixed().bundle(tmp_path / "b.ndjson", scope, lines=honest if lines is None else lines)
    path.write_bytes(edit(path.read_bytes()))
    assert agree(path) == 1
    assert index in ledger_verdict(path, PINS)[1]


# ---- bundles a real ledger exports -----------------------------------------------------------

def test_both_verifiers_agree_on_what_a_real_ledger_exports_honest_and_compromised(
        world: World, log_view: LogView, log_key: SigningKey, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scope kind exported by the ledger verifies under both; then an administrator who
    holds the database and the log key records a forged, an unregistered and a revoked
    signer's event (tests/test_tamper.py's compromised_append), and withholds a revocation
    from a case bundle: both reject each bundle, naming the same events."""
    import psycopg

    from ledger.bundle import StreamScope, StreamsScope, TimeScope
    from ledger.client import sign_envelope

    from .bundles import CASE_STREAM, export, export_all, populate, trust_file
    from .bundles import note as world_note
    from .test_tamper import compromised_append, receipt, withhold

    populate(world)
    log_view.issue_checkpoint()
    trust = trust_file(tmp_path, world, log_key)
    pins = ["--trust", str(trust)]
    clean = cleanroom.load_trust(json.loads(trust.read_text()))
    with psycopg.connect(world.owner_url) as conn:
        times = [r[0] for r in conn.execute(
            "SELECT recorded_at FROM ledger_receipts ORDER BY log_index")]
    scopes = {"case": None, "stream": StreamScope("case:OTHER-0"),
              "time": TimeScope(times[9], times[15]),
              "unit": StreamsScope("unit", "U-1", ("case:OTHER-1", "unit:U-1"))}
    for name, scope in scopes.items():
        path = tmp_path / f"{name}.ndjson"
        export(world, log_view, path, scope)
        assert agree(path, pins=pins, trust=clean) == 0, name
    export_all(world, log_view, tmp_path / "all.ndjson")
    assert agree(tmp_path / "all.ndjson", pins=pins, trust=clean) == 0
    assert b'"t":"anchor"' in (tmp_path / "time.ndjson").read_bytes()

    forged = sign_envelope(SigningKey.generate(), "app", stream=CASE_STREAM,
                           type="NoteRecorded", body={"note": "fine waived"})
    ghost = sign_envelope(SigningKey.generate(), "ghost", stream=CASE_STREAM,
                          type="NoteRecorded", body={"note": "nobody signed this"})
    stolen = world_note(world, "app2", text="cash returned")
    indices = {compromised_append(world, forged),
               compromised_append(world, ghost, monkeypatch),
               compromised_append(world, stolen, monkeypatch)}
    log_view.issue_checkpoint()
    case, whole = tmp_path / "case2.ndjson", tmp_path / "all2.ndjson"
    export(world, log_view, case)
    export_all(world, log_view, whole)
    for path in (case, whole):
        assert agree(path, pins=pins, trust=clean) == 1
        assert ledger_verdict(path, pins)[1] == indices
    _, revocation, _ = receipt(world, "keys", 4)
    withhold(case, revocation)
    assert agree(case, pins=pins, trust=clean) == 1


# Edits of the docs example (tests/test_bundle.py's), header to end line.
EXAMPLE_EDITS = {
    "header-spaced": (b'"t":"header"}\n', b'"t": "header"}\n'),
    "header-crlf": (b'"t":"header"}\n', b'"t":"header"}\r\n'),
    "checkpoint-spaced": (b'{"note":"', b'{"note" :"'),
    "consistency-spaced": (b'"t":"checkpoint"}\n', b'"t":"checkpoint"}\n{"first":1, "proof":[],'
                           b'"second":2,"t":"consistency"}\n'),
    "end-unsorted": (b'{"anchors":0,"events":2,"t":"end"}', b'{"t":"end","events":2,"anchors":0}'),
    "end-duplicate-key": (b'{"anchors":0,"events":2,"t":"end"}',
                          b'{"anchors":0,"events":9,"events":2,"t":"end"}'),
    "end-count-false": (b'{"anchors":0,"events":2,"t":"end"}',
                        b'{"anchors":false,"events":2,"t":"end"}'),
    "tree-size-true": (b'"tree_size":2', b'"tree_size":true'),
    "spec-v2": (b'"spec":"integrity-ledger/bundle/v1"', b'"spec":"integrity-ledger/bundle/v2"'),
    "not-a-bundle": (b'"t":"header"', b'"t":"heady"'),
    "origin": (b'"origin":"ledger.example.gov.cn/log"', b'"origin":"ledger.example.gov.cn/lag"'),
    "role-policy": (b'{"NoteRecorded":["case-app"]}', b'{"NoteRecorded":["finance"]}'),
    "type-not-in-policy": (b'{"NoteRecorded":["case-app"]}', b'{"NoteWritten":["case-app"]}'),
    "keys-line": (b"keys 1 ", b"keys 01 "),
    "header-duplicate-key": (b'"generator":', b'"generator":"x","generator":'),
    "scope-kind-missing": (b'"kind":"case",', b''),
    "scope-kind-number": (b'"kind":"case"', b'"kind":1'),
    "origin-missing": (b'"origin":"ledger.example.gov.cn/log",', b''),
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_EDITS))
def test_both_verifiers_judge_each_edit_of_the_docs_example_alike(tmp_path: Path,
                                                                  name: str) -> None:
    bundle, pins, trust = _docs_example()
    old, new = EXAMPLE_EDITS[name]
    assert old in bundle
    path = tmp_path / "example.ndjson"
    path.write_bytes(bundle.replace(old, new, 1))
    assert agree(path, pins=pins, trust=trust) != 0


def _cosigned(data: bytes) -> bytes:
    """The checkpoint note with a second signature, by a key the auditor does not pin."""
    from ledger.note import sign_note
    lines = data.split(b"\n")
    note = json.loads(lines[1])["note"]
    text = note[:note.index("\n\n") + 1]
    witness = sign_note(text, "witness.example/w", SigningKey(bytes([9]) * 32))
    note += witness[len(text) + 1:]
    lines[1] = cleanroom.jcs({"note": note, "t": "checkpoint"})
    return b"\n".join(lines)


def _signed_by_stranger(data: bytes) -> bytes:
    from ledger.note import sign_note
    lines = data.split(b"\n")
    note = json.loads(lines[1])["note"]
    text = note[:note.index("\n\n") + 1]
    lines[1] = cleanroom.jcs({"note": sign_note(text, ORIGIN, SigningKey(bytes([9]) * 32)),
                              "t": "checkpoint"})
    return b"\n".join(lines)


_TWO = (registration(), note(1))
_KEYS_1 = Log(*_TWO).keys_head().line()
# name -> (extensions of the checkpoint, None for the keys line the ledger writes; edit; verdict)
CHECKPOINTS = {
    "cosigned-by-a-witness": (None, _cosigned, 0),
    "signed-by-a-stranger": (None, _signed_by_stranger, 1),
    "other-extension-line": ([_KEYS_1, "witness-policy v1"], lambda d: d, 0),
    "no-keys-line": ([], lambda d: d, 0),
    "two-keys-lines": ([_KEYS_1, _KEYS_1], lambda d: d, 1),
    "keys-line-trailing-space": ([_KEYS_1 + " "], lambda d: d, 1),
    "keys-line-earlier-head": (["keys 0 " + base64.b64encode(
        hashlib.sha256(b"integrity-ledger/chain/v1:keys").digest()).decode()], lambda d: d, 1),
    "keys-0-other-hash": (["keys 0 " + "A" * 43 + "="], lambda d: d, 1),
}


@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
@pytest.mark.parametrize("scope", [CASE, WHOLE], ids=["case", "whole-log"])
def test_both_verifiers_read_a_checkpoint_alike(tmp_path: Path, name: str,
                                                scope: dict[str, Any]) -> None:
    extensions, edit, verdict = CHECKPOINTS[name]
    path = Log(*_TWO).bundle(tmp_path / "b.ndjson", scope, extensions=extensions)
    path.write_bytes(edit(path.read_bytes()))
    assert agree(path) == verdict


def _with_consistency(path: Path, log: Log, first: int) -> Path:
    """Add the consistency line an export --since-size ``first`` writes."""
    from ledger import merkle
    size = len(log.entries)
    proof = merkle.consistency_proof_from_nodes(first, size, log.nodes(size))
    lines = path.read_bytes().split(b"\n")
    lines.insert(2, fmt.consistency_line(first, size, proof).rstrip(b"\n"))
    path.write_bytes(b"\n".join(lines))
    return path


_STOLEN = (registration(), note(1), revocation(9), note(2, "罚款已退还"))
_GROWN = (registration(), note(1), registration(8, key_id="device-2", key=OTHER), note(2))
_FORK = (registration(), note(1), registration(8, key_id="device-2", key=OTHER), note(3, "另"))
# name -> (log, older checkpoint (log -> note), scope, lines, consistency from, current
#          checkpoint's extensions, verdict)
SINCE = {
    "grown-case": (_GROWN, lambda log: log.checkpoint(2), CASE, None, 2, None, 0),
    "grown-whole": (_GROWN, lambda log: log.checkpoint(2), WHOLE, None, None, None, 0),
    "same-size": (_GROWN, lambda log: log.checkpoint(), CASE, None, None, None, 0),
    "case-without-its-proof": (_GROWN, lambda log: log.checkpoint(2), CASE, None, None, None,
                               1),
    "proof-from-another-size": (_GROWN, lambda log: log.checkpoint(2), CASE, None, 1, None, 1),
    "forked-case": (_GROWN, lambda log: Log(*_FORK).checkpoint(4), CASE, None, None, None, 1),
    "forked-prefix-case": (_GROWN, lambda log: Log(*_FORK[:1], note(5)).checkpoint(2), CASE,
                           None, 2, None, 1),
    "forked-prefix-whole": (_GROWN, lambda log: Log(*_FORK[:1], note(5)).checkpoint(2), WHOLE,
                            None, None, None, 1),
    "older-is-larger": (_GROWN[:3], lambda log: Log(*_GROWN).checkpoint(), CASE, None, None,
                        None, 1),
    "older-names-the-withheld-revocation": (
        _STOLEN, lambda log: log.checkpoint(3), CASE, _lines([0, 1, 3]), 3,
        [Log(*_STOLEN[:2]).keys_head().line()], 1),
    "older-signed-by-a-stranger": (_GROWN, lambda log: _note_by_stranger(log.checkpoint(2)),
                                   CASE, None, 2, None, 1),
}


def _note_by_stranger(note: str) -> str:
    from ledger.note import sign_note
    return sign_note(note[:note.index("\n\n") + 1], ORIGIN, SigningKey(bytes([9]) * 32))


@pytest.mark.parametrize("name", sorted(SINCE))
def test_both_verifiers_judge_a_bundle_since_an_older_checkpoint_alike(tmp_path: Path,
                                                                       name: str) -> None:
    entries, older, scope, lines, first, extensions, verdict = SINCE[name]
    log = Log(*entries)
    path = log.bundle(tmp_path / "b.ndjson", scope, lines=lines, extensions=extensions)
    if first is not None:
        _with_consistency(path, log, first)
    note = older(log)
    (tmp_path / "older.note").write_text(note, encoding="utf-8")
    code, named, out = ledger_verdict(path, [*PINS, "--since", str(tmp_path / "older.note")])
    clean = cleanroom.verify(path.read_bytes(), CLEAN_TRUST, since=note)
    cnamed = {int(m.group(1)) for p in clean.problems if (m := INDEX.match(p))}
    assert (code, named) == (clean.code, cnamed), f"ledger verify:\n{out}\nclean: {clean}"
    assert code == verdict


def test_the_clean_room_merkle_and_note_code_passes_the_published_vectors() -> None:
    """Its own correctness, apart from the ledger's: transparency-dev/merkle's inclusion and
    consistency vectors (every want_error refused, every other accepted), C2SP's signed note,
    cyberphone's RFC 8785 files (those without floats: the ledger has none)."""
    vectors = json.loads((Path(__file__).parent / "vectors" /
                          "transparency_and_jcs_vectors.json").read_text(encoding="utf-8"))
    for c in vectors["inclusion"]["cases"]:
        why = cleanroom.verify_inclusion(bytes.fromhex(c["leaf_hash"]), c["leaf_index"],
                                         c["tree_size"], [bytes.fromhex(h) for h in c["proof"]],
                                         bytes.fromhex(c["root"]))
        assert (why is not None) == c["want_error"], c["file"]
    for c in vectors["consistency"]["cases"]:
        why = cleanroom.verify_consistency(c["size1"], c["size2"],
                                           [bytes.fromhex(h) for h in c["proof"]],
                                           bytes.fromhex(c["root1"]), bytes.fromhex(c["root2"]))
        assert (why is not None) == c["want_error"], c["file"]
    note = vectors["signed_note"]
    trust = cleanroom.trust_from_vkeys([note["vkey"]], {})
    assert cleanroom.open_note(note["note"], trust.log_keys) == note["note_text_signed"]
    checked = 0
    for c in vectors["jcs"]["files"]["cases"]:
        try:
            value = json.loads(c["input"], parse_float=cleanroom._no_float)
        except ValueError:
            continue                                     # holds a float
        assert cleanroom.jcs(value).hex() == c["expected_hex"], c["name"]
        checked += 1
    assert checked >= 3


# name -> (log, verdict): key windows at their edges (recorded_at 2024-05-10T13:00:02Z)
WINDOWS = {
    "not-after-that-instant": (lambda: Log(registration(), _registered(
        1, not_after="2024-05-10T21:00:02+08:00"), _by_other(2)), 0),
    "not-before-that-instant": (lambda: Log(registration(), _registered(
        1, not_before="2024-05-10T13:00:02Z"), _by_other(2)), 0),
    "not-after-a-microsecond-before": (lambda: Log(registration(), _registered(
        1, not_after="2024-05-10T13:00:01.999999Z"), _by_other(2)), 1),
    "used-at-the-next-index": (lambda: Log(registration(), note(1)), 0),
}


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_both_verifiers_judge_a_keys_window_at_its_edges_alike(tmp_path: Path,
                                                                name: str) -> None:
    make, verdict = WINDOWS[name]
    assert agree(make().bundle(tmp_path / "b.ndjson", WHOLE)) == verdict


def test_both_verifiers_judge_roles_by_a_pinned_policy(tmp_path: Path) -> None:
    """A pinned table wins over the header's; a type missing from it is a failure."""
    path = Log(registration(), note(1)).bundle(tmp_path / "b.ndjson", CASE)
    for table, verdict in (({"NoteRecorded": ["case-app"]}, 0),
                           ({"NoteRecorded": ["finance"]}, 1), ({"Other": ["case-app"]}, 1)):
        policy = tmp_path / "policy.json"
        policy.write_text(json.dumps({"signer_roles": table}))
        code, named, out = ledger_verdict(path, [*PINS, "--policy", str(policy)])
        clean = cleanroom.verify(path.read_bytes(), CLEAN_TRUST, table)
        assert (code, clean.code) == (verdict, verdict), (out, clean)


def _mutations(data: bytes, rng: Any) -> bytes:
    """One random edit of a bundle: a JSON value of a line replaced, removed or nudged, or a
    line swapped, dropped or repeated — a seeded sample of what a careless or hostile
    exporter writes."""
    lines = data.split(b"\n")[:-1]
    if rng.random() < 0.2:
        i, j = rng.randrange(2, len(lines)), rng.randrange(2, len(lines))
        choice = rng.randrange(3)
        if choice == 0:
            lines[i], lines[j] = lines[j], lines[i]
        elif choice == 1:
            del lines[i]
        else:
            lines.insert(i, lines[j])
        return b"\n".join(lines) + b"\n"
    n = rng.randrange(len(lines))
    value = json.loads(lines[n])
    paths, stack = [], [((), value)]
    while stack:
        path, v = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, x in items:
            paths.append(path + (k,))
            stack.append((path + (k,), x))
    path = rng.choice(paths)
    parent = value
    for k in path[:-1]:
        parent = parent[k]
    old, r = parent[path[-1]], rng.random()
    if r < 0.15 and isinstance(parent, dict):
        del parent[path[-1]]
    elif r < 0.35 and isinstance(old, str) and old:
        i = rng.randrange(len(old))
        parent[path[-1]] = old[:i] + rng.choice("0Aa:Z占") + old[i + 1:]
    elif r < 0.45 and type(old) is int:
        parent[path[-1]] = old + rng.choice((-1, 1))
    else:
        parent[path[-1]] = rng.choice([None, True, 0, 1, 2, -1, "", "x", "keys", "case:C-1",
                                       "case:C-2", [], {}, "0" * 64, "key:device-1",
                                       "key:root-1", "KeyRevoked", "2024-05-10T13:00:05.000000Z"])
    lines[n] = cleanroom.jcs(value)
    return b"\n".join(lines) + b"\n"


def test_both_verifiers_judge_random_edits_alike(tmp_path: Path) -> None:
    """A differential check beyond the cases above: 300 seeded random edits of honest bundles
    of every scope kind, on which both verifiers must exit alike (0, 1 or 2) and name the same
    log indices. Before docs/bundle.md said what exit 2 covers, that a header's other tree size
    does not stop the verification, that lines after the end line are not read and that a
    malformed envelope is still its index's event, 1,200 such edits gave 57 exit codes and 90
    sets of named indices apart (the clean room followed the page)."""
    import random
    rng = random.Random(20261128)
    bases = [_mixed().bundle(tmp_path / f"{kind}.ndjson", scope, lines=lines).read_bytes()
             for kind, (scope, lines) in sorted(HONEST.items())]
    path, codes = tmp_path / "m.ndjson", set()
    for _ in range(300):
        data = rng.choice(bases)
        path.write_bytes(_mutations(data, rng))
        code, named, out = ledger_verdict(path, PINS)
        clean, cnamed, problems = clean_verdict(path, CLEAN_TRUST)
        assert (code, named) == (clean, cnamed), (path.read_bytes(), out, problems)
        codes.add(code)
    assert {1, 2} <= codes          # both kinds of refusal were exercised


# ---- signed stream heads (the end line's `heads`) --------------------------------------------

# scope -> the streams it holds whole (keys among them), in _mixed()
WHOLE_STREAMS = {"case": ("case:C-1", "keys"), "stream": ("case:C-2", "keys"),
                 "officer": ("case:C-1", "officer:O-1", "keys"), "unit": ("unit:U-1", "keys")}
STRANGER = SigningKey(bytes([9]) * 32)


def _heads(streams: tuple[str, ...], *, size: int | None = None, root: bytes | None = None,
           key: SigningKey = LOG, edit: Callable[[str], str] = lambda t: t) -> str:
    """The heads note of ``streams`` in _mixed(), signed by ``key`` after ``edit`` of its
    text (so only the content is wrong), bound to a tree of ``size`` or ``root``."""
    from dataclasses import replace

    from ledger.note import sign_note
    heads = _mixed().heads(streams)
    heads = replace(heads, size=heads.size if size is None else size,
                    root=heads.root if root is None else root)
    return sign_note(edit(heads.to_text()), ORIGIN, key)


def _with_heads(tmp_path: Path, kind: str, note: str | None = None,
                lines: list[tuple[int, str]] | None = None) -> Path:
    scope, honest = HONEST[kind]
    return _mixed().bundle(tmp_path / "b.ndjson", scope, lines=honest if lines is None else lines,
                           heads=_heads(WHOLE_STREAMS[kind]) if note is None else note)


@pytest.mark.parametrize("kind", sorted(WHOLE_STREAMS))
def test_both_verifiers_accept_a_bundle_whose_streams_end_at_the_signed_heads(
        tmp_path: Path, kind: str) -> None:
    assert agree(_with_heads(tmp_path, kind)) == 0


def test_a_scoped_bundle_without_heads_verifies_with_a_note_that_its_tails_are_unproven(
        tmp_path: Path) -> None:
    path = _mixed().bundle(tmp_path / "b.ndjson", CASE, lines=HONEST["case"][1])
    assert agree(path) == 0
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert ledger_main(["verify", str(path), *PINS, "--workers", "1"]) == 0
    assert "the end line carries no signed heads" in err.getvalue()


_LAST_C1 = "head case:C-1 4 "
# name -> (scope kind, heads note, lines held (None: the honest ones)); each must fail
HEADS_TAMPERED: dict[str, tuple[str, Callable[[], str], list[tuple[int, str]] | None]] = {
    # case:C-1's last event (index 9) left out; the end line's counts follow
    "last-event-withheld": ("case", lambda: _heads(WHOLE_STREAMS["case"]),
                            _lines([0, 1, 3, 6, 7])),
    "officer-last-event-withheld": ("officer", lambda: _heads(WHOLE_STREAMS["officer"]),
                                    _lines([0, 1, 2, 3, 6, 7, 9])),
    "head-version-edited": ("case", lambda: _heads(WHOLE_STREAMS["case"], edit=lambda t: t.replace(
        _LAST_C1, "head case:C-1 5 ")), None),
    "head-index-edited": ("case", lambda: _heads(WHOLE_STREAMS["case"], edit=lambda t: re.sub(
        r"(head case:C-1 4 \S+) 9\n", r"\1 8\n", t)), None),
    "head-chain-edited": ("case", lambda: _heads(WHOLE_STREAMS["case"], edit=lambda t: re.sub(
        r"head case:C-1 4 \S+", "head case:C-1 4 " + "A" * 43 + "=", t)), None),
    "stream-held-not-named": ("case", lambda: _heads(("keys",)), None),
    "stream-named-not-held": ("stream", lambda: _heads(("case:C-1", "case:C-2", "keys")), None),
    "wrong-tree-size": ("case", lambda: _heads(WHOLE_STREAMS["case"], size=11), None),
    "wrong-root": ("case", lambda: _heads(WHOLE_STREAMS["case"], root=bytes(32)), None),
    "signed-by-another-key": ("case", lambda: _heads(WHOLE_STREAMS["case"], key=STRANGER),
                              None),
    "not-a-string": ("case", lambda: 7, None),       # type: ignore[return-value]
    "unsorted-head-lines": ("case", lambda: _heads(WHOLE_STREAMS["case"], edit=lambda t: re.sub(
        r"(head case:C-1 [^\n]*\n)(head keys [^\n]*\n)", r"\2\1", t)), None),
    "a-checkpoint-not-heads": ("case", lambda: _mixed().checkpoint(), None),
}


@pytest.mark.parametrize("name", sorted(HEADS_TAMPERED))
def test_both_verifiers_reject_a_bundle_whose_streams_do_not_end_at_the_signed_heads(
        tmp_path: Path, name: str) -> None:
    kind, note, lines = HEADS_TAMPERED[name]
    assert agree(_with_heads(tmp_path, kind, note(), lines)) == 1


def test_ledger_verify_names_the_withheld_version_of_the_stream(tmp_path: Path) -> None:
    kind, note, lines = HEADS_TAMPERED["last-event-withheld"]
    _, _, out = ledger_verdict(_with_heads(tmp_path, kind, note(), lines), PINS)
    assert ("stream case:C-1: version 4 of 4 named by the signed heads is absent — the "
            "stream's tail may be withheld") in out.splitlines()


@pytest.mark.parametrize("kind", ["time", "all"])
def test_both_verifiers_leave_heads_unchecked_where_the_scope_holds_no_stream_whole(
        tmp_path: Path, kind: str) -> None:
    """A time bundle's streams are partial, a whole-log bundle holds every leaf: neither
    carries heads, and one written there is not what proves them (a note says so)."""
    scope, lines = HONEST[kind]
    path = _mixed().bundle(tmp_path / "b.ndjson", scope, lines=lines,
                           heads=_heads(("case:C-1", "keys")))
    assert agree(path) == 0


def test_both_verifiers_accept_the_config_streams_a_bundle_of_whole_streams_carries(
        tmp_path: Path) -> None:
    """A case, stream, officer or unit bundle carries every config: stream whole, as it
    carries keys (docs/bundle.md, Scopes): the city's published parameters, which `ledger
    flags` needs. Both verifiers take them in any of these scopes; another stream outside the
    scope still fails in both."""
    log = Log(registration(), note(1), note(2, stream="config:calendar"), note(3),
              note(4, stream="case:C-2"), note(5, stream="officer:O-1"),
              note(6, stream="config:calendar"))
    officer = {"kind": "officer", "officer": "O-1", "streams": ["officer:O-1"]}
    for scope, indices in ((CASE, [0, 1, 2, 3, 6]), (STREAM, [0, 2, 4, 6]),
                           (officer, [0, 2, 5, 6])):
        path = log.bundle(tmp_path / "b.ndjson", scope, lines=_lines(indices))
        assert agree(path) == 0, scope["kind"]
    path = log.bundle(tmp_path / "b.ndjson", CASE, lines=_lines([0, 1, 2, 3, 4, 6]))
    assert agree(path) == 1                                  # case:C-2 is outside the scope


def test_both_verifiers_accept_the_flag_streams_a_case_officer_or_unit_bundle_carries(
        tmp_path: Path) -> None:
    """A case, officer or unit bundle carries whole the flag: streams of the flags about its
    subject — the inspectors' dispositions (docs/bundle.md, Scopes) — named by the signed heads
    like its own streams. Both verifiers take them in these scopes; a stream bundle carries
    none, and both refuse one there; a flag stream's withheld tail fails in both."""
    flag = "flag:RF05.b-0123456789abcdef01234567"
    log = Log(registration(), note(1), note(2, stream=flag), note(3),
              note(4, stream="officer:O-1"), note(5, stream="unit:U-1"), note(6, stream=flag))
    officer = {"kind": "officer", "officer": "O-1", "streams": ["officer:O-1"]}
    unit = {"kind": "unit", "unit": "U-1", "streams": ["unit:U-1"]}
    for scope, indices, own in ((CASE, [0, 1, 2, 3, 6], ("case:C-1",)),
                                (officer, [0, 2, 4, 6], ("officer:O-1",)),
                                (unit, [0, 2, 5, 6], ("unit:U-1",))):
        streams = (*own, flag, "keys")
        path = log.bundle(tmp_path / "b.ndjson", scope, lines=_lines(indices),
                          heads=sign_heads(log.heads(streams)))
        assert agree(path) == 0, scope["kind"]
        # the flag stream's last disposition withheld: its head names version 2
        path = log.bundle(tmp_path / "b.ndjson", scope, lines=_lines(indices[:-1]),
                          heads=sign_heads(log.heads(streams)))
        assert agree(path) == 1, scope["kind"]
    stream = {"kind": "stream", "stream": "case:C-1"}
    path = log.bundle(tmp_path / "b.ndjson", stream, lines=_lines([0, 1, 2, 3, 6]))
    assert agree(path) == 1                        # a stream bundle carries no flag: stream


def sign_heads(heads: Any) -> str:
    from ledger.note import sign_note
    return sign_note(heads.to_text(), ORIGIN, LOG)
