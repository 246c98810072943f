"""A refugee sees who can see their profile and who looked, on their phone (offline too),
and downloads everything the app keeps about them.

Chromium at 360 px, a coach in a browser of their own, the real server.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from sync import erasure
from tests.browser import helpers
from tests.browser.helpers import add_location, add_user, assert_no_horizontal_scroll, put
from tests.browser.offline_helpers import (
    READ_OUTBOX,
    READ_RECORDS,
    first_page,
    goto,
    open_phone,
    read,
    sign_in,
    wait_until,
    wait_until_offline_ready,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")


@pytest.fixture
def amina(live_store):
    add_location(live_store)
    user = add_user(live_store, "refugee", "amina", "Amina Yusuf")
    put(live_store, user, "skill", {"code": "skill.trades.welding", "level": "3",
                                    "learned": "work"})
    return user


@pytest.fixture
def coach(live_store, amina):
    return add_user(live_store, "coach", "sanne", "Sanne de Vries")


@pytest.fixture
def phone(browser_type, browser_type_launch_args, tmp_path):
    context = open_phone(browser_type, tmp_path / "phone", browser_type_launch_args)
    yield context
    context.close()


def log(page: Page):
    return page.get_by_role("region", name="Who looked at your profile")


def test_a_coachs_look_shows_in_the_log_also_offline(phone, browser, base, amina, coach):
    page = first_page(phone)
    sign_in(page, base, "amina")
    wait_until_offline_ready(page, amina["id"])
    page.get_by_role("link", name="Your data and privacy").click()
    expect(page.get_by_role("heading", name="Your data and privacy", level=1)).to_be_visible()
    who_can_see = page.get_by_role("region", name="Who can see your profile")
    expect(who_can_see.get_by_text("The coaches of AZC Ter Apel")).to_be_visible()
    expect(who_can_see.get_by_text("Sanne de Vries")).to_be_visible()
    expect(log(page).get_by_text("Nobody else has looked at your profile yet.")).to_be_visible()
    assert_no_horizontal_scroll(page)

    # The coach opens Amina's profile in a browser of her own.
    office = browser.new_context()
    desk = office.new_page()
    helpers.sign_in(desk, base, "sanne")  # to the caseload
    goto(desk, f"{base}/people/{amina['id']}/")
    expect(desk.get_by_role("heading", name="Amina Yusuf", level=1)).to_be_visible()
    office.close()

    page.reload()
    entry = log(page).get_by_role("listitem").filter(has_text="Sanne de Vries")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Looked at your profile")
    expect(entry).to_contain_text("Coach")

    # With no network the phone still shows it: the kept copy is the one just seen
    # (the worker keeps it as the page comes in).
    wait_until(page, """async (path) => {
      for (const name of await caches.keys()) {
        if (!name.startsWith("pages-")) continue;
        const kept = await (await caches.open(name)).match(path);
        if (kept && (await kept.text()).includes("Looked at your profile")) return true;
      }
      return false;
    }""", f"/people/{amina['id']}/privacy", what="the kept copy with the coach's look")
    phone.set_offline(True)
    response = goto(page, f"{base}/people/{amina['id']}/privacy")
    assert response is not None and response.from_service_worker
    expect(log(page).get_by_role("listitem").filter(has_text="Sanne de Vries")).to_contain_text(
        "Looked at your profile")


def test_a_refugee_downloads_all_their_data_from_the_phone(phone, base, amina):
    page = first_page(phone)
    sign_in(page, base, "amina")
    page.goto(f"{base}/people/{amina['id']}/privacy")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download my data").click()
    download = downloading.value
    assert download.suggested_filename.startswith("talentkaart-")
    with open(download.path(), "rb") as file:
        archive = zipfile.ZipFile(io.BytesIO(file.read()))
    data = json.loads(archive.read("talentkaart.json"))
    assert [r["data"]["code"] for r in data["records"]] == ["skill.trades.welding"]
    assert "talent-card-en.html" in archive.namelist()


def test_a_deleted_profile_leaves_nothing_on_the_phone(live_files, phone, base, live_app,
                                                      live_store, amina):
    live_app.config["ERASURE_GRACE_DAYS"] = 0  # deleted the same day
    pid = amina["id"]
    page = first_page(phone)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, "amina")
    skill = next(r["id"] for r in live_store.records(pid))
    wait_until_offline_ready(page, pid, [skill])
    goto(page, f"{base}/people/{pid}/privacy")
    page.get_by_label("Your PIN or passphrase, to confirm").fill("482913")
    page.get_by_role("button", name="Delete my profile").click()
    expect(page.get_by_role("status").filter(has_text="Your profile will be deleted on")
           ).to_be_visible()
    # A change made with no network, not sent yet, when the day comes.
    phone.set_offline(True)
    page.evaluate("""async ([person, id]) => {
      const { enqueue } = await import("/static/js/outbox.js");
      await enqueue({ op_id: crypto.randomUUID(), user_id: person, person_id: person,
                      record_type: "skill", record_id: id, slug: "skills", action: "put",
                      base_revision: 1, fields: { note: "Every morning" }, summary: "Welding" });
    }""", [pid, skill])
    assert len(read(page, READ_OUTBOX)) == 1
    assert erasure.erase_due(live_store, files=live_files) == [pid]

    # At its next contact the phone forgets everything of hers.
    phone.set_offline(False)
    goto(page, f"{base}/people/{pid}/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    wait_until(page, """async ([person]) => {
      const names = (await indexedDB.databases()).map((d) => d.name);
      const pages = (await caches.keys()).filter((name) => name.startsWith("pages-"));
      return pages.length === 0 && names.includes("talentkaart");
    }""", [pid], what="the kept pages gone")
    wait_until(page, f"""async () => (await ({READ_OUTBOX})()).length === 0""",
               what="the outbox emptied")
    assert read(page, READ_RECORDS, pid) == {}


def test_a_refugee_shares_a_summary_with_an_employer_and_stops_it(phone, browser, base, amina,
                                                                   live_store):
    pid = amina["id"]
    put(live_store, amina, "work", {"job_title": "Welder at Qorbanfield", "country": "SY",
                                    "employer": "Qorbanfield", "start": "2015-03",
                                    "end": "2019-06"})
    page = first_page(phone)
    sign_in(page, base, "amina")
    goto(page, f"{base}/people/{pid}/privacy")
    shared = page.get_by_role("region", name="Shared with others")
    expect(shared.get_by_text("You do not share your profile with anyone outside.")
           ).to_be_visible()
    shared.get_by_role("link", name="Share your profile").click()
    expect(page.get_by_role("heading", name="Share your profile", level=1)).to_be_visible()
    # The suggestion is a summary without her name; she says for whom, and checks.
    expect(page.get_by_role("radio", name="No: a summary without your name")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Skills")).to_be_checked()
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Next: check").click()
    # Nothing chosen for whom: said at the field, nothing shared.
    expect(page.get_by_role("link", name="Say who you share it with")).to_be_visible()
    page.get_by_label("Who do you share it with?").fill("Bakery Jansen")
    page.get_by_role("button", name="Next: check").click()
    expect(page.get_by_text("Bakery Jansen may see this until")).to_be_visible()
    page.get_by_role("button", name="I agree: share").click()
    expect(page.get_by_role("status").filter(has_text="Your link for Bakery Jansen is ready")
           ).to_be_visible()
    shared = page.get_by_role("region", name="Shared with others")
    shared.get_by_text("Show the link and QR code").click()
    expect(shared.get_by_role("img", name="QR code of your link for Bakery Jansen")
           ).to_be_visible()
    link = shared.get_by_role("link", name=re.compile("shared")).get_attribute("href")
    assert_no_horizontal_scroll(page)

    # The employer opens it: a page in Dutch, without her name, employer or the months.
    office = browser.new_context()
    employer = office.new_page()
    opened = employer.goto(link)
    assert opened is not None and opened.status == 200
    expect(employer.locator("html")).to_have_attribute("lang", "nl")
    text = employer.locator("main").inner_text()
    for private in ("Amina", "Yusuf", "Qorbanfield", "AZC Ter Apel", "2015-03"):
        assert private not in text, private
    assert "2015" in text

    # She sees the look in her log, and stops sharing: the link shows nothing at once.
    page.reload()
    expect(log(page).get_by_role("listitem").filter(has_text="Bakery Jansen")).to_contain_text(
        "Opened the link you shared")
    page.get_by_role("button", name="Stop sharing with Bakery Jansen").click()
    expect(page.get_by_role("status").filter(
        has_text="Bakery Jansen can no longer see your profile.")).to_be_visible()
    again = employer.goto(link)
    assert again is not None and again.status == 410
    text = employer.locator("main").inner_text()
    assert "Amina" not in text and "Welder" not in text and "Lassen" not in text
    office.close()
