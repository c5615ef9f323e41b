"""A flag's digest (what the flag view compares to know a flag changed, and what an auditor's
``ledger flags`` output is compared by) is the SHA-256 of its RFC 8785 value. It is computed
once per flag, by whichever process evaluated it, without walking the value to check it is
inside the canonical subset: ``make_flag`` only builds flags inside it."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from projections.redflags._canon import NotHashable, digest
from projections.redflags.catalogue import RULES
from projections.redflags.flag import Flag, Subject, make_flag


def _flag(**numbers: object) -> Flag:
    return make_flag(RULES["RF06.b"], scope=Subject("case", "SH-HP-2024-G-000001"),
                     discriminator="over", params_version="v1",
                     raised_at="2024-06-01T10:00:00+08:00", event_ids=["E-1", "E-2"],
                     numbers=dict(numbers), summary="1,000.00 CNY received where 500.00 CNY "
                     "was due", summary_zh="应收 500.00 元，实收 1000.00 元",
                     case_id="SH-HP-2024-G-000001", party_ref="P-甲")


def test_the_digest_is_the_checked_canonical_hash_of_the_flag() -> None:
    f = _flag(received_fen=100_000, due_fen=50_000, late=True, note=None,
              parties=[["P-甲", 2**60]], event_type="PaymentRecorded")
    assert f.number("parties") == (("P-甲", str(2**60)),), "a big total kept as its text"
    assert f.digest() == digest(f.to_value())       # the walk that checks the subset agrees
    assert f.digest() == f.digest()


def test_a_flag_changed_by_replace_is_hashed_anew() -> None:
    """The engine overlays dispositions with ``dataclasses.replace``: the new flag's digest is
    its own, never the one computed for the flag it was made from."""
    f = _flag(received_fen=100_000)
    before = f.digest()
    g = replace(f, disposition="dismissed", disposition_event_ids=("D-1",))
    assert g.digest() != before
    assert g.digest() == digest(g.to_value())
    assert f.digest() == before


def test_a_digest_computed_in_a_forked_evaluator_travels_with_its_flag() -> None:
    f = _flag(received_fen=100_000)
    f.digest()
    back = pickle.loads(pickle.dumps(f, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == f
    assert back.__dict__.get("_digest") == f.digest() == digest(back.to_value())


def test_a_number_whose_name_is_not_ascii_is_refused_when_the_flag_is_made() -> None:
    """RFC 8785 sorts object keys by UTF-16 code units, the hash by Python's sort: only ASCII
    names sort alike. Refused when the flag is built, not when it is first hashed (by then in a
    forked evaluator or a store, far from the rule that named it)."""
    with pytest.raises(NotHashable, match=r"RF06\.b\.numbers: names must be ASCII"):
        _flag(**{"应收": 500})
    with pytest.raises(NotHashable, match="float"):
        _flag(ratio=0.5)
