"""Shape validation of event bodies: every refusal path names the field and says what is wrong;
well-formed but procedurally improper bodies pass (DESIGN.md principle 1)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from ledger.domain import (EVENT_TYPES, ROLES, STREAM_KINDS, json_schemas, lookup, upcast,
                           validate_event)
from ledger.domain import docgen
from ledger.domain.calendar import OFFICIAL_SCHEDULES
from ledger.domain.params import PARAMS, fine_schedule_body
from ledger.domain.personal import mask, personal_data
from ledger.errors import UnknownEventType
from ledger.schemas import (B64Url, DateTime, Enum, FieldError, Ident, Int, ListOf, Money, Obj, Opt,
                            Str)

from .domain_factory import DROP, body

CASE = "case:SH-HP-2024-000123"


def errors(type_name: str, b: dict, stream: str = CASE) -> list[tuple[str, str]]:
    return [(e.path, e.message) for e in validate_event(type_name, stream, b)]


def decided(**overrides: object) -> dict:
    return body("PenaltyDecided", **overrides)


# --- the vocabulary itself ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_declared_example_is_valid_on_its_stream(name: str) -> None:
    t = EVENT_TYPES[name]
    stream = "keys" if t.stream_kinds[0] == "keys" else f"{t.stream_kinds[0]}:X-1"
    assert validate_event(name, stream, t.example) == []
    json.dumps(t.example)  # plain JSON: no floats, no Python-only types
    assert t.doc


def test_vocabulary_covers_red_flags_yaml_event_vocabulary() -> None:
    yaml_vocabulary = {
        "OfficerCredentialIssued", "OfficerCredentialSuspended", "OfficerCredentialExpired",
        "AuxiliaryStaffRegistered", "PostAssigned", "DispatchOrderIssued",
        "IntegrityPledgeSigned", "RelationshipDeclared", "RecusalDecided", "ClueRegistered",
        "CaseFiled", "EvidenceRecorded", "CredentialShown", "RectificationOrdered",
        "RectificationVerified", "WarningIssued", "InvestigationConcluded", "BenchmarkApplied",
        "DeviationApproved", "PenaltyNoticeServed", "StatementReceived", "DefenceReviewed",
        "RightsWaived", "HearingRequested", "HearingScheduled", "HearingHeld",
        "LegalReviewCompleted", "CollectiveDiscussionHeld", "ExtensionApproved", "PenaltyDecided",
        "NoPenaltyDecided", "WaiverGranted", "DecisionServed", "SummaryDecisionFiled",
        "DecisionPublished", "DecisionPublicationWithdrawn", "PenaltyAmended", "PenaltyWithdrawn",
        "DecisionFormVoided", "TransferredToJudiciary", "CaseClosed", "CaseArchived",
        "PaymentRecorded", "OnsiteCashCollected", "OnsiteCashRemitted", "AgencyDeposited",
        "TreasuryReconciled", "SurchargeAssessed", "InstalmentApproved", "PropertySeized",
        "PropertyInventorySigned", "PropertyReturned", "PropertyDisposed", "PreservationOrdered",
        "ComplaintReceived", "ComplaintAcknowledged", "ComplaintClosed", "InspectionPerformed",
        "PatrolStarted", "PatrolEnded", "CampaignDeclared"}
    issue_4_extra = {
        "IntegrityPledgeCountersigned", "ComplaintExtended", "SupervisionNoticeIssued",
        "SupervisionFeedbackSubmitted", "SupervisionFeedbackAccepted",
        "DiscretionBenchmarkPublished", "FineSchedulePublished", "WorkingCalendarPublished",
        "LegalParametersPublished", "FlagAcknowledged", "FlagDismissed", "FlagConfirmed",
        "FlagReferred", "KeyRegistered", "KeyRevoked"}
    assert yaml_vocabulary | issue_4_extra <= EVENT_TYPES.keys()


def test_only_root_signs_the_key_registry_and_root_signs_nothing_else() -> None:
    for name, t in EVENT_TYPES.items():
        assert ("root" in t.signer_roles) == (name in ("KeyRegistered", "KeyRevoked")), name
        if "root" in t.signer_roles:
            assert t.signer_roles == {"root"} and t.stream_kinds == ("keys",)


def test_every_role_and_stream_kind_is_used() -> None:
    assert {r for t in EVENT_TYPES.values() for r in t.signer_roles} == ROLES.keys()
    assert {k for t in EVENT_TYPES.values() for k in t.stream_kinds} == STREAM_KINDS.keys()


def test_key_roles_gate_signing() -> None:
    assert lookup("PenaltyDecided").may_be_signed_by(["case-app"])
    assert not lookup("PenaltyDecided").may_be_signed_by(["bodycam", "finance"])
    assert lookup("EvidenceRecorded").may_be_signed_by(["bodycam"])


# --- refusals, one per path -----------------------------------------------------------------

def test_refuses_missing_field_naming_it() -> None:
    assert errors("PenaltyDecided", decided(amount_fen=DROP)) == [
        ("body.amount_fen", "required field is missing")]


@pytest.mark.parametrize("reason", ["   ", "\n\t ", ""])
def test_a_dismissal_reason_must_say_something(reason: str) -> None:
    """A flag dismissed "with a reason" of only spaces was accepted."""
    (error,) = errors("FlagDismissed", body("FlagDismissed", reason=reason), stream="flag:RF04-x")
    assert error[0] == "body.reason"
    assert errors("FlagDismissed", body("FlagDismissed", reason=" 有审批单 "),
                  stream="flag:RF04-x") == []


def test_refuses_unknown_field_naming_it() -> None:
    assert errors("PenaltyDecided", decided(party_name="张三")) == [
        ("body.party_name", "unknown field")]


def test_case_filed_records_when_a_continuing_violation_ended_and_stays_valid_without() -> None:
    """APL 第36条第2款 counts a continuing violation's two years from its end; CaseFiled had no
    field for it (refused as unknown). The field is optional, so cases filed before stay
    valid."""
    assert "violation_ended_at" not in body("CaseFiled")
    assert errors("CaseFiled", body("CaseFiled")) == []
    assert errors("CaseFiled", body("CaseFiled",
                                    violation_ended_at="2024-05-01T18:00:00+08:00")) == []
    (error,) = errors("CaseFiled", body("CaseFiled", violation_ended_at="2024-05-01"))
    assert error[0] == "body.violation_ended_at"


def test_refuses_unknown_field_in_nested_object() -> None:
    b = decided(party={"party_ref": "pty:Q3v9LmT2aZ8k", "party_type": "individual",
                       "id_number": "310101199001011234"})
    assert errors("PenaltyDecided", b) == [("body.party.id_number", "unknown field")]


def test_refuses_wrong_type() -> None:
    assert errors("PenaltyDecided", decided(decision_no=123)) == [
        ("body.decision_no", "must be a string, found integer")]
    assert errors("PenaltyDecided", decided(officers={"officer_id": "SH-HP-0231"})) == [
        ("body.officers", "must be an array, found object")]
    assert errors("DecisionServed", body("DecisionServed", party_present="yes")) == [
        ("body.party_present", "must be a boolean, found string")]


def test_refuses_boolean_where_an_integer_is_expected() -> None:
    assert errors("ExtensionApproved", body("ExtensionApproved", days=True)) == [
        ("body.days", "must be an integer, found boolean")]


def test_refuses_float_amount() -> None:
    assert errors("PenaltyDecided", decided(amount_fen=200.5)) == [
        ("body.amount_fen", "must be an integer number of fen (1 CNY = 100 fen), "
                            "found number (float)")]


def test_refuses_integral_float_amount_too() -> None:
    assert errors("PenaltyDecided", decided(amount_fen=20000.0))[0][0] == "body.amount_fen"


def test_refuses_negative_fen() -> None:
    assert errors("PaymentRecorded", body("PaymentRecorded", amount_fen=-1)) == [
        ("body.amount_fen", "must be ≥ 0 fen, found -1")]


def test_refuses_amount_beyond_safe_integer() -> None:
    assert errors("PaymentRecorded", body("PaymentRecorded", amount_fen=2**53)) == [
        ("body.amount_fen", f"must be ≤ {2**53 - 1} fen, found {2**53}")]


def test_refuses_date_time_without_offset() -> None:
    b = body("EvidenceRecorded", captured_at="2024-05-10T20:58:12")
    assert errors("EvidenceRecorded", b) == [
        ("body.captured_at", "must be an RFC 3339 date-time with an offset, e.g. "
                             "2024-05-10T21:06:00+08:00; found '2024-05-10T20:58:12'")]


def test_refuses_impossible_date_time() -> None:
    b = body("EvidenceRecorded", captured_at="2024-02-30T10:00:00+08:00")
    assert errors("EvidenceRecorded", b) == [
        ("body.captured_at", "is not a valid date-time: '2024-02-30T10:00:00+08:00'")]


def test_accepts_utc_and_nanosecond_date_times() -> None:
    for value in ("2024-05-10T12:58:12Z", "2024-05-10T20:58:12.123456789+08:00"):
        assert errors("EvidenceRecorded", body("EvidenceRecorded", captured_at=value)) == []


def test_refuses_bad_date() -> None:
    b = body("OfficerCredentialIssued", valid_until="2027/12/31")
    assert errors("OfficerCredentialIssued", b, "officer:SH-HP-0231") == [
        ("body.valid_until", "must be a date YYYY-MM-DD; found '2027/12/31'")]
    b = body("OfficerCredentialIssued", valid_until="2027-02-29")
    assert errors("OfficerCredentialIssued", b, "officer:SH-HP-0231") == [
        ("body.valid_until", "is not a valid calendar date: '2027-02-29'")]


def test_refuses_bad_enum() -> None:
    assert errors("PenaltyDecided", decided(procedure="simplified")) == [
        ("body.procedure", "must be one of general, summary; found 'simplified'")]


def test_refuses_bad_pattern_for_party_reference() -> None:
    b = decided(party={"party_ref": "张三", "party_type": "individual"})
    assert errors("PenaltyDecided", b) == [
        ("body.party.party_ref", "must be a pseudonymous party reference 'pty:<opaque>' "
                                 "(pattern ^pty:[A-Za-z0-9_-]{8,64}$)")]


def test_refuses_bad_pattern_deep_in_a_list_with_its_index() -> None:
    b = decided(officers=[{"officer_id": "SH-HP-0231", "cert_no": "31010219001"},
                          {"officer_id": "SH-HP-0232", "cert_no": "31 01"}])
    assert errors("PenaltyDecided", b) == [
        ("body.officers[1].cert_no", "must be a certificate number (letters, digits, -) "
                                     "(pattern ^[A-Za-z0-9][A-Za-z0-9-]{3,31}$)")]


def test_refuses_too_many_items() -> None:
    officers = [{"officer_id": f"SH-HP-{i:04d}"} for i in range(11)]
    assert errors("PenaltyDecided", decided(officers=officers)) == [
        ("body.officers", "must have at most 10 items, found 11")]


def test_refuses_too_few_items() -> None:
    assert errors("PenaltyDecided", decided(officers=[])) == [
        ("body.officers", "must have at least 1 item, found 0")]


def test_refuses_empty_and_overlong_strings() -> None:
    assert errors("PenaltyDecided", decided(legal_basis="")) == [
        ("body.legal_basis", "must not be empty")]
    assert errors("PenaltyDecided", decided(legal_basis="条" * 201)) == [
        ("body.legal_basis", "must be at most 200 characters, found 201")]


def test_refuses_uppercase_or_short_sha256() -> None:
    b = body("EvidenceRecorded", content_sha256="AB" * 32)
    assert errors("EvidenceRecorded", b) == [
        ("body.content_sha256", "must be a SHA-256 digest: 64 lowercase hex characters")]


def test_refuses_bad_public_key_encodings() -> None:
    def key_errors(value: object) -> list[tuple[str, str]]:
        return errors("KeyRegistered", body("KeyRegistered", public_key=value), "keys")
    good = lookup("KeyRegistered").example["public_key"]
    assert key_errors(good + "=") == [
        ("body.public_key", "must be unpadded base64url (A-Z a-z 0-9 - _)")]
    assert key_errors(good[:-4]) == [("body.public_key", "must encode 32 bytes, found 29")]
    assert key_errors(good[:-1] + "p") == [("body.public_key", "is not canonical base64url")]


def test_reports_every_problem_at_once_in_a_stable_order() -> None:
    b = decided(amount_fen=1.5, procedure="x", extra=1, decision_no=DROP)
    assert [p for p, _ in errors("PenaltyDecided", b)] == [
        "body.decision_no", "body.extra", "body.procedure", "body.amount_fen"]


def test_refuses_non_object_body() -> None:
    assert errors("PenaltyDecided", ["not", "an", "object"]) == [("body", "must be an object")]


def test_refuses_wrong_stream_kind() -> None:
    assert errors("PenaltyDecided", decided(), "officer:SH-HP-0231") == [
        ("stream", "stream kind 'officer' is not allowed for PenaltyDecided (allowed: case)")]


def test_refuses_stream_without_kind_or_id() -> None:
    assert errors("PenaltyDecided", decided(), "SH-HP-2024-000123") == [
        ("stream", "must be '<kind>:<id>' or 'keys'")]
    assert errors("KeyRevoked", body("KeyRevoked"), "keys:extra") == [
        ("stream", "must be '<kind>:<id>' or 'keys'")]


def test_refuses_unknown_type_with_a_field_level_entry() -> None:
    with pytest.raises(UnknownEventType, match="unknown event type 'PenaltyDecidedX'") as info:
        validate_event("PenaltyDecidedX", CASE, {})
    assert info.value.errors == [{"field": "type",
                                  "message": "unknown event type 'PenaltyDecidedX'"}]
    with pytest.raises(UnknownEventType):
        lookup("penaltydecided")


def test_field_errors_convert_to_problem_entries() -> None:
    [e] = validate_event("PenaltyDecided", CASE, decided(amount_fen=-5))
    assert e == FieldError("body.amount_fen", "must be ≥ 0 fen, found -5")
    assert e.to_value() == {"field": "body.amount_fen", "message": "must be ≥ 0 fen, found -5"}


# --- shape only: improper but well-formed bodies are accepted ---------------------------------

def test_accepts_procedurally_improper_but_well_formed_events() -> None:
    # cash above the 100 CNY limit, no receipt, no justification: recorded, then flagged (RF04/05)
    cash = body("OnsiteCashCollected", amount_fen=50_000, receipt_no=DROP, justification="none")
    assert errors("OnsiteCashCollected", cash) == []
    # a summary fine of 5,000 CNY decided by one officer with no certificate (RF01/RF02/RF03)
    lone = decided(procedure="summary", amount_fen=500_000, officers=[{"officer_id": "X-1"}])
    assert errors("PenaltyDecided", lone) == []
    # an amendment without any approval (RF20) and a fine above the statutory range (RF15)
    assert errors("PenaltyAmended", body("PenaltyAmended", approval_id=DROP, approved_by=DROP,
                                         approval_form=DROP)) == []
    assert errors("PenaltyDecided", decided(amount_fen=99_999_999)) == []
    # the same officer listed twice (RF01 counts distinct certificates)
    twice = decided(officers=[{"officer_id": "A-1", "cert_no": "1234"}] * 2)
    assert errors("PenaltyDecided", twice) == []


# --- versions and upcasting -----------------------------------------------------------------

EVIDENCE_V1 = {"evidence_id": "EV-1", "kind": "photo", "hash": "ab" * 32, "device_id": "BC-1",
               "captured_at": "2024-05-10T20:58:12+08:00", "device_signed": True}


def test_accepts_evidence_v1_without_schema_version_and_upcasts_it() -> None:
    assert errors("EvidenceRecorded", EVIDENCE_V1) == []
    before = copy.deepcopy(EVIDENCE_V1)
    current = upcast("EvidenceRecorded", EVIDENCE_V1)
    assert EVIDENCE_V1 == before  # never mutated
    assert current == {"evidence_id": "EV-1", "kind": "photo", "content_sha256": "ab" * 32,
                       "hash_alg": "sha-256", "capture_device": {"device_id": "BC-1"},
                       "captured_at": "2024-05-10T20:58:12+08:00", "device_signed": True,
                       "schema_version": 2}
    assert errors("EvidenceRecorded", current) == []


def test_accepts_explicit_schema_version_1() -> None:
    assert errors("EvidenceRecorded", {**EVIDENCE_V1, "schema_version": 1}) == []


def test_current_body_passes_upcast_unchanged() -> None:
    b = body("EvidenceRecorded")
    assert upcast("EvidenceRecorded", b) is b


def test_refuses_v2_body_without_its_schema_version_saying_so() -> None:
    b = body("EvidenceRecorded", schema_version=DROP)
    assert errors("EvidenceRecorded", b) == [
        ("body.schema_version", "required field is missing: this body has the shape of "
                                "version 2 (absent means 1)")]


def test_refuses_v1_shape_claiming_version_2() -> None:
    assert errors("EvidenceRecorded", {**EVIDENCE_V1, "schema_version": 2}) == [
        ("body.content_sha256", "required field is missing"),
        ("body.hash_alg", "required field is missing"),
        ("body.capture_device", "required field is missing"),
        ("body.device_id", "unknown field"),
        ("body.hash", "unknown field")]


def test_refuses_unknown_schema_version() -> None:
    assert errors("EvidenceRecorded", body("EvidenceRecorded", schema_version=3)) == [
        ("body.schema_version", "must be an integer, one of: 1, 2; found 3")]
    assert errors("CaseFiled", body("CaseFiled", schema_version="1")) == [
        ("body.schema_version", "must be an integer, one of: 1; found '1'")]


def test_key_bodies_are_exactly_the_wire_contract() -> None:
    assert set(lookup("KeyRegistered").example) == {
        "key_id", "public_key", "principal", "roles", "not_before", "not_after"}
    assert errors("KeyRegistered", body("KeyRegistered", schema_version=1), "keys") == [
        ("body.schema_version", "unknown field")]
    assert errors("KeyRegistered", body("KeyRegistered", not_after=DROP), "keys") == [
        ("body.not_after", "required field is missing")]
    assert errors("KeyRevoked", {"key_id": "k1", "reason": "lost"}, "keys") == []


def test_a_registered_key_cannot_claim_the_root_role() -> None:
    [(path, message)] = errors("KeyRegistered", body("KeyRegistered", roles=["root"]), "keys")
    assert path == "body.roles[0]" and message.endswith("found 'root'")


# --- the schema kinds themselves --------------------------------------------------------------

def test_money_must_be_declared_in_a_fen_field() -> None:
    with pytest.raises(ValueError, match="amount"):
        Obj({"amount": Money()})
    with pytest.raises(ValueError, match="total_fen"):
        Obj({"total_fen": Int()})
    Obj({"total_fen": Money(), "note": Opt(Str())})


def test_schema_kinds_validate_standalone_with_a_path() -> None:
    assert ListOf(DateTime(), max_items=1).validate(["2024-01-01T00:00:00Z"] * 2, "x") == [
        FieldError("x", "must have at most 1 items, found 2")]
    assert B64Url(size=2).validate("AAA", "k") == []


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                   "9999-12-31T00:00:00Z", "0001-01-01T12:00:00Z"])
def test_a_date_time_whose_date_cannot_be_represented_is_refused_naming_the_field(
        value: str) -> None:
    (error,) = DateTime().validate(value, "body.captured_at")
    assert error.path == "body.captured_at" and "cannot be dated" in error.message
    assert not DateTime().ok(value)


@pytest.mark.parametrize("value", ["0001-01-02T00:00:00Z", "9999-12-30T23:59:59.999999999Z",
                                   "9999-12-31T07:59:59+08:00", "0999-05-01T10:00:00+08:00"])
def test_a_date_time_dated_within_years_1_to_9999_everywhere_is_accepted(value: str) -> None:
    assert DateTime().validate(value, "x") == [] and DateTime().ok(value)


def test_json_schema_is_2020_12_and_closed() -> None:
    schemas = json_schemas()
    assert set(schemas) == set(EVENT_TYPES)
    decided_js = schemas["PenaltyDecided"]
    assert decided_js["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert decided_js["additionalProperties"] is False
    assert "amount_fen" in decided_js["required"]
    assert decided_js["properties"]["amount_fen"] == {
        "type": "integer", "minimum": 0, "maximum": 2**53 - 1,
        "description": "fine in fen (0 when no fine)"}
    assert decided_js["properties"]["party"]["properties"]["party_ref"]["pattern"] == \
        "^(?:pty:[A-Za-z0-9_-]{8,64})$"
    assert [v["properties"]["schema_version"] for v in schemas["EvidenceRecorded"]["anyOf"]] == [
        {"type": "integer", "minimum": 2, "maximum": 2,
         "description": "body schema version (2; absent means 1)"},
        {"type": "integer", "minimum": 1, "maximum": 1,
         "description": "body schema version (1; absent means 1)"}]
    json.dumps(schemas)


def test_json_schema_accepts_every_example_when_a_validator_is_available() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for name, t in EVENT_TYPES.items():
        jsonschema.Draft202012Validator(t.json_schema()).validate(t.example)


# --- published configuration and generated docs ---------------------------------------------

def test_published_configuration_bodies_are_valid() -> None:
    assert errors("FineSchedulePublished", fine_schedule_body(), "config:fine-schedule") == []
    params = PARAMS.published_body(jurisdiction="national", effective_from="2024-01-01")
    assert errors("LegalParametersPublished", params, "config:legal-parameters") == []
    for schedule in OFFICIAL_SCHEDULES.values():
        assert errors("WorkingCalendarPublished", schedule.published_body(),
                      "config:calendar") == []


def test_docs_events_md_is_generated_from_the_vocabulary() -> None:
    path = Path(__file__).resolve().parents[1] / "docs" / "events.md"
    assert path.read_text(encoding="utf-8") == docgen.render(), \
        "docs/events.md is stale: run python -m ledger.domain.docgen docs/events.md"
    for name in EVENT_TYPES:
        assert f"### {name}\n" in docgen.render()


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--check", "--help"], []])
def test_docgen_takes_no_option_for_a_path(argv: list[str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m ledger.domain.docgen --help` wrote the whole of docs/events.md to a file
    named --help in the working directory: an argument that looks like an option is a usage
    error (exit 2), and nothing is written."""
    monkeypatch.chdir(tmp_path)
    assert docgen.main(argv) == 2
    assert "usage:" in capsys.readouterr().err and list(tmp_path.iterdir()) == []


