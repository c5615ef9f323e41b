"""Rules that look at one case: RF01, RF03, RF04, RF07, RF08, RF09, RF10, RF11, RF15, RF16,
RF20.a/b/d/e, RF25.c; and RF08.f, RF08.e's test on one complaint's or supervision notice's
records.

Each rule is ``rule(case, ctx)``: it reads the case's compact facts (and, where it must, the
people index), never a clock, and appends flags through ``ctx.flag``. A rule whose outcome can
still change as time passes (evidence syncing from a device) reports the instant it becomes
final through ``ctx.passed`` and raises nothing before it.

RF08.d (signatures, key validity, hash chains, blob hashes) is not here: that is the offline
verifier's job (``ledger verify``), which rejects a bundle rather than flagging a case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .days import HOUR, MINUTE, day_iso
from .facts import Case, Change, Complaint, Decision, Ev, Evidence, Notice, Supervision
from .people import act_statuses
from .zh import APL, cny, code_zh, codes_zh, evidence_kind_zh, type_zh, yuan

if TYPE_CHECKING:
    from ledger.domain.params import FineRule, LegalParameters

    from .engine import Ctx

#: acts that need two qualified officers (RF01); summary decisions are added by procedure
TWO_OFFICER_ACTS = frozenset({"CaseFiled", "InspectionPerformed", "PenaltyNoticeServed",
                              "PropertySeized", "PreservationOrdered", "OnsiteCashCollected"})
SUMMARY_TYPES = frozenset({"warning", "fine"})
#: field events (RF08.a: 24 h); everything else recorded in a case is a document (72 h)
FIELD_TYPES = frozenset({"EvidenceRecorded", "OnsiteCashCollected", "PropertySeized",
                         "CredentialShown", "PreservationOrdered"})
#: recorded by the finance office, the bank or the treasury in their own batches, not by the
#: enforcement process that APL 第47条 requires to be recorded as it happens (RF08.a)
MONEY_BATCH_TYPES = frozenset({"PaymentRecorded", "AgencyDeposited", "TreasuryReconciled"})
#: steps that must exist before a decision (RF08.b back-dating)
PRE_DECISION = frozenset({"CaseFiled", "EvidenceRecorded", "InspectionPerformed",
                          "InvestigationConcluded", "BenchmarkApplied", "DeviationApproved",
                          "PenaltyNoticeServed", "StatementReceived", "DefenceReviewed",
                          "RightsWaived", "HearingRequested", "HearingScheduled", "HearingHeld",
                          "LegalReviewCompleted", "CollectiveDiscussionHeld", "ExtensionApproved",
                          "CredentialShown", "RectificationOrdered"})
_PASSED_REVIEW = ("pass", "pass_with_changes")


def _fine(d: Decision) -> bool:
    return "fine" in d.types


# --- RF01 -------------------------------------------------------------------------------------

def rf01_two_officers(c: Case, ctx: "Ctx") -> None:
    for act in c.acts:
        if act.type not in TWO_OFFICER_ACTS and not (
                act.type == "PenaltyDecided" and act.extra == "summary"):
            continue
        persons: set[str] = set()
        certs: set[str] = set()
        listed: list[str] = []
        for oid, _, status, used, o in act_statuses(act, ctx):
            listed.append(f"{oid}:{used or '-'}:{status}")
            if status == "valid" and o is not None and o.kind == "officer" and used:
                persons.add(oid)
                certs.add(used)
        n = min(len(persons), len(certs))
        need = ctx.params(act.ts).legal.min_officers
        if n < need:
            ctx.flag("RF01", act.eid, anchor=act.ts, raised=act.ts, event_ids=[act.eid],
                     numbers={"event_type": act.type, "qualified_officers": n, "required": need,
                              "actors": sorted(dict.fromkeys(listed))},
                     summary=f"{act.type} by {n} qualified officer(s); {need} required",
                     summary_zh=f"“{type_zh(act.type)}”仅有 {n} 名具有执法资格的执法人员实施，"
                                f"应当不少于 {need} 人",
                     case_id=c.case_id, unit_id=c.unit_id,
                     officer_id=act.actors[0][0] if act.actors else None)


# --- RF03 -------------------------------------------------------------------------------------

def rf03_summary_beyond_limits(c: Case, ctx: "Ctx") -> None:
    for d in c.decisions:
        if d.procedure != "summary":
            continue
        reasons, limit = _summary_excess(d, d.amount, d.types, ctx.params(d.ts).legal)
        if not any(ts <= d.ts for ts, _ in c.shown):
            reasons.append("credential_not_shown")
        if reasons:
            ctx.flag("RF03", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                     numbers={"amount_fen": d.amount, "limit_fen": limit,
                              "party_type": d.party_type, "penalty_types": sorted(d.types),
                              "reasons": reasons, "decided_at": ctx.time(d.ts)},
                     summary=f"summary decision {', '.join(reasons)} (amount {cny(d.amount)}, "
                             f"limit {cny(limit)} for {d.party_type})",
                     summary_zh=f"简易程序决定：{codes_zh(reasons)}（罚款 {yuan(d.amount)}，"
                                f"{code_zh(d.party_type)}限额 {yuan(limit)}）",
                     case_id=c.case_id, party_ref=d.party_ref, unit_id=c.unit_id,
                     officer_id=d.officers[0] if d.officers else None)
        # APL 第51条 bounds the decision as amended too (until it is withdrawn)
        for ch in _amendments_of(c, d):
            amount = c.current_amount(d, until=ch.ts)
            reasons, limit = _summary_excess(d, amount, ch.types, ctx.params(ch.ts).legal)
            if reasons:
                ctx.flag("RF03", f"{d.eid}|{ch.eid}", anchor=ch.ts, raised=ch.ts,
                         event_ids=[d.eid, ch.eid],
                         numbers={"amount_fen": amount, "decided_fen": d.amount,
                                  "limit_fen": limit, "party_type": d.party_type,
                                  "penalty_types": sorted(ch.types), "reasons": reasons,
                                  "decided_at": ctx.time(d.ts), "amended_at": ctx.time(ch.ts)},
                         summary=f"summary decision amended {', '.join(reasons)} (amount "
                                 f"{cny(amount)}, limit {cny(limit)} for {d.party_type})",
                         summary_zh=f"简易程序决定经变更后{codes_zh(reasons)}（罚款 {yuan(amount)}，"
                                    f"{code_zh(d.party_type)}限额 {yuan(limit)}）",
                         case_id=c.case_id, party_ref=d.party_ref, unit_id=c.unit_id,
                         officer_id=ch.approved_by or (d.officers[0] if d.officers else None))


def _summary_excess(d: Decision, amount: int, types: frozenset[str], legal: "LegalParameters"
                    ) -> tuple[list[str], int]:
    """What puts ``amount`` and ``types`` beyond the summary procedure for ``d``'s party
    (APL 第51条), and the limit that applied."""
    limit = (legal.summary_procedure_max_fine_organisation_fen
             if d.party_type == "organisation"
             else legal.summary_procedure_max_fine_individual_fen)
    reasons: list[str] = []
    if "fine" in types and amount > limit:
        reasons.append("amount_over_limit")
    if types - SUMMARY_TYPES:
        reasons.append("penalty_type_not_allowed")
    return reasons, limit


# --- RF04 -------------------------------------------------------------------------------------

def rf04_onsite_collection(c: Case, ctx: "Ctx") -> None:
    for cash in c.cash:
        d = c.decision_at(cash.ts, cash.decision_no)
        legal = ctx.params(cash.ts).legal
        amount = c.current_amount(d, until=cash.ts) if d else None
        summary = d is not None and d.procedure == "summary"
        permitted = (
            (summary and amount is not None and amount <= legal.onsite_collection_max_fine_fen)
            or (summary and cash.justification == "hard_to_enforce_later" and bool(cash.text))
            # APL 第69条: on request, after a fine is decided (第51条 or 第57条)
            or (d is not None and _fine(d) and cash.justification == "remote_area_party_request"))
        base = {"cash_fen": cash.amount, "decided_fen": amount,
                "procedure": None if d is None else d.procedure,
                "justification": cash.justification,
                "onsite_limit_fen": legal.onsite_collection_max_fine_fen}
        ids = [cash.eid] + ([d.eid] if d else [])
        officer = cash.officers[0] if cash.officers else None
        if not permitted:
            ctx.flag("RF04.a", cash.eid, anchor=cash.ts, raised=cash.ts, event_ids=ids,
                     numbers=base,
                     summary=f"{cny(cash.amount)} collected on the spot with justification "
                             f"'{cash.justification}' where APL 第68/69条 do not allow it",
                     summary_zh=("未说明理由" if cash.justification == "none" else
                                 f"以“{code_zh(cash.justification)}”为由")
                                + f"当场收缴罚款 {yuan(cash.amount)}，不符合{APL}第68条、第69条"
                                  "规定的情形",
                     case_id=c.case_id, unit_id=c.unit_id, officer_id=officer)
        if amount is not None and cash.amount != amount:
            ctx.flag("RF04.b", cash.eid, anchor=cash.ts, raised=cash.ts, event_ids=ids,
                     numbers=base,
                     summary=f"cash {cny(cash.amount)} differs from the decided {cny(amount)}",
                     summary_zh=f"当场收缴 {yuan(cash.amount)}，与决定的罚款 {yuan(amount)} 不符",
                     case_id=c.case_id, unit_id=c.unit_id, officer_id=officer)


def _amendments_of(c: Case, d: Decision) -> list[Change]:
    """The amendments of ``d`` in world time (RF03, RF10, RF15): those naming it (not one of no
    decision, RF20.d's), made while it was in force among its party's decisions and before its
    withdrawal."""
    withdrawn = c.withdrawal_of(d)
    return sorted((ch for ch in c.changes
                   if ch.type == "PenaltyAmended" and ch.decision_no == d.decision_no
                   and c.decision_at(ch.ts, ch.decision_no) is d
                   and (withdrawn is None or ch.ts < withdrawn.ts)), key=lambda ch: ch.ts)


# --- acts dated after they were recorded ---------------------------------------------------

def opened(ctx: "Ctx", claimed: int, recorded: int | None, eid: str) -> tuple[int, dict]:
    """(the instant a deadline or a wait opened by act ``eid`` counts from, the numbers that
    explain it): :meth:`Ctx.since`; when that is not the claimed time, ``dated_after_recording``
    is [the act's event id, the time it claims, the time it was recorded] (docs/red-flags.md,
    "Decision — acts dated after they were recorded")."""
    start = ctx.since(claimed, recorded)
    if start == claimed:
        return start, {}
    return start, {"dated_after_recording": [eid, ctx.time(claimed), ctx.time(start)]}


def explained(numbers: dict, summary: str, summary_zh: str, ahead: dict | None
              ) -> tuple[dict, str, str]:
    """``numbers``, ``summary`` and ``summary_zh`` of a flag counted from an act's recording
    (``ahead``, from :func:`opened`) saying so; unchanged when ``ahead`` is empty."""
    if not ahead:
        return numbers, summary, summary_zh
    _, claimed, recorded = ahead["dated_after_recording"]
    return ({**numbers, **ahead},
            f"{summary}; counted from its recording at {recorded}, not the {claimed} it claims",
            f"{summary_zh}；自其记录时间 {recorded} 起算，而非其所称的 {claimed}")


# --- RF07 -------------------------------------------------------------------------------------

def rf07_evidence_before_decision(c: Case, ctx: "Ctx") -> None:
    for d in c.decisions:
        th = ctx.params(d.ts).thresholds
        grace = th.evidence_sync_grace_hours * HOUR
        qualifying = [e for e in c.evidence if e.captured <= d.ts and (
            e.idx < d.idx or (e.device_signed and e.rts - e.captured <= grace))]
        # the wait for footage to sync runs from the recording of a decision dated ahead
        since, ahead = opened(ctx, d.ts, d.rts, d.eid)
        if not qualifying and ctx.passed(since + grace + 1):
            shown = sorted(c.evidence, key=lambda e: e.captured)[:5]
            # a device-signed claim its signer's key does not prove is an attempt to be seen
            claims = [e for e in c.evidence if e.unproven() and e.captured <= d.ts
                      and e.rts - e.captured <= grace][:5]
            said = {"decided_at": ctx.time(d.ts), "evidence_count": len(c.evidence),
                    "evidence": [[e.eid, ctx.time(e.captured), ctx.time(e.rts), e.device_signed]
                                 for e in shown],
                    "sync_grace_hours": th.evidence_sync_grace_hours}
            text = (f"decision at {ctx.time(d.ts)} with no evidence captured before it and "
                    f"recorded in time ({len(c.evidence)} evidence item(s) in case)")
            text_zh = (f"{ctx.time(d.ts)} 作出决定，此前无按时收集并记录的证据（本案共 "
                       f"{len(c.evidence)} 项证据）")
            if claims:
                said.update(device_signed_claimed=True, device_signed_proven=False,
                            device_signed_unproven=[[e.eid, e.evidence_id, e.device_id,
                                                     e.signer] for e in claims])
                text += (f"; {len(claims)} recorded after it claim(s) device_signed without "
                         f"the capture device's key ({', '.join(e.signer for e in claims)})")
                text_zh += (f"；其后记录的 {len(claims)} 项证据自称设备签名，却非由采集设备的密钥签署"
                            f"（{', '.join(e.signer for e in claims)}）")
            numbers, summary, summary_zh = explained(said, text, text_zh, ahead)
            ctx.flag("RF07.a", d.eid, anchor=d.ts, raised=since,
                     event_ids=[d.eid] + list(dict.fromkeys(
                         [e.eid for e in shown] + [e.eid for e in claims])), numbers=numbers,
                     summary=summary, summary_zh=summary_zh,
                     case_id=c.case_id, party_ref=d.party_ref, unit_id=c.unit_id,
                     officer_id=d.officers[0] if d.officers else None)
        if d.procedure == "general" and not any(ts <= d.ts for ts, _ in c.investigation):
            ctx.flag("RF07.b", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                     numbers={"decided_at": ctx.time(d.ts),
                              "investigation_concluded_at": [ctx.time(ts)
                                                             for ts, _ in c.investigation]},
                     summary="general-procedure decision with no investigation concluded before",
                     summary_zh="普通程序决定作出前未调查终结",
                     case_id=c.case_id, party_ref=d.party_ref, unit_id=c.unit_id)


# --- RF08 -------------------------------------------------------------------------------------

def unproven_said(e: Evidence | None) -> tuple[str, str]:
    """What RF08.a/b's summaries add for evidence claiming ``device_signed`` without proof."""
    said = e.unproven() if e is not None else {}
    if not said:
        return "", ""
    key, device = said["signer_key_id"], said["device_id"]
    return (f"; it claims device_signed, but {key} is not device {device}'s own key",
            f"；其自称设备签名，但签署密钥 {key} 并非设备 {device} 自身的密钥")


def rf08_recording_integrity(c: Case, ctx: "Ctx") -> None:
    if not c.events:
        return
    p = ctx.params(c.events[0].ts)      # declared imports: the same in every version
    evidence = {e.eid: e for e in c.evidence}
    if c.shown_on:           # a credential shown on camera is captured by that camera
        by_id: dict[str, Evidence] = {}
        for e in c.evidence:
            by_id.setdefault(e.evidence_id, e)
        for eid, ev_id in c.shown_on.items():
            shown_on = by_id.get(ev_id)
            if shown_on is not None and shown_on.device_signed:
                ts = next(x.ts for x in c.events if x.eid == eid)
                evidence[eid] = shown_on._replace(eid=eid, captured=ts)
    summary_decisions = {d.eid for d in c.decisions if d.procedure == "summary"}
    # each act is judged under the limits in force when it happened (ctx.flag's anchor)
    # a) late recording; a declared historical import was recorded at go-live, not late.
    # Most acts are recorded within every version's limits and claim no time after their
    # recording: only the others are judged, here (a) and after (c) (e)
    prompt = min(ctx.least("device_sync_max_hours"), ctx.least("late_field_hours"),
                 ctx.least("late_document_hours")) * HOUR
    tolerated = ctx.least("future_tolerance_minutes") * MINUTE
    future: list[tuple[Ev, int]] = []
    for ev in c.events:
        e = evidence.get(ev.eid)
        if e is None:
            occurred = claimed = ev.ts
        else:
            occurred = e.captured
            claimed = max(ev.ts, occurred)
        if claimed - ev.rts > tolerated:
            future.append((ev, claimed))
        if ev.rts - occurred <= prompt or ev.type in MONEY_BATCH_TYPES \
                or (p.imports and p.imported(ev.ts, ev.idx, ev.rts)):
            continue
        th = ctx.params(ev.ts).thresholds
        if e is not None and e.device_signed:
            limit_h = th.device_sync_max_hours
        elif ev.type in FIELD_TYPES or ev.eid in summary_decisions:
            limit_h = th.late_field_hours
        else:
            limit_h = th.late_document_hours
        lag = ev.rts - occurred
        if lag > limit_h * HOUR:
            ctx.flag("RF08.a", ev.eid, anchor=ev.ts, raised=occurred + limit_h * HOUR,
                     event_ids=[ev.eid],
                     numbers={"event_type": ev.type, "occurred_at": ctx.time(occurred),
                              "recorded_at": ctx.time(ev.rts), "lag_hours": lag // HOUR,
                              "limit_hours": limit_h, **(e.unproven() if e else {})},
                     summary=f"{ev.type} recorded {lag // HOUR} h after it happened "
                             f"(limit {limit_h} h){unproven_said(e)[0]}",
                     summary_zh=f"“{type_zh(ev.type)}”发生后 {lag // HOUR} 小时才记录"
                                f"（限 {limit_h} 小时）{unproven_said(e)[1]}",
                     case_id=c.case_id, unit_id=c.unit_id)
    # b) back-dating: a pre-decision step recorded after the decision, claiming to precede it
    if c.decisions:
        d = c.decisions[0]
        for ev in c.events:
            if ev.idx <= d.idx or ev.type not in PRE_DECISION or ev.ts > d.ts:
                continue
            th = ctx.params(ev.ts).thresholds
            e = evidence.get(ev.eid)
            if (e is not None and e.device_signed
                    and e.rts - e.captured <= th.device_sync_max_hours * HOUR):
                continue        # a device-signed capture synced after the shift
            if ev.rts - ev.ts <= th.backdate_tolerance_minutes * MINUTE:
                continue
            ctx.flag("RF08.b", ev.eid, anchor=ev.ts, raised=ev.rts,
                     event_ids=[ev.eid, d.eid],
                     numbers={"event_type": ev.type, "claimed_at": ctx.time(ev.ts),
                              "recorded_at": ctx.time(ev.rts), "decided_at": ctx.time(d.ts),
                              "decision_recorded_at": ctx.time(d.rts),
                              "tolerance_minutes": th.backdate_tolerance_minutes,
                              **(e.unproven() if e else {})},
                     summary=f"{ev.type} dated {ctx.time(ev.ts)} was recorded at "
                             f"{ctx.time(ev.rts)}, after the decision it should precede"
                             f"{unproven_said(e)[0]}",
                     summary_zh=f"“{type_zh(ev.type)}”所署时间为 {ctx.time(ev.ts)}，"
                                f"应在处罚决定之前，却于处罚决定作出后的 {ctx.time(ev.rts)} 才记录"
                                f"{unproven_said(e)[1]}",
                     case_id=c.case_id, unit_id=c.unit_id)
    # c) no body-camera video of an on-the-spot act
    for act in c.acts:
        if not (act.type == "PropertySeized"
                or (act.type == "PenaltyDecided" and act.extra == "summary")):
            continue
        th = ctx.params(act.ts).thresholds
        window = th.bodycam_window_minutes * MINUTE
        sync = th.device_sync_max_hours * HOUR
        people = {oid for oid, _ in act.actors} | set(act.deciders)
        # a video counts only when its device's own key signed it: the body's device and
        # officers are typed by whoever posts it (docs/red-flags.md, RF08.c)
        videos = [e for e in c.evidence
                  if e.kind == "video" and abs(e.captured - act.ts) <= window
                  and (e.assigned in people if e.assigned else bool(e.officers & people))]
        since, ahead = opened(ctx, act.ts, c.recorded_ahead(act.eid), act.eid)
        if not any(e.by_device for e in videos) and ctx.passed(since + sync + 1):
            said: dict = {
                "event_type": act.type, "acted_at": ctx.time(act.ts),
                "window_minutes": th.bodycam_window_minutes, "officers": sorted(people),
                "videos_in_case": sum(e.kind == "video" for e in c.evidence)}
            text = (f"{act.type} at {ctx.time(act.ts)} has no video from a participating "
                    f"officer's device within ±{th.bodycam_window_minutes} min")
            text_zh = (f"{ctx.time(act.ts)} 的“{type_zh(act.type)}”前后 "
                       f"{th.bodycam_window_minutes} 分钟内无参与执法人员设备拍摄的"
                       f"{evidence_kind_zh('video')}")
            if videos:
                signers = ", ".join(dict.fromkeys(e.signer for e in videos))
                said["videos_unproven"] = [[e.eid, e.evidence_id, e.device_id, e.signer]
                                           for e in videos[:5]]
                text += (f" signed by the device's own key; {len(videos)} claim(s) to be, "
                         f"signed by {signers}")
                text_zh += (f"（由设备自身密钥签署）；{len(videos)} 项自称如此，却由 {signers} "
                            "签署")
            numbers, summary, summary_zh = explained(said, text, text_zh, ahead)
            ctx.flag("RF08.c", act.eid, anchor=act.ts, raised=since,
                     event_ids=[act.eid] + [e.eid for e in videos[:5]],
                     numbers=numbers, summary=summary, summary_zh=summary_zh,
                     case_id=c.case_id, unit_id=c.unit_id,
                     officer_id=act.actors[0][0] if act.actors else None)
    # e) an act dated after it was recorded: nothing happens after the ledger receives its
    # signed record, so it is flagged when recorded, under the parameters of that day (the
    # deadlines it opens count from the recording: time_rules.opened)
    for ev, claimed in future:
        future_dated(ctx, "RF08.e", ev, claimed, case_id=c.case_id, unit_id=c.unit_id)


def future_dated(ctx: "Ctx", rule_id: str, ev: Ev, claimed: int, **subject: str | None) -> None:
    """RF08.e/f: flag ``ev`` when its ``claimed`` time is more than ``future_tolerance_minutes``
    after its recording, raised when recorded, under the parameters of that day (the claimed
    day is the one not to trust)."""
    tol = ctx.params(ev.rts).thresholds.future_tolerance_minutes
    if claimed - ev.rts <= tol * MINUTE:
        return
    ahead = (claimed - ev.rts) // MINUTE
    said = {"event_type": ev.type, "claimed_at": ctx.time(claimed),
            "recorded_at": ctx.time(ev.rts), "ahead_minutes": ahead, "tolerance_minutes": tol}
    ctx.flag(rule_id, ev.eid, anchor=ev.rts, raised=ev.rts, event_ids=[ev.eid], numbers=said,
             summary=f"{ev.type} claims {said['claimed_at']}, {ahead} min after it was "
                     f"recorded (tolerance {tol} min)",
             summary_zh=f"“{type_zh(ev.type)}”所署时间为 {said['claimed_at']}，晚于其记录时间 "
                        f"{ahead} 分钟（容差 {tol} 分钟）", **subject)


def rf08f_complaint(cp: Complaint, ctx: "Ctx") -> None:
    """RF08.f: a complaint record (receipt, acknowledgement, extension, closing) dated after it
    was recorded (RF23 counts from the recording); the subject is the complaint's, as RF23 names
    it (its case and unit; no officer: the accused did not write the record)."""
    for ev in cp.records:
        future_dated(ctx, "RF08.f", ev, ev.ts, case_id=cp.case_id, unit_id=cp.unit_id)


def rf08f_supervision(sv: Supervision, ctx: "Ctx") -> None:
    """RF08.f: a supervision record (notice, feedback, review) dated after it was recorded
    (RF27 counts from the recording); the subject is the notice's unit, as RF27 names it."""
    for ev in sv.records:
        future_dated(ctx, "RF08.f", ev, ev.ts, unit_id=sv.unit_id)


# --- RF09 / RF10 / RF11 (general procedure) ---------------------------------------------------

def rf09_rights(c: Case, ctx: "Ctx") -> None:
    days = ctx.days
    for d in c.decisions:
        if d.procedure != "general":
            continue
        legal = ctx.params(d.ts).legal
        # APL 第44条/第62条: the notice is owed to the party decided against, and only that
        # party can waive it (another party of the case being told is nothing to this one)
        notices = [n for n in c.notices if n.ts <= d.ts and n.party_ref == d.party_ref]
        waived: set[str] = set()
        for ts, rights, _, party in c.waived:
            if ts <= d.ts and party == d.party_ref:
                waived |= rights
        common = {"case_id": c.case_id, "party_ref": d.party_ref, "unit_id": c.unit_id}
        # APL 第62条: only waiving the statement or defence (not the hearing) excuses the notice
        if not notices and not waived & {"statement", "defence"}:
            ctx.flag("RF09.a", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                     numbers={"decided_at": ctx.time(d.ts), "notices": 0},
                     summary="decision without a prior notice of the proposed penalty",
                     summary_zh="作出处罚决定前未告知拟作出的行政处罚", **common)
        last_statement = max((s[:2] for s in c.statements
                              if s[0] <= d.ts and s[2] == d.party_ref), default=None)
        if last_statement is not None and not any(
                last_statement[0] <= ts <= d.ts for ts, _ in c.reviews):
            ctx.flag("RF09.b", d.eid, anchor=d.ts, raised=d.ts,
                     event_ids=[d.eid, last_statement[1]],
                     numbers={"statement_at": ctx.time(last_statement[0]),
                              "decided_at": ctx.time(d.ts)},
                     summary="statement/defence received but not reviewed before the decision",
                     summary_zh="收到陈述、申辩，但作出决定前未复核",
                     **common)
        held_before = [h for h in c.hearings_held if h[0] <= d.ts]
        if notices:
            n = max(notices, key=lambda n: n.ts)     # in world time: one may be uploaded late
            end = days.add_working(days.day(n.ts), legal.hearing_request_window_working_days)
            if (_hearing_owed(c, n, ctx) and end is not None and days.day(d.ts) <= end
                    and "hearing" not in waived and not held_before):
                ctx.flag("RF09.c", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid, n.eid],
                         numbers={"notice_served_at": ctx.time(n.ts),
                                  "window_ends": _iso_day(end), "decided_at": ctx.time(d.ts),
                                  "window_working_days": legal.hearing_request_window_working_days},
                         summary="decided before the hearing-request window ended",
                         summary_zh="要求听证期限届满前即作出决定", **common)
        for req_ts, req_eid, party in c.hearing_requests:
            if req_ts > d.ts or party != d.party_ref:      # 第64条: the party's own request
                continue
            notice = max((n for n in notices if n.ts <= req_ts), default=None,
                         key=lambda n: n.ts)
            if notice is None:
                continue
            end = days.add_working(days.day(notice.ts), legal.hearing_request_window_working_days)
            in_time = end is not None and days.day(req_ts) <= end
            withdrawn = any(req_ts <= ts <= d.ts and "hearing" in rights and who == party
                            for ts, rights, _, who in c.waived)      # the request given up
            if in_time and not withdrawn and not any(
                    req_ts <= h[0] <= d.ts for h in c.hearings_held):
                ctx.flag("RF09.d", f"{d.eid}|{req_eid}", anchor=d.ts, raised=d.ts,
                         event_ids=[d.eid, req_eid, notice.eid],
                         numbers={"requested_at": ctx.time(req_ts), "window_ends": _iso_day(end),
                                  "decided_at": ctx.time(d.ts)},
                         summary="hearing requested in time but none held before the decision",
                         summary_zh="当事人在期限内要求听证，但作出决定前未举行听证",
                         **common)
    investigators = None
    for ts, presider, _, eid in c.hearings_held:
        if investigators is None:
            investigators = c.investigators()
        if presider in investigators:
            ctx.flag("RF09.e", eid, anchor=ts, raised=ts, event_ids=[eid],
                     numbers={"presider_id": presider, "held_at": ctx.time(ts)},
                     summary=f"hearing presided by {presider}, an investigator of the case",
                     summary_zh=f"听证由本案调查人员 {presider} 主持",
                     case_id=c.case_id, officer_id=presider, unit_id=c.unit_id)
    for ts, scheduled_for, _, eid in c.hearings_scheduled:
        held = next((h for h in c.hearings_held if h[0] >= ts), None)
        hearing_ts = held[0] if held else scheduled_for
        lead = ctx.params(ts).legal.hearing_notice_lead_working_days
        wd = days.working_between(days.day(ts), days.day(hearing_ts))
        if wd is not None and wd < lead:
            ctx.flag("RF09.f", eid, anchor=ts, raised=ts,
                     event_ids=[eid] + ([held[3]] if held else []),
                     numbers={"notified_at": ctx.time(ts), "hearing_at": ctx.time(hearing_ts),
                              "working_days": wd, "required_working_days": lead},
                     summary=f"hearing notified {wd} working day(s) ahead; {lead} required",
                     summary_zh=f"听证前 {wd} 个工作日才通知，应当提前 {lead} 个工作日",
                     case_id=c.case_id, unit_id=c.unit_id)
    for n in c.notices:
        # a notice that told of the right (第64条) did not withhold it, whatever it marked
        ptype, limit = _hearing_threshold(c, n, ctx)
        if not _hearing_marked(n) and _fine_carries_hearing(n, limit):
            ctx.flag("RF09.g", n.eid, anchor=n.ts, raised=n.ts, event_ids=[n.eid],
                     numbers={"notice_served_at": ctx.time(n.ts), "proposed_fen": n.amount,
                              "threshold_fen": limit, "party_type": ptype},
                     summary=f"notice proposes a fine of {cny(n.amount)}, at or above the "
                             f"{ptype} hearing threshold of {cny(limit)}, without the hearing "
                             f"right",
                     summary_zh=f"告知书拟罚款 {yuan(n.amount)}，达到{code_zh(ptype)}听证标准 "
                                f"{yuan(limit)}，未告知当事人有要求听证的权利",
                     case_id=c.case_id, party_ref=n.party_ref,
                     unit_id=c.unit_id)


