"""Red flags in the service: the queue, case and officer pages, dispositions, unit scoping, and
offline recomputation from a bundle equal to what the service holds."""

from __future__ import annotations

import gzip
import io
import json
import contextlib
from datetime import datetime, timedelta, timezone
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api.cli import main as ledger_main
from ledger.client import sign_envelope
from ledger.errors import Unavailable
from ledger.logview import LogView
from ledger.verify import format as fmt
from projections.flagsview import FlagsView

from . import domain_factory as f
from .bundles import export_all
from .conftest import LOG_ORIGIN, World
from .test_readmodels import city, post_steps  # noqa: F401  (fixture)

AT = datetime(2024, 12, 2, tzinfo=timezone.utc)
CASE = "SH-HP-2024-S-000777"


def cash_above_limit(world: World) -> None:
    """200 yuan taken in cash on the spot, where only 100 may be (APL 第68条): RF04."""
    post_steps(world, f.staff() + f.summary_case(CASE, amount_fen=20_000))


def flags(world: World, token_roles: tuple[str, ...] = ("inspector",), **params: str) -> dict:
    world.project()
    response = world.http.get("/v1/flags", params=params, headers=world.headers(*token_roles))
    assert response.status_code == 200, response.text
    return response.json()


def test_cash_above_the_legal_limit_is_flagged_with_its_evidence(city: World) -> None:
    cash_above_limit(city)
    page = flags(city, rule="RF04")
    (flag,) = page["flags"]
    assert flag["rule_id"] == "RF04.a" and flag["severity"] == "critical"
    assert flag["name"]["zh"] and flag["name"]["en"] and flag["legal_basis"]
    assert flag["subject"]["case_id"] == CASE
    assert flag["numbers"]["collected_fen"] == 20_000 if "collected_fen" in flag["numbers"] \
        else any(v == 20_000 for v in flag["numbers"].values())
    assert "200.00 元" in flag["summary_zh"] and "200.00 CNY" in flag["summary"]
    case_view = city.http.get(f"/v1/cases/{CASE}", headers=city.headers("inspector")).json()
    assert flag["flag_id"] in {x["flag_id"] for x in case_view["flags"]}
    (listed,) = [x for x in case_view["flags"] if x["flag_id"] == flag["flag_id"]]
    assert listed["summary_zh"] == flag["summary_zh"]
    for event_id in flag["event_ids"]:
        assert event_id in case_view["events"]


def test_queue_filters_by_severity_and_pages(city: World) -> None:
    cash_above_limit(city)
    everything = flags(city, limit="500")["flags"]
    assert len(everything) >= 2
    critical = flags(city, severity="critical")["flags"]
    assert critical and all(x["severity"] == "critical" for x in critical)
    first = flags(city, limit="1")
    assert len(first["flags"]) == 1 and first["next"]
    second = flags(city, limit="1", after=first["next"])
    assert second["flags"][0]["flag_id"] != first["flags"][0]["flag_id"]
    assert city.http.get("/v1/flags", params={"severity": "huge"},
                         headers=city.headers("inspector")).status_code == 422


@pytest.mark.parametrize("after", ["zzz", "2024-09-30T10:00:00+08:00", "2024-09-30|RF04-x",
                                   "yesterday|RF04-x", "2024-09-30T10:00:00+08:00|"])
def test_a_cursor_the_queue_did_not_give_is_refused(city: World, after: str) -> None:
    """`after=zzz` silently answered the first page (or an arbitrary one)."""
    cash_above_limit(city)
    city.project()
    response = city.http.get("/v1/flags", params={"after": after},
                             headers=city.headers("inspector"))
    assert response.status_code == 422 and response.json()["field"] == "query.after"


