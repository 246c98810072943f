"""Staff change only what they wrote: a coach's comment is the coach's own words.

Before, any coach of the place could rewrite or delete another coach's comment
through the sync API, and the refugee then read the forged words "from" the
original author. A verdict on volunteer hours is different: it is about the
hours, so any coach of the place may change it, and the page names who did.
Every staff-only record type (and field) x who tries x put or delete.
"""

from __future__ import annotations

from datetime import date

import pytest

from sync import accounts, protocol
from sync.records import RECORD_TYPES
from sync.store import open_store
from sync.write import Actor, new_id
from tests.conftest import csrf_token

TODAY = date(2026, 3, 15)
WHO = ["author", "other staff here", "staff elsewhere"]
ACTIONS = ["put", "delete"]


@pytest.fixture
def world(database):
    store = open_store(database)
    store.add_location("here", "AZC Ter Apel", "azc")
    store.add_location("elsewhere", "Gemeente Utrecht", "municipality")

    def user(role, name, **where):
        user_id = accounts.create_user(store, role=role, username=name, display_name=name,
                                       secret="coach passphrase", **where)
        return Actor(user_id, role, frozenset(where.get("location_ids", ())))

    amina = user("refugee", "amina", location_id="here")
    coaches = {"author": user("coach", "carla", location_ids=["here"]),
               "other staff here": user("coach", "cees", location_ids=["here"]),
               "staff elsewhere": user("coach", "cor", location_ids=["elsewhere"])}
    hours = push(store, amina, op(amina.id, "volunteer", fields={
        "date": "2026-03-01", "organisation": "Voedselbank", "activity": "Sorting food",
        "hours": 2}))
    yield store, amina, coaches, hours["record_id"]
    store.close()


def op(person_id, record_type, *, record_id=None, base=0, action="put", fields=None):
    return {"op_id": new_id(), "person_id": person_id, "record_type": record_type,
            "record_id": record_id or new_id(), "action": action, "base_revision": base,
            "fields": fields or {}}


def push(store, actor, operation):
    (result,) = protocol.push(store, actor, [operation], today=TODAY)
    return result