def _hearing_threshold(c: Case, n: Notice, ctx: "Ctx") -> tuple[str | None, int | None]:
    """The party's type and the LOCAL hearing threshold for it in force on the notice's day;
    ``None`` for the threshold when the type is unknown or no threshold is set for it."""
    ptype = c.parties.get(n.party_ref)
    legal = ctx.params(n.ts).legal
    limit = (legal.hearing_threshold_organisation_fen if ptype == "organisation"
             else legal.hearing_threshold_individual_fen if ptype == "individual" else None)
    return ptype, limit


def _hearing_marked(n: Notice) -> bool:
    return n.hearing_eligible or "hearing" in n.rights


def _fine_carries_hearing(n: Notice, limit: int | None) -> bool:
    # APL 第63条(一): a 较大数额罚款 carries the hearing right whatever the agency marked;
    # the LOCAL threshold reads 以上, so the threshold itself is 较大
    return "fine" in n.types and limit is not None and n.amount >= limit


def _hearing_owed(c: Case, n: Notice, ctx: "Ctx") -> bool:
    """Whether the notice owed the party a hearing on request (APL 第63条/第64条): marked
    eligible, told of the right, or a fine at or above the threshold (as RF09.g decides)."""
    return _hearing_marked(n) or _fine_carries_hearing(n, _hearing_threshold(c, n, ctx)[1])


