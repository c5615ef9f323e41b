"""Legal parameters and the fine schedule of red_flags.yaml (research draft v0.1) as Python data.

Amounts are integer fen (1 CNY = 100 fen); rates are basis points; periods say whether they
count working days (APL 第85条: "二日""三日""五日""七日" are working days) or calendar days.
``None`` marks a LOCAL parameter the province or sector must set (no national default).

The same data can be published on the ledger (``LegalParametersPublished``,
``FineSchedulePublished``) so what a deployment uses is itself a signed, dated fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

VERSION = "red-flags-v0.1"


def _p(value: int | None, unit: str, basis: str, verified: str = "true") -> Any:
    return field(default=value, metadata={"unit": unit, "basis": basis, "verified": verified})


@dataclass(frozen=True)
class LegalParameters:
    """Thresholds and periods. Field metadata carries ``unit``, ``basis`` and ``verified``."""

    version: str = VERSION
    summary_procedure_max_fine_individual_fen: int = _p(20_000, "fen", "APL 第51条")
    summary_procedure_max_fine_organisation_fen: int = _p(300_000, "fen", "APL 第51条")
    onsite_collection_max_fine_fen: int = _p(10_000, "fen", "APL 第68条(一)")
    onsite_cash_to_agency_working_days: int = _p(2, "working_days", "APL 第71条")
    agency_to_bank_working_days: int = _p(2, "working_days", "APL 第71条")
    payment_deadline_days: int = _p(15, "calendar_days", "APL 第67条第3款 (from receipt)")
    late_payment_surcharge_bp_per_day: int = _p(300, "basis_points_per_day",
                                                "APL 第72条(一) (3 %/day, total ≤ principal)")
    min_officers: int = _p(2, "count", "APL 第42条; MOHURD55 第11条")
    decision_deadline_days_from_filing: int = _p(90, "calendar_days", "APL 第60条")
    #: APL 第60条 gives no extension and defers to 法律、法规、规章; the sectoral procedure rules
    #: (MOHURD55 for 住建/城管) let 负责人 approve up to 30 more days, further only by 集体讨论
    decision_extension_head_max_days: int = _p(
        30, "calendar_days", "APL 第60条 (规章另有规定的从其规定); sectoral 程序规定: 负责人批准 "
        "+30 days, further only by 负责人集体讨论 (LOCAL/sectoral)", "false")
    service_deadline_working_days_if_absent: int = _p(7, "working_days", "APL 第61条 + 第85条")
    summary_decision_filing_working_days: int = _p(3, "working_days", "MOHURD55 第14条; APL 第52条",
                                                   "partial")
    hearing_request_window_working_days: int = _p(5, "working_days", "APL 第64条(一)")
    hearing_notice_lead_working_days: int = _p(7, "working_days", "APL 第64条(二)")
    hearing_threshold_individual_fen: int | None = _p(None, "fen", "APL 第63条(一) 较大数额 (LOCAL)",
                                                      "false")
    hearing_threshold_organisation_fen: int | None = _p(None, "fen", "APL 第63条(一) (LOCAL)",
                                                        "false")
    preservation_decision_working_days: int = _p(7, "working_days", "APL 第56条")
    publication_deadline_working_days: int = _p(7, "working_days", "GBF2018_118; MOHURD55 第10条",
                                                "partial")
    publication_withdraw_working_days: int = _p(3, "working_days", "MOHURD55 第10条", "partial")
    first_violation_lookback_days: int = _p(365, "calendar_days", "APL 第33条第1款 (LOCAL list; "
                                                                  "suggested default)", "false")
    complaint_ack_days: int = _p(15, "calendar_days", "XFGZ 第22条/第23条")
    complaint_close_days: int = _p(60, "calendar_days", "XFGZ 第34条")
    complaint_extension_max_days: int = _p(30, "calendar_days", "XFGZ 第34条")
    statute_of_limitations_years: int = _p(2, "years", "APL 第36条")
    #: the legal day is the day in China Standard Time (UTC+08:00, no DST)
    legal_utc_offset_minutes: int = _p(480, "minutes", "GB/T 7408; 北京时间")

    def describe(self) -> list[dict[str, Any]]:
        """Every parameter as ``{name, value, unit, basis, verified}`` (docs, publication)."""
        return [{"name": f.name, "value": getattr(self, f.name), **f.metadata}
                for f in fields(self) if f.metadata]

    def published_body(self, *, jurisdiction: str, effective_from: str) -> dict[str, Any]:
        """A ``LegalParametersPublished`` body carrying these parameters."""
        return {"parameters_version": self.version, "jurisdiction": jurisdiction,
                "effective_from": effective_from,
                "parameters": [{"name": p["name"], "value": p["value"],
                                "unit": p["unit"], "basis": p["basis"]}
                               for p in self.describe()]}


PARAMS = LegalParameters()


@dataclass(frozen=True)
class FineRule:
    """One line of the fine schedule: statutory ranges by band, in fen (inclusive)."""

    code: str
    name: str
    basis: str
    ranges: dict[str, tuple[int, int]]
    precondition: str | None = None
    note: str | None = None
    illustrative_bands: dict[str, tuple[int, int]] | None = None

    @property
    def min_fen(self) -> int:
        return min(lo for lo, _ in self.ranges.values())

    @property
    def max_fen(self) -> int:
        return max(hi for _, hi in self.ranges.values())

    def bands_for(self, party_type: str) -> list[tuple[int, int]]:
        """The bands that apply to a party of ``party_type`` (individual or organisation): the
        bands named for the other kind of party left out (``dump_organisation`` for an
        individual, ``individual_repeat`` for an organisation); the others apply to either
        (``organiser`` is who organises, not a kind of party). Every band when that leaves
        none."""
        other = "organisation" if party_type == "individual" else "individual"
        return ([b for name, b in self.ranges.items() if other not in name]
                or list(self.ranges.values()))

    def max_fen_for(self, party_type: str) -> int:
        """The highest fine the schedule allows a party of ``party_type``
        (:meth:`bands_for`)."""
        return max(hi for _, hi in self.bands_for(party_type))

    def min_fen_for(self, party_type: str) -> int:
        """The lowest fine the schedule allows a party of ``party_type``
        (:meth:`bands_for`)."""
        return min(lo for lo, _ in self.bands_for(party_type))

    @property
    def degenerate(self) -> bool:
        """Every band is a fixed amount: exclude from amount-position statistics (RF17)."""
        return all(lo == hi for lo, hi in self.ranges.values())


def _cny(**bands: tuple[int, int]) -> dict[str, tuple[int, int]]:
    return {band: (lo * 100, hi * 100) for band, (lo, hi) in bands.items()}


FINE_SCHEDULE_VERSION = VERSION

FINE_SCHEDULE: dict[str, FineRule] = {r.code: r for r in [
    FineRule("SPIT_BJ", "随地吐痰、便溺; 乱丢废弃物; 乱倒污水垃圾 (individual)", "BJ_SRHW 第52条",
             _cny(individual=(50, 50), serious=(200, 200)), precondition="责令改正 in same action",
             note="fixed amounts: degenerate bands"),
    FineRule("SPIT_SH", "随地吐痰、便溺 / 乱扔果皮纸屑烟蒂 / 乱倒垃圾", "SH_SRHW 第28条",
             # 第28条: spitting 二百元以下 and littering 一百元以下 for anyone (the yaml's draft
             # named them spit_individual / litter_individual); dumping by the kind of party
             _cny(spit=(0, 200), litter=(0, 100), dump_individual=(0, 200),
                  dump_organisation=(5000, 50000))),
    FineRule("POSTING_BJ", "擅自张贴/散发小广告, 涂写刻画", "BJ_SRHW 第41条",
             _cny(individual=(100, 1000), serious=(1000, 10000), organiser=(10000, 100000),
                  organiser_serious=(100000, 500000)),
             note="statutory two-tier band; also 没收非法财物和违法所得"),
    FineRule("POSTING_SH", "擅自张贴悬挂宣传品, 刻画涂写", "SH_SRHW 第24条",
             _cny(actor=(50, 500), organiser=(10000, 100000)),
             precondition="责令限期清除 then 拒不清除"),
    FineRule("STALL_SH", "占道设摊经营、兜售物品", "SH_SRHW 第25条", _cny(any=(50, 500)),
             note="城管 may 暂扣 goods/tools and must return them after the party accepts processing",
             illustrative_bands=_cny(minor=(50, 150), general=(150, 350), serious=(350, 500))),
    FineRule("STALL_BJ", "擅自占用道路/公共场所堆物堆料、摆摊设点", "BJ_SRHW 第35条",
             _cny(any=(500, 5000)), note="plus 没收违法所得和非法财物"),
    FineRule("OUTDOOR_BIZ_SH", "超出门窗和外墙经营 (店外经营)", "SH_SRHW 第25条", _cny(any=(50, 500))),
    FineRule("PILEUP_SH", "擅自占用道路等公共场所堆放物品", "SH_SRHW 第25条", _cny(any=(500, 5000))),
    FineRule("ADVERT_BJ", "违反规划设置户外广告设施", "BJ_SRHW 第38条", _cny(any=(10000, 100000)),
             precondition="责令限期拆除; fine 'may' accompany"),
    FineRule("ADVERT_SH", "违反规定设置户外设施", "SH_SRHW 第20条",
             _cny(advert_facility=(5000, 50000), other_facility=(500, 5000)),
             precondition="责令限期改造或者拆除 then 逾期不改"),
    FineRule("CW_DUMP_SH", "擅自倾倒、堆放、处置建筑垃圾、工程渣土", "SH_SRHW 第44条",
             _cny(any=(5000, 50000))),
    FineRule("SORTING_SH", "个人/单位未分类投放生活垃圾", "SH_LJ 第57条",
             _cny(individual=(50, 200), organisation=(5000, 50000)),
             precondition="责令立即改正 then 拒不改正"),
    FineRule("SORTING_BJ", "个人/单位未分类投放生活垃圾", "BJ_LJ 第67条",
             _cny(organisation_first=(1000, 1000), organisation_repeat=(10000, 50000),
                  individual_repeat=(50, 200)),
             precondition="individual: 劝阻 -> 书面警告 -> 再次违反 才可罚款; voluntary community "
                          "service => 不予处罚"),
    FineRule("HANGING_BJ", "在护栏、电线杆、树木等处晾晒吊挂", "BJ_SRHW 第36条", _cny(any=(20, 50))),
    FineRule("ROAD_OCCUPY_NATIONAL", "未按批准的位置、面积、期限占用或挖掘城市道路", "CSDL 第42条(六)",
             _cny(any=(0, 20000)), precondition="责令限期改正"),
]}


def fine_schedule_body(*, effective_from: str = "2024-01-01") -> dict[str, Any]:
    """A ``FineSchedulePublished`` body carrying :data:`FINE_SCHEDULE`."""
    entries = []
    for rule in FINE_SCHEDULE.values():
        entry: dict[str, Any] = {
            "code": rule.code, "name": rule.name, "basis": rule.basis,
            "ranges": [{"band": band, "min_fen": lo, "max_fen": hi}
                       for band, (lo, hi) in rule.ranges.items()]}
        if rule.precondition:
            entry["precondition"] = rule.precondition
        entries.append(entry)
    return {"schedule_id": "fine-schedule", "version": FINE_SCHEDULE_VERSION,
            "effective_from": effective_from, "entries": entries}
