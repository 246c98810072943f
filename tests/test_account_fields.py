"""A person's name, place and language have one home: their account.

Before, they lived in the basics record and in the users table both; the language
picker wrote the users table past the write path, and the next save of a basics form
(one kept on a phone, say) put the old language back.
"""

from __future__ import annotations

import re

import pytest

from sync import protocol
from sync.write import Actor, singleton_id
from tests.conftest import csrf_token

BASICS = {"display_name": "Amina Yusuf", "preferred_language": "en",
          "location_id": "loc-ter-apel", "residence": "status_holder",
          "permit_date": "2024-05-01", "my_goal": "Nurse"}


@pytest.fixture
def amina(make_user, login, client, store):
    user, _ = make_user("refugee", name="Amina Yusuf")
    login(user)
    path = f"/people/{user['id']}/basics"
    html = client.get(path).get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    assert client.post(path, data={**hidden, **BASICS}).status_code == 303
    return user


def basics_form(client, person_id):
    """The basics form as a phone keeps it: its hidden fields and what it shows."""
    html = client.get(f"/people/{person_id}/basics").get_data(as_text=True)
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))


def test_a_language_chosen_in_the_picker_survives_an_older_basics_form(client, store, amina):
    kept = basics_form(client, amina["id"])  # rendered while the language was English
    response = client.post("/language", data={"locale": "ar", "next": "/",
                                              "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert store.user(amina["id"])["locale"] == "ar"
    # The kept form is sent later, with its old language and a new goal.
    client.post(f"/people/{amina['id']}/basics",
                data={**kept, **BASICS, "my_goal": "Midwife", "op_id": kept["op_id"]})
    assert store.user(amina["id"])["locale"] == "ar"
    record = store.record(singleton_id(amina["id"], "basics"))
    assert record["data"]["my_goal"] == "Midwife"


def test_the_language_change_is_in_the_history(store, client, amina):
    client.post("/language", data={"locale": "ti", "next": "/",
                                   "csrf_token": csrf_token(client)})
    history = store.history(singleton_id(amina["id"], "basics"))
    assert history[-1]["changed"] == ["preferred_language"]
    assert history[-1]["data"]["preferred_language"] == "ti"


def test_the_basics_record_keeps_no_copy_but_is_pulled_whole(store, amina):
    record = store.record(singleton_id(amina["id"], "basics"))
    assert not {"display_name", "location_id", "preferred_language"} & set(record["data"])
    pulled = protocol.pull(store, Actor(amina["id"], "refugee"), amina["id"], 0)
    (basics,) = [r for r in pulled["records"] if r["type"] == "basics"]
    assert basics["data"]["preferred_language"] == "en"
    assert basics["data"]["display_name"] == "Amina Yusuf"


@pytest.mark.sqlite_only
def test_a_version_4_database_loses_the_copies(tmp_path):
    import json
    import sqlite3

    from sync.store import open_store

    path = tmp_path / "old.sqlite3"
    store = open_store(path)
    store.execute("PRAGMA user_version = 4")
    store.close()
    old = sqlite3.connect(path)
    old.execute("INSERT INTO records (id, person_id, type, data, revision) VALUES"
                " ('b', 'p', 'basics', ?, 1)", [json.dumps(BASICS)])
    old.commit()
    old.close()
    store = open_store(path)
    assert store.record("b")["data"] == {"residence": "status_holder",
                                         "permit_date": "2024-05-01", "my_goal": "Nurse"}
