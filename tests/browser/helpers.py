"""Small helpers shared by the browser journeys: arranging users, signing in, layout checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from babel.support import Translations
from playwright.sync_api import Locator, Page, expect

from sync import accounts
from sync.store import Store
from sync.write import Actor, Operation, apply, new_id

LOCATION = "loc-ter-apel"
LOCATION_NAME = "AZC Ter Apel"
SECRET = "482913"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def add_location(store: Store, location_id: str = LOCATION, name: str = LOCATION_NAME) -> str:
    """An asylum centre to put people in; returns its id."""
    store.add_location(location_id, name, "azc")
    return location_id


def add_user(store: Store, role: str, username: str, name: str, *, location: str = LOCATION,
             locale: str = "en", secret: str = SECRET) -> dict:
    """A user of ``role`` at ``location``, created in the store; returns the user row."""
    user_id = accounts.create_user(
        store, role=role, username=username, display_name=name, secret=secret,
        location_id=location if role == "refugee" else None,
        location_ids=[location] if role in ("volunteer", "coach") else [], locale=locale)
    return store.user(user_id)


def put(store: Store, user: dict, record_type: str, fields: dict) -> str:
    """Save a new record through the write path as the person themselves; returns its id."""
    record_id = new_id()
    apply(store, Actor(user["id"], user["role"]),
          Operation(new_id(), user["id"], record_type, record_id, "put", 0, fields))
    return record_id


def page_gettext(page: Page) -> Callable[[str], str]:
    """``gettext`` for the language the page is shown in (from ``<html lang>``).

    Before sign-in a page follows the browser's language (nl-NL here), so its
    labels are Dutch once the Dutch catalog is compiled, and English msgids before.
    """
    lang = (page.locator("html").get_attribute("lang") or "en").replace("-", "_")
    return Translations.load(str(TRANSLATIONS), [lang]).gettext


def sign_in(page: Page, base: str, username: str, secret: str = SECRET) -> None:
    """Sign in through the real form and wait until the start page is shown."""
    page.goto(f"{base}/sign-in")
    _ = page_gettext(page)
    page.get_by_label(_("Username")).fill(username)
    page.get_by_label(_("PIN or passphrase")).fill(secret)
    page.get_by_role("button", name=_("Sign in"), exact=True).click()
    # scrypt is slow on purpose; on a busy CI machine 5 s is not always enough.
    expect(page).not_to_have_url(re.compile(r"/sign-in"), timeout=15_000)


def wait_for_htmx(page: Page) -> None:
    """Wait until htmx has swapped and settled the last boosted page.

    New content gets its ``hx-*`` behaviour only when htmx settles it (about
    20 ms after the swap): typing into a search box or pressing an hx-confirm
    button before that would bypass htmx. People are never that fast; tests are.
    """
    page.wait_for_function(
        "() => window.htmx && !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")


def assert_no_horizontal_scroll(page: Page, width: int = 320) -> None:
    """At ``width`` CSS pixels the page fits: nothing sticks out sideways."""
    page.set_viewport_size({"width": width, "height": 740})
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if not fits:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > window.innerWidth)
                 .slice(0, 5).map(e => e.outerHTML.slice(0, 120))""")
        raise AssertionError(f"{page.url} scrolls sideways at {width}px: {wide}")


def expect_field_error(page: Page, label: str, message: str, *, exact: bool = False,
                       within: Locator | None = None) -> None:
    """The field ``label`` (in ``within``, if given) is invalid and tells ``message``.

    GOV.UK style: the message is read out with the field (it is in its
    ``aria-describedby``, after a hidden "Error:"), and the error summary at the
    top links to it.
    """
    field = (within or page).get_by_label(label, exact=exact)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(f"Error: {re.escape(message)}"))
    summary_title = page.get_by_role("heading", name="There is a problem")
    expect(summary_title).to_be_visible()
    # The summary takes focus, so a screen reader announces it after the page changes.
    expect(summary_title.locator("..")).to_be_focused()
    link = page.get_by_role("link", name=message, exact=True)
    expect(link).to_have_attribute("href", f"#{field.get_attribute('id')}")


def open_language_menu(page: Page):
    """Open the language menu at the top of the page (the globe); returns its list."""
    menu = page.locator("header details.lang-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return menu.get_by_role("list")


def switch_language(page: Page, code: str) -> None:
    """Choose another language in the menu at the top of the page, by its button."""
    from sync import locales

    name = locales.LOCALES[code].own_name
    open_language_menu(page).get_by_role("button", name=name, exact=True).click(
        no_wait_after=True)
