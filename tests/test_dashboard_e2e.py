"""The inspectors' dashboard end to end, in headless Chromium (Debian's ``chromium`` driven by
Playwright through ``executable_path``; never a downloaded browser), against a real uvicorn
server holding a small synthetic city loaded through the real API."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from api.app import asgi, create_app
from ledger.canonical import canonical
from ledger.client import LedgerClient, sign_envelope
from ledger.crypto import SigningKey, b64url_encode
from ledger.domain import vocabulary
from ledger.logview import LogView
from ledger.service import Ledger
from ledger.store import LedgerStore, datastore_from_url
from ledger.synth import CityParams, SyntheticCity
from ledger.synth.cli import load
from ledger.tokens import new_token, token_hash
from projections.redflags.catalogue import RULES
from projections.redflags.number_names import NUMBER_NAMES
from projections.runner import ProjectionRunner

from . import domain_factory as f
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


def any_case_flag(city: DemoCity, rule: str) -> dict[str, Any]:
    """A flag of ``rule`` about a case, whatever its disposition (for tests that record none:
    the tiny city has few of a rule, and the tests that record one use them up)."""
    flags = city.get("/v1/flags", rule=rule, limit=100)["flags"]
    return next(f for f in flags if f["subject"]["case_id"] and f["event_ids"])


def first_id(city: DemoCity, select: str) -> str:
    """The least first column of ``select`` (a read-model query), in the city's database."""
    import psycopg
    with psycopg.connect(city.owner_url) as conn:
        return conn.execute(f"{select} ORDER BY 1 LIMIT 1").fetchone()[0]


def open_signed_in(page: Any, city: DemoCity, route: str, ready: str) -> None:
    """Sign in, then open ``route`` (``#/…``) and wait for the ``ready`` selector."""
    sign_in(page, city)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{city.base}/ui/{route}")
    page.wait_for_selector(ready)


# --- the inspector's path ---------------------------------------------------------------------

def test_inspector_signs_in_and_sees_the_queue_of_the_city(page: Any, served: DemoCity) -> None:
    sign_in(page, served)
    page.wait_for_selector("#queue-table tr.flag-row")
    assert page.locator("#who").inner_text().startswith("jw-inspector-01")
    assert page.locator("tr.flag-row").count() == 50        # one page, never everything
    assert page.locator("#queue-more").is_visible()


def test_a_double_click_on_load_more_loads_the_next_page_once(page: Any,
                                                              served: DemoCity) -> None:
    """Both clicks asked for the page after the same cursor, so the queue listed the same 50
    flags twice (100 rows, 50 of them repeated)."""
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.dblclick("#queue-more")
    page.wait_for_function("() => document.querySelectorAll('tr.flag-row').length >= 100")
    page.wait_for_timeout(1000)                          # a second answer would land by now
    shown = page.eval_on_selector_all("tr.flag-row", "rows => rows.map(r => r.dataset.flagId)")
    first = served.get("/v1/flags", limit=50)
    second = served.get("/v1/flags", limit=50, after=first["next"])
    assert shown == [f["flag_id"] for f in first["flags"] + second["flags"]]


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


def test_a_units_flags_by_rule_link_lists_that_rule_ids_flags(page: Any,
                                                              served: DemoCity) -> None:
    """The unit page counts flags per rule id (RF05.b) but linked to the queue of the whole
    family (RF05: RF05.b and RF05.c), which listed more flags than the row counted."""
    unit, row = next((u, r) for u in served.units
                     for rows in [served.get(f"/v1/units/{u}/overview")["flags_by_rule"]]
                     for r in rows if "." in r["rule_id"] and sum(
                         x["rule_id"].split(".")[0] == r["rule_id"].split(".")[0]
                         for x in rows) > 1)
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/unit/{unit}")
    page.click(f"#flags-by-rule a:text-is('{row['rule_id']}')")
    page.wait_for_function("() => location.hash.startsWith('#/queue') && "
                           "document.querySelectorAll('tr.flag-row').length > 0")
    page.wait_for_timeout(500)
    shown = page.eval_on_selector_all("tr.flag-row", "rows => rows.map(r => r.dataset.ruleId)")
    assert shown == [row["rule_id"]] * (row["raised"] + row["cleared"])
    assert page.locator("#f-rule_id").input_value() == row["rule_id"]


def test_a_units_flags_by_rule_table_keeps_each_rule_id_on_one_line(page: Any,
                                                                    served: DemoCity) -> None:
    """The rule column broke 'RF04.a' after its dot (the monospace cells break anywhere)."""
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/unit/{served.units[0]}")
    page.wait_for_selector("#flags-by-rule td a")
    lines = page.eval_on_selector_all("#flags-by-rule td a", "links => links.map(a => "
                                      "[a.textContent, a.getClientRects().length])")
    assert any("." in rule for rule, _ in lines)
    assert [rule for rule, n in lines if n != 1] == []
    # and an officer's flags keep their disposition on one line ('待处' / '置')
    page.goto(f"{served.base}/ui/#/officer/{next(_officers_with_fines(served))}")
    page.wait_for_selector("#officer-flags tr.flag-row")
    lines = page.eval_on_selector_all(
        "#officer-flags tr.flag-row td:last-child", "cells => cells.map(c => { "
        "const r = document.createRange(); r.selectNodeContents(c); "
        "return [c.textContent, r.getClientRects().length]; })")
    assert lines and [text for text, n in lines if n != 1] == []


def test_each_check_of_a_trail_row_stays_on_one_line(page: Any, served: DemoCity) -> None:
    """The trail's check column broke '✓ 检查点' after 检查 on the Chinese page."""
    flag = any_case_flag(served, "RF01")
    open_signed_in(page, served, f"#/case/{flag['subject']['case_id']}", "#trail-table td.verify")
    lines = page.eval_on_selector_all("td.verify .st", "marks => marks.map(m => "
                                      "[m.textContent, m.getClientRects().length])")
    assert lines and [mark for mark, n in lines if n != 1] == []


def test_the_queue_sort_is_kept_in_the_url_and_works_from_the_keyboard(
        page: Any, served: DemoCity) -> None:
    """A header sorted the loaded rows only until the page was reloaded or the link shared,
    and the headers could only be clicked: no keyboard focus reached them."""
    rank = ["critical", "high", "medium", "low"]
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.focus("#queue-table th[data-key='severity'] button")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash.includes('sort=severity')")
    page.reload()
    page.wait_for_selector("tr.flag-row")
    shown = page.eval_on_selector_all(
        "tr.flag-row td:nth-child(3) .badge",
        "badges => badges.map(b => [...b.classList].find(c => c.startsWith('sev-')).slice(4))")
    assert len(shown) == 50 and len(set(shown)) > 1
    assert [rank.index(x) for x in shown] == sorted(rank.index(x) for x in shown)
    page.focus("#queue-table th[data-key='severity'] button")
    page.keyboard.press("Enter")                      # again: the other way
    page.wait_for_function("() => location.hash.includes('dir=desc')")
    shown = page.eval_on_selector_all(
        "tr.flag-row td:nth-child(3) .badge",
        "badges => badges.map(b => [...b.classList].find(c => c.startsWith('sev-')).slice(4))")
    assert [rank.index(x) for x in shown] == sorted((rank.index(x) for x in shown),
                                                    reverse=True)


def test_the_rule_filter_offers_every_rule_of_the_catalogue(page: Any, served: DemoCity) -> None:
    """RF27 (supervision) was missing from the select: its flags could not be filtered to."""
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    offered = page.eval_on_selector_all("#f-rule option", "os => os.map(o => o.value)")
    assert offered == ["", *sorted({r.split(".")[0] for r in RULES})]


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


def test_a_double_click_on_a_disposition_records_it_once(page: Any, served: DemoCity) -> None:
    """Each submission of the form signs a new event, so the second click of a double-click
    (sent before the first answer came back) recorded the disposition twice."""
    flag = case_flag(served, "RF04")
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url)
            if r.method == "POST" and r.url.endswith("/dispositions") else None)
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}")
    form = page.locator(f"form.dispose[data-flag-id='{flag['flag_id']}']")
    form.locator("select[name=action]").select_option("acknowledge")
    form.locator("button[type=submit]").dblclick()
    form.locator(".dispose-result.notice").wait_for()
    page.locator(f"tr.trail-row.disposition[data-type='FlagAcknowledged']"
                 f"[data-flag-id='{flag['flag_id']}']").first.wait_for()
    assert len(posted) == 1, posted
    assert form.locator("button[type=submit]").is_enabled()     # ready for the next one


def test_a_flag_card_shows_the_disposition_just_recorded(page: Any, served: DemoCity) -> None:
    """After "recorded as signed event …" the card still read 触发 · 待处置 (raised, open): a
    confirmed flag looked untouched until the page was reloaded."""
    flag = case_flag(served, "RF02")
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}")
    card = page.locator(f".flag-card[data-flag-id='{flag['flag_id']}']")
    status = card.locator(".toolbar > span.small.muted")
    assert status.inner_text() == "触发 · 待处置"
    form = card.locator("form.dispose")
    form.locator("select[name=action]").select_option("confirm")
    form.locator("textarea[name=finding]").fill("证件已过期仍执法，经核查属实")
    form.locator("button[type=submit]").click()
    form.locator(".dispose-result.notice").wait_for()
    assert status.inner_text() == "触发 · 已确认"
    for _ in range(300):                      # what the queue shows once the projections ran
        (listed,) = [f for f in served.get("/v1/flags", case=flag["subject"]["case_id"],
                                           limit=500)["flags"] if f["flag_id"] == flag["flag_id"]]
        if listed["disposition"] != "open":
            break
        time.sleep(0.1)
    assert listed["disposition"] == "confirmed"


def test_a_flag_card_lists_its_disposition_history(page: Any, served: DemoCity) -> None:
    """A card said only the latest disposition: who acknowledged, dismissed or referred the
    flag, when and why could be found only by opening trail rows one by one."""
    flag = case_flag(served, "RF09") if served.get(
        "/v1/flags", rule="RF09", status="raised", disposition="open")["flags"] \
        else case_flag(served, "RF12")
    target = f"{served.base}/ui/#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}"
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(target)
    card = page.locator(f".flag-card[data-flag-id='{flag['flag_id']}']")
    history = card.locator(".flag-history li")
    card.wait_for()
    assert history.count() == 0
    form = card.locator("form.dispose")
    form.locator("select[name=action]").select_option("acknowledge")
    form.locator("textarea[name=note]").fill("已调取卷宗")
    form.locator("button[type=submit]").click()
    form.locator(".dispose-result.notice").wait_for()
    form.locator("select[name=action]").select_option("refer")
    form.locator("select[name=referred_to]").select_option("legal_office")
    form.locator("input[name=referral_no]").fill("JW-2025-017")
    form.locator("button[type=submit]").click()
    page.wait_for_function(f"() => document.querySelectorAll(\".flag-card[data-flag-id="
                           f"'{flag['flag_id']}'] .flag-history li\").length === 2")
    page.reload()
    card.wait_for()
    page.wait_for_function(f"() => document.querySelectorAll(\".flag-card[data-flag-id="
                           f"'{flag['flag_id']}'] .flag-history li\").length === 2")
    lines = history.all_inner_texts()
    assert "已受理" in lines[0] and "jw-inspector-01" in lines[0] and "已调取卷宗" in lines[0]
    assert "已移送" in lines[1] and "法制机构" in lines[1] and "JW-2025-017" in lines[1]
    assert "+08:00" in lines[0]


def test_a_disposition_the_engine_did_not_apply_is_marked_so_in_the_history(
        page: Any, served: DemoCity) -> None:
    """A dismissal signed by a key of another unit is recorded (by the ledger core, which knows
    no flags, or before the door refused flags it does not hold) but not applied (RF28): the
    card listed it in the flag's history as any dismissal, beside a status still open, so the
    flag read as dismissed by that inspector. It is marked not applied; one the dashboard records after it
    is applied and unmarked."""
    flag = case_flag(served, "RF12")
    other = next(u for u in served.units if u != flag["subject"]["unit_id"])
    key = SigningKey(bytes(range(5, 37)))
    served.ledger.append(canonical(sign_envelope(
        ROOT, ROOT_ID, stream="keys", type="KeyRegistered", body={
            "key_id": "e2e-other-unit", "public_key": b64url_encode(key.public_key),
            "principal": "jw-other", "roles": ["inspector"], "not_before": None,
            "not_after": None, "units": [other]})))
    foreign = sign_envelope(key, "e2e-other-unit", stream=f"flag:{flag['flag_id']}",
                            type="FlagDismissed", body={
                                "rule_id": flag["rule_id"], "inspector_id": "JW-OTHER-01",
                                "reason_code": "false_positive", "reason": "不属实"})
    served.ledger.append(canonical(foreign))      # past the door, which would refuse it
    for _ in range(100):
        raised = served.get("/v1/flags", rule="RF28", case=flag["subject"]["case_id"])["flags"]
        if raised:
            break
        time.sleep(0.1)
    assert [r["event_ids"][0] for r in raised] == [foreign["event_id"]]
    target = f"{served.base}/ui/#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}"
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(target)
    card = page.locator(f".flag-card[data-flag-id='{flag['flag_id']}']")
    line = card.locator(f".flag-history li[data-event-id='{foreign['event_id']}']")
    line.wait_for()
    assert "not-applied" in (line.get_attribute("class") or "")
    assert "RF28" in line.inner_text() and "未生效" in line.inner_text()
    form = card.locator("form.dispose")
    form.locator("select[name=action]").select_option("acknowledge")
    form.locator("button[type=submit]").click()
    page.wait_for_function(f"() => document.querySelectorAll(\".flag-card[data-flag-id="
                           f"'{flag['flag_id']}'] .flag-history li\").length === 2")
    assert card.locator(".flag-history li.not-applied").count() == 1
    assert card.locator(".flag-history li[data-type='FlagAcknowledged']").get_attribute(
        "class") in (None, "")