def test_queue_since_and_until_are_instants_whatever_their_offset(city: World) -> None:
    """The queue's since/until are instants: one second after a flag was raised, written in
    UTC, comes after it (not before, as its text would sort); a value that is no instant is
    refused."""
    cash_above_limit(city)
    (flag,) = flags(city, rule="RF04")["flags"]
    raised = datetime.fromisoformat(flag["raised_at"])
    after = (raised + timedelta(seconds=1)).astimezone(timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert flags(city, rule="RF04", since=after)["flags"] == []
    assert [x["flag_id"] for x in flags(city, rule="RF04", until=after)["flags"]] \
        == [flag["flag_id"]]
    day = flag["raised_at"][:10]                 # a day: from its start in Beijing time
    assert flags(city, rule="RF04", since=day)["flags"] and not \
        flags(city, rule="RF04", until=day)["flags"]
    for bad in ("x", "2024-02-30T00:00:00+08:00", "2024-06-01T25:00:00Z",
                "9999-12-31T23:00:00-10:00"):
        for name in ("since", "until"):
            response = city.http.get("/v1/flags", params={name: bad},
                                     headers=city.headers("inspector"))
            assert response.status_code == 422, (name, bad)
            assert name in response.text


def test_dismissal_is_a_signed_event_that_changes_the_disposition(city: World) -> None:
    cash_above_limit(city)
    (flag,) = flags(city, rule="RF04")["flags"]
    city.post(sign_envelope(city.keys["inspector-01"], "inspector-01",
                            stream=f"flag:{flag['flag_id']}", type="FlagDismissed",
                            body=f.body("FlagDismissed", rule_id=flag["rule_id"])))
    (after,) = flags(city, rule="RF04")["flags"]
    assert after["disposition"] == "dismissed" and after["disposition_event_ids"]


def test_inspector_scoped_to_another_unit_sees_none_of_this_unit(city: World) -> None:
    cash_above_limit(city)
    city.project()
    scoped = city.token("inspector", principal="jw-other", units=("SH-XH-CG-09",))
    headers = {"Authorization": f"Bearer {scoped}"}
    assert city.http.get("/v1/flags", headers=headers).json()["flags"] == []
    assert city.http.get(f"/v1/cases/{CASE}", headers=headers).status_code == 404
    assert city.http.get("/v1/flags", params={"unit": f.UNIT}, headers=headers).status_code \
        == 403
    events = city.http.get(f"/v1/streams/case:{CASE}/events", headers=headers)
    assert events.status_code == 404
    assert city.http.get("/v1/bundles", params={"all": "true"}, headers=headers).status_code \
        == 403
    assert city.http.get("/v1/bundles", params={"case": CASE}, headers=headers).status_code \
        == 404
    mine = city.token("inspector", principal="jw-hp", units=(f.UNIT,))
    assert city.http.get(f"/v1/streams/case:{CASE}/events",
                         headers={"Authorization": f"Bearer {mine}"}).status_code == 200
    assert city.http.get("/v1/flags", headers={"Authorization": f"Bearer {mine}"}) \
        .json()["flags"]


def test_posters_cannot_read_the_queue(city: World) -> None:
    cash_above_limit(city)
    assert city.http.get("/v1/flags", headers=city.headers("poster")).status_code == 403
    assert city.http.get("/v1/flags").status_code == 401


def test_flags_recomputed_offline_from_a_bundle_equal_the_services(
        city: World, tmp_path: Path, log_key) -> None:  # noqa: ANN001
    cash_above_limit(city)
    post_steps(city, f.general_case() + f.withdrawn_case() + f.complaint_cycle())
    held, offline = held_and_offline(city, tmp_path, log_key)
    assert offline == held and len(held) >= 3
    assert all(v["summary_zh"] for v in offline.values())     # the Chinese sentence too


def held_and_offline(world: World, tmp_path: Path, log_key) -> tuple[dict, dict]:  # noqa: ANN001
    """The flags the service holds at ``AT``, and those ``ledger flags FILE`` computes at
    ``AT`` from a bundle of the whole ledger (flag id -> flag)."""
    world.project()
    view = world.http.app.app.state.flags
    view.refresh_all(AT)
    held = view.snapshot()
    log = LogView(world.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
                  signing_key=log_key)
    bundle = tmp_path / "all.ndjson"
    export_all(world, log, bundle)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ledger_main(["flags", str(bundle), "--at", AT.isoformat()])
    assert code == 0, err.getvalue()
    return held, {v["flag_id"]: v for v in map(json.loads, out.getvalue().splitlines())}


def test_flags_of_a_bundle_of_part_of_the_log_say_they_can_differ_from_the_services(
        city: World, tmp_path: Path, log_key) -> None:  # noqa: ANN001
    """`ledger flags case.ndjson`, the README's example, printed RF01/RF02 for officers whose
    credentials were recorded (on their officer: streams, which a case bundle leaves out) and
    said nothing: the demo's clean first case got 23 flags the service does not hold. A bundle
    of part of the log now comes with a note saying so; a whole-log bundle with none."""
    from ledger.bundle import StreamScope

    from .bundles import export
    cash_above_limit(city)
    held, offline = held_and_offline(city, tmp_path, log_key)
    log = LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN, signing_key=log_key)
    for scope, name in ((StreamScope.case(CASE), "case"), (None, "all")):
        bundle = tmp_path / f"{name}.ndjson"
        if scope is not None:
            export(city, log, bundle, scope)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            assert ledger_main(["flags", str(bundle), "--at", AT.isoformat()]) == 0
        notes = [line for line in err.getvalue().splitlines() if line.startswith("note: ")]
        if name == "all":
            assert notes == []
            continue
        assert notes[0] == ("note: a case bundle holds part of the log: these flags read only "
                            "what it holds (no officer's credentials or posts, dispatch order, "
                            "published configuration, other case or disposition of a flag it "
                            "leaves out: a flag disposed of prints as open), so they can differ "
                            "from the service's; a whole-log bundle (ledger export --all) gives "
                            "the service's flags")
        printed = list(map(json.loads, out.getvalue().splitlines()))
        beyond = [v for v in printed if v["scope"].split(":")[0] not in ("case", "complaint",
                                                                        "supervision")]
        # the flags whose rules read other cases are counted and named in a second note
        if beyond:
            assert len(notes) == 2
            assert notes[1].startswith(f"note: {len(beyond)} of the {len(printed)} flags (")
            assert all(v["rule_id"] in notes[1] for v in beyond)
        else:
            assert notes[1:] == []
        case_flags = {v["flag_id"] for v in printed}
        assert case_flags != {i for i, v in held.items() if v["scope"] == f"case:{CASE}"}


