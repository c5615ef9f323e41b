"""Configuration facts, published as signed events on ``config:<name>`` so that they cannot be
changed retroactively: a new version is a new event, effective from its own date."""

from __future__ import annotations

from typing import Any

from ..schemas import Date, Enum, Ident, Int, ListOf, Money, Nullable, Obj, Opt, Str
from .event_type import EventType
from .fields import DOC_SHA256, ID, LEGAL_BASIS, TIER, UNIT_ID, VIOLATION_CODE

H = "5f1c3f0e2b8e4a8f9d0c1b2a39485766a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
BAND = Obj({"min_fen": Money(), "max_fen": Money()})
#: what names a publication of parameters, and one parameter in it
PUBLICATION = {"parameters_version": Ident(max_len=64), "jurisdiction": Str(max_len=100),
               "effective_from": Date()}
PARAMETER_NAME = Str(pattern=r"[a-z][a-z0-9_]{0,63}", max_len=64, hint="a snake_case name")


def _t(name: str, fields: dict[str, Any], example: dict[str, Any], doc: str) -> EventType:
    return EventType(name=name, category="config", body=Obj(fields),
                     signer_roles=frozenset(("config",)), stream_kinds=("config",), doc=doc,
                     example=example)


TYPES = [
    _t("DiscretionBenchmarkPublished", {
        "benchmark_table_id": ID,
        "jurisdiction": Str(max_len=100),
        "effective_from": Date(),
        "effective_until": Nullable(Date()),
        "document_sha256": DOC_SHA256,
        "entries": ListOf(Obj({
            "violation_code": VIOLATION_CODE,
            "party_type": Enum("individual", "organisation", "any"),
            "tiers": ListOf(Obj({
                "tier": TIER,
                "label": Opt(Str(max_len=50, doc="e.g. 轻微 / 一般 / 严重")),
                "min_fen": Money(),
                "max_fen": Money(),
            }), min_items=1, max_items=10),
        }), min_items=1, max_items=1000),
    }, {"benchmark_table_id": "SH-HP-2024-v1", "jurisdiction": "上海市黄浦区",
        "effective_from": "2024-01-01", "effective_until": None, "document_sha256": H,
        "entries": [{"violation_code": "STALL_SH", "party_type": "any", "tiers": [
            {"tier": "minor", "label": "轻微", "min_fen": 5_000, "max_fen": 15_000},
            {"tier": "general", "label": "一般", "min_fen": 15_000, "max_fen": 35_000},
            {"tier": "serious", "label": "严重", "min_fen": 35_000, "max_fen": 50_000}]}]},
        "A discretion benchmark table (行政处罚裁量基准): violation code → tiers with bands in fen "
        "(APL 第34条)."),

    _t("FineSchedulePublished", {
        "schedule_id": ID,
        "version": Ident(max_len=64),
        "effective_from": Date(),
        "entries": ListOf(Obj({
            "code": VIOLATION_CODE,
            "name": Str(max_len=200),
            "basis": LEGAL_BASIS,
            "ranges": ListOf(Obj({"band": TIER, "min_fen": Money(), "max_fen": Money()}),
                             min_items=1, max_items=10),
            "precondition": Opt(Str(max_len=500)),
        }), min_items=1, max_items=1000),
    }, {"schedule_id": "fine-schedule", "version": "2024.1", "effective_from": "2024-01-01",
        "entries": [{"code": "STALL_SH", "name": "占道设摊经营、兜售物品", "basis": "SH_SRHW 第25条",
                     "ranges": [{"band": "any", "min_fen": 5_000, "max_fen": 50_000}]}]},
        "The statutory fine schedule: violation codes, legal basis and ranges in fen."),

    _t("WorkingCalendarPublished", {
        "year": Int(minimum=2000, maximum=2100),
        "holidays": ListOf(Date(), max_items=60, doc="days off (法定节假日 and 调休 rest days)"),
        "makeup_workdays": ListOf(Date(), max_items=20,
                                  doc="Saturdays/Sundays worked (调休上班)"),
        "source": Str(max_len=200, doc="the notice, e.g. 国办发明电〔2023〕7号"),
        "document_sha256": Opt(DOC_SHA256),
    }, {"year": 2024,
        "holidays": ["2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04", "2024-10-05",
                     "2024-10-06", "2024-10-07"],
        "makeup_workdays": ["2024-09-29", "2024-10-12"],
        "source": "国办发明电〔2023〕7号 (excerpt: National Day only)"},
        "One year's official holiday schedule (国务院办公厅 notice). Working-day arithmetic "
        "(APL 第85条) uses it, never Mon–Fri alone."),

    _t("UnitTerritoryPublished", {
        "unit_id": UNIT_ID,
        "grid_ids": ListOf(Ident(doc="management grid (网格) id, as acts' `location.grid_id`"),
                           min_items=1, max_items=5000),
        "effective_from": Date(),
        "source": Str(max_len=200, doc="the decision that sets the territory, e.g. 区政府关于"
                                       "城管执法中队管辖区域划分的通知"),
        "document_sha256": Opt(DOC_SHA256),
    }, {"unit_id": "SH-HP-CG-02", "grid_ids": ["HP-G-0113", "HP-G-0114", "HP-G-0200"],
        "effective_from": "2024-01-01", "source": "黄浦区城管执法局 辖区划分通知 (example)"},
        "A unit's territory (管辖区域) as the management grids it covers, in force from "
        "`effective_from` (never before its publication) until the unit's next publication, "
        "which replaces the whole list. Acts in a grid outside it raise RF21.b (APL 第22条)."),

    _t("PowerListPublished", {
        "unit_id": Nullable(UNIT_ID, doc="the unit; null = every unit without a list of its own"),
        "violation_codes": ListOf(VIOLATION_CODE, min_items=1, max_items=5000),
        "effective_from": Date(),
        "source": Str(max_len=200, doc="the power list (权责清单) as published, e.g. 上海市城管执法"
                                       "部门行政处罚权力清单"),
        "document_sha256": Opt(DOC_SHA256),
    }, {"unit_id": None, "violation_codes": ["STALL_SH", "POSTING_SH", "LITTER_SH"],
        "effective_from": "2024-01-01", "source": "城管执法部门行政处罚权力清单 (example)"},
        "The violation codes a unit may enforce (权力清单), in force from `effective_from` (never "
        "before its publication) until the same unit's next publication, which replaces the "
        "whole list. A case whose code is outside it raises RF21.c (APL 第17条, 第18条)."),

    _t("DetectionListsPublished", {
        **PUBLICATION,
        "lists": ListOf(Obj({
            "name": PARAMETER_NAME,
            "values": ListOf(Ident(max_len=64), max_items=500,
                             doc="the whole list (roles, approval forms, procedures, violation "
                                 "codes, tiers or complaint categories, as the parameter names)"),
            "basis": Str(max_len=300),
        }), min_items=1, max_items=50),
    }, {"parameters_version": "SH-2024.1-lists", "jurisdiction": "上海市",
        "effective_from": "2024-01-01", "lists": [
            {"name": "extension_approval_forms", "values": ["agency_head", "collective_discussion"],
             "basis": "本市规定：延长办案期限须经行政机关主要负责人批准或集体讨论 (example)"}]},
        "The list-valued detection parameters a city sets (e.g. which approval forms count, which "
        "roles are 行政机关负责人, which codes need a prior refusal), each list replaced whole, "
        "in force from `effective_from` (never before its publication)."),

    _t("LegalParametersPublished", {
        **PUBLICATION,
        "parameters": ListOf(Obj({
            "name": PARAMETER_NAME,
            "value": Nullable(Int(), doc="integer value; null = not set (LOCAL)"),
            "unit": Enum("fen", "calendar_days", "working_days", "years", "count",
                         "basis_points_per_day", "minutes"),
            "basis": Str(max_len=300),
        }), min_items=1, max_items=200),
    }, {"parameters_version": "SH-2024.1", "jurisdiction": "上海市", "effective_from": "2024-01-01",
        "parameters": [
            {"name": "summary_procedure_max_fine_individual", "value": 20_000, "unit": "fen",
             "basis": "APL 第51条"},
            {"name": "hearing_threshold_individual", "value": 500_000, "unit": "fen",
             "basis": "APL 第63条(一) 较大数额 (local)"}]},
        "Legal parameters (thresholds, periods) in force for a jurisdiction, integers only."),
]
