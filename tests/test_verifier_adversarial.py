"""Bundles an adversary crafts: a server that holds the database and the log key (it signs any
checkpoint it likes) but none of the devices' or the root's private keys. Every event below is
correctly signed, chained, hashed into its leaf and proved in the checkpoint, so a defect the
verifier does not look for verifies as OK.

Built in memory (no database): ``tests/forged.py``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ledger.bundle import StreamScope, StreamsScope, TimeScope, WholeLog
from ledger.canonical import parse_strict
from ledger.crypto import SigningKey, b64url_encode
from ledger.errors import MalformedEvent
from ledger.verify import BundleFailed, InvalidBundle, jcs, verify_bundle
from ledger.verify import format as fmt
from ledger.verify import lines as bundle_lines

from .forged import DEVICE, ROOT, TRUST, WHOLE, Log, cli, failures_of

CASE = {"kind": "case", "case": "C-1", "stream": "case:C-1"}
OTHER = SigningKey(bytes([7]) * 32)          # a second device's key


def _event_id(i: int) -> str:
    return f"01900000-0000-7000-8000-{i:012x}"


def _signed(key: SigningKey, **fields: Any) -> bytes:
    env = {"spec": "integrity-ledger/event/v1", "occurred_at": "2024-05-10T21:06:00+08:00",
           **fields}
    return jcs.dumps({**env, "sig": b64url_encode(key.sign(jcs.dumps(env)))})


def note(i: int, text: str = "占道设摊经营", *, stream: str = "case:C-1") -> bytes:
    return _signed(DEVICE, event_id=_event_id(i), stream=stream, type="NoteRecorded",
                   signer="key:device-1", body={"note": text})


def registration(i: int = 0, *, key_id: str = "device-1", key: SigningKey = DEVICE,
                 not_after: str | None = None, by: SigningKey = ROOT,
                 signer: str = "root-1") -> bytes:
    """``key`` registered as ``key_id`` (by the root, unless ``by`` says who signs)."""
    return _signed(by, event_id=_event_id(i), stream="keys", type="KeyRegistered",
                   signer=f"key:{signer}",
                   body={"key_id": key_id, "not_after": not_after, "not_before": None,
                         "principal": key_id, "public_key": b64url_encode(key.public_key),
                         "roles": ["case-app"]})


def test_the_adversarys_honest_log_verifies(tmp_path: Path) -> None:
    log = Log(registration(), note(1), note(2), note(3))
    for scope in (CASE, WHOLE):
        assert verify_bundle(log.bundle(tmp_path / "b.ndjson", scope), TRUST,
                             workers=0).events == 4


@pytest.mark.parametrize("scope", [CASE, WHOLE], ids=["case", "whole-log"])
@pytest.mark.parametrize("between", [0, 2], ids=["next-version", "later"])
def test_a_signed_event_replayed_at_a_second_log_index_is_named(tmp_path: Path,
                                                                scope: dict[str, Any],
                                                                between: int) -> None:
    """The ledger records an event id once (ledger_receipts.event_id is UNIQUE): a signed
    payment recorded twice is a forged second payment, however well it chains."""
    paid = note(1, "罚款已缴 200 元")
    log = Log(registration(), paid, *(note(10 + i) for i in range(between)), paid)
    replay = 2 + between
    failures = failures_of(log.bundle(tmp_path / "b.ndjson", scope))
    assert failures == [f"index {replay} event {_event_id(1)}: event id already appears earlier "
                        "in the bundle (the ledger records an event once: a replayed or "
                        "duplicated event)"]


def test_two_envelopes_with_one_event_id_on_two_streams_are_named(tmp_path: Path) -> None:
    log = Log(registration(), note(1, "a"), note(1, "b", stream="case:C-2"))
    failures = failures_of(log.bundle(tmp_path / "b.ndjson", WHOLE))
    assert failures == [f"index 2 event {_event_id(1)}: event id already appears earlier in the "
                        "bundle (the ledger records an event once: a replayed or duplicated "
                        "event)"]


def test_a_case_bundle_whose_scope_names_another_stream_than_the_case_is_named(
        tmp_path: Path) -> None:
    """The OK line says ``case=C-1``; the events were those of another case."""
    log = Log(registration(), note(1, stream="case:C-2"), note(2, stream="case:C-2"))
    failures = failures_of(log.bundle(tmp_path / "b.ndjson", {
        "kind": "case", "case": "C-1", "stream": "case:C-2"}))
    assert failures == ["bundle: the scope names case 'C-1' and stream 'case:C-2'; a case bundle "
                        "holds stream 'case:C-1'"]


@pytest.mark.parametrize("workers", [0, 2])
def test_a_receipt_time_in_other_scripts_digits_is_reported_for_its_line_not_a_crash(
        tmp_path: Path, workers: int) -> None:
    """``\\d`` matches Arabic-Indic digits too: the receipt's check let them through, and
    rebuilding the line (ASCII) raised UnicodeEncodeError out of the verifier."""
    path = Log(registration(), note(1)).bundle(tmp_path / "b.ndjson")
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"recorded_at":"2024', '"recorded_at":"٢٠٢٤'.encode(), 1)
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(path, TRUST, workers=workers)
    assert "line 4: index 1: receipt.recorded_at must be YYYY-MM-DDTHH:MM:SS.ffffffZ" \
        in failed.value.failures


@pytest.mark.parametrize("field", ["index", "stream_version"])
def test_a_receipt_integer_beyond_2_53_is_reported_as_not_canonical(tmp_path: Path,
                                                                    field: str) -> None:
    """Every line is canonical JSON, integers within ±(2^53-1): the fast path read up to 16
    digits, so such a line was judged on its other merits instead."""
    path = Log(registration(), note(1)).bundle(tmp_path / "b.ndjson")
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"%s":1' % field.encode(),        # both are 1 at index 1
                                b'"%s":9007199254740993' % field.encode(), 1)
    path.write_bytes(b"\n".join(lines))
    assert "line 4: not a JSON line: integer 9007199254740993 is outside ±(2^53-1)" \
        in failures_of(path)


@pytest.mark.parametrize("workers", [0, 2])
def test_an_integer_longer_than_python_converts_is_named_not_a_crash(tmp_path: Path,
                                                                     workers: int) -> None:
    """Python's int() refuses a decimal string of more than 4,300 digits with a ValueError,
    which escaped the JSON parser's guards: a traceback, exit 1 with no line named."""
    path = Log(registration(), note(1)).bundle(tmp_path / "b.ndjson")
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"index":1', b'"index":' + b"9" * 5000, 1)
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(path, TRUST, workers=workers)
    assert f"line 4: not a JSON line: integer {'9' * 20}… (5000 characters) is outside " \
        "±(2^53-1)" in failed.value.failures
    lines[0] = b'{"spec":-' + b"9" * 5000 + b"}"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InvalidBundle, match=r"^line 1 is not a bundle header: integer -9{19}… "
                                            r"\(5001 characters\) is outside ±\(2\^53-1\)$"):
        verify_bundle(path, TRUST, workers=workers)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_bundle_whose_last_line_lacks_its_newline_fails(tmp_path: Path, workers: int) -> None:
    """Each line ends in a newline: a bundle without its last byte is cut short."""
    path = Log(registration(), note(1)).bundle(tmp_path / "b.ndjson")
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(path, TRUST, workers=workers)
    assert failed.value.failures == ["bundle: the last line does not end in a newline (cut short)"]


