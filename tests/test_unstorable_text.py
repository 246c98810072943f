"""Text that cannot be stored as UTF-8 is one field's error, never a 500.

A lone UTF-16 surrogate ("\\ud800") is valid JSON but not text: SQLite and our
JSON encoder refuse it. Before, one such character in a push failed the whole
batch when it was written to the history, every retry too, so one change
blocked every later change of that phone. Now it is refused as that operation's
translated validation error and the rest of the batch is applied; forms,
uploaded outbox files and command-line arguments get the same treatment.
"""

from __future__ import annotations

import io
import json
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pwa.cli import cli
from sync import protocol
from sync.kinds import NOT_STORABLE
from sync.records import RECORD_TYPES
from sync.write import Actor, new_id, singleton_id
from tests.conftest import csrf_token
from tests.test_sync_api import goal_op, send

# Every code point: surrogates, non-characters, controls, private use, emoji.
ANY_CHARACTER = st.characters(codec=None, categories=None)
ANY_TEXT = st.text(ANY_CHARACTER, max_size=40)
LONE_SURROGATES = ["\ud800", "\udfff", "Amina \udc80 Yusuf", "\ud83d"]
# A whole valid entry of each type, to put the odd text into one field at a time.
VALID = {
    "basics": {"display_name": "Amina", "preferred_language": "en",
               "location_id": "loc-ter-apel", "residence": "status_holder",
               "permit_date": "2024-05-01"},
    "ambition": {"work_form": "employment", "note": "Bakery"},
    "skill": {"free_text": "Baking", "level": "3", "learned": "work"},
    "language": {"language": "ar", "understanding": "C2", "speaking": "C2",
                 "reading": "C2", "writing": "C2"},
    "education": {"level": "vocational", "field": "Nursing", "diploma": "yes"},
    "work": {"job_title": "Baker", "start": "2019-08"},
    "volunteer": {"date": "2026-01-05", "organisation": "Voedselbank",
                  "activity": "Sorting food", "hours": 2},
    "goal": {"title": "Nurse"},
}
# Every field a phone may send, by record type (the coach's own are tested below).
PERSON_FIELDS = [(t, f.name) for t, spec in RECORD_TYPES.items() if t in VALID
                 for f in spec.fields if not f.staff_only and f.kind != "ref:goal"]


@pytest.fixture
def amina(make_user, login):
    user, _ = make_user("refugee", name="Amina")
    login(user)
    return user


def op_with(person_id, record_type, field, value):
    record_id = singleton_id(person_id, "basics") if record_type == "basics" else new_id()
    return goal_op(person_id, record_type=record_type, record_id=record_id,
                   fields={**VALID[record_type], field: value})


@pytest.mark.parametrize("value", LONE_SURROGATES)
def test_a_lone_surrogate_is_refused_and_the_rest_of_the_batch_applied(client, amina, store,
                                                                       value):
    bad = op_with(amina["id"], "skill", "free_text", value)
    good = goal_op(amina["id"])
    response = send(client, {"operations": [bad, good]})
    assert response.status_code == 200
    first, second = response.json["results"]
    assert first["status"] == "rejected"
    assert first["errors"] == {"free_text": NOT_STORABLE}
    assert second["status"] == "applied"
    assert store.record(bad["record_id"]) is None
    assert store.record(good["record_id"])["data"]["title"] == "Nurse"


def test_the_refusal_is_in_the_readers_language(client, amina, store):
    store.update_user(amina["id"], locale="nl")
    response = send(client, {"operations": [op_with(amina["id"], "goal", "title", "\ud800")]})
    (result,) = response.json["results"]
    assert result["status"] == "rejected"
    assert result["errors"]["title"] != NOT_STORABLE  # translated, not the msgid
    assert result["message"] == "Sommige antwoorden kloppen niet."


@pytest.mark.parametrize(("record_type", "field"), PERSON_FIELDS)
def test_a_lone_surrogate_in_any_field_is_that_fields_error(client, amina, record_type, field):
    response = send(client, {"operations": [op_with(amina["id"], record_type, field,
                                                    "x\ud800")]})
    assert response.status_code == 200
    (result,) = response.json["results"]
    assert result["status"] == "rejected" and field in result["errors"], result


def test_a_lone_surrogate_in_a_field_name_or_a_list_is_refused(client, amina):
    odd_name = goal_op(amina["id"], fields={"title": "Nurse", "\ud800": "x"})
    odd_list = op_with(amina["id"], "ambition", "regions", ["utrecht", "\udfff"])
    response = send(client, {"operations": [odd_name, odd_list]})
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == ["rejected", "rejected"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(PERSON_FIELDS), text=ANY_TEXT)
def test_any_unicode_in_any_field_of_a_push_never_fails_the_request(client, amina, case, text):
    record_type, field = case
    good = goal_op(amina["id"])
    response = send(client, {"operations": [op_with(amina["id"], record_type, field, text),
                                            good]})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.json["results"][1]["status"] in ("applied", "merged")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ANY_TEXT)
def test_any_unicode_in_a_coachs_comment_and_verdict_never_fails(client, app, make_user, login,
                                                                 store, text):
    person, _ = make_user("refugee", name="Bereket")
    coach, _ = make_user("coach", name="Carla")
    other = app.test_client()
    login(coach, test_client=other)
    hours = goal_op(person["id"], record_type="volunteer", fields=VALID["volunteer"])
    (applied,) = protocol.push(store, Actor(person["id"], "refugee"), [hours])
    assert applied["status"] == "applied"
    comment = goal_op(person["id"], record_type="comment",
                      fields={"record_id": hours["record_id"], "body": text})
    verdict = goal_op(person["id"], record_type="volunteer", record_id=hours["record_id"],
                      base=1, fields={"status": "questioned", "status_reason": text})
    response = send(other, {"operations": [comment, verdict]})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


