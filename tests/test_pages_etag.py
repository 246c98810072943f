"""The kept pages' ETags and the offline pack: an unchanged page costs a 304, not the page.

A kept page's tag is made from what the page depends on (the build, the person's
last change, the site's version, the language, the session, who asks) before the
page is drawn: an unchanged page is answered at once, without rendering it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import template_rendered

from pwa import db as pwa_db
from sync import clock, protocol
from sync.write import Actor, Operation, apply, new_id
from tests.conftest import csrf_token
from tests.test_bad_input import post_form
from tests.today import TODAY

SYNC = {"X-Talentkaart-Sync": "1"}
SKILL = {"code": "skill.trades.welding", "level": "3", "learned": "work"}


@pytest.fixture
def amina(make_user, login):
    """A signed-in refugee (English)."""
    user, _ = make_user("refugee", name="Amina")
    login(user)
    return user


def add(store, person, record_type="skill", fields=None):
    """A new entry in the person's profile, as from another device; returns its id."""
    record_id = new_id()
    apply(store, Actor(person["id"], "refugee"),
          Operation(new_id(), person["id"], record_type, record_id, "put", 0,
                    fields or SKILL))
    return record_id


def etag(client, path):
    """The ETag of a page, after checking it was a whole page."""
    response = client.get(path)
    assert response.status_code == 200, path
    return response.headers["ETag"]


def the_pack(client, person):
    """What /sync/pack says for ``person``."""
    response = client.get(f"/sync/pack?person={person['id']}", headers=SYNC)
    assert response.status_code == 200
    return response.json


def pages(person):
    """The pages the phone keeps: they carry a tag."""
    pid = person["id"]
    return [f"/people/{pid}/", f"/people/{pid}/skills/", f"/people/{pid}/basics",
            f"/people/{pid}/forms", "/outbox", "/offline"]


def entry_pages(person):
    """The kept pages that show the person's entries."""
    pid = person["id"]
    return [f"/people/{pid}/", f"/people/{pid}/skills/", f"/people/{pid}/basics"]


def other_pages(person):
    """The kept pages that show none of them."""
    return [f"/people/{person['id']}/forms", "/outbox", "/offline"]


class Traced:
    """The SQL statements and templates a request runs (the test client's thread)."""

    def __init__(self, app):
        self.app, self.statements, self.templates = app, [], []

    def __enter__(self):
        self._tracing = pwa_db._connections.store.traced()
        self.statements = self._tracing.__enter__()
        template_rendered.connect(self._rendered, self.app)
        return self

    def _rendered(self, sender, template, context, **extra):
        self.templates.append(template.name)

    def __exit__(self, *exc):
        self._tracing.__exit__(*exc)
        template_rendered.disconnect(self._rendered, self.app)


def test_the_same_page_twice_has_the_same_etag(client, amina, store):
    add(store, amina)
    for path in pages(amina):
        assert etag(client, path) == etag(client, path), path


def test_the_form_token_differs_every_second_but_the_etag_does_not(client, amina,
                                                                   monkeypatch):
    from itertools import count

    from itsdangerous.timed import TimestampSigner

    seconds = count(1_800_000_000, 7)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(seconds))
    path = f"/people/{amina['id']}/basics"
    first, second = client.get(path), client.get(path)
    token = r'name="csrf_token" value="([^"]+)"'
    assert re.search(token, first.get_data(as_text=True)).group(1) != \
        re.search(token, second.get_data(as_text=True)).group(1)
    assert first.headers["ETag"] == second.headers["ETag"]


def test_an_unchanged_page_is_a_304_without_a_body(client, amina, store):
    add(store, amina)
    for path in pages(amina):
        tag = etag(client, path)
        response = client.get(path, headers={"If-None-Match": tag, "Accept-Encoding": "gzip"})
        assert response.status_code == 304, path
        assert response.data == b""
        assert response.headers["ETag"] == tag
        # Whose it is, as on every page: the worker checks it on a 304 too.
        assert response.headers["X-Talentkaart-User"] == amina["id"]
        # Still never kept by the browser's own cache (shared devices).
        assert response.headers["Cache-Control"] == "no-store"
        assert "Content-Security-Policy" not in response.headers


def test_a_304_is_answered_without_drawing_the_page_or_reading_entries(app, client, amina,
                                                                       store):
    for _ in range(30):
        add(store, amina)
    for path in pages(amina):
        tag = etag(client, path)
        with Traced(app) as traced:
            assert client.get(path, headers={"If-None-Match": tag}).status_code == 304
        assert traced.templates == [], path
        reads = [sql for sql in traced.statements if sql.lstrip().upper().startswith("SELECT")]
        assert not [sql for sql in reads if "FROM records" in sql], (path, reads)
        assert len(reads) <= 6, (path, reads)