def _iso_day(day: int | None) -> str | None:
    return None if day is None else day_iso(day)


def _heard_since_notice(c: Case, ts: int, party: str) -> tuple[Notice | None, list[str]]:
    """The latest notice to ``party`` at or before ``ts`` and its statements and the hearings
    after it, up to ``ts``: what the party said that its penalty may not be made heavier for
    (another party's notice proposes nothing for this one)."""
    notice = max((n for n in c.notices if n.ts <= ts and n.party_ref == party), default=None,
                 key=lambda n: n.ts)
    if notice is None:
        return None, []
    heard = [eid for t, eid, who in c.statements if notice.ts <= t <= ts and who == party]
    heard += [h[3] for h in c.hearings_held if notice.ts <= h[0] <= ts]
    return notice, heard


def rf10_heavier_after_defence(c: Case, ctx: "Ctx") -> None:
    for d in c.decisions:
        _rf10_amended(c, d, ctx)
        notice, heard = _heard_since_notice(c, d.ts, d.party_ref)
        if notice is None or not heard:
            continue
        new_types = sorted(d.types - notice.types - {"warning"})
        if d.amount > notice.amount or new_types:
            ctx.flag("RF10", d.eid, anchor=d.ts, raised=d.ts,
                     event_ids=[d.eid, notice.eid, *heard],
                     numbers={"proposed_fen": notice.amount, "decided_fen": d.amount,
                              "proposed_types": sorted(notice.types),
                              "decided_types": sorted(d.types), "added_types": new_types},
                     summary=f"decided {cny(d.amount)} after the party was heard; notice "
                             f"proposed {cny(notice.amount)} and no new notice followed",
                     summary_zh=f"当事人陈述申辩或听证后决定罚款 {yuan(d.amount)}，告知书拟罚款 "
                                f"{yuan(notice.amount)}，且未重新告知",
                     case_id=c.case_id, party_ref=d.party_ref, unit_id=c.unit_id)


