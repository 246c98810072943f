"""The outbox page: one item per entry, saying what will happen to it, in the reader's words.

A pending delete says it will be deleted; two edits of one entry are one item
(discarding it discards both); an entry made on this phone and never sent can
be deleted from its section's list; and when a change was made is written the
way the reader's language writes dates and times, also for languages the
phone's own Intl does not know (Tigrinya, Somali, Pashto, Kurdish ...).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from flask_babel import force_locale
from playwright.sync_api import BrowserContext, Page, expect

from sync.locales import CODES
from tests.browser.helpers import (
    add_location,
    add_user,
    assert_no_horizontal_scroll,
    page_gettext,
    put,
)
from tests.browser.offline_helpers import (
    accept_dialogs,
    first_page,
    goto,
    open_phone,
    outbox,
    put_basics,
    sign_in,
    submit,
    wait_for_outbox,
    wait_for_section,
    wait_until,
    wait_until_offline_ready,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

ZONE = "Europe/Amsterdam"


@pytest.fixture
def phone(browser_type, browser_type_launch_args, tmp_path):
    """A phone in the Netherlands' time zone, whose storage lives in its own folder."""
    context = open_phone(browser_type, tmp_path / "phone",
                         {**browser_type_launch_args, "timezone_id": ZONE})
    yield context
    context.close()


@pytest.fixture
def amina(live_store):
    """A refugee (English) with two skills and basics on the server."""
    add_location(live_store)
    user = add_user(live_store, "refugee", "amina", "Amina Yusuf")
    put_basics(live_store, user)
    return user


def skill(text: str) -> dict:
    return {"free_text": text, "level": "3", "learned": "work"}


def ready(phone: BrowserContext, base: str, user: dict, extra=()) -> Page:
    page = first_page(phone)
    accept_dialogs(page)
    sign_in(page, base, user["username"])
    wait_until_offline_ready(page, user["id"], list(extra))
    return page


def items(page: Page):
    return page.locator("#tk-outbox").get_by_role("listitem")


def edit_skill(page: Page, base: str, pid: str, record_id: str, text: str) -> None:
    goto(page, f"{base}/people/{pid}/skills/{record_id}")
    page.get_by_label("Other skill, in your own words").fill(text)
    submit(page)
    wait_for_section(page, pid, "skills")


def add_skill_offline(page: Page, base: str, pid: str) -> None:
    """Add the skill "Baking injera" from its form, kept on the phone."""
    goto(page, f"{base}/people/{pid}/skills/new")
    page.get_by_label("Other skill, in your own words").fill("Baking injera")
    page.get_by_role("radio", name="I can teach it to others").check()
    page.get_by_role("radio", name="In daily life or by myself").check()
    submit(page)
    wait_for_section(page, pid, "skills")


def test_one_item_per_entry_with_what_will_happen_to_it(phone, base, live_store, amina):
    pid = amina["id"]
    bikes = put(live_store, amina, "skill", skill("Repairing bicycles"))
    baking = put(live_store, amina, "skill", skill("Baking bread"))
    page = ready(phone, base, amina, [bikes, baking])
    phone.set_offline(True)
    edit_skill(page, base, pid, bikes, "Repairing bicycles and scooters")
    edit_skill(page, base, pid, bikes, "Repairing bicycles, scooters and prams")
    page.locator(f"#entry-{baking}").get_by_role("button", name="Delete").click(no_wait_after=True)
    wait_for_outbox(page, 3)
    # The section's list says it once per entry too.
    expect(page.locator(f"#entry-{bikes}").get_by_text("Saved on this phone, not yet sent")
           ).to_have_count(1)

    goto(page, f"{base}/outbox")
    expect(items(page)).to_have_count(2)
    deleted = items(page).filter(has_text="Baking bread")
    expect(deleted).to_contain_text("Will be deleted when sent")
    expect(deleted).not_to_contain_text("Saved on this phone, not yet sent")
    expect(deleted.get_by_role("link", name="Fix")).to_have_count(0)
    edited = items(page).filter(has_text="Repairing bicycles")
    expect(edited.get_by_role("heading")).to_have_text("Repairing bicycles, scooters and prams")
    expect(edited).to_contain_text("Saved on this phone, not yet sent")
    expect(edited.get_by_role("button", name="Discard")).to_have_count(1)
    expect(page.locator("#tk-pending")).to_have_text("2 changes not sent yet")
    assert_no_horizontal_scroll(page, 320)

    # Discarding the item discards both of the entry's edits; the delete stays.
    edited.get_by_role("button", name="Discard").click()
    expect(items(page)).to_have_count(1)
    wait_for_outbox(page, 1)
    assert [o["action"] for o in outbox(page)] == ["delete"]


