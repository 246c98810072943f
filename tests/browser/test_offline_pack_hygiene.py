"""What the phone keeps is what the server has: no deleted entries, no stale messages.

A pack refresh drops the kept pages of the person's profile that the pack no
longer lists (the edit page of a deleted entry). A "Saved." is shown once, to
the person: a refresh running meanwhile does not take it, and no kept page
repeats it offline.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_offline_refresh as refresh
from tests.browser.helpers import put, wait_for_htmx
from tests.browser.offline_helpers import (
    READ_RECORDS,
    accept_dialogs,
    goto,
    kept_pages,
    wait_until,
    wait_until_offline_ready,
)
from tests.browser.test_offline_refresh import PACK_CURRENT, PACK_META, expect_kept_page, ready

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

# The refresh journeys' fixtures: a phone with its own storage, and Amina (basics and
# one skill, in English).
phone, amina = refresh.phone, refresh.amina

# What offline.js refreshPack does: get the pack's list, hand it to the worker and,
# once every page is kept, note the pack's version; true when it got that far.
REFRESH_PACK = f"""async (person) => {{
  const response = await fetch(`/sync/pack?person=${{encodeURIComponent(person)}}`,
    {{ credentials: "same-origin", headers: {{ "X-Talentkaart-Sync": "1" }} }});
  const pack = await response.json();
  const channel = new MessageChannel();
  const kept = new Promise((resolve) => {{
    channel.port1.onmessage = (event) => resolve(event.data.kept);
  }});
  navigator.serviceWorker.controller.postMessage({{ type: "cache-pages", urls: pack.urls }},
    [channel.port2]);
  if (!(await kept)) return false;
  return await ({PACK_META})([`pack:${{person}}`,
    {{ version: pack.version, stamp: pack.stamp, seq: pack.seq, at: Date.now() }}]);
}}"""

# Whether the kept copy of a page shows ``text``.
KEPT_COPY_SHOWS = """async ([path, text]) => {
  for (const name of await caches.keys()) {
    if (!name.startsWith("pages-")) continue;
    const kept = await (await caches.open(name)).match(path, { ignoreVary: true });
    if (kept) return (await kept.text()).includes(text);
  }
  return false;
}"""

# The kept pages that show a flash message (such as "Saved.").
KEPT_WITH_MESSAGE = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("pages-")) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const body = await (await cache.match(request)).text();
      if (body.includes('class="flash')) found.push(request.url);
    }
  }
  return found;
}"""


def skill(text: str) -> dict:
    """A skill in the person's own words."""
    return {"free_text": text, "level": "4", "learned": "life"}


