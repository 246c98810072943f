"""Pages for volunteers and coaches: caseload, accounts, review, talent card, CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from sync import accounts
from sync.write import Actor, Operation, apply, new_id, singleton_id

ROOT = Path(__file__).resolve().parent.parent


def token(client, path="/caseload"):
    """The session's CSRF token, from a page's form."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def put(store, user, record_type, fields, record_id=None, base=0, role=None, locations=()):
    """Save a record through the write path as ``user``; returns its id."""
    record_id = record_id or new_id()
    actor = Actor(user["id"], role or user["role"], frozenset(locations))
    apply(store, actor, Operation(new_id(), user["id"], record_type,
                                  record_id, "put", base, fields))
    return record_id


def basics(store, person, location, name=None):
    put(store, person, "basics", {"display_name": name or person["display_name"],
                                  "preferred_language": "en", "location_id": location,
                                  "residence": "status_holder",
                                  "permit_date": "2024-05-01"},
        record_id=singleton_id(person["id"], "basics"))


def hours(store, person, day="2026-01-05", amount=2, organisation="Voedselbank"):
    return put(store, person, "volunteer", {"date": day, "organisation": organisation,
                                            "activity": "Sorting food", "hours": amount})


@pytest.fixture
def coach(make_user, login, client):
    user, secret = make_user("coach")
    login(user, secret)
    return user


@pytest.fixture
def refugee(make_user, store, location):
    user, _ = make_user("refugee", name="Tesfay Gebremichael")
    return user


# -- caseload -----------------------------------------------------------------


def test_caseload_shows_only_people_of_my_locations(make_user, login, client, location,
                                                    other_location):
    make_user("refugee", name="Rania Here")
    make_user("refugee", name="Farid Elsewhere", location_id=other_location)
    volunteer, secret = make_user("volunteer")
    login(volunteer, secret)
    html = client.get("/caseload").get_data(as_text=True)
    assert "Rania Here" in html
    assert "Farid Elsewhere" not in html
    assert "Create an account for a refugee" in html


def test_caseload_search_filters_by_name(make_user, coach, client):
    make_user("refugee", name="Rania Al-Khatib")
    make_user("refugee", name="Farid Ahmadi")
    html = client.get("/caseload?q=rania").get_data(as_text=True)
    assert "Rania Al-Khatib" in html and "Farid Ahmadi" not in html


def test_caseload_marks_new_then_changed_for_a_coach(coach, client, store, refugee, location):
    basics(store, refugee, location)
    html = client.get("/caseload").get_data(as_text=True)
    assert "badge--new" in html
    client.post(f"/people/{refugee['id']}/reviewed", data={"csrf_token": token(client)})
    assert "badge--" not in client.get("/caseload").get_data(as_text=True)
    hours(store, refugee)
    assert "badge--changed" in client.get("/caseload").get_data(as_text=True)


def test_the_caseload_comes_a_page_at_a_time_with_the_exact_total(coach, client, store,
                                                                  location):
    for n in range(60):
        store.add_user({"id": new_id(), "username": f"resident{n:02d}", "role": "refugee",
                        "display_name": f"Resident {n:02d}", "location_id": location})
    first = client.get("/caseload").get_data(as_text=True)
    assert "60 people" in first and "1 to 25 of 60" in first
    assert first.count('href="/people/') >= 25 and "Resident 00" in first
    assert "Resident 25" not in first
    assert 'rel="next" href="/caseload?page=2"' in first
    last = client.get("/caseload?page=3").get_data(as_text=True)
    assert "51 to 60 of 60" in last and "Resident 59" in last and 'rel="next"' not in last
    # An old link or a hand-edited number still shows a page.
    assert "51 to 60 of 60" in client.get("/caseload?page=999").get_data(as_text=True)
    assert "1 to 25 of 60" in client.get("/caseload?page=x2").get_data(as_text=True)
    # Searching keeps its words from page to page.
    found = client.get("/caseload?q=resident+1").get_data(as_text=True)
    assert "10 people" in found and "Resident 19" in found


def test_refugees_and_admins_cannot_open_the_caseload(make_user, login, client):
    refugee, secret = make_user("refugee")
    login(refugee, secret)
    assert client.get("/caseload").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/caseload")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# -- accounts and handover codes ---------------------------------------------------


