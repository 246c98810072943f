"""What the offline-first phone costs in bytes: counted, not timed.

Budgets (kB of 1000 bytes, as the server sends them: status line, headers and the
body, compressed as the browser asks):

- the demo profile's offline pack (bench/page_weight.py --pack): at most 100 kB in
  at most 15 requests; a refresh with nothing changed at most 2 kB, no page again;
- a warm online visit (the app kept): the page's own 304, and at most 1 kB more,
  the worker's update check a 304;
- htmx and the CSS travel once per version of the file, also across app versions;
- a first visit (the sign-in page, cold): at most 50 kB.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from bench.page_weight import measure_page, pack_figures
from sync.demo import load_demo
from tests.browser import test_offline as journeys
from tests.browser.offline_helpers import (
    cache_names,
    first_page,
    goto,
    overview_path,
    sign_in,
    wait_until,
    wait_until_offline_ready,
)
from tests.browser.test_offline_refresh import PACK_CURRENT

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

KB = 1000
# A restartable phone and Amina (English, basics filled in), as in the offline journeys.
phone, phone_dir, refugee = journeys.phone, journeys.phone_dir, journeys.refugee
# What the server itself adds to each answer besides the app's headers (Date, Server).
SERVER_HEADERS = len("Date: Tue, 01 Dec 2026 10:00:00 GMT\r\nServer: waitress\r\n")


class Answers:
    """WSGI middleware noting each answer: path, status and the bytes it took."""

    def __init__(self, app):
        self.app = app
        self.seen: list[tuple[str, int, int]] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING")
        path = environ["PATH_INFO"] + (f"?{query}" if query else "")
        head = {}

        def start(status, headers, exc_info=None):
            head["status"] = int(status[:3])
            head["bytes"] = (len(f"HTTP/1.1 {status}\r\n\r\n") + SERVER_HEADERS
                             + sum(len(f"{name}: {value}\r\n") for name, value in headers))
            return start_response(status, headers, exc_info)

        answer = self.app(environ, start)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()  # a static file's handle
        with self.lock:
            self.seen.append((path, head["status"], head["bytes"] + len(body)))
            self.arrived.notify_all()
        return [body]

    def wait_for(self, path: str, timeout: float = 20) -> None:
        """Block until an answer for ``path`` went out."""
        with self.lock:
            if not self.arrived.wait_for(lambda: any(p == path for p, _, _ in self.seen),
                                         timeout):
                raise AssertionError(f"no request for {path}: {self.seen}")


@pytest.fixture
def answers(live_app):
    middleware = Answers(live_app.wsgi_app)
    live_app.wsgi_app = middleware
    return middleware


def test_the_demo_pack_fits_its_budget_and_an_unchanged_refresh_asks_for_no_page(
        base, live_store):
    load_demo(live_store)
    figures = pack_figures(base, "tesfay", "739184")
    first, refresh = figures["first"], figures["refresh"]
    assert first["bytes"] <= 100 * KB, figures
    assert first["requests"] <= 15, figures
    assert figures["pages"] == 13
    assert refresh["bytes"] <= 2 * KB, figures
    # The pack's list alone: every kept copy is current, so no page is asked for.
    assert refresh["statuses"] == {200: 1}, figures


def test_a_warm_visit_costs_the_pages_304_and_a_304_for_the_worker(phone, base, live_app,
                                                                   refugee):
    context = phone()
    page = first_page(context)
    sign_in(page, base, refugee["username"])
    wait_until_offline_ready(page, refugee["id"])
    wait_until(page, PACK_CURRENT, f"pack:{refugee['id']}", what="the pack noted as current")
    context.close()

    # The next day the person opens the app again, with a network.
    recorder = Answers(live_app.wsgi_app)
    live_app.wsgi_app = recorder
    context = phone()
    page = first_page(context)
    home = overview_path(refugee["id"])
    goto(page, f"{base}{home}")
    expect(page.get_by_role("heading", name=refugee["display_name"], level=1)).to_be_visible()
    recorder.wait_for("/sw.js")  # the browser's check for a new worker
    page.wait_for_load_state("networkidle")

    seen = list(recorder.seen)
    print("warm visit:", seen)
    assert [(path, status) for path, status, _ in seen if path == home] == [(home, 304)]
    rest = [(path, status, size) for path, status, size in seen if path != home]
    assert ("/sw.js", 304) in [(path, status) for path, status, _ in rest], rest
    assert sum(size for _, _, size in rest) <= 1 * KB, rest


def test_htmx_and_the_css_travel_once_per_version_of_the_file(phone, base, live_app, refugee,
                                                            answers, monkeypatch):
    import pwa.offline

    context = phone()
    page = first_page(context)
    sign_in(page, base, refugee["username"])
    wait_until_offline_ready(page, refugee["id"])

    def downloads():
        return {name: sum(1 for path, status, _ in answers.seen
                          if status == 200 and path.startswith(f"/static/{name}"))
                for name in ("vendor/htmx/htmx.min.js", "css/app.css")}

    assert downloads() == {"vendor/htmx/htmx.min.js": 1, "css/app.css": 1}

    # A new version of the app, with the same htmx and CSS: the new worker copies them.
    monkeypatch.setattr(pwa.offline, "build_version", lambda root=None: "0f0f0f0f0f0f0f0f")
    page.reload()
    banner = page.locator("#tk-update")
    expect(banner).to_be_visible(timeout=20_000)
    with page.expect_event("load", timeout=20_000):
        banner.get_by_role("button", name="Update now").click()
    wait_until(page, """async () => (await caches.keys())
                          .every((name) => name.endsWith("0f0f0f0f0f0f0f0f"))""",
               what="only the new caches")
    wait_until_offline_ready(page, refugee["id"])
    assert sorted(cache_names(page)) == ["pages-0f0f0f0f0f0f0f0f", "shell-0f0f0f0f0f0f0f0f"]
    assert downloads() == {"vendor/htmx/htmx.min.js": 1, "css/app.css": 1}


def test_a_first_visit_to_the_sign_in_page_is_under_50_kB(browser, base):
    status, resources = measure_page(browser, f"{base}/sign-in", 30_000)
    assert status == 200
    total = sum(size for _, _, size in resources)
    assert total <= 50 * KB, resources
    assert {kind for _, kind, _ in resources} >= {"Document", "Script", "Stylesheet"}
