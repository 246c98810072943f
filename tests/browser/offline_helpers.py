"""Helpers for the offline journeys: a phone whose storage survives a restart.

A "phone" is a persistent Chromium context: IndexedDB (the outbox), Cache
Storage (the offline pack) and cookies live in ``user_data_dir`` and survive
closing and reopening the browser. Nothing here sleeps: every helper waits for
a condition the app itself makes true (worker in control, pages cached, outbox
drained).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import BrowserContext, BrowserType, Page, expect
from playwright.sync_api import Error as PlaywrightError

from sync.store import Store
from sync.write import Actor, Operation, apply, new_id, singleton_id
from tests.browser.conftest import CHROMIUM, PHONE
from tests.browser.helpers import LOCATION, SECRET

# Sections in the offline pack, by slug (the basics page has its own URL).
SECTION_SLUGS = ("ambitions", "skills", "languages", "education", "work", "volunteering", "plan")

# The outbox's operations, read straight from IndexedDB. Never opens a database
# the app has not made yet: an open without a version would create it empty
# (version 1, no stores), and the app's own upgrade would then never run.
READ_OUTBOX = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes("talentkaart")) return [];
  return await new Promise((resolve, reject) => {
    const open = indexedDB.open("talentkaart");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains("outbox")) { db.close(); resolve([]); return; }
      const req = db.transaction("outbox").objectStore("outbox").getAll();
      req.onsuccess = () => { db.close(); resolve(req.result); };
      req.onerror = () => { db.close(); reject(req.error); };
    };
  });
}"""

# Whether one pages-* cache holds every path in ``paths``.
PACK_CACHED = """async (paths) => {
  for (const name of await caches.keys()) {
    if (!name.startsWith("pages-")) continue;
    const cache = await caches.open(name);
    const kept = new Set((await cache.keys()).map((r) => {
      const u = new URL(r.url);
      return u.pathname + u.search;
    }));
    if (paths.every((p) => kept.has(p))) return true;
  }
  return false;
}"""


def open_phone(browser_type: BrowserType, user_data_dir: Path, launch_args: dict | None = None
               ) -> BrowserContext:
    """Start (or restart) the phone's browser on its own profile folder."""
    args = {k: v for k, v in (launch_args or {}).items() if k not in ("executable_path",)}
    context = browser_type.launch_persistent_context(
        user_data_dir=str(user_data_dir), executable_path=CHROMIUM or None, **args, **PHONE,
        locale="en-GB",
        # The app's CSP forbids eval; Playwright's wait_for_function polls through it.
        bypass_csp=True)
    context.set_default_timeout(15_000)
    return context


def first_page(context: BrowserContext) -> Page:
    """The tab a persistent context opens with (or a new one)."""
    return context.pages[0] if context.pages else context.new_page()


def accept_dialogs(page: Page) -> None:
    """Say yes to confirm() ("Delete this entry?"); Playwright says no by default."""
    page.on("dialog", lambda dialog: dialog.accept())


def sign_in(page: Page, base: str, username: str, secret: str = SECRET) -> None:
    """Sign in through the real form; wait until the browser left the sign-in page."""
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("PIN or passphrase").fill(secret)
    page.get_by_role("button", name="Sign in", exact=True).click(no_wait_after=True)
    page.wait_for_url(re.compile(r"/people/"), wait_until="commit", timeout=20_000)
    page.wait_for_load_state()


def overview_path(person_id: str) -> str:
    """The profile's start page."""
    return f"/people/{person_id}/"


def profile_paths(person_id: str) -> list[str]:
    """The pages of a profile its owner's phone keeps: overview, basics, every section's
    list, the forms page (an empty form of each kind), the outbox, the offline page and
    the privacy page. The same pages for every profile: entries are kept as data, not
    as pages."""
    return ([overview_path(person_id), f"/people/{person_id}/basics"]
            + [f"/people/{person_id}/{slug}/" for slug in SECTION_SLUGS]
            + [f"/people/{person_id}/forms", "/outbox", "/offline",
               f"/people/{person_id}/privacy"])


def wait_until(page: Page, predicate: str, arg=None, *, timeout: float = 20_000,
               what: str = "") -> None:
    """Wait until the async JS ``predicate(arg)`` is true, polled inside the page.

    ``wait_for_function`` does not await a promise (an unresolved promise is
    truthy), and IndexedDB and Cache Storage only answer asynchronously. A
    page that reloads meanwhile (sync reloads to show news) ends the
    evaluation: then ask again in the new page, within the same deadline.
    """
    deadline = time.monotonic() + timeout / 1000
    script = f"""async ([arg, ms]) => {{
      const predicate = {predicate};
      const end = Date.now() + ms;
      for (;;) {{
        try {{ if (await predicate(arg)) return true; }} catch (e) {{ /* not ready yet */ }}
        if (Date.now() > end) return false;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }}
    }}"""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {what or predicate[:80]}")
        try:
            if page.evaluate(script, [arg, int(left * 1000)]):
                return
        except PlaywrightError as error:
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
            page.wait_for_load_state()