# --- the fast predicate agrees with the full check ------------------------------------------

_ODD_VALUES = (None, True, False, 0, -1, 1, 2**53, "", "x", "X" * 300, "2024-02-30",
               "2024-05-10T21:06:00+08:00", "2024-05-10", "a" * 64, [], [1], {}, {"x": 1}, 1.5)


def _mutations(value: object, rng: random.Random, depth: int = 0):
    """``value`` with one change somewhere inside: a field dropped, added, or replaced by an
    odd value, or an array item dropped or replaced."""
    if isinstance(value, dict) and value:
        name = rng.choice(sorted(value))
        yield {k: v for k, v in value.items() if k != name}
        yield {**value, "unexpected_field": 1}
        yield {**value, name: rng.choice(_ODD_VALUES)}
        for inner in _mutations(value[name], rng, depth + 1):
            yield {**value, name: inner}
    elif isinstance(value, list) and value:
        i = rng.randrange(len(value))
        yield value[:i] + value[i + 1:]
        yield value + value * 100
        yield [*value[:i], rng.choice(_ODD_VALUES), *value[i + 1:]]
        for inner in _mutations(value[i], rng, depth + 1):
            yield [*value[:i], inner, *value[i + 1:]]


def _city_bodies() -> list[tuple[str, dict]]:
    from ledger.crypto import SigningKey
    from ledger.synth import SCALES, SyntheticCity

    city = SyntheticCity(SCALES["tiny"], root_key=SigningKey(bytes(32)), root_key_id="root-1")
    return [(env["type"], env["body"]) for env in city.envelopes()]


