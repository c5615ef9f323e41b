"""The inspectors' dashboard: a static single-page app at ``/ui/`` and the JSON it reads.

The page holds a bearer token and calls the API with it, so what an inspector sees follows the
API's access rules exactly (unit scoping included). Every route here requires the inspector or
auditor role; recording a disposition requires inspector (auditors are read-only) and is signed
with the service's dashboard key on the inspector's behalf, the principal named in the body.
``install(app, ...)`` wires it once from ``create_app``; see docs/dashboard.md.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.responses import RedirectResponse, Response

from ledger.canonical import canonical
from ledger.client import sign_envelope
from ledger.crypto import SigningKey, b64url_decode, verify
from ledger.domain import vocabulary
from ledger.domain.calendar import CST, legal_date
from ledger.domain.fields import ID
from ledger.domain.statutes import STATUTES
from ledger.envelope import signing_bytes
from ledger.errors import Forbidden, LedgerError, MalformedEvent, NotFound, Unavailable
from ledger.logentry import chain_genesis, chain_next, entry_bytes, leaf_hash_of_entry
from ledger.logview import LogView
from ledger.merkle import verify_inclusion
from ledger.service import Ledger
from ledger.store import LedgerStore, StoredRow
from ledger.tokens import Principal
from projections.flagsview import FlagsView
from projections.jsontext import json_bytes, state_of
from projections.oversight.assessment import Period
from projections.oversight.queries import unit_known
from projections.readmodels import ReadModels, configuration_upto, log_head
from projections.redflags._stats import median
from projections.redflags.catalogue import RULES
from projections.redflags.days import quarter_of
from projections.redflags.facts import MAX_WINDOW_QUARTERS, quarter_shift
from projections.redflags.number_names import number_labels
from projections.redflags.params import FlagParams, ParamsTimeline
from projections.redflags.statistics import fine_range, lead, position_bp, window_quarters

from .auth import require
from .pages import StaticPages
from .problems import query_day
from .scoping import scoped_flags, visible_state

JSON = "application/json"
STATIC = Path(__file__).parent / "static" / "dashboard"
MAX_TRAIL = 2000          # events on one case page (a case has tens)
MAX_OWN_CASES = 1000      # an officer's cases read for the positions chart
MAX_PEER_CASES = 6000     # other officers' decisions read per officer page (every unit)
MAX_WINDOWS = 4           # most recent RF17 windows shown
MAX_PEER_POINTS = 40      # peer positions drawn per row: an even sample of the sorted positions
ACTIONS = {"acknowledge": "FlagAcknowledged", "dismiss": "FlagDismissed",
           "confirm": "FlagConfirmed", "refer": "FlagReferred"}
FIELDS = {"acknowledge": ("note",), "dismiss": ("reason_code", "reason"),
          "confirm": ("finding", "severity"), "refer": ("referred_to", "referral_no")}

Viewer = Annotated[Principal, Depends(require("inspector", "auditor"))]
Disposer = Annotated[Principal, Depends(require("inspector"))]


def _json(value: Any, status: int = 200) -> Response:
    return Response(json_bytes(value), status_code=status, media_type=JSON)


class Dashboard:
    """The queries behind the dashboard's pages (read models, flags, log) and the disposition
    command. Each public method checks unit visibility and raises NotFound like the API."""

    def __init__(self, *, ledger: Ledger, log: LogView, views: ReadModels, flags: FlagsView,
                 signing_key: SigningKey | None) -> None:
        self.ledger = ledger
        self.log = log
        self.views = views
        self.flags = flags
        self.signing_key = signing_key

    # -- helpers -----------------------------------------------------------------------------
    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self.ledger.store.cursor() as curs:
            curs.execute(sql, list(params))
            return curs.fetchall()

    def _stream(self, stream: str, cap: int) -> list[StoredRow]:
        rows: list[StoredRow] = []
        while len(rows) < cap:
            page = self.ledger.store.stream_events(
                stream, after_version=rows[-1].receipt.stream_version if rows else 0,
                limit=min(1000, cap - len(rows)))
            rows += page
            if len(page) < 1000:
                break
        return rows

    def flag(self, flag_id: str, principal: Principal) -> dict[str, Any]:
        rows = self._rows("SELECT flag::text AS flag FROM view_flags WHERE flag_id = %s",
                          (flag_id,))
        if not rows:
            raise NotFound(f"no flag {flag_id}", field="flag_id")
        value = orjson.loads(rows[0]["flag"])
        if not principal.may_see_unit(value["subject"]["unit_id"]):
            raise NotFound(f"no flag {flag_id}", field="flag_id")
        return value

    # -- session -----------------------------------------------------------------------------
    def session(self, principal: Principal) -> dict[str, Any]:
        return {"principal": principal.name, "roles": sorted(principal.roles),
                "units": sorted(principal.units), "may_dispose": _may_dispose(principal),
                "dashboard_key": self.signing_key is not None}

    # -- case trail --------------------------------------------------------------------------
    def trail(self, case_id: str, principal: Principal) -> dict[str, Any]:
        """Every event of ``case:<id>`` and the disposition events of the case's flags, in log
        order, each with the server's verification of its signature (against the registry),
        chain link and inclusion in the latest checkpoint."""
        state = visible_state(self.views, "cases", "case", case_id, principal)
        rows = self._stream(f"case:{case_id}", MAX_TRAIL)
        case_flags = self.flags.query(limit=500, case_id=case_id,
                                      units=sorted(principal.units))["flags"]
        flag_of: dict[str, str] = {}
        for f in case_flags:
            if len(rows) >= MAX_TRAIL:
                break
            stream = f"flag:{f['flag_id']}"
            for row in self._stream(stream, MAX_TRAIL - len(rows)):
                rows.append(row)
                flag_of[row.receipt.event_id] = f["flag_id"]
        registry = self.ledger.refresh_registry()
        checkpoint = self.log.latest_checkpoint()
        links = _chain_links(rows)
        events = []
        for row in sorted(rows, key=lambda r: r.receipt.index):
            r = row.receipt
            try:
                env = orjson.loads(row.raw)
            except orjson.JSONDecodeError:
                env = {}
            key_id = str(env.get("signer", "")).removeprefix("key:")
            record = registry.keys.get(key_id)
            events.append({
                "event_id": r.event_id, "type": row.event_type, "stream": r.stream,
                "stream_version": r.stream_version, "index": r.index,
                "signer": key_id, "signer_principal": record.principal if record else None,
                "occurred_at": env.get("occurred_at"), "recorded_at": r.recorded_at,
                "body": env.get("body"), "leaf_hash": r.leaf_hash.hex(),
                "chain_hash": r.chain_hash.hex(), "flag_id": flag_of.get(r.event_id),
                "verification": {
                    "signature": _signature_status(env, record.public_key if record else None),
                    "chain": links[r.event_id],
                    "inclusion": self._inclusion_status(row, checkpoint)}})
        return {"case_id": case_id, "unit_id": state.get("unit_id"),
                "checkpoint": None if checkpoint is None else
                {"tree_size": checkpoint.size, "root_hash": checkpoint.root.hex()},
                "events": events, "truncated": len(rows) >= MAX_TRAIL}

    def _inclusion_status(self, row: StoredRow, checkpoint: Any) -> dict[str, Any]:
        r = row.receipt
        if checkpoint is None or r.index >= checkpoint.size:
            return {"ok": None, "status": "pending",
                    "detail": "not yet covered by a signed checkpoint"}
        leaf = leaf_hash_of_entry(entry_bytes(row.raw, index=r.index,
                                              stream_version=r.stream_version,
                                              recorded_at=r.recorded_at, chain_hash=r.chain_hash))
        proof = self.log.inclusion(r.index, checkpoint.size)
        try:
            verify_inclusion(leaf, r.index, checkpoint.size,
                             [bytes.fromhex(h) for h in proof["proof"]], checkpoint.root)
        except LedgerError as e:
            return {"ok": False, "status": "failed", "tree_size": checkpoint.size,
                    "detail": e.message}
        return {"ok": True, "status": "included", "tree_size": checkpoint.size,
                "detail": f"inclusion proof checks against checkpoint {checkpoint.size}"}

    # -- officer positions -------------------------------------------------------------------
    def positions(self, officer_id: str, principal: Principal) -> dict[str, Any]:
        """The officer's fines as positions in the statutory range, per RF17 window: the quarter
        Q plus the ``stats_window_quarters`` − 1 before it (the parameters in force at the end
        of Q), every unit of the ledger. Per violation code × party type the officer decided in
        the window: the officer's positions, the other officers' (anonymous: a sample of
        positions, their counts and median) and whether the row is compared (≥
        ``stats_min_peers`` other officers); per window the officer's mean residual over the
        compared cases and the officer's RF17 flags of that cohort the principal may see.
        Requires an officer the principal may see (else NotFound). Capped; ``truncated`` says
        when a cap was hit."""
        state = visible_state(self.views, "officers", "officer", officer_id, principal)
        own_ids = sorted(state.get("case_acts", {}))[-MAX_OWN_CASES:]
        timeline = self._timeline()
        today = _today(self.ledger.store)
        now = quarter_of(today.toordinal())
        own_all = self._decisions("case_id = ANY(%s)", [own_ids], MAX_OWN_CASES)
        mine = [d for d in own_all if d["lead"] == officer_id]
        quarters = sorted({d["quarter"] for d in mine})[-MAX_WINDOWS:]
        # a quarter's cases count in the windows of the quarters after it, too
        candidates = sorted({quarter_shift(q, k) for q in quarters
                             for k in range(MAX_WINDOW_QUARTERS)})
        candidates = [q for q in candidates if _quarter_number(q) <= _quarter_number(now)]
        spans = {q: window_quarters(q, _params_in(timeline, q, today)) for q in candidates}
        spans = {q: w for q, w in spans.items() if any(d["quarter"] in w for d in mine)}
        codes = sorted({d["code"] for d in mine})
        peers: list[dict[str, Any]] = []
        if spans:
            first = min((w[0] for w in spans.values()), key=_quarter_number)
            lo, hi = _first_day(first), Period.parse(max(spans)).end.isoformat()
            peers = self._decisions(
                "violation_code = ANY(%s) AND last_decided_on >= %s "
                "AND first_decided_on <= %s AND d.day BETWEEN %s AND %s",
                [codes, lo, hi, lo, hi], MAX_PEER_CASES)
        others = [d for d in peers if d["lead"] != officer_id]
        present = {d["quarter"] for d in peers} | {d["quarter"] for d in mine}
        shown = [q for q in sorted(spans) if q in present][-MAX_WINDOWS:]
        flags = scoped_flags(self.views, self.flags, principal, self.flags.query(
            limit=500, rule="RF17", officer_id=officer_id, units=sorted(principal.units))["flags"])
        windows = [self._window(q, spans[q], _params_in(timeline, q, today), mine, others, flags,
                                principal) for q in reversed(shown)]
        return {"officer_id": officer_id, "windows": windows,
                "truncated": len(own_ids) >= MAX_OWN_CASES or len(peers) >= MAX_PEER_CASES,
                "definition": "RF17: the whole ledger per window of calendar quarters; each "
                              "case against the median position of the other officers' cases "
                              "of the same violation code × party type; position = "
                              "(amount − min) / (max − min) of the statutory range"}

    def _window(self, quarter: str, span: list[str], params: FlagParams,
                mine: list[dict[str, Any]], others: list[dict[str, Any]],
                flags: list[dict[str, Any]], principal: Principal) -> dict[str, Any]:
        th = params.thresholds
        inside = set(span)
        own_rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for d in mine:
            if d["quarter"] in inside and fine_range(params, d["code"],
                                                     d["party_type"]) is not None:
                own_rows.setdefault((d["code"], d["party_type"]), []).append(d)
        peer_rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for d in others:
            group = (d["code"], d["party_type"])
            if d["quarter"] in inside and group in own_rows:
                peer_rows.setdefault(group, []).append(d)
        rows, residuals = [], []
        for (code, ptype), own in sorted(own_rows.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lo, hi = fine_range(params, code, ptype) or (0, 1)
            group = peer_rows.get((code, ptype), [])
            peer_pos = sorted(position_bp(d["amount_fen"], lo, hi) for d in group)
            peer_officers = len({d["lead"] for d in group})
            # RF17's reference: the median position (bp, floored) of the other officers' cases
            ref = int(median(peer_pos)) if peer_pos else None
            compared = ref is not None and peer_officers >= th.stats_min_peers
            points = []
            for d in sorted(own, key=lambda x: (x["decided_on"], x["case_id"])):
                pos = position_bp(d["amount_fen"], lo, hi)
                residual = pos - ref if compared and ref is not None else None
                if residual is not None:
                    residuals.append(residual)
                # the officer's case in a unit the principal may not see stays anonymous
                points.append({"case_id": d["case_id"] if principal.may_see_unit(d["unit"])
                               else None, "amount_fen": d["amount_fen"], "position_bp": pos,
                               "decided_on": d["decided_on"], "residual_bp": residual})
            rows.append({"violation_code": code, "party_type": ptype, "range_fen": [lo, hi],
                         "compared": compared, "own": points, "peer_officers": peer_officers,
                         "peer_cases": len(peer_pos), "peer_median_bp": ref,
                         "peer_positions_bp": _sample(peer_pos, MAX_PEER_POINTS)})
        cohort = f"discretion|{quarter}"
        mean = sum(residuals) / len(residuals) / 10_000 if residuals else None
        return {"quarter": quarter, "window": [span[0], span[-1]], "cohort": cohort,
                "rows": rows, "n_compared": len(residuals),
                "mean_residual": None if mean is None else round(mean, 4),
                "min_n": th.stats_min_n, "min_peers": th.stats_min_peers,
                "flags": [{k: fl[k] for k in ("flag_id", "rule_id", "status", "disposition",
                                              "summary", "summary_zh") if k in fl}
                          | {"case_id": fl["subject"]["case_id"]}
                          for fl in flags if fl["numbers"].get("cohort") == cohort]}

    def _timeline(self) -> ParamsTimeline:
        """The parameters timeline as the red-flag engine folds it: the service's base
        parameters plus every published configuration event (``config:*``, rare)."""
        with self.ledger.store.cursor() as curs:
            return configuration_upto(curs, log_head(curs), self.flags.params)

    def _decisions(self, where: str, params: list[Any], cap: int) -> list[dict[str, Any]]:
        """Fine decisions in force of the cases matching ``where`` (each party's: ``d`` is the
        decision), newest first (withdrawn ones, those whose form was voided before service
        and approved deviations left out, as RF17 does), read from the decision events: case
        id, unit, lead officer (``statistics.lead``), code, party type, amount, day and
        quarter."""
        rows = self._rows(
            # each party's decision in force (projections/schema.sql, view_case_decisions);
            # the filter's columns are indexed: a state is read only for the cases it finds
            "SELECT case_id, view_cases.unit_id AS unit, d.eid, d.day AS decided_on "
            "FROM view_cases, view_case_decisions(state) AS d(eid, unit, day, status, fine, "
            f"fen, withdrawn) WHERE {where} AND d.eid IS NOT NULL AND NOT d.withdrawn "
            "AND d.status IS DISTINCT FROM 'voided' "
            "AND coalesce(state->>'deviation_approved', 'false') = 'false' "
            "ORDER BY d.day DESC, case_id LIMIT %s", [*params, cap])
        with self.ledger.store.cursor() as curs:
            events = self.ledger.store.rows_by_id(curs, [r["eid"] for r in rows])
        out = []
        for r in rows:
            row = events.get(r["eid"])
            if row is None or not r["decided_on"]:
                continue
            body = orjson.loads(row.raw)["body"]
            if "fine" not in body.get("penalty_types", ()):
                continue
            officers = tuple(dict.fromkeys(o["officer_id"] for o in body.get("officers", [])))
            decision = _Decision(officers, tuple(body.get("decided_by", ())))
            oid = lead(decision)     # type: ignore[arg-type]
            if oid is None:
                continue
            out.append({"case_id": r["case_id"], "unit": r["unit"], "lead": oid,
                        "code": body["violation_code"],
                        "party_type": body["party"]["party_type"],
                        "amount_fen": body["amount_fen"], "decided_on": r["decided_on"],
                        "quarter": quarter_of(date.fromisoformat(r["decided_on"]).toordinal())})
        return out

    # -- units -------------------------------------------------------------------------------
    def units(self, principal: Principal) -> dict[str, Any]:
        counts: dict[str, dict[str, int]] = {}
        for table, noun in (("view_cases", "cases"), ("view_officers", "officers")):
            for r in self._rows(f"SELECT unit_id AS unit, count(*) AS n FROM {table} "
                                "WHERE unit_id IS NOT NULL GROUP BY 1"):
                counts.setdefault(r["unit"], {"cases": 0, "officers": 0})[noun] = r["n"]
        return {"units": [{"unit_id": u, **c} for u, c in sorted(counts.items())
                          if principal.may_see_unit(u)]}

    def overview(self, unit_id: str, principal: Principal, on: date) -> dict[str, Any]:
        """Fines per decision day (period ends marked), flags by rule, pledge coverage."""
        if not principal.may_see_unit(unit_id):
            raise NotFound(f"no unit {unit_id}", field="unit_id")
        days = self._rows(
            # each party's decision in force (projections/schema.sql, view_case_decisions)
            "SELECT d.day, count(*) AS n, sum(d.fen) AS fen FROM view_cases, "
            "view_case_decisions(state) AS d(eid, unit, day, status, fine, fen, withdrawn) "
            # the unit that held the case when it was decided, as RF24 counts the fine
            "WHERE decided_unit_ids @> ARRAY[%s]::text[] AND d.unit = %s AND d.fine "
            "AND NOT d.withdrawn "                                               # as RF24 does
            # its form voided before it was served: no fine (facts.Case.void_of, as RF24)
            "AND d.status IS DISTINCT FROM 'voided' "
            "GROUP BY 1 ORDER BY 1", (unit_id, unit_id))
        officers = self._rows("SELECT officer_id, state::text AS state FROM view_officers "
                              "WHERE unit_id = %s ORDER BY officer_id", (unit_id,))
        if not days and not officers and not unit_known(self.ledger.store, unit_id):
            raise NotFound(f"no unit {unit_id}", field="unit_id")  # as /v1/units lists it
        by_rule: dict[str, dict[str, Any]] = {}
        for r in self._rows("SELECT rule_id, status, disposition, count(*) AS n FROM view_flags "
                            "WHERE unit_id = %s GROUP BY 1, 2, 3", (unit_id,)):
            rule = RULES.get(r["rule_id"])
            entry = by_rule.setdefault(r["rule_id"], {
                "rule_id": r["rule_id"], "name": {"en": rule.name_en if rule else r["rule_id"],
                                                  "zh": rule.name_zh if rule else r["rule_id"]},
                "raised": 0, "cleared": 0, "open": 0})
            entry[r["status"]] = entry.get(r["status"], 0) + r["n"]
            if r["disposition"] == "open" and r["status"] == "raised":
                entry["open"] += r["n"]
        timeline = self._timeline()
        # as RF24 does, a month is judged under the parameters in force on its latest fine
        month_last = {r["day"][:7]: date.fromisoformat(r["day"]).toordinal() for r in days}
        states = {r["officer_id"]: state_of(r["state"]) for r in officers}
        load = _officer_loader(self.views, states)
        coverage = []
        for oid, st in states.items():
            if st.get("kind") != "officer":
                continue
            status, links = pledge_chain(oid, on.isoformat(), load)
            coverage.append({"officer_id": oid, "status": status, "links": len(links)})
        covered = sum(c["status"] == "complete" for c in coverage)
        return {
            "unit_id": unit_id,
            "fines_per_day": [{"day": r["day"], "count": r["n"], "amount_fen": int(r["fen"] or 0),
                               "period_end": _period_end(r["day"], timeline.at_day(
                                   month_last[r["day"][:7]]))} for r in days],
            "flags_by_rule": sorted(by_rule.values(), key=lambda e: e["rule_id"]),
            "pledge_coverage": {"on": on.isoformat(), "covered": covered,
                                "total": len(coverage), "officers": coverage[:500]},
        }

    def pledge_chain_of(self, officer_id: str, principal: Principal, on: date
                        ) -> dict[str, Any]:
        state = visible_state(self.views, "officers", "officer", officer_id, principal)
        load = _officer_loader(self.views, {officer_id: state})
        status, links = pledge_chain(officer_id, on.isoformat(), load)
        # a link of an officer outside the principal's units keeps its place and layer only
        links = [link if principal.may_see_unit((load(link["officer_id"]) or {}).get("unit_id"))
                 else dict.fromkeys(link) | {k: link[k] for k in ("level", "top_of_chain")}
                 for link in links]
        return {"officer_id": officer_id, "on": on.isoformat(), "status": status,
                "links": links}

    # -- dispositions ------------------------------------------------------------------------
    def dispose(self, flag_id: str, principal: Principal, body: Any) -> dict[str, Any]:
        """Sign a FlagAcknowledged/Dismissed/Confirmed/Referred on ``flag:<id>`` with the
        dashboard key, naming the principal, and append it through the normal path.
        Raises NotFound (unknown or invisible flag), MalformedEvent (bad body, naming the
        field) or Unavailable (no dashboard key configured or registered); writes nothing then.
        """
        flag = self.flag(flag_id, principal)
        if not _may_dispose(principal):
            raise Forbidden(f"the token's principal {principal.name!r} cannot be named as the "
                            "inspector_id of a disposition (an identifier: letters, digits and "
                            ". _ : / -): create the inspector's token with such a --principal",
                            rule="inspector-id")
        if not isinstance(body, dict):
            raise MalformedEvent("the body must be a JSON object", field="body")
        action = body.get("action")
        if not isinstance(action, str) or action not in ACTIONS:   # a list is unhashable
            raise MalformedEvent(f"action must be one of {', '.join(ACTIONS)}", field="action")
        extra = sorted(set(body) - {"action", *FIELDS[action]})
        if extra:
            raise MalformedEvent(f"{extra[0]} is not a field of {action}", field=extra[0])
        type_ = ACTIONS[action]
        event_body = {"rule_id": flag["rule_id"], "inspector_id": principal.name,
                      **{k: v for k, v in body.items() if k != "action" and v is not None}}
        stream = f"flag:{flag_id}"
        errors = self.ledger.types.validate_event(type_, stream, event_body)
        if errors:
            field = errors[0].path.removeprefix("body.").removeprefix("$.")
            raise MalformedEvent("; ".join(f"{e.path}: {e.message}" for e in errors),
                                 field=field)
        key, key_id = self._signer()
        # the ledger's clock, not this process's: a host hours ahead dated each disposition
        # after its recorded_at, an act dated after its recording (RF08.e)
        occurred = self.ledger.store.ledger_clock().astimezone(CST)
        envelope = sign_envelope(key, key_id, stream=stream, type=type_, body=event_body,
                                 occurred_at=occurred.isoformat(timespec="seconds"))
        result = self.ledger.append(canonical(envelope))
        return {"receipt": result.receipts[0].to_value(), "event_id": envelope["event_id"],
                "type": type_, "stream": stream, "signer": key_id,
                "inspector_id": principal.name}

    def _signer(self) -> tuple[SigningKey, str]:
        how = ("copy secrets/dashboard.key from the home `ledger init` made (init registers "
               "it, key id dashboard; README, Production), or set LEDGER_DASHBOARD_KEY to a key "
               "file and register its public key under another key id with `ledger keys "
               "register --key-id dashboard-2 --principal dashboard --role inspector "
               "--public-key <base64url>`; see docs/dashboard.md")
        if self.signing_key is None:
            raise Unavailable(f"no dashboard signing key is configured: {how}",
                              rule="dashboard-key")
        registry = self.ledger.refresh_registry()
        for record in registry.keys.values():
            if (record.public_key == self.signing_key.public_key and record.revoked_at is None
                    and "inspector" in record.roles):
                return self.signing_key, record.key_id
        raise Unavailable(f"the dashboard signing key is not registered (or revoked): {how}",
                          rule="dashboard-key-registered")


class _Decision:
    """The two fields of a decision that ``statistics.lead`` reads."""

    __slots__ = ("officers", "decided_by")

    def __init__(self, officers: tuple[str, ...], decided_by: tuple[str, ...]) -> None:
        self.officers = officers
        self.decided_by = decided_by


def _may_dispose(principal: Principal) -> bool:
    """An inspector whose name can be the disposition's ``inspector_id`` (an identifier)."""
    return principal.has("inspector") and ID.ok(principal.name)