def test_a_whole_page_keeps_its_security_headers_and_is_not_cached_by_the_browser(client,
                                                                                 amina):
    response = client.get(f"/people/{amina['id']}/", headers={"If-None-Match": 'W/"old"'})
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers


def test_a_change_to_the_profile_gives_the_pages_showing_entries_a_new_etag(client, amina,
                                                                           store):
    before = {path: etag(client, path) for path in pages(amina)}
    add(store, amina)
    path = f"/people/{amina['id']}/skills/"
    after = client.get(path, headers={"If-None-Match": before[path]})
    assert after.status_code == 200
    assert "Weld metal" in after.get_data(as_text=True)
    for path in entry_pages(amina):
        assert client.get(path, headers={"If-None-Match": before[path]}).status_code == 200
    # The forms page (the biggest), the outbox and the offline page show no entry.
    for path in other_pages(amina):
        assert client.get(path, headers={"If-None-Match": before[path]}).status_code == 304


def test_pages_that_show_entries_say_which_change_they_show(client, amina, store):
    def shown(path):
        html = client.get(path).get_data(as_text=True)
        return re.search(r'data-seq="([^"]*)"', html).group(1)

    for path in entry_pages(amina):
        assert shown(path) == "0", path
    add(store, amina)
    seq = store.last_seq(amina["id"])
    for path in entry_pages(amina):
        assert shown(path) == str(seq), path
    for path in other_pages(amina):
        assert shown(path) == "", path


def test_the_next_day_pages_showing_entries_are_new(client, amina, monkeypatch):
    before = {path: etag(client, path) for path in pages(amina)}

    monkeypatch.setattr(clock, "today", lambda: TODAY + timedelta(days=1))
    # Work advice and hour totals depend on the day.
    for path in entry_pages(amina):
        assert client.get(path, headers={"If-None-Match": before[path]}).status_code == 200
    for path in other_pages(amina):
        assert client.get(path, headers={"If-None-Match": before[path]}).status_code == 304


def test_a_change_to_places_or_staff_names_gives_every_kept_page_a_new_etag(client, amina,
                                                                          store, location):
    before = {path: etag(client, path) for path in pages(amina)}
    store.rename_location(location, "AZC Ter Apel (new)", "azc")
    for path in pages(amina):
        assert client.get(path, headers={"If-None-Match": before[path]}).status_code == 200
    assert "AZC Ter Apel (new)" in client.get(f"/people/{amina['id']}/basics").get_data(
        as_text=True)


def test_a_new_session_gives_new_etags(client, amina, login):
    path = f"/people/{amina['id']}/forms"
    before = etag(client, path)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, path)})
    login(amina)
    # The old copy's form tokens belong to the old session: it must be sent again.
    assert client.get(path, headers={"If-None-Match": before}).status_code == 200
    assert etag(client, path) != before


def test_another_language_gives_new_etags(client, amina):
    path = f"/people/{amina['id']}/"
    before = {p: etag(client, p) for p in pages(amina)}
    client.post("/language", data={"locale": "nl", "next": path,
                                   "csrf_token": csrf_token(client, path)})
    response = client.get(path, headers={"If-None-Match": before[path]})
    assert response.status_code == 200
    assert '<html lang="nl"' in response.get_data(as_text=True)
    for p in pages(amina):
        assert client.get(p, headers={"If-None-Match": before[p]}).status_code == 200, p


def test_signed_out_a_kept_etag_still_leads_to_sign_in(client, amina):
    path = f"/people/{amina['id']}/"
    tag = etag(client, path)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, path)})
    response = client.get(path, headers={"If-None-Match": tag})
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    assert "ETag" not in response.headers


def test_another_person_never_gets_a_304_for_a_page_they_may_not_see(app, amina, make_user,
                                                                    login, client):
    path = f"/people/{amina['id']}/"
    tag = etag(client, path)
    other, _ = make_user("refugee")
    browser = login(other, test_client=app.test_client())
    assert browser.get(path, headers={"If-None-Match": tag}).status_code == 404


def test_a_volunteer_moved_elsewhere_gets_no_304_for_the_persons_pages(app, amina, make_user,
                                                                     login, store,
                                                                     other_location):
    volunteer, _ = make_user("volunteer")
    browser = login(volunteer, test_client=app.test_client())
    tags = {path: etag(browser, path) for path in pages(amina)[:4]}
    store.set_staff_locations(volunteer["id"], [other_location])
    for path, tag in tags.items():
        assert browser.get(path, headers={"If-None-Match": tag}).status_code == 404, path


def test_only_the_kept_pages_carry_a_tag(client, amina, store):
    record_id = add(store, amina)
    pid = amina["id"]
    # An entry's form is never kept (offline the forms page stands in for it).
    for path in (f"/people/{pid}/skills/new", f"/people/{pid}/skills/{record_id}"):
        response = client.get(path)
        assert response.status_code == 200
        assert "ETag" not in response.headers, path