def relabelled(path: Path, kind: str) -> Path:
    """The bundle at ``path`` with its header's scope kind changed to ``kind`` (the header is
    not signed: anyone can)."""
    header, rest = path.read_bytes().split(b"\n", 1)
    value = json.loads(header)
    value["scope"] = {"kind": kind} if kind == "all" else {**value["scope"], "kind": kind}
    out = path.with_name(f"{path.stem}-as-{kind}.ndjson")
    out.write_bytes(json.dumps(value).encode() + b"\n" + rest)
    return out


def test_ledger_flags_reads_whole_log_ness_from_the_events_not_the_label(
        city: World, tmp_path: Path, log_key) -> None:  # noqa: ANN001
    """A case bundle relabelled `all` got no partial-scope note, and its officer and cohort
    flags were printed as the service's. The events decide now (every index 0 … tree_size − 1):
    the relabelled bundle gets the notes, a line naming the disagreement and exit 1; a
    whole-log bundle labelled `case` is read as the whole log (no partial note, exit 0)."""
    from ledger.bundle import StreamScope

    from .bundles import export
    cash_above_limit(city)
    held, _ = held_and_offline(city, tmp_path, log_key)
    log = LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN, signing_key=log_key)
    export(city, log, tmp_path / "case.ndjson", StreamScope.case(CASE))

    def run(bundle: Path) -> tuple[int, list[str], str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = ledger_main(["flags", str(bundle), "--at", AT.isoformat()])
        return code, err.getvalue().splitlines(), out.getvalue()

    code, lines, printed = run(relabelled(tmp_path / "case.ndjson", "all"))
    assert code == 1 and printed                # its flags are printed all the same
    assert ("ledger flags: the header's scope says the whole log (kind all), but the bundle "
            "does not hold an event at every index 0 … tree_size − 1: it is read as part of "
            "the log") in lines
    assert [x for x in lines if x.startswith("note: ")][0].startswith(
        "note: this bundle holds part of the log: these flags read only what it holds")
    code, lines, printed = run(relabelled(tmp_path / "all.ndjson", "case"))
    assert code == 0
    assert not any(x.startswith("note: ") for x in lines)
    assert any(x.startswith("ledger flags: the header's scope says case, but the bundle holds "
                            "every event") for x in lines)
    assert {v["flag_id"]: v for v in map(json.loads, printed.splitlines())} == held


def test_a_change_of_a_case_with_no_decision_is_raised_live_and_offline(
        city: World, tmp_path: Path, log_key) -> None:  # noqa: ANN001
    """RF20.d: the service's projection and ``ledger flags FILE`` both raise it."""
    amendment = f.step("case:SH-HP-2024-000999", "PenaltyAmended", f.at("2024-08-15"))
    [posted] = post_steps(city, f.staff() + [amendment])[-1:]
    held, offline = held_and_offline(city, tmp_path, log_key)
    assert offline == held
    [raised] = [v for v in held.values() if v["rule_id"] == "RF20.d"]
    assert raised["event_ids"] == [posted["event_id"]]
    assert raised["numbers"]["why"] == "no_decision"


@pytest.mark.parametrize("cut, message", [
    (lambda b: b"", "not a bundle: it is empty"),
    (lambda b: b.rsplit(b"\n", 2)[0] + b"\n", "the bundle is truncated (no end line)"),
    (lambda b: b"[1, 2]\n" + b, "line 1: not a bundle line (a JSON object)"),
    (lambda b: b.split(b"\n", 1)[1], "line 1: not a bundle header"),
    (gzip.compress, "the file is gzip-compressed: decompress it first (gunzip -c FILE | ledger "
                    "flags -)"),
    (lambda b: b.replace(b"\n", b"\n" + b"[" * 100_000 + b"]" * 100_000 + b"\n", 1),
     "line 2: JSON nested too deeply"),
    (lambda b: b.replace(b"\n", b'\n{"t":' + b"9" * 5_000 + b"}\n", 1),
     "line 2: an integer of more than 4,300 digits, which no bundle holds (the ledger records "
     "integers within ±(2^53-1))"),
])
def test_flags_refuse_input_that_is_not_a_whole_bundle(city: World, tmp_path: Path, log_key,
                                                       cut, message: str) -> None:  # noqa: ANN001
    """An empty or cut-short file printed "0 flags" (exit 0); a line that was JSON but not an
    object was an AttributeError traceback, one nested deeper than the interpreter's stack a
    RecursionError traceback, and an integer of more than 4,300 digits repeated Python's advice
    to call sys.set_int_max_str_digits()."""
    cash_above_limit(city)
    log = LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN, signing_key=log_key)
    bundle = tmp_path / "all.ndjson"
    export_all(city, log, bundle)
    bundle.write_bytes(cut(bundle.read_bytes()))
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert ledger_main(["flags", str(bundle), "--at", AT.isoformat()]) == 2
    assert err.getvalue() == f"ledger flags: {message}\n"


