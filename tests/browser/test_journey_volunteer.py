"""A volunteer creates an account and hands it over; the refugee takes it on their own phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import add_location, add_user, expect_field_error, sign_in

# pytest-playwright's own base_url fixture warns under pytest 9; `-W error` must not fail on it.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")


@pytest.fixture
def volunteer(live_store):
    """Joost, a volunteer at the asylum centre, using the app in English."""
    add_location(live_store)
    return add_user(live_store, "volunteer", "joost", "Joost Visser")


@pytest.fixture
def phone(browser: Browser):
    """The refugee's own phone: a second browser with its own cookies."""
    context = browser.new_context(**PHONE, locale="en-GB")
    yield context.new_page()
    context.close()


def test_volunteer_hands_an_account_over_and_enters_a_skill(page: Page, phone: Page, base,
                                                             live_store, volunteer):
    # The volunteer creates the account and gets a one-time code with a QR code.
    sign_in(page, base, "joost")
    page.get_by_role("link", name="Create an account for a refugee").click()
    page.get_by_label("Name", exact=True).fill("Hevin Rashid")
    page.get_by_label("Username", exact=True).fill("hevin")
    expect(page.get_by_label("Location")).to_have_value("loc-ter-apel")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Code for Hevin Rashid", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="QR code to open Talentkaart on your own phone")) \
        .to_be_visible()
    expect(page.get_by_text(re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$"))).to_be_visible()
    address = page.get_by_role("link", name=re.compile(r"welcome.[A-Z2-9]{12}$"))
    handover_url = address.get_attribute("href")
    assert handover_url.startswith(f"{base}/welcome/")
    person = live_store.user_by_username("hevin")
    assert (person["role"], person["display_name"], person["location_id"], person["created_by"]) \
        == ("refugee", "Hevin Rashid", "loc-ter-apel", volunteer["id"])
    assert person["secret_hash"] is None

    # On her own phone: two different PINs are refused on the second field, then she starts.
    phone.goto(handover_url)
    expect(phone.get_by_role("heading", name="Welcome, Hevin Rashid")).to_be_visible()
    phone.get_by_label("New PIN or passphrase").fill("583920")
    phone.get_by_label("The same PIN or passphrase again").fill("583921")
    phone.get_by_role("button", name="Start").click()
    expect_field_error(phone, "The same PIN or passphrase again",
                       "The two entries are not the same")
    phone.get_by_label("New PIN or passphrase").fill("583920")
    phone.get_by_label("The same PIN or passphrase again").fill("583920")
    phone.get_by_role("button", name="Start").click()
    expect(phone.get_by_role("status").filter(has_text="Welcome! Your profile is ready.")) \
        .to_be_visible()
    expect(phone.get_by_role("heading", name="Hevin Rashid", level=1)).to_be_visible()
    expect(phone).to_have_url(f"{base}/people/{person['id']}/")

    # The code worked once.
    response = phone.goto(handover_url)
    assert response.status == 404
    expect(phone.get_by_role(
        "heading", name="This code is not valid any more. Ask for a new one")).to_be_visible()

    # The volunteer fills in a skill with her; she sees who entered it.
    page.get_by_role("link", name="Open the profile").click()
    expect(page.get_by_text("You are working on the profile of Hevin Rashid.")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Skills")).click()
    page.get_by_role("link", name="Add a skill").click()
    page.get_by_label("Other skill, in your own words").fill("Sewing wedding dresses")
    page.get_by_role("radio", name="I can teach it to others").check()
    page.get_by_role("radio", name="At work").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    [skill] = live_store.records(person["id"], "skill")
    assert skill["data"]["free_text"] == "Sewing wedding dresses"
    assert skill["created_by"] == volunteer["id"]

    phone.goto(f"{base}/")
    phone.get_by_role("link", name=re.compile("^Skills")).click()
    entry = phone.get_by_role("listitem").filter(has_text="Sewing wedding dresses")
    expect(entry).to_contain_text("Entered by Joost Visser")
