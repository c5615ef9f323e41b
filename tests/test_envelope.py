"""Envelope.from_value: the fast path for well-formed envelopes agrees with the rule-by-rule
check on every envelope, valid or not."""

from __future__ import annotations

import random

import pytest

from ledger.crypto import SigningKey, b64url_decode, verify
from ledger.envelope import ENVELOPE_FIELDS, Envelope, _well_formed
from ledger.errors import MalformedEvent
from ledger.synth import SCALES, SyntheticCity

_ODD = (None, 1, True, "", "x", "\n", "case:X-1\n", "Z", "2024-02-30T10:00:00+08:00",
        "2024-05-10T21:06:00", "2024-05-10T21:06:00Z", "2024-05-10T21:06:00.123456789+08:00",
        "key:", "key:a b", "keys", "NoteRecorded", "noteRecorded", "A" * 86, "A" * 85 + "B",
        "A" * 85 + "Q", "-" * 86, "A" * 88, {}, [], {"x": 1}, "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00", "9999-12-30T23:59:59Z", "0001-01-02T00:00:00Z")


def _variants(env: dict, rng: random.Random):
    yield env
    for name in ENVELOPE_FIELDS:
        yield {k: v for k, v in env.items() if k != name}
        yield {**env, name: rng.choice(_ODD)}
        text = env[name]
        if isinstance(text, str):
            yield {**env, name: text + "\n"}
            yield {**env, name: text[:-1]}
            yield {**env, name: text.upper()}
    yield {**env, "extra": 1}


def _city() -> list[dict]:
    city = SyntheticCity(SCALES["tiny"], root_key=SigningKey(bytes(32)), root_key_id="root-1")
    return list(city.envelopes())[:400]


def test_fast_path_builds_the_same_envelope_as_the_checks_or_defers_to_them() -> None:
    rng = random.Random(3)
    fast_taken = refused = 0
    for good in _city():
        for value in _variants(good, rng):
            fast = _well_formed(value)
            try:
                slow = Envelope.checked(value)
            except MalformedEvent:
                assert fast is None, value
                with pytest.raises(MalformedEvent):
                    Envelope.from_value(value)
                refused += 1
                continue
            assert fast == slow, value
            fast_taken += 1
    assert fast_taken >= 400 and refused > 5000, (fast_taken, refused)


@pytest.mark.parametrize("occurred_at", ["9999-12-31T23:59:59-14:00", "9999-12-31T00:00:00Z",
                                         "0001-01-01T00:00:00+14:00", "0001-01-01T23:59:59Z",
                                         "0001-01-02T07:59:59+08:00"])
def test_refuses_an_occurred_at_whose_date_cannot_be_represented(occurred_at: str) -> None:
    """Its date in UTC or in legal time (UTC+08:00) would be in year 0 or 10000."""
    value = {**_city()[0], "occurred_at": occurred_at}
    assert _well_formed(value) is None
    with pytest.raises(MalformedEvent, match="cannot be dated") as refused:
        Envelope.from_value(value)
    assert refused.value.field == "occurred_at"


@pytest.mark.parametrize("occurred_at", ["0001-01-02T00:00:00Z", "0001-01-02T08:00:00+08:00",
                                         "9999-12-30T23:59:59Z", "9999-12-31T07:59:59+08:00",
                                         "9999-12-30T09:59:59-14:00", "0999-05-01T10:00:00+08:00"])
def test_accepts_every_instant_dated_within_years_1_to_9999_everywhere(occurred_at: str) -> None:
    value = {**_city()[0], "occurred_at": occurred_at}
    assert _well_formed(value) == Envelope.checked(value) is not None


def test_signed_bytes_from_the_fast_path_verify() -> None:
    keys = {}
    for env in _city()[:200]:
        e = _well_formed(env)
        assert e is not None
        if e.type == "KeyRegistered":
            keys[e.body["key_id"]] = b64url_decode(e.body["public_key"])
        public = keys.get(e.key_id) or SigningKey(bytes(32)).public_key
        verify(public, e.signed_bytes, e.sig)