def test_flags_refuse_a_line_longer_than_any_bundle_line_without_reading_it_whole(
        city: World, tmp_path: Path, log_key, monkeypatch: pytest.MonkeyPatch) -> None:
    """As ledger verify: a line longer than fmt.MAX_LINE (made small here) is refused once that
    much of it is read, naming it (exit 2); it was read whole into memory."""
    cash_above_limit(city)
    log = LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN, signing_key=log_key)
    bundle = tmp_path / "all.ndjson"
    export_all(city, log, bundle)
    lines = bundle.read_bytes().split(b"\n")
    lines[3] = lines[3][:-1] + b',"x":"' + b"y" * 300_000 + b'"}'
    bundle.write_bytes(b"\n".join(lines))
    monkeypatch.setattr(fmt, "MAX_LINE", 100_000)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert ledger_main(["flags", str(bundle), "--at", AT.isoformat()]) == 2
    assert err.getvalue().startswith("ledger flags: line 4 is longer than 100,000 bytes")


def _set(part: str, field: str, value: Any) -> Callable[[dict], None]:
    return lambda line: line[part].__setitem__(field, value)


def _set_body(field: str, value: Any) -> Callable[[dict], None]:
    return lambda line: line["envelope"]["body"].__setitem__(field, value)


@pytest.mark.parametrize("change, wrong", [
    (_set_body("parties", -1), "body.parties: must be an array, found integer"),
    (_set_body("unit_id", []), "body.unit_id: must be a identifier, found array"),
    (_set_body("violation_occurred_at", 5),
     "body.violation_occurred_at: must be an RFC 3339 date-time string, found integer"),
    (_set("envelope", "body", None), "body: must be an object"),
    (_set("envelope", "stream", "officer:SH-HP-0231"),
     "stream: stream kind 'officer' is not allowed for CaseFiled (allowed: case)"),
    (_set("envelope", "signer", 5), "signer: must be a string"),
    (_set("envelope", "occurred_at", 5), "occurred_at must be an RFC 3339 timestamp with an "
                                         "offset, e.g. 2024-05-10T21:06:00+08:00"),
    (_set("envelope", "occurred_at", "2024-13-45T09:99:00+08:00"),
     "occurred_at is not a valid date-time"),
    (_set("receipt", "index", "3"), "receipt.index: must be an integer"),
    (_set("receipt", "recorded_at", None), "receipt.recorded_at must be an RFC 3339 timestamp "
                                           "with an offset, e.g. 2024-05-10T21:06:00+08:00"),
    (_set("receipt", "recorded_at", "2024-02-30T00:00:00.000000Z"),
     "receipt.recorded_at is not a valid date-time"),
])
def test_flags_refuse_an_event_the_ledger_would_not_have_recorded(
        city: World, tmp_path: Path, log_key, change: Callable[[dict], None],  # noqa: ANN001
        wrong: str) -> None:
    """The rules read bodies the door validated; ``ledger flags`` does not verify the bundle, and
    a body, envelope or receipt field of the wrong type was a TypeError or AttributeError
    traceback (exit 1) — or, the signer or index a string, flags computed from it; a time that
    is no date-time exited 2 naming no line ("month must be in 1..12")."""
    cash_above_limit(city)
    log = LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN, signing_key=log_key)
    bundle = tmp_path / "all.ndjson"
    export_all(city, log, bundle)
    lines = bundle.read_bytes().split(b"\n")
    number, line = next((n, json.loads(text)) for n, text in enumerate(lines, start=1)
                        if b'"type":"CaseFiled"' in text)
    change(line)
    lines[number - 1] = json.dumps(line).encode()
    bundle.write_bytes(b"\n".join(lines))
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert ledger_main(["flags", str(bundle), "--at", AT.isoformat()]) == 2
    assert err.getvalue() == (f"ledger flags: line {number}: event {line['envelope']['event_id']}"
                              f" is not one the ledger records: {wrong}\n")