# -- forms: the browser sends bytes; whatever they are, no 500 -------------------------------


FORMS = [
    ("/people/{id}/skills/new", {"level": "3", "learned": "work", "record_id": "{new}",
                                 "op_id": "{new}", "base_revision": "0"}, "free_text"),
    ("/people/{id}/plan/new", {"record_id": "{new}", "op_id": "{new}", "base_revision": "0",
                               "status": "planned"}, "title"),
    ("/people/{id}/basics", {"preferred_language": "en", "location_id": "loc-ter-apel",
                             "residence": "status_holder", "permit_date": "2024-05-01",
                             "op_id": "{new}", "base_revision": "0"}, "display_name"),
    ("/sign-in", {"secret": "482913"}, "username"),
    ("/account/secret", {"current": "482913", "secret_again": "x"}, "secret"),
]


def form_body(fields: dict, name: str, raw: bytes, person_id: str, token: str) -> bytes:
    values = {k: v.replace("{new}", new_id()) for k, v in fields.items()}
    parts = [f"{k}={quote_from_bytes(v.encode())}" for k, v in values.items()]
    parts += [f"csrf_token={token}", f"{name}={quote_from_bytes(raw)}"]
    return "&".join(parts).encode()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.sampled_from(FORMS), raw=st.one_of(
    st.binary(max_size=40),  # not UTF-8 at all, or encoded surrogates (b"\xed\xa0\x80")
    ANY_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_any_bytes_in_a_form_field_never_fail_the_request(client, amina, form, raw):
    path, fields, name = form
    path = path.replace("{id}", amina["id"])
    token = csrf_token(client, path if path != "/sign-in" else "/account/secret")
    response = client.post(path, data=form_body(fields, name, raw, amina["id"], token),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


def test_an_encoded_surrogate_in_a_form_is_saved_as_text(client, amina, store):
    """Nothing a person typed is lost: werkzeug keeps bytes that are not text as
    their %-escapes, which are text."""
    path = f"/people/{amina['id']}/plan/new"
    record_id = new_id()
    fields = {"record_id": record_id, "op_id": "{new}", "base_revision": "0",
              "status": "planned"}
    body = form_body(fields, "title", b"Nurse \xed\xa0\x80", amina["id"],
                     csrf_token(client, path))
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 303
    assert store.record(record_id)["data"]["title"].startswith("Nurse ")


# -- an uploaded outbox file --------------------------------------------------------------


def upload(client, person_id, payload: str):
    token = csrf_token(client, f"/people/{person_id}/upload")
    return client.post(f"/people/{person_id}/upload", data={
        "csrf_token": token, "outbox": (io.BytesIO(payload.encode()), "outbox.json")},
        content_type="multipart/form-data")


@pytest.mark.parametrize("field", ["user_id", "value", "format", "signed"])
def test_a_lone_surrogate_in_an_outbox_file_is_refused_not_a_500(client, amina, field):
    op = op_with(amina["id"], "goal", "title", "\\ud800" if field == "value" else "Nurse")
    payload = {"format": "talentkaart-outbox", "user_id": amina["id"], "operations": [op]}
    text = json.dumps(payload)
    if field == "user_id":
        text = text.replace(amina["id"], "\\udfff", 1)
    elif field == "format":
        text = text.replace("talentkaart-outbox", "talentkaart-outbox\\ud800")
    elif field == "signed":
        payload["operations"] = [{**op, "signed": "{\"op_id\": \"\\ud800\"}", "sig": "0" * 64,
                                  "key_id": "\\ud800"}]
        text = json.dumps(payload)
    response = upload(client, amina["id"], text)
    assert response.status_code in (200, 422), response.get_data(as_text=True)[:300]


def test_an_outbox_file_with_a_lone_surrogate_applies_the_rest(client, amina, store):
    bad = op_with(amina["id"], "goal", "title", "\ud800")
    good = goal_op(amina["id"])
    payload = json.dumps({"format": "talentkaart-outbox", "user_id": amina["id"],
                          "operations": [bad, good]})
    response = upload(client, amina["id"], payload)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1 change is on the server now." in html
    assert store.record(good["record_id"]) is not None


# -- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["create-location", "--name", "AZC \udcff", "--kind", "azc"],
    ["create-user", "--role", "admin", "--username", "adam", "--name", "Adam \udc80",
     "--secret-stdin"],
    ["create-user", "--role", "refugee", "--username", "amina", "--name", "Amina",
     "--location", "loc-\udcff", "--secret-stdin"],
    ["create-user", "--role", "admin", "--username", "ad\udcffam", "--name", "Adam",
     "--secret-stdin"],
])
def test_undecodable_command_line_arguments_are_refused_with_a_message(app, args):
    """A shell passes bytes that are not UTF-8 as surrogates (surrogateescape)."""
    result = app.test_cli_runner().invoke(cli, args, input="a good passphrase\n")
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Error:" in result.output


def test_an_undecodable_secret_on_stdin_is_refused(app):
    result = app.test_cli_runner().invoke(
        cli, ["create-user", "--role", "admin", "--username", "adam", "--name", "Adam",
              "--secret-stdin"], input=b"passphrase \xff here\n")
    assert result.exit_code == 1, result.output
    assert "Error: secret:" in result.output