def test_the_fast_predicate_agrees_with_the_full_check_on_valid_and_mutated_bodies() -> None:
    """``Schema.ok`` (what the ingest path asks) is true exactly when ``check`` reports no
    problem: on every example, the tiny synthetic city's bodies and thousands of mutations."""
    rng = random.Random(1)
    samples = [(name, t.example) for name, t in EVENT_TYPES.items()] + _city_bodies()
    agreed = valid = invalid = 0
    for name, good in samples:
        schema = lookup(name).schema(good.get("schema_version", 1)
                                     if lookup(name).versioned else 1)
        for value in (good, *_mutations(good, rng)):
            found: list[FieldError] = []
            schema.check(value, "body", found)
            assert schema.ok(value) == (not found), (name, value, found)
            assert schema.validate(value) == found
            agreed += 1
            valid += not found
            invalid += bool(found)
    assert valid > 500 and invalid > 2000, (valid, invalid)


# --- personal data typed into a published field -----------------------------------------------

PERSONAL_VALUES = [("310101199001011234", "resident ID number"),
                   ("31010119900101123X", "resident ID number"),
                   ("310101900101123", "resident ID number"),    # first generation: 15 digits
                   ("13812345678", "mobile number"), ("+86 138-1234-5678", "mobile number"),
                   ("沪A12345", "vehicle plate"), ("沪AD12345", "vehicle plate")]