# -- whose page it is ----------------------------------------------------------------------

def test_pages_say_who_is_signed_in(client, amina, app, make_user):
    assert client.get(f"/people/{amina['id']}/").headers["X-Talentkaart-User"] == amina["id"]
    stranger = app.test_client()
    assert stranger.get("/sign-in").headers["X-Talentkaart-User"] == "none"
    # Not on what the worker never keeps.
    assert "X-Talentkaart-User" not in client.get("/manifest.webmanifest").headers


def test_a_shared_device_page_says_how_long_it_may_stay_idle(app, make_user):
    user, secret = make_user("refugee")
    browser = app.test_client()
    browser.post("/sign-in", data={"username": user["username"], "secret": secret,
                                   "shared": "yes", "csrf_token": csrf_token(browser)})
    header = browser.get(f"/people/{user['id']}/").headers["X-Talentkaart-User"]
    assert header == f"{user['id']}; idle=1800"


# -- the pack ---------------------------------------------------------------------------------

def stamp(client, person):
    """The stamp /sync/pack gives, after checking a page carries the same one."""
    pack = the_pack(client, person)
    html = client.get(f"/people/{person['id']}/").get_data(as_text=True)
    assert re.search(r'data-pack-version="([^"]*)"', html).group(1) == pack["stamp"]
    assert pack["version"] == f"{pack['stamp']}-{pack['seq']}"
    return pack["stamp"]


def test_the_pack_lists_a_few_pages_and_no_entry(client, amina, store):
    add(store, amina)
    pid = amina["id"]
    assert the_pack(client, amina)["urls"] == [
        f"/people/{pid}/", f"/people/{pid}/basics",
        *(f"/people/{pid}/{slug}/" for slug in ("ambitions", "skills", "languages",
                                                "education", "work", "volunteering", "plan")),
        f"/people/{pid}/forms", "/outbox", "/offline", f"/people/{pid}/privacy"]


def test_the_pack_says_each_pages_tag_as_the_page_answers_it(client, amina, store):
    add(store, amina)
    pack = the_pack(client, amina)
    assert set(pack["tags"]) == set(pack["urls"])
    for url in pack["urls"]:
        assert pack["tags"][url] == etag(client, url), url
        assert client.get(url, headers={"If-None-Match": pack["tags"][url]}).status_code == 304


def test_the_pack_does_not_grow_with_the_entries(app, client, amina, make_user, login, store):
    busy, _ = make_user("refugee", name="Veel Uren")
    first = TODAY - timedelta(days=3000)
    actor = Actor(busy["id"], "refugee")
    for start in range(0, 3000, 200):
        results = protocol.push(store, actor, [
            {"op_id": new_id(), "person_id": busy["id"], "record_type": "volunteer",
             "record_id": new_id(), "action": "put", "base_revision": 0,
             "fields": {"date": (first + timedelta(days=n)).isoformat(),
                        "organisation": "Voedselbank", "activity": f"Sorting food {n}",
                        "hours": 2}} for n in range(start, start + 200)])
        assert {r["status"] for r in results} == {"applied"}
    browser = login(busy, test_client=app.test_client())
    with Traced(app) as traced:
        urls = the_pack(browser, busy)["urls"]
    assert len(urls) == len(the_pack(client, amina)["urls"]) == 13
    # Listing it reads no entry: its version is a stamp and a change number.
    assert not [sql for sql in traced.statements if "FROM records" in sql]


def test_the_pack_stamp_stays_while_nothing_changes(client, amina):
    assert stamp(client, amina) == stamp(client, amina)


def test_the_packs_change_number_follows_the_profile_and_its_stamp_does_not(client, amina,
                                                                          store):
    before = the_pack(client, amina)
    record_id = add(store, amina)
    after = the_pack(client, amina)
    assert (after["stamp"], after["seq"]) == (before["stamp"], store.last_seq(amina["id"]))
    assert after["version"] != before["version"]
    record = store.record(record_id)
    apply(store, Actor(amina["id"], "refugee"),
          Operation(new_id(), amina["id"], "skill", record_id, "put", record["revision"],
                    {**SKILL, "level": "4"}))
    assert the_pack(client, amina)["seq"] == after["seq"] + 1


def test_the_pack_stamp_changes_with_the_language_and_side_by_side(client, amina):
    path = f"/people/{amina['id']}/"
    stamps = {stamp(client, amina)}
    client.post("/language", data={"locale": "ar", "next": path,
                                   "csrf_token": csrf_token(client, path)})
    stamps.add(stamp(client, amina))
    client.post("/side-by-side", data={"next": path, "csrf_token": csrf_token(client, path)})
    stamps.add(stamp(client, amina))
    assert len(stamps) == 3


