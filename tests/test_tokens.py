"""Bearer tokens: listing and revoking them, and services refusing a revoked token once their
cached look-up of it is older than the cache's time to live."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from api.cli import main as ledger_main
from ledger.canonical import canonical
from ledger.errors import MalformedEvent
from ledger.store import LedgerStore, datastore_from_url
from ledger.tokens import TokenCache, token_hash

from . import domain_factory as f
from .conftest import World
from .test_readmodels import city, post_steps  # noqa: F401  (fixture)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def owner(world: World):  # noqa: ANN201
    store = LedgerStore(datastore_from_url(world.owner_url, pool_size=1, max_overflow=0))
    yield store
    store.close()


@pytest.fixture
def clock(world: World) -> Clock:
    """The app's token cache on a clock the test moves (the same cache serves every route)."""
    clock = Clock()
    state = world.http.app.app.state
    state.token_cache = TokenCache(world.ledger.store.find_token, ttl=30, clock=clock)
    world.http.app.ingest.tokens = state.token_cache
    return clock


def note(world: World, n: int) -> dict:
    return world.sign("app", stream="case:X-1", type="NoteRecorded", body={"note": f"n-{n}"})


def test_a_revoked_token_is_refused_within_the_cache_ttl_and_nothing_is_written(
        world: World, owner: LedgerStore, clock: Clock) -> None:
    world.register("app", ["case-app"])
    token = world.token("poster")
    headers = world.headers("poster")
    assert world.http.post("/v1/events", content=canonical(note(world, 1)),
                           headers=headers).status_code == 201
    assert owner.revoke_tokens(token_hash=token_hash(token)) == 1
    clock.now += 29                       # still inside the look-up's time to live
    assert world.http.post("/v1/events", content=canonical(note(world, 2)),
                           headers=headers).status_code == 201
    before = world.count()
    clock.now += 2                        # past it: the service reads the token again
    refused = world.http.post("/v1/events", content=canonical(note(world, 3)), headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "unknown bearer token"
    assert world.count() == before


def test_a_revoked_inspector_token_is_refused_on_the_framework_routes(
        world: World, owner: LedgerStore, clock: Clock) -> None:
    headers = world.headers("inspector")
    assert world.http.get("/v1/flags", headers=headers).status_code == 200
    assert owner.revoke_tokens(principal="inspector") == 1
    assert world.http.get("/v1/flags", headers=headers).status_code == 200   # cached
    clock.now += 31
    assert world.http.get("/v1/flags", headers=headers).status_code == 401


def test_revoking_by_principal_or_id_removes_only_those_tokens(world: World,
                                                              owner: LedgerStore) -> None:
    for roles, principal in ((("poster",), "app-a"), (("auditor",), "app-a"),
                             (("poster",), "app-b"), (("inspector",), "jw-007")):
        world.token(*roles, principal=principal)
    assert sorted(t["principal"] for t in owner.tokens()) == ["app-a", "app-a", "app-b",
                                                                "jw-007"]
    assert owner.revoke_tokens(principal="app-a") == 2
    [b] = [t for t in owner.tokens() if t["principal"] == "app-b"]
    assert owner.revoke_tokens(id_prefix=b["id"][:8]) == 1
    assert [t["principal"] for t in owner.tokens()] == ["jw-007"]
    assert owner.revoke_tokens(principal="nobody") == 0
    with pytest.raises(MalformedEvent, match="8 to 64"):
        owner.revoke_tokens(id_prefix="abc")
    with pytest.raises(MalformedEvent, match="exactly one"):
        owner.revoke_tokens(principal="jw-007", id_prefix=b["id"])


def test_the_cli_lists_and_revokes_tokens(world: World, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)

    def cli(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = ledger_main(list(argv))
        return code, out.getvalue(), err.getvalue()

    code, token, _ = cli("tokens", "create", "--principal", "hp-case-app", "--role", "poster")
    assert code == 0
    code, listed, _ = cli("tokens", "list", "--json")
    [row] = json.loads(listed)
    assert row["principal"] == "hp-case-app" and row["roles"] == ["poster"]
    assert row["id"] == token_hash(token.strip()).hex()[:12]
    assert token.strip() not in listed
    code, out, _ = cli("tokens", "revoke", "--token", token.strip())
    assert code == 0 and out.startswith("revoked 1 token(s)")
    assert cli("tokens", "list", "--json")[1].strip() == "[]"
    code, _, err = cli("tokens", "revoke", "--token", token.strip())
    assert code == 1 and "no token matched" in err
    code, _, err = cli("tokens", "revoke", "--id", "xyz")
    assert code == 2 and "hex digits" in err


def test_an_inspector_token_not_named_by_an_officer_id_says_rf26_cannot_see_its_holder(
        city: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RF26 matches a disposition's inspector_id (the token's principal) against officer ids;
    a token named otherwise for an inspector who is an officer was silently never judged."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", city.owner_url)
    post_steps(city, f.staff())

    def create(principal: str, role: str) -> tuple[int, str]:
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = ledger_main(["tokens", "create", "--principal", principal, "--role", role])
        return code, err.getvalue()

    code, err = create("jw-007", "inspector")
    assert code == 0 and "note: jw-007 is not an officer id on this ledger" in err
    assert "--principal <their officer id>" in err
    assert create(f.LEGAL, "inspector") == (
        0, f"ledger tokens create: {f.LEGAL} is an officer on this ledger: their dispositions "
           "of flags about them or their cases raise RF26\n")
    assert create("hp-case-app", "poster") == (0, "")          # cannot dispose of flags


@pytest.mark.parametrize("argv, message", [
    (["tokens", "create", "--principal", "p", "--role", "bogus"],
     "ledger tokens: --role: roles must be among"),
    # an empty principal or unit was stored as a name, exit 0
    (["tokens", "create", "--principal", "", "--role", "poster"],
     "ledger tokens: --principal: must not be empty\n"),
    (["tokens", "create", "--principal", "p", "--role", "inspector", "--unit", " "],
     "ledger tokens: --unit: must not be empty\n"),
    (["tokens", "revoke", "--id", "zz"],
     "ledger tokens: --id: a token id is 8 to 64 lower-case hex digits\n"),

    (["keys", "register", "--key-id", "k", "--principal", "p", "--role", "case-app",
      "--public-key", "!!"], "ledger keys: --public-key is not canonical base64url"),
    (["sign", "--key", "no-such.key", "--key-id", "k", "--stream", "case:X", "--type", "T",
      "--body", "{}"], "ledger sign: cannot read --key no-such.key: "),
])
def test_the_cli_refuses_bad_input_with_a_message_and_exit_2_not_a_traceback(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str],
        message: str) -> None:
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", world.owner_url)
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert ledger_main(argv) == 2
    assert err.getvalue().startswith(message)
    assert err.getvalue().count("\n") == 1, err.getvalue()


