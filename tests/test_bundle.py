"""Audit bundles: export from a real PostgreSQL, then `ledger verify` offline."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import psycopg
import pytest

from ledger.bundle import StreamScope, TimeScope
from api.cli import main as ledger_main
from ledger.crypto import SigningKey, b64url_encode
from ledger.logview import LogView
from ledger.verify import format as fmt

from .bundles import (CASE, CASE_STREAM, export, export_all, note, populate, trust_file, verify)
from .conftest import LOG_ORIGIN, World


@pytest.fixture
def populated(world: World, log_view: LogView) -> dict:
    facts = populate(world)
    log_view.issue_checkpoint()
    return facts


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def _events(path: Path, kind: str = "event") -> list[dict]:
    return [line for line in _lines(path) if line["t"] == kind]


def test_case_bundle_of_a_populated_ledger_verifies(world: World, log_view: LogView, log_key,
                                                    populated, tmp_path: Path) -> None:
    bundle = tmp_path / "case.ndjson"
    export(world, log_view, bundle)
    verdict = verify(bundle, trust_file(tmp_path, world, log_key))
    assert verdict.code == 0, verdict
    assert verdict.lines[-1].startswith("OK: 13 events (4 key events) in 2 streams")


def test_whole_log_bundle_verifies_in_process_and_in_worker_processes(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    bundle = tmp_path / "all.ndjson"
    export_all(world, log_view, bundle)
    trust = trust_file(tmp_path, world, log_key)
    for workers in ("1", "2"):
        verdict = verify(bundle, trust, "--workers", workers)
        assert verdict.code == 0, verdict
        assert "OK: 19 events (4 key events) in 4 streams" in verdict.out
    assert all("proof" not in e for e in _events(bundle))
    assert [e["receipt"]["index"] for e in _events(bundle)] == list(range(19))


def test_bundle_envelopes_are_byte_identical_to_the_stored_ones(
        world: World, log_view: LogView, populated, tmp_path: Path) -> None:
    bundle = tmp_path / "all.ndjson"
    export_all(world, log_view, bundle)
    with psycopg.connect(world.owner_url) as conn:
        stored = {bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events")}
    embedded = []
    for line in bundle.read_bytes().splitlines()[2:-1]:
        raw, _ = fmt.split_event_line(line, has_proof=False)
        embedded.append(raw)
    assert set(embedded) == stored and len(embedded) == len(stored) == 19
    posted = populated["case"][0]
    from ledger.canonical import canonical
    assert canonical(posted) in embedded


def test_case_bundle_holds_the_case_and_every_key_event_with_proofs_and_nothing_else(
        world: World, log_view: LogView, populated, tmp_path: Path) -> None:
    bundle = tmp_path / "case.ndjson"
    export(world, log_view, bundle)
    lines = _lines(bundle)
    assert [line["t"] for line in lines[:2]] == ["header", "checkpoint"]
    assert lines[0]["scope"] == {"kind": "case", "case": CASE, "stream": CASE_STREAM}
    assert lines[0]["policy"]["signer_roles"] == {"NoteRecorded": ["case-app"],
                                                  "PaymentNoted": ["finance"]}
    events = _events(bundle)
    assert {e["envelope"]["stream"] for e in events} == {"keys", CASE_STREAM}
    assert [e["receipt"]["stream_version"] for e in events
            if e["envelope"]["stream"] == CASE_STREAM] == list(range(1, 10))
    assert [e["receipt"]["index"] for e in events] == sorted(e["receipt"]["index"]
                                                             for e in events)
    assert all(len(e["proof"]) > 0 for e in events)
    assert {k: v for k, v in lines[-1].items() if k != "heads"} == {
        "t": "end", "events": len(events), "anchors": 0}
    assert lines[-1]["heads"].startswith("integrity-ledger/heads/v1\n")    # the log key's


def test_time_range_bundle_anchors_streams_that_began_before_it_and_verifies(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    with psycopg.connect(world.owner_url) as conn:
        times = [r[0] for r in conn.execute(
            "SELECT recorded_at FROM ledger_receipts ORDER BY log_index")]
    start, stop = times[9], times[15]          # events 9..14 (as the ledger recorded them)
    scope = TimeScope(start, stop)
    bundle = tmp_path / "time.ndjson"
    export(world, log_view, bundle, scope)
    anchors = _events(bundle, "anchor")
    in_range = [e for e in _events(bundle) if start <= e["receipt"]["recorded_at"] < stop]
    assert [e["receipt"]["index"] for e in in_range] == [
        i for i in range(19) if start <= times[i] < stop]
    assert {a["envelope"]["stream"] for a in anchors} == {
        e["envelope"]["stream"] for e in in_range if e["receipt"]["stream_version"] > 1
        and e["envelope"]["stream"] != "keys"}
    verdict = verify(bundle, trust_file(tmp_path, world, log_key))
    assert verdict.code == 0, verdict


def test_a_time_bundle_from_the_service_proves_its_ends_and_a_dropped_first_event_is_caught(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    """The end line carries the entries just outside the range (edges), proved in the
    checkpoint's tree: a server that leaves out the range's first event is caught."""
    with psycopg.connect(world.owner_url) as conn:
        times = [r[0] for r in conn.execute(
            "SELECT recorded_at FROM ledger_receipts ORDER BY log_index")]
    start, stop = times[9], times[15]
    inside = [i for i, t in enumerate(times) if start <= t < stop]
    response = world.http.get("/v1/bundles", params={"from": start, "to": stop},
                              headers=world.headers("auditor"))
    assert response.status_code == 200, response.text
    bundle = tmp_path / "time.ndjson"
    bundle.write_bytes(response.content)
    edges = _lines(bundle)[-1]["edges"]
    assert edges["before"]["receipt"]["index"] == inside[0] - 1
    assert edges["before"]["receipt"]["recorded_at"] < start
    assert edges["after"]["receipt"]["index"] == inside[-1] + 1
    assert edges["after"]["receipt"]["recorded_at"] >= stop
    trust = trust_file(tmp_path, world, log_key)
    verdict = verify(bundle, trust)
    assert verdict.code == 0, verdict
    assert "not proven" not in verdict.err

    kept = [line for line in bundle.read_bytes().splitlines(keepends=True)
            if not (b'"t":"event"}' in line
                    and json.loads(line)["receipt"]["index"] == inside[0])]
    assert len(kept) == len(_lines(bundle)) - 1
    end = json.loads(kept[-1])
    end["events"] -= 1           # the counts made right: only the witness can tell
    kept[-1] = fmt.jcs.dumps(end) + b"\n"
    cut = tmp_path / "cut.ndjson"
    cut.write_bytes(b"".join(kept))
    verdict = verify(cut, trust)
    assert verdict.code == 1, verdict
    assert verdict.line_for(f"(index {inside[0]})").startswith(
        f"time bundle: the entry before the range (index {inside[0]}) is missing")


def test_time_range_from_a_year_before_1000_holds_every_event_since(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    """recorded_at is compared as text, so it must be fixed width: strftime wrote the year 999
    as '999', which sorts after '2024', and the bundle held no event of its range."""
    scope = TimeScope.parse("0999-01-01T00:00:00Z", "9000-01-01T00:00:00+08:00")
    assert scope.describe()["from"] == "0999-01-01T00:00:00.000000Z"
    bundle = tmp_path / "time.ndjson"
    export(world, log_view, bundle, scope)
    assert [e["receipt"]["index"] for e in _events(bundle)] == list(range(19))
    verdict = verify(bundle, trust_file(tmp_path, world, log_key))
    assert verdict.code == 0, verdict


def test_a_time_range_bound_finer_than_a_microsecond_keeps_its_events_on_the_right_side(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    """recorded_at has microseconds; a bound with nanoseconds was cut to its microsecond, so
    the event recorded at that microsecond — before `from`, or before `to` — landed on the
    wrong side: the range took one event too many at its start and one too few at its end."""
    whole = tmp_path / "all.ndjson"
    export(world, log_view, whole, TimeScope.parse("2000-01-01T00:00:00Z",
                                                   "9000-01-01T00:00:00Z"))
    events = _events(whole)
    stamps = [e["receipt"]["recorded_at"] for e in events]
    # the event just before the range is not a key event (the registry travels whole)
    first = next(i for i in range(1, 10) if events[i - 1]["envelope"]["stream"] != "keys")
    last = first + 7
    assert stamps[first - 1] < stamps[first] and stamps[last] < stamps[last + 1]
    start = stamps[first - 1].replace("Z", "001Z")     # just after event first-1
    stop = stamps[last].replace("Z", "001Z")           # just after event last
    bundle = tmp_path / "time.ndjson"
    export(world, log_view, bundle, TimeScope.parse(start, stop))
    held = [e["receipt"]["index"] for e in _events(bundle) if e["envelope"]["stream"] != "keys"]
    assert held == [i for i in range(first, last + 1)         # the registry travels whole
                    if events[i]["envelope"]["stream"] != "keys"]
    assert verify(bundle, trust_file(tmp_path, world, log_key)).code == 0
    # a range inside one microsecond holds no instant a receipt can name (and a bundle whose
    # from equals its to would fail verification)
    response = world.http.get("/v1/bundles", params={"from": start, "to": start[:-2] + "9Z"},
                              headers=world.headers("auditor"))
    assert response.status_code == 422, response.text
    assert "within one microsecond" in response.json()["detail"]


@pytest.mark.parametrize("start, stop, field", [
    ("0001-01-01T00:00:00+08:00", "2024-01-01T00:00:00Z", "from"),
    ("2024-01-01T00:00:00Z", "9999-12-31T23:00:00-08:00", "to"),
])
def test_a_time_range_outside_the_utc_calendar_is_refused_not_a_500(
        world: World, log_view: LogView, populated, start: str, stop: str, field: str) -> None:
    response = world.http.get("/v1/bundles", params={"from": start, "to": stop},
                              headers=world.headers("auditor"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"].endswith(field)

def test_export_uses_the_requested_checkpoint_and_proves_inclusion_at_exactly_that_size(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    first = log_view.latest_checkpoint()
    world.post(note(world, text="after the first checkpoint"))
    log_view.issue_checkpoint()
    bundle = tmp_path / "old.ndjson"
    export(world, log_view, bundle, tree_size=first.size)
    lines = _lines(bundle)
    assert lines[0]["log"]["tree_size"] == first.size and lines[1]["note"] == first.note
    assert max(e["receipt"]["index"] for e in _events(bundle)) < first.size
    assert verify(bundle, trust_file(tmp_path, world, log_key)).code == 0


def test_bundle_with_a_consistency_proof_verifies_against_the_older_checkpoint(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    older = log_view.latest_checkpoint()
    world.post(note(world, text="later"))
    newer = log_view.issue_checkpoint()
    old_note = tmp_path / "older.note"
    old_note.write_text(older.note)
    trust = trust_file(tmp_path, world, log_key)
    case = tmp_path / "case.ndjson"
    export(world, log_view, case, since_size=older.size)
    assert _lines(case)[2] == {"t": "consistency", "first": older.size, "second": newer.size,
                               "proof": _lines(case)[2]["proof"]}
    verdict = verify(case, trust, "--since", str(old_note))
    assert verdict.code == 0, verdict
    assert f"older checkpoint of tree size {older.size}" in verdict.out
    whole = tmp_path / "all.ndjson"
    export_all(world, log_view, whole)       # whole-log: consistency from the leaves themselves
    assert verify(whole, trust, "--since", str(old_note)).code == 0


def test_a_case_bundle_verifies_against_an_older_checkpoint_of_the_empty_log(
        world: World, log_view: LogView, log_key, tmp_path: Path) -> None:
    empty = log_view.issue_checkpoint()      # RFC 9162 has no consistency proof from size 0:
    assert empty.size == 0                   # the empty tree is a prefix of every tree
    populate(world)
    log_view.issue_checkpoint()
    old_note = tmp_path / "older.note"
    old_note.write_text(empty.note)
    case = tmp_path / "case.ndjson"
    export(world, log_view, case)
    verdict = verify(case, trust_file(tmp_path, world, log_key), "--since", str(old_note))
    assert verdict.code == 0, verdict
    assert "older checkpoint of tree size 0" in verdict.out


def test_bundles_endpoint_streams_ndjson_to_auditors_that_verifies(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    response = world.http.get("/v1/bundles", params={"case": CASE},
                              headers=world.headers("auditor"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    bundle = tmp_path / "http.ndjson"
    bundle.write_bytes(response.content)
    assert verify(bundle, trust_file(tmp_path, world, log_key)).code == 0
    whole = world.http.get("/v1/bundles", params={"all": "true"},
                           headers=world.headers("inspector"))
    assert whole.status_code == 200 and len(whole.content.splitlines()) == 19 + 3


def test_a_bundles_created_at_is_the_database_clock_not_the_exporting_process(
        world: World, log_view: LogView, populated, monkeypatch: pytest.MonkeyPatch) -> None:
    """The header's created_at ("when exported", to an auditor) was this process's clock, two
    hours behind here: the bundle said it was written before the events it carries were
    recorded. It is now the database server's, the clock of every recorded_at in it."""
    from datetime import datetime, timedelta

    from .clocks import database_clock, skew_process_clock

    skew_process_clock(monkeypatch, timedelta(hours=-2))
    before = database_clock(world.owner_url).replace(microsecond=0)
    response = world.http.get("/v1/bundles", params={"case": CASE},
                              headers=world.headers("auditor"))
    after = database_clock(world.owner_url)
    assert response.status_code == 200, response.text
    header = json.loads(response.content.splitlines()[0])
    created = datetime.fromisoformat(header["created_at"])
    assert before <= created <= after