def test_new_account_shows_a_one_time_code_and_qr(coach, client, store, location):
    response = client.post("/people/new", data={
        "display_name": "Rania Al-Khatib", "username": "Rania.K", "location_id": location,
        "locale": "en", "csrf_token": token(client)})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    user = store.user_by_username("rania.k")
    assert user["location_id"] == location and user["created_by"] == coach["id"]
    code = re.search(r'class="code-text" dir="ltr">([A-Z0-9-]+)<', html).group(1)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert "<svg" in html and "<title>" in html
    assert f"/welcome/{code.replace('-', '')}" in html
    assert "for 7 days" in html


def test_handover_code_works_once(coach, client, app, store, location):
    html = client.post("/people/new", data={
        "display_name": "Farid Ahmadi", "username": "farid", "location_id": location,
        "locale": "en", "csrf_token": token(client)}).get_data(as_text=True)
    code = re.search(r'class="code-text" dir="ltr">([A-Z0-9-]+)<', html).group(1)
    phone = app.test_client()
    page = phone.get(f"/welcome/{code}")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = phone.post(f"/welcome/{code}", data={"secret": "739184", "secret_again": "739184",
                                                "csrf_token": csrf})
    assert done.status_code == 303
    assert app.test_client().get(f"/welcome/{code}").status_code == 404


def test_new_account_at_someone_elses_location_is_refused(coach, client, store,
                                                          other_location):
    response = client.post("/people/new", data={
        "display_name": "Rania", "username": "rania", "location_id": other_location,
        "locale": "en", "csrf_token": token(client)})
    assert response.status_code == 422
    assert "Choose a place" in response.get_data(as_text=True)
    assert store.user_by_username("rania") is None


def test_new_account_with_taken_username_shows_the_error(coach, client, make_user, location):
    taken, _ = make_user("refugee")
    response = client.post("/people/new", data={
        "display_name": "Someone", "username": taken["username"], "location_id": location,
        "locale": "en", "csrf_token": token(client)})
    assert response.status_code == 422
    assert "This username is taken" in response.get_data(as_text=True)


def test_new_code_for_an_existing_refugee_replaces_the_old_one(coach, client, store, refugee):
    old = accounts.new_handover_code(store, refugee["id"], coach["id"])
    response = client.post(f"/people/{refugee['id']}/handover",
                           data={"csrf_token": token(client)})
    assert response.status_code == 200
    assert accounts.check_handover_code(store, old) is None


def test_no_code_for_someone_at_another_location(coach, client, make_user, other_location):
    stranger, _ = make_user("refugee", location_id=other_location)
    response = client.post(f"/people/{stranger['id']}/handover",
                           data={"csrf_token": token(client)})
    assert response.status_code == 404


# -- review ------------------------------------------------------------------------------


def test_review_marks_new_and_changed_entries(coach, client, store, refugee, location):
    basics(store, refugee, location)
    first = hours(store, refugee, organisation="Voedselbank")
    client.post(f"/people/{refugee['id']}/reviewed", data={"csrf_token": token(client)})
    put(store, refugee, "volunteer", {"hours": 3}, record_id=first, base=1)
    fresh = hours(store, refugee, day="2026-01-06", organisation="Kledingbank")
    html = client.get(f"/people/{refugee['id']}/review").get_data(as_text=True)
    entry = lambda rid: html.split(f'id="entry-{rid}"')[1].split("</li>")[0]  # noqa: E731
    assert "badge--changed" in entry(first)
    assert "badge--new" in entry(fresh)
    store.update_user(coach["id"], locale="nl")
    html = client.get(f"/people/{refugee['id']}/review").get_data(as_text=True)
    assert "Engels" in html  # "Written in: English", in the coach's Dutch


def test_review_pages_show_what_changed_first_then_every_other_entry_once(
        coach, client, store, refugee, location):
    basics(store, refugee, location)
    made = [hours(store, refugee, day=f"2026-01-{n:02d}", organisation=f"Place {n}")
            for n in range(1, 26)]
    client.post(f"/people/{refugee['id']}/reviewed", data={"csrf_token": token(client)})
    # After the review the person changes three old entries and deletes one of them.
    for record_id in made[:3]:
        put(store, refugee, "volunteer", {"hours": 3}, record_id=record_id, base=1)
    apply(store, Actor(refugee["id"], "refugee"),
          Operation(new_id(), refugee["id"], "volunteer", made[2], "delete", 2, {}))
    shown = []
    for number in (1, 2, 3):
        html = client.get(f"/people/{refugee['id']}/review?section=volunteering"
                          f"&page={number}").get_data(as_text=True)
        shown.append([rid for rid in made if f'id="entry-{rid}"' in html])
    assert len(shown[0]) == len(shown[1]) == 10 and len(shown[2]) == 4
    every = [rid for page in shown for rid in page]
    assert sorted(every) == sorted(made[:2] + made[3:])  # each once, none left out
    # The two changed entries that still exist open the first page, before the rest.
    html = client.get(f"/people/{refugee['id']}/review?section=volunteering").get_data(
        as_text=True)
    order = [rid for rid in re.findall(r'id="entry-([0-9a-f-]{36})"', html) if rid in made]
    assert set(order[:2]) == set(made[:2])