@pytest.mark.parametrize("scope, named", [
    (b'{"kind":"officer","officer":"x\\nOK: forged","streams":["case:C-9"]}',
     "(officer x\\nOK: forged)"),
    (b'{"kind":"stream","stream":"case:C-9\\nOK: forged"}', "(case:C-9\\nOK: forged)"),
    (b'{"from":"2025\\nOK: forged","kind":"time","to":"2026"}',
     "range [2025\\nOK: forged, 2026)"),
    (b'{"kind":"stream","stream":"case:C-9\\ud800"}', "(case:C-9\\ud800)"),
])
def test_scope_text_in_a_failure_line_is_escaped_not_a_forged_line_or_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scope: bytes, named: str) -> None:
    """The header is not signed: its scope, quoted in the line of an event outside it, printed a
    line of the adversary's choosing, or (a lone surrogate) crashed the output."""
    path = Log(registration(), note(1)).bundle(tmp_path / "b.ndjson", CASE)
    path.write_bytes(path.read_bytes().replace(
        b'"scope":{"case":"C-1","kind":"case","stream":"case:C-1"}', b'"scope":' + scope, 1))
    code, out = cli(path, monkeypatch)
    assert code == 1
    lines = out.splitlines()
    assert [line for line in lines if line.startswith(f"index 1 event {_event_id(1)}: ")
            and named in line]
    assert lines[-1].startswith("FAILED: ")
    assert not [line for line in lines if line.startswith("OK")]