def test_bundles_endpoint_refuses_posters_and_ambiguous_scopes(
        world: World, log_view: LogView, populated) -> None:
    forbidden = world.http.get("/v1/bundles", params={"case": CASE},
                               headers=world.headers("poster"))
    assert forbidden.status_code == 403
    both = world.http.get("/v1/bundles", params={"case": CASE, "all": "true"},
                          headers=world.headers("auditor"))
    assert both.status_code == 422 and "exactly one scope" in both.json()["detail"]
    missing = world.http.get("/v1/bundles", params={"case": CASE, "tree_size": 999},
                             headers=world.headers("auditor"))
    assert missing.status_code == 404


@pytest.mark.parametrize("params", [{"all": "true"}, {"from": "2024-01-01T00:00:00Z",
                                                     "to": "2030-01-01T00:00:00Z"}])
def test_a_unit_scoped_inspector_asking_for_the_log_is_told_every_scope_it_may_export(
        world: World, log_view: LogView, populated, params: dict) -> None:
    """The refusal said "export a case or stream instead", naming neither of the trails
    (officer, unit) such an inspector may export."""
    token = world.token("inspector", principal="insp-hp", units=("SH-HP",))
    response = world.http.get("/v1/bundles", params=params,
                              headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403, response.text
    assert response.json()["detail"].endswith(
        ": export a case, stream, officer or unit of those units instead")


def test_a_since_size_past_the_checkpoint_is_an_invalid_request_naming_it(
        world: World, log_view: LogView, populated) -> None:
    """It was answered `malformed-event` naming `since_size`, though no event was sent."""
    size = log_view.latest_checkpoint().size
    response = world.http.get("/v1/bundles", params={"all": "true", "tree_size": size,
                                                     "since_size": size + 1},
                              headers=world.headers("auditor"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:integrity-ledger:problem:invalid-request", problem
    assert problem["field"] == "query.since_size"
    assert problem["detail"] == ("since_size must be between 1 and the checkpoint's tree size "
                                 f"{size}")


@pytest.mark.parametrize("params, field, detail", [
    ({"case": "SH-NO-SUCH-CASE"}, "case",
     "no case SH-NO-SUCH-CASE: stream case:SH-NO-SUCH-CASE holds no event"),
    ({"case": f"case:{CASE}"}, "case", f"no case case:{CASE}: stream case:case:{CASE} holds no "
                                       f"event (give the case id without `case:`: case={CASE})"),
    ({"stream": "officer:NOBODY"}, "stream", "no stream officer:NOBODY: it holds no event"),
])
def test_bundles_endpoint_refuses_a_case_or_stream_the_log_does_not_hold(
        world: World, log_view: LogView, populated, params: dict, field: str,
        detail: str) -> None:
    """GET /v1/bundles?case=<unknown> answered 200 with a bundle of the key registry alone
    (which verifies), where ?officer=<unknown> and `ledger export --case` answer not found."""
    response = world.http.get("/v1/bundles", params=params, headers=world.headers("auditor"))
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(":not-found")
    assert (problem["field"], problem["detail"]) == (field, detail)


def test_export_and_verify_commands_round_trip_through_a_home(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    home.mkdir()
    trust = json.loads(trust_file(tmp_path, world, log_key).read_text())
    trust["policy"] = {"signer_roles": {"NoteRecorded": ["case-app"],
                                        "PaymentNoted": ["finance"]}}
    (home / "ledger.json").write_text(json.dumps(trust))
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    out = tmp_path / "cli.ndjson"
    assert ledger_main(["export", "--case", CASE, "--out", str(out)]) == 0
    assert ledger_main(["verify", str(out)]) == 0          # trust from $LEDGER_HOME/ledger.json
    captured = capsys.readouterr()
    assert "OK: 13 events" in captured.out
    assert "not pinned" not in captured.err                 # the home pins the policy


@pytest.mark.parametrize("argv, message", [
    (["--case", "SH-NO-SUCH-CASE"], "--case: no case SH-NO-SUCH-CASE: stream "
                                    "case:SH-NO-SUCH-CASE holds no event"),
    (["--case", f"case:{CASE}"], f"no case case:{CASE}: stream case:case:{CASE} holds no event "
                                 f"(give the case id without `case:`: --case {CASE})"),
    (["--stream", "officer:NOBODY"], "--stream: no stream officer:NOBODY: it holds no event"),
    (["--unit", "SH-NO-SUCH-UNIT"], "--unit: no unit SH-NO-SUCH-UNIT"),
])
def test_export_of_a_case_or_stream_the_log_does_not_hold_is_refused(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str], message: str) -> None:
    """`--case case:<id>` (the stream's name, not the case id) or a mistyped id wrote a bundle
    of the key registry alone that verified "OK" (exit 0), where `--officer` of no officer
    says so and exits 2; so did `--unit` of a unit nothing in the log names."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    out = tmp_path / "case.ndjson"
    assert ledger_main(["export", *argv, "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"ledger export: {message}\n"
    assert not out.exists()


def test_a_case_recorded_after_the_checkpoint_is_refused_not_exported_empty(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A case filed after the latest checkpoint, exported by a service without the log key
    (which exports under that checkpoint), or under an older `--tree-size`, gave a bundle of the
    key registry alone that verified `OK: … scope case=NEW-1` — the bundle an unknown case is
    refused for. It is refused as that case is, naming the tree size."""
    older = log_view.latest_checkpoint().size
    world.post(note(world, stream="case:NEW-1", text="filed after the checkpoint"))
    response = world.http.get("/v1/bundles", params={"case": "NEW-1"},
                              headers=world.headers("auditor"))
    assert response.status_code == 404, response.text
    problem = response.json()
    assert (problem["field"], problem["detail"]) == ("case", (
        f"no case NEW-1: stream case:NEW-1 holds no event below the checkpoint's tree size "
        f"{older} (recorded after it: export again once a checkpoint covers it)"))
    stream = world.http.get("/v1/bundles", params={"stream": "case:NEW-1"},
                            headers=world.headers("auditor"))
    assert (stream.status_code, stream.json()["field"]) == (404, "stream")

    log_view.issue_checkpoint()              # the case is below this one, not the older one
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    out = tmp_path / "case.ndjson"
    argv = ["export", "--case", "NEW-1", "--tree-size", str(older), "--out", str(out)]
    assert ledger_main(argv) == 2
    assert capsys.readouterr().err.startswith(
        "ledger export: --case: no case NEW-1: stream case:NEW-1 holds no event below the "
        f"checkpoint's tree size {older}")
    assert not out.exists()
    assert ledger_main(argv[:3] + argv[5:]) == 0


@pytest.mark.parametrize("start, stop, message", [
    ("2025-01-01", "2025-02-01T00:00:00Z", "--from must be an RFC 3339 timestamp with an offset"),
    ("2025-01-01T00:00:00Z", "2025-02-01", "--to must be an RFC 3339 timestamp with an offset"),
    ("2025-02-01T00:00:00Z", "2025-01-01T00:00:00Z", "'--to' must be later than '--from'"),
    ("0001-01-01T00:00:00+08:00", "2025-01-01T00:00:00Z",
     "--from is outside years 1 to 9999 in UTC"),
])
def test_export_names_the_option_of_a_time_range_it_refuses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        start: str, stop: str, message: str) -> None:
    """`ledger export --from 2025-01-01` said "from must be …", naming no option it has."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    out = tmp_path / "time.ndjson"
    assert ledger_main(["export", "--from", start, "--to", stop, "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"ledger export: {message}")
    assert not out.exists()


@pytest.mark.parametrize("where", ["missing-dir/case.ndjson", "a-directory"])
def test_export_to_an_unwritable_path_says_so_and_exits_2(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path, where: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory that does not exist, or a directory as --out, was a traceback."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    (tmp_path / "a-directory").mkdir()
    out = tmp_path / where
    assert ledger_main(["export", "--case", CASE, "--out", str(out)]) == 2
    assert f"ledger export: cannot write {out}: " in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.partial"))


@pytest.mark.parametrize("argv", [
    ["export", "--all", "--out", "bundle.ndjson"], ["tokens", "list"],
    ["tokens", "create", "--principal", "p", "--role", "auditor"], ["rebuild"],
    ["keys", "register", "--key-id", "k", "--principal", "p", "--role", "case-app"],
])
def test_commands_on_a_database_without_a_ledger_say_run_init_and_exit_2(
        cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """A database `ledger init` never ran on was a psycopg ProgrammingError traceback."""
    from .pg import with_db
    name = f"bare_{os.getpid()}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEDGER_DATABASE_URL", with_db(cluster.url, name))
    (tmp_path / "home" / "secrets").mkdir(parents=True)
    (tmp_path / "home" / "secrets" / "root-1.key").write_text(
        b64url_encode(SigningKey.generate().seed))
    try:
        assert ledger_main(argv) == 2
    finally:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
    assert "the database holds no ledger: run `ledger init`" in capsys.readouterr().err
    assert not (tmp_path / "home" / "secrets" / "k.key").exists()   # no key pair made first


def test_commands_in_an_uninitialised_embedded_home_say_run_init_and_start_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    for argv in (["export", "--all", "--out", str(tmp_path / "b.ndjson")], ["tokens", "list"]):
        assert ledger_main(argv) == 2
        assert "is not an initialised ledger home: run `ledger init`" in capsys.readouterr().err
    assert not (tmp_path / "home" / "pgdata").exists()

def test_a_home_with_an_unreadable_ledger_json_or_that_cannot_be_created_exits_2(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A ledger.json that is not JSON was a JSONDecodeError traceback in every command, and a
    LEDGER_HOME that is a file a FileExistsError traceback in ledger init."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    home = tmp_path / "home"
    home.mkdir()
    (home / "ledger.json").write_text("{not json")
    monkeypatch.setenv("LEDGER_HOME", str(home))
    for argv in (["export", "--all", "--out", str(tmp_path / "b.ndjson")], ["tokens", "list"],
                 ["init"]):
        assert ledger_main(argv) == 2
        assert f"cannot read {home / 'ledger.json'}: " in capsys.readouterr().err
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    monkeypatch.setenv("LEDGER_HOME", str(a_file))
    assert ledger_main(["init"]) == 2
    assert f"ledger init: cannot create the home {a_file}: " in capsys.readouterr().err

def test_export_to_standard_output_closed_early_says_so_without_a_traceback(
        world: World, log_view: LogView, populated, tmp_path: Path) -> None:
    """`ledger export --all --out - | head -c 100` was a BrokenPipeError traceback."""
    import subprocess
    import sys
    for _ in range(3):         # a bundle larger than a pipe's buffer
        world.post([note(world, stream=f"case:PIPE-{i}", text="x" * 300) for i in range(300)])
    log_view.issue_checkpoint()
    env = dict(os.environ, LEDGER_HOME=str(tmp_path / "home"),
               LEDGER_DATABASE_URL=world.owner_url)
    done = subprocess.run(f"{sys.executable} -m api.cli export --all --out - | head -c 100 "
                          ">/dev/null; exit ${PIPESTATUS[0]}", shell=True,
                          executable="/bin/bash", env=env, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert done.stderr == "ledger export: cannot write standard output: Broken pipe\n"

def test_verify_to_standard_output_closed_early_says_so_without_a_traceback(
        tmp_path: Path) -> None:
    """`ledger verify FILE | head -c 0` (any command whose reader stops early) was a
    BrokenPipeError traceback, from print or from the interpreter's last flush."""
    import subprocess
    import sys
    bundle, pins = _docs_example()
    path = tmp_path / "example.ndjson"
    path.write_bytes(bundle)
    with subprocess.Popen([sys.executable, "-m", "api.cli", "verify", str(path), *pins],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        proc.stdout.close()                     # the reader is gone before anything is written
        err = proc.stderr.read()
        code = proc.wait()
    assert code == 2, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "ledger verify: standard output was closed early"


def test_verify_with_pinned_keys_on_the_command_line(
        world: World, log_view: LogView, log_key: SigningKey, populated,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ledger.note import vkey_for
    bundle = tmp_path / "case.ndjson"
    export(world, log_view, bundle)
    code = ledger_main(["verify", str(bundle), "--log-key", vkey_for(LOG_ORIGIN,
                                                                      log_key.public_key),
                        "--root-key", f"root-1={b64url_encode(world.root.public_key)}"])
    assert code == 0, capsys.readouterr()


def test_verify_fails_a_checkpoint_not_signed_by_the_pinned_log_key(
        world: World, log_view: LogView, populated, tmp_path: Path) -> None:
    bundle = tmp_path / "case.ndjson"
    export(world, log_view, bundle)
    verdict = verify(bundle, trust_file(tmp_path, world, SigningKey.generate()))
    assert verdict.code == 1
    assert verdict.lines[0].startswith("checkpoint: note has no signature from a known key")


def test_verify_fails_a_truncated_bundle(world: World, log_view: LogView, log_key, populated,
                                         tmp_path: Path) -> None:
    bundle = tmp_path / "case.ndjson"
    export(world, log_view, bundle)
    cut = tmp_path / "cut.ndjson"
    cut.write_bytes(b"".join(bundle.read_bytes().splitlines(keepends=True)[:-3]))
    verdict = verify(cut, trust_file(tmp_path, world, log_key))
    assert verdict.code == 1
    assert "bundle: truncated (no end line)" in verdict.lines


def test_verify_fails_a_case_bundle_that_hides_its_first_events_behind_an_anchor(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    # A case bundle holds its stream from version 1: drop version 1 and turn version 2 into an
    # anchor (its leaf, proof and chain hash stay valid: "t" is not part of the log entry).
    bundle = tmp_path / "case.ndjson"
    export(world, log_view, bundle)
    lines = bundle.read_bytes().splitlines(keepends=True)
    kept, dropped = [], 0
    for line in lines:
        value = json.loads(line)
        version = value.get("receipt", {}).get("stream_version")
        if value["t"] == "event" and value["envelope"]["stream"] == CASE_STREAM and version == 1:
            dropped += 1
            continue
        if value["t"] == "event" and value["envelope"]["stream"] == CASE_STREAM and version == 2:
            anchor_index = value["receipt"]["index"]
            line = line.replace(b'"t":"event"}', b'"t":"anchor"}')
        if value["t"] == "end":
            line = fmt.end_line(events=value["events"] - 2, anchors=1)
        kept.append(line)
    assert dropped == 1
    edited = tmp_path / "edited.ndjson"
    edited.write_bytes(b"".join(kept))
    verdict = verify(edited, trust_file(tmp_path, world, log_key))
    assert verdict.code == 1, verdict
    assert f"index {anchor_index}" in verdict.line_for(
        "anchors have no place in a case bundle")


def test_verify_judges_roles_by_the_pinned_policy_not_the_bundles(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    bundle = tmp_path / "case.ndjson"
    export(world, log_view, bundle)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"signer_roles": {"NoteRecorded": ["case-app"],
                                                   "PaymentNoted": ["treasury"]}}))
    verdict = verify(bundle, trust_file(tmp_path, world, log_key), "--policy", str(policy))
    assert verdict.code == 1
    assert "may not sign PaymentNoted; allowed roles: ['treasury']" in verdict.line_for(
        "PaymentNoted")


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    (b"not json\n", "line 1 is not a bundle header"),
    (b'{"spec":"integrity-ledger/bundle/v9","t":"header"}\n', "unsupported bundle format"),
    (gzip.compress(b'{"t":"header"}\n'), "the file is gzip-compressed: decompress it first "
                                          "(gunzip -c FILE | ledger verify -"),
])
def test_verify_exits_2_for_unreadable_input(tmp_path: Path, world: World, log_key,
                                             content: bytes | None, message: str) -> None:
    path = tmp_path / "input.ndjson"
    if content is not None:
        path.write_bytes(content)
    verdict = verify(path, trust_file(tmp_path, world, log_key))
    assert verdict.code == 2 and message in verdict.err


def test_verify_exits_2_without_pinned_keys(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    bundle = tmp_path / "b.ndjson"
    bundle.write_bytes(b"")
    assert ledger_main(["verify", str(bundle)]) == 2


@pytest.mark.parametrize("line", [1, 3, 6])
def test_a_line_longer_than_any_bundle_line_is_refused_without_reading_it_whole(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, line: int) -> None:
    """No line is longer than one envelope the intake takes with its receipt and proof
    (fmt.MAX_LINE); a longer one — a hostile bundle's multi-gigabyte line — was read whole into
    memory. It is now refused once MAX_LINE bytes are read (exit 2), the header's or an event's,
    whether it ends within a block or spans many (here MAX_LINE is made small, the line 3 MB)."""
    bundle = tmp_path / "all.ndjson"
    export_all(world, log_view, bundle)
    lines = bundle.read_bytes().split(b"\n")
    lines[line - 1] = lines[line - 1][:-1] + b',"x":"' + b"y" * 3_000_000 + b'"}'
    bundle.write_bytes(b"\n".join(lines))
    monkeypatch.setattr(fmt, "MAX_LINE", 100_000)
    verdict = verify(bundle, trust_file(tmp_path, world, log_key))
    assert verdict.code == 2, verdict
    assert "longer than 100,000 bytes" in verdict.err, verdict


def test_stream_scope_exports_any_stream(world: World, log_view: LogView, log_key, populated,
                                         tmp_path: Path) -> None:
    bundle = tmp_path / "other.ndjson"
    export(world, log_view, bundle, StreamScope("case:OTHER-1"))
    assert {e["envelope"]["stream"] for e in _events(bundle)} == {"keys", "case:OTHER-1"}
    assert verify(bundle, trust_file(tmp_path, world, log_key)).code == 0
    assert os.path.getsize(bundle) > 0


def _docs_example() -> tuple[bytes, list[str]]:
    text = (Path(__file__).parent.parent / "docs" / "bundle.md").read_text(encoding="utf-8")
    example = text[text.index("## Example"):]
    block = example[example.index("```jsonl\n") + 9:]
    bundle = block[:block.index("```")].encode("utf-8")
    command = example[example.index("$ ledger verify"):]
    args = command[:command.index("\nOK:")].replace("\\\n", " ").split()
    pins = ["--log-key", args[args.index("--log-key") + 1].strip("'"),
            "--root-key", args[args.index("--root-key") + 1]]
    return bundle, pins


def test_the_example_in_the_docs_verifies_and_fails_once_edited(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle, pins = _docs_example()
    path = tmp_path / "example.ndjson"
    path.write_bytes(bundle)
    assert ledger_main(["verify", str(path), *pins]) == 0
    said = capsys.readouterr()
    assert "OK: 2 events (1 key events) in 2 streams" in said.out
    assert "keys line" not in said.err      # its checkpoint names the registry's head
    path.write_bytes(bundle.replace("改正".encode(), "改进".encode()))
    assert ledger_main(["verify", str(path), *pins]) == 1
    out = capsys.readouterr().out
    assert out.startswith("index 1 event 0192f3c4-8a1e-7c3b-9d2e-000000000002: signature does "
                          "not verify under key 'hp-case-app-01'; stream "
                          "case:SH-HP-2024-000123 version 1: chain hash does not follow from "
                          "the stream's genesis; log entry does not hash")


@pytest.mark.parametrize("old, new, line_no", [
    (b'"t":"header"}\n', b'"t": "header"}\n', 1),
    (b'"t":"header"}\n', b'"t":"header"}\r\n', 1),
    (b'{"note":"', b'{"note" :"', 2),
    (b'"t":"checkpoint"}\n', b'"t":"checkpoint"}\n{"first":1, "proof":[],"second":2,'
                             b'"t":"consistency"}\n', 3),
    (b'{"anchors":0,"events":2,"t":"end"}', b'{"t":"end","events":2,"anchors":0}', 5),
    (b'{"anchors":0,"events":2,"t":"end"}', b'{"anchors":0,"events":9,"events":2,"t":"end"}', 5),
])
def test_a_header_checkpoint_consistency_or_end_line_that_is_not_canonical_fails(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: bytes, new: bytes,
        line_no: int) -> None:
    bundle, pins = _docs_example()
    path = tmp_path / "example.ndjson"
    path.write_bytes(bundle.replace(old, new, 1))
    assert ledger_main(["verify", str(path), *pins]) == 1
    out = capsys.readouterr().out
    assert f"line {line_no}: bundle line is not canonical JSON" in out.splitlines()


@pytest.mark.parametrize("end, counts", [
    (b'{"anchors":0,"events":"2","t":"end"}', '"2" events and 0 anchors'),
    (b'{"anchors":false,"events":2,"t":"end"}', "2 events and false anchors"),
])
def test_an_end_line_count_that_is_no_integer_fails_shown_as_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], end: bytes, counts: str) -> None:
    """JSON false is not 0 (Python's bool is an int): an end line counting "anchors":false
    passed. The counts were then printed with str(): "events":"2" read 'the end line counts 2
    events …, the bundle holds 2', a failure that named no difference."""
    bundle, pins = _docs_example()
    path = tmp_path / "example.ndjson"
    path.write_bytes(bundle.replace(b'{"anchors":0,"events":2,"t":"end"}', end, 1))
    assert ledger_main(["verify", str(path), *pins]) == 1
    assert f"bundle: the end line counts {counts}, the bundle holds 2 and 0" \
        in capsys.readouterr().out.splitlines()


def test_a_tree_size_written_as_a_boolean_is_no_size(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A header's "tree_size":true was read as the size 1."""
    bundle, pins = _docs_example()
    path = tmp_path / "example.ndjson"
    assert b'"tree_size":2' in bundle
    path.write_bytes(bundle.replace(b'"tree_size":2', b'"tree_size":true', 1))
    assert ledger_main(["verify", str(path), *pins]) == 2
    assert "tree_size" in capsys.readouterr().err


def test_verify_reads_the_default_home_when_ledger_home_is_set_but_empty(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """LEDGER_HOME set but empty means the default ./var, as for every other command; verify
    looked for ./ledger.json instead."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGER_HOME", "")
    (tmp_path / "ledger.json").write_text("{}")      # what verify took for the trust file
    bundle = tmp_path / "b.ndjson"
    bundle.write_bytes(b"")
    assert ledger_main(["verify", str(bundle)]) == 2
    assert f"(no {Path('var') / 'ledger.json'})" in capsys.readouterr().err


def _end(path: Path) -> dict:
    return _lines(path)[-1]


def test_a_service_holding_the_log_key_signs_its_case_bundles_stream_heads(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    """The case's bundle names the case's last event, signed; leaving that event out (as an
    exporter who controls the server can, the end line's counts following) is caught."""
    from fastapi.testclient import TestClient

    from api.app import asgi, create_app
    from ledger.streamheads import open_heads
    from ledger.verify.trust import Trust

    from .test_tamper import withhold

    with TestClient(asgi(create_app(world.ledger, log=log_view))) as http:
        response = http.get("/v1/bundles", params={"case": CASE},
                            headers=world.headers("auditor"))
    assert response.status_code == 200, response.text
    bundle = tmp_path / "case.ndjson"
    bundle.write_bytes(response.content)
    trust = trust_file(tmp_path, world, log_key)
    verdict = verify(bundle, trust)
    assert verdict.code == 0, verdict
    assert "signed heads" not in verdict.err
    heads = open_heads(_end(bundle)["heads"], Trust.from_config(trust).log_keys).by_stream()
    last = _events(bundle)[-1]
    assert last["envelope"]["stream"] == CASE_STREAM
    case_head = heads[CASE_STREAM]
    assert (case_head.version, case_head.chain_hash.hex(), case_head.index) == (
        last["receipt"]["stream_version"], last["receipt"]["chain_hash"], last["receipt"]["index"])
    assert set(heads) == {CASE_STREAM, "keys"}

    withhold(bundle, _events(bundle)[-1]["envelope"]["event_id"])
    verdict = verify(bundle, trust)
    assert verdict.code == 1, verdict
    assert (f"stream {CASE_STREAM}: version {case_head.version} of {case_head.version} named by "
            "the signed heads is absent — the stream's tail may be withheld") in verdict.lines


def test_a_bundle_served_without_the_log_key_has_no_heads_and_verifies_with_a_note(
        world: World, log_view: LogView, log_key, populated, tmp_path: Path) -> None:
    response = world.http.get("/v1/bundles", params={"case": CASE},   # its app holds no key
                              headers=world.headers("auditor"))
    assert response.status_code == 200, response.text
    bundle = tmp_path / "case.ndjson"
    bundle.write_bytes(response.content)
    assert "heads" not in _end(bundle)
    verdict = verify(bundle, trust_file(tmp_path, world, log_key))
    assert verdict.code == 0, verdict
    assert "the end line carries no signed heads" in verdict.err


def test_export_refuses_to_sign_the_head_of_a_stream_outside_the_grammar(
        world: World, log_view: LogView, populated, tmp_path: Path) -> None:
    from ledger.bundle import StreamsScope
    from ledger.streamheads import MalformedHeads

    path = tmp_path / "unit.ndjson"
    with pytest.raises(MalformedHeads, match="is not a stream name"):
        export(world, log_view, path,
               StreamsScope("unit", "U-1", ("unit:U-1", CASE_STREAM, "case:A B")))
    assert not path.exists()          # refused before a byte was written