def test_a_first_review_counts_every_entry_as_new_and_marks_them(coach, client, store,
                                                                  refugee, location):
    basics(store, refugee, location)
    made = [hours(store, refugee, day=f"2026-02-{n:02d}") for n in range(1, 13)]
    html = client.get(f"/people/{refugee['id']}/review").get_data(as_text=True)
    assert "You have not reviewed this profile before" in html
    news = html.split('id="news-title"')[1].split("</ul>")[0]
    assert "12 entries" in news
    shown = [rid for rid in re.findall(r'id="entry-([0-9a-f-]{36})"', html) if rid in made]
    # A page, newest day first as in the person's own list.
    assert shown == list(reversed(made))[:10]
    assert all("badge--new" in html.split(f'id="entry-{rid}"')[1].split("</li>")[0]
               for rid in shown)


def test_the_review_page_says_which_change_it_shows(coach, client, store, refugee, location):
    """Its own sync then sees that the coach's just-made change is on the page, and does
    not reload it (the reload took the "verified" message away before it was read)."""
    basics(store, refugee, location)
    hours(store, refugee)
    html = client.get(f"/people/{refugee['id']}/review").get_data(as_text=True)
    assert f'data-seq="{store.last_seq(refugee["id"])}"' in html


def test_review_is_for_coaches_only(make_user, login, client, refugee):
    volunteer, secret = make_user("volunteer")
    login(volunteer, secret)
    assert client.get(f"/people/{refugee['id']}/review").status_code == 403


