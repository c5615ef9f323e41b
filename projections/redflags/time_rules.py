"""Deadline rules: they fire when time passes, not only when an event arrives.

RF05 (cash to the agency and the bank, 2 + 2 working days), RF06 (payment, reconciliation,
surcharge, follow-up), RF12 (decision 90 days + approved extensions, service, summary filing,
publication and its withdrawal, preservation, time bar), RF23 (complaints 15 / 60 (+30) days,
conflicted handler, repeated complaints; and RF08.g, an acknowledgement, extension or
closing back-dated across the deadline it meets or extends), RF25.a/b (inventory in 24 h,
handling in 7 working days), RF27 (supervision notices: feedback by the notice's deadline,
resubmission after a send-back, the supervisor's review; RF08.g, a feedback back-dated across
it). RF08.h and RF08.i judge a case's extension and cash deposit back-dated so.

The pattern of every deadline (:func:`deadline`): the act in time → nothing; the act late → a
flag with ``status = cleared`` naming the late event (the lateness stays visible); no act yet
and the deadline passed at ``at`` → ``raised`` at the instant it passed; no act and the deadline
still ahead → nothing, and the instant is reported to the engine (``next_due``).
Working days come from the official calendar (:class:`~.days.Days`); a deadline in a year the
calendar does not cover is not judged. A deadline an act opens counts from :func:`opened`: the
act's claimed time, or its recording when it claims a time beyond RF08.e's tolerance after it
(forward-dating postpones nothing; docs/red-flags.md, "Time").
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Iterable

from .days import DAY, HOUR, MINUTE, add_years, day_iso
from .facts import (COLLECTIVE, DISPOSED, WRITTEN_ACKS, Case, Complaint, Decision, Disposition,
                    Ev, Officer, Plan, Supervision, complaint_extension_days,
                    complaint_extension_refused, decision_extension_counted,
                    decision_extension_judged, plan_refused)
from .single_case import _iso_day, explained, opened, received_before
from .zh import (cny, code_zh, codes_zh, complaint_category_zh, percent_zh,
                 surcharge_rate_zh, type_zh, yuan)

if TYPE_CHECKING:
    from .engine import Ctx
    from .flag import Flag

DESIGNATED_CHANNELS = frozenset({"designated_bank", "e_payment", "onsite_cash_with_receipt"})
#: no penalty the law requires (不予行政处罚): APL 第30条, 第31条, 第33条第1款 first sentence, 第2款
MANDATORY_WAIVERS = frozenset({"APL33-1-S1", "APL33-2", "APL30", "APL31"})
#: relief for a first violation (RF18.a): APL 第33条第1款 初次违法, and a local 首违不罚清单
#: (LOCAL_LIST, docs/events.md)
FIRST_VIOLATION_WAIVERS = frozenset({"APL33-1", "LOCAL_LIST"})
_FOREVER = 2**62


def deadline(ctx: "Ctx", late_from: int | None, done: tuple[int, str] | None
             ) -> tuple[int, str] | None | bool:
    """Judge one deadline. ``late_from`` is the first late instant (None: not computable);
    ``done`` the (time, event id) of the act that meets it. Returns False (nothing to flag),
    True (raised: passed with no act) or the late act (cleared)."""
    if late_from is None:
        return False
    if done is not None:
        return False if done[0] < late_from else done
    return ctx.passed(late_from)


def _emit(ctx: "Ctx", outcome: tuple[int, str] | bool, rule_id: str, disc: str, *,
          anchor: int, late_from: int, event_ids: list[str], numbers: dict, summary: str,
          summary_zh: str, ahead: dict | None = None, per: int = DAY,
          **subject: str | None) -> None:
    """Flag a deadline's outcome (:func:`deadline`); ``ahead`` is :func:`opened`'s explanation
    of an act dated after its recording, added to the numbers and the summaries. A late act's
    lateness is counted in the unit of the limit it missed, ``per`` day (``days_late``) or, for
    a limit in hours, per hour (``hours_late``); a started day (hour) counts."""
    if outcome is False:
        return
    numbers, summary, summary_zh = explained(numbers, summary, summary_zh, ahead)
    cleared = outcome if isinstance(outcome, tuple) else None
    if cleared:
        late = (cleared[0] - late_from) // per + 1
        numbers = {**numbers, "met_at": ctx.time(cleared[0]),
                   **({"hours_late": late} if per == HOUR else {"days_late": late})}
        event_ids = event_ids + [cleared[1]]
    ctx.flag(rule_id, disc, anchor=anchor, raised=late_from, event_ids=event_ids,
             numbers=numbers, summary=summary, summary_zh=summary_zh, cleared=cleared, **subject)


def _in_time(events: Iterable[tuple], late_from: int, target: int, amount: int) -> int:
    """How much of the ``amount`` whose cumulative total is ``target`` ``events`` (time,
    amount, id, …) covered before ``late_from``: the part of cash handed on in time."""
    before = sum(a for ts, a, *_ in events if ts < late_from)
    return max(0, min(amount, before - (target - amount)))


def _first_cover(events: Iterable[tuple], target: int) -> tuple[int, str] | None:
    """The first (time, id) at which the cumulative amounts of ``events`` (time, amount, id,
    …) reach ``target``."""
    total = 0
    for ts, amount, eid, *_ in sorted(events):
        total += amount
        if total >= target:
            return ts, eid
    return None


# --- RF05 -------------------------------------------------------------------------------------

def rf05_cash_handling(c: Case, ctx: "Ctx") -> None:
    if not c.cash:
        return
    days, fold = ctx.days, ctx.fold
    for cash in c.cash:
        officer = cash.officers[0] if cash.officers else None
        if not cash.receipt_no:
            ctx.flag("RF05.a", cash.eid, anchor=cash.ts, raised=cash.ts, event_ids=[cash.eid],
                     numbers={"amount_fen": cash.amount, "receipt_no": None,
                              "problem": "no_receipt"},
                     summary=f"{cny(cash.amount)} collected on the spot without an official "
                             "receipt",
                     summary_zh=f"当场收缴罚款 {yuan(cash.amount)}，未出具财政部门统一制发的专用票据",
                     case_id=c.case_id, unit_id=c.unit_id, officer_id=officer)
        else:
            # the first use in world time: a collection uploaded late did not come first
            uses = fold.receipts.get(cash.receipt_no, [])
            first = min(uses, default=None)
            if first is not None and first[3] != cash.eid:
                ctx.flag("RF05.a", cash.eid, anchor=cash.ts, raised=cash.ts,
                         event_ids=[cash.eid, first[3]],
                         numbers={"amount_fen": cash.amount, "receipt_no": cash.receipt_no,
                                  "problem": "receipt_reused", "first_used_in_case": first[2],
                                  "uses": len(uses)},
                         summary=f"receipt {cash.receipt_no} already used in case {first[2]}",
                         summary_zh=f"专用票据 {cash.receipt_no} 已在案件 {first[2]} 中使用",
                         case_id=c.case_id, unit_id=c.unit_id, officer_id=officer)
    cum = 0
    remits = [(ts, a, eid) for ts, a, eid in c.remitted]
    for cash in sorted(c.cash):
        cum += cash.amount
        legal = ctx.params(cash.ts).legal
        n = legal.onsite_cash_to_agency_working_days
        start, ahead = opened(ctx, cash.ts, cash.rts, cash.eid)
        due = days.add_working(days.day(start), n)
        late_from = None if due is None else days.end(due)
        done = _first_cover(remits, cum)
        outcome = deadline(ctx, late_from, done)
        if outcome is not False and late_from is not None:
            part = _in_time(remits, late_from, cum, cash.amount)
            _emit(ctx, outcome, "RF05.b", cash.eid, anchor=cash.ts, late_from=late_from,
                  event_ids=[cash.eid],
                  numbers={"amount_fen": cash.amount, "collected_at": ctx.time(cash.ts),
                           "due": day_iso(due), "working_days": n,
                           "remitted_fen": sum(a for _, a, _ in remits), "in_time_fen": part},
                  summary=f"{cny(cash.amount)} collected on {day_iso(days.day(start))} not "
                          f"handed to the agency by {day_iso(due)} ({n} working days)"
                          + (f"; {cny(part)} of it by then" if part else ""),
                  summary_zh=f"{day_iso(days.day(start))} 当场收缴的罚款 {yuan(cash.amount)}至 "
                             f"{day_iso(due)} 未交至行政机关（{n} 个工作日）"
                             + (f"，其中按期交至 {yuan(part)}" if part else ""),
                  ahead=ahead, case_id=c.case_id, unit_id=c.unit_id,
                  officer_id=cash.officers[0] if cash.officers else None)
    cum = 0
    deposits = list(c.deposited)
    judged: set[str] = set()
    for ts, amount, eid in sorted(c.remitted):
        cum += amount
        n = ctx.params(ts).legal.agency_to_bank_working_days
        start, ahead = opened(ctx, ts, c.recorded_ahead(eid), eid)
        due = days.add_working(days.day(start), n)
        late_from = None if due is None else days.end(due)
        done = _first_cover(deposits, cum)
        outcome = deadline(ctx, late_from, done)
        if outcome is False and done is not None and late_from is not None:
            _back_dated_deposits(c, ctx, deposits, cum, due, done[0], judged)
        elif outcome is not False and late_from is not None:
            part = _in_time(deposits, late_from, cum, amount)
            _emit(ctx, outcome, "RF05.c", eid, anchor=ts, late_from=late_from,
                  event_ids=[eid],
                  numbers={"amount_fen": amount, "remitted_at": ctx.time(ts),
                           "due": day_iso(due), "working_days": n, "in_time_fen": part},
                  summary=f"cash handed in on {day_iso(days.day(start))} not deposited with "
                          f"the bank by {day_iso(due)} ({n} working days)"
                          + (f"; {cny(part)} of it by then" if part else ""),
                  summary_zh=f"{day_iso(days.day(start))} 交至行政机关的罚款至 {day_iso(due)} "
                             f"未缴付指定银行（{n} 个工作日）"
                             + (f"，其中按期缴付 {yuan(part)}" if part else ""),
                  ahead=ahead, case_id=c.case_id, unit_id=c.unit_id)


# --- RF06 -------------------------------------------------------------------------------------

def rf06_payment(c: Case, ctx: "Ctx") -> None:
    """Each party's latest decision, with its own money (a case may have several parties,
    共同违法: a co-party's decision is not this one made anew)."""
    if not c.decisions:
        return
    first = c.decisions[0].party_ref
    # in world time: one may be recorded late
    latest = [max(ds, key=lambda x: (x.ts, x.idx)) for ds in c.by_party.values()]
    for d in latest:
        _rf06_decision(c, d, d.party_ref == first, ctx)
    if len(latest) > 1:
        _rf06a_case(c, latest, ctx)


