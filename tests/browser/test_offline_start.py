"""The installed app started with no network opens the person's kept home.

The manifest's start URL (``/?source=pwa``) and ``/`` are redirects on the
server; with no network the phone has to know where they lead. Everything an
offline start asks for (the page, its files, the manifest and its icons) comes
from the phone, and every way out of the "No connection" page leads to a kept page.
"""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from sync.write import new_id
from tests.browser import test_offline as journeys
from tests.browser.offline_helpers import (
    first_page,
    goto,
    overview_path,
    sign_in,
    wait_until,
    wait_until_offline_ready,
)
from tests.browser.test_offline_refresh import PACK_CURRENT

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

# A restartable phone and Amina (English, basics filled in), as in the offline journeys.
phone, phone_dir, refugee = journeys.phone, journeys.phone_dir, journeys.refugee


class Unplugged:
    """WSGI middleware: while ``on``, the network is gone also for what still arrives.

    Playwright's offline emulation reaches a service worker that has just
    started a moment late, so its first fetch may still get out: here it gets
    its connection cut, as it would with no network.
    """

    def __init__(self, app):
        self.app, self.on = app, False

    def __call__(self, environ, start_response):
        if not self.on:
            return self.app(environ, start_response)
        environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        start_response("503 Service Unavailable", [])  # heard by nobody
        return [b""]


@pytest.fixture
def unplugged(live_app):
    middleware = Unplugged(live_app.wsgi_app)
    live_app.wsgi_app = middleware
    return middleware


class Requests:
    """Every request the page makes, and how it was answered; and whether any of the
    worker's own (it asks the network first for a page) got an answer from the network."""

    def __init__(self, context: BrowserContext):
        self.answered: list[tuple[str, bool]] = []
        self.failed: list[str] = []
        self.worker_got_answers: list[str] = []
        context.on("requestfinished", self._finished)
        context.on("requestfailed", self._failed)

    def _finished(self, request) -> None:
        if request.service_worker is not None:
            self.worker_got_answers.append(request.url)
            return
        response = request.response()
        self.answered.append((request.url, bool(response and response.from_service_worker)))

    def _failed(self, request) -> None:
        if request.service_worker is None:
            self.failed.append(f"{request.url}: {request.failure}")

    def from_the_network(self) -> list[str]:
        return [url for url, by_worker in self.answered if not by_worker]


def kept_once(phone, base: str, user: dict, unplugged: Unplugged) -> tuple[BrowserContext, Page]:
    """One online visit after signing in, until the whole pack is kept; then the browser
    is closed and started again with no network, as a phone in a village would."""
    context = phone()
    page = first_page(context)
    sign_in(page, base, user["username"])
    wait_until_offline_ready(page, user["id"])
    wait_until(page, PACK_CURRENT, f"pack:{user['id']}", what="the pack noted as current")
    context.close()
    unplugged.on = True
    context = phone()
    context.set_offline(True)
    return context, first_page(context)


def expect_home(page: Page, base: str, user: dict) -> None:
    expect(page).to_have_url(f"{base}{overview_path(user['id'])}")
    expect(page.get_by_role("heading", name=user["display_name"], level=1)).to_be_visible()


@pytest.mark.parametrize("start", ["/?source=pwa", "/"])
def test_an_offline_start_opens_the_kept_home_and_asks_the_network_nothing(
        phone, base, unplugged, refugee, start):
    context, page = kept_once(phone, base, refugee, unplugged)
    requests = Requests(context)

    goto(page, f"{base}{start}")
    expect_home(page, base, refugee)
    # Chromium reads the manifest (and its icons) when it checks the installed app.
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [] and '"start_url"' in manifest.get("data", ""), manifest
    assert cdp.send("Page.getInstallabilityErrors") == {"installabilityErrors": []}
    page.wait_for_load_state("networkidle")

    assert any(url.endswith("manifest.webmanifest") for url, _ in requests.answered)
    assert requests.from_the_network() == []
    assert requests.failed == []
    assert requests.worker_got_answers == []
    expect(page.get_by_role("status").filter(has_text="No internet")).to_be_visible()


def test_every_way_out_of_the_no_connection_page_leads_to_a_kept_page(phone, base, unplugged,
                                                                       refugee):
    context, page = kept_once(phone, base, refugee, unplugged)
    # A page that was never kept: an entry made on another device since.
    lost = f"{base}/people/{refugee['id']}/skills/{new_id()}"

    def no_connection_page():
        goto(page, lost)
        expect(page.get_by_role("heading", name="No connection", level=1)).to_be_visible()
        main = page.get_by_role("main")
        return main.get_by_role("link").all() + main.get_by_role("button").all()

    ways_out = no_connection_page()
    assert ways_out, "the page offers no way out"
    for index in range(len(ways_out)):
        no_connection_page()[index].click()
        expect(page).not_to_have_url(lost)
        expect(page.get_by_role("heading", name="No connection")).to_have_count(0)
        expect(page.get_by_role("heading", level=1)).to_be_visible()

    no_connection_page()
    page.get_by_role("main").get_by_role("link", name="Go to my profile").click()
    expect_home(page, base, refugee)
    # The site's name in the header leads home too.
    no_connection_page()
    page.get_by_role("link", name="Talentkaart", exact=True).click()
    expect_home(page, base, refugee)