@pytest.mark.parametrize("argv, message", [
    (["{tmp}/missing.ndjson"], "cannot read {tmp}/missing.ndjson: No such file or directory"),
    (["{tmp}"], "cannot read {tmp}: Is a directory"),
    (["-", "--at", "yesterday"], "--at must be an RFC 3339 time with an offset, e.g. "
                                  "2024-10-01T00:00:00+08:00; got 'yesterday'"),
    (["-", "--at", "2024-10-01T00:00:00"], "--at must be an RFC 3339 time with an offset, e.g. "
                                           "2024-10-01T00:00:00+08:00; got '2024-10-01T00:00:00'"),
])
def test_flags_name_the_file_or_the_time_they_cannot_read(tmp_path: Path, argv: list[str],
                                                          message: str) -> None:
    """A missing bundle said "[Errno 2] No such file or directory: 'x'" and `--at yesterday`
    "Invalid isoformat string: 'yesterday'", where `ledger verify` says "cannot read x: …"."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert ledger_main(["flags", *(a.format(tmp=tmp_path) for a in argv)]) == 2
    assert err.getvalue() == f"ledger flags: {message.format(tmp=tmp_path)}\n"


def test_full_rebuild_yields_identical_flags(city: World) -> None:
    cash_above_limit(city)
    post_steps(city, f.general_case() + f.withdrawn_case())
    view = city.http.app.app.state.flags
    view.clock = lambda: AT
    city.project()
    incremental = view.snapshot()
    view.reset()
    view.run_until_idle()
    assert view.snapshot() == incremental


def test_officer_and_unit_audit_trails_export_and_verify(city: World, tmp_path: Path,
                                                         log_key) -> None:  # noqa: ANN001
    from .bundles import trust_file, verify
    cash_above_limit(city)
    post_steps(city, f.general_case() + f.complaint_cycle())
    city.project()
    log = LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN, signing_key=log_key)
    trust = trust_file(tmp_path, city, log_key)
    for params, must_have in (({"officer": f.OFFICER_B}, {f"case:{CASE}", f"officer:{f.OFFICER_B}",
                                                          "complaint:C-2025-0042"}),
                              ({"unit": f.UNIT}, {f"case:{CASE}", "case:SH-HP-2024-000123"})):
        log.issue_checkpoint()
        response = city.http.get("/v1/bundles", params=params, headers=city.headers("auditor"))
        assert response.status_code == 200, response.text
        bundle = tmp_path / f"{next(iter(params))}.ndjson"
        bundle.write_bytes(response.content)
        header = json.loads(response.content.splitlines()[0])
        assert set(header["scope"]["streams"]) >= must_have
        streams = {json.loads(line)["envelope"]["stream"] for line in response.content.splitlines()
                   if json.loads(line)["t"] == "event"}
        assert streams - {"keys"} <= set(header["scope"]["streams"]) and must_have <= streams
        verdict = verify(bundle, trust)
        assert verdict.code == 0, verdict


def cash_not_yet_due(world: World) -> FlagsView:
    """Cash taken on the spot and never remitted, projected on 30 September, before it is due
    (8 October): no RF05.b yet. Returns the service's flag view."""
    unremitted = [s for s in f.summary_case(CASE) if s.type not in (
        "OnsiteCashRemitted", "AgencyDeposited", "SummaryDecisionFiled", "TreasuryReconciled",
        "CaseClosed")]
    post_steps(world, f.staff() + unremitted)
    view = world.http.app.app.state.flags
    view.clock = lambda: datetime(2024, 9, 30, 12, tzinfo=timezone.utc)
    world.project()
    assert not [x for x in view.snapshot().values() if x["rule_id"] == "RF05.b"]
    return view


def test_a_new_leader_raises_deadlines_that_pass_after_it_took_over(city: World) -> None:
    first = cash_not_yet_due(city)
    second = FlagsView(first.store, clock=lambda: AT)     # the leader after a restart
    second.process()
    took_over = second.snapshot()
    assert [x["rule_id"] for x in took_over.values()].count("RF05.b") == 1
    second.reset()
    second.run_until_idle()
    assert took_over == second.snapshot()


def test_flags_stored_without_a_chinese_summary_gain_it_when_a_new_leader_takes_over(
        city: World) -> None:
    """Flags stored by a version before ``summary_zh`` (rows without it, digests of the flag
    without it) are rewritten with it by the next leader, which evaluates every subject once;
    their ids stay."""
    cash_above_limit(city)
    view = city.http.app.app.state.flags
    city.project()
    before = view.snapshot()
    assert before and all(x["summary_zh"] for x in before.values())
    with psycopg.connect(city.owner_url) as conn:
        conn.execute("UPDATE view_flags SET flag = flag - 'summary_zh', digest = 'older'")
    assert not any("summary_zh" in x for x in view.snapshot().values())
    FlagsView(view.store, clock=view.clock).process()      # the leader after an upgrade
    assert view.snapshot() == before


