"""Write the dashboard screenshots in docs/screenshots/ (queue, case, officer), from the same
served synthetic city the browser tests use:  .venv/bin/python -m tests.screenshots"""

from __future__ import annotations

import sys
from pathlib import Path

from .pg import Cluster
from .test_dashboard_e2e import (CHROMIUM_ARGS, NO_BROWSER, _officers_with_fines, case_flag,
                                 chromium_path, demo_city)

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def main() -> int:
    path = chromium_path()
    if path is None:
        print(NO_BROWSER, file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    with demo_city(Cluster()) as city, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        # English for the README (the page itself defaults to 中文; rule names show both)
        page.add_init_script("localStorage.setItem('il.lang', 'en')")
        page.set_default_timeout(20_000)
        page.goto(city.base + "/ui/")
        page.fill("#token", city.tokens["inspector"])
        page.click("#signin")
        page.wait_for_selector("tr.flag-row")
        page.goto(city.base + "/ui/#/queue?severity=critical")
        page.wait_for_function("() => [...document.querySelectorAll('tr.flag-row')]"
                               ".every(r => r.querySelector('.sev-critical'))")
        page.screenshot(path=str(OUT / "queue.png"))

        flag = case_flag(city, "RF05")
        page.goto(f"{city.base}/ui/#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}")
        page.wait_for_selector("tr.trail-row.triggering")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(OUT / "case.png"), full_page=False)
        page.evaluate("document.querySelector('tr.trail-row.triggering')"
                      ".scrollIntoView({block: 'center'})")
        page.screenshot(path=str(OUT / "case-trail.png"), full_page=False)

        officer = next(_officers_with_fines(city))
        page.goto(f"{city.base}/ui/#/officer/{officer}")
        page.wait_for_selector("svg#positions-chart circle.pt-self")
        page.locator("svg#positions-chart").scroll_into_view_if_needed()
        page.screenshot(path=str(OUT / "officer.png"))
        browser.close()
    for name in ("queue", "case", "case-trail", "officer"):
        print(OUT / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