def test_the_disposition_form_names_its_choices_in_the_chosen_language(
        page: Any, served: DemoCity) -> None:
    """The reasons to dismiss and the offices to refer to were offered as code names
    (false_positive, legitimate_exception, supervision_commission…) on the Chinese page, and
    the disposition history repeated them."""
    flag = case_flag(served, "RF01")
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}")
    form = page.locator(f"form.dispose[data-flag-id='{flag['flag_id']}']")
    form.locator("select[name=action]").select_option("dismiss")
    reasons = form.locator("select[name=reason_code] option").all_inner_texts()
    form.locator("select[name=action]").select_option("refer")
    offices = form.locator("select[name=referred_to] option").all_inner_texts()
    values = form.locator("select[name=referred_to] option").evaluate_all(
        "os => os.map(o => o.value)")
    assert len(reasons) == 5 and len(offices) == 5 and "procuratorate" in values
    assert [x for x in reasons + offices if re.search(r"[A-Za-z]{2}", x)] == []
    form.locator("select[name=referred_to]").select_option("procuratorate")
    form.locator("button[type=submit]").click()
    card = page.locator(f".flag-card[data-flag-id='{flag['flag_id']}']")
    page.wait_for_function(f"() => [...document.querySelectorAll(\".flag-card[data-flag-id="
                           f"'{flag['flag_id']}'] .flag-history li\")].some(li => "
                           "li.dataset.type === 'FlagReferred')")
    line = card.locator(".flag-history li[data-type='FlagReferred']").last.inner_text()
    assert "检察院" in line and "procuratorate" not in line


def test_a_flag_about_no_case_is_disposed_of_from_the_queue(page: Any, served: DemoCity) -> None:
    """Only a case page held a disposition form, so a flag about an officer (RF17, RF20.c), a
    unit (RF24) or a notice (RF27) could be read in the queue but not disposed of."""
    flag = next(f for f in served.get("/v1/flags", status="raised", disposition="open",
                                      limit=500)["flags"] if not f["subject"]["case_id"])
    where = {"rule": flag["rule"], "unit": flag["subject"]["unit_id"],
             "officer": flag["subject"]["officer_id"]}
    query = "&".join(f"{k}={v}" for k, v in where.items() if v)
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/queue?{query}")
    row = page.locator(f"tr.flag-row[data-flag-id='{flag['flag_id']}']")
    row.locator("button.flag-open").click()
    card = page.locator(f"tr.flag-detail .flag-card[data-flag-id='{flag['flag_id']}']")
    card.wait_for()
    assert flag["summary_zh"] in card.inner_text()         # the page is in Chinese
    form = card.locator("form.dispose")
    form.locator("select[name=action]").select_option("acknowledge")
    form.locator("button[type=submit]").click()
    form.locator(".dispose-result.notice").wait_for()
    assert card.locator(".toolbar > span.small.muted").inner_text() == "触发 · 已受理"
    for _ in range(300):
        (listed,) = [f for f in served.get("/v1/flags", rule=flag["rule"], limit=500)["flags"]
                     if f["flag_id"] == flag["flag_id"]]
        if listed["disposition"] != "open":
            break
        time.sleep(0.1)
    assert listed["disposition"] == "acknowledged"


def test_the_verify_line_names_the_bundle_file_just_downloaded(page: Any, served: DemoCity,
                                                               tmp_path: Any) -> None:
    """The line under the download button always read `ledger verify bundle.ndjson`, but the
    file is saved as the service names it (bundle-case-<size>.ndjson): pasted as shown, the
    check failed on a missing file."""
    flag = any_case_flag(served, "RF04")
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{flag['subject']['case_id']}")
    with page.expect_download() as caught:
        page.click("#bundle-download")
    download = caught.value
    name = download.suggested_filename
    assert name.startswith("bundle-case-") and name.endswith(".ndjson")
    page.wait_for_function("() => document.querySelector('#verify-command').textContent"
                           f" === 'ledger verify {name}'")
    saved = tmp_path / name
    download.save_as(saved)
    assert saved.read_bytes().count(b"\n") > 1


def test_officer_page_renders_the_positions_chart(page: Any, served: DemoCity) -> None:
    officer = next(o for o in _officers_with_fines(served))
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/officer/{officer}")
    page.wait_for_selector("svg#positions-chart circle.pt-self")
    data = served.get(f"/v1/officers/{officer}/positions")
    rows = [r for w in data["windows"] for r in w["rows"]]
    assert page.locator("svg#positions-chart circle.pt-self").count() == sum(
        len(r["own"]) for r in rows)
    assert page.locator("svg#positions-chart circle.pt-peer").count() == sum(
        len(r["peer_positions_bp"]) for r in rows)
    assert page.locator("svg#positions-chart g.pos-row[data-compared='true'] line.median").count()
    assert page.locator("svg#positions-chart g.pos-row[data-compared='false']").count() == sum(
        not r["compared"] for r in rows)
    # one summary line per window: the mean residual, n, and the RF17 flag (or none)
    summaries = page.locator("#positions-windows li.window-summary")
    assert summaries.count() == len([w for w in data["windows"] if w["rows"]])
    first = data["windows"][0]
    assert f"{first['window'][0]}–{first['window'][1]}" in summaries.first.inner_text()
    assert str(first["n_compared"]) in summaries.first.inner_text()
    assert page.locator("#pledge-status").inner_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_positions_charts_row_labels_end_before_the_plot(page: Any, served: DemoCity,
                                                             lang: str) -> None:
    """A row's labels ('OUTDOOR_BIZ_SH · legal person or other organisation', '¥500.00–¥5,000.00
    · 3 other officers, 12 cases') ran into the plot, over the points at its left end."""
    page.add_init_script(f"localStorage.setItem('il.lang', '{lang}')")
    open_signed_in(page, served, f"#/officer/{next(_officers_with_fines(served))}",
                   "svg#positions-chart circle.pt-self")
    plot_left, overflow = page.evaluate("""() => {
        const svg = document.querySelector('svg#positions-chart');
        const left = Math.min(...[...svg.querySelectorAll('g.pos-row circle, line.median')]
                              .map(c => c.getBBox().x).concat([...svg.querySelectorAll(
                                 'line.axis')].map(l => l.x1.baseVal.value)));
        return [left, [...svg.querySelectorAll('text.pos-label, text.small')]
            .map(t => [t.textContent, t.getBBox().x + t.getBBox().width])
            .filter(([, right]) => right > left)];
    }""")
    assert plot_left > 100 and overflow == []


def _officers_with_fines(city: DemoCity) -> Iterator[str]:
    import psycopg
    with psycopg.connect(city.owner_url) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT officer_id FROM view_officers WHERE (state->'caseload'->>'decisions')::int "
            "> 5 ORDER BY officer_id").fetchall()]
    for oid in ids:
        windows = city.get(f"/v1/officers/{oid}/positions")["windows"]
        if any(r["compared"] and r["own"] for w in windows for r in w["rows"]):
            yield oid


def test_the_officer_page_labels_its_tables_in_the_chosen_language(page: Any,
                                                                  served: DemoCity) -> None:
    """The credentials and posts tables, the caseload and the officer's kind were labelled
    in English code names (cert, valid_until, summary_decisions, decided_fen…) on the
    Chinese page, where every other label is Chinese."""
    officer = next(_officers_with_fines(served))
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/officer/{officer}")
    page.wait_for_selector("#credentials")
    labels = page.eval_on_selector_all(
        "#credentials th, #posts th, #caseload dt, #officer-facts dt, "
        "#credentials td:last-child", "cells => cells.map(c => c.textContent)")
    assert len(labels) > 20
    latin = [x for x in labels if re.search(r"[A-Za-z]{2}", re.sub(r"\d{4}-[-\d :+]*", "", x))]
    assert latin == []


def test_the_case_page_names_its_state_deadlines_and_payments_in_the_chosen_language(
        page: Any, served: DemoCity) -> None:
    """On the Chinese page a case read 状态 ARCHIVED, its deadlines payment, service,
    summary_filing…, its payments table was headed 'channel' and '¥' with channels such as
    designated_bank, and its reconciliation 'reconciled 2025-10-27 matched'."""
    import psycopg
    with psycopg.connect(served.owner_url) as conn:
        case_id = conn.execute(
            "SELECT case_id FROM view_cases WHERE state->>'state' = 'ARCHIVED' AND "
            "jsonb_array_length(state->'money'->'payments') > 0 AND "
            "state->'money'->'reconciliation'->>'status' = 'reconciled' "
            "ORDER BY case_id LIMIT 1").fetchone()[0]
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{case_id}")
    page.wait_for_selector("#deadlines")
    assert page.locator("#case-state").inner_text().startswith("已归档")
    shown = page.eval_on_selector_all(
        "#deadlines td:first-child > div:first-child, #payments th, #payments td:nth-child(2), "
        "#reconciliation", "cells => cells.map(c => c.textContent)")
    assert len(shown) > 6
    latin = [x for x in shown if re.search(r"[A-Za-z]{2}", x)]
    assert latin == []
    # each deadline's basis: the provision's code (APL, MOHURD55…), then the period in Chinese
    # (the page showed 'APL 第67条第3款 (15 days from receipt)')
    bases = page.eval_on_selector_all("#deadlines td:first-child > div:nth-child(2)",
                                      "divs => divs.map(d => d.textContent)")
    assert len(bases) >= 3
    assert [b for b in bases
            if re.search(r"[A-Za-z]{2}", re.sub(r"^[A-Z][A-Z0-9_]*", "", b))] == []


def test_the_money_panel_counts_cash_on_the_spot_as_received(page: Any,
                                                            served: DemoCity) -> None:
    """A fine collected in cash on the spot and nothing paid at the bank read 'paid ¥0.00,
    outstanding ¥0.00, cash on the spot ¥100.00': the bank payments alone were labelled paid.
    The panel now shows what was due, what was received in all and through which channel."""
    import psycopg
    with psycopg.connect(served.owner_url) as conn:
        case_id, due, received, bank, cash = conn.execute(
            "SELECT case_id, (state->'money'->'reconciliation'->>'expected_fen')::int, "
            "(state->'money'->>'received_fen')::int, (state->'money'->>'paid_fen')::int, "
            "(state->'money'->'cash'->>'collected_fen')::int FROM view_cases "
            "WHERE (state->'money'->'cash'->>'collected_fen')::int > 0 "
            "AND (state->'money'->>'paid_fen')::int = 0 ORDER BY case_id LIMIT 1").fetchone()
    open_signed_in(page, served, f"#/case/{case_id}", "#money")
    shown = page.eval_on_selector_all(
        "#money dt", "dts => dts.map(dt => [dt.textContent, dt.nextElementSibling.textContent])")
    assert shown[:6] == [["应缴", _yuan(due)], ["已收", _yuan(received)],
                         ["未缴", _yuan(max(0, due - received))], ["其中银行缴款", _yuan(bank)],
                         ["其中当场收缴", _yuan(received - bank)], ["当场收缴罚款", _yuan(cash)]]
    assert received > 0