def test_a_time_range_not_in_the_ledgers_utc_form_is_named(tmp_path: Path) -> None:
    """The range is compared as text, which orders only the fixed-width UTC form: a 'to' of
    Beijing midnight, written with its offset, let events of the next 8 hours through while the
    OK line showed the range the auditor asked for."""
    log = Log(registration(), note(1))          # recorded 2024-05-10T13:00:01Z = 21:00 +08:00
    failures = failures_of(log.bundle(tmp_path / "b.ndjson", {
        "kind": "time", "from": "2024-05-10T00:00:00+08:00", "to": "2024-05-10T20:00:00+08:00"}))
    assert "bundle: the time scope's from and to must be UTC in the ledger's form " \
        "YYYY-MM-DDTHH:MM:SS.ffffffZ, found '2024-05-10T00:00:00+08:00' and " \
        "'2024-05-10T20:00:00+08:00'" in failures


def test_an_event_inside_a_time_range_passed_off_as_an_anchor_is_named(tmp_path: Path) -> None:
    """An anchor's signature is not judged; the first event of a range, sent as the anchor of
    the next, escaped every check of step 2 and 3, and the range looked whole."""
    log = Log(registration(), note(1), note(2), note(3))
    scope = {"kind": "time", "from": "2024-05-10T13:00:02.000000Z",
             "to": "2024-05-10T13:00:09.000000Z"}
    honest = log.bundle(tmp_path / "honest.ndjson", scope,
                        lines=[(0, "event"), (1, "anchor"), (2, "event"), (3, "event")])
    assert verify_bundle(honest, TRUST, workers=0).anchors == 1
    failures = failures_of(log.bundle(tmp_path / "b.ndjson", scope,
                                      lines=[(0, "event"), (2, "anchor"), (3, "event")]))
    assert failures == [
        # the witness before the range (index 1) does not border the range's first event, 3
        "time bundle: the entry before the range (index 2) is missing — the witness given is "
        "index 1, so the range may be cut short",
        f"index 2 event {_event_id(2)}: anchor recorded inside the time range "
        "(2024-05-10T13:00:02.000000Z): an event in range is an event line"]


