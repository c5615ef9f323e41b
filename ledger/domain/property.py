"""Seized and preserved property, on the case stream (APL 第56/74条; RF25)."""

from __future__ import annotations

from typing import Any

from ..schemas import Enum, Int, ListOf, Money, Obj, Opt
from .event_type import EventType
from .fields import DOC_SHA256, GEO, ID, ITEM, OFFICER_ID, OFFICERS, PARTY_REF

TWO = [{"officer_id": "SH-HP-0231", "cert_no": "31010219001"},
       {"officer_id": "SH-HP-0232", "cert_no": "31010219002"}]
H = "5f1c3f0e2b8e4a8f9d0c1b2a39485766a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
ITEMS = ListOf(ITEM, min_items=1, max_items=200)
ITEM_IDS = ListOf(ID, min_items=1, max_items=200)


def _t(name: str, signers: tuple[str, ...], fields: dict[str, Any], example: dict[str, Any],
       doc: str) -> EventType:
    return EventType(name=name, category="property", body=Obj(fields),
                     signer_roles=frozenset(signers), stream_kinds=("case",), doc=doc,
                     example=example)


TYPES = [
    _t("PropertySeized", ("officer-device", "case-app"), {
        "seizure_id": ID,
        "measure": Enum("temporary_seizure", "sealing", "detention", "registration_preservation",
                        doc="暂扣 / 查封 / 扣押 / 先行登记保存"),
        "items": ITEMS,
        "officers": OFFICERS,
        "approved_by": Opt(OFFICER_ID),
        "location": Opt(GEO),
    }, {"seizure_id": "SZ-2024-000877", "measure": "temporary_seizure",
        "items": [{"item_id": "1", "description": "三轮车", "quantity": 1, "unit": "辆",
                   "estimated_value_fen": 80_000},
                  {"item_id": "2", "description": "水果", "quantity": 4, "unit": "箱"}],
        "officers": TWO},
        "Goods or tools were seized or sealed on the spot."),

    _t("PropertyInventorySigned", ("officer-device", "case-app"), {
        "seizure_id": ID,
        "inventory_sha256": DOC_SHA256.with_doc("the signed inventory (清单)"),
        "signed_by": Enum("party", "witness", "party_refused_witness_signed"),
        "item_count": Int(minimum=1, maximum=10_000),
        "officers": OFFICERS,
    }, {"seizure_id": "SZ-2024-000877", "inventory_sha256": H, "signed_by": "party",
        "item_count": 2, "officers": TWO},
        "The seizure inventory was signed by the party or a witness (RF25.a: within 24 h)."),

    _t("PropertyReturned", ("case-app", "officer-device"), {
        "seizure_id": ID,
        "item_ids": ITEM_IDS,
        "returned_to": PARTY_REF,
        "receipt_sha256": Opt(DOC_SHA256),
    }, {"seizure_id": "SZ-2024-000877", "item_ids": ["1", "2"], "returned_to": "pty:7Kq2mZ8rXw4b"},
        "Seized items were returned to the party."),

    _t("PropertyDisposed", ("case-app", "finance"), {
        "seizure_id": ID,
        "item_ids": ITEM_IDS,
        "method": Enum("public_auction", "destroyed", "confiscated_to_treasury", "donated",
                       "other"),
        "proceeds_fen": Opt(Money()),
        "handled_by": ID,
        "record_sha256": Opt(DOC_SHA256.with_doc("auction / handling record (RF25.c)")),
        "recipient_ref": Opt(ID.with_doc("buyer or recipient reference (pseudonymous)")),
    }, {"seizure_id": "SZ-2024-000877", "item_ids": ["2"], "method": "destroyed",
        "handled_by": "SH-HP-0103", "record_sha256": H},
        "Seized items were disposed of (APL 第74条)."),

    _t("PreservationOrdered", ("case-app", "supervisor"), {
        "preservation_id": ID,
        "items": ITEMS,
        "approved_by": Opt(OFFICER_ID.with_doc("head who approved (APL 第56条)")),
        "officers": OFFICERS,
    }, {"preservation_id": "PR-2024-0033",
        "items": [{"item_id": "1", "description": "广告牌", "quantity": 1, "unit": "块"}],
        "approved_by": "SH-HP-0101", "officers": TWO},
        "Evidence was registered for preservation (先行登记保存); a handling decision is due in 7 "
        "working days (APL 第56条)."),
]
