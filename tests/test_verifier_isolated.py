"""`ledger verify` on a machine with only the verifier's dependencies: a fresh virtual
environment holding PyNaCl alone, and a copy of just the `ledger` modules the verifier imports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ledger.logview import LogView

from .bundles import export, export_all, populate, trust_file
from .conftest import World

ROOT = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).parent / "uv"
SERVER_PACKAGES = ("orjson", "psycopg", "eventsourcing", "fastapi", "rfc8785", "cryptography")


def _closure(bundle: Path, trust: Path) -> list[str]:
    """The files of the `ledger` modules loaded while verifying (in worker processes too)."""
    script = textwrap.dedent(f"""
        import json, sys
        from ledger.verify.command import main
        code = main([{str(bundle)!r}, "--trust", {str(trust)!r}, "--workers", "2"])
        assert code == 0, code
        print(json.dumps(sorted({{m.__file__ for name, m in sys.modules.items()
                                  if name.split(".")[0] == "ledger"}})))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def _uv_install(python: Path, *args: str) -> None:
    """``uv pip install`` into ``python``'s environment, from the cache when it can."""
    command = [str(UV), "pip", "install", "--quiet", "--python", str(python), *args]
    if subprocess.run(command, env={**os.environ, "UV_OFFLINE": "1"}).returncode != 0:
        subprocess.run(command, check=True)


def _auditor_venv(where: Path) -> Path:
    """A fresh virtual environment holding PyNaCl (and its own dependencies) alone."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    _uv_install(python, "pynacl==1.6.2")
    return python


@pytest.fixture(scope="module")
def verifier_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _auditor_venv(tmp_path_factory.mktemp("auditor"))


def _verify_clean_and_tampered(python: Path, env: dict[str, str], cwd: Path, bundles: list[Path],
                               trust: Path) -> None:
    """Every bundle verifies (exit 0), and one byte changed in the whole-log bundle (the last
    of ``bundles``) is named (exit 1)."""
    def ledger_verify(bundle: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), "-m", "ledger.verify", str(bundle),
                               "--trust", str(trust), "--workers", "2"],
                              cwd=cwd, env=env, capture_output=True, text=True)

    for package in SERVER_PACKAGES:      # the auditor's machine really lacks the server's stack
        probe = subprocess.run([str(python), "-c", f"import {package}"], env=env,
                               capture_output=True)
        assert probe.returncode != 0, package
    for bundle in bundles:
        done = ledger_verify(bundle)
        assert done.returncode == 0, done.stderr + done.stdout
        assert done.stdout.startswith("OK: ")

    lines = bundles[-1].read_bytes().splitlines(keepends=True)
    edited = lines[5].replace(b'"note":"step 0', b'"note":"STEP 0')    # index 3
    assert edited != lines[5]
    lines[5] = edited
    tampered = cwd / "tampered.ndjson"
    tampered.write_bytes(b"".join(lines))
    done = ledger_verify(tampered)
    assert done.returncode == 1, done.stderr
    assert "index 3 event" in done.stdout and "signature does not verify" in done.stdout


def test_verifier_runs_with_only_the_standard_library_and_pynacl(
        world: World, log_view: LogView, log_key, tmp_path: Path, verifier_venv: Path) -> None:
    populate(world)
    log_view.issue_checkpoint()
    case, whole = tmp_path / "case.ndjson", tmp_path / "all.ndjson"
    export(world, log_view, case)
    export_all(world, log_view, whole)
    trust = trust_file(tmp_path, world, log_key)

    files = _closure(whole, trust)
    names = {str(Path(f).relative_to(ROOT)) for f in files}
    assert names.isdisjoint({"ledger/canonical.py", "ledger/envelope.py", "ledger/keys.py",
                             "ledger/store.py", "ledger/service.py"}), names
    names.add("ledger/verify/__main__.py")         # the entry point `python -m ledger.verify`
    copy = tmp_path / "auditor-src"
    for name in names:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, copy / name)

    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(copy), "PYTHONNOUSERSITE": "1",
           "LEDGER_HOME": str(tmp_path / "no-home")}
    _verify_clean_and_tampered(verifier_venv, env, tmp_path, [case, whole], trust)


@pytest.fixture(scope="module")
def auditor_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """README "On an auditor's machine": PyNaCl, then the project's wheel without its
    dependencies, in a fresh virtual environment; returns its python."""
    tmp_path = tmp_path_factory.mktemp("auditor-install")
    source = tmp_path / "source"       # a copy, so the build leaves nothing in the checkout
    for name in ("pyproject.toml", "README.md"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    for package in ("ledger", "api", "projections"):
        shutil.copytree(ROOT / package, source / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    build = [str(UV), "build", "--wheel", "--quiet", "--out-dir", str(wheels), str(source)]
    if subprocess.run(build, env={**os.environ, "UV_OFFLINE": "1"}).returncode != 0:
        subprocess.run(build, check=True)
    python = _auditor_venv(tmp_path / "auditor")
    _uv_install(python, "--no-deps", *map(str, wheels.glob("*.whl")))
    return python


def test_the_readmes_auditor_install_verifies_with_no_server_package(
        world: World, log_view: LogView, log_key, tmp_path: Path, auditor_install: Path) -> None:
    """`python -m ledger.verify` works in the auditor's install (the wheel's server modules are
    there but unusable, and the verifier never imports them)."""
    populate(world)
    log_view.issue_checkpoint()
    whole = tmp_path / "all.ndjson"
    export_all(world, log_view, whole)
    trust = trust_file(tmp_path, world, log_key)

    env = {"PATH": os.environ["PATH"], "PYTHONNOUSERSITE": "1",
           "LEDGER_HOME": str(tmp_path / "no-home")}
    _verify_clean_and_tampered(auditor_install, env, tmp_path, [whole], trust)


def test_the_ledger_command_of_the_auditors_install_verifies_and_says_what_else_it_lacks(
        world: World, log_view: LogView, log_key, tmp_path: Path, auditor_install: Path) -> None:
    """The wheel installs the `ledger` command too: it was an orjson ModuleNotFoundError
    traceback for every verb, `ledger verify` included (building its parser imported the demo's
    generator). `ledger verify` now verifies; a verb that needs the server's packages says which
    one is missing and exits 2."""
    populate(world)
    log_view.issue_checkpoint()
    whole = tmp_path / "all.ndjson"
    export_all(world, log_view, whole)
    trust = trust_file(tmp_path, world, log_key)
    ledger = auditor_install.parent / "ledger"
    env = {"PATH": os.environ["PATH"], "PYTHONNOUSERSITE": "1",
           "LEDGER_HOME": str(tmp_path / "no-home")}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(ledger), *argv], cwd=tmp_path, env=env, capture_output=True,
                              text=True)

    done = run("verify", str(whole), "--trust", str(trust), "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: ")
    assert run("--help").returncode == 0
    for argv in (["flags", str(whole)], ["tokens", "list"]):
        done = run(*argv)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith(f"ledger {argv[0]}: this installation lacks the package "
                                      "'"), done.stderr
        assert "`ledger verify`" in done.stderr


def test_a_pool_worker_ends_on_sigterm_whatever_handler_it_inherited() -> None:
    """A SIGTERM handler that only sets a flag (a server's graceful exit), inherited from the
    process that forked the verifier's workers: the pool's terminate() sends them SIGTERM, and
    one still waiting for its queue's lock (which terminate() holds) waited for ever, and the
    verification with it (seen once in CI)."""
    import signal

    from ledger.verify.worker import Context, init_worker
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        init_worker(Context(root=bytes(32), tree_size=0, whole_log=True))
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, previous)