def _rf10_amended(c: Case, d: Decision, ctx: "Ctx") -> None:
    """APL 第45条第2款 binds the penalty as changed (变更) too: an amendment of ``d`` that makes
    it heavier than it was and than the latest notice proposed, after the party was heard
    and with no new notice since."""
    amount, types = d.amount, d.types
    for ch in _amendments_of(c, d):
        before, before_types = amount, types
        amount, types = c.current_amount(d, until=ch.ts), ch.types
        notice, heard = _heard_since_notice(c, ch.ts, d.party_ref)
        if notice is None or not heard:
            continue
        new_types = sorted(types - notice.types - before_types - {"warning"})
        if not ((amount > notice.amount and amount > before) or new_types):
            continue
        ctx.flag("RF10", f"{d.eid}|{ch.eid}", anchor=ch.ts, raised=ch.ts,
                 event_ids=[ch.eid, d.eid, notice.eid, *heard],
                 numbers={"proposed_fen": notice.amount, "decided_fen": d.amount,
                          "amended_fen": amount, "amended_at": ctx.time(ch.ts),
                          "proposed_types": sorted(notice.types),
                          "decided_types": sorted(d.types), "amended_types": sorted(types),
                          "added_types": new_types},
                 summary=f"amended to {cny(amount)} after the party was heard; notice proposed "
                         f"{cny(notice.amount)} and no new notice followed",
                 summary_zh=f"当事人陈述申辩或听证后将罚款变更为 {yuan(amount)}，告知书拟罚款 "
                            f"{yuan(notice.amount)}，且未重新告知",
                 case_id=c.case_id, party_ref=d.party_ref, unit_id=c.unit_id,
                 officer_id=ch.approved_by)