def test_keys_register_and_export_name_the_option_a_refusal_is_about(
        database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger keys register` refused a bad --role, --not-before or --key-id naming the field
    of the event it signs (`body.roles[0]: …`); `ledger export --since-size 99` said
    "since_size must be between 1 and …", a query parameter's name, and `--case X` of no case
    "no case X". Each names the option now, on one line, and writes nothing."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    capsys.readouterr()
    register = ["keys", "register", "--key-id", "k", "--principal", "p"]
    for argv, message in [
            ([*register, "--role", "bogus"], "ledger keys: --role: must be one of "),
            ([*register, "--role", "case-app", "--not-before", "yesterday"],
             "ledger keys: --not-before: must be an RFC 3339 date-time"),
            (["keys", "register", "--key-id", "bad id", "--principal", "p", "--role",
              "case-app"], "ledger keys: --key-id: must be a key id")]:
        assert ledger_main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err
    assert not [p for p in (tmp_path / "secrets").iterdir() if p.name.startswith(("k.", "bad"))]
    out = str(tmp_path / "x.ndjson")
    assert ledger_main(["export", "--all", "--since-size", "99", "--out", out]) == 2
    assert capsys.readouterr().err.startswith("ledger export: --since-size: ")
    assert ledger_main(["export", "--case", "NOPE", "--out", out]) == 2
    assert capsys.readouterr().err == ("ledger export: --case: no case NOPE: stream case:NOPE "
                                       "holds no event\n")
    assert not Path(out).exists()


def test_keys_register_never_overwrites_a_private_key_in_the_home(
        database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`keys register` wrote the new seed to secrets/<key_id>.key before appending: a key id
    already registered lost its private key (the append is then refused), and `--key-id
    root-1` or `--key-id log` destroyed the home's root or log key; a refused registration
    left a seed of no key behind."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    register = ["keys", "register", "--principal", "p", "--role", "case-app", "--key-id"]
    assert ledger_main([*register, "app"]) == 0
    secrets = {p.name: p.read_bytes() for p in (tmp_path / "secrets").iterdir()}
    capsys.readouterr()
    for key_id in ("app", "root-1", "log", "dashboard"):
        assert ledger_main([*register, key_id]) == 2
        assert "already exists" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (tmp_path / "secrets").iterdir()} == secrets
    # a refused registration leaves no seed behind, so the corrected command can run
    assert ledger_main(["keys", "register", "--principal", "p", "--role", "bogus",
                        "--key-id", "till"]) == 2
    assert not (tmp_path / "secrets" / "till.key").exists()
    assert ledger_main([*register, "till"]) == 0


def test_sign_with_a_key_file_that_is_not_a_32_byte_seed_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --key file holding base64url of another length was a nacl ValueError traceback."""
    key = tmp_path / "short.key"
    key.write_text("AAAAAAAAAAAAAAAAAAAAAA\n")               # 16 bytes
    assert ledger_main(["sign", "--key", str(key), "--key-id", "k", "--stream", "case:X",
                        "--type", "NoteRecorded", "--body", "{}"]) == 2
    assert "ledger sign: --key must encode 32 bytes, found 16" in capsys.readouterr().err


def test_a_damaged_key_in_the_home_is_named_not_a_traceback(
        database: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A truncated secrets/log.key (or root or dashboard key) reached the signing library and
    ended in a ValueError traceback."""
    monkeypatch.setenv("LEDGER_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_DATABASE_URL", database[0])
    assert ledger_main(["init"]) == 0
    log_key = tmp_path / "secrets" / "log.key"
    log_key.write_text(log_key.read_text().strip()[:20] + "\n")
    capsys.readouterr()
    assert ledger_main(["export", "--all", "--out", str(tmp_path / "all.ndjson")]) == 2
    assert f"{log_key} must encode 32 bytes, found 15" in capsys.readouterr().err