def test_the_progress_bar_ends_at_100_percent(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = Log(registration(), *(note(i) for i in range(1, 30))).bundle(tmp_path / "b.ndjson")
    verify_bundle(path, TRUST, workers=0, progress=True)
    bar = capsys.readouterr().err.split("\r")[-1]
    assert "100.0%" in bar and bar.endswith("\n"), bar


@pytest.mark.parametrize("workers", [0, 2])
def test_a_receipt_time_that_is_no_date_is_reported_for_its_line_not_a_crash(
        tmp_path: Path, workers: int) -> None:
    """Month 13 has the receipt's digits: judging it against a key's validity window raised
    ValueError out of the verifier."""
    windowed = registration(not_after="2030-01-01T00:00:00Z")
    path = Log(windowed, note(1)).bundle(tmp_path / "b.ndjson")
    path.write_bytes(path.read_bytes().replace(b'"recorded_at":"2024-05-10T13:00:01.000000Z"',
                                               b'"recorded_at":"2024-13-45T13:00:01.000000Z"'))
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(path, TRUST, workers=workers)
    assert "line 4: index 1: receipt.recorded_at is not a valid date-time" \
        in failed.value.failures


def test_a_revocation_left_out_of_the_registrys_middle_is_named(tmp_path: Path) -> None:
    """Held already: the case bundle carries every key event, and the keys stream must chain
    whole, so leaving out a KeyRevoked that a later key event follows breaks it. (One that no
    key event follows: tests/test_verifier_keys_head.py.)"""
    revoked = _signed(ROOT, event_id=_event_id(9), stream="keys", type="KeyRevoked",
                      signer="key:root-1", body={"key_id": "device-1", "reason": "lost"})
    later = registration(8, key_id="device-2", key=OTHER)
    log = Log(registration(), note(1), revoked, later, note(2))
    assert failures_of(log.bundle(tmp_path / "b.ndjson", CASE, lines=[
        (0, "event"), (1, "event"), (3, "event"), (4, "event")])) == [
        "stream keys: version 2 missing"]


def test_a_key_registered_by_a_device_key_signs_nothing(tmp_path: Path) -> None:
    """Held already: only pinned root keys register keys."""
    by_device = registration(8, key_id="device-2", key=OTHER, by=DEVICE,
                             signer="device-1")
    log = Log(registration(), by_device)
    assert failures_of(log.bundle(tmp_path / "b.ndjson", CASE)) == [
        f"index 1 event {_event_id(8)}: KeyRegistered must be signed by a root key, not "
        "'device-1'"]


def _nested_note(i: int, levels: int) -> bytes:
    """A note whose body holds ``levels`` objects nested one in another."""
    body: dict[str, Any] = {"note": "深"}
    for _ in range(levels):
        body = {"n": body}
    return _signed(DEVICE, event_id=_event_id(i), stream="case:C-1", type="NoteRecorded",
                   signer="key:device-1", body=body)


def test_an_envelope_nested_deeper_than_the_ledger_accepts_is_named(tmp_path: Path) -> None:
    """The ledger refuses JSON nested deeper than 64 levels. The verifier had no limit of its
    own but the interpreter's stack, so a body some 970 levels deep verified in-process and
    failed in a worker process: the verdict hung on --workers. Now the ledger's limit holds."""
    with pytest.raises(MalformedEvent):
        parse_strict(_nested_note(2, 63))
    parse_strict(_nested_note(1, 62))                    # the deepest the ledger accepts
    log = Log(registration(), _nested_note(1, 62), _nested_note(2, 63))
    for workers in (0, 2):
        with pytest.raises(BundleFailed) as failed:
            verify_bundle(log.bundle(tmp_path / "b.ndjson"), TRUST, workers=workers)
        failures = failed.value.failures
        assert "line 5: JSON nested deeper than the ledger accepts (64 levels, the envelope's " \
            "own included)" in failures
        assert not [f for f in failures if f.startswith(("line 4", "index 1"))]   # 62 levels
    brackets = Log(registration(), note(1, '\\"[' * 70 + '{"' * 70))      # inside a string
    assert verify_bundle(brackets.bundle(tmp_path / "b.ndjson"), TRUST, workers=0).events == 2


def test_a_line_of_unclosed_escaped_quotes_is_scanned_in_linear_time(tmp_path: Path) -> None:
    """The depth scan strips strings first: with a string pattern that must close, each escaped
    quote of an unclosed string began a new scan to the end of the line (20,000 took 20 s)."""
    path = Log(registration(), note(1)).bundle(tmp_path / "b.ndjson")
    lines = path.read_bytes().split(b"\n")
    lines.insert(4, b'{"envelope":{"body":{"note":"' + b'\\"' * 20_000 + b"[" * 70)
    path.write_bytes(b"\n".join(lines))
    started = time.monotonic()
    failures = failures_of(path)
    assert time.monotonic() - started < 5
    assert "line 5: JSON nested deeper than the ledger accepts (64 levels, the envelope's own " \
        "included)" not in failures                                # its brackets are in a string
    assert [f for f in failures if f.startswith("line 5: not a JSON line")]


def test_a_line_longer_than_many_blocks_is_read_in_linear_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line spanning blocks was grown by appending each block to all read before it: a line
    of n blocks copied n²/2 blocks (a 1 GiB line in 2 MiB blocks, 256 GiB)."""
    monkeypatch.setattr(bundle_lines, "BLOCK_SIZE", 4096)
    path = Log(registration(), note(1)).bundle(tmp_path / "b.ndjson")
    lines = path.read_bytes().split(b"\n")
    lines.insert(4, b'{"envelope":"' + b"x" * (48 << 20) + b'"}')        # 12,288 blocks
    path.write_bytes(b"\n".join(lines))
    started = time.monotonic()
    failures = failures_of(path)
    assert time.monotonic() - started < 10
    assert [f for f in failures if f.startswith("line 5: ")]


def test_a_bundle_relabelled_with_a_scope_kind_the_verifier_does_not_know_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a scope must hold is checked per kind (a case's stream only, an officer's listed
    streams each whole, a time range without a gap); for a kind it does not know the verifier
    can check none of it, so it must not answer OK (exit 0), which a script reads as "the
    scope, complete". Until 2026-11-27 it did, with a note on stderr."""
    log = Log(registration(), note(1), note(2))
    path = log.bundle(tmp_path / "b.ndjson", {"kind": "casefile", "case": "C-1"})
    failures = failures_of(path)
    assert failures == ["bundle: scope kind 'casefile' is unknown to this verifier (it knows "
                        "all, case, officer, stream, time, unit): it cannot check that every "
                        "event of the scope is present"]
    code, _ = cli(path, monkeypatch)
    assert code == 1


_TWO_ON_C2 = (registration(), note(1, stream="case:C-2"), note(2, stream="case:C-2"))


@pytest.mark.parametrize("scope, shown", [
    ({"kind": "stream", "stream": "case:C-2", "case": "C-1"}, "kind=stream, stream=case:C-2"),
    ({"kind": "time", "from": "2024-05-10T13:00:00.000000Z", "to": "2024-05-10T14:00:00.000000Z",
      "case": "C-1"},
     "from=2024-05-10T13:00:00.000000Z, kind=time, to=2024-05-10T14:00:00.000000Z"),
    ({"kind": "all", "case": "C-1"}, "kind=all"),
    ({"kind": "officer", "officer": "O-2", "streams": ["case:C-2", "officer:O-2"], "case": "C-1"},
     "kind=officer, officer=O-2, streams=['case:C-2', 'officer:O-2']"),
], ids=["stream", "time", "all", "officer"])
def test_a_scope_field_of_another_kind_is_not_repeated_in_the_ok_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        scope: dict[str, Any], shown: str) -> None:
    """The header is not signed, and the OK line repeated every field of its scope: a stream
    bundle of case C-2 labelled "case": "C-1" said OK ... scope case=C-1 over another case's
    events (the mislabelling 5c0b075 refused for a case bundle, through another kind). A field
    the verifier does not judge for the kind is now left out of the summary, with a note."""
    path = Log(*_TWO_ON_C2).bundle(tmp_path / "b.ndjson", scope)
    code, out = cli(path, monkeypatch)
    assert code == 0
    assert out.splitlines() == [f"OK: 3 events (1 key events) in 2 streams, 0 anchors; scope "
                                f"{shown}; checkpoint tree size 3"]
    notes = capsys.readouterr().err.splitlines()
    assert [n for n in notes if n.startswith(f"note: scope field 'case' is not a field of scope "
                                             f"kind {scope['kind']!r} (") and n.endswith(
        "): it was not checked and is not shown")]