def test_comments_are_the_only_staff_only_record_type():
    """If a new staff-only type appears, it needs its row in the matrix below."""
    assert [t for t, spec in RECORD_TYPES.items() if spec.staff_only] == ["comment"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", WHO)
def test_a_comment_is_changed_only_by_its_author(world, who, action):
    store, amina, coaches, hours_id = world
    written = push(store, coaches["author"], op(amina.id, "comment", fields={
        "record_id": hours_id, "body": "Well done!"}))
    assert written["status"] == "applied"
    change = op(amina.id, "comment", record_id=written["record_id"], base=1, action=action,
                fields={"record_id": hours_id, "body": "You lied about these hours"}
                if action == "put" else {})
    result = push(store, coaches[who], change)
    comment = store.record(written["record_id"])
    if who == "author":
        assert result["status"] == "applied"
        assert comment["deleted"] == (action == "delete")
    else:
        assert result["status"] == "rejected"
        expected = ("You are not allowed to change this" if who == "other staff here"
                    else "This entry does not exist")
        assert result["message"][0] == expected
        assert (comment["data"]["body"], comment["deleted"], comment["revision"]) == (
            "Well done!", False, 1)
        assert comment["updated_by"] == coaches["author"].id


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", WHO)
def test_a_verdict_is_changed_by_any_coach_of_the_place_who_is_then_named(world, who,
                                                                          action):
    store, amina, coaches, hours_id = world
    first = push(store, coaches["author"], op(amina.id, "volunteer", record_id=hours_id,
                                               base=1, fields={"status": "verified"}))
    assert first["status"] == "applied"
    assert store.record(hours_id)["data"]["status_by"] == coaches["author"].id
    change = op(amina.id, "volunteer", record_id=hours_id, base=2, action=action,
                fields={"status": "questioned", "status_reason": "Which day?"}
                if action == "put" else {})
    result = push(store, coaches[who], change)
    data = store.record(hours_id)["data"]
    if action == "delete":
        # The hours are the person's own: no coach deletes them, whoever gave the verdict.
        assert result["status"] == "rejected"
        assert store.record(hours_id)["deleted"] is False
    elif who == "staff elsewhere":
        assert result["status"] == "rejected"
        assert result["message"][0] == "This entry does not exist"
        assert (data["status"], data["status_by"]) == ("verified", coaches["author"].id)
    else:
        assert result["status"] == "applied"
        assert (data["status"], data["status_by"]) == ("questioned", coaches[who].id)


def test_nobody_may_write_who_checked_the_hours(world):
    store, amina, coaches, hours_id = world
    for actor, fields in ((coaches["author"], {"status": "verified",
                                               "status_by": coaches["other staff here"].id}),
                          (amina, {"status_by": coaches["author"].id})):
        result = push(store, actor, op(amina.id, "volunteer", record_id=hours_id, base=1,
                                       fields=fields))
        assert result["status"] == "rejected"
    assert store.record(hours_id)["data"]["status_by"] is None


def test_changed_hours_lose_their_verdict_and_its_coach(world):
    store, amina, coaches, hours_id = world
    push(store, coaches["author"], op(amina.id, "volunteer", record_id=hours_id, base=1,
                                      fields={"status": "verified"}))
    push(store, amina, op(amina.id, "volunteer", record_id=hours_id, base=2,
                          fields={"hours": 3}))
    data = store.record(hours_id)["data"]
    assert (data["status"], data["status_by"]) == ("self_reported", None)


def test_the_review_page_offers_to_delete_only_ones_own_comment(app, client, make_user,
                                                                login, store):
    person, _ = make_user("refugee", name="Amina")
    author, _ = make_user("coach", name="Carla")
    other, _ = make_user("coach", name="Cees")
    location = person["location_id"]
    hours = push(store, Actor(person["id"], "refugee"), op(person["id"], "volunteer", fields={
        "date": "2026-03-01", "organisation": "Voedselbank", "activity": "Sorting food",
        "hours": 2}))
    comment = push(store, Actor(author["id"], "coach", frozenset({location})),
                   op(person["id"], "comment", fields={"record_id": hours["record_id"],
                                                       "body": "Well done!"}))
    url = f"/people/{person['id']}/comments/{comment['record_id']}/delete"
    login(other)
    assert url not in client.get(f"/people/{person['id']}/review").get_data(as_text=True)
    token = csrf_token(client, f"/people/{person['id']}/review")
    response = client.post(url, data={"csrf_token": token, "op_id": new_id(),
                                      "base_revision": "1"})
    assert response.status_code == 403
    assert store.record(comment["record_id"])["deleted"] is False
    mine = app.test_client()
    mine.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(author, test_client=mine)
    assert url in mine.get(f"/people/{person['id']}/review").get_data(as_text=True)
    response = mine.post(url, data={"csrf_token": csrf_token(mine, "/account/secret"),
                                    "op_id": new_id(), "base_revision": "1"})
    assert response.status_code == 303
    assert store.record(comment["record_id"])["deleted"] is True


def test_the_person_sees_who_checked_the_hours(app, client, make_user, login, store):
    person, _ = make_user("refugee", name="Amina")
    coach, _ = make_user("coach", name="Carla de Vries")
    hours = push(store, Actor(person["id"], "refugee"), op(person["id"], "volunteer", fields={
        "date": "2026-03-01", "organisation": "Voedselbank", "activity": "Sorting food",
        "hours": 2}))
    push(store, Actor(coach["id"], "coach", frozenset({person["location_id"]})),
         op(person["id"], "volunteer", record_id=hours["record_id"], base=1,
            fields={"status": "verified"}))
    login(person)
    html = client.get(f"/people/{person['id']}/volunteering/").get_data(as_text=True)
    assert "checked by <bdi>Carla de Vries</bdi>" in html