def _signature_status(env: dict[str, Any], public_key: bytes | None) -> dict[str, Any]:
    if public_key is None:
        return {"ok": False, "detail": f"signer {env.get('signer')!r} is not in the registry"}
    try:
        unsigned = {k: v for k, v in env.items() if k != "sig"}
        verify(public_key, signing_bytes(unsigned), b64url_decode(str(env.get("sig", "")),
                                                                  what="sig"))
    except (LedgerError, ValueError, TypeError) as e:
        return {"ok": False, "detail": getattr(e, "message", str(e))}
    return {"ok": True, "detail": "Ed25519 signature verifies against the registered key"}


def _chain_links(rows: list[StoredRow]) -> dict[str, dict[str, Any]]:
    """Per event: does SHA-256(prev chain ‖ SHA-256(envelope)) give its stored chain hash,
    prev being the stored chain hash of the previous version of its stream (or the genesis)?"""
    out: dict[str, dict[str, Any]] = {}
    streams: dict[str, list[StoredRow]] = {}
    for row in rows:
        streams.setdefault(row.receipt.stream, []).append(row)
    for stream, items in streams.items():
        prev, version = chain_genesis(stream), 0
        for row in sorted(items, key=lambda x: x.receipt.stream_version):
            r = row.receipt
            if r.stream_version != version + 1:
                out[r.event_id] = {"ok": False, "detail": f"stream version {r.stream_version} "
                                   f"follows {version}: a version is missing"}
            elif chain_next(prev, row.raw) != r.chain_hash:
                out[r.event_id] = {"ok": False, "detail": "chain hash does not follow from the "
                                   "previous entry and this envelope"}
            else:
                out[r.event_id] = {"ok": True, "detail": "links to the previous entry"}
            prev, version = r.chain_hash, r.stream_version
    return out


