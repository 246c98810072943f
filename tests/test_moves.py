"""Moving along: a coach proposes moving a profile to the person's new place, and it moves
only when the person confirms; on both backends, through the real app."""

from __future__ import annotations

import json

import pytest

from sync import erasure
from sync.write import Actor, singleton_id
from tests.sync_fixtures import basics as basics_fields
from tests.test_erasure import text_of, token_of
from tests.test_pages_etag import add
from tests.test_privacy import download


@pytest.fixture
def people(app, store, make_user, login, other_location):
    """Amina at Ter Apel (signed in on ``client``), a coach there and one in Utrecht."""
    amina, _ = make_user("refugee", name="Amina")
    login(amina)
    browsers = {}
    for key, places in (("here", None), ("there", [other_location])):
        coach, _ = make_user("coach", name=f"Coach {key}", location_ids=places)
        browser = app.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(coach, test_client=browser)
        browsers[key] = (coach, browser)
    return amina, browsers


def propose(browser, person, to="loc-utrecht"):
    review = f"/people/{person['id']}/review"
    return browser.post(f"/people/{person['id']}/move",
                        data={"csrf_token": token_of(browser, review), "to_location": to})


def answer(client, person, choice):
    path = f"/people/{person['id']}/privacy"
    return client.post(f"{path}/move", data={"csrf_token": token_of(client, path),
                                             "answer": choice})


def with_basics(store, person):
    from sync.write import Operation, apply, new_id

    apply(store, Actor(person["id"], "refugee"), Operation(
        new_id(), person["id"], "basics", singleton_id(person["id"], "basics"), "put", 0,
        {**basics_fields(location_id="loc-ter-apel"), "preferred_language": "en"}))


def test_the_profile_moves_when_she_confirms(client, store, people):
    amina, browsers = people
    _, here = browsers["here"]
    _, there = browsers["there"]
    with_basics(store, amina)
    add(store, amina)
    assert propose(here, amina).status_code == 303
    # Nothing moved yet: she is asked, on her profile's start and her privacy page.
    assert store.user(amina["id"])["location_id"] == "loc-ter-apel"
    assert there.get(f"/people/{amina['id']}/").status_code == 404
    start = text_of(client.get(f"/people/{amina['id']}/"))
    assert "Coach here proposes to move your profile to Gemeente Utrecht" in start
    assert "Waiting for Amina to confirm the move" in text_of(here.get(
        f"/people/{amina['id']}/review"))

    moved = answer(client, amina, "move")
    assert moved.status_code == 303
    shown = text_of(client.get(moved.headers["Location"]))
    assert "Your profile moved to Gemeente Utrecht." in shown
    assert store.user(amina["id"])["location_id"] == "loc-utrecht"
    # The new place sees it, the old one no longer does.
    assert there.get(f"/people/{amina['id']}/").status_code == 200
    assert here.get(f"/people/{amina['id']}/").status_code == 404
    # Her history says she moved it, and her privacy page lists the move.
    [*_, last] = store.history(singleton_id(amina["id"], "basics"))
    assert (last["action"], last["changed"], last["actor_id"]) == (
        "update", ["location_id"], amina["id"])
    page = text_of(client.get(f"/people/{amina['id']}/privacy"))
    assert "from AZC Ter Apel to Gemeente Utrecht" in page
    assert "The coaches of Gemeente Utrecht" in page
    # The other basics stay as they were.
    assert store.record(singleton_id(amina["id"], "basics"))["data"]["residence"]


def test_she_may_stay(client, store, people):
    amina, browsers = people
    _, here = browsers["here"]
    propose(here, amina)
    stayed = answer(client, amina, "stay")
    assert stayed.status_code == 303
    assert "Your profile stays at AZC Ter Apel." in text_of(client.get(stayed.headers["Location"]))
    assert store.user(amina["id"])["location_id"] == "loc-ter-apel"
    assert store.pending_move(amina["id"]) is None
    assert "proposes to move" not in text_of(client.get(f"/people/{amina['id']}/"))


def test_without_basics_the_account_moves(client, store, people):
    amina, browsers = people
    propose(browsers["here"][1], amina)
    assert answer(client, amina, "move").status_code == 303
    assert store.user(amina["id"])["location_id"] == "loc-utrecht"


@pytest.mark.parametrize(("to", "message"), [("loc-nowhere", "Choose from the list"),
                                             ("", "Choose from the list"),
                                             ("loc-ter-apel", "at this place already")])
def test_a_move_to_no_place_or_the_same_one_is_refused(store, people, to, message):
    amina, browsers = people
    refused = propose(browsers["here"][1], amina, to)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert message in html and 'href="#f-to_location-move"' in html
    assert store.pending_move(amina["id"]) is None


def test_a_second_proposal_or_an_answer_to_nothing_is_refused(client, store, people):
    amina, browsers = people
    _, here = browsers["here"]
    assert answer(client, amina, "move").status_code == 422  # nothing waits
    propose(here, amina)
    first = store.pending_move(amina["id"])
    again = propose(here, amina)
    assert again.status_code == 422 and "waiting for an answer already" in text_of(again)
    assert answer(client, amina, "maybe").status_code == 422
    assert store.pending_move(amina["id"]) == first


def test_the_coach_may_take_it_back_and_nobody_else_may_answer(app, client, store, people,
                                                                make_user, login):
    amina, browsers = people
    _, here = browsers["here"]
    _, there = browsers["there"]
    assert propose(there, amina).status_code == 404  # not her coach
    propose(here, amina)
    other, _ = make_user("refugee", name="Omar")
    browser = app.test_client()
    login(other, test_client=browser)
    path = f"/people/{other['id']}/privacy"
    assert browser.post(f"/people/{amina['id']}/privacy/move",
                        data={"csrf_token": token_of(browser, path), "answer": "move"}
                        ).status_code == 404
    review = f"/people/{amina['id']}/review"
    back = here.post(f"/people/{amina['id']}/move/withdraw",
                     data={"csrf_token": token_of(here, review)})
    assert back.status_code == 303 and store.pending_move(amina["id"]) is None
    assert store.user(amina["id"])["location_id"] == "loc-ter-apel"


def test_moves_are_in_her_data_and_go_with_her_profile(file_store, client, store, people):
    amina, browsers = people
    propose(browsers["here"][1], amina)
    answer(client, amina, "move")
    data = json.loads(download(client, amina).read("talentkaart.json"))
    assert [(m["from_name"], m["to_name"], m["answer"]) for m in data["moves"]] == [
        ("AZC Ter Apel", "Gemeente Utrecht", "moved")]
    erasure.ask(store, Actor(amina["id"], "refugee"), amina["id"], grace_days=0)
    erasure.erase_due(store, files=file_store)
    assert store.query("SELECT count(*) AS n FROM moves")[0]["n"] == 0
