"""The offline pack on a phone: refreshed only when it changed, and only ever one person's.

A refresh asks the server only for the kept pages whose tag (in the pack's list)
is not the kept copy's: with nothing changed, for none; the stamp on every page,
and the person's change number, tell the phone when to refresh (a new language at
once, not minutes later); and the pages kept for one person are never shown to the
next one on the same browser.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from pwa.offline import pack_urls
from tests.browser.helpers import add_location, add_user, page_gettext, put, switch_language
from tests.browser.offline_helpers import (
    READ_RECORDS,
    SECRET,
    first_page,
    goto,
    kept_pages,
    kept_records,
    open_phone,
    put_basics,
    sign_in,
    wait_until,
    wait_until_offline_ready,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

# The phone's note of the pack it keeps (IndexedDB meta "pack:<person>"), read or written.
PACK_META = """async ([key, value]) => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open("talentkaart");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  try {
    const tx = db.transaction("meta", value === undefined ? "readonly" : "readwrite");
    const req = value === undefined ? tx.objectStore("meta").get(key)
      : tx.objectStore("meta").put(value, key);
    return await new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(value === undefined ? req.result : true);
      req.onerror = () => reject(req.error);
    });
  } finally { db.close(); }
}"""

# True once the phone noted that it keeps the pack this page belongs to: of the stamp
# the page carries, and (on a page that shows entries) at least of the change it shows.
PACK_CURRENT = f"""async (key) => {{
  const noted = await ({PACK_META})([key, undefined]);
  const shown = document.getElementById("tk-context").dataset;
  return noted?.stamp === shown.packVersion && !(Number(shown.seq || 0) > noted.seq);
}}"""


class Recorder:
    """WSGI middleware noting each request's path and status, as the server answered it."""

    def __init__(self, app):
        self.app = app
        self.seen: list[tuple[str, int]] = []

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING")
        path = environ["PATH_INFO"] + (f"?{query}" if query else "")

        def start(status, headers, exc_info=None):
            self.seen.append((path, int(status[:3])))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


@pytest.fixture
def amina(live_store):
    """A refugee with a filled-in profile, using the app in English."""
    add_location(live_store)
    user = add_user(live_store, "refugee", "amina", "Amina Yusuf")
    put_basics(live_store, user)
    put(live_store, user, "skill", {"code": "skill.trades.welding", "level": "3",
                                    "learned": "work"})
    return user


@pytest.fixture
def bilal(live_store, amina):
    """Another refugee at the same centre, who may borrow the same phone."""
    user = add_user(live_store, "refugee", "bilal", "Bilal Haddad")
    put_basics(live_store, user)
    return user


@pytest.fixture
def phone(browser_type, browser_type_launch_args, tmp_path):
    """A phone's browser, whose storage lives in its own folder."""
    context = open_phone(browser_type, tmp_path / "phone", browser_type_launch_args)
    yield context
    context.close()


def ready(phone: BrowserContext, base: str, user: dict) -> Page:
    """Sign in and wait until the whole pack is kept and noted as current."""
    page = first_page(phone)
    sign_in(page, base, user["username"])
    wait_until_offline_ready(page, user["id"])
    wait_until(page, PACK_CURRENT, f"pack:{user['id']}", what="the pack noted as current")
    return page


def expect_kept_page(page: Page, url: str, heading: str) -> None:
    """With no network, ``url`` opens from the phone with its heading."""
    response = goto(page, url)
    assert response is not None and response.from_service_worker, url
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


def expect_not_shown(page: Page, base: str, owner: dict) -> None:
    """Offline, the first person's own page shows nothing of theirs."""
    goto(page, f"{base}/people/{owner['id']}/")
    expect(page.get_by_role("heading", name="No connection", level=1)).to_be_visible()
    expect(page.get_by_text(owner["display_name"])).to_have_count(0)
    context = page.locator("#tk-context")
    if context.count():
        assert context.get_attribute("data-user") != owner["id"]


# ---- a refresh with nothing changed ----------------------------------------------------

def test_an_unchanged_pack_is_refreshed_without_asking_for_a_page_and_still_opens_offline(
        phone, base, live_app, amina):
    pid = amina["id"]
    page = ready(phone, base, amina)
    with live_app.test_request_context():
        pack = pack_urls(pid, pid)
    recorder = Recorder(live_app.wsgi_app)
    live_app.wsgi_app = recorder

    # A day later the phone refreshes the pack, though nothing changed.
    page.evaluate(PACK_META, [f"pack:{pid}", {"version": "", "at": 0}])
    page.reload()
    expect(page.get_by_role("heading", name="Amina Yusuf", level=1)).to_be_visible()
    wait_until(page, PACK_CURRENT, f"pack:{pid}", what="the refreshed pack noted")

    answers = [(path, status) for path, status in recorder.seen if path in pack]
    # The page shown again is asked for (a 304: unchanged); the refresh asks for none,
    # as the pack's list says each kept copy is current.
    assert answers == [(f"/people/{pid}/", 304)], answers
    assert (f"/sync/pack?person={pid}", 200) in recorder.seen

    phone.set_offline(True)
    expect_kept_page(page, f"{base}/people/{pid}/", "Amina Yusuf")
    expect_kept_page(page, f"{base}/people/{pid}/skills/", "Skills")
    expect(page.get_by_text("Weld metal")).to_be_visible()
    expect_kept_page(page, f"{base}/people/{pid}/languages/new", "Languages")


