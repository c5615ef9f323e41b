"""The verifier's ordered checks in isolation: stream chains and the key-registry fold."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from ledger.crypto import SigningKey, b64url_encode
from ledger.errors import LedgerError
from ledger.keys import KeyRegistry
from ledger.logentry import chain_genesis, chain_next, format_recorded_at
from ledger.verify.chains import StreamChains
from ledger.verify.registry import Registry

S = "case:C-1"


def _history(n: int) -> list[tuple[bytes, bytes]]:
    """(envelope hash, chain hash) of versions 1..n of stream S."""
    out, chain = [], chain_genesis(S)
    for v in range(1, n + 1):
        raw = f'{{"v":{v}}}'.encode()
        chain = chain_next(chain, raw)
        out.append((hashlib.sha256(raw).digest(), chain))
    return out


def _feed(chains: StreamChains, items: list[tuple[int, bytes, bytes]]) -> list[tuple]:
    """items: (version, envelope hash, claimed chain), at log index = position."""
    blames = []
    for index, (version, env_hash, chain) in enumerate(items):
        blames += chains.check(S, version, index, f"e{index}", env_hash, chain)
    return blames


def test_an_intact_chain_has_no_blame() -> None:
    h = _history(4)
    assert _feed(StreamChains(), [(v + 1, e, c) for v, (e, c) in enumerate(h)]) == []


def test_a_gap_is_named_as_missing_versions() -> None:
    h = _history(6)
    items = [(1, *h[0]), (2, *h[1]), (5, *h[4]), (6, *h[5])]
    assert _feed(StreamChains(), items) == [(None, None, f"stream {S}: versions 3..4 missing")]


def test_an_insertion_is_named_on_the_inserted_event() -> None:
    h = _history(3)
    forged = hashlib.sha256(b"forged").digest()
    forged_chain = hashlib.sha256(h[0][1] + forged).digest()     # a correct link from v1
    items = [(1, *h[0]), (2, forged, forged_chain), (3, h[1][0], h[1][1]), (4, *h[2])]
    blames = _feed(StreamChains(), items)
    assert (1, "e1", f"stream {S} version 2: inserted (version 3 chains directly from "
                     "version 1)") in blames
    assert (2, "e2", f"stream {S} version 3: chain hash does not follow from version 2") \
        in blames


def test_a_swap_is_named_as_reordering_on_both_events() -> None:
    h = _history(4)
    items = [(1, *h[0]), (2, h[2][0], h[1][1]), (3, h[1][0], h[2][1]), (4, *h[3])]
    blames = _feed(StreamChains(), items)
    assert (1, "e1", f"stream {S} version 2: holds the event recorded at version 3 "
                     "(reordered)") in blames
    assert (2, "e2", f"stream {S} version 3: holds the event recorded at version 2 "
                     "(reordered)") in blames


def test_a_repeated_version_is_named() -> None:
    h = _history(2)
    blames = _feed(StreamChains(), [(1, *h[0]), (2, *h[1]), (2, *h[1])])
    assert blames == [(2, "e2", f"stream {S}: version 2 appears after version 2 (reordered or "
                                "duplicated)")]


def test_a_stream_starts_at_version_1_or_at_an_anchor() -> None:
    h = _history(3)
    assert _feed(StreamChains(), [(3, *h[2])]) == [
        (0, "e0", f"stream {S}: starts at version 3 with no anchor: versions 1..2 missing")]
    anchored = StreamChains()
    assert anchored.anchor(S, 2, 0, h[1][1]) is None
    assert anchored.check(S, 3, 1, "e1", *h[2]) == []


# -- the registry: the same verdicts as the service's ledger.keys ------------------------------

ROOT = SigningKey.generate()


def _body(key_id: str, roles: list[str], **window: str | None) -> dict:
    return {"key_id": key_id, "public_key": b64url_encode(SigningKey.generate().public_key),
            "principal": f"p:{key_id}", "roles": roles, "not_before": window.get("nb"),
            "not_after": window.get("na")}


KEY_EVENTS = [
    ("KeyRegistered", _body("a", ["case-app"], nb="2024-01-01T00:00:00+08:00",
                            na="2024-12-31T23:59:59+08:00")),
    ("KeyRegistered", _body("b", ["finance"])),
    ("KeyRevoked", {"key_id": "b", "reason": "lost"}),
    ("KeyRegistered", _body("a", ["finance"])),          # already registered
    ("KeyRevoked", {"key_id": "nobody", "reason": "?"}),
    ("KeyRevoked", {"key_id": "root-1", "reason": "?"}),
    ("KeyRevoked", {"key_id": "b", "reason": "again"}),
]
ROLES = {"NoteRecorded": frozenset({"case-app"}), "PaymentNoted": frozenset({"finance"})}
JUNE = datetime(2024, 6, 1, tzinfo=timezone.utc)
JUDGEMENTS = [
    ("a", "NoteRecorded", 5, JUNE), ("a", "NoteRecorded", 0, JUNE),
    ("zz", "NoteRecorded", 9, JUNE), ("b", "PaymentNoted", 2, JUNE),
    ("b", "PaymentNoted", 3, JUNE),
    ("a", "NoteRecorded", 9, datetime(2023, 1, 1, tzinfo=timezone.utc)),
    ("a", "NoteRecorded", 9, datetime(2025, 1, 1, tzinfo=timezone.utc)),
    ("a", "PaymentNoted", 9, JUNE), ("a", "KeyRegistered", 9, JUNE),
    ("root-1", "NoteRecorded", 9, JUNE), ("root-1", "KeyRevoked", 9, JUNE),
]


def test_registry_fold_gives_the_services_verdicts_word_for_word() -> None:
    service = KeyRegistry(roots={"root-1": ROOT.public_key})
    verifier = Registry({"root-1": ROOT.public_key})
    for index, (event_type, body) in enumerate(KEY_EVENTS, start=1):
        try:
            service.apply(event_type, body, index)
            expected = None
        except LedgerError as e:
            expected = e.message
        assert verifier.apply(event_type, body, index) == expected
    for key_id, event_type, index, at in JUDGEMENTS:
        try:
            service.authorise(key_id=key_id, event_type=event_type, index=index, at=at,
                              signer_roles=ROLES.get(event_type, ()))
            expected = None
        except LedgerError as e:
            expected = e.message
        got = verifier.judge(key_id=key_id, event_type=event_type, index=index,
                             recorded_at=format_recorded_at(at),
                             signer_roles=ROLES.get(event_type, frozenset()))
        assert got == expected, (key_id, event_type, index)


@pytest.mark.parametrize("body, message", [
    ({"key_id": "x", "public_key": b64url_encode(bytes(32)), "principal": "p", "roles": []},
     "small order"),
    ({"key_id": "x", "public_key": "not base64!", "principal": "p", "roles": []},
     "base64url"),
    ({"key_id": "x", "principal": "p", "roles": []}, "public_key"),
    (_body("usurper", ["root", "case-app"]), "the root role cannot be registered"),
    (_body("never", ["case-app"], nb="2024-06-01T00:00:00Z", na="2024-05-01T00:00:00Z"),
     "body.not_after (2024-05-01T00:00:00Z) is before body.not_before"),
])
def test_registry_refuses_unusable_registrations(body: dict, message: str) -> None:
    why = Registry({}).apply("KeyRegistered", body, 1)
    assert why is not None and message in why