def _quarter_number(quarter: str) -> int:
    """Quarters counted from 0000-Q1, to compare ``quarter_of``'s text for any year: by text a
    signed expanded year (+10000-Q1, after a fine decided late in 9999) sorts before 2026-Q4,
    and such a quarter, taken for a past one, answered 500 (no calendar has it)."""
    year, _, q = quarter.rpartition("-Q")
    return int(year) * 4 + int(q) - 1


def _first_day(quarter: str) -> str:
    """The first day of ``quarter``, or 0001-01-01 for a quarter before year 1 (a window
    reaching back from a fine decided in year 1)."""
    return date.min.isoformat() if _quarter_number(quarter) < 4 else \
        Period.parse(quarter).start.isoformat()


def _params_in(timeline: ParamsTimeline, quarter: str, today: date) -> FlagParams:
    """The parameters in force at the end of ``quarter`` (or ``today``, if it has not ended)."""
    last = min(Period.parse(quarter).end, today)
    return timeline.at_day(last.toordinal())


def _sample(values: list[int], k: int) -> list[int]:
    """At most ``k`` of the sorted ``values``, evenly spaced (both ends kept)."""
    if len(values) <= k:
        return values
    return [values[i * (len(values) - 1) // (k - 1)] for i in range(k)]


def _period_end(day: str, params: FlagParams) -> str | None:
    """'quarter' or 'month' for the last ``period_end_days`` days of a quarter or month under
    ``params`` (the end window RF24 compares)."""
    d = date.fromisoformat(day)
    # the month's own length: the day before the next month's first is no date in 9999-12
    last = d.replace(day=monthrange(d.year, d.month)[1])
    if (last - d).days >= params.thresholds.period_end_days:
        return None
    return "quarter" if d.month % 3 == 0 else "month"


def _officer_loader(views: ReadModels, known: dict[str, dict[str, Any]]
                    ) -> Callable[[str], dict[str, Any] | None]:
    cache: dict[str, dict[str, Any] | None] = dict(known)

    def load(officer_id: str) -> dict[str, Any] | None:
        if officer_id not in cache:
            cache[officer_id] = views.get("officers", officer_id)
        return cache[officer_id]

    return load


def pledge_chain(officer_id: str, day: str, load: Callable[[str], dict[str, Any] | None]
                 ) -> tuple[str, list[dict[str, Any]]]:
    """Walk the integrity-pledge chain (层层签订) on ``day`` as RF22 does: each link a pledge
    covering the day and countersigned, the countersigner's own pledge the next link, until one
    marked top of chain (a pledge not yet countersigned ends it). Returns (complete | none |
    uncountersigned | broken | superior_uncountersigned | wrong_countersigner | cycle, links).
    """
    links: list[dict[str, Any]] = []
    current, seen = officer_id, set()
    while True:
        if current in seen:
            return "cycle", links
        seen.add(current)
        state = load(current)
        best = None
        for p in (state or {}).get("pledges", {}).values():
            # the latest countersigned pledge covering the day, else the latest signed one
            if (p.get("period_from") and p.get("period_until")
                    and p["period_from"] <= day <= p["period_until"]
                    and (best is None or (bool(p.get("countersigned_by")), p["period_from"],
                                          p["pledge_id"])
                         > (bool(best.get("countersigned_by")), best["period_from"],
                            best["pledge_id"]))):
                best = p
        if best is None:
            return ("broken" if links else "none"), links
        links.append({"officer_id": current, **{k: best.get(k) for k in (
            "pledge_id", "level", "status", "period_from", "period_until", "signed_at",
            "countersigned_by", "countersigned_at", "top_of_chain", "document_sha256")}})
        if not best.get("countersigned_by"):
            return ("superior_uncountersigned" if len(links) > 1 else "uncountersigned"), links
        superior = _superior_on(state or {}, day)
        if superior and best["countersigned_by"] != superior:
            return "wrong_countersigner", links
        if best.get("top_of_chain"):
            return "complete", links
        current = best["countersigned_by"]


def _superior_on(state: dict[str, Any], day: str) -> str | None:
    # a post's instants may carry any offset: compare their legal (UTC+8) days, not their text
    for post in reversed(state.get("posts", [])):
        if legal_date(post["from"]).isoformat() <= day and (
                post.get("until") is None or legal_date(post["until"]).isoformat() >= day):
            return post.get("superior_officer_id")
    return None


def _today(store: LedgerStore) -> date:
    """Today's legal day (UTC+8) by the ledger's clock (the database server's: one query), not
    this process's."""
    return store.ledger_clock().astimezone(CST).date()


def _day(value: str | None, store: LedgerStore) -> date:
    return _today(store) if value is None else query_day(value, "on")


def build_router(dash: Dashboard) -> APIRouter:
    router = APIRouter(tags=["dashboard"])

    @router.get("/v1/session", summary="Who this token is: principal, roles, units "
                "(inspector or auditor; the dashboard's sign-in)")
    def get_session(principal: Viewer) -> Response:
        return _json(dash.session(principal))

    @router.get("/v1/vocabulary", summary="The Chinese and English names of the event types, "
                "of the codes of every enumerated body field, of every number a red flag "
                "gives (numbers) and of the statutes cited by code (statutes)")
    def get_vocabulary(principal: Viewer) -> Response:
        return _json({**vocabulary.labels(), "numbers": number_labels(),
                      "statutes": {code: {"zh": zh, "en": en}
                                   for code, (zh, en) in STATUTES.items()}})

    @router.get("/v1/cases/{case_id}/trail",
                summary="A case's audit trail with its flags' dispositions, each event verified "
                        "(signature, chain link, inclusion in the latest checkpoint)")
    def get_trail(case_id: str, principal: Viewer) -> Response:
        return _json(dash.trail(case_id, principal))

    @router.get("/v1/officers/{officer_id}/positions",
                summary="The officer's fines as positions in the statutory range per RF17 "
                        "window, against the other officers of every unit (anonymous) for the "
                        "same violation code × party type")
    def get_positions(officer_id: str, principal: Viewer) -> Response:
        return _json(dash.positions(officer_id, principal))

    @router.get("/v1/officers/{officer_id}/pledge-chain",
                summary="The officer's integrity-pledge chain up to the top, on a day")
    def get_pledge_chain(officer_id: str, principal: Viewer, on: str | None = None
                         ) -> Response:
        return _json(dash.pledge_chain_of(officer_id, principal, _day(on, dash.ledger.store)))

    @router.get("/v1/units", summary="The units this principal may see, with case and officer "
                "counts")
    def get_units(principal: Viewer) -> Response:
        return _json(dash.units(principal))

    @router.get("/v1/units/{unit_id}/overview",
                summary="Fines per decision day (period ends marked), flags by rule, pledge "
                        "coverage")
    def get_overview(unit_id: str, principal: Viewer, on: str | None = None) -> Response:
        return _json(dash.overview(unit_id, principal, _day(on, dash.ledger.store)))

    @router.post("/v1/flags/{flag_id}/dispositions", status_code=201,
                 summary="Record a disposition (acknowledge, dismiss, confirm, refer) as a "
                         "signed event on flag:<id>, naming the inspector",
                 responses={201: {"description": "the appended event's receipt"},
                            403: {"description": "not an inspector (auditors are read-only), "
                                                 "or a principal that is no identifier"},
                            404: {"description": "unknown flag, or outside the principal's "
                                                 "units"},
                            422: {"description": "bad body (the field is named)"},
                            503: {"description": "no dashboard signing key configured"}})
    def post_disposition(flag_id: str, principal: Disposer,
                         payload: Annotated[Any, Depends(_json_body)]) -> Response:
        return _json(dash.dispose(flag_id, principal, payload), status=201)

    return router


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise MalformedEvent("the body must be JSON", field="body") from None


def install(app: FastAPI, *, ledger: Ledger, log: LogView, views: ReadModels,
            flags: FlagsView, signing_key: SigningKey | None) -> None:
    """Add the dashboard's routes and serve its static files at /ui/ (/ redirects there)."""
    dash = Dashboard(ledger=ledger, log=log, views=views, flags=flags, signing_key=signing_key)
    app.state.dashboard = dash
    app.include_router(build_router(dash))
    app.mount("/ui", StaticPages(directory=STATIC, html=True), name="ui")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/")


__all__ = ["Dashboard", "install", "pledge_chain"]
