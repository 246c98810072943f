"""A refugee's pages in Arabic, Tigrinya and Dutch on a 360 px phone.

Each page: the right ``dir``, no sideways scrolling, and no visible text left
in English (or Dutch) where the catalog has a translation. The picker switches
language, and the choice survives a reload without network. Screenshots of the
main pages land in test-results/screenshots/ for people to look at.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import (
    add_location,
    add_user,
    open_language_menu,
    page_gettext,
    put,
    sign_in,
    switch_language,
)
from tests.browser.offline_helpers import SECTION_SLUGS, wait_until, wait_until_offline_ready

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
# test-results/ is pytest-playwright's output folder (emptied when a session starts).
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or ROOT / "test-results" / "screenshots")

# What the person entered: shown as written, in whatever language.
USER_DATA = {"Amina Yusuf", "Lasser", "Damen Shipyards", "AZC Ter Apel"}
# The brand name, which is also the Dutch for "Talent card".
NAMES = {"Talentkaart"}

# Every visible text node of the header and main (not the footer's picker: it
# lists each language in its own name on purpose).
VISIBLE_TEXTS = """() => {
  const texts = [];
  for (const root of document.querySelectorAll("header, main")) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      const el = node.parentElement;
      if (!text || !el || el.closest("[hidden], template, script, style, option")) continue;
      if (!el.checkVisibility({ visibilityProperty: true })) continue;
      texts.push(text);
    }
  }
  return texts;
}"""


def _catalog(locale: str) -> dict[str, str]:
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=locale)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and m.string}


def leftovers(locale: str) -> dict[str, str]:
    """English msgids, and their Dutch texts, that should not show in ``locale``.

    Only where this locale's translation differs: "PDF" or "Talentkaart" may
    rightly read the same in every language.
    """
    own = _catalog(locale)
    dutch = _catalog("nl")
    wrong: dict[str, str] = {}
    for msgid, text in own.items():
        if text == msgid or re.fullmatch(r"[\W\d_]*|[A-C]\d.*|%\(\w+\)s", msgid):
            continue
        wrong[msgid] = "English"
        if locale != "nl" and dutch.get(msgid) not in (None, text):
            wrong[dutch[msgid]] = "Dutch"
    return wrong


def untranslated(page: Page, locale: str) -> list[str]:
    """Visible texts that are a source string or its Dutch instead of ``locale``'s text."""
    wrong = leftovers(locale)
    return [f"{text} ({wrong[text]})" for text in page.evaluate(VISIBLE_TEXTS)
            if text in wrong and text not in USER_DATA | NAMES]


def refugee_pages(person_id: str) -> list[tuple[str, str]]:
    """(name, path) of every page a refugee fills in: overview, basics, lists and new forms."""
    pages = [("overview", f"/people/{person_id}/"), ("basics", f"/people/{person_id}/basics")]
    for slug in SECTION_SLUGS:
        pages.append((slug, f"/people/{person_id}/{slug}/"))
        pages.append((f"{slug}-new", f"/people/{person_id}/{slug}/new"))
    return pages


# Main pages for the screenshots.
SCREENSHOT_PAGES = {"overview", "basics", "work", "work-new", "skills-new", "languages-new"}


