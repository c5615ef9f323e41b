"""Helpers for the bundle tests: a populated ledger, export, trust files and `ledger verify`."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.bundle import BundleExport, Scope, StreamScope, WholeLog
from api.cli import main as ledger_main
from ledger.crypto import SigningKey, b64url_encode
from ledger.logview import LogView

from .conftest import LOG_ORIGIN, ROOT_ID, World

CASE = "SH-HP-2024-000123"
CASE_STREAM = f"case:{CASE}"


@dataclass
class Verdict:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def line_for(self, needle: str) -> str:
        """The one output line that mentions ``needle``."""
        found = [line for line in self.lines if needle in line]
        assert len(found) == 1, f"{needle!r} in {self.lines}"
        return found[0]


def note(world: World, key_id: str = "app", *, stream: str = CASE_STREAM, text: str = "filed",
         **kw: Any) -> dict[str, Any]:
    return world.sign(key_id, stream=stream, type="NoteRecorded", body={"note": text}, **kw)


def populate(world: World) -> dict[str, Any]:
    """Keys, a case of six events interleaved with other streams, a payment, a revocation.

    Log: 0 reg app, 1 reg till, 2 reg app2, 3..8 the case (v1..v6) with other streams between,
    then a revocation of app2 and more events.
    """
    world.register("app", ["case-app"])
    world.register("till", ["finance"])
    world.register("app2", ["case-app"])
    case = []
    for i in range(6):
        env = note(world, text=f"step {i} 占道经营")
        case.append(env)
        world.post(env)
        world.post(note(world, stream=f"case:OTHER-{i % 2}", text=f"other {i}"))
    world.post(world.sign("till", stream=CASE_STREAM, type="PaymentNoted",
                          body={"note": "fine paid", "amount_fen": 20000}))
    world.post(note(world, "app2", text="by the second app"))
    world.revoke("app2", "device lost")
    world.post(note(world, text="after the revocation"))
    return {"case": case}


def trust_file(tmp_path: Path, world: World, log_key: SigningKey) -> Path:
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps({
        "root_keys": {ROOT_ID: b64url_encode(world.root.public_key)},
        "log": {"origin": LOG_ORIGIN, "key_name": LOG_ORIGIN,
                "public_key": b64url_encode(log_key.public_key)}}))
    return path


def export(world: World, log: LogView, path: Path, scope: Scope | None = None,
           **kw: Any) -> BundleExport:
    bundle = BundleExport.prepare(world.ledger.store, log, scope or StreamScope.case(CASE),
                                  types=world.ledger.types, **kw)
    with open(path, "wb") as f:
        bundle.write(f)
    return bundle


def export_all(world: World, log: LogView, path: Path, **kw: Any) -> BundleExport:
    return export(world, log, path, WholeLog(), **kw)


def verify(bundle: Path, trust: Path, *args: str) -> Verdict:
    """Run ``ledger verify`` in-process; return its exit code and output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = ledger_main(["verify", str(bundle), "--trust", str(trust), *args])
        except SystemExit as e:       # argparse usage errors
            code = int(e.code or 0)
    return Verdict(code, out.getvalue(), err.getvalue())