# url and publication_ref: their grammar refuses Han, spaces and "+", so a plate never reaches
# the check there, and a mobile number is typed bare
_ASCII_VALUES = [(v.replace(" ", "").replace("+", ""), k) for v, k in PERSONAL_VALUES
                 if v.isascii()]


@pytest.mark.parametrize("type_name, field, template, value, kind", [
    (t, f, template, v, k) for t, f, template, values in [
        ("PenaltyDecided", "legal_basis", "SH_SRHW 第25条（当事人{}）", PERSONAL_VALUES),
        ("PenaltyDecided", "decision_no", "沪黄城管罚〔2024〕第123号{}", PERSONAL_VALUES),
        ("DecisionPublished", "url", "https://www.shhuangpu.gov.cn/gs/{}.html", _ASCII_VALUES),
        ("DecisionPublished", "publication_ref", "PUB-{}", _ASCII_VALUES)]
    for v, k in values])
def test_refuses_personal_data_in_a_field_the_public_feed_copies(
        type_name: str, field: str, template: str, value: str, kind: str) -> None:
    """A decision number, legal basis, publication reference or URL was accepted with an ID
    number, mobile number or plate typed into it, and the feed published it as posted."""
    posted = template.format(value)
    (error,) = errors(type_name, body(type_name, **{field: posted}))
    assert error == (f"body.{field}", f"must not hold personal data: it holds what looks like "
                                      f"a {kind} (this field is published)")