def test_the_case_page_names_its_events_and_evidence_kinds_in_the_chosen_language(
        page: Any, served: DemoCity) -> None:
    """The timeline and the audit trail named each event by its type (PenaltyDecided,
    EvidenceRecorded…) and the evidence table its kind (video, inquiry_record) on the Chinese
    page; the names now come from the vocabulary (GET /v1/vocabulary), the type kept beside."""
    case_id = first_id(served, "SELECT case_id FROM view_cases WHERE state->>'state' = "
                       "'ARCHIVED' AND jsonb_array_length(state->'evidence') > 0")
    open_signed_in(page, served, f"#/case/{case_id}", "#trail-table tr.trail-row")
    names = page.eval_on_selector_all(
        "#trail-table tr.trail-row td:nth-child(4) > div:first-child, #timeline text.event, "
        "#evidence td:first-child", "cells => cells.map(c => c.textContent)")
    assert len(names) > 6
    assert [x for x in names if re.search(r"[A-Za-z]{2}", re.sub(r"\d{4}-[-\d :+]*", "", x))] == []
    decided = page.locator("#trail-table tr.trail-row[data-type='PenaltyDecided'] td:nth-child(4)")
    assert decided.first.inner_text().splitlines()[0] == "作出行政处罚决定"
    assert "PenaltyDecided" in decided.first.inner_text()              # the type kept beside
    page.click("#lang-toggle")
    page.wait_for_selector("#trail-table tr.trail-row")
    page.wait_for_function("() => document.querySelector(\"#trail-table tr.trail-row"
                           "[data-type='PenaltyDecided'] td:nth-child(4) div\")?.textContent "
                           "=== 'Administrative penalty decided'")


CLAIMED = "E2E-2025-S-000093"


def test_the_evidence_table_shows_a_device_signature_as_proven_or_only_claimed(
        page: Any, served: DemoCity) -> None:
    """The case page's evidence table showed no device signature at all, while the case view
    holds the body's claim (device_signed_claimed), whether the device's own key signed it
    (device_signed_proven) and the signer (read_models@23). A claim the case app typed is now
    shown as claimed only, naming its key; the bodycam's own signature as proven."""
    key = SigningKey(bytes(range(7, 39)))
    roles = sorted({"case-app", f.signer_role("CaseFiled")})
    events = [sign_envelope(ROOT, ROOT_ID, stream="keys", type="KeyRegistered", body={
        "key_id": "e2e-case-app", "public_key": b64url_encode(key.public_key),
        "principal": "sys:e2e-case-app", "roles": roles, "not_before": None,
        "not_after": None})]
    crew = [{"officer_id": "E2E-93", "cert_no": "31019999093"}]
    stream = f"case:{CLAIMED}"
    steps = [f.step(stream, "CaseFiled", f.at("2025-09-30", "09:55:00"), procedure="summary",
                    unit_id=served.units[0], officers=crew,
                    parties=[{"party_ref": "pty:e2eClaimed", "party_type": "individual"}],
                    violation_code="STALL_SH", filing_no="E2E-93", approved_by=f.DROP,
                    violation_occurred_at=f.at("2025-09-30", "09:45:00")),
             f.step(stream, "EvidenceRecorded", f.at("2025-09-30", "09:57:00"),
                    evidence_id="EV-E2E-93-1", captured_at=f.at("2025-09-30", "09:50:00"),
                    device_signed=True),
             f.step(stream, "EvidenceRecorded", f.at("2025-09-30", "09:58:00"),
                    evidence_id="EV-E2E-93-2", captured_at=f.at("2025-09-30", "09:51:00"),
                    device_signed=False)]
    events += [sign_envelope(key, "e2e-case-app", stream=s.stream, type=s.type,
                             occurred_at=s.occurred_at, body=s.body) for s in steps]
    response = httpx.post(served.base + "/v1/events", json=events, timeout=30,
                          headers={"Authorization": f"Bearer {served.tokens['poster']}"})
    assert response.status_code < 300, response.text
    case: dict[str, Any] = {}
    for _ in range(300):
        try:
            case = served.get(f"/v1/cases/{CLAIMED}")
        except httpx.HTTPStatusError:        # not projected yet
            case = {}
        if len(case.get("evidence") or ()) == 2:
            break
        time.sleep(0.1)
    assert [(e["device_signed_claimed"], e["device_signed_proven"], e["signer_key_id"])
            for e in case["evidence"]] == [(True, False, "e2e-case-app"),
                                           (False, False, "e2e-case-app")]
    cells = "#evidence td[data-signed]"
    read = "cells => cells.map(c => [c.dataset.signed, c.textContent])"
    open_signed_in(page, served, f"#/case/{CLAIMED}", cells)
    assert page.eval_on_selector_all(cells, read) == [
        ["claimed", "仅声称（未由设备密钥签名，签名密钥 e2e-case-app）"], ["none", "未声称"]]
    assert page.locator("#evidence th").nth(3).inner_text() == "设备签名"
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#evidence td[data-signed]')"
                           "?.textContent.startsWith('Claimed only')")
    assert page.eval_on_selector_all(cells, read) == [
        ["claimed", "Claimed only (not signed by the device's key; signed by e2e-case-app)"],
        ["none", "Not claimed"]]
    # the synthetic city's footage is signed by its bodycam's own key
    proven = first_id(served, "SELECT case_id FROM view_cases WHERE state->'evidence' @> "
                      "'[{\"device_signed_proven\": true}]'::jsonb")
    page.goto(f"{served.base}/ui/#/case/{proven}")
    page.wait_for_selector("#evidence td[data-signed='proven']")
    assert "Proven (signed by the device's own key)" in page.eval_on_selector_all(
        cells, "cells => cells.map(c => c.textContent)")


def test_the_english_page_names_events_and_codes_in_english(page: Any, served: DemoCity) -> None:
    """The English page showed the wire codes where the Chinese one shows names: event types
    (DecisionServed), a body's codes in the trail (left_at_address, onsite_cash_with_receipt),
    evidence kinds (inquiry_record). It shows the vocabulary's English names now, the type's
    code kept beside its name as on the Chinese page, the body below as signed."""
    english = vocabulary.labels()["codes_en"]
    case_id = first_id(served, "SELECT substr(stream, 6) FROM ledger_receipts WHERE "
                       "event_type = 'DecisionServed'")
    open_signed_in(page, served, f"#/case/{case_id}", "#trail-table tr.trail-row")
    page.click("#lang-toggle")
    row = "#trail-table tr.trail-row[data-type='DecisionServed']"
    page.wait_for_function(f"() => document.querySelector(\"{row} td:nth-child(4) div\")"
                           "?.textContent === 'Penalty decision served'")
    served_row = page.locator(row).first
    assert "DecisionServed · case:" in served_row.locator("td:nth-child(4)").inner_text()
    assert served_row.locator(".body-codes").inner_text() in set(
        english["DecisionServed.method"].values())
    assert '"method"' in served_row.locator("pre").text_content()     # the body as signed
    codes = page.eval_on_selector_all("#trail-table .body-codes",
                                      "cells => cells.map(c => c.textContent)")
    every = {name for named in english.values() for name in named.values()}
    assert len(codes) > 3
    assert [x for x in codes if not set(x.split(" · ")) <= every] == []
    kinds = page.eval_on_selector_all("#evidence td:first-child",
                                      "cells => cells.map(c => c.textContent)")
    assert kinds and set(kinds) <= set(english["EvidenceRecorded.kind"].values())
    events = page.eval_on_selector_all("#timeline text.event",
                                       "cells => cells.map(c => c.textContent)")
    named = {name["en"] for name in vocabulary.labels()["types"].values()}
    assert events and all(x.rsplit("  ", 1)[0] in named for x in events)


def test_a_flags_legal_basis_names_its_statutes_titles(page: Any, served: DemoCity) -> None:
    """A flag card's legal basis cited 'APL 第17条' and 'ZWCF 第39条' with nothing to say what
    APL or ZWCF is: each citation now carries its statute's title (a tooltip), in the page's
    language, and so does each deadline's basis."""
    from ledger.domain.statutes import STATUTES
    flag = any_case_flag(served, "RF04")
    case_id, fid = flag["subject"]["case_id"], flag["flag_id"]
    open_signed_in(page, served, f"#/case/{case_id}?flag={fid}",
                   f".flag-card[data-flag-id='{fid}'] .flag-summary")
    shown = "spans => spans.map(s => [s.textContent, s.title])"
    on_card = page.eval_on_selector_all(f".flag-card[data-flag-id='{fid}'] .cite", shown)
    on_deadlines = page.eval_on_selector_all("#deadlines .cite", shown)
    assert [text for text, _ in on_card] == flag["legal_basis"] and on_deadlines
    assert all(title == STATUTES[re.match(r"[A-Z][A-Z0-9_]*", text).group(0)][0]
               for text, title in on_card + on_deadlines)


def test_a_flag_explains_itself_in_the_chosen_language(page: Any, served: DemoCity) -> None:
    """The Chinese page showed every flag's English summary under 说明; it shows the flag's
    ``summary_zh`` now (amounts in 元), the English page its ``summary`` — on the flag card of
    its case and in the officer's flag table."""
    flag = any_case_flag(served, "RF04")
    case_id, fid = flag["subject"]["case_id"], flag["flag_id"]
    assert flag["summary_zh"] != flag["summary"] and "元" in flag["summary_zh"]
    open_signed_in(page, served, f"#/case/{case_id}?flag={fid}",
                   f".flag-card[data-flag-id='{fid}'] .flag-summary")
    summary = page.locator(f".flag-card[data-flag-id='{fid}'] .flag-summary")
    assert summary.inner_text() == flag["summary_zh"]
    page.click("#lang-toggle")
    page.wait_for_function(f"() => document.querySelector(\".flag-card[data-flag-id='{fid}'] "
                           f".flag-summary\")?.textContent === {json.dumps(flag['summary'])}")
    page.click("#lang-toggle")                              # back to Chinese for the others
    page.wait_for_function("() => document.querySelector('#nav-queue').textContent === "
                           "'红旗队列'")
    officer = next(x for x in served.get("/v1/flags", rule="RF04", limit=100)["flags"]
                   if x["subject"]["officer_id"])
    page.goto(f"{served.base}/ui/#/officer/{officer['subject']['officer_id']}")
    row = page.locator(f"#officer-flags tr.flag-row[data-flag-id='{officer['flag_id']}']")
    row.wait_for()
    assert row.locator(".flag-summary").inner_text() == officer["summary_zh"]


def test_an_officers_statistical_flag_names_its_cohort_in_words(page: Any,
                                                                 served: DemoCity) -> None:
    """An officer's RF17 flag about no case showed its scope, 'cohort:discretion|2025-Q4', where
    a case's flag shows the case: it reads 裁量统计 2025-Q4 now (the scope as its tooltip)."""
    flag = next(f for f in served.get("/v1/flags", rule="RF17", limit=500)["flags"]
                if f["scope"].startswith("cohort:discretion|") and not f["subject"]["case_id"])
    quarter = flag["scope"].rpartition("|")[2]
    open_signed_in(page, served, f"#/officer/{flag['subject']['officer_id']}",
                   f"#officer-flags tr.flag-row[data-flag-id='{flag['flag_id']}']")
    cell = page.locator(f"#officer-flags tr.flag-row[data-flag-id='{flag['flag_id']}'] "
                        f"span[title='{flag['scope']}']")
    assert cell.inner_text() == f"裁量统计 {quarter}"


def test_the_officer_page_names_complaint_categories_in_the_chosen_language(
        page: Any, served: DemoCity) -> None:
    """An officer's complaints were counted by category code (violent, arbitrary_fine)."""
    officer = first_id(served, "SELECT officer_id FROM view_officers WHERE "
                       "(state->'complaints'->>'total')::int > 0")
    open_signed_in(page, served, f"#/officer/{officer}", "#complaints dt")
    shown = page.eval_on_selector_all("#complaints dt", "cells => cells.map(c => c.textContent)")
    assert shown and set(shown) <= {"野蛮执法", "吃拿卡要", "乱罚款", "其他"}


def test_the_case_trail_names_the_codes_of_each_body(page: Any, served: DemoCity) -> None:
    """A body's codes (送达方式, outcome, measure…) were shown only as the English codes of its
    JSON; the trail row now names them beside the type, the body kept as signed."""
    case_id = first_id(served, "SELECT substr(stream, 6) FROM ledger_receipts WHERE "
                       "event_type = 'DecisionServed'")
    open_signed_in(page, served, f"#/case/{case_id}", "#trail-table tr.trail-row")
    served_row = page.locator("#trail-table tr.trail-row[data-type='DecisionServed']").first
    shown = served_row.locator(".body-codes").inner_text()
    assert shown in {"当场交付", "直接送达", "邮寄送达", "电子送达", "留置送达", "公告送达"}
    assert '"method"' in served_row.locator("pre").text_content()     # the body as signed
    codes = page.eval_on_selector_all("#trail-table .body-codes",
                                      "cells => cells.map(c => c.textContent)")
    assert len(codes) > 3
    assert [x for x in codes if re.search(r"[a-z]{2}", x)] == []