def test_the_pack_stamp_changes_with_a_new_session(client, amina, login):
    before = stamp(client, amina)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/outbox")})
    login(amina)
    assert stamp(client, amina) != before


def test_staff_pages_carry_no_pack_stamp(app, amina, make_user, login):
    coach, _ = make_user("coach")
    browser = login(coach, test_client=app.test_client())
    response = browser.get(f"/people/{amina['id']}/")
    assert 'data-pack-version=""' in response.get_data(as_text=True)


# -- the forms page ------------------------------------------------------------------------------

def test_the_forms_page_has_an_empty_form_of_every_kind_and_the_long_lists_once(client,
                                                                                amina, store):
    add(store, amina, "goal", {"title": "Become a nurse", "status": "planned"})
    html = client.get(f"/people/{amina['id']}/forms").get_data(as_text=True)
    slugs = re.findall(r'<template data-slug="([a-z]+)" data-record-type="([a-z]+)"', html)
    assert slugs == [("ambitions", "ambition"), ("skills", "skill"), ("languages", "language"),
                     ("education", "education"), ("work", "work"),
                     ("volunteering", "volunteer"), ("plan", "goal"), ("steps", "step")]
    assert html.count('data-new="yes"') == 8
    assert html.count('value="skill.trades.welding"') == 1  # the skill list: once
    # Which goals a step can belong to changes with the entries: the phone fills them in.
    assert "Become a nurse" not in html
    # Until the phone shows a form, the page says there is no connection.
    assert "<title>No connection – Talentkaart</title>" in html


# -- the service worker and the manifest ---------------------------------------------------------

def test_the_service_worker_is_a_304_until_a_new_build(client, monkeypatch):
    import pwa.offline

    first = client.get("/sw.js")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    tag = first.headers["ETag"]
    assert tag == f'W/"{pwa.offline.build_version()}"'
    again = client.get("/sw.js", headers={"If-None-Match": tag})
    assert (again.status_code, again.data) == (304, b"")
    assert "Content-Security-Policy" not in again.headers
    monkeypatch.setattr(pwa.offline, "build_version", lambda root=None: "0f0f0f0f0f0f0f0f")
    new = client.get("/sw.js", headers={"If-None-Match": tag})
    assert new.status_code == 200 and b"0f0f0f0f0f0f0f0f" in new.data


def test_the_manifest_is_a_304_while_it_is_the_same(client):
    tag = client.get("/manifest.webmanifest").headers["ETag"]
    assert client.get("/manifest.webmanifest",
                      headers={"If-None-Match": tag}).status_code == 304
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    assert client.get("/manifest.webmanifest",
                      headers={"If-None-Match": tag}).status_code == 200


# -- flash messages: for the page the person sees, never for a kept copy -------------------

KEEP = {"X-Talentkaart-Keep": "1"}
SAVED = '<div class="flash flash--success" role="status">Saved.</div>'


def save_skill(client, person):
    """Add a skill through its form; returns the page the redirect leads to (unopened)."""
    response = post_form(client, f"/people/{person['id']}/skills/new", SKILL)
    assert response.status_code == 303
    return response.headers["Location"]


def test_a_copy_made_to_keep_leaves_the_message_for_the_next_page(client, amina):
    section = save_skill(client, amina)
    # The worker's pack refresh gets there before the browser follows the redirect.
    kept = client.get(section, headers=KEEP)
    assert kept.status_code == 200
    assert "Saved." not in kept.get_data(as_text=True)
    assert "X-Talentkaart-Flash" not in kept.headers

    shown = client.get(section)
    assert SAVED in shown.get_data(as_text=True)
    assert "Saved." not in client.get(section).get_data(as_text=True)  # shown once


def test_a_copy_made_to_keep_is_revalidated_even_with_a_message_waiting(client, amina):
    section = f"/people/{amina['id']}/skills/"
    tag = etag(client, section)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved.")]
    assert client.get(section, headers={**KEEP, "If-None-Match": tag}).status_code == 304
    assert SAVED in client.get(section).get_data(as_text=True)


def test_a_page_with_a_message_says_so_and_is_never_answered_with_a_304(client, amina):
    section = save_skill(client, amina)
    flashed = client.get(section)
    assert SAVED in flashed.get_data(as_text=True)
    assert flashed.headers["X-Talentkaart-Flash"] == "1"
    # No tag: no 304 can revalidate a kept copy that shows the message.
    assert "ETag" not in flashed.headers

    clean = etag(client, section)
    assert "X-Talentkaart-Flash" not in client.get(section).headers
    # Nor can a 304 for the clean copy stand in for the page with the message.
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved.")]
    again = client.get(section, headers={"If-None-Match": clean})
    assert again.status_code == 200
    assert SAVED in again.get_data(as_text=True)