@pytest.mark.parametrize("type_name, field, value", [
    ("PenaltyDecided", "decision_no", "沪黄城管罚〔2024〕第123号"),
    ("PenaltyDecided", "decision_no", "沪黄城管简罚〔2024〕第1381234号"),
    ("PenaltyDecided", "decision_no", "HP-S-2024-004512"),
    ("PenaltyDecided", "legal_basis", "《上海市市容环境卫生管理条例》第25条第1款、第44条第1款第(二)项"),
    ("PenaltyDecided", "legal_basis", "APL 第57条(三)"),
    ("PenaltyDecided", "legal_basis", "沪府规〔2023〕13号 第12条"),
    ("NoPenaltyDecided", "legal_basis", "APL 第33条第1款"),
    ("DecisionPublished", "url", "https://www.shhuangpu.gov.cn/zw/009001/009001005/20240814/"
                                 "art_1234567.html?id=2024081412345678901"),
    ("DecisionPublished", "url", "https://credit.sh.gov.cn/xzcf/13812345678901.html"),
    ("DecisionPublished", "publication_ref", "PUB-2024-HP-0412"),
    # 15 digits that are no first-generation ID number: day 34, month 13, area code 9
    ("PenaltyDecided", "decision_no", "HP-202408141234567"),
    ("PenaltyDecided", "decision_no", "沪黄城管罚〔2024〕第310101901301123号"),
    ("DecisionPublished", "publication_ref", "PUB-910101900101123")])