def test_the_verifier_knows_the_fields_of_every_scope_the_exporter_writes() -> None:
    """What the OK line shows is what the exporter writes for the kind: a field added to a scope
    must be judged by the verifier (ledger.verify.format.SCOPE_FIELDS) or it is not shown."""
    scopes = [StreamScope.case("C-1"), StreamScope("case:C-1"),
              StreamsScope("officer", "O-1", ("officer:O-1",)),
              StreamsScope("unit", "U-1", ("unit:U-1",)),
              TimeScope("2024-05-10T13:00:00.000000Z", "2024-05-10T14:00:00.000000Z"),
              WholeLog()]
    described = {s.describe()["kind"]: sorted(s.describe()) for s in scopes}
    assert described == {kind: sorted(fields) for kind, fields in fmt.SCOPE_FIELDS.items()}


@pytest.mark.parametrize("kind", ["officer", "unit"])
def test_a_trail_whose_streams_are_not_its_subjects_is_named(tmp_path: Path, kind: str) -> None:
    """An officer's trail always holds the officer's own stream, a unit's the unit's
    (ledger.bundle.StreamsScope from the read models); the header is not signed, so O-2's
    streams under "officer": "O-1" verified as 'OK: … scope kind=officer, officer=O-1, …'."""
    scope = {"kind": kind, kind: "X-1", "streams": ["case:C-2", f"{kind}:X-2"]}
    failures = failures_of(Log(*_TWO_ON_C2).bundle(tmp_path / "b.ndjson", scope))
    assert failures == [f"bundle: the scope names {kind} 'X-1', but its streams do not include "
                        f"'{kind}:X-1' (an officer's or a unit's trail holds its own stream)"]