def test_the_trail_names_no_code_for_free_text_that_spells_a_javascript_property(
        page: Any, served: DemoCity) -> None:
    """A body's free text (a place, a filing number) that spelt a property every JavaScript
    object has — constructor, valueOf, __proto__ — was taken for a named code: the Chinese
    trail printed `function Object() { [native code] }` and `[object Object]` under the type,
    the English one the text itself as a code. Only the vocabulary's own names are shown."""
    case_id = first_id(served, "SELECT substr(stream, 6) FROM ledger_receipts WHERE "
                       "event_type = 'CaseFiled'")
    odd = {"place": "constructor", "filing_no": "__proto__", "grid_id": "valueOf"}

    def spelt(route: Any) -> None:
        trail = route.fetch().json()
        for e in trail["events"]:
            if e["type"] == "CaseFiled":
                e["body"]["filing_no"] = odd["filing_no"]
                where = e["body"].get("location") or {"lat_e6": 31230000, "lon_e6": 121470000}
                e["body"]["location"] = {**where, "place": odd["place"], "grid_id": odd["grid_id"]}
                assert vocabulary.validate_event("CaseFiled", e["stream"], e["body"]) == []
        route.fulfill(json=trail)

    page.route(f"**/v1/cases/{case_id}/trail", spelt)
    open_signed_in(page, served, f"#/case/{case_id}", "#trail-table tr.trail-row")
    row = page.locator("#trail-table tr.trail-row[data-type='CaseFiled']").first
    names = {name for key, named in vocabulary.labels()["codes"].items()
             if key.startswith("CaseFiled.") for name in named.values()}
    shown = row.locator(".body-codes").inner_text().split(" · ")
    assert shown and set(shown) <= names, shown      # the procedure's name, parties' types


def test_the_officer_page_names_credential_types_and_post_roles(
        page: Any, served: DemoCity) -> None:
    """The credentials table printed administrative_enforcement and the posts table team_member
    on the Chinese page."""
    officer = first_id(served, "SELECT officer_id FROM view_officers WHERE "
                       "state->'credentials' != '{}'::jsonb AND jsonb_array_length(state->'posts') > 0")
    open_signed_in(page, served, f"#/officer/{officer}", "#posts td")
    types = page.eval_on_selector_all("#credentials td:nth-child(2)",
                                      "cells => cells.map(c => c.textContent)")
    roles = page.eval_on_selector_all("#posts td:nth-child(2)",
                                      "cells => cells.map(c => c.textContent)")
    assert types and set(types) <= {"行政执法证", "执法监督证"}
    assert roles and set(roles) <= {"队员", "组长", "中队长", "单位负责人", "法制审核人员", "财务人员",
                                    "协管员"}


def test_the_officer_page_names_party_types_and_pledge_statuses(
        page: Any, served: DemoCity) -> None:
    """The positions chart printed each row's party type (individual, organisation) and the
    pledge chain each pledge's status (countersigned) as codes on the Chinese page."""
    officer = next(_officers_with_fines(served))
    open_signed_in(page, served, f"#/officer/{officer}", "svg#positions-chart text.pos-label")
    rows = page.eval_on_selector_all("svg#positions-chart text.pos-label",
                                     "cells => cells.map(c => c.textContent)")
    assert rows and {r.split(" · ")[1] for r in rows} <= {"公民", "法人或者其他组织"}
    links = page.eval_on_selector_all("#pledge-status ~ ol li:not(.muted) span.muted",
                                      "cells => cells.map(c => c.textContent)")
    assert links and [x for x in links if re.search(r"[a-z]{3}", x)] == []


def test_language_switches_between_chinese_and_english(page: Any, served: DemoCity) -> None:
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    assert page.locator("#nav-queue").inner_text() == "红旗队列"
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#nav-queue').textContent === "
                           "'Red-flag queue'")
    # the navigation is redrawn at once, the queue when its page has been fetched again
    page.wait_for_function("() => document.querySelector('#queue-table th')?.textContent"
                           ".startsWith('Rule')")
    page.reload()
    page.wait_for_selector("tr.flag-row")
    assert page.locator("#nav-queue").inner_text() == "Red-flag queue"     # remembered
    page.click("#lang-toggle")
    page.wait_for_function(
        "() => document.querySelector('#nav-queue').textContent === '红旗队列'")


def test_a_link_opened_before_signing_in_opens_after_it(page: Any, served: DemoCity) -> None:
    """The token lives in one tab, so a case link pasted into a new tab (or a page whose session
    ended) shows the sign-in form; signing in then always went to the queue, and the link was
    lost."""
    flag = any_case_flag(served, "RF04")
    target = f"#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}"
    page.goto(f"{served.base}/ui/{target}")
    page.fill("#token", served.tokens["inspector"])
    page.click("#signin")
    page.locator(f".flag-card.focus[data-flag-id='{flag['flag_id']}']").wait_for()
    assert page.url.endswith(target)


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


def post_fined_twice(city: DemoCity) -> dict[str, Any]:
    """Post, through the real API, a vendor fined by the second unit and then, for the same
    act, by the scoped unit (RF14 of the scoped unit's case, naming the other case); returns
    that flag as an inspector of every unit sees it, once the projections show it."""
    key = SigningKey(bytes(range(2, 34)))
    roles = sorted({f.signer_role(t) for t in ("CaseFiled", "PenaltyDecided")})
    events = [sign_envelope(ROOT, ROOT_ID, stream="keys", type="KeyRegistered", body={
        "key_id": "e2e-cases", "public_key": b64url_encode(key.public_key),
        "principal": "e2e-cases", "roles": roles, "not_before": None, "not_after": None})]
    party = {"party_ref": "pty:e2eFinedTwice", "party_type": "individual"}
    for case_id, unit, decided in ((CROSS_THEIRS, city.units[1], "09:58:00"),
                                   (CROSS_MINE, city.units[0], "10:05:00")):
        crew = [{"officer_id": f"E2E-{case_id[-2:]}", "cert_no": "31019999001"}]
        steps = [f.step(f"case:{case_id}", "CaseFiled", f.at("2025-09-30", "09:55:00"),
                        procedure="summary", unit_id=unit, officers=crew, parties=[party],
                        violation_code="STALL_SH", filing_no=f"E2E-{case_id[-2:]}",
                        approved_by=f.DROP,
                        violation_occurred_at=f.at("2025-09-30", "09:45:00")),
                 f.step(f"case:{case_id}", "PenaltyDecided", f.at("2025-09-30", decided),
                        decision_no=f"E2E-D-{case_id[-2:]}", procedure="summary", party=party,
                        violation_code="STALL_SH", legal_basis="SH_SRHW 第25条",
                        penalty_types=["fine"], amount_fen=10_000, decided_by=[
                            crew[0]["officer_id"]], officers=crew, benchmark_tier="minor",
                        payment_method="designated_bank")]
        events += [sign_envelope(key, "e2e-cases", stream=s.stream, type=s.type,
                                 occurred_at=s.occurred_at, body=s.body) for s in steps]
    response = httpx.post(city.base + "/v1/events", json=events, timeout=30,
                          headers={"Authorization": f"Bearer {city.tokens['poster']}"})
    assert response.status_code < 300, response.text
    for _ in range(300):
        flags = city.get("/v1/flags", rule="RF14", case=CROSS_MINE)["flags"]
        if flags:
            return flags[0]
        time.sleep(0.1)
    raise AssertionError("the projections never showed the posted same-act fines")


CROSS_THEIRS, CROSS_MINE = "E2E-2025-S-000091", "E2E-2025-S-000092"


def test_a_scoped_inspector_reads_other_units_references_as_withheld_on_the_case_page(
        page: Any, served: DemoCity) -> None:
    """RF14 of the scoped unit's case names the other unit's case in its numbers: the card
    shows a count in its place, and nowhere the other case."""
    whole = post_fined_twice(served)
    assert whole["numbers"]["first_case"] == CROSS_THEIRS
    sign_in(page, served, "scoped")
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{CROSS_MINE}?flag={whole['flag_id']}")
    card = page.locator(f".flag-card[data-flag-id='{whole['flag_id']}']")
    card.wait_for()
    text = card.inner_text()
    assert "其他单位 1 项（不予显示）" in text and CROSS_MINE in text
    assert CROSS_THEIRS not in page.content()



def _shown_in_china_time(instant: str) -> str:
    return datetime.fromisoformat(instant).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S +08:00")


def test_the_trail_shows_every_time_in_china_time(page: Any, served: DemoCity) -> None:
    """The API writes when an event occurred in +08:00 and when the ledger recorded it in UTC
    (…Z); the trail showed the two side by side in their own zones (13:22 +08:00 next to
    17:15 UTC), and an RF08 flag's recorded_at (+08:00) matched no time on the page."""
    flag = any_case_flag(served, "RF04")
    case_id = flag["subject"]["case_id"]
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{case_id}?flag={flag['flag_id']}")
    page.wait_for_selector("#trail-table tr.trail-row")
    shown = page.eval_on_selector_all(
        "tr.trail-row", "rows => rows.map(r => [r.dataset.eventId, "
        "r.children[1].textContent, r.children[2].textContent])")
    trail = {e["event_id"]: e for e in served.get(f"/v1/cases/{case_id}/trail")["events"]}
    assert any(e["recorded_at"].endswith("Z") for e in trail.values())
    assert shown and all(
        [occurred, recorded] == [_shown_in_china_time(trail[eid]["occurred_at"]),
                                 _shown_in_china_time(trail[eid]["recorded_at"])]
        for eid, occurred, recorded in shown)


def test_the_queue_until_day_is_included(page: Any, served: DemoCity) -> None:
    """The "to" day was sent as its first instant and the API's bound is exclusive, so
    from 2025-11-20 to 2025-11-20 listed nothing, and every range lost its last day."""
    raised = served.get("/v1/flags", limit=1)["flags"][0]["raised_at"]
    day = datetime.fromisoformat(raised).astimezone(CHINA).date()
    expected = served.get("/v1/flags", since=day.isoformat(),
                          until=(day + timedelta(days=1)).isoformat(), limit=50)["flags"]
    assert expected
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/queue?since={day}&until={day}")
    page.wait_for_function("() => document.querySelector('#queue-count')?.textContent"
                           f".includes('{len(expected)}')")
    shown = page.eval_on_selector_all("tr.flag-row", "rows => rows.map(r => r.dataset.flagId)")
    assert shown == [f["flag_id"] for f in expected]
    assert page.locator("#f-until").input_value() == day.isoformat()


def test_a_flags_triggering_event_links_lead_to_the_event_in_its_trail(
        page: Any, served: DemoCity) -> None:
    """Every triggering event of a card linked to the card's own case page: on the flag in
    focus a click did nothing, and an event of another case (RF14's first fine) led back to
    the page it was clicked on, where no trail row holds it."""
    found = served.get("/v1/flags", rule="RF14", case=CROSS_MINE)["flags"]
    flag = found[0] if found else post_fined_twice(served)
    trails = {c: {e["event_id"] for e in served.get(f"/v1/cases/{c}/trail")["events"]}
              for c in (CROSS_MINE, CROSS_THEIRS)}
    mine = next(e for e in flag["event_ids"] if e in trails[CROSS_MINE])
    theirs = next(e for e in flag["event_ids"] if e in trails[CROSS_THEIRS])
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{CROSS_MINE}?flag={flag['flag_id']}")
    card = page.locator(f".flag-card[data-flag-id='{flag['flag_id']}']")
    card.wait_for()
    page.evaluate("() => window.scrollTo(0, 0)")
    card.locator(f"a[data-event-id='{mine}']").click()
    page.wait_for_function(f"() => {{ const r = document.getElementById('ev-{mine}')"
                           ".getBoundingClientRect(); return r.top >= 0 && "
                           "r.bottom <= window.innerHeight; }")
    assert f"#/case/{CROSS_MINE}?flag=" in page.url
    card.locator(f"a[data-event-id='{theirs}']").click()
    page.wait_for_url(re.compile(rf".*#/case/{CROSS_THEIRS}\?event={theirs}$"))
    row = page.locator(f"tr.trail-row.triggering[data-event-id='{theirs}']")
    row.wait_for()
    assert page.locator("tr.trail-row.triggering").count() == 1


def test_amounts_listed_in_fen_are_shown_in_yuan(page: Any, served: DemoCity) -> None:
    """A flag's numbers may list amounts (RF14's amounts_fen, RF17.g's band_fen): the single
    amounts were shown in yuan, a list of them as raw fen (10000 for ¥100.00)."""
    found = served.get("/v1/flags", rule="RF14", case=CROSS_MINE)["flags"]
    flag = found[0] if found else post_fined_twice(served)
    assert flag["numbers"]["amounts_fen"] == [10_000, 10_000]
    line = flag_number_line(page, served, CROSS_MINE, flag["flag_id"], "amounts_fen")
    assert line == f"{named('amounts_fen')}: ¥100.00, ¥100.00"