def test_a_change_refreshes_the_pages_that_show_entries_and_not_the_forms(
        phone, base, live_app, live_store, amina):
    pid = amina["id"]
    page = ready(phone, base, amina)
    recorder = Recorder(live_app.wsgi_app)
    live_app.wsgi_app = recorder
    put(live_store, amina, "goal", {"title": "Become a nurse"})

    page.goto(f"{base}/people/{pid}/plan/")  # the new goal is here, and a new change number
    expect(page.get_by_text("Become a nurse")).to_be_visible()
    wait_until(page, PACK_CURRENT, f"pack:{pid}", what="the refreshed pack noted")
    asked = {path for path, _ in recorder.seen}
    assert (f"/people/{pid}/plan/", 200) in recorder.seen
    assert (f"/people/{pid}/skills/", 200) in recorder.seen  # its change number is new too
    # The forms page (the biggest by far), the outbox and the offline page show no
    # entry: the pack's list says their kept copies are current, so none is asked for.
    for path in (f"/people/{pid}/forms", "/outbox", "/offline"):
        assert path not in asked, path
    # The new goal came as data too: a step can be added under it offline.
    wait_until(page, f"async (person) => Object.values(await ({READ_RECORDS})(person))"
               ".some((r) => r.data.title === 'Become a nurse')", pid, what="the goal as data")

    phone.set_offline(True)
    expect_kept_page(page, f"{base}/people/{pid}/", "Amina Yusuf")
    expect(page.get_by_role("link", name=re.compile("Development plan .* 1 entry"))).to_be_visible()


# ---- a new language ----------------------------------------------------------------------

def test_after_a_language_switch_other_kept_pages_are_in_the_new_language(phone, base, amina):
    pid = amina["id"]
    page = ready(phone, base, amina)
    switch_language(page, "nl")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    wait_until(page, PACK_CURRENT, f"pack:{pid}", what="the Dutch pack noted")

    phone.set_offline(True)
    _ = page_gettext(page)
    expect_kept_page(page, f"{base}/people/{pid}/skills/", _("Skills"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")


# ---- one person's pages, never the next person's ---------------------------------------

def test_after_signing_out_the_next_person_never_sees_the_first_ones_pages(phone, base,
                                                                          amina, bilal):
    page = ready(phone, base, amina)
    page.get_by_role("button", name="Sign out").click(no_wait_after=True)
    expect(page).to_have_url(re.compile("/sign-in"))
    page = ready(phone, base, bilal)
    assert not [url for url in kept_pages(page) if amina["id"] in url]
    assert kept_records(page, amina["id"]) == {}

    phone.set_offline(True)
    expect_not_shown(page, base, amina)
    goto(page, f"{base}/people/{amina['id']}/skills/new")
    expect(page.get_by_role("heading", name="No connection", level=1)).to_be_visible()


def test_a_session_that_ended_elsewhere_leaves_no_pages_for_the_next_person(phone, base,
                                                                          amina, bilal):
    page = ready(phone, base, amina)
    # Signed out without the button (the session expired, the PIN changed elsewhere):
    # nothing on the phone cleared the pages. The next answer says who is signed in now.
    assert kept_records(page, amina["id"])  # her skill, kept as data
    phone.clear_cookies()
    page = ready(phone, base, bilal)
    assert not [url for url in kept_pages(page) if amina["id"] in url]
    # Bilal's first pull found entries of another session's person: they went first.
    assert kept_records(page, amina["id"]) == {}

    phone.set_offline(True)
    expect_not_shown(page, base, amina)


def test_an_idle_shared_device_stops_showing_the_kept_pages(phone, base, amina):
    page = first_page(phone)
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(amina["username"])
    page.get_by_label("PIN or passphrase").fill(SECRET)
    page.get_by_label("This is a shared device (for example a tablet at the centre)").check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile("/people/"))
    wait_until_offline_ready(page, amina["id"])

    phone.set_offline(True)
    # The last answer from the server was 31 minutes ago: it has signed her out by now.
    idle = page.evaluate("""async () => {
      const name = (await caches.keys()).find((n) => n.startsWith("pages-"));
      const cache = await caches.open(name);
      const owner = await (await cache.match("/sw-owner")).json();
      owner.seen -= 31 * 60 * 1000;
      await cache.put("/sw-owner", new Response(JSON.stringify(owner)));
      return owner.idle;
    }""")
    assert idle == 30 * 60
    expect_not_shown(page, base, amina)
    # What is shown is the shell's page, which belongs to nobody.
    expect(page.locator("#tk-context")).to_have_count(0)