# The entries the phone keeps as data (records.js): id -> {type, revision, deleted, data}.
READ_RECORDS = """async (personId) => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes("talentkaart-records")) return {};
  return await new Promise((resolve, reject) => {
    const open = indexedDB.open("talentkaart-records");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains("records")) { db.close(); resolve({}); return; }
      const req = db.transaction("records").objectStore("records").getAll();
      req.onsuccess = () => {
        db.close();
        resolve(Object.fromEntries(req.result.filter((r) => r.person_id === personId)
          .map((r) => [r.id, r])));
      };
      req.onerror = () => { db.close(); reject(req.error); };
    };
  });
}"""


def kept_records(page: Page, person_id: str) -> dict[str, dict]:
    """The person's entries this phone keeps as data, by id."""
    return read(page, READ_RECORDS, person_id)


def wait_until_offline_ready(page: Page, person_id: str, records: list[str] = ()) -> None:
    """The service worker controls the page and keeps every profile page, and the phone
    keeps the entries ``records`` (ids) as data."""
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)
    wait_until(page, PACK_CACHED, profile_paths(person_id), what="the offline pack")
    if records:
        wait_until(page, f"""async ([person, ids]) => {{
              const kept = await ({READ_RECORDS})(person);
              return ids.every((id) => kept[id]);
            }}""", [person_id, list(records)], what="the entries kept as data")


def read(page: Page, script: str, arg=None):
    """``page.evaluate``, asked again in the new page when the app's own reload (sync
    shows news by reloading) ends the evaluation."""
    for _ in range(5):
        try:
            return page.evaluate(script, arg)
        except PlaywrightError as error:
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
            page.wait_for_load_state()
    return page.evaluate(script, arg)


def outbox(page: Page) -> list[dict]:
    """The operations in the phone's outbox (all users)."""
    return read(page, READ_OUTBOX)


def wait_for_outbox(page: Page, count: int, *, status: str | None = None,
                    timeout: float = 20_000) -> None:
    """Wait until the outbox holds ``count`` operations (of ``status``, if given)."""
    wait_until(page, f"""async ([count, status]) => {{
          const ops = await ({READ_OUTBOX})();
          return ops.filter((o) => !status || o.status === status).length === count;
        }}""", [count, status], timeout=timeout,
               what=f"{count} operations {status or ''} in the outbox")


def goto(page: Page, url: str):
    """Open ``url``; if the app's own reload (sync shows news by reloading) cuts the
    navigation short, open it again."""
    for _ in range(3):
        try:
            response = page.goto(url)
            if response is not None:
                return response
        except PlaywrightError as error:
            if "ERR_ABORTED" not in str(error) and "interrupted" not in str(error):
                raise
            page.wait_for_load_state()
    return page.goto(url)


def go_online_and_sync(page: Page) -> None:
    """The network is back: tell the page, as the browser would (again, if need be). A
    page reloading meanwhile (its sync showing news) is told once it has loaded."""
    for _ in range(3):
        try:
            page.evaluate("dispatchEvent(new Event('online'))")
            return
        except PlaywrightError as error:
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
            page.wait_for_load_state()
    page.evaluate("dispatchEvent(new Event('online'))")


def submit(page: Page, name: str = "Save") -> None:
    """Press a form's button without waiting for a navigation that may come from the worker."""
    page.get_by_role("button", name=name, exact=True).click(no_wait_after=True)


def wait_for_section(page: Page, person_id: str, slug: str) -> None:
    """The browser is on a section's list and the offline module has marked its entries."""
    page.wait_for_url(re.compile(f"/people/{person_id}/{slug}/$"), wait_until="commit")
    page.wait_for_load_state()


def expect_pending_counter(page: Page, count: int) -> None:
    """The header says how many changes wait on this phone."""
    text = "1 change not sent yet" if count == 1 else f"{count} changes not sent yet"
    expect(page.locator("#tk-pending")).to_have_text(text)


KEPT_PAGES = """async () => {
  const kept = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("pages-")) continue;
    for (const request of await (await caches.open(name)).keys()) kept.push(request.url);
  }
  return kept;
}"""


def kept_pages(page: Page) -> list[str]:
    """Every URL kept in a pages-* cache."""
    return read(page, KEPT_PAGES)


def cache_names(page: Page) -> list[str]:
    """The names in Cache Storage."""
    return read(page, "caches.keys()")


# ---- arranging data on the server ---------------------------------------------------

def put_basics(store: Store, user: dict, **fields) -> str:
    """Save a person's basics (the one-per-person record); returns its id."""
    record_id = singleton_id(user["id"], "basics")
    data = {"display_name": user["display_name"], "preferred_language": "en",
            "location_id": LOCATION, "residence": "status_holder",
            "permit_date": "2023-05-01", **fields}
    current = store.record(record_id)
    apply(store, Actor(user["id"], "refugee"),
          Operation(new_id(), user["id"], "basics", record_id, "put",
                    current["revision"] if current else 0, data))
    return record_id


def verify_hours(store: Store, coach: dict, record_id: str, status: str = "verified",
                 reason: str = "") -> None:
    """A coach verifies (or questions) volunteer hours through the write path."""
    record = store.record(record_id)
    apply(store, Actor(coach["id"], "coach", frozenset([LOCATION])),
          Operation(new_id(), record["person_id"], "volunteer", record_id, "put",
                    record["revision"], {"status": status, "status_reason": reason}))


def count_with(store: Store, person_id: str, record_type: str, field: str, text: str) -> int:
    """How many live records of ``record_type`` have ``text`` in ``field``."""
    return sum(1 for r in store.records(person_id, record_type)
               if text in str(r["data"].get(field) or ""))