def test_an_entry_made_offline_can_be_deleted_from_its_list(phone, base, amina):
    pid = amina["id"]
    page = ready(phone, base, amina)
    phone.set_offline(True)
    add_skill_offline(page, base, pid)
    entry = page.get_by_role("main").get_by_role("listitem").filter(has_text="Baking injera")
    expect(entry).to_have_count(1)

    entry.get_by_role("button", name="Delete").click()
    expect(entry).to_have_count(0)
    wait_for_outbox(page, 0)
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()


def test_the_outbox_page_reached_from_the_counter_saves_the_changes_as_a_file(phone, base,
                                                                            amina, tmp_path):
    pid = amina["id"]
    page = ready(phone, base, amina)
    phone.set_offline(True)
    add_skill_offline(page, base, pid)
    # htmx brings the outbox page in without loading the page's modules again.
    page.get_by_role("link", name="1 change not sent yet").click()
    expect(page.get_by_role("heading", name="Changes on this phone", level=1)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Save my changes as a file").click()
    saved = tmp_path / "saved.json"
    download.value.save_as(saved)
    assert "Baking injera" in saved.read_text()


# A Web Lock the sync runner takes: held by another tab, nothing is sent meanwhile.
HOLD_SYNC = """() => {
  navigator.locks.request("talentkaart-sync", () => new Promise(() => {}));
}"""


def expected_moment(made_at: str, code: str, app) -> str:
    """How Babel (CLDR) writes the moment in ``code``, in the phone's time zone."""
    from pwa.offline import moment_format

    with app.test_request_context(), force_locale(code):
        pattern = moment_format()["pattern"]
    moment = datetime.fromisoformat(made_at.replace("Z", "+00:00"))
    return format_datetime(moment, pattern, tzinfo=ZoneInfo(ZONE), locale=code)


@pytest.mark.parametrize("code", ["ar", "ti", "nl"])
def test_when_a_change_was_made_is_written_in_the_readers_language(phone, base, live_app,
                                                                   live_store, amina, code):
    pid = amina["id"]
    page = ready(phone, base, amina)
    holder = phone.new_page()
    goto(holder, f"{base}/offline")
    holder.evaluate(HOLD_SYNC)
    wait_until(holder, """async () => (await navigator.locks.query()).held
                            .some((lock) => lock.name === "talentkaart-sync")""", what="the lock")
    phone.set_offline(True)
    add_skill_offline(page, base, pid)
    [op] = outbox(page)

    phone.set_offline(False)
    live_store.update_user(pid, locale=code)
    goto(page, f"{base}/outbox")
    expect(page.locator("html")).to_have_attribute("lang", code)
    _ = page_gettext(page)
    when = items(page).first.locator("[data-when]")
    expect(when).to_have_text(expected_moment(op["made_at"], code, live_app))
    assert "AM" not in when.inner_text() and "PM" not in when.inner_text()
    assert "/" not in when.inner_text()


# The 15 languages, each written by the page's formatter with Babel's data and names.
FORMAT = """async ([moment, formats]) => {
  const { formatMoment } = await import("/static/js/dates.js");
  return formats.map((format) => formatMoment(moment, format));
}"""


def test_every_language_gets_its_own_way_of_writing_a_moment(phone, base, live_app, amina):
    from pwa.offline import moment_format

    page = ready(phone, base, amina)
    moments = ["2026-12-01T06:13:28Z", "2026-07-09T21:05:00Z", "2027-01-31T11:59:00Z"]
    formats = []
    for code in CODES:
        with live_app.test_request_context(), force_locale(code):
            formats.append(moment_format())
    for moment in moments:
        shown = page.evaluate(FORMAT, [moment, formats])
        expected = [expected_moment(moment, code, live_app) for code in CODES]
        assert dict(zip(CODES, shown, strict=True)) == dict(zip(CODES, expected, strict=True))
    assert page.evaluate(FORMAT, [moments[0], formats[:1]]) == ["1 december 2026, 07:13"]