def rf11_review_and_head_decision(c: Case, ctx: "Ctx") -> None:
    investigators: set[str] | None = None
    flagged: set[str] = set()      # RF11.b: a review once, with the first decision after it
    for d in c.decisions:
        if d.procedure != "general":
            continue
        if investigators is None:
            investigators = c.investigators()
        th = ctx.params(d.ts).thresholds
        common = {"case_id": c.case_id, "party_ref": d.party_ref, "unit_id": c.unit_id}
        reviews = [r for r in c.legal_reviews if r[0] <= d.ts]
        grounds = []
        if any(h[0] <= d.ts for h in c.hearings_held):
            grounds.append("hearing_held")
        if th.legal_review_threshold_fen is not None and d.amount >= th.legal_review_threshold_fen:
            grounds.append("amount_threshold")
        latest = max(reviews, default=None)      # 审核未通过的，不得作出决定 (APL 第58条)
        if grounds and (latest is None or latest[3] not in _PASSED_REVIEW):
            ctx.flag("RF11.a", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                     numbers={"grounds": grounds, "amount_fen": d.amount,
                              "threshold_fen": th.legal_review_threshold_fen,
                              "reviews_before": [[r[4], r[3]] for r in reviews]},
                     summary=f"legal review required ({', '.join(grounds)}) but none passed "
                             "before the decision",
                     summary_zh=f"应当法制审核（{codes_zh(grounds)}），但决定前未通过法制审核",
                     **common)
        for ts, reviewer, qualified, _, eid in reviews:
            if eid not in flagged and (not qualified or reviewer in investigators):
                flagged.add(eid)
                ctx.flag("RF11.b", eid, anchor=ts, raised=ts, event_ids=[eid, d.eid],
                         numbers={"reviewer_id": reviewer, "reviewer_qualified": qualified,
                                  "reviewer_is_investigator": reviewer in investigators},
                         summary=f"legal review by {reviewer}: "
                                 + ("not qualified" if not qualified else "an investigator"),
                         summary_zh=f"法制审核由 {reviewer} 进行："
                                    + ("不具备法制审核资格" if not qualified else "其为本案调查人员"),
                         case_id=c.case_id, officer_id=reviewer, unit_id=c.unit_id)
        limit = th.collective_discussion_threshold_fen
        if limit is not None and d.amount >= limit and not any(
                ts <= d.ts for ts, _, _ in c.collective):
            ctx.flag("RF11.c", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                     numbers={"amount_fen": d.amount, "threshold_fen": limit},
                     summary=f"{cny(d.amount)} decision (≥ {cny(limit)}) without collective "
                             "discussion",
                     summary_zh=f"罚款 {yuan(d.amount)}（≥ {yuan(limit)}）未经集体讨论决定",
                     **common)
        roles = {oid: ctx.fold.role_at(oid, d.ts) for oid in d.decided_by}
        heads = [oid for oid, role in roles.items() if role in th.head_roles]
        alone = bool(d.decided_by) and set(d.decided_by) <= investigators
        if not heads or alone:
            ctx.flag("RF11.d", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                     numbers={"decided_by": list(d.decided_by),
                              "roles": [f"{k}:{v}" for k, v in sorted(roles.items())],
                              "head_roles": list(th.head_roles),
                              "deciders_are_investigators": alone},
                     summary="general-procedure decision "
                             + ("by the investigating officer(s) alone" if alone
                                else "not made by an agency head"),
                     summary_zh="普通程序决定"
                                + ("仅由调查人员作出" if alone else "未由行政机关负责人作出"),
                     officer_id=d.decided_by[0] if d.decided_by else None, **common)