@pytest.fixture
def phone(browser: Browser):
    """A phone browser, in Dutch; the app's CSP stays on except for Playwright's polling."""
    context = browser.new_context(**PHONE, locale="nl-NL", bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def arrange_refugee(live_store, locale: str) -> dict:
    add_location(live_store)
    user = add_user(live_store, "refugee", f"amina{locale.lower()}", "Amina Yusuf",
                    locale=locale)
    put(live_store, user, "work", {"job_title": "Lasser", "employer": "Damen Shipyards",
                                   "start": "2019-09"})
    return user


@pytest.mark.parametrize("locale, direction", [("ar", "rtl"), ("ti", "ltr"), ("nl", "ltr")])
def test_every_refugee_page_is_in_the_persons_language(phone, base, live_store, locale,
                                                      direction):
    user = arrange_refugee(live_store, locale)
    page = phone.new_page()
    sign_in(page, base, user["username"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for name, path in refugee_pages(user["id"]):
        page.goto(base + path)
        html = page.locator("html")
        expect(html).to_have_attribute("lang", locale)
        expect(html).to_have_attribute("dir", direction)
        if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            problems.append(f"{path} scrolls sideways")
        problems += [f"{path}: {text}" for text in untranslated(page, locale)]
        if name in SCREENSHOT_PAGES:
            page.screenshot(path=str(SCREENSHOTS / f"{locale}-{name}.png"), full_page=True)
    assert problems == []


def test_the_picker_switches_language_and_the_choice_survives_offline(phone, base, live_store):
    user = arrange_refugee(live_store, "ar")
    page = phone.new_page()
    sign_in(page, base, user["username"])
    overview = f"{base}/people/{user['id']}/"
    page.goto(overview)
    wait_until_offline_ready(page, user["id"])
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    _ = page_gettext(page)
    # At the top, behind the globe: each language in its own script.
    choices = open_language_menu(page)
    expect(choices).to_have_accessible_name(_("Language"))
    expect(choices.get_by_role("button", name="ትግርኛ")).to_have_attribute("lang", "ti")
    expect(choices.get_by_role("button", name="العربية")).to_have_attribute("dir", "rtl")
    expect(choices.get_by_role("button", name="العربية")).to_have_attribute("aria-current", "true")
    switch_language(page, "ti")
    expect(page.locator("html")).to_have_attribute("lang", "ti")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    _ = page_gettext(page)
    expect(page.get_by_role("link", name=_("My profile"))).to_be_visible()
    assert page.url == overview
    assert live_store.user(user["id"])["locale"] == "ti"

    # The worker kept the page as the server sent it after the switch.
    wait_until(page, """async (url) => {
      const kept = await caches.match(url, { ignoreVary: true });
      return kept && (await kept.text()).includes('<html lang="ti"');
    }""", overview, what="the Tigrinya page in the cache")
    phone.set_offline(True)
    try:
        response = page.reload()
        assert response is not None and response.from_service_worker
        expect(page.locator("html")).to_have_attribute("lang", "ti")
        expect(page.get_by_role("link", name=_("My profile"))).to_be_visible()
    finally:
        phone.set_offline(False)


def test_the_picker_works_without_javascript(browser: Browser, base, live_store):
    context = browser.new_context(**PHONE, locale="nl-NL", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{base}/sign-in")
        # The menu opens without a script (details), and each language is a button.
        open_language_menu(page).get_by_role("button", name="دری").click()
        expect(page.locator("html")).to_have_attribute("lang", "fa-AF")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(open_language_menu(page)).to_have_accessible_name(re.compile("زبان"))
        expect(page.get_by_role("button", name="دری")).to_have_attribute("aria-current", "true")
    finally:
        context.close()


def test_side_by_side_shows_dutch_under_the_arabic_labels(phone, base, live_store):
    user = arrange_refugee(live_store, "ar")
    page = phone.new_page()
    sign_in(page, base, user["username"])
    page.goto(f"{base}/people/{user['id']}/basics")
    _ = page_gettext(page)
    page.get_by_role("button", name=_("Show Dutch as well")).click(no_wait_after=True)
    hide = page.get_by_role("button", name=_("Hide Dutch"))
    try:
        expect(hide).to_be_visible()
    except AssertionError:
        # A server slower than the worker's time-out (a loaded CI machine): the worker
        # showed the kept page, by design; the next look is the new one. A toggle that
        # did not take still fails here.
        page.reload()
        expect(hide).to_be_visible()
    dutch_name = page.locator("label .dutch[lang=nl]", has_text="Je naam")
    expect(dutch_name).to_be_visible()
    # The field is still found by its Arabic label, now followed by the Dutch one.
    expect(page.get_by_label(_("Your name"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ar-basics-side-by-side.png"), full_page=True)
