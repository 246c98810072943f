"""A refugee fills in their whole profile on a small phone, through the real UI.

Elements are found by role and label, so every step also checks that the
forms are labelled for screen readers. Each save is checked in the database
too: exactly one record, with the values typed.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from sync.work_rules import add_months
from tests.browser.helpers import (
    add_location,
    add_user,
    assert_no_horizontal_scroll,
    expect_field_error,
    put,
    sign_in,
    wait_for_htmx,
)
from tests.today import TODAY

# pytest-playwright's own base_url fixture warns under pytest 9; `-W error` must not fail on it.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")


@pytest.fixture
def refugee(live_store):
    """Amina, at an asylum centre, using the app in English."""
    add_location(live_store)
    return add_user(live_store, "refugee", "amina", "Amina Yusuf")


def open_section(page: Page, title: str) -> None:
    """From anywhere: the profile overview, then one section."""
    page.get_by_role("link", name="My profile").click()
    page.get_by_role("link", name=re.compile(f"^{re.escape(title)}")).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    wait_for_htmx(page)


def save(page: Page) -> None:
    """Press Save and wait for the confirmation."""
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()


def entry(page: Page, text: str):
    """The entry (a list item) that shows ``text``."""
    return page.get_by_role("listitem").filter(has_text=text)


def test_refugee_fills_in_every_section(page: Page, base, live_store, refugee):
    pid = refugee["id"]
    sign_in(page, base, "amina")
    expect(page.get_by_role("heading", name="Amina Yusuf", level=1)).to_be_visible()

    # About you: an asylum seeker who applied a month ago may work for pay in 5 months.
    applied = TODAY - timedelta(days=30)
    page.get_by_role("link", name=re.compile("^About you")).click()
    expect(page.get_by_label("Your name")).to_have_value("Amina Yusuf")
    page.get_by_role("radio", name="Asylum seeker: my procedure is still running").check()
    page.get_by_label("Date of your asylum application").fill(applied.isoformat())
    page.get_by_label("My goal").fill("I want to work as an electrician again.")
    save(page)
    paid_from = format_date(add_months(applied, 6), "long", locale="en")
    expect(page.get_by_role("region", name="Work and volunteering")).to_contain_text(
        f"You may do paid work from {paid_from}")
    [basics] = live_store.records(pid, "basics")
    assert basics["data"]["residence"] == "asylum_seeker"
    assert basics["data"]["procedure_start"] == applied.isoformat()
    assert basics["data"]["my_goal"] == "I want to work as an electrician again."

    # An ambition: search as you type, choose a result, work form, hours, a region.
    open_section(page, "Ambitions")
    page.get_by_role("link", name="Add a wish").click()
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_visible()
    wait_for_htmx(page)
    search.fill("electri")
    page.get_by_role("radio", name="Electrician", exact=True).check()
    page.get_by_role("radio", name="A job with an employer").check()
    page.get_by_label("Hours per week").fill("32")
    page.get_by_role("checkbox", name="Utrecht").check()
    save(page)
    expect(entry(page, "Electrician")).to_contain_text("32 hours per week")
    [ambition] = live_store.records(pid, "ambition")
    assert ambition["data"]["occupation"] == "7411.1"
    assert ambition["data"]["work_form"] == "employment"
    assert ambition["data"]["hours_per_week"] == 32
    assert ambition["data"]["regions"] == ["utrecht"]

    # A skill found by browsing an area, and one in the person's own words.
    open_section(page, "Skills")
    page.get_by_role("link", name="Add a skill").click()
    page.get_by_text("Trades and technical work").click()  # the area's <summary>
    page.get_by_role("radio", name="Weld metal").check()
    page.get_by_role("radio", name="I can do it on my own").check()
    page.get_by_role("radio", name="At work").check()
    save(page)
    page.get_by_role("link", name="Add a skill").click()
    page.get_by_label("Other skill, in your own words").fill("Baking injera")
    page.get_by_role("radio", name="I can teach it to others").check()
    page.get_by_role("radio", name="In daily life or by myself").check()
    save(page)
    expect(entry(page, "Weld metal")).to_contain_text("I can do it on my own · At work")
    expect(entry(page, "Baking injera")).to_be_visible()
    skills = live_store.records(pid, "skill")
    assert {(s["data"]["code"], s["data"]["free_text"]) for s in skills} == {
        (None, "Baking injera"), ("skill.trades.welding", None)}
    assert len(skills) == 2

    # A language with all four levels.
    open_section(page, "Languages")
    page.get_by_role("link", name="Add a language").click()
    main = page.get_by_role("main")
    main.get_by_label("Language", exact=True).select_option(label="Arabic")
    page.get_by_label("This is my mother tongue").check()
    page.get_by_label("Understanding").select_option(label="C2 – like a native speaker")
    page.get_by_label("Speaking").select_option(label="C1 – easily, also complex topics")
    page.get_by_label("Reading").select_option(label="B2 – work and study, with some effort")
    page.get_by_label("Writing").select_option(label="B1 – most daily situations")
    save(page)
    expect(entry(page, "Arabic")).to_contain_text(
        "Understanding: C2 · Speaking: C1 · Reading: B2 · Writing: B1")
    [language] = live_store.records(pid, "language")
    assert {k: language["data"][k] for k in
            ("language", "mother_tongue", "understanding", "speaking", "reading", "writing")} \
        == {"language": "ar", "mother_tongue": True, "understanding": "C2", "speaking": "C1",
            "reading": "B2", "writing": "B1"}

    # Education: an end year before the start year is refused on the field, then fixed.
    open_section(page, "Education")
    page.get_by_role("link", name="Add education").click()
    page.get_by_label("Level").select_option(label="University or college: bachelor")
    page.get_by_label("Subject or field").fill("Electrical engineering")
    page.get_by_label("Country").select_option(label="Syria")
    page.get_by_label("Start year").fill("2015")
    page.get_by_label("End year").fill("2012")
    page.get_by_role("radio", name="Yes, I have it").check()
    page.get_by_role("button", name="Save").click()
    expect_field_error(page, "End year", "The end year cannot be before the start year")
    expect(page).to_have_title(re.compile("^Error: "))
    assert live_store.records(pid, "education") == []
    page.get_by_label("End year").fill("2019")
    save(page)
    expect(entry(page, "Electrical engineering")).to_contain_text("2015–2019")
    [education] = live_store.records(pid, "education")
    assert (education["data"]["start_year"], education["data"]["end_year"]) == (2015, 2019)

    # Work experience.
    open_section(page, "Work experience")
    page.get_by_role("link", name="Add work experience").click()
    page.get_by_label("Job", exact=True).fill("Electrician")
    page.get_by_label("Employer or own business").fill("Al-Noor Electric")
    page.get_by_label("Country").select_option(label="Syria")
    page.get_by_label("Start", exact=True).fill("2019-09")
    page.get_by_label("End (optional)").fill("2022-06")
    page.get_by_label("What did you do?").fill("Wiring of houses and small shops.")
    save(page)
    expect(entry(page, "Al-Noor Electric")).to_contain_text("September 2019 to June 2022")
    [work] = live_store.records(pid, "work")
    assert (work["data"]["job_title"], work["data"]["start"], work["data"]["end"]) == (
        "Electrician", "2019-09", "2022-06")

    # Volunteer hours, twice on the same day: the totals add them up.
    open_section(page, "Volunteer work")
    for activity, hours in [("Sorting food", "1.5"), ("Cooking dinner", "3")]:
        page.get_by_role("link", name="Add hours").click()
        page.get_by_label("Date").fill(TODAY.isoformat())
        page.get_by_label("Organisation").fill("Voedselbank Ter Apel")
        page.get_by_label("What did you do?").fill(activity)
        page.get_by_label("Hours").fill(hours)
        save(page)
    months = page.get_by_role("table", name="Volunteer hours per month")
    expect(months.get_by_role("row").nth(1)).to_contain_text("4.5")
    expect(page.get_by_role("table", name="Volunteer hours per week")).to_be_visible()
    hours_records = live_store.records(pid, "volunteer")
    assert sorted(r["data"]["hours"] for r in hours_records) == [1.5, 3.0]
    assert {r["data"]["status"] for r in hours_records} == {"self_reported"}

    # A goal and a step towards it.
    open_section(page, "Development plan")
    page.get_by_role("link", name="Add a goal").click()
    page.get_by_label("Goal", exact=True).fill("Work as an electrician in the Netherlands")
    page.get_by_role("radio", name="Working on it").check()
    save(page)
    goal = entry(page, "Work as an electrician in the Netherlands")
    goal.get_by_role("link", name="Add a step").click()
    expect(page.get_by_label("Goal", exact=True)).to_have_value(
        live_store.records(pid, "goal")[0]["id"])
    page.get_by_label("Step", exact=True).fill("Ask IDW to evaluate my diploma")
    page.get_by_role("radio", name="To do").check()
    save(page)
    expect(goal).to_contain_text("Ask IDW to evaluate my diploma")
    [goal_record] = live_store.records(pid, "goal")
    [step] = live_store.records(pid, "step")
    assert step["data"]["goal_id"] == goal_record["id"]
    assert goal_record["data"]["status"] == "in_progress"

    # Change one entry: the second hours become 2.
    open_section(page, "Volunteer work")
    entry(page, "Cooking dinner").get_by_role("link", name="Change").click()
    expect(page.get_by_label("Hours")).to_have_value("3.0")
    page.get_by_label("Hours").fill("2")
    save(page)
    expect(months.get_by_role("row").nth(1)).to_contain_text("3.5")
    changed = [r for r in live_store.records(pid, "volunteer")
               if r["data"]["activity"] == "Cooking dinner"]
    assert [(r["data"]["hours"], r["revision"]) for r in changed] == [(2.0, 2)]
    assert len(live_store.records(pid, "volunteer")) == 2

    # Delete one entry: htmx asks first, then swaps the entry for a confirmation.
    open_section(page, "Skills")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    entry(page, "Baking injera").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text="Deleted.")).to_be_visible()
    assert asked == ["Delete this entry?"]
    expect(entry(page, "Baking injera")).to_have_count(0)
    [kept] = live_store.records(pid, "skill")
    assert kept["data"]["code"] == "skill.trades.welding"
    assert len(live_store.records(pid, "skill", include_deleted=True)) == 2

    # The overview counts what is left.
    page.get_by_role("link", name="My profile").click()
    for title, count in [("Ambitions", "1 entry"), ("Skills", "1 entry"),
                         ("Languages", "1 entry"), ("Education", "1 entry"),
                         ("Work experience", "1 entry"), ("Volunteer work", "2 entries"),
                         ("Development plan", "1 entry")]:
        expect(page.get_by_role("link", name=re.compile(f"^{title}"))).to_contain_text(count)


def test_overview_forms_and_totals_fit_a_320px_screen(page: Page, base, live_store, refugee):
    put(live_store, refugee, "volunteer", {"date": TODAY.isoformat(), "hours": 2,
                                           "organisation": "Voedselbank Ter Apel",
                                           "activity": "Sorting food"})
    sign_in(page, base, "amina")
    pid = refugee["id"]
    for path in ["/", "/basics", "/ambitions/new", "/skills/new", "/volunteering/"]:
        page.goto(f"{base}/people/{pid}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_horizontal_scroll(page, 320)


def test_arabic_and_emoji_round_trip_unchanged(page: Page, base, live_store, refugee):
    text = "مرحبا 👋"
    sign_in(page, base, "amina")
    open_section(page, "Skills")
    page.get_by_role("link", name="Add a skill").click()
    page.get_by_label("Other skill, in your own words").fill(text)
    page.get_by_role("radio", name="I can do it with help").check()
    page.get_by_role("radio", name="In daily life or by myself").check()
    save(page)
    expect(page.get_by_role("heading", name=text, exact=True)).to_be_visible()
    [skill] = live_store.records(refugee["id"], "skill")
    assert skill["data"]["free_text"] == text
    entry(page, text).get_by_role("link", name="Change").click()
    expect(page.get_by_label("Other skill, in your own words")).to_have_value(text)


def test_script_typed_in_a_text_field_is_shown_as_text(page: Page, base, live_store, refugee):
    script = '<script>alert("hi")</script>'
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, base, "amina")
    open_section(page, "Work experience")
    page.get_by_role("link", name="Add work experience").click()
    page.get_by_label("Job", exact=True).fill(script)
    page.get_by_label("Start", exact=True).fill("2020-01")
    save(page)
    expect(page.get_by_role("heading", name=script, exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name=script, exact=True)).to_be_visible()
    assert dialogs == []
    [work] = live_store.records(refugee["id"], "work")
    assert work["data"]["job_title"] == script