def test_comment_appears_for_the_refugee(coach, client, store, refugee, location, app):
    basics(store, refugee, location)
    rid = hours(store, refugee)
    response = client.post(f"/people/{refugee['id']}/records/{rid}/comments",
                           data={"body": "Bring the letter of the food bank",
                                 "csrf_token": token(client)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/people/{refugee['id']}/review#entry-{rid}")
    phone = app.test_client()
    phone.post("/sign-in", data={"username": refugee["username"], "secret": "482913",
                                 "csrf_token": token(phone, "/sign-in")})
    html = phone.get(f"/people/{refugee['id']}/volunteering/").get_data(as_text=True)
    assert "Bring the letter of the food bank" in html


@pytest.mark.parametrize("body, message", [
    ("", "This field is required"),
    ("x" * 1001, "Use at most 1000 characters"),
])
def test_bad_comments_show_the_error_at_the_entry(coach, client, store, refugee, body,
                                                  message):
    rid = hours(store, refugee)
    response = client.post(f"/people/{refugee['id']}/records/{rid}/comments",
                           data={"body": body, "csrf_token": token(client)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and f'id="f-body-{rid}-error"' in html
    # The folded comment form comes back open, so the error is seen.
    assert html.count('<details class="comment-form" open>') == 1
    assert store.records(refugee["id"], "comment") == []


def test_coach_verifies_hours(coach, client, store, refugee):
    rid = hours(store, refugee)
    response = client.post(f"/people/{refugee['id']}/hours/{rid}/status", data={
        "status": "verified", "base_revision": "1", "csrf_token": token(client)})
    assert response.status_code == 303
    assert store.record(rid)["data"]["status"] == "verified"
    assert store.history(rid)[-1]["actor_id"] == coach["id"]


def test_questioning_hours_needs_a_reason(coach, client, store, refugee):
    rid = hours(store, refugee)
    response = client.post(f"/people/{refugee['id']}/hours/{rid}/status", data={
        "status": "questioned", "reason": "", "base_revision": "1",
        "csrf_token": token(client)})
    assert response.status_code == 422
    assert "Give a reason" in response.get_data(as_text=True)
    assert store.record(rid)["data"]["status"] == "self_reported"
    client.post(f"/people/{refugee['id']}/hours/{rid}/status", data={
        "status": "questioned", "reason": "Not on the list of the food bank",
        "base_revision": "1", "csrf_token": token(client)})
    data = store.record(rid)["data"]
    assert (data["status"], data["status_reason"]) == ("questioned",
                                                       "Not on the list of the food bank")


def test_verifying_hours_that_changed_meanwhile_is_refused(coach, client, store, refugee):
    rid = hours(store, refugee)
    put(store, refugee, "volunteer", {"hours": 8}, record_id=rid, base=1)
    response = client.post(f"/people/{refugee['id']}/hours/{rid}/status", data={
        "status": "verified", "base_revision": "1", "csrf_token": token(client)},
        follow_redirects=True)
    assert "changed after you opened the page" in response.get_data(as_text=True)
    assert store.record(rid)["data"]["status"] == "self_reported"


def test_coach_cannot_comment_on_someone_elses_record(coach, client, store, refugee,
                                                      make_user):
    other, _ = make_user("refugee")
    rid = hours(store, other)
    response = client.post(f"/people/{refugee['id']}/records/{rid}/comments",
                           data={"body": "Hi", "csrf_token": token(client)})
    assert response.status_code == 404


# -- talent card ------------------------------------------------------------------------------


def test_talent_card_is_in_dutch_and_escapes_free_text(coach, client, store, refugee,
                                                       location):
    basics(store, refugee, location)
    put(store, refugee, "work", {"job_title": "<script>alert(1)</script>", "start": "2015-01",
                                 "country": "ER"})
    response = client.get(f"/people/{refugee['id']}/talent-card",
                           headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="nl"' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Eritrea" in html  # the country is named in Dutch
    assert "januari 2015" in html  # and months too


@pytest.mark.skipif(not (ROOT / "translations/nl/LC_MESSAGES/messages.mo").exists(),
                    reason="no compiled Dutch catalog yet")
def test_talent_card_headings_are_dutch(coach, client, store, refugee, location):
    basics(store, refugee, location)
    html = client.get(f"/people/{refugee['id']}/talent-card").get_data(as_text=True)
    assert "Talentkaart" in html and "Werk en vrijwilligerswerk" in html


# -- CSV export ------------------------------------------------------------------------------


def read_csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_csv_has_a_header_and_neutralises_formulas(coach, client, store, refugee):
    hours(store, refugee, organisation="=cmd|' /C calc'!A0")
    hours(store, refugee, day="2026-01-07", organisation='Food "bank"; Ter Apel')
    response = client.get("/locations/loc-ter-apel/hours.csv?from=2026-01-01&to=2026-01-31")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = read_csv(response)
    assert len(rows[0]) == 8
    assert rows[1][3] == "'=cmd|' /C calc'!A0"
    assert rows[2][3] == 'Food "bank"; Ter Apel'
    assert rows[1][1] == refugee["username"] and rows[1][5] == "2"


@pytest.mark.skipif(not (ROOT / "translations/nl/LC_MESSAGES/messages.mo").exists(),
                    reason="no compiled Dutch catalog yet")
def test_csv_columns_are_dutch(coach, client):
    response = client.get("/locations/loc-ter-apel/hours.csv?from=2026-01-01&to=2026-01-31",
                          headers={"Accept-Language": "en"})
    assert read_csv(response)[0] == ["Naam", "Gebruikersnaam", "Datum", "Organisatie",
                                     "Activiteit", "Uren", "Status", "Reden"]


def test_csv_leaves_out_hours_outside_the_period(coach, client, store, refugee):
    hours(store, refugee, day="2025-12-31")
    hours(store, refugee, day="2026-01-15")
    rows = read_csv(client.get(
        "/locations/loc-ter-apel/hours.csv?from=2026-01-01&to=2026-01-31"))
    assert [r[2] for r in rows[1:]] == ["2026-01-15"]


@pytest.mark.parametrize("query, message", [
    ("from=2026-02-30&to=2026-03-01", "Enter a real date"),
    ("from=2026-03-02&to=2026-03-01", "The end date cannot be before the start date"),
    ("from=2024-01-01&to=2025-06-01", "at most 366 days"),
    ("", "Enter a real date"),
])
def test_bad_dates_show_the_export_form_with_errors(coach, client, query, message):
    response = client.get(f"/locations/loc-ter-apel/hours.csv?{query}")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_export_is_only_for_coaches_of_that_location(coach, client, other_location,
                                                     make_user, login, app):
    assert client.get(f"/locations/{other_location}/hours").status_code == 404
    assert client.get(f"/locations/{other_location}/hours.csv?from=2026-01-01"
                      "&to=2026-01-02").status_code == 404
    volunteer, secret = make_user("volunteer")
    other = login(volunteer, secret, test_client=app.test_client())
    assert other.get("/locations/loc-ter-apel/hours").status_code == 403


def test_export_form_page_renders(coach, client):
    response = client.get("/locations/loc-ter-apel/hours")
    assert response.status_code == 200
    assert "Download CSV" in response.get_data(as_text=True)