def _owed(c: Case, d: Decision) -> tuple[int, int, list]:
    """(principal in force, surcharge assessed, the surcharges read under ``d``'s party) of
    ``d``, its party's latest decision: the surcharges in force for a decision of its party
    (:meth:`Case.decision_at`), the latest made since ``d`` (not one of a decision withdrawn)."""
    principal = c.current_amount(d)
    mine = c.surcharges if len(c.by_party) == 1 else [
        s for s in c.surcharges if c.decision_at(s[0], s[6]).party_ref == d.party_ref]
    own = [s for s in mine if s[0] >= d.ts]
    return principal, own[-1][4] if own else 0, mine


def _rf06a(c: Case, ctx: "Ctx", closing: tuple[int, str, str], due: int, disc: str,
           common: dict, **numbers: Any) -> None:
    """RF06.a: the case closed as paid (``closing``) with no matched treasury reconciliation of
    ``due``, the total it credits for the case, within the limit."""
    close_ts, _, close_eid = closing
    match = next(((ts, eid) for ts, amount, result, eid in c.reconciled
                  if result == "matched" and amount == due), None)
    owed, ahead = opened(ctx, close_ts, c.recorded_ahead(close_eid), close_eid)
    out = deadline(ctx, owed, match)
    if out is not False:
        _emit(ctx, out, "RF06.a", disc, anchor=close_ts, late_from=owed,
              event_ids=[close_eid] + [r[3] for r in c.reconciled],
              numbers={"due_fen": due, **numbers,
                       "reconciled": [[r[3], r[1], r[2]] for r in c.reconciled]},
              summary=f"closed as paid without a treasury reconciliation of {cny(due)}",
              summary_zh=f"以“{code_zh('paid')}”结案，但 {yuan(due)} 未经国库对账",
              ahead=ahead, **common)


def _rf06a_case(c: Case, latest: list[Decision], ctx: "Ctx") -> None:
    """RF06.a of a case with several parties: a ``TreasuryReconciled`` names no decision, it is
    the total credited for the case, so a closing as paid is judged once, against the sum of
    what each party's decision it closes (:meth:`Case.closing_of`) was due."""
    closes: dict[tuple[int, str, str], list[tuple[str, int]]] = {}
    for d in latest:
        closing = c.closing_of(d)
        if closing is not None and closing[1] == "paid" and c.withdrawal_of(d) is None:
            principal, surcharge, _ = _owed(c, d)
            closes.setdefault(closing, []).append(
                (d.party_ref, principal + (surcharge if principal else 0)))
    for closing, parties in closes.items():
        due = sum(owed for _, owed in parties)
        if due > 0:
            _rf06a(c, ctx, closing, due, closing[2],
                   {"case_id": c.case_id, "party_ref": None, "unit_id": c.unit_id},
                   parties=[list(x) for x in sorted(parties)])


