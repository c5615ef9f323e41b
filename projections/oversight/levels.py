"""Warning levels in PostgreSQL (``view_warning_levels``, ``view_warning_history``), kept by the
flags projection in the same transaction as the flags they are computed from.

``update(curs, entities, at, ...)`` recomputes the named entities (``("officer", id)`` or
``("unit", id)``) from ``view_flags`` (as just written), the engine's disposition timeline and
the formal warnings, and replaces their rows. :meth:`due` names the entities whose level changes
by time alone (a flag ageing out) at or before an instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson

from ledger.logentry import format_recorded_at

from ..redflags.days import ts_of, ts_of_datetime
from .warnings import FlagItem, FormalItem, WarningParams, evaluate

Entity = tuple[str, str]
#: flags about an inspector's disposition of a flag (RF26 recusal, RF28 a key of other units,
#: RF29 an acknowledgement left unresolved or a disposition back-dated, RF30 one officer's flags
#: dismissed over and over, by one inspector or by a few taking turns): their ``officer_id`` is
#: the inspector, their ``unit_id`` the disposed-of flag's unit — not the inspector's, so they give no officer a unit
INSPECTOR_RULES = frozenset({"RF26", "RF28", "RF29.a", "RF29.b", "RF30", "RF30.b"})
DISPOSITION_KIND = {"FlagAcknowledged": "acknowledged", "FlagDismissed": "dismissed",
                    "FlagConfirmed": "confirmed", "FlagReferred": "referred"}


class WarningLevels:
    def __init__(self, params: WarningParams | None = None) -> None:
        self.params = params or WarningParams()

    def update(self, curs: Any, entities: Iterable[Entity], at: datetime, *,
               dispositions: Mapping[str, list[tuple[Any, ...]]],
               formal: Iterable[FormalItem], offset_minutes: int) -> None:
        entities = sorted(set(entities))
        if not entities:
            return
        officers = [i for k, i in entities if k == "officer"]
        units = [i for k, i in entities if k == "unit"]
        curs.execute(
            "SELECT flag_id, rule_id, severity, raised_at, flag->>'cleared_at' AS cleared_at, "
            "flag->'disposition_event_ids' AS applied, officer_id, unit_id FROM view_flags "
            "WHERE officer_id = ANY(%s) OR unit_id = ANY(%s) ORDER BY raised_at, flag_id",
            (officers, units))
        items: dict[Entity, list[FlagItem]] = {e: [] for e in entities}
        unit_of: dict[str, str] = {}
        for r in curs.fetchall():
            # an officer's unit: that of the latest flag about their own work (rows in order)
            if r["officer_id"] and r["unit_id"] and r["rule_id"] not in INSPECTOR_RULES:
                unit_of[r["officer_id"]] = r["unit_id"]
            # the dispositions the engine applied (one signed by a key of other units is not:
            # RF28), which the flag lists
            applied = frozenset(r["applied"] or ())
            disp = tuple((ev[1], DISPOSITION_KIND[ev[0]])
                         for ev in dispositions.get(r["flag_id"], ()) if ev[4] in applied)
            item = FlagItem(r["flag_id"], r["rule_id"], r["severity"], ts_of(r["raised_at"]),
                            ts_of(r["cleared_at"]) if r["cleared_at"] else None, disp)
            for key in (("officer", r["officer_id"]), ("unit", r["unit_id"])):
                if key in items:
                    items[key].append(item)
        warnings: dict[Entity, list[FormalItem]] = {e: [] for e in entities}
        for w in formal:
            for key in (("officer", w.officer_id), ("unit", w.unit_id)):
                if key in warnings:
                    warnings[key].append(w)
        at_ts = ts_of_datetime(at)
        evaluated = format_recorded_at(at)
        names = [f"{k}:{i}" for k, i in entities]
        curs.execute("DELETE FROM view_warning_history WHERE entity = ANY(%s)", (names,))
        curs.execute("DELETE FROM view_warning_levels WHERE entity = ANY(%s)", (names,))
        rows, history = [], []
        for (kind, ident), name in zip(entities, names, strict=True):
            flags, formal_items = items[(kind, ident)], warnings[(kind, ident)]
            if not flags and not formal_items:
                continue
            res = evaluate(flags, formal_items, self.params, at_ts,
                           offset_minutes=offset_minutes)
            unit = ident if kind == "unit" else (_unit_of(formal_items) or unit_of.get(ident))
            rows.append((name, kind, ident, unit, res.level, res.points,
                         orjson.dumps(res.reasons).decode(), res.params_version, evaluated,
                         res.next_due))
            for seq, h in enumerate(res.history):
                history.append((name, seq, h["from"], h["level"], h["points"],
                                orjson.dumps(h["reasons"]).decode(), res.params_version))
        if rows:
            curs.execute(
                "INSERT INTO view_warning_levels (entity, kind, entity_id, unit_id, level, "
                "points, reasons, params_version, evaluated_at, next_due) SELECT * FROM unnest("
                "%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::int[], "
                "%b::text[]::jsonb[], %b::text[], %b::text[], %b::bigint[])",
                tuple(list(col) for col in zip(*rows, strict=True)))
        if history:
            curs.execute(
                "INSERT INTO view_warning_history (entity, seq, from_at, level, points, "
                "reasons, params_version) SELECT * FROM unnest(%b::text[], %b::int[], "
                "%b::text[], %b::text[], %b::int[], %b::text[]::jsonb[], %b::text[])",
                tuple(list(col) for col in zip(*history, strict=True)))

    @staticmethod
    def due(curs: Any, at: datetime) -> set[Entity]:
        curs.execute("SELECT kind, entity_id FROM view_warning_levels WHERE next_due <= %s",
                     (ts_of_datetime(at),))
        return {(r["kind"], r["entity_id"]) for r in curs.fetchall()}

    @staticmethod
    def everyone(curs: Any, formal: Iterable[FormalItem]) -> set[Entity]:
        """Every entity with a flag, a formal warning or a stored level."""
        out: set[Entity] = set()
        curs.execute("SELECT DISTINCT officer_id, unit_id FROM view_flags")
        for r in curs.fetchall():
            if r["officer_id"]:
                out.add(("officer", r["officer_id"]))
            if r["unit_id"]:
                out.add(("unit", r["unit_id"]))
        curs.execute("SELECT kind, entity_id FROM view_warning_levels")
        out.update((r["kind"], r["entity_id"]) for r in curs.fetchall())
        for w in formal:
            out.update({("officer", w.officer_id), ("unit", w.unit_id)})
        return out

    @staticmethod
    def reset(curs: Any) -> None:
        curs.execute("DELETE FROM view_warning_levels")    # not TRUNCATE: readers see the
        curs.execute("DELETE FROM view_warning_history")   # old levels until it commits


def _unit_of(formal: list[FormalItem]) -> str | None:
    return formal[-1].unit_id if formal else None


def query(store: Any, kind: str, ident: str) -> dict[str, Any]:
    """The current level, reasons and history of one officer or unit (level ``none`` with no
    history when nothing was ever flagged)."""
    name = f"{kind}:{ident}"
    with store.cursor() as curs:
        curs.execute("SELECT level, points, reasons::text AS reasons, params_version, "
                     "evaluated_at FROM view_warning_levels WHERE entity = %s", (name,))
        row = curs.fetchone()
        curs.execute("SELECT from_at, level, points, reasons::text AS reasons, params_version "
                     "FROM view_warning_history WHERE entity = %s ORDER BY seq", (name,))
        history = [{"from": r["from_at"], "level": r["level"], "points": r["points"],
                    "reasons": orjson.loads(r["reasons"]), "params_version": r["params_version"]}
                   for r in curs.fetchall()]
    current = ({"level": row["level"], "points": row["points"],
                "reasons": orjson.loads(row["reasons"]), "params_version": row["params_version"],
                "evaluated_at": row["evaluated_at"]} if row else
               {"level": "none", "points": 0, "reasons": [], "params_version": None,
                "evaluated_at": None})
    return {"kind": kind, "id": ident, **current, "history": history}


def hide_flags(result: dict[str, Any], visible: set[str]) -> dict[str, Any]:
    """``result`` (from :func:`query`) with the flag reasons not in ``visible`` (another unit's
    cases, for a unit-scoped reader) folded into one ``{"source": "other_units", "items",
    "points"}`` entry per level: the level and points stay, they describe the officer."""
    for level in [result, *result["history"]]:
        shown, hidden = [], []
        for r in level["reasons"]:
            (hidden if r["source"] == "flag" and r["flag_id"] not in visible else shown).append(r)
        if hidden:
            shown.append({"source": "other_units", "items": len(hidden),
                          "points": sum(r["points"] for r in hidden)})
        level["reasons"] = shown
    return result


def snapshot(store: Any) -> dict[str, Any]:
    """Every stored level and history (for comparing a rebuild with incremental updates)."""
    with store.cursor() as curs:
        curs.execute("SELECT entity, level, points, reasons::text AS reasons, params_version, "
                     "next_due FROM view_warning_levels")
        levels = {r["entity"]: (r["level"], r["points"], orjson.loads(r["reasons"]),
                                r["params_version"], r["next_due"]) for r in curs.fetchall()}
        curs.execute("SELECT entity, seq, from_at, level, points, reasons::text AS reasons "
                     "FROM view_warning_history")
        history = {(r["entity"], r["seq"]): (r["from_at"], r["level"], r["points"],
                                             orjson.loads(r["reasons"]))
                   for r in curs.fetchall()}
    return {"levels": levels, "history": history}