@pytest.mark.parametrize("kind", ["case", "officer", "unit"])
def test_a_scope_subject_that_is_no_string_is_named(tmp_path: Path, kind: str) -> None:
    """``case:{None}`` is ``case:None``: a case of null, which the OK line printed as case=None."""
    scope = ({"kind": "case", "case": None, "stream": "case:None"} if kind == "case"
             else {"kind": kind, kind: None, "streams": [f"{kind}:None"]})
    log = Log(registration(), note(1, stream=f"{kind}:None"))
    failures = failures_of(log.bundle(tmp_path / "b.ndjson", scope))
    assert [f for f in failures if f.startswith(f"bundle: the scope's {kind} must be a string")]


@pytest.mark.parametrize("start, stop, named", [
    ("2024-05-10T13:00:00.000000Z", "2024-95-10T14:00:00.000000Z", "is not a real instant"),
    ("2024-02-30T13:00:00.000000Z", "2024-05-10T14:00:00.000000Z", "is not a real instant"),
    ("2024-05-10T14:00:00.000000Z", "2024-05-10T14:00:00.000000Z", "is not before"),
    ("2024-05-11T00:00:00.000000Z", "2024-05-10T00:00:00.000000Z", "is not before"),
], ids=["month-95", "february-30", "empty", "inverted"])
def test_a_time_range_that_is_no_range_of_instants_is_named(tmp_path: Path, start: str,
                                                            stop: str, named: str) -> None:
    """The exporter writes real instants, ``from`` before ``to``. A 'to' in month 95 has the
    form's digits and, compared as text, let every later event through while the OK line showed
    a date that does not exist; an empty or inverted range verified holding the key registry
    alone, the OK line naming a range it did not judge."""
    log = Log(registration(), note(1))          # recorded 2024-05-10T13:00:01Z
    failures = failures_of(log.bundle(tmp_path / "b.ndjson", {"kind": "time", "from": start,
                                                              "to": stop}, lines=[(0, "event")]
                                      if named == "is not before" else None))
    assert [f for f in failures if f.startswith("bundle: the time scope's ") and named in f]


def test_a_malformed_envelope_keeps_its_place_in_its_stream_so_the_next_is_not_blamed(
        tmp_path: Path) -> None:
    """One edit is reported once: an envelope that fails step 2's grammar (here a signature
    written with a stray low bit, the same 64 bytes) still holds its stream's version. It was
    left out of the chain, and the stream's next event was named as starting at version 2
    with no anchor — version 1 'missing', which was there (found by tests/test_cleanroom.py)."""
    path = Log(registration(), note(1), note(2)).bundle(tmp_path / "b.ndjson", CASE)
    lines = path.read_bytes().split(b"\n")
    sig = lines[3].index(b'"sig":"') + 7 + 85              # the last character of index 1's sig
    stray = {ord("A"): b"B", ord("Q"): b"R", ord("g"): b"h", ord("w"): b"x"}[lines[3][sig]]
    lines[3] = lines[3][:sig] + stray + lines[3][sig + 1:]
    path.write_bytes(b"\n".join(lines))
    failures = failures_of(path)
    (line,) = [f for f in failures if f.startswith(f"index 1 event {_event_id(1)}: ")]
    assert "envelope.sig must be 64 bytes of unpadded canonical base64url" in line
    assert "stream case:C-1 version 1: chain hash does not follow from the stream's genesis" \
        in line
    assert not [f for f in failures if f.startswith("index 2 ")], failures