def _rf06_decision(c: Case, d: Decision, first: bool, ctx: "Ctx") -> None:
    """RF06 of ``d``, its party's latest decision. Payments and surcharges are judged once,
    under the party whose decision they are in force for (:meth:`Case.decision_at`: among the
    decisions of the party of the one they name; in world time when a surcharge names none);
    ``first``: the party of the case's first decision recorded, whose flags keep the
    discriminators of a case of one party."""
    if c.withdrawal_of(d) is not None:
        return
    legal = ctx.params(d.ts).legal
    th = ctx.params(d.ts).thresholds
    principal, surcharge, mine = _owed(c, d)
    alone = len(c.by_party) == 1
    expected = principal + (surcharge if principal else 0)
    common = {"case_id": c.case_id, "party_ref": d.party_ref, "unit_id": c.unit_id}

    def key(name: str) -> str:
        return name if first else f"{name}|{d.party_ref}"
    for ts, amount, channel, eid, _, named in c.payments:
        if not alone and c.decision_at(ts, named).party_ref != d.party_ref:
            continue
        if channel not in DESIGNATED_CHANNELS:
            ctx.flag("RF06.c", eid, anchor=ts, raised=ts, event_ids=[eid],
                     numbers={"amount_fen": amount, "channel": channel},
                     summary=f"{cny(amount)} paid through '{channel}', not a designated channel",
                     summary_zh=f"罚款 {yuan(amount)} 经“{code_zh(channel)}”缴纳，非指定渠道",
                     **common)
    for ts, p, rate, n_days, amount, eid, no in mine:
        # APL 第72条(一): capped by the fine in force, not by the principal the assessment
        # states; of the decision it names, among its party's (all the case's if it names none)
        of = max((x for x in c.scope(no) if x.ts <= ts), key=lambda x: (x.ts, x.idx), default=d)
        fine = c.current_amount(of, until=ts)
        problems = []
        if amount > fine:
            problems.append("above_principal")
        if rate != legal.late_payment_surcharge_bp_per_day:
            problems.append("wrong_rate")
        # 到期不缴纳的，每日按罚款数额的百分之三: from the day after the period, on the fine
        served, due = _payment_due(c, of, ctx)
        plan, _ = _plan(c, of, due, ctx, until=ts)
        if plan is not None:       # the first instalment not paid when it was assessed
            got, owed = received_before(c, ts, of), 0
            due = plan.schedule[-1][0]
            for day, part in plan.schedule:
                owed += part
                if got < owed:
                    due = day
                    break
        overdue = accrued = None
        if served is None or served > ts or (due is not None and ctx.days.day(ts) <= due):
            problems.append("before_payment_due")
        elif due is not None:
            overdue = ctx.days.day(ts) - due
            accrued = -(-fine * legal.late_payment_surcharge_bp_per_day * overdue // 10_000)
            if amount > accrued and "above_principal" not in problems:
                problems.append("above_accrued")
        if problems:
            in_force = legal.late_payment_surcharge_bp_per_day     # the statute's 3 %, or a city's
            worded = [f"wrong_rate (the rate in force is {in_force} bp/day)"
                      if x == "wrong_rate" else x for x in problems]
            worded_zh = [surcharge_rate_zh(in_force) if x == "wrong_rate" else code_zh(x)
                         for x in problems]
            ctx.flag("RF06.d", eid, anchor=ts, raised=ts, event_ids=[eid],
                     numbers={"surcharge_fen": amount, "principal_fen": p, "fine_fen": fine,
                              "rate_bp": rate, "legal_rate_bp": in_force,
                              "days": n_days, "payment_due": _iso_day(due),
                              "days_overdue": overdue, "accrued_max_fen": accrued,
                              "problems": problems},
                     summary=f"surcharge {cny(amount)} on a {cny(fine)} fine at {rate} bp/day: "
                             f"{', '.join(worded)}",
                     summary_zh=f"罚款 {yuan(fine)}，每日按罚款数额的{percent_zh(rate)}加处罚款 "
                                f"{yuan(amount)}：{'、'.join(worded_zh)}", **common)
    if expected <= 0:
        return
    # b) more received than due, or less than due when the case is closed as paid
    # the money of this decision: not a payment on a decision withdrawn before it
    money = sorted([(p.ts, p.eid) for p in c.payments if c.owns_money(d, p.ts, p.decision_no)]
                   + [(x.ts, x.eid) for x in c.cash if c.owns_money(d, x.ts, x.decision_no)])
    over = next(((ts, eid) for ts, eid in money if received_before(c, ts, d) > expected), None)
    if over is not None:
        ctx.flag("RF06.b", key("over"), anchor=over[0], raised=over[0], event_ids=[over[1]],
                 numbers={"received_fen": received_before(c, over[0], d), "due_fen": expected,
                          "principal_fen": principal, "surcharge_fen": surcharge},
                 summary=f"{cny(received_before(c, over[0], d))} received where {cny(expected)} "
                         "was due",
                 summary_zh=f"应收 {yuan(expected)}，实收 {yuan(received_before(c, over[0], d))}",
                 **common)
    closing = c.closing_of(d)
    if closing is not None and closing[1] in ("paid", "executed"):
        close_ts, outcome, close_eid = closing
        got = received_before(c, close_ts, d)
        if got < expected:
            ctx.flag("RF06.b", key("short"), anchor=close_ts, raised=close_ts,
                     event_ids=[close_eid],
                     numbers={"received_fen": got, "due_fen": expected,
                              "principal_fen": principal, "surcharge_fen": surcharge},
                     summary=f"closed as '{outcome}' with {cny(got)} received of {cny(expected)}",
                     summary_zh=f"以“{code_zh(outcome)}”结案，应收 {yuan(expected)}，实收 {yuan(got)}",
                     **common)
        if outcome == "paid" and alone:     # with several parties: _rf06a_case
            _rf06a(c, ctx, closing, expected, key(close_eid), common)
    # e) unpaid after the payment period with no follow-up
    served, due = _payment_due(c, d, ctx)
    if served is None:
        return
    plan, not_counted = _plan(c, d, due, ctx)
    ahead: dict = {}
    if plan is not None:
        due = plan.schedule[-1][0]
    elif (service := _first_service(c, d)) is not None:      # the period counts from it
        ahead = opened(ctx, service[0], c.recorded_ahead(service[1]), service[1])[1]
    days = ctx.days
    follow = None if due is None else days.add_calendar(due, th.unpaid_followup_days)
    if follow is None:
        return
    late_from = days.end(follow)
    paid = next(((ts, eid) for ts, eid in money if received_before(c, ts, d) >= expected), None)
    # a plan that moved the deadline is not also its follow-up; one not counted still is
    other = {eid for eid, _ in not_counted}
    actions = sorted(x for x in [(s[0], s[5]) for s in mine]
                     + [(p.ts, p.eid) for p in c.instalments if p.eid in other]
                     + [(o.ts, o.eid) for o in c.outcomes if o.type == "TransferredToJudiciary"]
                     if x[0] >= d.ts)          # a follow-up of this decision, not a withdrawn one
    done = min([x for x in (paid, actions[0] if actions else None) if x is not None],
               default=None)
    outcome = deadline(ctx, late_from, done)
    if outcome is not False:
        _emit(ctx, outcome, "RF06.e", d.eid, anchor=d.ts, late_from=late_from,
              event_ids=[d.eid] + ([plan.eid] if plan else []),
              numbers={"due_fen": expected, "payment_due": day_iso(due),
                       "follow_up_by": day_iso(follow),
                       "received_fen": received_before(c, _FOREVER, d),
                       "plan": plan.kind if plan else None, "plans_not_counted": not_counted},
              summary=f"fine unpaid after {day_iso(due)} and no surcharge, instalments or "
                      f"enforcement by {day_iso(follow)}",
              summary_zh=f"罚款逾期（{day_iso(due)}）未缴纳，至 {day_iso(follow)} 既未"
                         f"{type_zh('SurchargeAssessed')}，也未{type_zh('InstalmentApproved')}，"
                         f"亦未{code_zh('enforcement_applied')}", ahead=ahead, **common)


def rf06f_payment_reused(c: Case, ctx: "Ctx") -> None:
    """RF06.f: a payment id the bank or e-payment system gave one payment, recorded for another
    decision, amount or channel, or in another case, than its first record in world time. The
    same payment recorded again is one payment (:func:`~.facts.same_payment`), never flagged."""
    for p in c.payments:
        uses = ctx.fold.payment_ids.get(p.payment_id, ())
        if len(uses) < 2:
            continue
        ts, _, case_id, eid, (_, decision_no, amount, channel) = min(uses)
        if eid == p.eid:
            continue
        ctx.flag("RF06.f", p.eid, anchor=p.ts, raised=p.ts, event_ids=[p.eid, eid],
                 numbers={"payment_id": p.payment_id, "decision_no": p.decision_no,
                          "amount_fen": p.amount, "channel": p.channel,
                          "first_used_in_case": case_id, "first_decision_no": decision_no,
                          "first_amount_fen": amount, "first_channel": channel,
                          "uses": len(uses)},
                 summary=f"payment {p.payment_id} of {cny(p.amount)} for decision "
                         f"{p.decision_no} was first recorded in case {case_id} as "
                         f"{cny(amount)} for decision {decision_no} ({channel})",
                 summary_zh=f"缴款记录 {p.payment_id}（{yuan(p.amount)}，决定书 {p.decision_no}）"
                            f"已在案件 {case_id} 中记录为 {yuan(amount)}（决定书 {decision_no}，"
                            f"{code_zh(channel)}）",
                 case_id=c.case_id, unit_id=c.unit_id)


def _first_service(c: Case, d: Decision) -> tuple[int, str] | None:
    """(claimed time, event id) of the first service of ``d`` (one naming a decision of its
    party, or none of the case), or None."""
    return min(((ts, eid) for ts, eid in c.served if ts >= d.ts and c.concerns(eid, d)),
               default=None)


def _payment_due(c: Case, d: Decision, ctx: "Ctx") -> tuple[int | None, int | None]:
    """(first service of ``d``, the last day to pay it): the period in force on the decision's
    day from that service, rolled (docs/red-flags.md, RF06); a service dated after its
    recording counts from the recording (:meth:`Ctx.since`). (None, None) before it is
    served; the day is None where the calendar does not cover it."""
    service = _first_service(c, d)
    if service is None:
        return None, None
    served = ctx.since(service[0], c.recorded_ahead(service[1]))
    days = ctx.days
    return served, days.add_calendar(days.day(served),
                                     ctx.params(d.ts).legal.payment_deadline_days)


def _plan(c: Case, d: Decision, due: int | None, ctx: "Ctx", *, until: int = _FOREVER
          ) -> tuple[Plan | None, list[list[str]]]:
    """The deferral or instalments of ``d`` in force at ``until`` (or None), and [event id,
    why] of each plan of ``d`` not counted. ``due`` is the statutory last day to pay (None
    before service). APL 第66条第2款: 经当事人申请和行政机关批准 — a plan counts when the
    party applied, no investigator of the case approved it (as RF12.b an extension), and it
    was approved by the deadline then in force; it replaces that deadline (docs/red-flags.md,
    RF06). A plan not counted leaves the deadline as it was."""
    investigators = c.investigators()
    plan, not_counted = None, []
    for p in sorted(x for x in c.instalments
                    if c.owns_money(d, x.ts, x.decision_no) and x.ts >= d.ts):
        if p.ts > until:
            break
        in_force = plan.schedule[-1][0] if plan else due
        passed = in_force is not None and ctx.days.day(p.ts) > in_force
        why = plan_refused(p.party_applied, p.approved_by, investigators,
                           day_iso(in_force) if passed else None)
        if why is None:
            plan = p
        else:
            not_counted.append([p.eid, why])
    return plan, not_counted


# --- RF12 -------------------------------------------------------------------------------------

def _at(ctx: "Ctx", c: Case, ts: int, eid: str) -> int:
    """The instant act ``eid`` of ``c``, claiming ``ts``, counts at: its recording if it claims
    a time beyond the tolerance after it (:meth:`Ctx.since`), else its claim."""
    return ctx.since(ts, c.recorded_ahead(eid))


def rf12_deadlines(c: Case, ctx: "Ctx") -> None:
    days = ctx.days
    investigators = None
    # a) decision within 90 days of filing + approved extensions; b) extension approvals.
    # A general case: filed under the general procedure (from that filing, 立案), or filed on
    # the spot and decided under it (from the filing: the case records no other 立案)
    filed = c.general_filed or (
        c.filed if any(d.procedure == "general" for d in c.decisions) else None)
    if filed is not None:
        p = ctx.params(filed.ts)
        th, legal = p.thresholds, p.legal
        start, filed_ahead = opened(ctx, filed.ts, filed.rts, filed.eid)
        filed_day = days.day(start)
        ext_days = head_days = 0
        # in world time: an extension extends the deadline in force when it is approved, and
        # one approved after that deadline passed extends nothing (the case was already late)
        for ts, n, approver, form, eid, rts, idx in sorted(c.extensions):
            if investigators is None:
                investigators = c.investigators()
            due = days.add_calendar(filed_day,
                                    legal.decision_deadline_days_from_filing + ext_days)
            late = due is not None and ts >= days.end(due)
            passed = day_iso(due) if late else None
            if due is not None and not late:
                _back_dated_extension(c, ctx, Ev("ExtensionApproved", ts, rts, eid, idx), n,
                                      approver, due)
            role = ctx.fold.role_at(approver, ts)
            judged = dict(forms=th.extension_approval_forms,
                          head_max=legal.decision_extension_head_max_days, head_used=head_days,
                          role=role, head_roles=th.head_roles)
            counted, why = decision_extension_counted(n, form, approver, investigators, passed,
                                                      **judged)
            ext_days += counted
            head_days += counted if form != COLLECTIVE else 0
            if why is not None:
                ctx.flag("RF12.b", eid, anchor=ts, raised=ts, event_ids=[eid],
                         numbers={"days": n, "counted_days": counted, "approved_by": approver,
                                  "approval_form": form, "approver_role": role,
                                  "allowed_forms": list(th.extension_approval_forms),
                                  "head_max_days": legal.decision_extension_head_max_days,
                                  "approved_after_due": day_iso(due) if late else None},
                         summary=f"{n}-day extension approved by {approver} ({form}): {why}",
                         summary_zh=f"{approver} 批准延长 {n} 日（{code_zh(form)}）："
                                    + _extension_why_zh(n, form, approver, investigators, passed,
                                                        **judged),
                         case_id=c.case_id, unit_id=c.unit_id, officer_id=approver)
        due = days.add_calendar(filed_day, legal.decision_deadline_days_from_filing + ext_days)
        # an end dated after its recording happened by then (as the deadlines it opens count);
        # a mitigation (从轻、减轻) is no end: the lighter decision follows it
        ends = [(x.ts, x.eid) for x in c.decisions] + [(o.ts, o.eid) for o in c.outcomes
                                                        if o.waiver != "mitigated"]
        ends += [(ts, eid) for ts, _, eid in c.closings]
        done = min(((_at(ctx, c, ts, eid), eid) for ts, eid in ends), default=None)
        if due is not None:
            late_from = days.end(due)
            period = legal.decision_deadline_days_from_filing      # 90, or a city's
            _emit(ctx, deadline(ctx, late_from, done), "RF12.a", filed.eid,
                  anchor=filed.ts, late_from=late_from, event_ids=[filed.eid],
                  numbers={"filed_on": day_iso(filed_day), "due": day_iso(due),
                           "deadline_days": period, "approved_extension_days": ext_days},
                  summary=f"no decision by {day_iso(due)} (filed {day_iso(filed_day)}, "
                          f"{period} + {ext_days} days)",
                  summary_zh=f"至 {day_iso(due)} 未作出决定（{day_iso(filed_day)} 立案，{period} + "
                             f"{ext_days} 日）", ahead=filed_ahead, case_id=c.case_id,
                  unit_id=c.unit_id)
    # c, e) a decision dated after its recording counts from the recording, and what follows
    # it from then is its own; a service or publication dated after its recording meets the
    # deadline then (the ledger witnessed it): RF08.e names the false date, alone
    def at(ts: int, eid: str) -> int:
        return _at(ctx, c, ts, eid)
    for d in c.decisions:
        withdrawn = c.withdrawal_of(d)
        p = ctx.params(d.ts)
        legal, th = p.legal, p.thresholds
        start, ahead = opened(ctx, d.ts, d.rts, d.eid)
        day = days.day(start)
        common = {"case_id": c.case_id, "party_ref": d.party_ref, "unit_id": c.unit_id,
                  "ahead": ahead}
        if d.procedure == "general":          # c) service within 7 working days
            n = legal.service_deadline_working_days_if_absent
            due = days.add_working(day, n)
            if due is not None:
                late_from = days.end(due)
                done = c.first_for(d, c.served, since=start, at=at)
                if not (done is None and withdrawn is not None and withdrawn.ts < late_from):
                    _emit(ctx, deadline(ctx, late_from, done), "RF12.c", d.eid, anchor=d.ts,
                          late_from=late_from, event_ids=[d.eid],
                          numbers={"decided_on": day_iso(day), "due": day_iso(due),
                                   "working_days": n},
                          summary=f"decision of {day_iso(day)} not served by {day_iso(due)}",
                          summary_zh=f"{day_iso(day)} 的处罚决定至 {day_iso(due)} 未送达",
                          **common)
        else:                                  # d) summary decision filed in 3 working days
            n = legal.summary_decision_filing_working_days
            due = days.add_working(day, n)
            if due is not None:
                late_from = days.end(due)
                done = c.first_for(d, c.summary_filed)
                _emit(ctx, deadline(ctx, late_from, done), "RF12.d", d.eid, anchor=d.ts,
                      late_from=late_from, event_ids=[d.eid],
                      numbers={"decided_on": day_iso(day), "due": day_iso(due),
                               "working_days": n},
                      summary=f"summary decision of {day_iso(day)} not filed by {day_iso(due)}",
                      summary_zh=f"{day_iso(day)} 的简易程序决定至 {day_iso(due)} 未备案",
                      **common)
        if d.procedure in th.publication_procedures:      # e) publication in 7 working days
            n = legal.publication_deadline_working_days
            due = days.add_working(day, n)
            if due is not None:
                late_from = days.end(due)
                done = c.first_for(d, c.published, since=start, at=at)
                if not (done is None and withdrawn is not None and withdrawn.ts < late_from):
                    _emit(ctx, deadline(ctx, late_from, done), "RF12.e", d.eid, anchor=d.ts,
                          late_from=late_from, event_ids=[d.eid],
                          numbers={"decided_on": day_iso(day), "due": day_iso(due),
                                   "working_days": n},
                          summary=f"decision of {day_iso(day)} not published by {day_iso(due)}",
                          summary_zh=f"{day_iso(day)} 的处罚决定至 {day_iso(due)} 未公示",
                          **common)
    # f) publication withdrawn within 3 working days of a change (变更) or revocation
    published = c.changed_while_published()
    if published is not None:
        changed, of = published
        n = ctx.params(changed.ts).legal.publication_withdraw_working_days
        start, ahead = opened(ctx, changed.ts, c.recorded_ahead(changed.eid), changed.eid)
        due = days.add_working(days.day(start), n)
        if due is not None:
            late_from = days.end(due)
            done = min(((ts, eid) for ts, eid in c.unpublished
                        if ts >= changed.ts and c.concerns(eid, of)), default=None)
            how = "amended" if changed.type == "PenaltyAmended" else "withdrawn"
            _emit(ctx, deadline(ctx, late_from, done), "RF12.f", changed.eid,
                  anchor=changed.ts, late_from=late_from, event_ids=[changed.eid],
                  numbers={f"{how}_on": day_iso(days.day(start)), "due": day_iso(due),
                           "working_days": n},
                  summary=f"publication not withdrawn by {day_iso(due)} after the decision "
                          f"was {how}",
                  summary_zh=f"处罚决定{code_zh(how)}后，至 {day_iso(due)} 未撤回公示",
                  ahead=ahead, case_id=c.case_id, unit_id=c.unit_id)
    # f) and within 3 working days of the void that ended a published decision: it never
    # took effect, and the public feed marks it voided until the withdrawal
    for (void_ts, form_no, _, void_eid), of in c.voided_while_published():
        n = ctx.params(void_ts).legal.publication_withdraw_working_days
        start, ahead = opened(ctx, void_ts, c.recorded_ahead(void_eid), void_eid)
        due = days.add_working(days.day(start), n)
        if due is not None:
            late_from = days.end(due)
            done = min(((ts, eid) for ts, eid in c.unpublished
                        if ts >= void_ts and c.concerns(eid, of)), default=None)
            _emit(ctx, deadline(ctx, late_from, done), "RF12.f", void_eid,
                  anchor=void_ts, late_from=late_from, event_ids=[of.eid, void_eid],
                  numbers={"decision_no": of.decision_no, "form_no": form_no,
                           "voided_on": day_iso(days.day(start)), "due": day_iso(due),
                           "working_days": n},
                  summary=f"publication not withdrawn by {day_iso(due)} after the form of "
                          f"the decision of {day_iso(days.day(of.ts))} was voided",
                  summary_zh=f"{day_iso(days.day(of.ts))} 的处罚决定书作废后，至 "
                             f"{day_iso(due)} 未撤回公示",
                  ahead=ahead, case_id=c.case_id, party_ref=of.party_ref, unit_id=c.unit_id)
    # h) filed more than 2 years after the violation, or after a continuing or repeated one
    # ended (APL 第36条第2款: 从行为终了之日起计算); an end recorded before the beginning is a
    # slip, so the bar never counts from before the act began
    if c.filed is not None and c.violation_ts is not None:
        years = ctx.params(c.filed.ts).legal.statute_of_limitations_years
        discovered = min((ev.ts for ev in c.events if ev.type in ("ClueRegistered", "CaseFiled")),
                         default=c.filed.ts)
        ended = c.violation_end_ts
        v = days.day(c.violation_ts if ended is None else max(c.violation_ts, ended))
        bar = add_years(v, years)
        if days.day(discovered) > bar:
            what = f"violation of {day_iso(days.day(c.violation_ts))}" + (
                "" if ended is None else f" (ended {day_iso(days.day(ended))})")
            ctx.flag("RF12.h", c.filed.eid, anchor=c.filed.ts, raised=c.filed.ts,
                     event_ids=[c.filed.eid],
                     numbers={"violation_at": ctx.time(c.violation_ts),
                              "violation_ended_at": None if ended is None else ctx.time(ended),
                              "discovered_at": ctx.time(discovered),
                              "time_bar": day_iso(bar), "years": years},
                     summary=f"{what} taken up after the {years}-year bar",
                     summary_zh=f"{day_iso(days.day(c.violation_ts))} 的违法行为"
                                + ("" if ended is None else
                                   f"（{day_iso(days.day(ended))} 终了）")
                                + f"超过 {years} 年行政处罚时效后才被发现",
                     case_id=c.case_id, unit_id=c.unit_id)
    _property_deadlines(c, ctx)


# --- RF25.a/b and RF12.g ----------------------------------------------------------------------

def _property_deadlines(c: Case, ctx: "Ctx") -> None:
    if not c.seizures:
        return
    days = ctx.days
    confiscations = sorted((d.ts, d.eid) for d in c.decisions
                           if "confiscation_property" in d.types)
    decisions = sorted([(d.ts, d.eid) for d in c.decisions]
                       + [(o.ts, o.eid) for o in c.outcomes])
    for sid, s in sorted(c.seizures.items()):
        th = ctx.params(s.ts).thresholds
        legal = ctx.params(s.ts).legal
        officer = s.officers[0] if s.officers else None
        start, ahead = opened(ctx, s.ts, c.recorded_ahead(s.eid), s.eid)
        # a) inventory signed within 24 h
        late_from = start + th.inventory_hours * HOUR + 1
        inv = min(c.inventories.get(sid, ()), default=None)
        _emit(ctx, deadline(ctx, late_from, inv), "RF25.a", sid, anchor=s.ts,
              late_from=late_from, event_ids=[s.eid],
              numbers={"seizure_id": sid, "seized_at": ctx.time(s.ts),
                       "items": len(s.items), "limit_hours": th.inventory_hours},
              summary=f"no signed inventory within {th.inventory_hours} h of seizure {sid}",
              summary_zh=f"{code_zh(s.measure)} {sid} 后 {th.inventory_hours} 小时内未"
                         f"{type_zh('PropertyInventorySigned')}",
              ahead=ahead, per=HOUR, case_id=c.case_id, unit_id=c.unit_id, officer_id=officer)
        # b) every item returned/disposed (or confiscation decided) within 7 working days;
        #    RF12.g: a registration preservation needs a handling decision in 7 working days
        preservation = s.measure == "registration_preservation"
        n = legal.preservation_decision_working_days if preservation \
            else th.property_decision_working_days
        due = days.add_working(days.day(start), n)
        if due is None:
            continue
        late_from = days.end(due)
        handled: list[tuple[int, frozenset[str], str]] = sorted(
            [(ts, items, eid) for ts, items, eid, _ in c.returned.get(sid, ())]
            + [(x[0], x[1], x[5]) for x in c.disposed.get(sid, ())])
        done = None
        covered: set[str] = set()
        for ts, items, eid in handled:
            covered |= items
            if s.items <= covered:
                done = (ts, eid)
                break
        alt = confiscations if not preservation else [x for x in decisions if x[0] >= s.ts]
        if alt:
            first = next((x for x in alt if x[0] >= s.ts), None)
            if first is not None and (done is None or first < done):
                done = first
        rule_id = "RF12.g" if preservation else "RF25.b"
        _emit(ctx, deadline(ctx, late_from, done), rule_id, sid, anchor=s.ts,
              late_from=late_from, event_ids=[s.eid],
              numbers={"seizure_id": sid, "measure": s.measure,
                       "seized_on": day_iso(days.day(start)), "due": day_iso(due),
                       "working_days": n, "items": len(s.items),
                       "items_handled": len(covered & s.items)},
              summary=f"{s.measure} {sid} of {day_iso(days.day(start))}: no handling "
                      f"decision by {day_iso(due)} ({n} working days)",
              summary_zh=f"{day_iso(days.day(start))} 的{code_zh(s.measure)} {sid}：至 {day_iso(due)}"
                         f" 未作出处理决定（{n} 个工作日）",
              ahead=ahead, case_id=c.case_id, unit_id=c.unit_id, officer_id=officer)


# --- RF23 -------------------------------------------------------------------------------------

def rf23_complaint(cp: Complaint, ctx: "Ctx") -> None:
    if cp.ts is None or cp.eid is None:
        return
    p = ctx.params(cp.ts)
    legal, th = p.legal, p.thresholds
    days = ctx.days
    common = {"case_id": cp.case_id, "unit_id": cp.unit_id,
              "officer_id": cp.accused[0] if cp.accused else None}
    if cp.category in th.complaint_categories:
        received, ahead = opened(ctx, cp.ts, cp.recorded_ahead(cp.eid), cp.eid)
        day = days.day(received)
        due = days.add_calendar(day, legal.complaint_ack_days)
        if due is not None:
            late_from = days.end(due)
            # XFGZ 第23条第2款: 书面告知 — a phone call acknowledges nothing in time
            oral = [[eid, method, day_iso(days.day(ts))] for ts, eid, method in sorted(cp.acks)
                    if method not in WRITTEN_ACKS]
            done = min(((ts, eid) for ts, eid, method in cp.acks if method in WRITTEN_ACKS),
                       default=None)
            _emit(ctx, deadline(ctx, late_from, done), "RF23.a",
                  cp.complaint_id, anchor=cp.ts, late_from=late_from, event_ids=[cp.eid],
                  numbers={"category": cp.category, "received_on": day_iso(day),
                           "due": day_iso(due), "days": legal.complaint_ack_days,
                           "not_in_writing": oral,
                           "why": f"{', '.join(sorted({o[1] for o in oral}))} is not written "
                                  "notice (XFGZ 第23条第2款: 书面告知)" if oral else None},
                  summary=f"{cp.category} complaint of {day_iso(day)} not acknowledged by "
                          f"{day_iso(due)}",
                  summary_zh=f"{day_iso(day)} 的“{complaint_category_zh(cp.category)}”投诉至 "
                             f"{day_iso(due)} 未书面{type_zh('ComplaintAcknowledged')}",
                  ahead=ahead, **common)
            _back_dated_acts(ctx, cp.records, [(ts, eid) for ts, eid, method in cp.acks
                                               if method in WRITTEN_ACKS], due, "书面告知期限",
                             of=cp.eid, case_id=cp.case_id, unit_id=cp.unit_id)
        # XFGZ 第34条: 60 days from acceptance (受理); until it is accepted, from receipt
        if cp.accepted:
            accepted, ahead = min((opened(ctx, ts, cp.recorded_ahead(eid), eid)
                                   for ts, eid in cp.accepted), key=lambda x: x[0])
            start = days.day(accepted)
        else:
            start = day
        first_due = days.add_calendar(start, legal.complaint_close_days)
        if first_due is not None:
            ext, extensions = 0, []
            # in world time: an extension extends the deadline in force when it is approved
            # (60 days plus those approved before it, as RF12.b), not past one already late
            for ts, n, approver, eid in sorted(cp.extensions):
                in_force = days.add_calendar(start, legal.complaint_close_days + ext)
                passed = (day_iso(in_force) if in_force is not None
                          and ts >= days.end(in_force) else None)
                if in_force is not None and passed is None:
                    rec = next(r for r in cp.records if r.eid == eid)
                    _back_dated(ctx, "RF08.g", rec, in_force,
                                {"days": n, "approved_by": approver},
                                what=(f"{n}-day complaint extension",
                                      f"“{type_zh(rec.type)}”（{n} 日）"),
                                deadline=("extends", "所延长的办理期限"),
                                event_ids=[eid, cp.eid], case_id=cp.case_id, unit_id=cp.unit_id)
                why = complaint_extension_refused(approver, ctx.fold.role_at(approver, ts),
                                                  cp.accused, passed, th.head_roles)
                counted = 0
                if why is None:
                    counted, why = complaint_extension_days(
                        n, ext, legal.complaint_extension_max_days)
                ext += counted
                extensions.append([eid, n, approver, counted > 0, why])
            due = days.add_calendar(start, legal.complaint_close_days + ext)
            if due is not None:
                late_from = days.end(due)
                # the earliest closing in world time: one recorded after a later one still
                # closed the complaint when it says
                done = min(((ts, eid) for ts, _, eid in cp.closings), default=None)
                _emit(ctx, deadline(ctx, late_from, done), "RF23.b", cp.complaint_id,
                      anchor=cp.ts, late_from=late_from,
                      event_ids=[cp.eid] + [e[3] for e in cp.extensions],
                      numbers={"category": cp.category, "received_on": day_iso(day),
                               "accepted_on": day_iso(start) if cp.accepted else None,
                               "due": day_iso(due), "days": legal.complaint_close_days,
                               "extension_days": ext, "extensions": extensions},
                      summary=f"{cp.category} complaint of {day_iso(day)} not closed by "
                              f"{day_iso(due)} ({legal.complaint_close_days} + {ext} days)",
                      summary_zh=f"{day_iso(day)} 的“{complaint_category_zh(cp.category)}”投诉至 "
                                 f"{day_iso(due)} 未办结（{legal.complaint_close_days} + {ext} 日）",
                      ahead=ahead, **common)
                _back_dated_acts(ctx, cp.records, [(ts, eid) for ts, _, eid in cp.closings],
                                 due, "办理期限", of=cp.eid, case_id=cp.case_id,
                                 unit_id=cp.unit_id)
    # every closing is judged: one re-closing the complaint is an answer too
    for ts, handler, eid in sorted(cp.closings):
        relation = None
        if handler in cp.accused:
            relation = "accused"
        else:
            case = ctx.fold.cases.get(cp.case_id) if cp.case_id else None
            if case is not None and handler in case.persons:
                relation = "co_officer_on_case"
            else:
                for oid in cp.accused:
                    o = ctx.fold.officers.get(oid)
                    post = o.post_at(cp.ts) if o is not None else None
                    if post is not None and post.superior == handler:
                        relation = "direct_superior_of_accused"
                        break
        if relation:
            ctx.flag("RF23.c", eid, anchor=ts, raised=ts, event_ids=[eid, cp.eid],
                     numbers={"handler": handler, "relation": relation,
                              "accused": list(cp.accused)},
                     summary=f"complaint closed by {handler} ({relation.replace('_', ' ')})",
                     summary_zh=f"投诉由 {handler}（{code_zh(relation)}）办结，应当回避",
                     **{**common, "officer_id": handler})


def _back_dated(ctx: "Ctx", rule_id: str, rec: Ev, due: int, said: dict, *,
                what: tuple[str, str], deadline: tuple[str, str], event_ids: list[str],
                tolerance_minutes: int | None = None, **subject: str | None) -> None:
    """RF08.g, RF08.h, RF08.i: flag ``rec`` when it claims a time before the deadline ``due``
    (a day) ran out but was recorded after it had, more than ``tolerance_minutes`` (by default
    ``backdate_tolerance_minutes``) after its claim. The ledger saw the period run out with no
    such record, so the claim is a back-dated record (RF08.b's test, the deadline in the
    decision's place): an extension moves the deadline (XFGZ 第34条, and the sectoral rule a
    case's 90 days follow, extend a running period); an acknowledgement, a closing, a
    supervision feedback or a cash deposit meets it. RF05, RF12, RF23 and RF27 still read each
    at its claim; the recording is judged here (docs/red-flags.md, RF08.g to RF08.i).
    ``said`` are the numbers naming the record beyond its type and times; ``what`` the record
    and ``deadline`` how it bears on the deadline, each (English, Chinese). A declared
    historical import was recorded at go-live, not back-dated (as RF08.a)."""
    ts = rec.ts
    p = ctx.params(ts)
    tol = tolerance_minutes or p.thresholds.backdate_tolerance_minutes
    if (rec.rts < ctx.days.end(due) or rec.rts - ts <= tol * MINUTE
            or (p.imports and p.imported(ts, rec.idx, rec.rts))):
        return
    claimed, recorded, until = ctx.time(ts), ctx.time(rec.rts), day_iso(due)
    ctx.flag(rule_id, rec.eid, anchor=ts, raised=rec.rts, event_ids=event_ids,
             numbers={"event_type": rec.type, **said, "claimed_at": claimed,
                      "recorded_at": recorded, "due": until, "tolerance_minutes": tol},
             summary=f"{what[0]} dated {claimed} was recorded at {recorded}, after the "
                     f"deadline {until} it {deadline[0]} had passed",
             summary_zh=f"{what[1]}所署时间为 {claimed}，却于{deadline[1]} {until} 届满后的 "
                        f"{recorded} 才记录", **subject)


def _back_dated_extension(c: Case, ctx: "Ctx", rec: Ev, n: int, approver: str, due: int
                          ) -> None:
    """RF08.h: the case's extension ``rec`` of ``n`` days back-dated into the decision period
    ``due`` (the day) it extends (:func:`_back_dated`), unless RF08.b names it — recorded
    after the decision, claiming a time at or before it: one back-dating flag per record."""
    first = c.decisions[0] if c.decisions else None
    if first is not None and rec.idx > first.idx and rec.ts <= first.ts:
        return
    _back_dated(ctx, "RF08.h", rec, due, {"days": n, "approved_by": approver},
                what=(f"{n}-day case extension", f"“{type_zh(rec.type)}”（{n} 日）"),
                deadline=("extends", "所延长的办案期限"), event_ids=[rec.eid],
                case_id=c.case_id, unit_id=c.unit_id)


def _back_dated_deposits(c: Case, ctx: "Ctx", deposits: list[tuple[int, int, str, int, int]],
                         target: int, due: int, met: int, judged: set[str]) -> None:
    """RF08.i: the deposits that met RF05.c's deadline ``due`` (the day) for the cumulative
    ``target`` at their claims (those claiming ``met``, the covering one's time, or earlier),
    each back-dated across it (:func:`_back_dated`), unless those on the ledger before it ran
    out met it — then the ledger saw no breach to hide. The finance office enters deposits in
    its own batches (RF08.a does not judge them), so the allowance is RF08.a's for any
    document, ``late_document_hours``, not RF08.b's hour: a deposit entered within it is that
    lag, one entered later contradicts a deadline the ledger saw pass (docs/red-flags.md,
    RF08.i). ``judged``: the deposits already judged (one may meet several remittances')."""
    end = ctx.days.end(due)
    seen = _first_cover([x for x in deposits if x[3] < end], target)
    if seen is not None and seen[0] < end:
        return
    for ts, amount, eid, rts, idx in sorted(deposits):
        if ts > met:
            break
        if eid in judged:
            continue
        judged.add(eid)
        hours = ctx.params(ts).thresholds.late_document_hours
        _back_dated(ctx, "RF08.i", Ev("AgencyDeposited", ts, rts, eid, idx), due,
                    {"amount_fen": amount},
                    what=(f"deposit of {cny(amount)}",
                          f"“{type_zh('AgencyDeposited')}”（{yuan(amount)}）"),
                    deadline=("meets", "缴付指定银行期限"), event_ids=[eid],
                    tolerance_minutes=hours * 60, case_id=c.case_id, unit_id=c.unit_id)


def _back_dated_acts(ctx: "Ctx", records: Iterable[Ev], acts: Iterable[tuple[int, str]],
                     due: int, deadline_zh: str, *, of: str, **subject: str | None) -> None:
    """RF08.g for the ``acts`` (time, event id) that meet deadline ``due`` (RF23.a's written
    acknowledgements, RF23.b's closings, RF27.a's feedback) among the ``records`` of the
    complaint or notice opened by event ``of``: each one back-dated across it
    (:func:`_back_dated`), unless one recorded before it ran out met it — then the ledger saw
    no breach to hide."""
    end = ctx.days.end(due)
    inside = [(ts, eid) for ts, eid in acts if ts < end]
    if not inside:
        return
    by_id = {r.eid: r for r in records}
    if any(by_id[eid].rts < end for _, eid in inside):
        return
    for _, eid in sorted(inside):
        rec = by_id[eid]
        _back_dated(ctx, "RF08.g", rec, due, {}, what=(rec.type, f"“{type_zh(rec.type)}”"),
                    deadline=("meets", deadline_zh), event_ids=[eid, of], **subject)


def rf23d_complaint_pattern(o: Officer, ctx: "Ctx") -> None:
    if len(o.complaints) < 2:
        return
    violent = sorted((cp.ts, cp.complaint_id, cp.eid)
                     for cp in (ctx.fold.complaints[c] for c in dict.fromkeys(o.complaints))
                     if cp.ts is not None and cp.category == "violent")
    if not violent:
        return
    i = 0
    while i < len(violent):
        th = ctx.params(violent[i][0]).thresholds      # in force when this run began
        window = th.complaint_pattern_days * DAY
        cluster = [v for v in violent[i:] if v[0] - violent[i][0] <= window]
        if len(cluster) >= th.complaint_pattern_min:
            ctx.flag("RF23.d", violent[i][1], anchor=violent[i][0], raised=cluster[
                th.complaint_pattern_min - 1][0], event_ids=[v[2] for v in cluster],
                numbers={"complaints": len(cluster), "window_days": th.complaint_pattern_days,
                         "complaint_ids": [v[1] for v in cluster]},
                summary=f"{len(cluster)} violent-enforcement complaints against "
                        f"{o.officer_id} within {th.complaint_pattern_days} days",
                summary_zh=f"{th.complaint_pattern_days} 日内 {o.officer_id} 被投诉"
                           f"“{complaint_category_zh('violent')}” {len(cluster)} 次",
                officer_id=o.officer_id, unit_id=o.unit_id)
            i += len(cluster)
        else:
            i += 1


# --- RF27 -------------------------------------------------------------------------------------

def rf27_supervision(sv: Supervision, ctx: "Ctx") -> None:
    """a) feedback by the notice's ``respond_by`` day; b) a send-back answered again within N
    working days; c) each feedback reviewed (accepted or sent back) within M working days."""
    if sv.ts is None or sv.eid is None or sv.respond_by is None:
        return
    days = ctx.days
    th = ctx.params(sv.ts).thresholds
    common = {"unit_id": sv.unit_id}
    feedback = sorted(sv.feedback)
    reviews = sorted(sv.reviews)
    late_from = days.end(sv.respond_by)
    done = feedback[0] if feedback else None
    _emit(ctx, deadline(ctx, late_from, done), "RF27.a", sv.notice_id, anchor=sv.ts,
          late_from=late_from, event_ids=[sv.eid],
          numbers={"notice_id": sv.notice_id, "issued_on": day_iso(days.day(sv.ts)),
                   "respond_by": day_iso(sv.respond_by)},
          summary=f"supervision notice {sv.notice_id} not answered by "
                  f"{day_iso(sv.respond_by)}",
          summary_zh=f"督办通知 {sv.notice_id} 至 {day_iso(sv.respond_by)} 未反馈", **common)
    _back_dated_acts(ctx, sv.records, feedback, sv.respond_by, "反馈期限", of=sv.eid, **common)
    n = th.supervision_resubmit_working_days
    for ts, result, eid in reviews:
        if result != "rejected_resubmit":
            continue
        start, ahead = opened(ctx, ts, sv.recorded_ahead(eid), eid)
        due = days.add_working(days.day(start), n)
        if due is None:
            continue
        again = min(((t, e) for t, e in feedback if t > ts), default=None)
        _emit(ctx, deadline(ctx, days.end(due), again), "RF27.b", eid, anchor=ts,
              late_from=days.end(due), event_ids=[sv.eid, eid],
              numbers={"notice_id": sv.notice_id, "sent_back_on": day_iso(days.day(start)),
                       "due": day_iso(due), "working_days": n},
              summary=f"feedback to {sv.notice_id} sent back on {day_iso(days.day(start))} "
                      f"and not resubmitted by {day_iso(due)}",
              summary_zh=f"对 {sv.notice_id} 的反馈于 {day_iso(days.day(start))} 被退回，至 "
                         f"{day_iso(due)} 未重新提交", ahead=ahead, **common)
    m = th.supervision_review_working_days
    for ts, eid in feedback:
        start, ahead = opened(ctx, ts, sv.recorded_ahead(eid), eid)
        due = days.add_working(days.day(start), m)
        if due is None:
            continue
        reviewed = min(((t, e) for t, _, e in reviews if t >= ts), default=None)
        _emit(ctx, deadline(ctx, days.end(due), reviewed), "RF27.c", eid, anchor=ts,
              late_from=days.end(due), event_ids=[sv.eid, eid],
              numbers={"notice_id": sv.notice_id, "submitted_on": day_iso(days.day(start)),
                       "due": day_iso(due), "working_days": m},
              summary=f"feedback to {sv.notice_id} of {day_iso(days.day(start))} not "
                      f"reviewed by {day_iso(due)}",
              summary_zh=f"{day_iso(days.day(start))} 对 {sv.notice_id} 的反馈至 {day_iso(due)} "
                         "未审核", ahead=ahead, **common)


def _extension_why_zh(days: int, form: str, approver: str, investigators: Collection[str],
                      passed: str | None, *, forms: Collection[str], head_max: int,
                      head_used: int, role: str, head_roles: Collection[str]) -> str:
    """In Chinese, why not all of an extension's days count: the reason
    :func:`~.facts.decision_extension_judged` gives (called only when it gave one)."""
    counted, reason = decision_extension_judged(days, form, approver, investigators, passed,
                                                forms=forms, head_max=head_max,
                                                head_used=head_used, role=role,
                                                head_roles=head_roles)
    assert reason is not None
    return {
        "form": f"批准形式“{code_zh(form)}”不在允许的形式（{codes_zh(forms)}）之内",
        "investigator": f"批准人 {approver} 为本案调查人员",
        "not_head": f"批准人 {approver} 非行政机关负责人",
        "late": f"在期限 {passed} 届满后才批准",
        "head_max": f"{days} 日中有 {days - counted} 日超过负责人可批准的 {head_max} 日；"
                    "超出部分应当经集体讨论决定",
    }[reason]


CASE_RULES = (rf05_cash_handling, rf06_payment, rf06f_payment_reused, rf12_deadlines)
COMPLAINT_RULES = (rf23_complaint,)
OFFICER_RULES = (rf23d_complaint_pattern,)
SUPERVISION_RULES = (rf27_supervision,)


# --- RF29 -------------------------------------------------------------------------------------

def rf29a_left_unresolved(f: Flag, events: list[Disposition], ctx: "Ctx") -> None:
    """RF29.a: an acknowledgement takes a flag out of the open queue; a dismissal, confirmation
    or referral must follow within ``flag_resolve_days`` calendar days of the first
    acknowledgement since the last of them (acknowledging again does not restart the clock).
    The clock starts at the earlier of the acknowledgement's claimed and recorded times, and a
    resolution counts at the later of its own, so back-dating helps neither way. ``events``
    are the dispositions applied (one not applied is RF28's and starts or stops nothing)."""
    days = ctx.days
    runs: list[tuple[Disposition, Disposition | None]] = []
    first_ack: Disposition | None = None
    for d in events:
        if d.type == "FlagAcknowledged":
            first_ack = first_ack or d
        elif first_ack is not None:
            runs.append((first_ack, d))
            first_ack = None
    if first_ack is not None:
        runs.append((first_ack, None))
    for ack, done in runs:
        start = min(ack.ts, ack.recorded)
        n = ctx.params(start).thresholds.flag_resolve_days
        due = days.add_calendar(days.day(start), n)
        if due is None:
            continue
        late_from = days.end(due)
        resolved = None if done is None else (max(done.ts, done.recorded), done.eid)
        on, until = day_iso(days.day(start)), day_iso(due)
        _emit(ctx, deadline(ctx, late_from, resolved), "RF29.a", f"{f.flag_id}|{ack.eid}",
              anchor=start, late_from=late_from, event_ids=[ack.eid, *f.event_ids[:3]],
              numbers={"disposed_flag_id": f.flag_id, "disposed_rule_id": f.rule_id,
                       "inspector_id": ack.inspector, "acknowledged_on": on, "due": until,
                       "days": n},
              summary=f"{ack.inspector} acknowledged flag {f.flag_id} ({f.rule_id}) on {on} "
                      f"and had not dismissed, confirmed or referred it by {until} ({n} days)",
              summary_zh=f"{ack.inspector} 于 {on} 受理红旗 "
                         f"{f.flag_id}（{f.rule_id}），至 {until} 未驳回、确认或移送（{n} 日）",
              case_id=f.case_id, officer_id=ack.inspector, unit_id=f.unit_id,
              party_ref=f.party_ref)


def rf29b_back_dated(f: Flag, events: list[Disposition], ctx: "Ctx") -> None:
    """RF29.b: a disposition (applied or not) recorded more than ``late_document_hours`` after
    the ``occurred_at`` its signer wrote — the time the flag's history, RF26 and the warning
    levels show it made at. One future-dated is not judged: it only delays its own effect; one
    of a declared historical import was recorded at go-live, not late (as RF08.a)."""
    for d in events:
        p = ctx.params(d.recorded)
        limit = p.thresholds.late_document_hours
        if d.recorded - d.ts <= limit * HOUR or p.imported(d.ts, d.idx, d.recorded):
            continue
        hours, what = (d.recorded - d.ts) // HOUR, DISPOSED[d.type]
        claimed, recorded = ctx.time(d.ts), ctx.time(d.recorded)
        ctx.flag("RF29.b", f"{f.flag_id}|{d.eid}", anchor=d.recorded, raised=d.recorded,
                 event_ids=[d.eid, *f.event_ids[:3]],
                 numbers={"disposed_flag_id": f.flag_id, "disposed_rule_id": f.rule_id,
                          "inspector_id": d.inspector, "disposition": what,
                          "occurred_at": claimed, "recorded_at": recorded,
                          "hours_late": hours, "max_hours": limit},
                 summary=f"{d.inspector} {what} flag {f.flag_id} ({f.rule_id}) dated {claimed} "
                         f"but recorded {recorded}, {hours} hours later (more than {limit})",
                 summary_zh=f"{d.inspector} {code_zh(what)}红旗 {f.flag_id}（{f.rule_id}）"
                            f"的时间记为 {claimed}，而记录于 {recorded}，晚 {hours} 小时（超过 {limit} 小时），"
                            "属补录倒签",
                 case_id=f.case_id, officer_id=d.inspector, unit_id=f.unit_id,
                 party_ref=f.party_ref)


__all__ = ["CASE_RULES", "COMPLAINT_RULES", "MANDATORY_WAIVERS", "OFFICER_RULES",
           "SUPERVISION_RULES", "deadline", "rf29a_left_unresolved", "rf29b_back_dated"]
