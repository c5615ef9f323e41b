"""Inspectors' dispositions of red flags (principle 3: dispositions are signed events), on
``flag:<flag_id>``."""

from __future__ import annotations

from typing import Any

from ..schemas import Enum, Obj, Opt, Str
from .event_type import EventType
from .fields import ID, REASON, SHORT_TEXT

RULE_ID = Str(pattern=r"RF[0-9]{2}(\.[a-z])?", max_len=8, hint="a rule id such as RF05 or RF05.b",
              label="rule id")


def _t(name: str, fields: dict[str, Any], example: dict[str, Any], doc: str) -> EventType:
    common = {"rule_id": RULE_ID, "inspector_id": ID.with_doc("the inspector")}
    return EventType(name=name, category="flags", body=Obj({**common, **fields}),
                     signer_roles=frozenset(("inspector",)), stream_kinds=("flag",), doc=doc,
                     example={"rule_id": "RF05.b", "inspector_id": "SH-JW-007", **example})


TYPES = [
    _t("FlagAcknowledged", {"note": Opt(SHORT_TEXT)}, {"note": "已分派核查"},
       "An inspector took up the flag."),
    _t("FlagDismissed", {
        "reason_code": Enum("false_positive", "legitimate_exception", "duplicate", "data_error",
                            "other"),
        "reason": REASON.with_doc("why it is dismissed (required)"),
    }, {"reason_code": "legitimate_exception", "reason": "节假日期间经批准延后交款，有审批单"},
        "An inspector dismissed the flag, with a reason."),
    _t("FlagConfirmed", {
        "finding": REASON.with_doc("what was found"),
        "severity": Opt(Enum("critical", "high", "medium", "low")),
    }, {"finding": "现金滞留执法人员处 5 个工作日", "severity": "high"},
       "An inspector confirmed the flag as a real irregularity."),
    _t("FlagReferred", {
        "referred_to": Enum("discipline_inspection", "supervision_commission", "procuratorate",
                            "agency_head", "legal_office"),
        "referral_no": Opt(Str(max_len=64)),
    }, {"referred_to": "discipline_inspection", "referral_no": "JW-2024-031"},
       "An inspector referred the flag onward."),
]
