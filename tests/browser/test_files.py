"""Proof of what I can do, in Chromium at 360 px: offline, a refugee says a skill aloud,
photographs her diploma and adds her grade list as a PDF; the browser restarts offline; the network
comes back and drops twice in the middle of the upload; the server ends with each file
exactly once, hash-checked, the photo without where it was taken; the coach sees them
and notes that she saw the original."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import SECRET  # noqa: F401
from tests.browser.helpers import sign_in as sign_in_staff
from tests.browser.offline_helpers import (
    accept_dialogs,
    first_page,
    go_online_and_sync,
    open_phone,
    read,
    sign_in,
    submit,
    wait_for_outbox,
    wait_for_section,
    wait_until,
    wait_until_offline_ready,
)
from tests.browser.test_offline import (  # noqa: F401 (fixtures)
    PENDING,
    coach,
    phone,
    phone_dir,
    refugee,
)
from tests.test_files import PHONE_MAKER, pdf, photo

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

# The photos and documents this phone keeps, straight from IndexedDB.
KEPT_FILES = """async () => {
  const { openDb } = await import("/static/js/outbox.js");
  const db = await openDb();
  return await new Promise((resolve, reject) => {
    const req = db.transaction("files").objectStore("files").getAll();
    req.onsuccess = () => resolve(req.result.map((f) => ({ id: f.id, state: f.state,
      size: f.size, type: f.blob.type, name: f.name })));
    req.onerror = () => reject(req.error);
  });
}"""


def grade_list() -> bytes:
    """A PDF of about 700 kB: three chunks on the way."""
    return pdf(b"/Padding (" + bytes(range(97, 123)) * 27_000 + b") ")


def test_offline_photos_and_a_pdf_arrive_once_over_a_connection_that_drops(
        phone, browser, browser_type, browser_type_launch_args, phone_dir,  # noqa: F811
        base, live_store, live_files, refugee, coach, tmp_path):  # noqa: F811
    pid = refugee["id"]
    diploma, grades = tmp_path / "diploma.jpg", tmp_path / "grades.pdf"
    diploma.write_bytes(photo(3000, 2000))
    grades.write_bytes(grade_list())

    # A phone whose microphone hears a test tone (Chromium's fake device).
    microphone = {**browser_type_launch_args, "args": [
        *browser_type_launch_args.get("args", []), "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream"]}
    context = open_phone(browser_type, phone_dir, microphone)
    page = first_page(context)
    accept_dialogs(page)
    sign_in(page, base, refugee["username"])
    wait_until_offline_ready(page, pid)
    context.set_offline(True)

    # A skill said aloud instead of typed: recorded, played back, kept on the phone.
    page.goto(f"{base}/people/{pid}/skills/new")
    expect(page.get_by_role("heading", name="Skills", level=1)).to_be_visible()
    page.get_by_role("radio", name="I can do it on my own").check()
    page.get_by_role("radio", name="At work").first.check()
    page.get_by_role("button", name="Or say it: record your answer").first.click()
    expect(page.get_by_role("timer").first).to_contain_text("0:02")
    page.get_by_role("button", name="Stop recording").click()
    expect(page.get_by_text(PENDING).first).to_be_visible()
    submit(page)
    wait_for_section(page, pid, "skills")

    page.goto(f"{base}/people/{pid}/education/new")
    expect(page.get_by_role("heading", name="Education", level=1)).to_be_visible()
    page.get_by_label("Level").select_option(label="University or college: bachelor")
    page.get_by_label("Subject or field").fill("Nursing")
    page.get_by_role("radio", name="Yes, I have it").check()
    page.get_by_label("Take a photo").set_input_files(diploma)
    page.get_by_label("Choose a photo or PDF").set_input_files(grades)
    files_field = page.get_by_role("group", name="Photos of your diploma and grade list")
    expect(files_field.get_by_text(PENDING)).to_have_count(2)
    expect(files_field.get_by_role("checkbox", name="grades.pdf")).to_be_checked()
    kept = read(page, KEPT_FILES)
    photo_kept = next(f for f in kept if f["name"] == "diploma.jpg")
    # Made small on the phone: at most 1600 px and about 300 kB, before it is kept.
    assert photo_kept["type"] == "image/jpeg" and photo_kept["size"] <= 300 * 1024
    submit(page)
    wait_for_section(page, pid, "education")
    wait_for_outbox(page, 2)

    # The phone restarts with no network: the entry and both files are still there.
    context.close()
    context = open_phone(browser_type, phone_dir, microphone)
    context.set_offline(True)
    page = first_page(context)
    page.goto(f"{base}/people/{pid}/education/")
    assert [f["state"] for f in read(page, KEPT_FILES)] == ["waiting"] * 3

    # Back online, over a connection that drops twice in the middle of the upload: once
    # after the server kept a chunk (its answer lost), once before it arrives.
    chunks: list[str] = []

    def dropping(route):
        chunks.append(route.request.headers.get("upload-offset", ""))
        if len(chunks) == 2:
            route.fetch()
            route.abort()
        elif len(chunks) == 3:
            route.abort()
        else:
            route.continue_()

    context.route("**/sync/files/**", dropping)
    context.set_offline(False)
    for _ in range(10):
        go_online_and_sync(page)
        try:
            wait_until(page, "async () => (await (" + KEPT_FILES + ")()).length === 0",
                       timeout=4_000, what="the files sent")
            break
        except AssertionError:
            continue
    wait_for_outbox(page, 0)
    assert len(chunks) >= 5

    (entry,) = live_store.records(pid, "education")
    (skill,) = live_store.records(pid, "skill")
    arrived = live_store.files_of(pid)
    assert sorted(f["id"] for f in arrived) == sorted(
        [*entry["data"]["files"], skill["data"]["free_text_voice"]])
    assert live_store.count("uploads") == 0
    by_name = {f["name"]: f for f in arrived}
    voice = by_name["voice.webm"]
    assert (voice["media_type"], voice["language"]) == ("audio/webm", "en")
    assert voice["seconds"] >= 2
    # Each exactly once and as sent: the PDF byte for byte, the photo drawn anew.
    assert by_name["grades.pdf"]["id"] == hashlib.sha256(grade_list()).hexdigest()
    assert live_files.read(pid, by_name["grades.pdf"]["blob"]) == grade_list()
    kept_photo = live_files.read(pid, by_name["diploma.jpg"]["blob"])
    assert PHONE_MAKER.encode() not in kept_photo
    image = Image.open(io.BytesIO(kept_photo))
    assert dict(image.getexif()) == {} and max(image.size) <= 1600
    # Upright: the camera wrote "turned a quarter" and the phone drew it so.
    assert image.height > image.width

    # Her section shows the photo's small preview, kept on the phone for offline use.
    preview = f"/people/{pid}/files/{by_name['diploma.jpg']['id']}/preview"
    page.goto(f"{base}/people/{pid}/education/")
    thumb = page.locator(f'img[src="{preview}"]')
    expect(thumb).to_be_visible()
    wait_until(page, """async (path) => {
      for (const name of await caches.keys()) {
        if (name.startsWith("pages-") && await (await caches.open(name)).match(path)) return true;
      }
      return false;
    }""", preview, what="the preview kept")
    context.set_offline(True)
    page.reload()
    expect(thumb).to_be_visible()
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")
    context.set_offline(False)

    # The coach sees both on the review page, opens the photo and notes the original.
    staff_page = browser.new_context(**PHONE).new_page()
    sign_in_staff(staff_page, base, coach["username"])
    staff_page.goto(f"{base}/people/{pid}/review")
    photo_link = staff_page.get_by_role("link", name="diploma.jpg")
    expect(photo_link).to_be_visible()
    expect(staff_page.get_by_role("link", name="grades.pdf")).to_be_visible()
    assert photo_link.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    played = staff_page.get_by_label("Spoken answer: Other skill, in your own words")
    expect(played).to_be_visible()
    staff_page.get_by_role("button", name="I saw the original").first.click()
    expect(staff_page.get_by_text("Original seen by Sanne de Vries")).to_be_visible()
    assert sum(1 for f in live_store.files_of(pid) if f["seen_by"] == coach["id"]) == 1


def test_a_statement_of_hours_reads_genuine_then_changed_then_withdrawn(
        page, base, live_app, live_store, refugee, coach):  # noqa: F811
    from sync import statements
    from sync.write import Actor, Operation, apply, new_id
    from tests.browser.helpers import page_gettext, put

    pid = refugee["id"]
    record_id = put(live_store, refugee, "volunteer", {
        "date": "2026-03-02", "organisation": "Voedselbank Ter Apel",
        "activity": "Sorting food", "hours": 3})
    places = frozenset(live_store.staff_location_ids(coach["id"]))
    apply(live_store, Actor(coach["id"], "coach", places),
          Operation(new_id(), pid, "volunteer", record_id, "put", 1, {"status": "verified"}))
    key = live_app.secret_key.encode()
    row = statements.make(live_store, Actor(pid, "refugee"), pid, "Voedselbank Ter Apel", key,
                          base)
    from sync import links

    page.goto(f"{base}/statements/{links.token('statement', row['id'], key)}")
    nl = page_gettext(page)
    status = page.get_by_role("status")
    expect(status).to_contain_text(nl("Genuine"))
    expect(page.get_by_text("Voedselbank Ter Apel")).to_be_visible()
    # The hours change: the statement no longer holds.
    apply(live_store, Actor(pid, "refugee"), Operation(
        new_id(), pid, "volunteer", record_id, "put", 2, {"hours": 9}))
    page.reload()
    expect(status).to_contain_text(nl("Changed"))
    statements.revoke(live_store, Actor(pid, "refugee"), pid, row["id"])
    page.reload()
    expect(status).to_contain_text(nl("Withdrawn"))
