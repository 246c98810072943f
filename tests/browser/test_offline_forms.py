"""Adding and changing any entry with no network, from one kept page of forms.

The phone keeps a few pages, not one per entry: the person's entries are kept as
data, and offline the address of an entry's form is answered with the kept forms
page, whose form for that kind of entry is filled in from the data. So an entry
whose page was never opened can be changed offline, and a profile with thousands
of entries keeps the same pages as any other.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from sync import accounts, protocol
from sync.records import RECORD_TYPES
from sync.write import Actor, Operation, apply, new_id
from tests.browser import test_offline as journeys
from tests.browser.helpers import LOCATION, SECRET, add_location, put
from tests.browser.offline_helpers import (
    SECTION_SLUGS,
    go_online_and_sync,
    goto,
    kept_pages,
    kept_records,
    outbox,
    profile_paths,
    submit,
    wait_for_outbox,
    wait_for_section,
    wait_until_offline_ready,
)
from tests.today import TODAY

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

# A restartable phone and Amina (English, basics filled in), as in the offline journeys.
phone, phone_dir, refugee = journeys.phone, journeys.phone_dir, journeys.refugee
online_ready, open_offline = journeys.online_ready, journeys.open_offline
PENDING = journeys.PENDING


def main_form(page: Page):
    """The entry form the page shows."""
    return page.locator("form[data-offline]:not([data-action])")


def test_an_entry_whose_form_was_never_opened_is_changed_offline_from_its_data(
        phone, base, live_store, refugee):
    pid = refugee["id"]
    job = put(live_store, refugee, "work", {
        "job_title": "Electrician", "employer": "Siemens", "country": "SY",
        "start": "2015-03", "end": "2019-08", "description": "Wiring houses"})
    # Changed once more on another device: the revision the phone must build on is 2.
    apply(live_store, Actor(pid, "refugee"), Operation(
        new_id(), pid, "work", job, "put", 1,
        {**{f.name: live_store.record(job)["data"][f.name]
            for f in RECORD_TYPES["work"].editable_fields},
         "description": "Wiring houses and shops"}))
    context, page = online_ready(phone, base, refugee)
    wait_until_offline_ready(page, pid, [job])
    assert kept_records(page, pid)[job]["revision"] == 2
    assert not [url for url in kept_pages(page) if job in url]  # no page of its own

    context.set_offline(True)
    open_offline(page, base, f"/people/{pid}/work/{job}", "Work experience")
    expect(page).to_have_title("Change: Work experience – Talentkaart")
    expect(page.get_by_label("Job", exact=True)).to_have_value("Electrician")
    expect(page.get_by_label("Employer or own business")).to_have_value("Siemens")
    expect(page.get_by_role("main").get_by_label("Country")).to_have_value("SY")
    expect(page.get_by_label("Start", exact=True)).to_have_value("2015-03")
    expect(page.get_by_label("End (optional)", exact=True)).to_have_value("2019-08")
    expect(page.get_by_label("What did you do?")).to_have_value("Wiring houses and shops")
    expect(main_form(page)).to_have_attribute("action", f"/people/{pid}/work/{job}")
    page.get_by_label("Job", exact=True).fill("Electrician (changed offline)")
    submit(page)
    wait_for_section(page, pid, "work")
    expect(page.locator(f"#entry-{job}")).to_contain_text(PENDING)
    [op] = outbox(page)
    assert (op["record_id"], op["action"], op["base_revision"]) == (job, "put", 2)
    assert op["fields"]["employer"] == "Siemens" and op["fields"]["end"] == "2019-08"

    context.set_offline(False)
    go_online_and_sync(page)
    wait_for_outbox(page, 0)
    record = live_store.record(job)
    assert record["revision"] == 3
    assert record["data"]["job_title"] == "Electrician (changed offline)"
    assert record["data"]["description"] == "Wiring houses and shops"
    assert live_store.open_conflicts(pid) == []
    assert [h["action"] for h in live_store.history(job)] == ["create", "update", "update"]
    # Arrived once: one operation for it on the server, the phone's.
    ops = live_store.query("SELECT op_id FROM operations WHERE record_id = ?", [job])
    assert len(ops) == 3 and op["op_id"] in {row["op_id"] for row in ops}


def test_a_step_is_added_offline_under_the_goal_it_was_added_from(phone, base, live_store,
                                                                  refugee):
    pid = refugee["id"]
    nurse = put(live_store, refugee, "goal", {"title": "Become a nurse", "status": "planned"})
    licence = put(live_store, refugee, "goal", {"title": "A driving licence",
                                                "status": "planned"})
    context, page = online_ready(phone, base, refugee)
    wait_until_offline_ready(page, pid, [nurse, licence])

    context.set_offline(True)
    open_offline(page, base, f"/people/{pid}/plan/", "Development plan")
    page.locator(f"#entry-{nurse}").get_by_role("link", name="Add a step").click()
    expect(page.get_by_role("heading", name="Steps", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(f"/people/{pid}/steps/new\\?goal_id={nurse}$"))
    expect(page).to_have_title("Add: Steps – Talentkaart")
    goal = page.get_by_role("main").get_by_label("Goal", exact=True)
    expect(goal).to_have_value(nurse)
    expect(goal.locator("option")).to_have_text(["Choose…", "A driving licence",
                                                 "Become a nurse"])
    expect(page.get_by_role("radio", name="To do")).to_be_checked()  # the default
    page.get_by_label("Step", exact=True).fill("Ask the ROC about the nursing course")
    submit(page)
    wait_for_section(page, pid, "plan")
    expect(page.get_by_role("main").get_by_role("listitem").filter(has_text=PENDING)
           ).to_contain_text("Ask the ROC about the nursing course")

    context.set_offline(False)
    go_online_and_sync(page)
    wait_for_outbox(page, 0)
    [step] = live_store.records(pid, "step")
    assert (step["data"]["goal_id"], step["data"]["text"], step["data"]["status"]) == (
        nurse, "Ask the ROC about the nursing course", "todo")


def test_an_entry_made_offline_is_changed_in_its_form_before_it_is_sent(phone, base,
                                                                       live_store, refugee):
    pid = refugee["id"]
    context, page = online_ready(phone, base, refugee)
    context.set_offline(True)
    journeys.add_offline(page, base, pid, "skills", journeys.fill_skill)
    entry = page.get_by_role("main").get_by_role("listitem").filter(has_text=PENDING)
    entry.get_by_role("link", name="Change").click()
    expect(page.get_by_role("heading", name="Skills", level=1)).to_be_visible()
    text = page.get_by_label("Other skill, in your own words")
    expect(text).to_have_value("Offline skill: baking injera")
    expect(page.get_by_role("radio", name="I can teach it to others")).to_be_checked()
    text.fill("Offline skill: baking injera and bread")
    submit(page)
    wait_for_section(page, pid, "skills")
    # One change waits: the new entry as it is now.
    [op] = outbox(page)
    assert op["fields"]["free_text"] == "Offline skill: baking injera and bread"

    context.set_offline(False)
    go_online_and_sync(page)
    wait_for_outbox(page, 0)
    [skill] = live_store.records(pid, "skill")
    assert skill["data"]["free_text"] == "Offline skill: baking injera and bread"


# The form a page shows: its kind of entry, its fields, and what each field says.
FORM_FACTS = """() => {
  const form = document.querySelector("form[data-offline]:not([data-action])");
  return { type: form.dataset.recordType, fields: JSON.parse(form.dataset.fields),
           texts: [...form.querySelectorAll("label, legend, .field-hint, option")]
             .map((el) => el.textContent.trim()).filter((text) => text !== "") };
}"""


def test_every_kept_form_is_the_form_the_server_draws(phone, base, live_store, refugee):
    pid = refugee["id"]
    put(live_store, refugee, "goal", {"title": "Become a nurse", "status": "planned"})
    context, page = online_ready(phone, base, refugee)
    slugs = [slug for slug in SECTION_SLUGS if slug != "plan"] + ["plan", "steps"]
    served = {}
    for slug in slugs:
        goto(page, f"{base}/people/{pid}/{slug}/new")
        served[slug] = page.evaluate(FORM_FACTS)
    wait_until_offline_ready(page, pid)

    context.set_offline(True)
    for slug in slugs:
        response = goto(page, f"{base}/people/{pid}/{slug}/new")
        assert response is not None and response.from_service_worker, slug
        expect(main_form(page)).to_have_count(1)
        assert page.evaluate(FORM_FACTS) == served[slug], slug


def test_a_profile_with_3000_entries_keeps_the_same_pages_and_changes_any_entry_offline(
        phone, base, live_store):
    add_location(live_store)
    user_id = accounts.create_user(live_store, role="refugee", username="veel",
                                   display_name="Veel Uren", secret=SECRET,
                                   location_id=LOCATION, locale="en")
    first = TODAY - timedelta(days=3000)
    ids = [new_id() for _ in range(3000)]
    for start in range(0, 3000, 200):
        results = protocol.push(live_store, Actor(user_id, "refugee"), [
            {"op_id": new_id(), "person_id": user_id, "record_type": "volunteer",
             "record_id": ids[n], "action": "put", "base_revision": 0,
             "fields": {"date": (first + timedelta(days=n)).isoformat(),
                        "organisation": "Voedselbank", "activity": f"Sorting food {n}",
                        "hours": 2}} for n in range(start, start + 200)])
        assert {r["status"] for r in results} == {"applied"}
    user = live_store.user(user_id)
    context, page = online_ready(phone, base, user)
    oldest = ids[0]
    wait_until_offline_ready(page, user_id, [oldest, ids[-1]])
    kept = {re.sub(r"^https?://[^/]+", "", url) for url in kept_pages(page)}
    assert kept - {"/sw-owner", "/"} == set(profile_paths(user_id))
    assert len(kept_records(page, user_id)) == 3000

    context.set_offline(True)
    open_offline(page, base, f"/people/{user_id}/volunteering/{oldest}", "Volunteer work")
    expect(page.get_by_label("What did you do?")).to_have_value("Sorting food 0")
    hours = page.get_by_label("Hours", exact=True)
    expect(hours).to_have_value("2")
    hours.fill("3")
    submit(page)
    wait_for_section(page, user_id, "volunteering")
    context.set_offline(False)
    go_online_and_sync(page)
    wait_for_outbox(page, 0)
    assert live_store.record(oldest)["data"]["hours"] == 3
    assert live_store.record(oldest)["revision"] == 2


def test_offline_the_phone_refuses_what_the_server_would_refuse_and_keeps_nothing(
        phone, base, live_store, refugee):
    """Kept offline, a wrong answer would wait days to be refused: the phone says it now."""
    pid = refugee["id"]
    context, page = online_ready(phone, base, refugee)
    context.set_offline(True)
    page.goto(f"{base}/people/{pid}/volunteering/new")
    journeys.fill_hours("Offline hours: sorting clothes", "25", TODAY)(page)
    submit(page)
    hours = page.get_by_label("Hours", exact=True)
    expect(hours).to_have_attribute("aria-invalid", "true")
    # The kind's own message, as the server words it (sync/kinds.py).
    expect(page.locator("#f-hours-error")).to_have_text("A day has at most 24 hours")
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert outbox(page) == []
    # Nothing typed is lost: the form keeps every answer to fix the wrong one.
    expect(page.get_by_label("What did you do?")).to_have_value("Offline hours: sorting clothes")

    # A rule across fields, in the same words the server uses.
    page.goto(f"{base}/people/{pid}/work/new")
    page.get_by_label("Job", exact=True).fill("Offline job: cook")
    page.get_by_label("Start", exact=True).fill("2020-05")
    page.get_by_label("End (optional)", exact=True).fill("2019-01")
    submit(page)
    expect(page.get_by_label("End (optional)", exact=True)).to_have_attribute(
        "aria-invalid", "true")
    assert outbox(page) == []

    page.get_by_label("End (optional)", exact=True).fill("2021-01")
    submit(page)
    wait_for_section(page, pid, "work")
    [op] = outbox(page)
    assert (op["fields"]["start"], op["fields"]["end"]) == ("2020-05", "2021-01")
    assert not re.search(r"problem", page.locator("main").inner_text())


def test_offline_the_form_of_an_entry_changed_in_two_places_says_so(phone, base, live_store,
                                                                    refugee):
    pid = refugee["id"]
    job = put(live_store, refugee, "work", {
        "job_title": "Electrician", "employer": "Siemens", "country": "SY",
        "start": "2015-03", "end": "2019-08", "description": "Wiring houses"})
    other = put(live_store, refugee, "work", {
        "job_title": "Cook", "employer": "Hotel", "country": "SY", "start": "2012-01",
        "end": "2014-12", "description": "Breakfast"})
    # Two devices changed the same field from revision 1: the second is a conflict.
    for text in ("Wiring houses and shops", "Wiring schools"):
        apply(live_store, Actor(pid, "refugee"), Operation(
            new_id(), pid, "work", job, "put", 1, {"description": text}))
    assert live_store.record(job)["has_conflict"]
    context, page = online_ready(phone, base, refugee)
    wait_until_offline_ready(page, pid, [job, other])
    assert kept_records(page, pid)[job]["has_conflict"] is True

    context.set_offline(True)
    open_offline(page, base, f"/people/{pid}/work/{job}", "Work experience")
    note = page.locator("[data-conflict-note]")
    expect(note).to_contain_text("This entry was changed in two places")
    expect(page.get_by_label("What did you do?")).to_have_value("Wiring houses and shops")
    # An entry without a conflict says nothing of the kind.
    open_offline(page, base, f"/people/{pid}/work/{other}", "Work experience")
    expect(page.get_by_label("Job", exact=True)).to_have_value("Cook")
    expect(page.locator("[data-conflict-note]")).to_have_count(0)