def test_a_numbers_code_is_named_in_the_chosen_language(page: Any, served: DemoCity) -> None:
    """An unqualified actor's credential read '状态: suspended' (or expired, auxiliary) on the
    Chinese page: the code of a number is named now (tests/test_number_names.py checks every
    code the rules give)."""
    flag = any_case_flag(served, "RF02")
    line = flag_number_line(page, served, flag["subject"]["case_id"], flag["flag_id"], "status")
    name, _, value = line.partition(": ")
    assert name == named("status") and value and not re.search(r"[A-Za-z]{2}", value), line


def test_a_code_at_the_end_of_a_numbers_item_is_named(page: Any, served: DemoCity) -> None:
    """RF01's actors "id:certificate:status" read '…:expired' on the Chinese page."""
    flag = any_case_flag(served, "RF01")
    line = flag_number_line(page, served, flag["subject"]["case_id"], flag["flag_id"], "actors")
    words = re.sub(r"[A-Z][A-Z0-9-]*[0-9][:0-9-]*", "", line.partition(": ")[2])
    assert words.strip() and not re.search(r"[A-Za-z]{2}", words), line


def flag_number_line(page: Any, city: DemoCity, case_id: str, flag_id: str, name: str) -> str:
    """The line of the number ``name`` on the card of ``flag_id``, on its case's page."""
    open_signed_in(page, city, f"#/case/{case_id}?flag={flag_id}",
                   f".flag-card[data-flag-id='{flag_id}']")
    card = page.locator(f".flag-card[data-flag-id='{flag_id}']")
    return str(card.locator("div.small", has=page.locator(
        f"span.number-name[title='{name}']")).last.inner_text())


def named(key: str, lang: str = "zh") -> str:
    """How the page names the number ``key`` (its key is the name's tooltip)."""
    return NUMBER_NAMES[key][0 if lang == "zh" else 1]


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def test_amounts_nested_in_a_flags_rows_are_shown_in_yuan(page: Any, served: DemoCity) -> None:
    """RF17's most_extreme_cases lists [case, amount in fen] rows, shown as 'case/50000' — a
    fine of ¥500.00 read as 50,000 by anyone taking it for yuan. Each row's amount is now shown
    in yuan (RF06.a's reconciled and RF16.b's deviations alike); the flag itself is unchanged."""
    flags = served.get("/v1/flags", rule="RF17", limit=500)["flags"]
    flag = next(f for f in flags if f["subject"]["case_id"] and f["numbers"].get(
        "most_extreme_cases"))
    rows = flag["numbers"]["most_extreme_cases"]
    assert all(isinstance(amount, int) for _, amount in rows)     # the engine's rows: fen
    line = flag_number_line(page, served, flag["subject"]["case_id"], flag["flag_id"],
                            "most_extreme_cases")
    assert line == f"{named('most_extreme_cases')}: " + ", ".join(
        f"{case_id} {_yuan(amount)}" for case_id, amount in rows)


def test_the_timeline_axis_runs_from_the_earliest_to_the_latest_act(page: Any,
                                                                    served: DemoCity) -> None:
    """The axis was labelled with the first and last events in log order, so a case with a
    step back-dated after the decision (RF07, RF08) read from 13:22 on the 19th "to" 11:27 on
    the 18th, though the points were placed between the true first and last acts."""
    def out_of_order(case_id: str) -> list[str] | None:
        trail = served.get(f"/v1/cases/{case_id}/trail")["events"]
        times = [e["occurred_at"] for e in trail if e["stream"] == f"case:{case_id}"]
        moments = [datetime.fromisoformat(x) for x in times]
        return times if moments != sorted(moments) else None
    cases = [f["subject"]["case_id"] for rule in ("RF08", "RF07")
             for f in served.get("/v1/flags", rule=rule, limit=100)["flags"]
             if f["subject"]["case_id"]]
    case_id, times = next((c, x) for c in cases if (x := out_of_order(c)))
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{case_id}")
    page.wait_for_selector("svg#timeline")
    moments = [datetime.fromisoformat(x) for x in times]
    assert page.locator("#timeline-from").text_content() == _shown_in_china_time(
        min(moments).isoformat())
    assert page.locator("#timeline-to").text_content() == _shown_in_china_time(
        max(moments).isoformat())


# --- the oversight views (督办反馈, 监督警示, 定考, 公示) ------------------------------------------

OVERDUE, RETURNED, WARNING = "SN-E2E-OVERDUE", "SN-E2E-RETURNED", "WN-E2E-01"
CHINA = timezone(timedelta(hours=8))


@dataclass
class Oversight:
    """What :func:`post_oversight` added to the demo city: two notices and a formal warning."""

    unit: str
    officer: str
    flag: dict[str, Any]


def post_oversight(city: DemoCity) -> Oversight:
    """Post, through the real API with a key registered for the inspector and supervisor roles,
    a notice left unanswered past its deadline (overdue, RF27.a), a notice answered late and
    sent back (returned), and a formal warning to an officer with fines (level ``warning``);
    then wait until the projections show them. The generator makes neither kind."""
    officer = next(_officers_with_fines(city))
    flag = next(f for f in city.get(f"/v1/officers/{officer}")["flags"] if f["subject"]["case_id"])
    unit = city.get(f"/v1/officers/{officer}")["unit_id"]
    key = SigningKey(bytes(range(1, 33)))

    def signed(stream: str, type: str, at: str, body: dict[str, Any]) -> dict[str, Any]:
        return sign_envelope(key, "e2e-oversight", stream=stream, type=type, occurred_at=at,
                             body=body)

    issue = {"issue_id": "1", "description": "当场收缴罚款未按期交至机关",
             "case_id": flag["subject"]["case_id"], "officer_id": officer,
             "flag_id": flag["flag_id"]}
    events = [
        sign_envelope(ROOT, ROOT_ID, stream="keys", type="KeyRegistered", body={
            "key_id": "e2e-oversight", "public_key": b64url_encode(key.public_key),
            "principal": "jw-e2e", "roles": ["inspector", "supervisor"], "not_before": None,
            "not_after": None}),
        signed(f"supervision:{OVERDUE}", "SupervisionNoticeIssued", "2025-10-20T10:00:00+08:00",
               {"to_unit_id": unit, "issued_by": "SH-JW-E2E", "issues": [issue],
                "respond_by": "2025-10-31"}),
        signed(f"supervision:{RETURNED}", "SupervisionNoticeIssued", "2025-10-21T10:00:00+08:00",
               {"to_unit_id": unit, "issued_by": "SH-JW-E2E", "respond_by": "2025-10-28",
                "issues": [{"issue_id": "1", "description": "案卷归档不及时"}]}),
        signed(f"supervision:{RETURNED}", "SupervisionFeedbackSubmitted",
               "2025-10-30T15:00:00+08:00",
               {"submitted_by": officer, "document_sha256": "ab" * 32, "responses": [
                   {"issue_id": "1", "action": "建立归档周报制度", "status": "in_progress"}]}),
        signed(f"supervision:{RETURNED}", "SupervisionFeedbackAccepted",
               "2025-11-03T16:00:00+08:00",
               {"accepted_by": "SH-JW-E2E", "result": "rejected_resubmit",
                "comment": "整改措施不具体，请补充"}),
        signed(f"officer:{officer}", "OfficerWarningIssued",
               (datetime.now(CHINA) - timedelta(days=1)).isoformat(timespec="seconds"),
               {"warning_id": WARNING, "kind": "admonishment_talk", "issued_by": "SH-JW-E2E",
                "unit_id": unit, "reason": "当场收缴罚款未按期交至机关，经核查属实",
                "flag_ids": [flag["flag_id"]], "notice_id": OVERDUE}),
    ]
    response = httpx.post(city.base + "/v1/events", json=events, timeout=30,
                          headers={"Authorization": f"Bearer {city.tokens['poster']}"})
    assert response.status_code < 300, response.text
    for _ in range(300):
        notice = httpx.get(f"{city.base}/v1/supervision/{OVERDUE}", timeout=30, headers={
            "Authorization": f"Bearer {city.tokens['inspector']}"})
        if notice.status_code == 200 and notice.json()["flags"] \
                and city.get(f"/v1/officers/{officer}/warnings")["level"] != "none":
            return Oversight(unit=unit, officer=officer, flag=flag)
        time.sleep(0.1)
    raise AssertionError("the projections never showed the posted notices and warning")


@pytest.fixture(scope="module")
def oversight(served: DemoCity) -> Oversight:
    return post_oversight(served)


def test_supervision_list_filters_by_status_and_a_notice_shows_its_issues_and_flags(
        page: Any, served: DemoCity, oversight: Oversight) -> None:
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.click("#nav-supervision")
    page.wait_for_selector(f"tr.notice-row[data-notice-id='{OVERDUE}']")
    statuses = dict(page.eval_on_selector_all(
        "tr.notice-row", "rows => rows.map(r => [r.dataset.noticeId, r.dataset.status])"))
    assert statuses[OVERDUE] == "overdue" and statuses[RETURNED] == "returned"
    assert statuses == {n["notice_id"]: n["status"]            # the generator's ones too
                        for n in served.get("/v1/supervision", limit=50)["notices"]}
    page.select_option("#sup-status", "overdue")
    page.wait_for_url(re.compile(r".*#/supervision\?status=overdue$"))
    page.wait_for_function("() => { const rows = [...document.querySelectorAll('tr.notice-row')];"
                           " return rows.length > 0 && rows.every("
                           "r => r.dataset.status === 'overdue'); }")
    page.click(f"tr.notice-row[data-notice-id='{OVERDUE}'] a")
    page.wait_for_selector("#notice-issues tr.issue-row")
    assert page.locator("#notice-status").get_attribute("data-status") == "overdue"
    issue = page.locator("#notice-issues tr.issue-row").first
    case_id = oversight.flag["subject"]["case_id"]
    case_cell, officer_cell, flag_cell = (issue.locator("td").nth(i) for i in (2, 3, 4))
    assert case_cell.locator(
        f"a[href='#/case/{case_id}?flag={oversight.flag['flag_id']}']").count() == 1
    assert officer_cell.locator(f"a[href='#/officer/{oversight.officer}']").count() == 1
    assert flag_cell.locator(f".flag-ref[data-flag-id='{oversight.flag['flag_id']}'] "
                             f"a[href^='#/case/{case_id}']").count() == 1
    rules = page.eval_on_selector_all("#notice-flags tr.flag-row",
                                      "rows => rows.map(r => r.dataset.ruleId)")
    assert "RF27.a" in rules
    # each cited statute with its title, as on a case's flag card (APL, ZJ_ZHZF, XFGZ)
    titles = page.eval_on_selector_all("#notice-flags tr.flag-row .cite",
                                       "cs => cs.map(c => c.title)")
    assert "中华人民共和国行政处罚法" in titles and "信访工作条例" in titles
    page.goto(f"{served.base}/ui/#/supervision/{RETURNED}")
    card = page.locator(".feedback-card").first
    card.wait_for()
    assert card.get_attribute("data-late") == "true"
    assert card.get_attribute("data-review") == "rejected_resubmit"
    assert "整改措施不具体" in card.inner_text()


def test_officer_page_shows_the_warning_level_its_history_and_formal_warnings(
        page: Any, served: DemoCity, oversight: Oversight) -> None:
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/officer/{oversight.officer}")
    badge = page.locator("#warning-level")
    badge.wait_for()
    api = served.get(f"/v1/officers/{oversight.officer}/warnings")
    assert badge.get_attribute("data-level") == api["level"] != "none"
    assert badge.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    sources = page.eval_on_selector_all("#warning-reasons li.reason",
                                        "items => items.map(i => i.dataset.source)")
    assert sources[0] == "threshold" and "formal_warning" in sources
    steps = page.eval_on_selector_all("svg#level-history circle.lvl-pt",
                                      "points => points.map(p => p.dataset.level)")
    assert steps == [h["level"] for h in api["history"]] and steps[-1] == api["level"]
    assert page.locator("svg#level-history path.step").get_attribute("d").count("L") \
        == 2 * len(steps) - 1
    row = page.locator(f"#formal-warnings tr.formal-warning[data-warning-id='{WARNING}']")
    assert "诫勉" in row.inner_text()
    assert row.locator(f"a[href='#/supervision/{OVERDUE}']").count() == 1


