"""What an auditor pins: a trust file (a home's ledger.json) that cannot pin anything is refused,
naming what is wrong, before any bundle is read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.crypto import SigningKey, b64url_encode
from ledger.verify import InvalidBundle, Trust, command

ROOT = b64url_encode(SigningKey(bytes([1]) * 32).public_key)
LOG = {"origin": "example.gov.cn/log", "key_name": "example.gov.cn/log",
       "public_key": b64url_encode(SigningKey(bytes([2]) * 32).public_key)}
GOOD = {"root_keys": {"root-1": ROOT}, "log": LOG}


def test_a_whole_trust_file_pins_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(GOOD))
    trust = Trust.from_config(path)
    assert (trust.origin, list(trust.roots)) == ("example.gov.cn/log", ["root-1"])


@pytest.mark.parametrize("data, wrong", [
    ([], "not a JSON object"),
    (None, "not a JSON object"),
    ({**GOOD, "root_keys": [ROOT]}, "root_keys must be an object {key id: public key}"),
    ({**GOOD, "log": "example.gov.cn/log"}, "log must be an object"),
    ({**GOOD, "log": {**LOG, "origin": 5}}, "log.origin must be a string"),
    ({**GOOD, "log": {**LOG, "key_name": ["example.gov.cn/log"]}},
     "log.key_name must be a string"),
])
def test_a_trust_file_of_the_wrong_shape_is_refused_naming_the_field(
        tmp_path: Path, data: Any, wrong: str) -> None:
    """Such a file was refused with Python's words ("missing or malformed list indices must be
    integers or slices, not str"), and a number for log.origin was pinned: every bundle then
    failed (exit 1, "the pinned origin is 5") as if the bundle were at fault."""
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidBundle) as refused:
        Trust.from_config(path)
    assert str(refused.value) == f"trust file {path}: {wrong}"



BOTH = ("--log-key and --root-key pin the keys without a trust file: pass them or --trust FILE, "
        "not both")


@pytest.mark.parametrize("pins, refusal", [
    (["--trust", "{home}/ledger.json", "--root-key", f"root-2={ROOT}"], BOTH),
    (["--trust", "{home}/ledger.json", "--log-key",
      "example.gov.cn/log+01234567+" + "A" * 43 + "="], BOTH),
    (["--origin", "other.gov.cn/log"],                          # LEDGER_HOME's ledger.json
     "--origin goes with --log-key; the trust file names the origin"),
])
def test_keys_given_beside_a_trust_file_are_refused_not_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        pins: list[str], refusal: str) -> None:
    """The trust file won and the key passed beside it was dropped without a word: an auditor
    who pinned the log key he had been given verified against the trust file's instead. --origin
    beside --trust was refused already; beside the home's ledger.json it was ignored."""
    (tmp_path / "ledger.json").write_text(json.dumps(GOOD))
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    args = [a.format(home=tmp_path) for a in pins]
    assert command.main([str(tmp_path / "bundle.ndjson"), *args]) == 2
    assert capsys.readouterr().err == f"ledger verify: {refusal}\n"
