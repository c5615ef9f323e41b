"""The inspectors' dashboard end to end, in headless Chromium (Debian's ``chromium`` driven by
Playwright through ``executable_path``; never a downloaded browser), against a real uvicorn
server holding a small synthetic city loaded through the real API."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.app import asgi, create_app
from ledger.client import LedgerClient, sign_envelope
from ledger.crypto import SigningKey, b64url_encode
from ledger.domain import vocabulary
from ledger.logview import LogView
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from ledger.synth import CityParams, SyntheticCity
from ledger.synth.cli import load
from ledger.tokens import new_token, token_hash
from projections.runner import ProjectionRunner

from .pg import Cluster

pytestmark = pytest.mark.browser

ROOT_ID = "root-1"
ROOT = SigningKey(bytes(range(32)))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NO_BROWSER = ("install Debian's chromium (apt-get install chromium) to run the browser tests; "
              ".ci/run does this")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DemoCity:
    """A served ledger with a small synthetic city, a dashboard key and tokens."""

    base: str
    owner_url: str
    ledger: Ledger
    app: Any
    tokens: dict[str, str]
    units: list[str]

    def get(self, path: str, who: str = "inspector", **params: Any) -> Any:
        response = httpx.get(self.base + path, params=params,
                             headers={"Authorization": f"Bearer {self.tokens[who]}"}, timeout=30)
        response.raise_for_status()
        return response.json()


def _token(owner_url: str, principal: str, roles: list[str], units: list[str]) -> str:
    token = new_token()
    owner = LedgerStore(datastore_from_url(owner_url, pool_size=1, max_overflow=0))
    owner.insert_token(token_hash(token), principal, roles, units)
    owner.close()
    return token


@contextmanager
def demo_city(cluster: Cluster, *, seed: int = 7) -> Iterator[DemoCity]:
    """Serve a fresh database on a free port (uvicorn in a thread), load the tiny synthetic
    city over HTTP, project it, sign a checkpoint, and yield the handles."""
    import uvicorn

    owner_url, app_url = cluster.new_database()
    store = LedgerStore(datastore_from_url(app_url), url=app_url)
    ledger = Ledger(store, root_keys={ROOT_ID: ROOT.public_key}, types=vocabulary)
    log = LogView(store, origin="integrity-ledger.test/log", key_name="integrity-ledger.test/log",
                  signing_key=SigningKey.generate())
    dashboard_key = SigningKey.generate()
    app = create_app(ledger, log=log, dashboard_key=dashboard_key)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(asgi(app), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    runner = None
    try:
        poster = _token(owner_url, "demo-loader", ["poster"], [])
        http = httpx.Client(base_url=base, timeout=60)
        client = LedgerClient(base, poster, http=http, retries=0, batch_size=500)
        client.post(sign_envelope(ROOT, ROOT_ID, stream="keys", type="KeyRegistered", body={
            "key_id": "dashboard", "public_key": b64url_encode(dashboard_key.public_key),
            "principal": "dashboard", "roles": ["inspector"], "not_before": None,
            "not_after": None}))
        city = SyntheticCity(CityParams.scale("tiny", seed=seed), root_key=ROOT,
                             root_key_id=ROOT_ID)
        load(city, client, progress=False)
        http.close()
        app.state.views.run_until_idle()
        app.state.flags.run_until_idle()
        log.issue_checkpoint()
        runner = ProjectionRunner(store.connect, [app.state.views, app.state.flags],
                                  poll_seconds=0.2)
        runner.start()
        units = _units(owner_url)
        tokens = {
            "inspector": _token(owner_url, "jw-inspector-01", ["inspector"], []),
            "auditor": _token(owner_url, "sj-auditor-01", ["auditor"], []),
            "poster": poster,
            "scoped": _token(owner_url, "jw-scoped-01", ["inspector"], [units[0]]),
        }
        yield DemoCity(base=base, owner_url=owner_url, ledger=ledger, app=app, tokens=tokens,
                       units=units)
    finally:
        if runner is not None:
            runner.stop()
        server.should_exit = True
        thread.join(timeout=10)
        ledger.close()
        store.close()
        cluster.drop(owner_url)


def _units(owner_url: str) -> list[str]:
    import psycopg
    with psycopg.connect(owner_url) as conn:
        return [r[0] for r in conn.execute(
            "SELECT DISTINCT state->>'unit_id' FROM view_cases ORDER BY 1").fetchall()]


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip(NO_BROWSER)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def served(cluster: Cluster, browser: Any) -> Iterator[DemoCity]:
    with demo_city(cluster) as city:
        yield city


@pytest.fixture
def page(browser: Any, served: DemoCity) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Any, city: DemoCity, who: str = "inspector") -> None:
    page.goto(city.base + "/ui/")
    page.fill("#token", city.tokens[who])
    page.click("#signin")


def case_flag(city: DemoCity, rule: str) -> dict[str, Any]:
    """A raised, open flag of ``rule`` about a case."""
    flags = city.get("/v1/flags", rule=rule, status="raised", disposition="open",
                     limit=100)["flags"]
    return next(f for f in flags if f["subject"]["case_id"] and f["event_ids"])


# --- the inspector's path ---------------------------------------------------------------------

def test_inspector_signs_in_and_sees_the_queue_of_the_city(page: Any, served: DemoCity) -> None:
    sign_in(page, served)
    page.wait_for_selector("#queue-table tr.flag-row")
    assert page.locator("#who").inner_text().startswith("jw-inspector-01")
    assert page.locator("tr.flag-row").count() == 50        # one page, never everything
    assert page.locator("#queue-more").is_visible()


def test_queue_filters_to_one_rule(page: Any, served: DemoCity) -> None:
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.select_option("#f-rule", "RF04")
    page.wait_for_url(re.compile(r".*#/queue\?rule=RF04$"))
    page.wait_for_function("() => [...document.querySelectorAll('tr.flag-row')].length > 0 && "
                           "[...document.querySelectorAll('tr.flag-row')].every("
                           "r => r.dataset.rule === 'RF04')")
    rules = page.eval_on_selector_all("tr.flag-row", "rows => rows.map(r => r.dataset.ruleId)")
    expected = served.get("/v1/flags", rule="RF04", limit=50)["flags"]
    assert rules == [f["rule_id"] for f in expected]
    names = page.locator("tr.flag-row").first.inner_text()
    assert expected[0]["name"]["zh"] in names and expected[0]["name"]["en"] in names


def test_flagged_case_opens_with_its_triggering_events_highlighted(page: Any,
                                                                   served: DemoCity) -> None:
    flag = case_flag(served, "RF04")
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/queue?rule=RF04")
    page.click(f"tr.flag-row[data-flag-id='{flag['flag_id']}'] a[href*='#/case/']")
    page.wait_for_selector("#trail-table tr.trail-row")
    highlighted = page.eval_on_selector_all(
        "tr.trail-row.triggering",
        "rows => rows.map(r => [r.dataset.eventId, r.dataset.triggering])")
    assert sorted(eid for eid, _ in highlighted) == sorted(flag["event_ids"])
    assert {fid for _, fid in highlighted} == {flag["flag_id"]}
    assert page.locator(f".flag-card.focus[data-flag-id='{flag['flag_id']}']").count() == 1
    statuses = page.eval_on_selector_all(
        "tr.trail-row:not(.disposition) td.verify",
        "cells => cells.map(c => [c.dataset.signature, c.dataset.chain, c.dataset.inclusion])")
    assert statuses and all(s == ["true", "true", "included"] for s in statuses)


def test_dismissal_with_a_reason_appears_as_a_signed_event_in_the_case_trail(
        page: Any, served: DemoCity) -> None:
    flag = case_flag(served, "RF05")
    case_id = flag["subject"]["case_id"]
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{case_id}?flag={flag['flag_id']}")
    form = page.locator(f"form.dispose[data-flag-id='{flag['flag_id']}']")
    form.locator("select[name=action]").select_option("dismiss")
    form.locator("select[name=reason_code]").select_option("legitimate_exception")
    form.locator("textarea[name=reason]").fill("节假日期间经批准延后交款，有审批单")
    form.locator("button[type=submit]").click()
    form.locator(".dispose-result.notice").wait_for()
    row = page.locator(f"tr.trail-row.disposition[data-type='FlagDismissed']"
                       f"[data-flag-id='{flag['flag_id']}']")
    row.wait_for()
    assert row.get_attribute("data-signer-principal") == "dashboard"
    assert row.locator("td.verify").get_attribute("data-signature") == "true"
    row.locator("summary").click()
    body = row.locator("pre").inner_text()
    assert '"inspector_id": "jw-inspector-01"' in body and "有审批单" in body
    trail = served.get(f"/v1/cases/{case_id}/trail")["events"]
    (event,) = [e for e in trail if e["type"] == "FlagDismissed"]
    assert event["body"]["inspector_id"] == "jw-inspector-01"
    assert event["verification"]["signature"]["ok"] is True


def test_officer_page_renders_the_positions_chart(page: Any, served: DemoCity) -> None:
    officer = next(o for o in _officers_with_fines(served))
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/officer/{officer}")
    page.wait_for_selector("svg#positions-chart circle.pt-self")
    assert page.locator("svg#positions-chart circle.pt-self").count() >= 1
    assert page.locator("svg#positions-chart circle.pt-peer").count() >= 1
    assert page.locator("#pledge-status").inner_text()


def _officers_with_fines(city: DemoCity) -> Iterator[str]:
    import psycopg
    with psycopg.connect(city.owner_url) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT officer_id FROM view_officers WHERE (state->'caseload'->>'decisions')::int "
            "> 5 ORDER BY officer_id").fetchall()]
    for oid in ids:
        cohorts = city.get(f"/v1/officers/{oid}/positions")["cohorts"]
        if any(len(o["decisions"]) for c in cohorts for o in c["officers"] if not o["self"]) \
                and any(o["self"] and o["decisions"] for c in cohorts for o in c["officers"]):
            yield oid


def test_language_switches_between_chinese_and_english(page: Any, served: DemoCity) -> None:
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    assert page.locator("#nav-queue").inner_text() == "红旗队列"
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-queue').textContent === "
                           "'Red-flag queue'")
    assert page.locator("#queue-table th").first.inner_text().startswith("Rule")
    page.reload()
    page.wait_for_selector("tr.flag-row")
    assert page.locator("#nav-queue").inner_text() == "Red-flag queue"     # remembered
    page.click("#lang-toggle")
    page.wait_for_function(
        "() => document.querySelector('#nav-queue').textContent === '红旗队列'")


def test_a_poster_token_cannot_open_the_dashboard(page: Any, served: DemoCity) -> None:
    sign_in(page, served, "poster")
    message = page.locator("#signin-error[data-status='403']")
    message.wait_for()
    assert "无权" in message.inner_text()
    assert page.locator("#queue-table").count() == 0


def test_a_unit_scoped_inspector_sees_only_its_unit_in_the_browser(page: Any,
                                                                   served: DemoCity) -> None:
    sign_in(page, served, "scoped")
    page.wait_for_selector("tr.flag-row")
    units = page.eval_on_selector_all("tr.flag-row td:nth-child(4) .small",
                                      "cells => cells.map(c => c.textContent)")
    assert set(units) == {served.units[0]}
    other = served.get("/v1/flags", unit=served.units[1], limit=1)["flags"][0]
    page.goto(f"{served.base}/ui/#/case/{other['subject']['case_id']}")
    page.wait_for_selector("#not-found")