def test_a_deadline_whose_flags_failed_to_commit_raises_them_on_the_next_attempt(
        city: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cash deadline passes while no event arrives; the transaction writing its flag fails
    (here the warning levels' update, as a dropped connection would) and is rolled back. The
    runner's next attempt writes the flag: it is not taken as stored, nor the deadline as
    judged."""
    view = cash_not_yet_due(city)
    view.clock = lambda: AT
    update = FlagsView._update_levels
    failures = [psycopg.OperationalError("the connection was lost")]

    def failing_once(self: FlagsView, *args: object) -> None:
        if failures:
            raise failures.pop()
        update(self, *args)

    monkeypatch.setattr(FlagsView, "_update_levels", failing_once)
    with pytest.raises(Unavailable, match="connection was lost"):
        view.process()
    assert not [x for x in view.snapshot().values() if x["rule_id"] == "RF05.b"]
    view.process()
    assert [x["rule_id"] for x in view.snapshot().values()].count("RF05.b") == 1


def test_catching_up_reads_every_event_up_to_the_position_once_in_order(city: World) -> None:
    """A new leader and a rebuild fold the log in batches fetched ahead on a thread: every event
    up to the position, once, in log order, and none after it."""
    from projections.readmodels import batches_upto as _batches
    from projections.readmodels import fetch_after
    post_steps(city, f.staff() + f.summary_case(CASE))
    with city.ledger.store.transaction() as curs:
        everything = [nid for nid, _ in fetch_after(curs, 0, 10 ** 6)]
        upto = everything[len(everything) // 2]
        for after in (0, everything[3]):
            got = [nid for batch in _batches(curs, after, upto, size=3) for nid, _ in batch]
            assert got == [n for n in everything if after < n <= upto]
        assert list(_batches(curs, upto, upto)) == []
        assert [n for b in _batches(curs, 0, 10 ** 9, size=4) for n, _ in b] == everything
    assert len(everything) > 10


@pytest.mark.parametrize("params, field, hint", [
    ({"rule": "RF99"}, "query.rule", "a rule family of the catalogue (RF01"),
    ({"rule": "rf04"}, "query.rule", "a rule family of the catalogue (RF01"),
    ({"rule": "RF06.e"}, "query.rule", "give rule_id=RF06.e"),
    ({"rule_id": "RF99.a"}, "query.rule_id", "a rule id of the catalogue (RF01"),
    ({"rule_id": "RF06"}, "query.rule_id", "give rule=RF06"),
])
def test_queue_refuses_a_rule_the_catalogue_does_not_hold(world: World, params: dict,
                                                          field: str, hint: str) -> None:
    """?rule=RF99 (or a sub-rule id where the family is asked, as rule=RF06.e) answered an
    empty page, as if no such flag had been raised."""
    response = world.http.get("/v1/flags", params=params, headers=world.headers("inspector"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(":invalid-request")
    assert problem["field"] == field and problem["errors"][0]["field"] == field
    assert hint in problem["detail"], problem["detail"]


@pytest.mark.parametrize("params", [{"rule": "RF06"}, {"rule": "RF01"}, {"rule_id": "RF06.e"},
                                    {"rule_id": "RF01"}, {"rule": "RF06", "rule_id": "RF06.e"}])
def test_queue_takes_every_family_and_rule_id_of_the_catalogue(world: World,
                                                               params: dict) -> None:
    response = world.http.get("/v1/flags", params=params, headers=world.headers("inspector"))
    assert response.status_code == 200, response.text


def test_a_deadline_falls_due_by_the_ledgers_clock_not_the_projectors(
        city: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Property seized an hour ago owes its inventory within 24 h (RF25.a). A projector whose
    host clock is two days ahead raised the flag a day early and dated the table two days on:
    the flags view read its process's clock. It reads the ledger's (the database server's),
    so the deadline has not passed; an explicit clock (tests, benchmarks) still wins."""
    from .clocks import database_clock, skew_process_clock

    seized = database_clock(city.owner_url) - timedelta(hours=1)
    case_id = "SH-HP-2026-S-000778"
    stream, cst = f"case:{case_id}", timezone(timedelta(hours=8))
    post_steps(city, f.staff() + [
        f.step(stream, "CaseFiled", (seized - timedelta(minutes=5)).astimezone(cst).isoformat(),
               procedure="summary", parties=[{"party_ref": f.VENDOR,
                                              "party_type": "individual"}],
               violation_code="STALL_SH", filing_no="HP-S-000778", approved_by=f.DROP,
               violation_occurred_at=(seized - timedelta(minutes=10)).astimezone(cst)
               .isoformat()),
        f.step(stream, "PropertySeized", seized.astimezone(cst).isoformat())])
    skew_process_clock(monkeypatch, timedelta(days=2))
    view = city.http.app.app.state.flags
    city.project()
    assert not [x for x in view.snapshot().values() if x["rule_id"] == "RF25.a"]
    evaluated = datetime.fromisoformat(flags(city)["evaluated_at"])
    assert abs(evaluated - database_clock(city.owner_url)) < timedelta(minutes=5)
    view.clock = lambda: seized + timedelta(hours=25)      # an explicit clock still wins
    view.refresh_all()
    assert [x["rule_id"] for x in view.snapshot().values()].count("RF25.a") == 1


def test_an_inspector_dismissing_one_officers_flags_over_and_over_is_flagged_live_and_offline(
        city: World, tmp_path: Path, log_key) -> None:  # noqa: ANN001
    """RF30 reads whom other scopes' flags are about: the service raises it from its
    incremental evaluations, and ``ledger flags`` and a rebuild give the same flags."""
    cases = [f"SH-HP-2024-S-00{4700 + i}" for i in range(6)]      # one receipt for six fines
    post_steps(city, f.staff() + [s for c in cases for s in f.summary_case(c)])
    reused = flags(city, rule_id="RF05.a")["flags"]
    assert len(reused) == 5
    for flag in reused:
        city.post(sign_envelope(city.keys["inspector-01"], "inspector-01",
                                stream=f"flag:{flag['flag_id']}", type="FlagDismissed",
                                body=f.body("FlagDismissed", rule_id=flag["rule_id"],
                                            inspector_id="SH-JW-007")))
    (rf30,) = flags(city, rule="RF30")["flags"]
    assert rf30["scope"] == "inspector:SH-JW-007" and rf30["numbers"]["dismissed"] == 5
    assert rf30["numbers"]["protected_officer_id"] == f.OFFICER_A
    held, offline = held_and_offline(city, tmp_path, log_key)
    assert offline == held and rf30["flag_id"] in held
    view = city.http.app.app.state.flags
    view.clock = lambda: AT
    view.reset()
    view.run_until_idle()
    assert view.snapshot() == held


def test_a_case_bundle_from_the_service_carries_the_dispositions_of_its_flags(
        city: World, tmp_path: Path, log_key,  # noqa: ANN001
        monkeypatch: pytest.MonkeyPatch) -> None:
    """GET /v1/bundles?case= carries the flag: stream of each flag the service holds about the
    case, whole, so `ledger flags` on it shows the dismissal the service holds (until
    2026-11-28 the case bundle held no flag: stream and the flag printed as open); it
    verifies (the inspector's key is in the keys stream it holds whole). For an inspector
    scoped to units, only the streams of flags about its units are carried."""
    from ledger.bundle import StreamScope
    from ledger.tokens import Principal

    from api.app import with_flag_streams
    from .bundles import trust_file, verify
    cash_above_limit(city)
    (flag,) = flags(city, rule="RF04")["flags"]
    city.post(sign_envelope(city.keys["inspector-01"], "inspector-01",
                            stream=f"flag:{flag['flag_id']}", type="FlagDismissed",
                            body=f.body("FlagDismissed", rule_id=flag["rule_id"])))
    city.project()
    LogView(city.ledger.store, origin=LOG_ORIGIN, key_name=LOG_ORIGIN,
            signing_key=log_key).issue_checkpoint()
    response = city.http.get("/v1/bundles", params={"case": CASE},
                             headers=city.headers("auditor"))
    assert response.status_code == 200, response.text
    bundle = tmp_path / "case.ndjson"
    bundle.write_bytes(response.content)
    lines = [json.loads(line) for line in response.content.splitlines()]
    carried = [x["envelope"]["type"] for x in lines
               if x["t"] == "event" and x["envelope"]["stream"] == f"flag:{flag['flag_id']}"]
    assert carried == ["FlagDismissed"]
    assert verify(bundle, trust_file(tmp_path, city, log_key)).code == 0
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert ledger_main(["flags", str(bundle), "--at", AT.isoformat()]) == 0
    printed = {v["flag_id"]: v for v in map(json.loads, out.getvalue().splitlines())}
    assert printed[flag["flag_id"]]["disposition"] == "dismissed"
    assert "a flag disposed of prints as open" not in err.getvalue()
    # a unit-scoped inspector: the streams of flags about its units only
    view = city.http.app.app.state.flags
    mine = Principal("jw-hp", frozenset({"inspector"}), frozenset({f.UNIT}))
    other = Principal("jw-other", frozenset({"inspector"}), frozenset({"SH-XH-CG-09"}))
    assert f"flag:{flag['flag_id']}" in with_flag_streams(view, StreamScope.case(CASE)).flags
    assert f"flag:{flag['flag_id']}" in with_flag_streams(view, StreamScope.case(CASE),
                                                          mine).flags
    assert with_flag_streams(view, StreamScope.case(CASE), other).flags == ()
    # ledger export --case, where the read models are, carries it too
    home = tmp_path / "home"
    home.mkdir()
    (home / "ledger.json").write_text(trust_file(tmp_path, city, log_key).read_text())
    monkeypatch.setenv("LEDGER_HOME", str(home))
    monkeypatch.setenv("LEDGER_DATABASE_URL", city.owner_url)
    with contextlib.redirect_stderr(io.StringIO()):
        assert ledger_main(["export", "--case", CASE, "--out", str(tmp_path / "cli.ndjson")]) == 0
    assert [x["envelope"]["type"] for x in map(json.loads, (tmp_path / "cli.ndjson")
                                               .read_bytes().splitlines())
            if x["t"] == "event" and x["envelope"]["stream"] == f"flag:{flag['flag_id']}"] \
        == ["FlagDismissed"]


def unattached(world: World, headers: dict[str, str], **params: str):  # noqa: ANN201
    world.project()
    return world.http.get("/v1/flags/unattached", params=params, headers=headers)


def test_a_dismissal_whose_flag_vanished_is_listed_for_unscoped_inspectors(city: World) -> None:
    """RF02 raised (no certificate recorded), dismissed, then the certificate recorded late:
    the flag vanishes (docs/red-flags.md, "Vanished flags") and its dismissal, which attached
    to nothing and was shown nowhere, is listed by GET /v1/flags/unattached."""
    officer_a = f.officer_setup(f.OFFICER_A, f.CERT_A)
    post_steps(city, [s for s in f.staff() if s not in officer_a[:1]] + f.summary_case(CASE))
    rf02, *_ = [x for x in flags(city, rule="RF02")["flags"]
                if x["subject"]["officer_id"] == f.OFFICER_A]
    held, *_ = [x for x in flags(city, limit="500")["flags"] if x["rule"] != "RF02"]
    for flag in (rf02, held):
        city.post(sign_envelope(city.keys["inspector-01"], "inspector-01",
                                stream=f"flag:{flag['flag_id']}", type="FlagDismissed",
                                body=f.body("FlagDismissed", rule_id=flag["rule_id"])))
    everyone = city.headers("inspector")
    assert unattached(city, everyone).json() == {"flags": [], "next": None}
    post_steps(city, officer_a[:1])           # the certificate, recorded after the dismissal
    after = {x["flag_id"] for x in flags(city, limit="500")["flags"]}
    assert rf02["flag_id"] not in after and held["flag_id"] in after
    page = unattached(city, everyone).json()
    (item,) = page["flags"]                  # the held flag's dismissal is not listed
    (dismissal,) = item["dispositions"]
    assert item["flag_id"] == rf02["flag_id"] and item["rule_id"] == rf02["rule_id"]
    assert dismissal["type"] == "FlagDismissed" and dismissal["inspector_id"]
    assert dismissal["recorded_at"] and page["next"] is None
    stored = city.http.get(f"/v1/events/{dismissal['event_id']}", headers=everyone).json()
    assert stored["envelope"]["stream"] == f"flag:{rf02['flag_id']}"
    assert unattached(city, city.headers("auditor")).status_code == 200


def test_unattached_dispositions_page_by_flag_id(city: World) -> None:
    for n in range(3):
        city.post(sign_envelope(city.keys["inspector-01"], "inspector-01",
                                stream=f"flag:RF02-never-raised-{n}", type="FlagDismissed",
                                body=f.body("FlagDismissed", rule_id="RF02")))
    headers = city.headers("inspector")
    first = unattached(city, headers, limit="2").json()
    assert [x["flag_id"] for x in first["flags"]] == ["RF02-never-raised-0",
                                                      "RF02-never-raised-1"]
    second = unattached(city, headers, limit="2", after=first["next"]).json()
    assert [x["flag_id"] for x in second["flags"]] == ["RF02-never-raised-2"]
    assert second["next"] is None


def test_a_unit_scoped_token_may_not_read_unattached_dispositions(city: World) -> None:
    city.post(sign_envelope(city.keys["inspector-01"], "inspector-01",
                            stream="flag:RF02-never-raised", type="FlagDismissed",
                            body=f.body("FlagDismissed", rule_id="RF02")))
    mine = city.token("inspector", principal="jw-hp", units=(f.UNIT,))
    response = unattached(city, {"Authorization": f"Bearer {mine}"})
    assert response.status_code == 403
    problem = response.json()
    assert "names no unit" in problem["detail"] and "RF02-never-raised" not in response.text
    assert unattached(city, city.headers("poster")).status_code == 403
    assert city.http.get("/v1/flags/unattached").status_code == 401


def test_queue_since_and_until_compare_instants_in_the_published_legal_zone(city: World) -> None:
    """A city that publishes another legal zone (``legal_utc_offset_minutes``, here UTC) has
    its flags' ``raised_at`` written in it; since/until were written at UTC+8 and compared with
    it as text, so ``since`` one second after a flag still listed it and ``until`` one second
    after it did not."""
    utc = f.step("config:legal-parameters", "LegalParametersPublished", f.at("2024-01-02"),
                 effective_from="2024-01-02", parameters=[
                     {"name": "legal_utc_offset_minutes", "value": 0, "unit": "minutes",
                      "basis": "local rule (test)"}])
    post_steps(city, [utc] + f.staff() + f.summary_case(CASE, amount_fen=20_000))
    (flag,) = flags(city, rule="RF04")["flags"]
    assert flag["raised_at"].endswith("+00:00")
    raised = datetime.fromisoformat(flag["raised_at"])
    for later in (raised + timedelta(seconds=1), raised + timedelta(milliseconds=1)):
        for written in (later.isoformat(), later.astimezone(timezone(timedelta(hours=8)))
                        .isoformat()):
            assert flags(city, rule="RF04", since=written)["flags"] == [], written
            assert [x["flag_id"] for x in flags(city, rule="RF04", until=written)["flags"]] \
                == [flag["flag_id"]], written
    earlier = (raised - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=8)))
    for written in (flag["raised_at"], earlier.isoformat()):
        assert flags(city, rule="RF04", since=written)["flags"], written
    assert not flags(city, rule="RF04", until=flag["raised_at"])["flags"]
    day = flag["raised_at"][:10]            # a day: from its start in the legal zone
    assert flags(city, rule="RF04", since=day)["flags"] and not \
        flags(city, rule="RF04", until=day)["flags"]


def test_a_page_cursor_given_before_a_legal_zone_is_published_pages_on_after_it(
        city: World) -> None:
    """Publishing another legal zone rewrites every flag's ``raised_at`` in it; a cursor the
    queue gave before (``…+08:00|id``) was compared as text with the new times, so the
    next page listed again the flag that ended the first."""
    cash_above_limit(city)
    first = flags(city, limit="1")
    post_steps(city, [f.step("config:legal-parameters", "LegalParametersPublished",
                             f.at("2024-11-20"), effective_from="2024-11-20", parameters=[
                                 {"name": "legal_utc_offset_minutes", "value": 0,
                                  "unit": "minutes", "basis": "local rule (test)"}])])
    seen, after = [x["flag_id"] for x in first["flags"]], first["next"]
    while after:
        page = flags(city, limit="5", after=after)
        assert all(x["raised_at"].endswith("+00:00") for x in page["flags"])
        seen += [x["flag_id"] for x in page["flags"]]
        after = page["next"]
    assert seen == [x["flag_id"] for x in flags(city, limit="500")["flags"]]
