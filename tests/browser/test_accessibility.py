"""axe-core with the WCAG 2.2 AA rules on every page a refugee, a volunteer and a coach
use, in every language, at 360 px: no violation (keep it so). The pages do not depend on
the database behind them: SQLite only."""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import Browser

from sync import locales
from tests.browser.conftest import PHONE
from tests.browser.helpers import add_location, add_user, put, sign_in
from tests.browser.offline_helpers import put_basics

AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

pytestmark = pytest.mark.sqlite_only


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(f"axe.run(document, {{runOnly: {RULES!r}}})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
            for v in result["violations"]]


@pytest.fixture
def people(live_store):
    add_location(live_store)
    person = add_user(live_store, "refugee", "amina", "Amina Yusuf")
    put_basics(live_store, person)
    put(live_store, person, "skill", {"code": "skill.hospitality.cooking", "level": "3",
                                      "learned": "work"})
    put(live_store, person, "volunteer", {"date": "2026-03-02", "organisation": "Voedselbank",
                                          "activity": "Sorting food", "hours": 2})
    coach = add_user(live_store, "coach", "sanne", "Sanne de Vries")
    return person, coach


PERSON_PAGES = ["/", "/basics", "/basics?guided=1", "/ambitions/", "/skills/", "/skills/new",
                "/skills/new?guided=1", "/languages/new", "/volunteering/", "/plan/",
                "/privacy", "/privacy/share"]
STAFF_PAGES = ["/review", "/talent-card"]


@pytest.mark.parametrize("locale", locales.CODES)
def test_no_page_breaks_a_wcag_22_aa_rule(browser: Browser, base, live_store, people, locale):
    person, coach = people
    live_store.update_user(person["id"], locale=locale)
    live_store.update_user(coach["id"], locale=locale)
    found = {}
    for username, paths in (("amina", PERSON_PAGES), ("sanne", STAFF_PAGES)):
        # No worker: it would keep the pages for offline use meanwhile, which costs time
        # and changes nothing on the page.
        context = browser.new_context(**PHONE, locale="nl-NL", bypass_csp=True,
                                      service_workers="block")
        page = context.new_page()
        sign_in(page, base, username)
        for path in (*paths, *(["/caseload"] if username == "sanne" else [])):
            address = path if path.startswith("/caseload") else f"/people/{person['id']}{path}"
            page.goto(f"{base}{address}")
            if problems := violations(page):
                found[address.replace(person["id"], "<id>")] = problems
        context.close()
    signed_out = browser.new_context(**PHONE, locale="nl-NL", bypass_csp=True,
                                     service_workers="block")
    page = signed_out.new_page()
    for address in ("/sign-in", "/privacy"):
        page.goto(f"{base}{address}")
        if problems := violations(page):
            found[address] = problems
    signed_out.close()
    assert found == {}


def test_the_check_itself_sees_a_violation(browser: Browser, base):
    context = browser.new_context(**PHONE, bypass_csp=True, service_workers="block")
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.evaluate("""() => { const input = document.createElement("input");
      document.querySelector("main").append(input); }""")  # a control without a label
    assert any(v.startswith("label:") for v in violations(page))
    context.close()
