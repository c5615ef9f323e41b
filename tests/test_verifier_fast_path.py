"""The verifier's fast paths decline what they must: one bad line among many good ones is
reported for exactly that line, with the reason the line-by-line checks give.

Bundles are built in memory (no database): every event is correctly signed over its own bytes,
chained and included, so a defect that a fast path let through would verify as OK.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.crypto import SigningKey, b64url_encode
from ledger.verify import BundleFailed, jcs, verify_bundle
from ledger.verify import lines as bundle_lines

from .forged import DEVICE, ROOT, TRUST, Log, cli, failures_of

EVENTS = 40
BAD_AT = 17                      # log index of the defective event (index 0 registers the key)


def _envelope(i: int, body: bytes, *, key: SigningKey = DEVICE, signer: str = "device-1",
              stream: str | None = None, event_type: str = "NoteRecorded") -> bytes:
    """Envelope bytes in canonical layout around ``body`` (taken as is), signed over
    themselves without the sig member, as the ledger signs."""
    head = b'{"body":' + body + (
        f',"event_id":"01900000-0000-7000-8000-{i:012x}",'
        f'"occurred_at":"2024-05-10T21:06:00+08:00"').encode()
    tail = (f',"signer":"key:{signer}","spec":"integrity-ledger/event/v1",'
            f'"stream":"{stream or f"case:C-{i % 7}"}","type":"{event_type}"}}').encode()
    sig = b64url_encode(key.sign(head + tail)).encode()
    return head + b',"sig":"' + sig + b'"' + tail


def _registration() -> bytes:
    body = jcs.dumps({"key_id": "device-1", "not_after": None, "not_before": None,
                      "principal": "device:1", "public_key": b64url_encode(DEVICE.public_key),
                      "roles": ["case-app"]})
    return _envelope(0, body, key=ROOT, signer="root-1", stream="keys",
                     event_type="KeyRegistered")


def _good_body(i: int) -> bytes:
    return jcs.dumps({"amount_fen": 20000 + i, "location": {"district": "黄浦区"},
                      "note": f"占道设摊经营，第 {i} 号 \"记录\"", "officers": [f"SH-{i}"]})


def _bundle(path: Path, envelopes: list[bytes]) -> Path:
    """A whole-log bundle of ``envelopes`` (index = position), correct in every other way."""
    return Log(*envelopes).bundle(path)


def test_a_bundle_of_good_bodies_verifies(tmp_path: Path) -> None:
    envelopes = [_registration()] + [_envelope(i, _good_body(i)) for i in range(1, EVENTS)]
    assert verify_bundle(_bundle(tmp_path / "b.ndjson", envelopes), TRUST,
                         workers=0).events == EVENTS


BAD_BODIES = {
    "float": (b'{"amount":1.5}', "not a JSON line: floats are not allowed (found 1.5)"),
    "exponent": (b'{"amount":1e5}', "not a JSON line: floats are not allowed (found 1e5)"),
    "NaN": (b'{"amount":NaN}', "not a JSON line: NaN is not valid JSON"),
    "big integer": (b'{"amount":9007199254740992}',
                    "not a JSON line: integer 9007199254740992 is outside"),
    "big negative integer": (b'{"amount":-9007199254740992}',
                             "not a JSON line: integer -9007199254740992 is outside"),
    "invalid UTF-8": (b'{"note":"\xed\xa0\x80"}', "not a JSON line: not valid UTF-8"),
}


@pytest.mark.parametrize("name", BAD_BODIES)
def test_a_body_the_parser_refuses_is_reported_for_its_line_alone(tmp_path: Path,
                                                                  name: str) -> None:
    body, reason = BAD_BODIES[name]
    envelopes = [_registration()] + [_envelope(i, body if i == BAD_AT else _good_body(i))
                                     for i in range(1, EVENTS)]
    failures = failures_of(_bundle(tmp_path / "b.ndjson", envelopes))
    assert failures[0].startswith(f"line {BAD_AT + 3}: {reason}")
    assert [f for f in failures if f.startswith(("line", "index"))] == [failures[0]]


NON_CANONICAL_BODIES = {
    "whitespace": (b'{"a": 1}', "stored envelope is not RFC 8785 canonical JSON"),
    "key order": (b'{"b":1,"a":2}', "stored envelope is not RFC 8785 canonical JSON"),
    "duplicate key": (b'{"a":1,"a":1}', "stored envelope is not RFC 8785 canonical JSON"),
    "escaped astral character": (b'{"a":"\\ud83d\\ude02"}',
                                 "stored envelope is not RFC 8785 canonical JSON"),
    "lone surrogate": (b'{"a":"\\ud800"}',
                       "envelope cannot be canonicalised: a string holds a lone surrogate"),
    "non-ASCII key": ('{"a":"黄浦区","区":1}'.encode(), "envelope has a non-ASCII object key"),
    "non-ASCII key, escaped quotes about": ('{"a":"\\"区\\"","b":{"\\"区":1}}'.encode(),
                                            "envelope has a non-ASCII object key"),
    "nested non-ASCII key": ('{"a":[{"ok":"区"},{"区":"ok"}]}'.encode(),
                             "envelope has a non-ASCII object key"),
}


@pytest.mark.parametrize("name", NON_CANONICAL_BODIES)
def test_a_non_canonical_body_is_reported_for_its_event_alone(tmp_path: Path,
                                                              name: str) -> None:
    body, reason = NON_CANONICAL_BODIES[name]
    envelopes = [_registration()] + [_envelope(i, body if i == BAD_AT else _good_body(i))
                                     for i in range(1, EVENTS)]
    failures = failures_of(_bundle(tmp_path / "b.ndjson", envelopes))
    events = [f for f in failures if f.startswith("index ")]
    assert len(events) == 1
    assert events[0].startswith(f"index {BAD_AT} event 01900000-0000-7000-8000-{BAD_AT:012x}: ")
    assert reason in events[0]


def test_bodies_that_pair_up_only_across_lines_are_each_reported(tmp_path: Path) -> None:
    # Joined by commas, these read as three whole objects; on their own, none is one.
    pieces = {BAD_AT: b'{"a":1},{"b":2}', BAD_AT + 1: b'{"c":[{"d":1}', BAD_AT + 2: b'{"e":2}]}'}
    envelopes = [_registration()] + [_envelope(i, pieces.get(i, _good_body(i)))
                                     for i in range(1, EVENTS)]
    failures = failures_of(_bundle(tmp_path / "b.ndjson", envelopes))
    assert [f.split(":")[0] for f in failures if f.startswith(("line ", "index "))] == [
        f"line {BAD_AT + 3}", f"line {BAD_AT + 4}", f"line {BAD_AT + 5}"]


def test_canonical_objects_checks_each_text_as_if_alone() -> None:
    texts = [_good_body(i) for i in range(30)]
    bad = [b'{"a":1.5}', b'{"a":9007199254740992}', b'{"a":-9007199254740992}', b'{"a": 1}',
           b'{"a":1,"a":1}', '{"区":1}'.encode(), b'{"a":"\\ud800"}', b'{"a":NaN}',
           b'{"a":1},{"b":2}', b'{"c":[{"d":1}', b'{"e":2}]}', b'{"a":1}\n{"b":1}', b'{"a":"\xff"}',
           b'{"a":"\xef\xbb\xbf"}\xef\xbb\xbf']
    values = jcs.canonical_objects(texts)
    assert values == [jcs.loads(t) for t in texts]
    for b in bad:
        for at in (0, 13, 30):
            mixed = texts[:at] + [b] + texts[at:]
            assert jcs.canonical_objects(mixed) == values[:at] + [None] + values[at:], (b, at)


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("block_size", [2048, 300])     # a few lines a block; part of one
def test_lines_are_numbered_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          workers: int, block_size: int) -> None:
    monkeypatch.setattr(bundle_lines, "BLOCK_SIZE", block_size)
    envelopes = [_registration()] + [_envelope(i, b'{"a":1.5}' if i in (5, 31) else
                                               _good_body(i)) for i in range(1, EVENTS)]
    path = _bundle(tmp_path / "b.ndjson", envelopes)
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(path, TRUST, workers=workers)
    assert [f for f in failed.value.failures if f.startswith("line ")] == [
        "line 8: not a JSON line: floats are not allowed (found 1.5)",
        "line 34: not a JSON line: floats are not allowed (found 1.5)"]


@pytest.mark.parametrize("event_id", [b'"\\ud800"', b'"x\\nOK: forged"'])
def test_an_event_id_that_is_no_uuid_is_not_echoed_into_the_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, event_id: bytes) -> None:
    envelopes = [_registration()] + [_envelope(i, _good_body(i)) for i in range(1, EVENTS)]
    real = f'"01900000-0000-7000-8000-{BAD_AT:012x}"'.encode()
    envelopes[BAD_AT] = envelopes[BAD_AT].replace(real, event_id)
    code, out = cli(_bundle(tmp_path / "b.ndjson", envelopes), monkeypatch)
    assert code == 1
    assert f"index {BAD_AT}: envelope.event_id must be a lowercase hyphenated UUID" in out
    assert out.splitlines()[-1].startswith("FAILED: ")
    assert "OK: forged" not in out


@pytest.mark.parametrize("officer, verdict", [("\ud800", "FAILED"),   # its header is not canonical
                                              ("x\nOK: forged", "OK")])
def test_a_scope_that_cannot_be_printed_is_escaped_in_the_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, officer: str, verdict: str) -> None:
    streams = [f"case:C-{i}" for i in range(7)]
    envelopes = [_registration()] + [_envelope(i, _good_body(i)) for i in range(1, EVENTS)]
    path = Log(*envelopes).bundle(tmp_path / "b.ndjson", {
        "kind": "officer", "officer": "OFFICER", "streams": [*streams, "officer:OFFICER"]})
    header, rest = path.read_bytes().split(b"\n", 1)
    escaped = json.dumps(officer)[1:-1].encode()              # \ud800, x\nOK: forged
    path.write_bytes(header.replace(b"OFFICER", escaped) + b"\n" + rest)
    code, out = cli(path, monkeypatch)
    assert code == (0 if verdict == "OK" else 1)
    assert out.splitlines()[-1] == (f"{verdict}: {EVENTS} events (1 key events) in 8 streams, "
                                    f"0 anchors; scope kind=officer, officer={officer!r}, "
                                    f"streams={[*streams, 'officer:' + officer]}; checkpoint tree "
                                    f"size {EVENTS}")
    assert "OK: forged" not in out.splitlines()


@pytest.mark.parametrize("stream", ["case:A/./B", "case:A/../B", "case:A//B", "case:A/"])
def test_a_stream_a_url_path_rewrites_is_reported_for_its_event_alone(tmp_path: Path,
                                                                       stream: str) -> None:
    """The ledger refuses such a stream (ledger/grammar.py, ID); the fast path's line pattern
    declines it as the line-by-line checks do."""
    envelopes = [_registration()] + [
        _envelope(i, _good_body(i), stream=stream if i == BAD_AT else None)
        for i in range(1, EVENTS)]
    failures = failures_of(_bundle(tmp_path / "b.ndjson", envelopes))
    assert [f for f in failures if f.startswith(("line", "index"))] == [
        f"index {BAD_AT} event 01900000-0000-7000-8000-{BAD_AT:012x}: envelope.stream must be "
        "'<kind>:<id>' or 'keys'"]