def test_a_published_field_near_a_personal_pattern_passes(type_name: str, field: str,
                                                          value: str) -> None:
    assert errors(type_name, body(type_name, **{field: value})) == []


@pytest.mark.parametrize("number, is_id", [
    ("310101900101123", True), ("110105960229001", True),     # 1996 was a leap year
    ("810000751231999", True),
    ("910101900101123", False), ("010101900101123", False),   # no area code starts 9 or 0
    ("310101901301123", False), ("310101900230123", False),   # month 13, 30 February
    ("310101000229123", False),                               # 1900 was not a leap year
    ("3101019001011234", False), ("31010190010112", False)])  # 16 and 14 digits
def test_a_15_digit_number_is_an_id_number_only_with_an_area_code_and_a_real_birth_date(
        number: str, is_id: bool) -> None:
    """A first-generation resident ID number (15 digits: area code, YYMMDD of a 19xx birth,
    sequence) passed every published field: only the 18-digit form was looked for."""
    assert personal_data(f"PUB-{number}") == ("resident ID number" if is_id else None)
    assert (mask(number) == number[:3] + "*" * 9 + number[-3:]) is is_id


@pytest.mark.parametrize("number, birth", [
    ("310101900101123", slice(6, 12)), ("110105960229001", slice(6, 12)),
    ("310101199001011234", slice(6, 14)), ("31010119900101123X", slice(6, 14))])
