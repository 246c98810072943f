"""The guided start of a new profile, in Chromium at 360 px, in Arabic, Tigrinya and Dari:
one question a screen, found by role and name in the person's language, pictures for the
choices, every answer kept on the phone as it is given, each part saved as it ends."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    add_location,
    add_user,
    assert_no_horizontal_scroll,
    page_gettext,
    sign_in,
)

SCREENSHOTS = "test-results/screenshots"


def next_question(page: Page, _):
    page.get_by_role("button", name=_("Next"), exact=True).click()


def question(page: Page):
    """The one question on the screen."""
    shown = page.locator("#entry-form form > .field:visible")
    expect(shown).to_have_count(1)
    return shown


@pytest.mark.parametrize("locale", ["ar", "ti", "fa_AF"])
def test_a_new_profile_is_started_one_question_at_a_time(page: Page, base, live_store, locale):
    add_location(live_store)
    person = add_user(live_store, "refugee", f"new{locale.lower()}", "Layla Haddad",
                      locale=locale)
    pid = person["id"]
    sign_in(page, base, person["username"])
    _ = page_gettext(page)
    page.get_by_role("link", name=_("Start: one question at a time")).click()
    expect(page).to_have_url(re.compile(r"/basics\?guided=1$"))
    expect(page.get_by_text(_("Step %(number)s of %(total)s") % {"number": 1, "total": 4})
           ).to_be_visible()

    # About you: name, language and place come from the account; the situation is asked.
    expect(question(page).get_by_label(_("Your name"))).to_have_value("Layla Haddad")
    for _step in range(3):
        next_question(page, _)
    question(page).get_by_role("radio", name=_("Status holder: I have a residence permit")
                               ).check()
    assert_no_horizontal_scroll(page)
    page.screenshot(path=f"{SCREENSHOTS}/{locale}-guided-situation.png", full_page=True)
    next_question(page, _)
    # The date the rules ask for a status holder, and no other.
    question(page).get_by_label(_("Date of your residence permit")).fill("2024-05-01")
    next_question(page, _)
    expect(question(page).get_by_label(_("My goal"))).to_be_visible()
    page.get_by_role("button", name=_("Save")).click()

    # Ambitions next; this part can be skipped.
    expect(page).to_have_url(re.compile(r"/ambitions/new\?guided=1$"))
    page.get_by_role("link", name=_("Skip this part")).click()

    # Skills: browse by area, by its picture and name; a skill; then the level and where.
    expect(page).to_have_url(re.compile(r"/skills/new\?guided=1$"))
    skill = question(page)
    skill.locator("summary", has_text=_("Hospitality and food")).click()
    skill.get_by_role("radio", name=_("Cook meals"), exact=True).check()
    # A reload (a lost connection, a closed browser) loses nothing: the answer is kept.
    page.reload()
    expect(question(page).get_by_role("radio", name=_("Cook meals"), exact=True)).to_be_checked()
    next_question(page, _)
    next_question(page, _)  # in your own words: not needed now
    level = question(page)
    expect(level.locator("use[href$='#level-3']")).to_have_count(1)  # the scale's picture
    level.get_by_role("radio", name=_("I can do it on my own")).check()
    next_question(page, _)
    question(page).get_by_role("radio", name=_("At work")).check()
    next_question(page, _)  # an example of it: not needed now
    next_question(page, _)
    # Last, a certificate or a photo of the work: with the camera, or a file.
    expect(question(page).get_by_label(_("Take a photo"))).to_be_attached()
    page.get_by_role("button", name=_("Save")).click()

    # Languages last; skipped, the guided start ends on the profile's start.
    expect(page).to_have_url(re.compile(r"/languages/new\?guided=1$"))
    page.get_by_role("link", name=_("Skip this part")).click()
    expect(page).to_have_url(re.compile(rf"/people/{pid}/$"))
    [basics] = live_store.records(pid, "basics")
    assert (basics["data"]["residence"], basics["data"]["permit_date"]) == (
        "status_holder", date(2024, 5, 1).isoformat())
    [cooking] = live_store.records(pid, "skill")
    assert (cooking["data"]["code"], cooking["data"]["level"], cooking["data"]["learned"]) == (
        "skill.hospitality.cooking", "3", "work")
    # Started: the button is gone, the sections count what was saved.
    expect(page.get_by_role("link", name=_("Start: one question at a time"))).to_have_count(0)
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('tk-guided'))") == []


def test_with_no_network_the_guided_start_goes_on_and_keeps_each_part(
        browser_type, browser_type_launch_args, tmp_path, base, live_store):
    """Offline the phone draws each part's form from its kept forms page, one question a
    screen as online; a saved part waits in the outbox and the next part follows."""
    from tests.browser.offline_helpers import (
        first_page,
        goto,
        open_phone,
        outbox,
        put_basics,
        wait_for_outbox,
        wait_until_offline_ready,
    )
    from tests.browser.offline_helpers import sign_in as phone_sign_in

    add_location(live_store)
    person = add_user(live_store, "refugee", "amina", "Amina Yusuf")
    put_basics(live_store, person)
    phone = open_phone(browser_type, tmp_path / "phone", browser_type_launch_args)
    try:
        page = first_page(phone)
        phone_sign_in(page, base, "amina")
        wait_until_offline_ready(page, person["id"])
        phone.set_offline(True)
        response = goto(page, f"{base}/people/{person['id']}/skills/new?guided=1")
        assert response is not None and response.from_service_worker
        expect(page.get_by_text("Question 1 of 6")).to_be_visible()
        page.get_by_role("button", name="Next", exact=True).click()  # past the skill list
        own_words = question(page).get_by_label("Other skill, in your own words")
        own_words.fill("Bread baking")
        # Enter in a one-line answer is the next question, not the whole form sent.
        own_words.press("Enter")
        question(page).get_by_role("radio", name="I can do it on my own").check()
        page.get_by_role("button", name="Next", exact=True).click()
        question(page).get_by_role("radio", name="In daily life or by myself").check()
        page.get_by_role("button", name="Next", exact=True).click()
        page.get_by_role("button", name="Next", exact=True).click()  # past the photos
        page.get_by_role("button", name="Save").click(no_wait_after=True)
        wait_for_outbox(page, 1)
        [queued] = outbox(page)
        assert (queued["record_type"], queued["fields"]["free_text"]) == ("skill",
                                                                         "Bread baking")
        # On to the next part, still without a network.
        page.wait_for_url(re.compile(r"/languages/new\?guided=1$"))
        expect(page.get_by_text("Question 1 of")).to_be_visible()
    finally:
        phone.close()