def test_assessment_period_can_be_switched_and_says_fines_never_count(
        page: Any, served: DemoCity, oversight: Oversight) -> None:
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/officer/{oversight.officer}")
    page.wait_for_selector("#assessment[data-period]:not([data-period=''])")
    first = page.locator("#assessment").get_attribute("data-period")
    known = [d["decided_on"] for w in served.get(
        f"/v1/officers/{oversight.officer}/positions")["windows"]
        for r in w["rows"] for d in r["own"]]
    known += [d["from"][:10] for d in served.get(f"/v1/officers/{oversight.officer}")[
        "dispatches"]]
    latest = max(known)
    assert first == f"{latest[:4]}-Q{(int(latest[5:7]) - 1) // 3 + 1}"   # latest with data
    assert "第七十四条" in page.locator("#assessment-no-fines").inner_text()
    month = latest[:7]
    page.select_option("#assessment-period", month)
    page.wait_for_selector(f"#assessment[data-period='{month}']:not([data-loading])")
    expected = served.get(f"/v1/officers/{oversight.officer}/assessment", period=month)
    assert page.locator("#assessment-score").inner_text() == str(expected["score"]["value"])
    shares = page.eval_on_selector_all("#assessment-components tr[data-component]",
                                       "rows => rows.map(r => r.dataset.component)")
    assert shares == ["timeliness", "evidence", "complaints", "pledge"]


def test_header_links_to_the_public_page_which_lists_decisions_without_a_token(
        page: Any, served: DemoCity) -> None:
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    with page.expect_request(lambda r: "/v1/public/decisions" in r.url) as feed:
        page.click("#public-link")
    page.wait_for_url(re.compile(r".*/public/$"))
    assert "authorization" not in feed.value.headers          # the public page sends no token
    page.wait_for_selector("#rows tr")
    published = httpx.get(served.base + "/v1/public/decisions", timeout=30).json()["decisions"]
    assert published and page.locator("#rows tr").count() >= 1
    assert published[0]["decision_no"] in page.locator("#rows").inner_text()
    # each statute by its title, as a citizen reads it (the page showed SH_SRHW 第25条)
    first = next(d for d in published if d["status"] == "published")
    row = page.locator("#rows tr", has_text=first["decision_no"]).first
    assert first["legal_basis_cited"].startswith("《")
    assert first["legal_basis_cited"] in row.inner_text()
    # its decision day on one line (it broke at a hyphen: 2026-01- / 29)
    assert row.locator("td", has_text=first["decided_on"]).first.evaluate(
        "c => { const r = document.createRange(); r.selectNodeContents(c); "
        "return r.getClientRects().length; }") == 1


def test_case_page_shows_its_publication_status(page: Any, served: DemoCity) -> None:
    import psycopg
    with psycopg.connect(served.owner_url) as conn:
        case_id = conn.execute("SELECT case_id FROM view_cases WHERE state->>'published' = "
                               "'true' ORDER BY case_id LIMIT 1").fetchone()[0]
    trail = served.get(f"/v1/cases/{case_id}/trail")["events"]
    published = [e for e in trail if e["type"] == "DecisionPublished"][-1]
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/case/{case_id}")
    line = page.locator("#case-publication")
    line.wait_for()
    assert line.get_attribute("data-status") == "published"
    assert published["body"]["publication_ref"] in line.inner_text()
    assert line.locator("a#case-publication-link").get_attribute("href") == "/public/"


def test_a_flags_rows_name_their_approval_form_in_the_chosen_language(
        page: Any, served: DemoCity) -> None:
    """RF16.b's deviations rows [event, approval form, proposed amount] showed the form as its
    code (agency_head, collective_discussion) on both pages; it is named as the vocabulary names
    DeviationApproved.approval_form, in the page's language. (The demo city raises no RF16.b
    with approvals, so a case's flag is given such rows as the engine writes them.)"""
    flag = any_case_flag(served, "RF17")
    case_id, fid = flag["subject"]["case_id"], flag["flag_id"]
    rows = [["evt-dev-1", "agency_head", 50_000], ["evt-dev-2", "collective_discussion", 80_000]]

    def with_deviations(route: Any) -> None:
        state = route.fetch().json()
        for shown in state["flags"]:
            if shown["flag_id"] == fid:
                shown["numbers"] = {"deviations": rows}
        route.fulfill(json=state)

    page.route(f"**/v1/cases/{case_id}", with_deviations)
    forms = {lang: vocabulary.labels()[codes]["DeviationApproved.approval_form"]
             for lang, codes in (("zh", "codes"), ("en", "codes_en"))}

    def expected(lang: str) -> str:
        return f"{named('deviations', lang)}: " + ", ".join(
            f"{event} {forms[lang][form]} {_yuan(amount)}" for event, form, amount in rows)
    assert flag_number_line(page, served, case_id, fid, "deviations") == expected("zh")
    page.click("#lang-toggle")
    card = f".flag-card[data-flag-id='{fid}']"
    page.wait_for_function(
        f"() => [...document.querySelectorAll(\"{card} div.small\")].some(d => d.textContent "
        f"=== {json.dumps(expected('en'))})")


def test_the_case_page_shows_each_other_partys_decision_with_its_money(
        page: Any, served: DemoCity) -> None:
    """A case with several parties (共同违法) showed the amount and money of its decision
    recorded last alone: each other party's decision in force (``co_party_decisions``: its
    own fine in force, money received and outstanding, status) was on no page. It is a table
    of its own, in the page's language, with each decision's own lifecycle state (the case's is
    the least advanced). (The demo city has no such case: a case's state is given a second
    party's decision as the case view writes it.)"""
    import psycopg
    with psycopg.connect(served.owner_url) as conn:
        case_id = conn.execute(
            "SELECT case_id FROM view_cases WHERE state->'decision'->>'decision_no' IS NOT NULL "
            "ORDER BY case_id LIMIT 1").fetchone()[0]
    company = {"party_ref": "pty:co-1", "party_type": "organisation",
               "org_name": "上海某某建材有限公司"}
    decision = {"party_ref": "pty:co-1", "decision_no": "沪黄城管罚〔2024〕第123号",
                "status": "amended", "decided_fen": 300_000, "current_fen": 250_000,
                "received_fen": 100_000, "outstanding_fen": 150_000, "state": "EXECUTING"}

    def with_co_party(route: Any) -> None:
        state = route.fetch().json()
        state["parties"] = [*state["parties"], company]
        state["co_party_decisions"] = [decision]
        route.fulfill(json=state)

    page.route(f"**/v1/cases/{case_id}", with_co_party)
    open_signed_in(page, served, f"#/case/{case_id}", "#co-party-decisions")

    def rows() -> list[list[str]]:
        return page.eval_on_selector_all(  # type: ignore[no-any-return]
            "#co-party-decisions tr", "rows => rows.map(r => [...r.children].map(c => "
            "c.textContent))")
    money = [_yuan(250_000), _yuan(100_000), _yuan(150_000)]
    assert rows() == [["当事人", "决定书文号", "现行罚款", "已收", "未缴", "状态", "所处阶段"],
                      [company["org_name"], decision["decision_no"], *money, "已变更", "执行中"]]
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#co-party-decisions th')"
                           "?.textContent === 'Party'")
    assert rows() == [["Party", "Decision no.", "fine in force", "received", "outstanding",
                       "Status", "Stage"],
                      [company["org_name"], decision["decision_no"], *money, "changed",
                       "executing"]]


def test_back_and_a_shared_link_keep_the_queue_pages_loaded(page: Any, served: DemoCity) -> None:
    """The inspector loaded a second page, opened a flag's case from it and pressed Back: the
    queue came back with its first 50 flags only, the one just worked on gone from view, and a
    link to the view (or a reload) lost the pages the same way. The pages loaded are kept in the
    URL (replaced, not pushed), so Back, a reload and a shared link list the same flags."""
    first = served.get("/v1/flags", severity="high", limit=50)
    second = served.get("/v1/flags", severity="high", limit=50, after=first["next"])
    expected = [f["flag_id"] for f in first["flags"] + second["flags"]]
    assert second["flags"] and len(expected) > 50
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/queue?severity=high")
    wait_for_severity(page, "high", "=== 50")
    page.click("#queue-more")
    page.wait_for_function(f"() => document.querySelectorAll('tr.flag-row').length === "
                           f"{len(expected)}")
    target = next(f for f in second["flags"] if f["subject"]["case_id"])
    page.click(f"tr.flag-row[data-flag-id='{target['flag_id']}'] a[href*='#/case/']")
    page.wait_for_selector("#trail-table tr.trail-row")
    page.go_back()
    page.wait_for_selector(f"tr.flag-row[data-flag-id='{target['flag_id']}']")
    shown = page.eval_on_selector_all("tr.flag-row", "rows => rows.map(r => r.dataset.flagId)")
    assert shown == expected
    assert page.locator("#f-severity").input_value() == "high"
    shared = page.url
    other = page.context.new_page()          # a colleague's tab: signs in, then the link opens
    other.goto(shared)
    other.fill("#token", served.tokens["inspector"])
    other.click("#signin")
    other.wait_for_selector(f"tr.flag-row[data-flag-id='{target['flag_id']}']")
    assert other.eval_on_selector_all("tr.flag-row",
                                      "rows => rows.map(r => r.dataset.flagId)") == expected


def test_the_queue_filters_to_one_party(page: Any, served: DemoCity) -> None:
    """The API filters flags by party (party=pty:…, a vendor fined again and again), but the
    queue had no such filter, showed no party on a row, and dropped party= from a link: a
    party's flags could not be listed in the browser."""
    counts: dict[str, int] = {}
    for f in served.get("/v1/flags", limit=500)["flags"]:
        if f["subject"].get("party_ref"):
            counts[f["subject"]["party_ref"]] = counts.get(f["subject"]["party_ref"], 0) + 1
    party = max(counts, key=lambda p: counts[p])
    expected = [f["flag_id"] for f in served.get("/v1/flags", party=party, limit=50)["flags"]]
    assert 1 < len(expected) < 50
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.fill("#f-party", party)
    page.click("#f-apply")
    page.wait_for_url(re.compile(r".*#/queue\?party=pty%3A.*"))
    page.wait_for_function(f"() => document.querySelectorAll('tr.flag-row').length === "
                           f"{len(expected)}")
    shown = page.eval_on_selector_all("tr.flag-row", "rows => rows.map(r => r.dataset.flagId)")
    assert shown == expected
    assert page.locator("tr.flag-row .party").first.inner_text() == party
    page.reload()                                   # the link carries it
    page.wait_for_function(f"() => document.querySelectorAll('tr.flag-row').length === "
                           f"{len(expected)}")
    assert page.locator("#f-party").input_value() == party


def test_a_flags_numbers_show_times_in_china_time_and_name_types_and_codes(
        page: Any, served: DemoCity) -> None:
    """A flag's numbers were shown as the engine wrote them: instants as ISO text
    (2025-10-28T11:41:00+08:00) beside the page's own 2025-10-28 11:41:00 +08:00, an event type
    as its code (EvidenceRecorded) where the trail names it, and a complaint's category as its
    code (extortion). They now read as the trail does; the flag itself is unchanged."""
    flags = served.get("/v1/flags", rule="RF08", limit=500)["flags"]
    flag = next(f for f in flags if f["subject"]["case_id"] and "claimed_at" in f["numbers"]
                and "event_type" in f["numbers"])
    case_id = flag["subject"]["case_id"]
    claimed = flag["numbers"]["claimed_at"]
    assert "T" in claimed                               # the engine's text is ISO
    names = vocabulary.labels()
    line = flag_number_line(page, served, case_id, flag["flag_id"], "claimed_at")
    assert line == f"{named('claimed_at')}: {_shown_in_china_time(claimed)}"
    card = page.locator(f".flag-card[data-flag-id='{flag['flag_id']}']")
    event_type = flag["numbers"]["event_type"]
    assert (card.locator("div.small", has=page.locator("span.number-name[title='event_type']"))
            .last.inner_text() == f"{named('event_type')}: {names['types'][event_type]['zh']}")
    complaint = next(f for f in served.get("/v1/flags", rule="RF23", limit=500)["flags"]
                     if f["numbers"].get("category"))
    page.goto(f"{served.base}/ui/#/queue?rule_id={complaint['rule_id']}")
    row = page.locator(f"tr.flag-row[data-flag-id='{complaint['flag_id']}']")
    row.wait_for()
    category = names["codes"]["ComplaintReceived.category"][complaint["numbers"]["category"]]
    assert f"{named('category')}: {category}" in row.inner_text()


