"""Conditional pages and the pack version: an unchanged page costs a 304, not the page."""

from __future__ import annotations

import re

import pytest

from sync.write import Actor, Operation, apply, new_id
from tests.conftest import csrf_token
from tests.test_bad_input import post_form

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


def pages(person):
    """An overview, a list with a delete form per entry, and forms full of fresh ids."""
    pid = person["id"]
    return [f"/people/{pid}/", f"/people/{pid}/skills/", f"/people/{pid}/skills/new",
            f"/people/{pid}/basics", "/outbox", "/offline"]


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
        # Still never kept by the browser's own cache (shared devices).
        assert response.headers["Cache-Control"] == "no-store"
        assert "Content-Security-Policy" not in response.headers


def test_a_whole_page_keeps_its_security_headers_and_is_not_cached_by_the_browser(client,
                                                                                 amina):
    response = client.get(f"/people/{amina['id']}/", headers={"If-None-Match": 'W/"old"'})
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers


def test_a_change_to_the_profile_gives_the_pages_showing_it_a_new_etag(client, amina, store):
    path = f"/people/{amina['id']}/skills/"
    before = etag(client, path)
    add(store, amina)
    after = client.get(path, headers={"If-None-Match": before})
    assert after.status_code == 200
    assert "Weld metal" in after.get_data(as_text=True)
    assert after.headers["ETag"] != before


def test_a_change_elsewhere_leaves_a_page_unchanged_and_tells_the_new_pack_version(client,
                                                                                  amina, store):
    path = f"/people/{amina['id']}/languages/"
    first = client.get(path)
    add(store, amina)
    response = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 304
    version = response.headers["X-Talentkaart-Pack"]
    assert version != first.headers["X-Talentkaart-Pack"]
    assert f'data-pack-version="{version}"' in client.get(path).get_data(as_text=True)


def test_a_new_session_gives_new_etags(client, amina, login):
    path = f"/people/{amina['id']}/skills/new"
    before = etag(client, path)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, path)})
    login(amina)
    # The old copy's form token belongs to the old session: it must be sent again.
    assert client.get(path, headers={"If-None-Match": before}).status_code == 200
    assert etag(client, path) != before


def test_another_language_gives_new_etags(client, amina):
    path = f"/people/{amina['id']}/"
    before = etag(client, path)
    client.post("/language", data={"locale": "nl", "next": path,
                                   "csrf_token": csrf_token(client, path)})
    response = client.get(path, headers={"If-None-Match": before})
    assert response.status_code == 200
    assert '<html lang="nl"' in response.get_data(as_text=True)


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


# -- the pack version ----------------------------------------------------------------------

def pack_version(client, person):
    """The version /sync/pack gives, after checking a page carries the same one."""
    version = client.get(f"/sync/pack?person={person['id']}", headers=SYNC).json["version"]
    html = client.get(f"/people/{person['id']}/").get_data(as_text=True)
    assert re.search(r'data-pack-version="([^"]*)"', html).group(1) == version
    return version


def test_the_pack_version_stays_while_nothing_changes(client, amina):
    assert pack_version(client, amina) == pack_version(client, amina)


def test_the_pack_version_changes_with_the_profile(client, amina, store):
    before = pack_version(client, amina)
    record_id = add(store, amina)
    after = pack_version(client, amina)
    assert after != before
    record = store.record(record_id)
    apply(store, Actor(amina["id"], "refugee"),
          Operation(new_id(), amina["id"], "skill", record_id, "put", record["revision"],
                    {**SKILL, "level": "4"}))
    assert pack_version(client, amina) != after


def test_the_pack_version_changes_with_the_language_and_side_by_side(client, amina):
    path = f"/people/{amina['id']}/"
    versions = {pack_version(client, amina)}
    client.post("/language", data={"locale": "ar", "next": path,
                                   "csrf_token": csrf_token(client, path)})
    versions.add(pack_version(client, amina))
    client.post("/side-by-side", data={"next": path, "csrf_token": csrf_token(client, path)})
    versions.add(pack_version(client, amina))
    assert len(versions) == 3


def test_the_pack_version_changes_with_a_new_session(client, amina, login):
    before = pack_version(client, amina)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/outbox")})
    login(amina)
    assert pack_version(client, amina) != before


def test_staff_pages_carry_no_pack_version(app, amina, make_user, login):
    coach, _ = make_user("coach")
    browser = login(coach, test_client=app.test_client())
    response = browser.get(f"/people/{amina['id']}/")
    assert 'data-pack-version=""' in response.get_data(as_text=True)
    assert "X-Talentkaart-Pack" not in response.headers


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