# --- RF15 / RF16 ------------------------------------------------------------------------------

def rf15_statutory_range(c: Case, ctx: "Ctx") -> None:
    for d in c.decisions:
        if not _fine(d):
            continue
        p = ctx.params(d.ts)
        rule = p.fine_schedule.get(d.code)
        common = {"case_id": c.case_id, "party_ref": d.party_ref, "unit_id": c.unit_id,
                  "officer_id": d.officers[0] if d.officers else None}
        if rule is None:
            ctx.flag("RF15.c", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                     numbers={"violation_code": d.code, "legal_basis": d.basis,
                              "amount_fen": d.amount},
                     summary=f"fine under violation code {d.code}, which is not in the fine "
                             "schedule in force",
                     summary_zh=f"依违法行为代码 {d.code} 罚款，但该代码不在现行罚款幅度表内",
                     **common)
            continue
        # each amendment under the decision it names and amends (the one in force then, as
        # RF03 and RF10 read it); one after the decision's withdrawal changes nothing
        amounts = [(d.amount, d.eid, d.ts)] + [
            (ch.amount, ch.eid, ch.ts) for ch in _amendments_of(c, d) if "fine" in ch.types]
        least, most = rule.min_fen_for(d.party_type), rule.max_fen_for(d.party_type)
        for amount, eid, ts in amounts:
            base = {"amount_fen": amount, "min_fen": least, "max_fen": most,
                    "violation_code": d.code, "basis": rule.basis, "party_type": d.party_type}
            if amount > most:
                ctx.flag("RF15.a", eid, anchor=ts, raised=ts, event_ids=[eid], numbers=base,
                         summary=f"fine {cny(amount)} above the statutory maximum "
                                 f"{cny(most)} for an {d.party_type} ({rule.basis})",
                         summary_zh=f"罚款 {yuan(amount)} 超过对{code_zh(d.party_type)}的法定"
                                    f"最高限额 {yuan(most)}（{code_zh(rule.basis)}）", **common)
            elif amount < least and not _mitigation(c, ts):
                ctx.flag("RF15.b", eid, anchor=ts, raised=ts, event_ids=[eid], numbers=base,
                         summary=f"fine {cny(amount)} below the statutory minimum {cny(least)} "
                                 f"for an {d.party_type} ({rule.basis}) with no mitigation "
                                 "ground recorded",
                         summary_zh=f"罚款 {yuan(amount)} 低于对{code_zh(d.party_type)}的法定"
                                    f"最低限额 {yuan(least)}（{code_zh(rule.basis)}），"
                                    "且未记录减轻处罚的理由",
                         **common)
            elif ((short_of := _next_band_min(rule, amount, d.party_type)) is not None
                  and not _mitigation(c, ts)):
                bands = sorted(set(rule.bands_for(d.party_type)))
                ctx.flag("RF15.b", eid, anchor=ts, raised=ts, event_ids=[eid],
                         numbers={**base, "statutory_bands_fen": [list(b) for b in bands],
                                  "next_band_min_fen": short_of},
                         summary=f"fine {cny(amount)} in none of the statutory bands of {d.code} "
                                 f"({rule.basis}: "
                                 + ", ".join(cny(lo) if lo == hi else f"{cny(lo)}–{cny(hi)}"
                                             for lo, hi in bands)
                                 + f"), below the next one's minimum {cny(short_of)}, with no "
                                   "mitigation ground recorded",
                         summary_zh=f"罚款 {yuan(amount)} 不在 {d.code}（{code_zh(rule.basis)}）"
                                    "规定的任何罚款数额或幅度内（"
                                    + "、".join(yuan(lo) if lo == hi else f"{yuan(lo)}至 {yuan(hi)}"
                                               for lo, hi in bands)
                                    + f"），低于较高一档的下限 {yuan(short_of)}，且未记录减轻处罚的理由",
                         **common)