def test_a_masked_id_number_shows_no_digit_of_the_birth_date(number: str, birth: slice) -> None:
    """The mask kept the last four characters of every ID number: of a 15-digit one (no check
    digit) that is the last digit of the birth day, shown in the public record. Now only the
    area code's first three and what follows the birth date (sequence, check digit) show."""
    masked = mask(f"联系人{number}")
    assert masked.startswith("联系人") and len(masked) == len(number) + 3
    masked = masked[3:]
    assert masked[birth] == "*" * (birth.stop - birth.start)
    assert masked == number[:3] + "*" * (birth.stop - 3) + number[birth.stop:]


def test_an_enums_chinese_labels_must_name_exactly_its_values() -> None:
    assert Enum("a", "b", zh={"a": "甲", "b": "乙"}).describe() == "enum: `a` (甲) | `b` (乙)"
    with pytest.raises(ValueError, match="zh labels must name exactly its values"):
        Enum("a", "b", zh={"a": "甲"})
    with pytest.raises(ValueError, match="zh labels must name exactly its values"):
        Enum("a", zh={"a": "甲", "c": "丙"})


def test_an_enums_english_labels_must_name_exactly_its_values() -> None:
    both = Enum("a", "b", zh={"a": "甲", "b": "乙"}, en={"a": "first", "b": "second"})
    assert both.describe() == "enum: `a` (甲 / first) | `b` (乙 / second)"
    with pytest.raises(ValueError, match="en labels must name exactly its values"):
        Enum("a", "b", en={"a": "first"})