def test_the_disposition_form_holds_a_reason_to_the_length_the_ledger_takes(
        page: Any, served: DemoCity) -> None:
    """A dismissal's reason may be 1,000 characters (FlagDismissed.reason), but the form took
    any length and the inspector learned it only after submitting, from an English error naming
    a field (422 body.reason: must be at most 1000 characters); an empty reason was sent to be
    refused the same way. The fields now hold the ledger's limits, say how much is used, and an
    empty required field is named by the browser before anything is sent."""
    from ledger.domain.fields import REASON
    flag = case_flag(served, "RF03")
    form = page.locator(f"form.dispose[data-flag-id='{flag['flag_id']}']")
    open_signed_in(page, served, f"#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}",
                   f"form.dispose[data-flag-id='{flag['flag_id']}']")
    form.locator("select[name=action]").select_option("dismiss")
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    form.locator("button[type=submit]").click()                      # no reason yet
    page.wait_for_timeout(500)
    assert posted == []
    assert form.locator("textarea[name=reason]").evaluate("el => el.validity.valueMissing")
    form.locator("textarea[name=reason]").fill("经核实属节假日延后交款。" * 200)   # 2,400 characters
    reason = form.locator("textarea[name=reason]").input_value()
    assert len(reason) == REASON.max_len
    assert form.locator(".dispose-count").inner_text() == f"{REASON.max_len} / {REASON.max_len}"
    form.locator("button[type=submit]").click()
    page.wait_for_function(f"() => [...document.querySelectorAll(\".flag-card[data-flag-id="
                           f"'{flag['flag_id']}'] .flag-history li\")].some(li => "
                           "li.dataset.type === 'FlagDismissed')")
    assert "dispose-result error" not in form.locator(".dispose-result").evaluate(
        "el => el.className")


def _contrast(fg: list[float], bg: list[float]) -> float:
    def lum(rgb: list[float]) -> float:
        lin = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
               for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_badges_are_legible(page: Any, served: DemoCity) -> None:
    """The badges are 12px white text on a colour: 中 (medium) was white on #b08900, 3.3:1, and
    高 (high) white on #d9480f, 4.3:1, under the 4.5:1 WCAG AA asks of small text — the queue's
    most common badges were the hardest to read; the warning level 无 (none) white on grey,
    3.1:1, and the notices' statuses sharing those colours, likewise."""
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row .badge")
    classes = ["sev-critical", "sev-high", "sev-medium", "sev-low", "lvl-none", "lvl-attention",
               "lvl-warning", "lvl-serious", "sup-open", "sup-overdue", "sup-answered",
               "sup-returned", "sup-closed"]
    colours = page.evaluate("""(classes) => classes.map(sev => {
        const b = document.createElement('span'); b.className = `badge ${sev}`;
        b.textContent = 'x'; document.getElementById('app').append(b);
        const s = getComputedStyle(b);
        const rgb = (c) => c.match(/[0-9.]+/g).slice(0, 3).map(Number);
        const out = [sev, rgb(s.color), rgb(s.backgroundColor)]; b.remove(); return out; })""",
        classes)
    ratios = {sev: round(_contrast(fg, bg), 2) for sev, fg, bg in colours}
    assert all(r >= 4.5 for r in ratios.values()), ratios


def test_the_chinese_page_leaves_no_english_in_its_own_labels(page: Any,
                                                              served: DemoCity) -> None:
    """On the Chinese page a case's benchmark band read '(general)', the positions chart's
    axis 'min' and 'max' under an English definition of RF17, the trail's checkpoint line
    'root …', and the log page named what was on screen 'officer SH-C7-0012'."""
    import psycopg
    with psycopg.connect(served.owner_url) as conn:
        case_id, tier = conn.execute(
            "SELECT case_id, state->'benchmark'->>'tier' FROM view_cases "
            "WHERE state->'benchmark'->>'tier' = 'general' ORDER BY 1 LIMIT 1").fetchone()
    officer = next(_officers_with_fines(served))
    open_signed_in(page, served, f"#/case/{case_id}", "#trail-table tr.trail-row")
    body = page.locator("#app").inner_text()
    assert "(一般)" in body and f"({tier})" not in body
    assert "根哈希" in body and ", root " not in body
    page.goto(f"{served.base}/ui/#/officer/{officer}")
    page.wait_for_selector("#positions-chart text")
    axis = page.eval_on_selector_all("#positions-chart > text",
                                     "ts => ts.map(t => t.textContent)")
    assert "最低" in axis and "最高" in axis and "min" not in axis and "max" not in axis
    assert "the whole ledger" not in page.locator("#app").inner_text()
    page.goto(f"{served.base}/ui/#/log")
    page.wait_for_selector("#bundle-download")
    assert page.locator("#app").inner_text().count(f"执法人员 {officer}") == 1
    assert f"officer {officer}" not in page.locator("#app").inner_text()


def wait_for_severity(page: Any, severity: str, rows: str = "> 0") -> None:
    """Wait until the queue lists flags (``rows``: a comparison of their count), all of
    ``severity``."""
    page.wait_for_function(f"() => document.querySelectorAll('tr.flag-row').length {rows} && "
                           "[...document.querySelectorAll('tr.flag-row td:nth-child(3) .badge')]"
                           f".every(b => b.classList.contains('sev-{severity}'))")


def test_a_filter_changed_from_the_keyboard_keeps_the_focus(page: Any, served: DemoCity) -> None:
    """A filter's select applies itself on change, and Chromium changes a closed select on each
    arrow key: the queue was drawn again and the focus fell to the page's body, so a keyboard
    user moving from 全部 to 高 (two presses) got 严重 and had to Tab back from the top."""
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.focus("#f-severity")
    page.keyboard.press("ArrowDown")
    page.wait_for_url(re.compile(r".*#/queue\?severity=critical$"))
    wait_for_severity(page, "critical")
    assert page.evaluate("() => document.activeElement.id") == "f-severity"
    page.keyboard.press("ArrowDown")
    page.wait_for_url(re.compile(r".*#/queue\?severity=high$"))
    wait_for_severity(page, "high")
    assert page.evaluate("() => document.activeElement.id") == "f-severity"


def test_a_flag_about_a_notice_or_a_unit_links_to_its_page(page: Any, served: DemoCity,
                                                           oversight: Any) -> None:
    """A flag about a supervision notice (RF27) showed its scope as text
    (supervision:SN-…), and one about a unit (RF24) its unit as grey text: the inspector could
    not follow either from the queue to the notice or the unit it is about."""
    notice_flag = served.get("/v1/flags", rule="RF27", limit=1)["flags"][0]
    unit_flag = served.get("/v1/flags", rule="RF24", limit=1)["flags"][0]
    notice = notice_flag["scope"].split(":", 1)[1]
    unit = unit_flag["subject"]["unit_id"]
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/queue?rule=RF24")
    page.locator(f"tr.flag-row[data-flag-id='{unit_flag['flag_id']}'] "
                 f"a[href='#/unit/{unit}']").wait_for()
    page.goto(f"{served.base}/ui/#/queue?rule=RF27")
    page.click(f"tr.flag-row[data-flag-id='{notice_flag['flag_id']}'] "
               f"a[href='#/supervision/{notice}']")
    page.wait_for_url(re.compile(rf".*#/supervision/{re.escape(notice)}$"))
    page.wait_for_selector("#notice-issues, h1")
    assert notice in page.locator("h1").first.inner_text()


def test_the_officer_page_counts_its_flags_and_links_to_all_of_them(
        page: Any, served: DemoCity) -> None:
    """GET /v1/officers/{id} carries the officer's 500 newest flags; the page listed them with
    no count, no word that the list may stop at 500 and no way to the rest, so in a city with
    thousands of flags an officer's older ones were silently missing. The page now says how many
    it shows, that they are the newest 500 when the cap is met, and links to the queue filtered
    to the officer, which pages through all of them."""
    officer = next(_officers_with_fines(served))
    shown = len(served.get(f"/v1/officers/{officer}")["flags"])
    assert 0 < shown < 500
    open_signed_in(page, served, f"#/officer/{officer}", "#officer-flags")
    note = page.locator("#officer-flags-note")
    assert str(shown) in note.inner_text() and "500" not in note.inner_text()
    note.locator(f"a[href='#/queue?officer={officer}']").click()
    page.wait_for_function(f"() => document.querySelectorAll('tr.flag-row').length > 0 && "
                           f"document.getElementById('f-officer')?.value === '{officer}'")


def test_the_queue_age_names_when_the_flag_was_raised_in_china_time(
        page: Any, served: DemoCity) -> None:
    """A row's age (3 天) shows, on hover, when the flag was raised: it was the API's ISO text
    (2026-11-28T13:21:20+08:00), unlike every other time on the page."""
    flag = served.get("/v1/flags", limit=1)["flags"][0]
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    cell = page.locator(f"tr.flag-row[data-flag-id='{flag['flag_id']}'] td.num")
    assert cell.get_attribute("title") == _shown_in_china_time(flag["raised_at"])


def test_a_screen_reader_is_told_the_sort_and_whether_a_card_is_open(
        page: Any, served: DemoCity) -> None:
    """The sorted column was marked only by the rows' order, and a flag's card button (查看并处置)
    did not say whether the card under it was open: nothing a screen reader could announce."""
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.focus("#queue-table th[data-key='severity'] button")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash.includes('sort=severity')")
    assert page.get_attribute("#queue-table th[data-key='severity']", "aria-sort") == "ascending"
    assert page.get_attribute("#queue-table th[data-key='rule']", "aria-sort") is None
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash.includes('dir=desc')")
    assert page.get_attribute("#queue-table th[data-key='severity']", "aria-sort") == "descending"
    page.goto(f"{served.base}/ui/#/queue?rule=RF27")
    # the RF27 queue drawn, not the sorted one it replaces (whose buttons a slow machine shows)
    page.wait_for_function("() => { const rows = document.querySelectorAll('tr.flag-row');"
                           " return rows.length > 0 && [...rows].every((r) =>"
                           " r.dataset.rule === 'RF27'); }")
    button = page.locator("button.flag-open").first
    button.wait_for()
    assert button.get_attribute("aria-expanded") == "false"
    button.focus()
    page.keyboard.press("Enter")
    page.locator("tr.flag-detail:not([hidden]) .flag-card").first.wait_for()
    assert button.get_attribute("aria-expanded") == "true"


def test_a_case_link_naming_a_flag_not_on_the_case_says_so(page: Any, served: DemoCity) -> None:
    """A colleague's link #/case/X?flag=F whose flag is not on the case (a typo, a flag of
    another case) opened the case with nothing in focus and no word why; a case with no flags
    showed its 红旗 heading over nothing."""
    case_id = first_id(served, "SELECT case_id FROM view_cases c WHERE NOT EXISTS "
                               "(SELECT 1 FROM view_flags f WHERE f.case_id = c.case_id)")
    flagged = any_case_flag(served, "RF04")
    other = any_case_flag(served, "RF01")
    assert other["subject"]["case_id"] != flagged["subject"]["case_id"]
    open_signed_in(page, served,
                   f"#/case/{flagged['subject']['case_id']}?flag={other['flag_id']}",
                   "#trail-table tr.trail-row")
    missing = page.locator("#flag-missing")
    assert other["flag_id"] in missing.inner_text() and "不在本案" in missing.inner_text()
    assert page.locator(".flag-card.focus").count() == 0
    page.goto(f"{served.base}/ui/#/case/{flagged['subject']['case_id']}?flag={flagged['flag_id']}")
    page.wait_for_selector(".flag-card.focus")
    assert page.locator("#flag-missing").count() == 0
    page.goto(f"{served.base}/ui/#/case/{case_id}")
    page.wait_for_selector("#case-no-flags")


def test_the_assessment_period_is_kept_in_the_url(page: Any, served: DemoCity,
                                                  oversight: Oversight) -> None:
    """Switching the assessment to a month changed only the card: a reload, Back from a flag
    opened below it, or the link sent to a colleague showed the default quarter again. The
    period is kept in the URL (replaced, not pushed) and read from it."""
    open_signed_in(page, served, f"#/officer/{oversight.officer}",
                   "#assessment[data-period]:not([data-period=''])")
    month = page.eval_on_selector_all("#assessment-period optgroup:last-child option",
                                      "os => os.map(o => o.value)")[-1]
    page.select_option("#assessment-period", month)
    page.wait_for_selector(f"#assessment[data-period='{month}']:not([data-loading])")
    assert page.url.endswith(f"#/officer/{oversight.officer}?period={month}")
    page.reload()
    page.wait_for_selector(f"#assessment[data-period='{month}']:not([data-loading])")
    assert page.locator("#assessment-period").input_value() == month


def test_a_flags_problem_codes_are_named(page: Any, served: DemoCity) -> None:
    """The problems and reasons a flag's numbers list are the engine's codes (problem:
    no_receipt, reasons: amount_over_limit, chain_status: none), shown as codes on both
    pages; they are named now, the flag unchanged."""
    flag = next(f for f in served.get("/v1/flags", rule_id="RF05.a", limit=100)["flags"]
                if f["numbers"].get("problem") == "no_receipt")
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row")
    page.goto(f"{served.base}/ui/#/queue?rule_id=RF05.a")
    row = page.locator(f"tr.flag-row[data-flag-id='{flag['flag_id']}']")
    row.wait_for()
    assert f"{named('problem')}: 未开具专用票据" in row.inner_text()
    assert "no_receipt" not in row.inner_text()