def _next_band_min(rule: "FineRule", amount: int, party_type: str) -> int | None:
    """Where ``amount`` lies in none of the code's bands for the party's kind (between the
    fixed amounts of BJ_SRHW 第52条, say), the minimum of the lowest band above it; None when
    a band holds it."""
    bands = rule.bands_for(party_type)
    if any(lo <= amount <= hi for lo, hi in bands):
        return None
    return min((lo for lo, _ in bands if lo > amount), default=None)


def _mitigation(c: Case, ts: int) -> bool:
    return any(o.type == "WaiverGranted" and o.ts <= ts and (
        o.waiver == "mitigated" or o.basis == "APL32") for o in c.outcomes) or any(
        dv[0] <= ts for dv in c.deviations)


def rf16_benchmark_band(c: Case, ctx: "Ctx") -> None:
    for d in c.decisions:
        if not _fine(d):
            continue
        p = ctx.params(d.ts)
        published = p.benchmark(d.code, d.party_type)
        # in world time (a record may sync late); the last recorded of one instant
        applied = c.benchmark_at(d.ts)
        tier = applied[3] if applied else d.tier
        common = {"case_id": c.case_id, "party_ref": d.party_ref, "unit_id": c.unit_id,
                  "officer_id": d.officers[0] if d.officers else None}
        if published is not None and tier is None:
            ctx.flag("RF16.a", d.eid, anchor=d.ts, raised=d.ts, event_ids=[d.eid],
                     numbers={"violation_code": d.code, "benchmark_table": published.table_id,
                              "amount_fen": d.amount},
                     summary=f"fine under {d.code} without applying benchmark table "
                             f"{published.table_id}",
                     summary_zh=f"依 {d.code} 罚款，未适用裁量基准表 {published.table_id}",
                     **common)
            continue
        band, source = None, None
        if published is not None and tier is not None:
            band, source = published.band(tier), "published"
        if band is None and applied:
            band, source = (applied[4], applied[5]), "applied"
        if band is None or band[0] <= d.amount <= band[1]:
            continue
        forms, heads = p.thresholds.deviation_approval_forms, p.thresholds.head_roles
        approvals = [dv for dv in c.deviations if dv[0] <= d.ts]
        # a head's approval only from a head's post at it (as RF11.d); collective discussion
        # is the body's, whoever signs it
        not_head = [[dv[4], dv[3], ctx.fold.role_at(dv[3], dv[0])] for dv in approvals
                    if dv[1] != "collective_discussion"
                    and ctx.fold.role_at(dv[3], dv[0]) not in heads]
        if any(dv[1] in forms and dv[2] == d.amount
               and not any(x[0] == dv[4] for x in not_head) for dv in approvals):
            continue
        ctx.flag("RF16.b", d.eid, anchor=d.ts, raised=d.ts,
                 event_ids=[d.eid] + ([applied[6]] if applied else [])
                 + [dv[4] for dv in approvals],
                 numbers={"amount_fen": d.amount, "band_min_fen": band[0],
                          "band_max_fen": band[1], "tier": tier, "band_source": source,
                          "deviations": [[dv[4], dv[1], dv[2]] for dv in approvals],
                          "approval_forms": list(forms), "not_head_approvals": not_head},
                 summary=f"fine {cny(d.amount)} outside the '{tier}' band "
                         f"{cny(band[0])}–{cny(band[1])} without an approved deviation for that "
                         "amount",
                 summary_zh=f"罚款 {yuan(d.amount)} 超出“{code_zh(tier)}”档 {yuan(band[0])}至 "
                            f"{yuan(band[1])}，且未经批准偏离裁量基准", **common)


# --- RF20.a/b/d -------------------------------------------------------------------------------

def rf20_changes(c: Case, ctx: "Ctx") -> None:
    decided = list(dict.fromkeys(d.decision_no for d in c.decisions))
    for ch in c.changes:
        if ch.decision_no not in decided:
            _rf20d_no_such_decision(c, ch, decided, ctx)
        d = c.decision_at(ch.ts, ch.decision_no)
        if d is None:
            continue
        th = ctx.params(ch.ts).thresholds
        before = c.current_amount(d, until=ch.ts - 1)
        problems = []
        if not (ch.approval_id and ch.approved_by):
            problems.append("no_approval")
        elif ch.form not in th.change_approval_forms:
            problems.append("approval_form_not_allowed")
        if ch.approved_by and ch.approved_by in d.decided_by and ch.form != "collective_discussion":
            problems.append("approver_is_decider")
        # a head's approval (负责人) is one only when the approver holds a head's post then, as
        # RF11.d and RF23.b read it; collective discussion is the body's, whoever signs it
        role = ctx.fold.role_at(ch.approved_by, ch.ts) if ch.approved_by else None
        if (ch.approval_id and role is not None and ch.form != "collective_discussion"
                and ch.form in th.change_approval_forms and role not in th.head_roles):
            problems.append("approver_not_head")
        common = {"case_id": c.case_id, "party_ref": d.party_ref, "unit_id": c.unit_id}
        if problems:
            ctx.flag("RF20.a", ch.eid, anchor=ch.ts, raised=ch.ts, event_ids=[ch.eid, d.eid],
                     numbers={"change": ch.type, "previous_fen": before, "amount_fen": ch.amount,
                              "approved_by": ch.approved_by, "approval_form": ch.form,
                              "approver_role": role,
                              "decided_by": list(d.decided_by), "problems": problems},
                     summary=f"{ch.type} ({before} → {cny(ch.amount)}): {', '.join(problems)}",
                     summary_zh=f"“{type_zh(ch.type)}”（{yuan(before)} → {yuan(ch.amount)}）："
                                f"{codes_zh(problems)}",
                     officer_id=ch.approved_by or (d.decided_by[0] if d.decided_by else None),
                     **common)
        received = received_before(c, ch.ts, d)
        # a change that changes nothing (RF20.d's, or of a replaced decision) owes nothing back
        owes_refund = received > ch.amount and c.changes_a_decision(ch)
        if owes_refund and (ch.type == "PenaltyAmended" or not ch.refund_required):
            ctx.flag("RF20.b", ch.eid, anchor=ch.ts, raised=ch.ts, event_ids=[ch.eid],
                     numbers={"change": ch.type, "received_fen": received,
                              "amount_fen": ch.amount, "refund_required": ch.refund_required},
                     summary=f"{ch.type} to {cny(ch.amount)} after {cny(received)} was paid, with "
                             "no refund through the treasury recorded",
                     summary_zh=f"已收缴罚款 {yuan(received)}后“{type_zh(ch.type)}”，罚款数额变为 "
                                f"{yuan(ch.amount)}，未记录经国库退还", **common)


