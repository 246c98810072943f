"""A language switch right after sign-in: every kept page follows it, also on a slow phone.

Signing in starts a refresh of the offline pack in the profile's language; a
switch at once starts another while the first still runs. On a slow phone
(both cores busy) the first one's pages used to stay, or arrive after the
second one's: some pages kept in the old language, with the older pack version.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect

from tests.browser import helpers
from tests.browser import test_offline_refresh as refresh
from tests.browser.helpers import add_location, add_user, put
from tests.browser.offline_helpers import (
    first_page,
    goto,
    profile_paths,
    sign_in,
    wait_until,
    wait_until_offline_ready,
)
from tests.browser.test_offline_refresh import PACK_CURRENT

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

# A phone whose storage lives in its own folder.
phone = refresh.phone

# Every page kept in a pages-* cache: its language and the pack version it carries.
KEPT_PAGE_FACTS = """async () => {
  const facts = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("pages-")) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const kept = await cache.match(request);
      if (!kept.ok || !(kept.headers.get("Content-Type") || "").startsWith("text/html")) continue;
      const body = await kept.text();
      facts.push({ url: new URL(request.url).pathname + new URL(request.url).search,
                   lang: body.match(/<html lang="([^"]*)"/)?.[1],
                   version: body.match(/data-pack-version="([^"]*)"/)?.[1] });
    }
  }
  return facts;
}"""


@contextmanager
def busy_cores(count: int = 3, seconds: int = 180):
    """A slow phone: keep every core busy (each spinner stops by itself after ``seconds``)."""
    spin = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.wait()


@pytest.fixture
def layla(live_store):
    """A refugee whose profile is in Arabic, with entries in several sections (their data
    comes with the first pull, while the pack's pages are being kept)."""
    add_location(live_store)
    user = add_user(live_store, "refugee", "layla", "Layla Hamdan", locale="ar")
    for n in range(8):
        put(live_store, user, "skill", {"free_text": f"Skill {n}", "level": "3", "learned": "work"})
    for n in range(4):
        put(live_store, user, "goal", {"title": f"Goal {n}", "status": "planned"})
    for n in range(3):
        put(live_store, user, "work", {"job_title": f"Job {n}", "start": "2019-09"})
    return user


def switch_language(page: Page, code: str) -> None:
    """Choose another language in the menu at the top of the page."""
    helpers.switch_language(page, code)


def test_a_language_switch_right_after_sign_in_reaches_every_kept_page_on_a_slow_phone(
        phone, base, layla):
    pid = layla["id"]
    page = first_page(phone)
    with busy_cores():
        sign_in(page, base, layla["username"])
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        switch_language(page, "en")  # at once, while the Arabic pack is being kept
        expect(page.locator("html")).to_have_attribute("lang", "en")
        wait_until_offline_ready(page, pid)
        wait_until(page, PACK_CURRENT, f"pack:{pid}", timeout=90_000,
                   what="the English pack noted as kept")
        newest = page.locator("#tk-context").get_attribute("data-pack-version")

    facts = page.evaluate(KEPT_PAGE_FACTS)
    assert sorted(fact["url"] for fact in facts) == sorted(profile_paths(pid)), facts
    outdated = [fact for fact in facts if (fact["lang"], fact["version"]) != ("en", newest)]
    assert outdated == [], f"{len(outdated)} of {len(facts)} kept pages are outdated: {outdated}"

    phone.set_offline(True)
    for path, heading in [(f"/people/{pid}/basics", "About you"),
                          ("/outbox", "Changes on this phone"), ("/offline", "No connection"),
                          (f"/people/{pid}/skills/new", "Skills"),
                          (f"/people/{pid}/", "Layla Hamdan")]:
        response = goto(page, f"{base}{path}")
        assert response is not None and response.from_service_worker, path
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