def test_a_long_unbroken_reason_does_not_widen_the_page(page: Any, served: DemoCity) -> None:
    """A dismissal's reason may be 1,000 characters with no space (a pasted link, a document
    number run): the history line did not wrap, and the case page grew 8,500 px wide, every
    card and the trail scrolling sideways with it."""
    flag = case_flag(served, "RF02")
    response = httpx.post(f"{served.base}/v1/flags/{flag['flag_id']}/dispositions",
                          json={"action": "dismiss", "reason_code": "other",
                                "reason": "https://example.org/" + "A" * 980},
                          headers={"Authorization": f"Bearer {served.tokens['inspector']}"},
                          timeout=30)
    assert response.status_code == 201
    open_signed_in(page, served, f"#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}",
                   f".flag-card[data-flag-id='{flag['flag_id']}'] .flag-history "
                   "li[data-type='FlagDismissed']")
    width = page.evaluate("() => [document.documentElement.scrollWidth, "
                          "document.documentElement.clientWidth]")
    assert width[0] <= width[1]


def test_an_api_refusal_says_what_it_means_in_the_pages_language(page: Any,
                                                                 served: DemoCity) -> None:
    """The API's problem details are English: the Chinese page showed "出错了: rule_id must
    be …" and nothing an inspector reading Chinese could act on. It now says what the status
    means first, the server's words after it in brackets; the English page is unchanged."""
    open_signed_in(page, served, "#/queue?rule_id=RF99.z", "p.error")
    text = page.locator("p.error").first.inner_text()
    assert text.startswith("出错了: 请求内容不符合要求（服务器说明：") and "rule_id" in text
    page.evaluate("() => localStorage.setItem('il.lang', 'en')")
    page.reload()
    page.wait_for_selector("p.error")
    english = page.locator("p.error").first.inner_text()
    assert english.startswith("Error: ") and "rule_id" in english and "请求" not in english


def test_a_flag_card_names_its_numbers_in_the_chosen_language(page: Any, served: DemoCity
                                                              ) -> None:
    """The queue's key numbers and the flag card showed each number's raw key (amount_fen,
    window_working_days): they show the number's name in the page's language now, the key kept
    as the name's tooltip."""
    sign_in(page, served)
    page.wait_for_selector("tr.flag-row .number-name")
    queue = page.locator("tr.flag-row .number-name")
    pairs = list(zip(queue.evaluate_all("els => els.map((e) => e.title)"),
                     queue.all_inner_texts()))
    assert pairs and all(text.strip() == f"{NUMBER_NAMES[key][0]}:" for key, text in pairs)
    flag = next(f for f in served.get("/v1/flags", limit=200)["flags"]
                if f["subject"]["case_id"] and f["event_ids"] and "amount_fen" in f["numbers"])
    case_id, fid = flag["subject"]["case_id"], flag["flag_id"]
    names = f".flag-card[data-flag-id='{fid}'] .number-name"
    page.goto(f"{served.base}/ui/#/case/{case_id}?flag={fid}")
    page.wait_for_selector(names)
    shown = page.locator(names)
    assert shown.count() == min(len(flag["numbers"]), 20)
    texts = dict(zip(shown.evaluate_all("els => els.map((e) => e.title)"),
                     shown.all_inner_texts()))
    assert texts["amount_fen"].strip() == "罚款金额:"
    assert not any(text.strip().rstrip(":") == key for key, text in texts.items()
                   if "_" in key)                            # every key of it is named
    page.click("#lang-toggle")
    page.wait_for_function(f"() => [...document.querySelectorAll(\"{names}\")].some((e) => "
                           "e.title === 'amount_fen' && e.textContent === 'fine amount: ')")
    page.click("#lang-toggle")                              # back to Chinese for the others
    page.wait_for_function("() => document.querySelector('#nav-queue').textContent === "
                           "'红旗队列'")


def test_dispositions_whose_flag_is_gone_are_listed_for_unscoped_tokens_only(
        page: Any, served: DemoCity) -> None:
    """A disposition recorded on a flag the service does not hold (vanished, or never raised)
    was shown nowhere; the queue page lists it under its own heading, in either language, for
    a token of every unit, and a unit-scoped token, which may not read it, has no such section."""
    key = SigningKey(bytes(range(9, 41)))
    served.ledger.append(canonical(sign_envelope(
        ROOT, ROOT_ID, stream="keys", type="KeyRegistered", body={
            "key_id": "e2e-unattached", "public_key": b64url_encode(key.public_key),
            "principal": "jw-unattached", "roles": ["inspector"], "not_before": None,
            "not_after": None})))
    gone = sign_envelope(key, "e2e-unattached", stream="flag:RF02-e2e-gone",
                         type="FlagDismissed", body={
                             "rule_id": "RF02", "inspector_id": "JW-E2E-09",
                             "reason_code": "false_positive", "reason": "证件已补录"})
    served.ledger.append(canonical(gone))
    sign_in(page, served)
    row = page.locator("#unattached tr[data-flag-id='RF02-e2e-gone']")
    row.wait_for()
    assert "JW-E2E-09" in row.inner_text() and "RF02" in row.inner_text()
    assert row.locator("a").get_attribute("href") == f"#/event/{gone['event_id']}"
    assert page.locator("#unattached h2").inner_text() == "旗已不存在的处置"
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#unattached h2')?.textContent === "
                           "'Dispositions whose flag is gone'")
    page.click("#lang-toggle")                              # back to Chinese for the others
    page.wait_for_function("() => document.querySelector('#nav-queue').textContent === '红旗队列'")
    scoped = page.context.new_page()
    sign_in(scoped, served, "scoped")
    scoped.wait_for_selector("tr.flag-row")
    assert scoped.locator("#unattached").count() == 0
    scoped.close()


@pytest.fixture(scope="module")
def voided(served: DemoCity) -> tuple[dict[str, Any], dict[str, Any]]:
    return post_voided_publications(served)


def post_voided_publications(city: DemoCity) -> tuple[dict[str, Any], dict[str, Any]]:
    """Append, as the ledger takes any event, the histories of
    tests/test_case_model_voided_publication.py: a summary decision published, its form
    voided and the decision re-issued on the next form (``reissued_published``), and a
    company's decision beside a vendor's (共同违法) published, its form voided and the
    publication never withdrawn (``co_party_voided``), with the officers who decide them;
    returns both cases' states once the projections show them."""
    from .test_case_model_voided_publication import co_party_voided, reissued_published
    steps = f.staff() + reissued_published(False) + co_party_voided(None)
    key = SigningKey(bytes(range(11, 43)))
    city.ledger.append(canonical(sign_envelope(
        ROOT, ROOT_ID, stream="keys", type="KeyRegistered", body={
            "key_id": "e2e-voided", "public_key": b64url_encode(key.public_key),
            "principal": "sys:e2e-voided",
            "roles": sorted({f.signer_role(s.type) for s in steps}),
            "not_before": None, "not_after": None})))
    for s in steps:
        city.ledger.append(canonical(sign_envelope(key, "e2e-voided", stream=s.stream,
                                                   type=s.type, occurred_at=s.occurred_at,
                                                   body=s.body)))
    for _ in range(300):
        try:
            summary, general = (city.get(f"/v1/cases/{c}") for c in (VOIDED_SUMMARY, VOIDED_CO))
        except httpx.HTTPStatusError:        # not projected yet
            summary, general = {}, {}
        if summary.get("previous_decisions") and general.get("co_party_decisions"):
            return summary, general
        time.sleep(0.1)
    raise AssertionError("the projections never showed the voided decisions")


VOIDED_SUMMARY, VOIDED_CO = "SH-HP-2024-S-004512", "SH-HP-2024-000123"


def test_the_case_page_shows_the_deadlines_of_every_other_decision(
        page: Any, served: DemoCity, voided: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """The case page's deadlines were the case's alone (``deadlines``): a co-party's decision
    (``co_party_decisions``) and a decision set aside (``previous_decisions``) keep their own,
    so the withdrawal a voided published decision owes — overdue, and flagged by RF12.f on the
    same page — was shown nowhere once the decision was re-issued, nor when it was another
    party's. Each such deadline is now listed with the party, the decision's number, its status
    and whether it was set aside; a case showing no other decision has no such table."""
    summary, general = voided
    rows_js = ("rows => rows.map(r => [...r.children].map(c => c.innerText.split('\\n')"
               ".filter(Boolean).join(' / ')))")

    def withdrawal(d: dict[str, Any]) -> list[str]:
        """The deadline cells of ``d``'s withdrawal owed, never made: name / basis, due…"""
        owed = d["deadlines"]["publication_withdrawal"]
        return [f"撤回行政处罚决定公示 / {owed['basis_zh']}", owed["due"], "—", "未到期/未完成"]

    [spoilt] = summary["previous_decisions"]
    open_signed_in(page, served, f"#/case/{VOIDED_SUMMARY}", "#decision-deadlines")
    rows = page.eval_on_selector_all("#decision-deadlines tr", rows_js)
    assert rows[0] == ["当事人", "决定书文号", "状态", "期限", "届满日", "完成日", "结果"]
    assert [f.VENDOR, "HP-S-2024-004511", "决定书已作废 / 已被新决定取代",
            *withdrawal(spoilt)] in rows
    assert len(rows) - 1 == len(spoilt["deadlines"])
    assert "撤回行政处罚决定公示" not in page.locator("#deadlines").inner_text()  # none owed
    # a co-party's decision, in force until its form was voided: its own withdrawal
    [company] = general["co_party_decisions"]
    page.goto(f"{served.base}/ui/#/case/{VOIDED_CO}")
    page.wait_for_selector(f"#decision-deadlines tr[data-decision-no='{company['decision_no']}']")
    rows = page.eval_on_selector_all("#decision-deadlines tr", rows_js)
    assert ["上海某某建材有限公司", company["decision_no"], "决定书已作废",
            *withdrawal(company)] in rows
    assert len(rows) - 1 == len(company["deadlines"])
    # the case's own table says whose decision's it holds: the one recorded last, the vendor's
    assert page.locator("#deadlines-owner").inner_text() == (
        f"本案及决定 {general['decision']['decision_no']}（当事人：{f.VENDOR}）的期限；"
        "其他决定的期限见下表。")
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#decision-deadlines th')"
                           "?.textContent === 'Party'")
    rows = page.eval_on_selector_all("#decision-deadlines tr", rows_js)
    assert rows[0] == ["Party", "Decision no.", "Status", "Deadline", "Due", "Met on", "Result"]
    assert ["上海某某建材有限公司", company["decision_no"], "form voided"] in [r[:3] for r in rows]
    page.click("#lang-toggle")                              # back to Chinese for the others
    page.wait_for_function("() => document.querySelector('#decision-deadlines th')"
                           "?.textContent === '当事人'")
    # a case of one decision: its deadlines as before, and no other table
    single = first_id(served, "SELECT case_id FROM view_cases WHERE state->'decision' IS NOT "
                      "NULL AND state->'co_party_decisions' = '[]' AND "
                      "state->'previous_decisions' = '[]'")
    page.goto(f"{served.base}/ui/#/case/{single}")
    page.wait_for_function(f"() => document.querySelector('h1')?.textContent.endsWith("
                           f"{json.dumps(single)}) && document.querySelector('#deadlines')")
    assert page.eval_on_selector_all("#deadlines th", "ths => ths.map(th => th.textContent)") \
        == ["期限", "届满日", "完成日", "结果"]
    assert page.locator("#decision-deadlines, #deadlines-owner").count() == 0


def test_a_deadline_its_decision_no_longer_owes_reads_cancelled(
        page: Any, served: DemoCity, voided: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """A decision withdrawn, or whose form was voided before it was served, owes none of its
    unmet deadlines any more (the case view's ``cancelled_on``), yet the page called them
    未到期/未完成 (open) — the voided decision's service, due the day it was decided, read as
    a duty still owed. They read cancelled, with the day; the withdrawal of the voided
    decision's publication, still owed, stays open."""
    summary, _ = voided
    [spoilt] = summary["previous_decisions"]
    service = spoilt["deadlines"]["service"]
    assert service["met_on"] is None and service["cancelled_on"] == "2024-09-30"
    open_signed_in(page, served, f"#/case/{VOIDED_SUMMARY}", "#decision-deadlines")
    result = "#decision-deadlines tr[data-deadline='{}'] td:last-child"
    assert page.locator(result.format("service")).inner_text() \
        == "已取消（2024-09-30，决定已撤销或作废）"
    assert page.locator(result.format("publication_withdrawal")).inner_text() == "未到期/未完成"
    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#decision-deadlines th')"
                           "?.textContent === 'Party'")
    assert page.locator(result.format("service")).inner_text() \
        == "cancelled on 2024-09-30 (decision withdrawn or voided)"
    page.click("#lang-toggle")                              # back to Chinese for the others
    page.wait_for_function("() => document.querySelector('#decision-deadlines th')"
                           "?.textContent === '当事人'")
