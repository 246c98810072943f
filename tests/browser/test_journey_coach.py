"""A coach reviews a profile: comments, questions and verifies hours, marks it reviewed."""

from __future__ import annotations

import re

import pytest
from babel.support import Translations
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import (
    TRANSLATIONS,
    add_location,
    add_user,
    expect_field_error,
    put,
    sign_in,
)
from tests.today import TODAY

# pytest-playwright's own base_url fixture warns under pytest 9; `-W error` must not fail on it.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")




@pytest.fixture
def refugee(live_store):
    """Amina, with a skill and two volunteer entries she entered herself."""
    add_location(live_store)
    amina = add_user(live_store, "refugee", "amina", "Amina Yusuf")
    ids = {
        "skill": put(live_store, amina, "skill", {"code": "skill.trades.welding", "level": "3",
                                                  "learned": "work"}),
        "sorting": put(live_store, amina, "volunteer", {
            "date": TODAY.isoformat(), "organisation": "Voedselbank Ter Apel",
            "activity": "Sorting food", "hours": 2}),
        "cooking": put(live_store, amina, "volunteer", {
            "date": TODAY.isoformat(), "organisation": "Buurthuis De Kern",
            "activity": "Cooking dinner", "hours": 3}),
    }
    return {**amina, "records": ids}


def caseload_row(page: Page, name: str):
    """The caseload's table row of the person called ``name``."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def test_coach_reviews_and_the_refugee_sees_the_outcome(page: Page, browser: Browser, base,
                                                        live_store, refugee):
    coach = add_user(live_store, "coach", "mirjam", "Mirjam Bakker")
    pid, ids = refugee["id"], refugee["records"]
    sign_in(page, base, "mirjam")
    expect(caseload_row(page, "Amina Yusuf")).to_contain_text("New")

    # The link's name ends in the person's name (visually hidden), so each row's link differs.
    caseload_row(page, "Amina Yusuf").get_by_role(
        "link", name=re.compile(r"^Review\s*: Amina Yusuf$")).click()
    expect(page.get_by_role("heading", name="Review of Amina Yusuf", level=1)).to_be_visible()

    # A comment on the skill.
    skill = page.get_by_role("region", name="Skills").get_by_role("listitem") \
        .filter(has_text="Weld metal")
    expect(skill).to_contain_text("New")
    # The comment form stays folded until the coach asks for it.
    expect(skill.get_by_label("Your comment")).to_be_hidden()
    skill.get_by_text("Write a comment").click()
    skill.get_by_label("Your comment").fill("Good! Bring your welding certificate next time.")
    skill.get_by_role("button", name="Add comment").click()
    expect(page.get_by_role("status").filter(has_text="Your comment is saved.")).to_be_visible()
    expect(skill).to_contain_text("Good! Bring your welding certificate next time.")
    [comment] = live_store.records(pid, "comment")
    assert comment["data"] == {"record_id": ids["skill"],
                               "body": "Good! Bring your welding certificate next time."}
    assert comment["created_by"] == coach["id"]

    # Questioning hours needs a reason: first refused on the field, then saved.
    hours = page.get_by_role("region", name="Volunteer work")
    sorting = hours.get_by_role("listitem").filter(has_text="Sorting food")
    sorting.get_by_role("button", name="Question hours").click()
    sorting = page.get_by_role("region", name="Volunteer work").get_by_role("listitem") \
        .filter(has_text="Sorting food")
    expect_field_error(page, "Reason", "Give a reason why you question these hours",
                       within=sorting)
    assert live_store.record(ids["sorting"])["data"]["status"] == "self_reported"
    sorting.get_by_label("Reason").fill("The food bank has no record of these hours")
    sorting.get_by_role("button", name="Question hours").click()
    expect(page.get_by_role("status").filter(
        has_text="The hours are questioned. The person sees your reason.")).to_be_visible()
    expect(sorting).to_contain_text("Questioned")

    cooking = hours.get_by_role("listitem").filter(has_text="Cooking dinner")
    cooking.get_by_role("button", name="Verify hours").click()
    expect(page.get_by_role("status").filter(has_text="The hours are verified.")).to_be_visible()
    expect(cooking).to_contain_text("Verified")

    records = {r["id"]: r for r in live_store.records(pid, "volunteer")}
    assert len(records) == 2
    assert records[ids["sorting"]]["data"]["status"] == "questioned"
    assert records[ids["sorting"]]["data"]["status_reason"] == \
        "The food bank has no record of these hours"
    assert records[ids["cooking"]]["data"]["status"] == "verified"
    assert len(live_store.records(pid, "comment")) == 1

    # Reviewed: the mark is gone from the caseload.
    page.get_by_role("button", name="Mark as reviewed").click()
    expect(page.get_by_role("status").filter(has_text="Marked as reviewed.")).to_be_visible()
    row = caseload_row(page, "Amina Yusuf")
    expect(row).to_contain_text("Nothing new")
    expect(row.get_by_text("New", exact=True)).to_have_count(0)

    # Amina, on her own phone, sees the comment and both verdicts.
    context = browser.new_context(**PHONE, locale="en-GB")
    try:
        phone = context.new_page()
        sign_in(phone, base, "amina")
        phone.get_by_role("link", name=re.compile("^Skills")).click()
        expect(phone.get_by_role("listitem").filter(has_text="Weld metal")).to_contain_text(
            "Comment from Mirjam Bakker Good! Bring your welding certificate next time.")
        phone.get_by_role("link", name="Back to the profile").click()
        phone.get_by_role("link", name=re.compile("^Volunteer work")).click()
        expect(phone.get_by_role("listitem").filter(has_text="Sorting food")).to_contain_text(
            "Questioned The food bank has no record of these hours")
        expect(phone.get_by_role("listitem").filter(has_text="Cooking dinner")) \
            .to_contain_text("Verified")
    finally:
        context.close()


def test_dutch_coach_sees_the_review_page_in_dutch(page: Page, base, live_store, refugee):
    if not (TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.mo").exists():
        pytest.skip("the Dutch catalog is not compiled yet (translations/nl/.../messages.mo)")
    dutch = Translations.load(str(TRANSLATIONS), ["nl"])
    add_user(live_store, "coach", "mirjam", "Mirjam Bakker", locale="nl")
    sign_in(page, base, "mirjam")
    page.goto(f"{base}/people/{refugee['id']}/review")

    expect(page.locator("html")).to_have_attribute("lang", "nl")
    heading = dutch.gettext("Review of %(name)s") % {"name": "Amina Yusuf"}
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    for msgid, role in [("Skills", "heading"), ("Volunteer work", "heading"),
                        ("Verify hours", "button"), ("Question hours", "button"),
                        ("Write a comment", "text"), ("Mark as reviewed", "button")]:
        shown = dutch.gettext(msgid)
        assert shown != msgid, f"{msgid!r} has no Dutch translation"
        target = (page.get_by_text(shown, exact=True) if role == "text"
                  else page.get_by_role(role, name=shown, exact=True))
        expect(target.first).to_be_visible()
    expect(page.get_by_role("region", name=dutch.gettext("Skills"))).to_contain_text(
        dutch.gettext("Weld metal"))
