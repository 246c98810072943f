"""Telling the person where they stand: kept on this phone, offline, and what is not sent.

The phone says once, in words, when the whole profile is kept and works without
internet; every page says so while there is no network (at 320 px and in
Arabic too); the profile's start counts the entries made on this phone and
marks the sections with changes that wait to be sent.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_offline_refresh as refresh
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
    overview_path,
    put_basics,
    sign_in,
    submit,
    wait_for_outbox,
    wait_for_section,
    wait_until,
    wait_until_offline_ready,
)
from tests.browser.test_offline_refresh import PACK_CURRENT, PACK_META

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

# A phone with its own storage, and Amina (basics and one skill, in English).
phone, amina = refresh.phone, refresh.amina

KEPT = "Your profile is now saved on this phone. You can use it without internet."
NO_INTERNET = "No internet"


def status(page: Page, text: str):
    """A status message (a live region) that says ``text``."""
    return page.get_by_role("status").filter(has_text=text)


def test_the_phone_says_once_that_the_whole_profile_is_kept(phone, base, amina):
    pid = amina["id"]
    page = first_page(phone)
    sign_in(page, base, amina["username"])
    expect(status(page, KEPT)).to_be_visible(timeout=30_000)
    wait_until_offline_ready(page, pid)

    # Said once: not on the next page, nor after a later refresh of the pack.
    goto(page, f"{base}/people/{pid}/skills/")
    expect(page.get_by_role("heading", name="Skills", level=1)).to_be_visible()
    page.evaluate(PACK_META, [f"pack:{pid}", {"version": "", "at": 0}])
    page.reload()
    wait_until(page, PACK_CURRENT, f"pack:{pid}", what="the refreshed pack noted")
    expect(page.get_by_text(KEPT)).to_have_count(0)


@pytest.fixture
def layla(live_store):
    """A refugee who reads the app in Arabic."""
    add_location(live_store)
    user = add_user(live_store, "refugee", "layla", "Layla Hamdan", locale="ar")
    put_basics(live_store, user, preferred_language="ar")
    return user


def test_offline_every_page_says_so_in_words_also_narrow_and_right_to_left(phone, base, layla):
    pid = layla["id"]
    page = first_page(phone)
    sign_in(page, base, layla["username"])
    wait_until_offline_ready(page, pid)
    _ = page_gettext(page)
    expect(status(page, _(NO_INTERNET))).to_have_count(0)

    phone.set_offline(True)
    expect(status(page, _(NO_INTERNET))).to_be_visible()
    page.set_viewport_size({"width": 320, "height": 740})
    for path in (overview_path(pid), f"/people/{pid}/skills/new"):
        response = goto(page, f"{base}{path}")
        assert response is not None and response.from_service_worker, path
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        indicator = status(page, _(NO_INTERNET))
        expect(indicator).to_be_visible()
        assert_no_horizontal_scroll(page, 320)
        box = indicator.locator("span").bounding_box()
        # Mirrored: at the start of the line, which is on the right in Arabic.
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, box
        assert box["x"] + box["width"] > 320 - 20, box
        assert box["height"] >= 16, box

    phone.set_offline(False)
    page.evaluate("dispatchEvent(new Event('online'))")
    expect(status(page, _(NO_INTERNET))).to_have_count(0)


def fill_skill(page: Page, text: str) -> None:
    page.get_by_label("Other skill, in your own words").fill(text)
    page.get_by_role("radio", name="I can teach it to others").check()
    page.get_by_role("radio", name="In daily life or by myself").check()


def section_row(page: Page, title: str):
    """The profile start's row (a link) of a section."""
    return page.get_by_role("main").get_by_role("link", name=re.compile(rf"^{title}\b"))


def test_the_profiles_start_counts_unsent_entries_and_marks_their_sections(phone, base,
                                                                        live_store, amina):
    pid = amina["id"]  # one skill (welding) on the server
    goal = put(live_store, amina, "goal", {"title": "Become a nurse", "status": "planned"})
    welding = next(r["id"] for r in live_store.records(pid, "skill"))
    page = first_page(phone)
    accept_dialogs(page)
    sign_in(page, base, amina["username"])
    wait_until_offline_ready(page, pid, [welding, goal])

    phone.set_offline(True)
    goto(page, f"{base}/people/{pid}/skills/new")
    fill_skill(page, "Baking injera")
    submit(page)
    wait_for_section(page, pid, "skills")
    goto(page, f"{base}/people/{pid}/skills/{welding}")
    page.get_by_role("radio", name="I can teach it to others").check()
    submit(page)
    wait_for_section(page, pid, "skills")
    goto(page, f"{base}/people/{pid}/plan/")
    page.locator(f"#entry-{goal}").get_by_role("button", name="Delete").click(no_wait_after=True)
    wait_for_outbox(page, 3)

    goto(page, f"{base}{overview_path(pid)}")
    skills, plan = section_row(page, "Skills"), section_row(page, "Development plan")
    expect(skills).to_contain_text("2 entries")
    expect(skills).to_contain_text("2 changes not sent yet")
    expect(plan).to_contain_text("0 entries")
    expect(plan).to_contain_text("1 change not sent yet")
    languages = section_row(page, "Languages")
    expect(languages).to_contain_text("0 entries")
    expect(languages).not_to_contain_text("not sent yet")
    expect(section_row(page, "About you")).not_to_contain_text("not sent yet")
    assert_no_horizontal_scroll(page, 320)
