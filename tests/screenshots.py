"""Write the dashboard screenshots in docs/screenshots/ (queue, case, officer, supervision,
oversight), from the same served synthetic city the browser tests use, with the browser tests'
oversight events posted:  .venv/bin/python -m tests.screenshots [NAME ...]  (default: all)"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .pg import Cluster
from .test_dashboard_e2e import (
    CHROMIUM_ARGS,
    NO_BROWSER,
    RETURNED,
    _officers_with_fines,
    case_flag,
    chromium_path,
    demo_city,
    post_oversight,
)

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
NAMES = ("queue", "case", "case-trail", "officer", "supervision", "oversight")


def main(argv: list[str]) -> int:
    wanted = set(argv) or set(NAMES)
    if wanted - set(NAMES):
        print(f"unknown screenshot(s) {sorted(wanted - set(NAMES))}; choose from {NAMES}",
              file=sys.stderr)
        return 2
    path = chromium_path()
    if path is None:
        print(NO_BROWSER, file=sys.stderr)
        return 2
    if not has_chinese_font():
        print("no font with Chinese glyphs: the pages' 中文 would be drawn as boxes; install one "
              "(apt-get install fonts-noto-cjk) and run again", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    with demo_city(Cluster()) as city, sync_playwright() as p:
        oversight = post_oversight(city)
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})

        def shot(name: str, **kwargs: object) -> None:
            if name in wanted:
                page.screenshot(path=str(OUT / f"{name}.png"), **kwargs)

        # English for the README (the page itself defaults to 中文; rule names show both)
        page.add_init_script("localStorage.setItem('il.lang', 'en')")
        page.set_default_timeout(20_000)
        page.goto(city.base + "/ui/")
        page.fill("#token", city.tokens["inspector"])
        page.click("#signin")
        page.wait_for_selector("tr.flag-row")
        page.goto(city.base + "/ui/#/queue?severity=critical")
        page.wait_for_function("() => document.querySelectorAll('tr.flag-row').length > 0 && "
                               "[...document.querySelectorAll('tr.flag-row')]"
                               ".every(r => r.querySelector('.sev-critical'))")
        shot("queue")

        flag = case_flag(city, "RF05")
        page.goto(f"{city.base}/ui/#/case/{flag['subject']['case_id']}?flag={flag['flag_id']}")
        page.wait_for_selector("tr.trail-row.triggering")
        page.evaluate("window.scrollTo(0, 0)")
        shot("case", full_page=False)
        page.evaluate("document.querySelector('tr.trail-row.triggering')"
                      ".scrollIntoView({block: 'center'})")
        shot("case-trail", full_page=False)

        officer = next(_officers_with_fines(city))
        page.goto(f"{city.base}/ui/#/officer/{officer}")
        page.wait_for_selector("svg#positions-chart circle.pt-self")
        page.locator("svg#positions-chart").scroll_into_view_if_needed()
        shot("officer")

        page.goto(f"{city.base}/ui/#/supervision/{RETURNED}")     # answered late, sent back
        page.wait_for_selector("#notice-flags tr.flag-row")
        shot("supervision")

        page.goto(f"{city.base}/ui/#/officer/{oversight.officer}")
        page.wait_for_selector("svg#level-history")
        page.wait_for_selector("#assessment-score")
        page.evaluate("document.querySelector('#warnings-card').scrollIntoView(); "
                      "window.scrollBy(0, -56)")                # below the sticky header
        shot("oversight")
        browser.close()
    for name in sorted(wanted):
        print(OUT / f"{name}.png")
    return 0


def has_chinese_font() -> bool:
    """Whether fontconfig (which Chromium draws with) knows a font for Chinese; True when it
    cannot be asked."""
    if shutil.which("fc-list") is None:
        return True
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return bool(listed.stdout.strip())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
