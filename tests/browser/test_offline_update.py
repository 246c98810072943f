"""A new version never costs the phone its kept pages.

A new worker re-fetches the pages the old one kept (drawn by the new templates).
When it cannot (no network, the server busy), its install fails: the old version
and every page it kept stay, and the browser tries again later.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from tests.browser import test_offline as journeys
from tests.browser.offline_helpers import (
    PACK_CACHED,
    SECTION_SLUGS,
    cache_names,
    profile_paths,
    wait_until,
    wait_until_offline_ready,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

# A restartable phone and Amina (English, basics filled in), as in the offline journeys.
phone, phone_dir, refugee = journeys.phone, journeys.phone_dir, journeys.refugee
NEW = "0f0f0f0f0f0f0f0f"


class BusyForKeptCopies:
    """WSGI middleware: while ``on``, the worker's copies to keep get a 503."""

    def __init__(self, app):
        self.app, self.on, self.refused = app, True, threading.Event()

    def __call__(self, environ, start_response):
        if self.on and environ.get("HTTP_X_TALENTKAART_KEEP") == "1":
            self.refused.set()
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"busy"]
        return self.app(environ, start_response)


# Whether the browser has finished with the worker it was installing (none waits).
INSTALL_OVER = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  return !registration.installing && !registration.waiting;
}"""


def test_an_update_that_cannot_refresh_the_kept_pages_keeps_the_old_version(
        phone, base, live_app, refugee, monkeypatch):
    import pwa.offline

    pid = refugee["id"]
    context, page = journeys.online_ready(phone, base, refugee)
    old = sorted(cache_names(page))
    busy = BusyForKeptCopies(live_app.wsgi_app)
    live_app.wsgi_app = busy

    monkeypatch.setattr(pwa.offline, "build_version", lambda root=None: NEW)
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())"
                  ".then(() => true, () => false)")
    assert busy.refused.wait(20), "the new worker never asked for the kept pages"
    wait_until(page, INSTALL_OVER, what="the failed install")
    # The old version stays, with every page it kept; nothing of the new one is left.
    assert sorted(cache_names(page)) == old
    assert page.evaluate(PACK_CACHED, profile_paths(pid))
    expect(page.locator("#tk-update")).to_be_hidden()
    context.set_offline(True)
    journeys.open_offline(page, base, f"/people/{pid}/", "Amina Yusuf")
    for slug in SECTION_SLUGS:
        journeys.open_offline(page, base, f"/people/{pid}/{slug}/",
                              journeys.SECTION_HEADINGS[slug])

    # With the server answering again, the update goes through, pages and all.
    context.set_offline(False)
    busy.on = False
    page.reload()
    banner = page.locator("#tk-update")
    expect(banner).to_be_visible(timeout=20_000)
    with page.expect_event("load", timeout=20_000):
        banner.get_by_role("button", name="Update now").click()
    wait_until(page, f"""async () => (await caches.keys()).every((n) => n.endsWith("{NEW}"))""",
               what="only the new caches")
    wait_until_offline_ready(page, pid)
    assert sorted(cache_names(page)) == [f"pages-{NEW}", f"shell-{NEW}"]
