"""Field kinds shared by the event vocabulary (identifiers, parties, officers, places, approvals).

Privacy rule: bodies never carry a party's name or ID number. A party is a pseudonymous
reference ``pty:<opaque>`` issued by the case system; an organisation may also carry its public
registered name (``org_name``), which is published with decisions anyway. Fields the public
record copies as posted (decision number, legal basis, publication reference and URL) refuse
an ID number, mobile number or vehicle plate typed into them (``personal.py``).
"""

from __future__ import annotations

from ..schemas import Date, DateTime, Enum, Ident, Int, ListOf, Money, Obj, Opt, Sha256, Str
from .personal import Impersonal

ID = Ident()
#: an identifier the public feed shows (a publication reference)
PUBLIC_ID = Impersonal(pattern=ID.pattern, max_len=ID.max_len, hint=ID.hint, label=ID.label)
OFFICER_ID = Ident(doc="officer or auxiliary-staff id (the id of their `officer:` stream)")
UNIT_ID = Ident(doc="enforcement unit id (中队/大队/执法局)")
DEVICE_ID = Ident(doc="device id (bodycam, handheld terminal, camera)")
APPROVAL_ID = Ident(doc="id of the approval record (审批单) in the agency's system")
#: published as posted, so refused if it holds an ID number, mobile number or plate (personal.py)
DECISION_NO = Impersonal(max_len=64, doc="decision document number (决定书文号 / 预定格式决定书编号)")
FORM_NO = Str(pattern=r"[A-Za-z0-9][A-Za-z0-9-]{3,31}", max_len=32,
              hint="a pre-printed form number (letters, digits, -)",
              doc="number of the pre-printed, numbered decision form (APL 第52条)")
RECEIPT_NO = Str(pattern=r"[A-Za-z0-9][A-Za-z0-9-]{3,31}", max_len=32,
                 hint="a receipt number (letters, digits, -)",
                 doc="number of the official fine receipt (财政部门统一制发的专用票据, APL 第70条)")

PARTY_REF = Str(pattern=r"pty:[A-Za-z0-9_-]{8,64}", max_len=68,
                hint="a pseudonymous party reference 'pty:<opaque>'", label="party reference",
                doc="pseudonymous party reference (never a name or ID number)")
PARTY_TYPE = Enum("individual", "organisation", doc="公民 (individual) or 法人/其他组织")
PARTY = Obj({
    "party_ref": PARTY_REF,
    "party_type": PARTY_TYPE,
    "org_name": Opt(Str(max_len=200, doc="registered name, organisations only (public)")),
}, doc="a party to the case")

CERT_NO = Str(pattern=r"[A-Za-z0-9][A-Za-z0-9-]{3,31}", max_len=32,
              hint="a certificate number (letters, digits, -)", label="certificate number",
              doc="law-enforcement certificate number (执法证号)")
OFFICER_REF = Obj({
    "officer_id": OFFICER_ID,
    "cert_no": Opt(CERT_NO.with_doc("certificate shown/used for this act; absent when the "
                                    "person acted without one (e.g. auxiliary staff) — "
                                    "recorded, then flagged")),
}, doc="a person acting in the event")
OFFICERS = ListOf(OFFICER_REF, min_items=1, max_items=10,
                  doc="everyone who acted (duplicates are recorded as posted; RF01 counts distinct "
                      "certificates)")

VIOLATION_CODE = Str(pattern=r"[A-Z][A-Z0-9_]{1,39}", max_len=40,
                     hint="a violation code from the fine schedule (e.g. STALL_SH)",
                     label="violation code", doc="violation code from the published fine schedule")
LEGAL_BASIS = Impersonal(max_len=200, doc="legal basis as cited, e.g. 'SH_SRHW 第25条'")
PENALTY_TYPE = Enum("warning", "fine", "confiscation_illegal_gains", "confiscation_property",
                    "suspend_business", "revoke_licence", "restrict_practice", "other",
                    doc="penalty type (APL 第9条)")
PENALTY_TYPES = ListOf(PENALTY_TYPE, min_items=1, max_items=8)

TIER = Str(pattern=r"[a-z][a-z0-9_]{0,31}", max_len=32,
           hint="a tier id in lowercase (e.g. minor, general, serious)",
           doc="discretion tier id (轻微=minor / 一般=general / 严重=serious, or the table's own)")

GEO = Obj({
    "lat_e6": Int(minimum=-90_000_000, maximum=90_000_000, doc="latitude × 10^6 (GCJ-02)"),
    "lon_e6": Int(minimum=-180_000_000, maximum=180_000_000, doc="longitude × 10^6 (GCJ-02)"),
    "accuracy_m": Opt(Int(minimum=0, maximum=100_000, doc="horizontal accuracy, metres")),
    "grid_id": Opt(Ident(doc="management grid (网格) containing the point")),
    "place": Opt(Str(max_len=200, doc="description of the place (never a person)")),
}, doc="where it happened: integer micro-degrees (no floats in signed content)")

APPROVAL_FORM = Enum("agency_head", "deputy_head", "collective_discussion",
                     doc="who approved: 负责人 or 集体讨论")

TEXT = Str(max_len=2000)
SHORT_TEXT = Str(max_len=500)
#: a reason must say something: not only spaces (a dismissal "with reason" of "   " was accepted)
REASON = Str(max_len=1000, pattern=r"[\s\S]*\S[\s\S]*", hint="words, not only spaces",
             doc="reason, in words")
DOC_SHA256 = Sha256(doc="SHA-256 of the signed/scanned document")
DATE = Date()
DATETIME = DateTime()

ITEM = Obj({
    "item_id": ID.with_doc("item id within the seizure"),
    "description": Str(max_len=200, doc="what the item is (goods, tools, vehicle...)"),
    "quantity": Int(minimum=1, maximum=1_000_000),
    "unit": Str(max_len=16, doc="unit of quantity (件, 箱, 辆...)"),
    "estimated_value_fen": Opt(Money(doc="estimated value")),
}, doc="a seized or preserved item")
