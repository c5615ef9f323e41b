"""Realistic, valid event bodies and whole lifecycles, for tests and the demo generator.

* ``body(type_name, **overrides)`` — a valid body of any type (from its declared example);
  ``DROP`` removes a field.
* Lifecycle builders (``summary_case``, ``general_case``, ``withdrawn_case``,
  ``redecided_case``, ``complaint_cycle``, ``officer_setup``) return ``Step``s — (stream, type,
  occurred_at, body) — in log order. Turn them into ``Recorded`` events with ``History``
  (projection tests) or into signed envelopes with ``ledger.client.sign_envelope`` (HTTP tests),
  choosing a key role with ``signer_role(type)``.

Parties are pseudonymous (``pty:…``); no names or ID numbers appear anywhere.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any, Iterable

from ledger.domain import lookup
from ledger.envelope import Recorded
from ledger.schemas import parse_datetime

DROP = object()

UNIT = "SH-HP-CG-02"
HEAD = "SH-HP-0101"           # 大队长: approves, decides general cases
DEPUTY = "SH-HP-0103"
LEGAL = "SH-HP-0301"          # 法制审核 / hearing presider
OFFICER_A, CERT_A = "SH-HP-0231", "31010219001"
OFFICER_B, CERT_B = "SH-HP-0232", "31010219002"
AUXILIARY = "SH-HP-X017"      # 协管员
HANDLER = "SH-HP-0401"        # complaints handler
FINANCE = "SH-HP-FIN-03"
VENDOR = "pty:7Kq2mZ8rXw4b"   # a street vendor (individual)
COMPANY = "pty:Q3v9LmT2aZ8k"  # a building-materials company (organisation)
TWO = [{"officer_id": OFFICER_A, "cert_no": CERT_A}, {"officer_id": OFFICER_B, "cert_no": CERT_B}]
H = "5f1c3f0e2b8e4a8f9d0c1b2a39485766a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"

#: preferred signing role per type, for posting lifecycles with one key per role
_ROLE_PREFERENCE = ("root", "config", "hr", "bodycam", "officer-device", "case-app", "legal",
                    "treasury", "finance", "complaints", "supervisor", "inspector")


def body(type_name: str, **overrides: Any) -> dict[str, Any]:
    """A valid body of ``type_name`` with ``overrides`` applied (``DROP`` removes a field)."""
    result = copy.deepcopy(lookup(type_name).example)
    for key, value in overrides.items():
        if value is DROP:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def signer_role(type_name: str) -> str:
    """A realistic role to sign ``type_name`` with (the first preferred role allowed)."""
    roles = lookup(type_name).signer_roles
    return next(r for r in _ROLE_PREFERENCE if r in roles)


@dataclass(frozen=True)
class Step:
    stream: str
    type: str
    occurred_at: str
    body: dict[str, Any]


def step(stream: str, type_name: str, occurred_at: str, **overrides: Any) -> Step:
    if type_name == "PaymentRecorded" and "payment_id" not in overrides:
        # the bank's id names one payment (RF06.f): here, one per case and instant
        overrides["payment_id"] = (f"PAY-{stream.partition(':')[2]}-{occurred_at[:10]}-"
                                   f"{occurred_at[11:19].replace(':', '')}")
    return Step(stream, type_name, occurred_at, body(type_name, **overrides))


class History:
    """Assigns log positions, event ids and ``recorded_at`` to steps, as the ledger would."""

    def __init__(self, *, lag: timedelta = timedelta(minutes=2)) -> None:
        self.events: list[Recorded] = []
        self._versions: dict[str, int] = {}
        self._lag = lag

    def record(self, s: Step) -> Recorded:
        index = len(self.events)
        version = self._versions[s.stream] = self._versions.get(s.stream, 0) + 1
        recorded = (parse_datetime(s.occurred_at) + self._lag).astimezone(timezone.utc)
        rec = Recorded(event_id=event_id(index), stream=s.stream, type=s.type,
                       occurred_at=s.occurred_at, signer=f"key:{signer_role(s.type)}-01",
                       body=s.body, index=index, stream_version=version,
                       recorded_at=recorded.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        self.events.append(rec)
        return rec

    def extend(self, steps: Iterable[Step]) -> list[Recorded]:
        return [self.record(s) for s in steps]


#: the bodycam of the example ``EvidenceRecorded`` body (``capture_device.device_id``)
BODYCAM = "BC-HP-0457"


def device_key(device_id: str = BODYCAM, *, role: str = "bodycam") -> Step:
    """The ``KeyRegistered`` of the key ``History`` signs ``EvidenceRecorded`` with
    (``<role>-01``), bound to ``device_id``: its ``device_signed`` claims are then proven
    (docs/red-flags.md, "Device-signed"). Without it they count as unsigned."""
    return step("keys", "KeyRegistered", "2023-01-01T00:00:00+08:00", key_id=f"{role}-01",
                principal=f"device:{device_id}", roles=[role], not_before=None)


def event_id(index: int) -> str:
    """A deterministic UUID-shaped event id for test histories."""
    return f"01900000-0000-7000-8000-{index:012x}"


def at(day: str, time: str = "10:00:00") -> str:
    """``2024-09-30`` + ``10:00:00`` → ``2024-09-30T10:00:00+08:00``."""
    return f"{day}T{time}+08:00"


# --- people -----------------------------------------------------------------------------------

def officer_setup(officer_id: str, cert_no: str, *, day: str = "2023-01-02",
                  valid_from: str = "2023-01-01", valid_until: str = "2027-12-31",
                  superior: str | None = HEAD, role: str = "team_member") -> list[Step]:
    stream = f"officer:{officer_id}"
    return [
        step(stream, "OfficerCredentialIssued", at(day, "09:00:00"), cert_no=cert_no,
             valid_from=valid_from, valid_until=valid_until, unit_id=UNIT),
        step(stream, "PostAssigned", at(day, "09:30:00"), post_id=f"POST-{officer_id}",
             unit_id=UNIT, role=role, window_from=at(day, "00:00:00"), window_until=None,
             superior_officer_id=superior or DROP),
    ]


def auxiliary_setup(staff_id: str = AUXILIARY, *, day: str = "2024-03-01") -> list[Step]:
    return [step(f"officer:{staff_id}", "AuxiliaryStaffRegistered", at(day), unit_id=UNIT,
                 engaged_from=day)]


def pledge_chain_steps(officer_id: str, superior: str, *, pledge_id: str, top: bool,
                       level: str = "officer", countersigner_level: str = "team",
                       year: int = 2024) -> list[Step]:
    stream = f"pledge:{pledge_id}"
    return [
        step(stream, "IntegrityPledgeSigned", at(f"{year}-01-05"), officer_id=officer_id,
             level=level, superior_officer_id=superior, period_from=f"{year}-01-01",
             period_until=f"{year}-12-31"),
        step(stream, "IntegrityPledgeCountersigned", at(f"{year}-01-06"), officer_id=officer_id,
             countersigned_by=superior, countersigner_level=countersigner_level, top_of_chain=top),
    ]


def staff() -> list[Step]:
    """The officers every lifecycle below uses, with valid certificates."""
    return (officer_setup(OFFICER_A, CERT_A) + officer_setup(OFFICER_B, CERT_B)
            + officer_setup(HEAD, "31010210001", superior=None, role="squadron_leader")
            + officer_setup(LEGAL, "31010213001", role="legal_reviewer"))


# --- case lifecycles ------------------------------------------------------------------------

def summary_case(case_id: str = "SH-HP-2024-S-004512", *, day: str = "2024-09-30",
                 amount_fen: int = 10_000) -> list[Step]:
    """A vendor fined 100 CNY on the spot, paid in cash, cash handed in and deposited, the
    decision filed with the agency, reconciled and closed. Day 1 is the Monday before the
    2024 National Day holiday, so the 2-working-day periods run past Oct 1–7."""
    s, form = f"case:{case_id}", "HP-S-2024-004512"
    decision_no = form
    return [
        step(s, "CaseFiled", at(day, "10:00:00"), procedure="summary", parties=[
            {"party_ref": VENDOR, "party_type": "individual"}], violation_code="STALL_SH",
            filing_no=f"HP-S-{case_id[-6:]}", approved_by=DROP,
            violation_occurred_at=at(day, "09:50:00")),
        step(s, "CredentialShown", at(day, "10:01:00"), shown_to=VENDOR),
        step(s, "EvidenceRecorded", at(day, "10:02:00"), evidence_id=f"EV-{case_id}-1",
             captured_at=at(day, "10:01:30")),
        step(s, "RectificationOrdered", at(day, "10:03:00"), party_ref=VENDOR, deadline=None),
        step(s, "PenaltyDecided", at(day, "10:05:00"), decision_no=decision_no,
             procedure="summary", party={"party_ref": VENDOR, "party_type": "individual"},
             violation_code="STALL_SH", legal_basis="SH_SRHW 第25条", penalty_types=["fine"],
             amount_fen=amount_fen, decided_by=[OFFICER_A, OFFICER_B], form_no=form,
             benchmark_tier="minor", payment_method="onsite_cash"),
        step(s, "DecisionServed", at(day, "10:06:00"), decision_no=decision_no, party_ref=VENDOR,
             method="on_the_spot", party_present=True, receipt_sha256=DROP),
        step(s, "OnsiteCashCollected", at(day, "10:07:00"), decision_no=decision_no,
             party_ref=VENDOR, amount_fen=amount_fen, justification="within_100"),
        step(s, "OnsiteCashRemitted", at("2024-10-08", "09:00:00"), amount_fen=amount_fen),
        step(s, "AgencyDeposited", at("2024-10-10", "15:00:00"), amount_fen=amount_fen),
        step(s, "SummaryDecisionFiled", at("2024-10-10", "16:00:00"), decision_no=decision_no,
             form_no=form),
        step(s, "TreasuryReconciled", at("2024-10-15"), amount_fen=amount_fen,
             principal_fen=amount_fen, surcharge_fen=0, result="matched"),
        step(s, "CaseClosed", at("2024-10-16"), outcome="paid"),
    ]


def general_case(case_id: str = "SH-HP-2024-000123") -> list[Step]:
    """A company fined 3,000 CNY for piling building materials on the pavement: notice with a
    hearing right, hearing, legal review, a 30-day extension, collective discussion, decision,
    service by post, publication, bank payment, reconciliation, closing and archiving."""
    s, no = f"case:{case_id}", "沪黄城管罚〔2024〕第123号"
    party = {"party_ref": COMPANY, "party_type": "organisation", "org_name": "上海某某建材有限公司"}
    return [
        step(s, "ClueRegistered", at("2024-04-22", "09:30:00")),
        step(s, "CaseFiled", at("2024-04-23"), parties=[party]),
        step(s, "EvidenceRecorded", at("2024-04-23", "10:30:00"), evidence_id=f"EV-{case_id}-1",
             captured_at=at("2024-04-23", "10:20:00"), kind="photo", media_type="image/jpeg"),
        step(s, "InspectionPerformed", at("2024-04-25")),
        step(s, "InvestigationConcluded", at("2024-05-20")),
        step(s, "BenchmarkApplied", at("2024-05-21")),
        step(s, "PenaltyNoticeServed", at("2024-05-27"), hearing_eligible=True),
        step(s, "HearingRequested", at("2024-05-30")),
        step(s, "HearingScheduled", at("2024-06-05"), scheduled_for=at("2024-06-20", "14:00:00")),
        step(s, "HearingHeld", at("2024-06-20", "14:00:00")),
        step(s, "LegalReviewCompleted", at("2024-06-28")),
        step(s, "ExtensionApproved", at("2024-07-15"), days=30),
        step(s, "CollectiveDiscussionHeld", at("2024-08-05")),
        step(s, "PenaltyDecided", at("2024-08-08"), decision_no=no, party=party),
        step(s, "DecisionServed", at("2024-08-12"), decision_no=no, method="post",
             party_present=False),
        step(s, "DecisionPublished", at("2024-08-14"), decision_no=no),
        step(s, "PaymentRecorded", at("2024-08-20"), decision_no=no, amount_fen=300_000),
        step(s, "TreasuryReconciled", at("2024-08-26"), amount_fen=300_000),
        step(s, "CaseClosed", at("2024-08-28"), outcome="paid"),
        step(s, "CaseArchived", at("2024-09-10")),
    ]


def withdrawn_case(case_id: str = "SH-HP-2025-000031") -> list[Step]:
    """A decision withdrawn with collective approval before payment; the publication is
    withdrawn across the 2025 Qingming holiday."""
    s, no = f"case:{case_id}", "沪黄城管罚〔2025〕第31号"
    party = {"party_ref": COMPANY, "party_type": "organisation"}
    return [
        step(s, "CaseFiled", at("2025-03-03"), parties=[party],
             violation_occurred_at=at("2025-03-01", "08:00:00")),
        step(s, "EvidenceRecorded", at("2025-03-03", "10:30:00"), evidence_id=f"EV-{case_id}-1",
             captured_at=at("2025-03-03", "10:10:00")),
        step(s, "InvestigationConcluded", at("2025-03-20")),
        step(s, "BenchmarkApplied", at("2025-03-21")),
        step(s, "PenaltyNoticeServed", at("2025-03-24"), hearing_eligible=False,
             rights_notified=["statement", "defence"], proposed_amount_fen=200_000),
        step(s, "RightsWaived", at("2025-03-25"), rights=["statement", "defence"]),
        step(s, "PenaltyDecided", at("2025-03-27"), decision_no=no, party=party,
             amount_fen=200_000),
        step(s, "DecisionServed", at("2025-03-28"), decision_no=no, method="in_person",
             party_present=True),
        step(s, "DecisionPublished", at("2025-04-02"), decision_no=no),
        step(s, "PenaltyWithdrawn", at("2025-04-03"), decision_no=no),
        step(s, "DecisionPublicationWithdrawn", at("2025-04-07"), decision_no=no),
        step(s, "CaseClosed", at("2025-04-10"), outcome="withdrawn"),
    ]


def redecided_case(case_id: str = "SH-HP-2025-000032") -> list[Step]:
    """The withdrawn decision of ``withdrawn_case`` (here with its order to rectify) made anew
    (重新作出) for a lower amount, then served, published, paid, reconciled and closed."""
    s, no = f"case:{case_id}", "沪黄城管罚〔2025〕第58号"
    party = {"party_ref": COMPANY, "party_type": "organisation"}
    withdrawn = withdrawn_case(case_id)[:-1]
    order = step(s, "RectificationOrdered", at("2025-03-03", "10:40:00"), party_ref=COMPANY,
                 requirement="清除人行道堆放的建材", deadline=None)
    return withdrawn[:2] + [order] + withdrawn[2:] + [
        step(s, "PenaltyDecided", at("2025-04-18"), decision_no=no, party=party,
             amount_fen=150_000),
        step(s, "DecisionServed", at("2025-04-21"), decision_no=no, method="in_person",
             party_present=True),
        step(s, "DecisionPublished", at("2025-04-23"), decision_no=no,
             publication_ref="PUB-2025-HP-0058"),
        step(s, "PaymentRecorded", at("2025-04-25"), decision_no=no, amount_fen=150_000),
        step(s, "TreasuryReconciled", at("2025-04-28"), amount_fen=150_000),
        step(s, "CaseClosed", at("2025-04-30"), outcome="paid"),
    ]


def complaint_cycle(complaint_id: str = "C-2025-0042",
                    case_id: str = "SH-HP-2024-000123") -> list[Step]:
    """A violent-enforcement complaint received before the 2025 Spring Festival, acknowledged,
    extended with approval and closed by an independent handler."""
    s = f"complaint:{complaint_id}"
    return [
        step(s, "ComplaintReceived", at("2025-01-20"), accused_officers=[OFFICER_B],
             case_id=case_id),
        step(s, "ComplaintAcknowledged", at("2025-02-05")),
        step(s, "ComplaintExtended", at("2025-03-10"), days=30),
        step(s, "ComplaintClosed", at("2025-04-15"), handler=HANDLER),
    ]