class WithoutSync:
    """WSGI middleware: the phone's sync requests get no answer (pages still do)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] in ("/sync/pull", "/sync/pack"):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"not now"]
        return self.app(environ, start_response)


class HoldShownPage:
    """WSGI middleware holding back the page htmx asks for at ``path`` until released.

    The worker's own requests (its pack refresh) go through: htmx marks its
    requests with ``HX-Request``, the worker does not.
    """

    def __init__(self, app, path: str):
        self.app, self.path = app, path
        self.arrived, self.release = threading.Event(), threading.Event()

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == self.path and environ.get("HTTP_HX_REQUEST"):
            self.arrived.set()
            self.release.wait(30)
        return self.app(environ, start_response)


def entry(page: Page, text: str):
    """The entry (a list item) that shows ``text``."""
    return page.get_by_role("main").get_by_role("listitem").filter(has_text=text)


def test_a_deleted_entry_no_longer_opens_offline_and_the_rest_still_does(phone, base,
                                                                         live_store, amina):
    pid = amina["id"]
    baking = put(live_store, amina, "skill", skill("Baking injera"))
    bikes = put(live_store, amina, "skill", skill("Repairing bicycles"))
    baking_page, bikes_page = f"/people/{pid}/skills/{baking}", f"/people/{pid}/skills/{bikes}"
    page = ready(phone, base, amina)
    wait_until_offline_ready(page, pid, [baking, bikes])

    accept_dialogs(page)
    goto(page, f"{base}/people/{pid}/skills/")
    wait_for_htmx(page)
    entry(page, "Baking injera").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text="Deleted.")).to_be_visible()
    assert live_store.record(baking)["deleted"]

    # The next page tells the phone its pack changed; wait until it is refreshed, and
    # the entry is a tombstone in the data the phone keeps.
    goto(page, f"{base}/people/{pid}/")
    wait_until(page, PACK_CURRENT, f"pack:{pid}", what="the pack without the deleted entry")
    wait_until(page, f"async ([person, id]) => (await ({READ_RECORDS})(person))[id].deleted",
               [pid, baking], what="the deleted entry's tombstone")
    # No page per entry is kept: an entry's form is the forms page, filled in offline.
    assert not [url for url in kept_pages(page) if baking in url or bikes in url]

    phone.set_offline(True)
    goto(page, f"{base}{baking_page}")
    expect(page.get_by_role("heading", name="No connection", level=1)).to_be_visible()
    expect(page.get_by_text("Baking injera")).to_have_count(0)
    expect_kept_page(page, f"{base}{bikes_page}", "Skills")
    expect(page.get_by_label("Other skill, in your own words")).to_have_value(
        "Repairing bicycles")
    expect_kept_page(page, f"{base}/people/{pid}/skills/", "Skills")
    expect(entry(page, "Repairing bicycles")).to_be_visible()
    expect(entry(page, "Baking injera")).to_have_count(0)
    expect_kept_page(page, f"{base}/people/{pid}/", "Amina Yusuf")


def fill_skill(page: Page, text: str) -> None:
    """Fill in the "add a skill" form with a skill in the person's own words."""
    page.get_by_label("Other skill, in your own words").fill(text)
    page.get_by_role("radio", name="I can teach it to others").check()
    page.get_by_role("radio", name="In daily life or by myself").check()


def expect_kept_without_message(page: Page, url: str, text: str) -> None:
    """No kept page shows a message; with no network, the one of ``url`` shows ``text``."""
    assert page.evaluate(KEPT_WITH_MESSAGE) == []
    expect_kept_page(page, url, "Skills")
    expect(entry(page, text)).to_be_visible()
    expect(page.get_by_text("Saved.", exact=True)).to_have_count(0)
    expect(page.locator(".flash")).to_have_count(0)


def test_a_pack_refresh_during_a_save_leaves_the_saved_message_to_the_person(
        phone, base, live_app, amina):
    pid = amina["id"]
    section = f"/people/{pid}/skills/"
    page = ready(phone, base, amina)
    held = HoldShownPage(live_app.wsgi_app, section)
    live_app.wsgi_app = held

    goto(page, f"{base}{section}new")
    fill_skill(page, "Baking injera")
    page.get_by_role("button", name="Save").click(no_wait_after=True)
    # Saved; before the browser gets the page it is sent to, the phone refreshes its pack
    # (begun a moment after the save: the pack already lists the new entry).
    try:
        assert held.arrived.wait(20), "the page after saving was never asked for"
        assert page.evaluate(REFRESH_PACK, pid)
    finally:
        held.release.set()

    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(entry(page, "Baking injera")).to_be_visible()
    wait_until(page, PACK_CURRENT, f"pack:{pid}", what="the pack with the new entry")
    phone.set_offline(True)
    expect_kept_without_message(page, f"{base}{section}", "Baking injera")


def test_a_page_shown_with_the_saved_message_is_kept_without_it(phone, base, live_app, amina):
    pid = amina["id"]
    section = f"/people/{pid}/skills/"
    page = ready(phone, base, amina)
    # Only the page shown after saving can bring the new entry onto the phone: the
    # phone's sync (and with it its pack refresh) gets no answer.
    live_app.wsgi_app = WithoutSync(live_app.wsgi_app)

    goto(page, f"{base}{section}new")
    fill_skill(page, "Baking injera")
    # Sent as an ordinary page, as before htmx takes the form over on a slow phone: the
    # page it leads to is a navigation, which the worker keeps.
    with page.expect_navigation(url=f"{base}{section}"):
        page.locator("form[data-offline]").evaluate("form => form.submit()")
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    wait_until(page, KEPT_COPY_SHOWS, [section, "Baking injera"], what="the new entry kept")

    phone.set_offline(True)
    expect_kept_without_message(page, f"{base}{section}", "Baking injera")