def test_identifier_refuses_the_segments_a_url_path_rewrites() -> None:
    """An identifier is a stream's id (and in GET /v1/cases/{case_id}, a URL path), where
    clients remove . and .. segments (RFC 3986 §5.2.4) and proxies merge slashes."""
    ident = Ident()
    assert not [v for v in ("A/./B", "A/../B", "A//B", "A/", "A/.", "A/..") if ident.ok(v)]
    assert all(ident.ok(v) for v in ("A/B", "A/.b/..c/d.", "A.B:C-D_E", "A" * 128))


@pytest.mark.parametrize("type_name", ["SurchargeAssessed", "InstalmentApproved"])
def test_the_decision_a_surcharge_or_plan_names_is_optional_and_checked(type_name: str) -> None:
    """Both may name the decision they are for (a case with several parties): absent, the body
    is valid as before; present, it is held to the decision number's rules, named."""
    assert errors(type_name, body(type_name)) == []
    assert errors(type_name, body(type_name, decision_no="沪黄城管罚〔2024〕第123号")) == []
    assert errors(type_name, body(type_name, decision_no=123)) == [
        ("body.decision_no", "must be a string, found integer")]
    assert errors(type_name, body(type_name, decision_no="")) == [
        ("body.decision_no", "must not be empty")]


def test_the_party_a_no_penalty_decision_names_is_optional_and_checked() -> None:
    """A decision not to penalise may name its party (one of several, 共同违法): absent, the
    body is valid as before; present, it is held to the party reference's rules, named."""
    assert errors("NoPenaltyDecided", body("NoPenaltyDecided")) == []
    assert errors("NoPenaltyDecided", body("NoPenaltyDecided", party_ref="pty:7Kq2mZ8rXw4b")) == []
    assert errors("NoPenaltyDecided", body("NoPenaltyDecided", party_ref=7)) == [
        ("body.party_ref", "must be a party reference, found integer")]
    assert errors("NoPenaltyDecided", body("NoPenaltyDecided", party_ref="")) == [
        ("body.party_ref", "must not be empty")]