def rf20e_served_form_voided(c: Case, ctx: "Ctx") -> None:
    """RF20.e: the numbered form of a decision voided after the decision was served. The void
    ends nothing (:meth:`Case.void_of`: only one before the service does), but the record of
    a fine handed to a party (APL 第52条 当场交付, 第61条) then destroyed is how a collected
    fine disappears. Not for a decision changed or revoked (one naming it at or after it,
    whenever recorded): RF20.a judges the change's approval."""
    if not c.voided:
        return
    for d in c.decided:
        if d.form_no is None or c.void_of(d) is not None \
                or any(ch.decision_no == d.decision_no and ch.ts >= d.ts for ch in c.changes):
            continue
        for ts, form_no, officers, eid in sorted(c.voided):
            if form_no != d.form_no or ts < d.ts:
                continue
            # served at or before the first such void, else the void had ended it (void_of)
            served = min(s for s, _ in c.served if s >= d.ts)
            received = received_before(c, ts, d)
            ctx.flag("RF20.e", eid, anchor=ts, raised=ts, event_ids=[eid, d.eid],
                     numbers={"decision_no": d.decision_no, "form_no": form_no,
                              "amount_fen": d.amount, "received_fen": received,
                              "served_at": ctx.time(served), "voided_at": ctx.time(ts)},
                     summary=f"form {form_no} of decision {d.decision_no} ({cny(d.amount)}, "
                             f"{cny(received)} received) voided after it was served",
                     summary_zh=f"处罚决定 {d.decision_no}（罚款 {yuan(d.amount)}，已收缴 "
                                f"{yuan(received)}）送达后，其预定格式决定书 {form_no} 被作废",
                     case_id=c.case_id, party_ref=d.party_ref, unit_id=c.unit_id,
                     officer_id=officers[0] if officers else
                     (d.decided_by[0] if d.decided_by else None))


def _rf20d_no_such_decision(c: Case, ch: Change, decided: list[str], ctx: "Ctx") -> None:
    """RF20.d: a change naming a decision the case does not have changes nothing (the case view
    records it out of order), yet it is a record of an act that should not exist."""
    why = "no_such_decision" if decided else "no_decision"
    ctx.flag("RF20.d", ch.eid, anchor=ch.ts, raised=ch.ts, event_ids=[ch.eid],
             numbers={"change": ch.type, "decision_no": ch.decision_no, "case_decisions": decided,
                      "approved_by": ch.approved_by, "why": why},
             summary=f"{ch.type} of decision {ch.decision_no}, which "
                     + ("is not among the case's decisions" if decided
                        else "does not exist: the case has no decision"),
             summary_zh=f"“{type_zh(ch.type)}”所针对的决定 {ch.decision_no} "
                        + ("不在本案的处罚决定之中" if decided else "不存在：本案尚无处罚决定"),
             case_id=c.case_id, unit_id=c.unit_id, officer_id=ch.approved_by)


def received_before(c: Case, ts: int, decision: Decision) -> int:
    """Money received for ``decision`` up to ``ts`` (:meth:`Case.owns_money`): bank/e-payments
    plus on-the-spot cash (a ``PaymentRecorded`` for the same cash is not counted twice)."""
    payments = [(p.amount, p.channel) for p in c.payments
                if p.ts <= ts and c.owns_money(decision, p.ts, p.decision_no)]
    paid = sum(a for a, ch in payments if ch != "onsite_cash_with_receipt")
    cash_payments = sum(a for a, ch in payments if ch == "onsite_cash_with_receipt")
    cash = sum(x.amount for x in c.cash
               if x.ts <= ts and c.owns_money(decision, x.ts, x.decision_no))
    return paid + max(cash, cash_payments)


# --- RF25.c -----------------------------------------------------------------------------------

def rf25c_disposal(c: Case, ctx: "Ctx") -> None:
    if not c.disposed and not c.returned:
        return
    linked: dict[str, str] = {}
    for oid in c.persons:
        o = ctx.fold.officers.get(oid)
        if o is not None:
            for party, _, _, _ in o.relations:
                linked[party] = oid
    # goods "returned" to someone who is not a party of the case but is an officer's relation
    # (or a person of the case) were handed to them: a disposal to a linked recipient
    for sid, returns in sorted(c.returned.items()):
        for ts, items, eid, to in returns:
            if to in c.parties or not (to in linked or to in c.persons):
                continue
            ctx.flag("RF25.c", eid, anchor=ts, raised=ts, event_ids=[eid],
                     numbers={"seizure_id": sid, "method": "returned", "items": len(items),
                              "recipient_ref": to, "problems": ["recipient_linked_to_officer"],
                              "linked_officer": linked.get(to)},
                     summary=f"seized items 'returned' to {to}, not a party of the case: "
                             "recipient_linked_to_officer",
                     summary_zh=f"暂扣、查封、扣押的财物“返还”给非本案当事人 {to}："
                                f"{code_zh('recipient_linked_to_officer')}",
                     case_id=c.case_id, unit_id=c.unit_id, officer_id=linked.get(to))
    for sid, disposals in sorted(c.disposed.items()):
        for ts, items, method, has_record, recipient, eid in disposals:
            problems = []
            if not has_record:
                problems.append("no_handling_record")
            if recipient and (recipient in linked or recipient in c.persons):
                problems.append("recipient_linked_to_officer")
            if problems:
                ctx.flag("RF25.c", eid, anchor=ts, raised=ts, event_ids=[eid],
                         numbers={"seizure_id": sid, "method": method, "items": len(items),
                                  "recipient_ref": recipient, "problems": problems,
                                  "linked_officer": linked.get(recipient or "")},
                         summary=f"seized items disposed ({method}): {', '.join(problems)}",
                         summary_zh=f"暂扣、查封、扣押的财物已处置（{code_zh(method)}）："
                                    f"{codes_zh(problems)}",
                         case_id=c.case_id, unit_id=c.unit_id,
                         officer_id=linked.get(recipient or ""))


CASE_RULES = (rf01_two_officers, rf03_summary_beyond_limits, rf04_onsite_collection,
              rf07_evidence_before_decision, rf08_recording_integrity, rf09_rights,
              rf10_heavier_after_defence, rf11_review_and_head_decision, rf15_statutory_range,
              rf16_benchmark_band, rf20_changes, rf20e_served_form_voided, rf25c_disposal)

COMPLAINT_RULES = (rf08f_complaint,)
SUPERVISION_RULES = (rf08f_supervision,)

__all__ = ["CASE_RULES", "COMPLAINT_RULES", "SUPERVISION_RULES", "received_before"]
