"""The person's own view of their data: who can see the profile, who looked, the export.

On both backends, through the real app: looks are written by the server as pages
are answered, the person reads them, and the download holds everything.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from sync import export
from sync.write import Actor, Operation, apply, new_id
from tests.test_pages_etag import SYNC, add, the_pack

HOURS = {"date": "2026-03-02", "organisation": "Voedselbank", "activity": "Sorting food",
         "hours": 2}


@pytest.fixture
def people(app, make_user, login, other_location):
    """Amina (signed in on ``client``), her coach and volunteer, and a coach elsewhere,
    each on a client of their own."""
    amina, _ = make_user("refugee", name="Amina")
    login(amina)
    staff = {}
    for key, role, name, places in (("coach", "coach", "Coen de Coach", None),
                                    ("volunteer", "volunteer", "Vera Vrijwilliger", None),
                                    ("elsewhere", "coach", "Els Elders", [other_location])):
        user, _ = make_user(role, name=name, location_ids=places)
        browser = app.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(user, test_client=browser)
        staff[key] = (user, browser)
    return amina, staff


def log_of(store, person):
    return [(v["display_name"], v["viewer_role"], v["what"], v["times"])
            for v in store.views_of(person["id"], limit=100)]


def test_every_look_by_someone_else_is_written_once_a_day_with_a_count(client, store, people):
    amina, staff = people
    pid = amina["id"]
    coach, coach_browser = staff["coach"]
    volunteer, volunteer_browser = staff["volunteer"]
    add(store, amina)
    for path in (f"/people/{pid}/", f"/people/{pid}/skills/", f"/people/{pid}/review",
                 f"/people/{pid}/talent-card"):
        assert coach_browser.get(path).status_code == 200
    assert volunteer_browser.get(f"/people/{pid}/basics").status_code == 200
    # Her own looks are hers: not written.
    for path in (f"/people/{pid}/", f"/people/{pid}/privacy"):
        assert client.get(path).status_code == 200
    assert sorted(log_of(store, amina)) == [
        ("Coen de Coach", "coach", "card", 1), ("Coen de Coach", "coach", "profile", 2),
        ("Coen de Coach", "coach", "review", 1),
        ("Vera Vrijwilliger", "volunteer", "profile", 1)]


def test_a_refused_look_is_not_written_and_an_unchanged_copy_is(client, store, people):
    amina, staff = people
    pid = amina["id"]
    _, elsewhere = staff["elsewhere"]
    assert elsewhere.get(f"/people/{pid}/").status_code == 404
    assert log_of(store, amina) == []
    _, volunteer_browser = staff["volunteer"]
    tag = volunteer_browser.get(f"/people/{pid}/").headers["ETag"]
    # A 304 tells the volunteer's browser to show the copy it has: that is a look too.
    again = volunteer_browser.get(f"/people/{pid}/", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert log_of(store, amina) == [("Vera Vrijwilliger", "volunteer", "profile", 2)]


def test_a_staff_browsers_pull_is_not_a_second_look(client, store, people):
    amina, staff = people
    _, volunteer_browser = staff["volunteer"]
    add(store, amina)
    response = volunteer_browser.get(f"/sync/pull?person={amina['id']}&since=0", headers=SYNC)
    assert response.status_code == 200 and response.json["records"]
    # It comes with a page the browser shows, which is written; a device keeps someone's
    # entries only with their pages, which are written as they are fetched.
    assert log_of(store, amina) == []


def test_the_hours_list_of_a_place_is_written_for_everyone_in_it(store, people, make_user,
                                                                  location):
    amina, staff = people
    other, _ = make_user("refugee", name="Omar")
    idle, _ = make_user("refugee", name="Idris")  # no hours in the period: not in the file
    for person in (amina, other):
        apply(store, Actor(person["id"], "refugee"),
              Operation(new_id(), person["id"], "volunteer", new_id(), "put", 0, HOURS))
    _, coach_browser = staff["coach"]
    response = coach_browser.get(f"/locations/{location}/hours.csv?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200 and "Omar" in response.get_data(as_text=True)
    for person in (amina, other):
        assert log_of(store, person) == [("Coen de Coach", "coach", "export", 1)]
    assert log_of(store, idle) == []


def test_the_privacy_page_says_who_can_see_the_profile_and_who_looked(client, store, people):
    amina, staff = people
    pid = amina["id"]
    _, coach_browser = staff["coach"]
    coach_browser.get(f"/people/{pid}/review")
    coach_browser.get(f"/people/{pid}/review")
    html = client.get(f"/people/{pid}/privacy").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "The coaches of AZC Ter Apel" in text and "Coen de Coach" in text
    assert "The volunteers of AZC Ter Apel" in text and "Vera Vrijwilliger" in text
    assert "Els Elders" not in text  # works elsewhere: cannot see her
    assert "They cannot see your profile" in text  # the administrators
    views = html[html.index('id="views"'):]
    assert "<bdi>Coen de Coach</bdi>" in views and "Reviewed your profile" in views
    assert "2 times that day" in views


def test_the_privacy_page_is_shown_in_the_persons_language(client, store, people, app,
                                                            make_user, login):
    arabic, _ = make_user("refugee", name="Layla", locale="ar")
    browser = app.test_client()
    login(arabic, test_client=browser)
    html = browser.get(f"/people/{arabic['id']}/privacy").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in html
    assert "Who can see your profile" not in html


def test_the_log_is_paged_newest_first(client, store, people):
    amina, staff = people
    coach, _ = staff["coach"]
    days = [f"2026-0{m}-1{d}" for m in range(1, 4) for d in range(4)]  # 12 days
    for day in days:
        store.note_views([(amina["id"], coach["id"], "coach", "profile")], f"{day}T10:00:00+00:00")
    first = client.get(f"/people/{amina['id']}/privacy").get_data(as_text=True)
    assert first.count('class="entry-title"><bdi>Coen') == 10
    assert "1 to 10 of 12" in first and "March 13, 2026" in first
    second = client.get(f"/people/{amina['id']}/privacy?page=2").get_data(as_text=True)
    assert "11 to 12 of 12" in second and "January 10, 2026" in second
    assert client.get(f"/people/{amina['id']}/privacy?page=x%00").status_code == 400
    assert client.get(f"/people/{amina['id']}/privacy?page=abc").status_code == 200


def test_the_kept_privacy_page_changes_when_someone_looks(client, store, people):
    amina, staff = people
    url = f"/people/{amina['id']}/privacy"
    before = the_pack(client, amina)["tags"][url]
    assert client.get(url, headers={"If-None-Match": before}).status_code == 304
    _, coach_browser = staff["coach"]
    coach_browser.get(f"/people/{amina['id']}/")
    after = the_pack(client, amina)["tags"][url]
    assert after != before
    assert client.get(url, headers={"If-None-Match": before}).status_code == 200


def test_a_volunteers_pack_of_someone_else_has_no_privacy_page(store, people):
    amina, staff = people
    _, volunteer_browser = staff["volunteer"]
    urls = the_pack(volunteer_browser, amina)["urls"]
    assert not [url for url in urls if "privacy" in url]


def download(client, person):
    response = client.get(f"/people/{person['id']}/privacy/my-data.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="talentkaart-')
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def test_my_data_holds_every_entry_its_history_comments_and_the_log(client, store, people):
    amina, staff = people
    pid = amina["id"]
    coach, coach_browser = staff["coach"]
    skill = add(store, amina)
    apply(store, Actor(pid, "refugee"),
          Operation(new_id(), pid, "skill", skill, "put", 1, {"note": "Every morning"}))
    gone = add(store, amina, "volunteer", HOURS)
    apply(store, Actor(pid, "refugee"), Operation(new_id(), pid, "volunteer", gone, "delete", 1))
    apply(store, Actor(coach["id"], "coach", frozenset([amina["location_id"]])),
          Operation(new_id(), pid, "comment", new_id(), "put", 0,
                    {"record_id": skill, "body": "Mooi werk"}))
    coach_browser.get(f"/people/{pid}/review")
    archive = download(client, amina)
    assert sorted(archive.namelist()) == ["README.txt", "resume.json", "talent-card-en.html",
                                          "talent-card-nl.html", "talentkaart.json"]
    data = json.loads(archive.read("talentkaart.json"))
    assert (data["format"], data["version"]) == (export.FORMAT, export.VERSION)
    assert data["person"]["display_name"] == "Amina"
    assert data["person"]["location"] == {"id": "loc-ter-apel", "name": "AZC Ter Apel"}
    by_id = {r["id"]: r for r in data["records"]}
    assert by_id[skill]["data"]["note"] == "Every morning"
    assert by_id[gone]["deleted"] is True  # deleted entries are hers too
    assert [r["data"]["body"] for r in data["records"] if r["type"] == "comment"] == ["Mooi werk"]
    assert [(h["record_id"], h["action"]) for h in data["history"]] == [
        (skill, "create"), (skill, "update"), (gone, "create"), (gone, "delete"),
        (next(r["id"] for r in data["records"] if r["type"] == "comment"), "create")]
    assert [h["seq"] for h in data["history"]] == sorted(h["seq"] for h in data["history"])
    assert [(v["display_name"], v["what"]) for v in data["views"]] == [("Coen de Coach", "review")]
    assert data["people"][coach["id"]] == {"display_name": "Coen de Coach", "role": "coach"}
    readme = archive.read("README.txt").decode()
    assert "talentkaart.json" in readme and "version 1" in readme


def test_my_data_streams_a_long_history_whole(client, store, people, monkeypatch):
    amina, _ = people
    pid = amina["id"]
    ops = [{"op_id": new_id(), "person_id": pid, "record_type": "volunteer",
            "record_id": new_id(), "action": "put", "base_revision": 0,
            "fields": {**HOURS, "date": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
                       "activity": f"Task {n}", "hours": 0.5}} for n in range(1200)]
    from sync import protocol

    for start in range(0, len(ops), 200):
        protocol.push(store, Actor(pid, "refugee"), ops[start:start + 200])
    # Small batches and a small spool: the history comes in many reads, the file from disk.
    monkeypatch.setattr("pwa.privacy.EXPORT_IN_MEMORY", 1024)
    original = store.__class__.history_of_person
    batches = []

    def counted(self, person_id, *, after=0, limit=500):
        batches.append(after)
        return original(self, person_id, after=after, limit=100)

    monkeypatch.setattr(store.__class__, "history_of_person", counted)
    data = json.loads(download(client, amina).read("talentkaart.json"))
    assert len(data["history"]) == len(data["records"]) == 1200
    assert len({h["record_id"] for h in data["history"]}) == 1200
    assert len(batches) == 13  # 12 batches of 100, and the empty one that ends it


def test_the_cv_is_json_resume_in_dutch(client, store, people):
    amina, _ = people
    add(store, amina)  # welding, level 3, learned at work
    add(store, amina, "work", {"job_title": "Lasser", "employer": "Werkplaats Asmara",
                               "country": "ER", "start": "2015-03", "end": "2019-08"})
    add(store, amina, "language", {"language": "ti", "mother_tongue": True,
                                   "understanding": "C2", "speaking": "C2", "reading": "C2",
                                   "writing": "C2"})
    add(store, amina, "volunteer", HOURS)
    add(store, amina, "volunteer", {**HOURS, "date": "2026-04-01", "activity": "Driving"})
    resume = json.loads(download(client, amina).read("resume.json"))
    assert resume["$schema"] == export.JSON_RESUME_SCHEMA
    assert resume["basics"]["name"] == "Amina"
    assert resume["work"] == [{"name": "Werkplaats Asmara", "position": "Lasser",
                               "location": "Eritrea", "startDate": "2015-03",
                               "endDate": "2019-08"}]
    assert resume["languages"][0]["language"] == "Tigrinya"
    [skill] = resume["skills"]
    assert skill["name"] and skill["name"] != "skill.trades.welding"  # the Dutch label
    assert resume["volunteer"] == [{"organization": "Voedselbank", "startDate": "2026-03-02",
                                    "endDate": "2026-04-01", "summary": "4 h",
                                    "highlights": ["Driving", "Sorting food"]}]


def test_the_talent_cards_are_in_her_language_and_in_dutch(client, store, people, app,
                                                            make_user, login):
    arabic, _ = make_user("refugee", name="Layla", locale="ar")
    browser = app.test_client()
    login(arabic, test_client=browser)
    add(store, arabic)
    archive = download(browser, arabic)
    own = archive.read("talent-card-ar.html").decode()
    dutch = archive.read("talent-card-nl.html").decode()
    assert 'lang="ar" dir="rtl"' in own and 'lang="nl" dir="ltr"' in dutch
    assert "<style>" in own and "/static/" not in own  # opens from the phone's downloads
    assert "Layla" in own and "Layla" in dutch
    assert "Vaardigheden" in dutch


def test_nobody_else_downloads_her_data(store, people, make_user, login, app):
    amina, staff = people
    for key in ("coach", "volunteer"):
        _, browser = staff[key]
        assert browser.get(f"/people/{amina['id']}/privacy/my-data.zip").status_code == 403
    other, _ = make_user("refugee", name="Omar")
    browser = app.test_client()
    login(other, test_client=browser)
    assert browser.get(f"/people/{amina['id']}/privacy/my-data.zip").status_code == 404
    assert browser.get(f"/people/{amina['id']}/privacy").status_code == 404
    assert log_of(store, amina) == []


def test_the_plain_words_privacy_page_is_for_everyone(app):
    anonymous = app.test_client()
    anonymous.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = anonymous.get("/privacy")
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    assert "Who sees it" in text and "everything is removed after 30 days" in text
    assert "Ask the organisation" not in text  # no contact configured
    # Every page links to it, the sign-in page too.
    assert 'href="/privacy"' in anonymous.get("/sign-in").get_data(as_text=True)


def test_the_privacy_page_names_the_contact_and_the_grace_period(app):
    app.config.update(PRIVACY_CONTACT="privacy@example.org", ERASURE_GRACE_DAYS=14)
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    text = browser.get("/privacy").get_data(as_text=True)
    assert '<bdi dir="ltr">privacy@example.org</bdi>' in text
    assert "everything is removed after 14 days" in text


@pytest.mark.parametrize("locale", ["ar", "ti", "uk", "nl"])
def test_the_privacy_page_is_translated(app, locale):
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    html = browser.get("/privacy").get_data(as_text=True)
    assert f'lang="{locale}"' in html
    assert "Who sees it" not in html and "Autoriteit Persoonsgegevens" in html
