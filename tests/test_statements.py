"""Statements of verified volunteer hours: made by the person once a coach verified the
hours, checked by anyone with the link (genuine, changed, withdrawn), showing nothing
else of the profile; on both backends, through the app."""

from __future__ import annotations

import json
import re

import pytest
from babel.support import Translations

from pwa import ROOT
from sync import statements
from sync.write import Actor, Operation, apply, new_id
from tests.test_erasure import token_of
from tests.test_files import put

HOURS = [{"date": "2026-03-02", "organisation": "Voedselbank Ter Apel",
          "activity": "Sorting food", "hours": 3},
         {"date": "2026-03-09", "organisation": "Voedselbank Ter Apel",
          "activity": "Handing out parcels", "hours": 2.5},
         {"date": "2026-03-10", "organisation": "Buurthuis", "activity": "Cooking",
          "hours": 4}]


# The check page is in Dutch, for the employers who open it.
dutch = Translations.load(str(ROOT / "translations"), ["nl"]).gettext


@pytest.fixture
def amina(client, make_user, login):
    amina, _ = make_user("refugee", name="Amina Zylpharine")
    login(amina)
    return amina


@pytest.fixture
def verified(store, amina, make_user):
    """Her hours, those at the food bank verified by coach Coen."""
    coach, _ = make_user("coach", name="Coen")
    ids = [put(store, amina, "volunteer", hours) for hours in HOURS]
    for record_id in ids[:2]:
        apply(store, Actor(coach["id"], "coach", frozenset({"loc-ter-apel"})), Operation(
            new_id(), amina["id"], "volunteer", record_id, "put", 1, {"status": "verified"}))
    return ids


def make(client, person, organisation="Voedselbank Ter Apel"):
    path = f"/people/{person['id']}/volunteering/"
    return client.post(f"/people/{person['id']}/statements", data={
        "csrf_token": token_of(client, path), "organisation": organisation})


def statement_link(client, person):
    page = client.get(f"/people/{person['id']}/volunteering/").get_data(as_text=True)
    return re.findall(r'href="https?://[^/"]+(/statements/[^"]+)"', page)


def test_she_makes_a_statement_and_anyone_with_the_link_sees_it_is_genuine(
        app, client, store, amina, verified):
    page = client.get(f"/people/{amina['id']}/volunteering/").get_data(as_text=True)
    # Only where a coach verified hours: not the community centre.
    assert '<option value="Voedselbank Ter Apel"' in page and 'value="Buurthuis"' not in page
    assert make(client, amina).status_code == 303
    (link,) = statement_link(client, amina)
    checker = app.test_client()
    answer = checker.get(link)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    text = answer.get_data(as_text=True)
    assert '<html lang="nl"' in text
    for shown in ("Amina Zylpharine", "Voedselbank Ter Apel", "5,5", "Sorting food",
                  "Handing out parcels", "Coen"):
        assert shown in text, shown
    assert "Cooking" not in text and "Buurthuis" not in text  # nothing else of her
    # Printed, it carries its own QR code and link: the paper can be checked again.
    assert '<svg role="img"' in text and link in text
    (row,) = store.statements_of(amina["id"])
    document = json.loads(row["document"])
    assert document["credentialSubject"]["hours"] == 5.5
    assert statements.check(store, row, app.secret_key.encode()).state == "genuine"


def test_a_statement_says_changed_when_its_hours_change_or_its_text_was_altered(
        app, client, store, amina, verified):
    make(client, amina)
    (link,) = statement_link(client, amina)
    # Its document altered in the database: the signature no longer matches.
    (row,) = store.statements_of(amina["id"])
    store.execute("UPDATE statements SET document = replace(document, '5.5', '55.5')")
    changed = dutch("The hours this statement is about were changed or are no longer "
                    "verified since it was made. Ask the person for a new statement.")
    genuine = dutch("Talentkaart made this statement, and the hours in it are still verified.")
    assert changed in app.test_client().get(link).get_data(as_text=True)
    store.execute("UPDATE statements SET document = ?", [row["document"]])
    assert genuine in app.test_client().get(link).get_data(as_text=True)
    # She changes one of the entries: its verification goes, and the statement says so.
    record = store.record(verified[0])
    put(store, amina, "volunteer", {**HOURS[0], "hours": 8}, record_id=verified[0],
        base=record["revision"])
    assert changed in app.test_client().get(link).get_data(as_text=True)


def test_a_withdrawn_statement_says_so_and_a_made_up_link_shows_nothing(
        app, client, store, amina, verified):
    make(client, amina)
    (link,) = statement_link(client, amina)
    (row,) = store.statements_of(amina["id"])
    path = f"/people/{amina['id']}/volunteering/"
    answer = client.post(f"/people/{amina['id']}/statements/{row['id']}/revoke",
                         data={"csrf_token": token_of(client, path)})
    assert answer.status_code == 303
    text = app.test_client().get(link).get_data(as_text=True)
    assert dutch("Withdrawn") in text and dutch("Genuine") not in text
    assert statement_link(client, amina) == []  # no link offered for a withdrawn one
    tampered = link[:-2] + ("AA" if not link.endswith("AA") else "BA")
    for wrong in (tampered, "/statements/x", "/statements/" + "A" * 43):
        gone = app.test_client().get(wrong)
        assert gone.status_code == 404
        assert "Amina" not in gone.get_data(as_text=True)


@pytest.mark.parametrize("organisation", ["Buurthuis", "", "Nowhere"])
def test_no_statement_without_verified_hours_there(client, store, amina, verified,
                                                   organisation):
    answer = make(client, amina, organisation)
    assert answer.status_code == 303
    assert store.statements_of(amina["id"]) == []
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Choose an organisation where a coach verified your hours." in page


def test_only_she_makes_or_withdraws_her_statements(app, store, amina, verified, make_user,
                                                    login):
    for role in ("coach", "volunteer"):
        user, _ = make_user(role)
        with pytest.raises(statements.StatementRefused):
            statements.make(store, Actor(user["id"], role), amina["id"],
                            "Voedselbank Ter Apel", b"k", "http://x")
    row = statements.make(store, Actor(amina["id"], "refugee"), amina["id"],
                          "Voedselbank Ter Apel", b"k", "http://x")
    other, _ = make_user("refugee")
    with pytest.raises(statements.StatementRefused):
        statements.revoke(store, Actor(other["id"], "refugee"), other["id"], row["id"])
    assert store.statement(row["id"])["revoked_at"] is None


def test_her_statements_are_in_her_data_and_go_with_her_profile(app, client, store, amina,
                                                                 verified, file_store):
    from sync import erasure
    from tests.test_privacy import download
    from tests.today import TODAY

    make(client, amina)
    data = json.loads(download(client, amina).read("talentkaart.json"))
    assert data["statements"][0]["document"]["credentialSubject"]["hours"] == 5.5
    (link,) = statement_link(client, amina)
    erasure.ask(store, Actor(amina["id"], "refugee"), amina["id"], grace_days=0)
    erasure.erase_due(store, TODAY, files=file_store)
    assert store.count("statements") == 0
    assert app.test_client().get(link).status_code == 404
