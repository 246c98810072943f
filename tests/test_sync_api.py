"""The sync API through the real Flask app: hostile and broken requests, and uploads."""

from __future__ import annotations

import io
import json

import pytest

from sync import device_keys, protocol
from sync.write import new_id
from tests.conftest import csrf_token

SYNC = {"X-Talentkaart-Sync": "1"}
HOURS = {"date": "2026-01-05", "organisation": "Voedselbank", "activity": "Sorting food",
         "hours": 2}


def goal_op(person_id, *, record_id=None, base=0, fields=None, action="put", op_id=None,
            record_type="goal"):
    """An operation as outbox.js sends it."""
    return {"op_id": op_id or new_id(), "device_seq": 1, "person_id": person_id,
            "record_type": record_type, "record_id": record_id or new_id(),
            "action": action, "base_revision": base,
            "fields": {"title": "Nurse"} if fields is None else fields}


def send(client, body, **headers):
    """POST a JSON body to /sync/push with the sync header (unless overridden)."""
    return client.post("/sync/push", json=body, headers={**SYNC, **headers})


def changes(store):
    """Row counts of what a push may write."""
    return {t: store.count(t) for t in ("records", "history", "operations",
                                                  "conflicts")}


@pytest.fixture
def amina(make_user, login):
    """A signed-in refugee (English)."""
    user, _ = make_user("refugee", name="Amina")
    login(user)
    return user


@pytest.fixture
def other_client(app):
    """A second browser."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# -- the happy path, for reference ----------------------------------------------------------


def test_push_applies_and_answers_json(client, amina, store):
    op = goal_op(amina["id"])
    response = send(client, {"device_id": new_id(), "operations": [op]})
    assert response.status_code == 200
    assert response.is_json
    (result,) = response.json["results"]
    assert (result["op_id"], result["status"], result["revision"]) == (op["op_id"], "applied", 1)
    assert store.record(op["record_id"])["data"]["title"] == "Nurse"


# -- whole requests that are refused ---------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    (b"{not json", "The data is not in the expected format."),
    (b"", "The data is not in the expected format."),
    (b"[" * 50_000, "The data is not in the expected format."),  # deeper than the parser
    (json.dumps([goal_op(new_id())]).encode(), "The data is not in the expected format."),
    (b'{"operations": {"0": {}}}', "The data is not in the expected format."),
    (b'{"operations": null}', "The data is not in the expected format."),
    (b'"operations"', "The data is not in the expected format."),
    (json.dumps({"operations": [{}] * (protocol.MAX_OPERATIONS + 1)}).encode(),
     "Send at most 200 changes at once."),
], ids=["malformed", "empty", "deeply nested", "array", "operations an object",
        "operations null", "a string", "too many"])
def test_a_malformed_push_is_a_400_with_a_message(client, amina, store, body, message):
    before = changes(store)
    response = client.post("/sync/push", data=body, content_type="application/json",
                           headers=SYNC)
    assert response.status_code == 400
    assert response.json == {"error": message}
    assert changes(store) == before


def test_a_malformed_push_is_explained_in_the_users_language(client, make_user, login):
    user, _ = make_user("refugee", locale="nl")
    login(user)
    too_many = {"operations": [{}] * (protocol.MAX_OPERATIONS + 1)}
    assert send(client, too_many).json == {"error": "Stuur hoogstens 200 wijzigingen tegelijk."}
    assert send(client, []).json == {"error": "De gegevens hebben niet de verwachte vorm."}


def test_a_body_over_the_limit_is_a_413(client, amina, store):
    field = "x" * (1024 * 1024)
    response = send(client, {"operations": [goal_op(amina["id"], fields={"title": field})]})
    assert response.status_code == 413
    assert changes(store)["records"] == 0


# -- single operations that are refused ----------------------------------------------------


WRONG_TYPES = {
    "op_id a number": {"op_id": 12345},
    "base_revision a string": {"base_revision": "0"},
    "base_revision negative": {"base_revision": -1},
    "fields a list": {"fields": ["title", "Nurse"]},
    "a huge field": {"fields": {"title": "N" * (protocol.MAX_VALUE_LENGTH + 1)}},
    "a field too long for its kind": {"fields": {"title": "N" * 121}},
    "an object as a value": {"fields": {"title": {"$gt": ""}}},
    "unknown record type": {"record_type": "passport"},
    "unknown action": {"action": "upsert"},
    "an id that is not a UUID": {"record_id": "../../etc/passwd"},
    "an upper-case id": {"record_id": new_id().upper()},
    "an unknown field": {"fields": {"title": "Nurse", "is_admin": True}},
}


@pytest.mark.parametrize("change", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_a_bad_operation_is_rejected_and_does_not_block_the_rest(client, amina, store,
                                                                 change):
    bad = {**goal_op(amina["id"]), **change}
    good = goal_op(amina["id"])
    response = send(client, {"operations": [bad, good]})
    assert response.status_code == 200
    first, second = response.json["results"]
    assert first["status"] == "rejected"
    assert first["op_id"] == bad["op_id"]
    assert first["message"] in ("This change is not valid", "Some answers are not valid.")
    assert second["status"] == "applied"
    assert changes(store)["records"] == 1


def test_rejections_are_explained_in_the_users_language(client, make_user, login):
    user, _ = make_user("refugee", locale="nl")
    login(user)
    ops = [goal_op(user["id"], fields={"title": ""}), goal_op(user["id"], record_type="x"),
           goal_op(new_id())]
    results = send(client, {"operations": ops}).json["results"]
    assert [(r["status"], r["message"]) for r in results] == [
        ("rejected", "Sommige antwoorden kloppen niet."),
        ("rejected", "Deze wijziging is niet geldig"),
        ("rejected", "Dit onderdeel bestaat niet")]
    assert results[0]["errors"] == {"title": "Dit veld is verplicht"}


def test_operations_on_another_persons_records_are_rejected(client, other_client, amina,
                                                            make_user, login, store):
    hers = goal_op(amina["id"])
    send(client, {"operations": [hers]})
    bereket, _ = make_user("refugee", name="Bereket")
    login(bereket, test_client=other_client)
    before = changes(store)
    attacks = [
        # Her person id: not his profile.
        goal_op(amina["id"], record_id=hers["record_id"], base=1, fields={"title": "Hacked"}),
        goal_op(amina["id"]),
        goal_op(amina["id"], record_id=hers["record_id"], base=1, action="delete", fields={}),
        # His own person id with her record id: a tampered id.
        goal_op(bereket["id"], record_id=hers["record_id"], base=1, fields={"title": "Mine"}),
        goal_op(bereket["id"], record_id=hers["record_id"], base=1, action="delete",
                fields={}),
    ]
    results = send(other_client, {"operations": attacks}).json["results"]
    assert [(r["status"], r["message"]) for r in results] == \
        [("rejected", "This entry does not exist")] * len(attacks)
    assert changes(store) == before
    assert store.record(hers["record_id"])["data"]["title"] == "Nurse"


@pytest.mark.parametrize("role", ["refugee", "volunteer", "coach"])
def test_a_replay_of_another_users_operation_is_rejected(client, other_client, amina,
                                                         make_user, login, store, role):
    hers = goal_op(amina["id"])
    first = send(client, {"operations": [hers]}).json["results"][0]
    assert first["status"] == "applied"
    someone, _ = make_user(role)
    login(someone, test_client=other_client)
    before = changes(store), store.record(hers["record_id"])
    for replay in (hers, {**hers, "fields": {"title": "Changed"}, "base_revision": 1}):
        (result,) = send(other_client, {"operations": [replay]}).json["results"]
        assert (result["status"], result["message"]) == ("rejected",
                                                         "You are not allowed to change this")
        assert "revision" not in result  # the first outcome is not given away
    assert (changes(store), store.record(hers["record_id"])) == before


# -- cross-site protection ------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {"X-Talentkaart-Sync": ""}, {"X-Talentkaart-Sync": "0"}, {"X-Talentkaart-Sync": "yes"},
], ids=["empty header", "header 0", "header yes"])
def test_push_without_the_sync_header_is_a_400(client, amina, store, headers):
    response = client.post("/sync/push", json={"operations": [goal_op(amina["id"])]},
                           headers=headers)
    assert response.status_code == 400
    assert response.json == {"error": "The request was not valid."}
    assert changes(store)["records"] == 0


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://localhost.evil.example"},
    {"Origin": "http://localhost:8080"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
], ids=["other origin", "null origin", "look-alike origin", "other port", "cross-site",
        "same-site", "own origin but cross-site"])
def test_sync_from_another_site_is_a_403(client, amina, store, headers):
    response = send(client, {"operations": [goal_op(amina["id"])]}, **headers)
    assert response.status_code == 403
    assert response.json == {"error": "You are not allowed to change this"}
    pulled = client.get(f"/sync/pull?person={amina['id']}", headers={**SYNC, **headers})
    assert pulled.status_code == 403
    assert changes(store)["records"] == 0


def test_sync_from_our_own_origin_is_accepted(client, amina):
    headers = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert send(client, {"operations": [goal_op(amina["id"])]}, **headers).status_code == 200


@pytest.mark.parametrize(("content_type", "with_header"), [
    ("application/x-www-form-urlencoded", False),
    ("text/plain", False),
    ("multipart/form-data; boundary=x", False),
    ("application/x-www-form-urlencoded", True),
    ("text/plain", True),
])
def test_what_a_cross_site_form_could_send_is_refused(client, amina, store, content_type,
                                                      with_header):
    """A form or a "simple" fetch needs no preflight: it must never apply anything."""
    body = json.dumps({"operations": [goal_op(amina["id"])]})
    response = client.post("/sync/push", data=body, content_type=content_type,
                           headers=SYNC if with_header else {})
    assert response.status_code == 400
    assert changes(store)["records"] == 0


def test_a_form_post_with_fields_is_refused(client, amina, store):
    op = goal_op(amina["id"])
    response = client.post("/sync/push", data={"operations": json.dumps([op])})
    assert response.status_code == 400
    assert changes(store)["records"] == 0


def test_signed_out_sync_is_a_401_asking_to_sign_in(client, make_user, store):
    user, _ = make_user("refugee")
    pushed = send(client, {"operations": [goal_op(user["id"])]})
    assert pushed.status_code == 401
    assert pushed.json == {"error": "Sign in again to send your changes.", "signin": True}
    pulled = client.get(f"/sync/pull?person={user['id']}&since=0", headers=SYNC)
    assert (pulled.status_code, pulled.json["signin"]) == (401, True)
    # No redirect to an HTML page: the phone must keep its outbox and ask to sign in.
    assert "Location" not in pushed.headers
    assert changes(store)["records"] == 0


def test_a_session_ended_elsewhere_is_a_401(client, amina, store):
    store.end_sessions_of(amina["id"])
    response = send(client, {"operations": [goal_op(amina["id"])]})
    assert (response.status_code, response.json["signin"]) == (401, True)


# -- pull ------------------------------------------------------------------------------------


def test_pull_answers_changes_and_a_cursor(client, amina):
    op = goal_op(amina["id"])
    send(client, {"operations": [op]})
    response = client.get(f"/sync/pull?person={amina['id']}&since=0", headers=SYNC)
    assert response.status_code == 200
    assert [r["id"] for r in response.json["records"]] == [op["record_id"]]
    cursor = response.json["cursor"]
    again = client.get(f"/sync/pull?person={amina['id']}&since={cursor}", headers=SYNC)
    assert again.json == {"cursor": cursor, "records": [], "conflicts": []}


@pytest.mark.parametrize("since", ["-1", "abc", "1.5", "1e3", "10000000000000000000",
                                   " 1", "0x10", "²", "١٢", ""])
def test_pull_with_a_bad_cursor_is_a_400(client, amina, since):
    response = client.get("/sync/pull", query_string={"person": amina["id"], "since": since},
                          headers=SYNC)
    assert response.status_code == 400
    assert response.json == {"error": "The request was not valid."}


def test_pull_of_another_person_is_a_404(client, amina, make_user):
    other, _ = make_user("refugee")
    for person in (other["id"], new_id(), ""):
        response = client.get(f"/sync/pull?person={person}&since=0", headers=SYNC)
        assert response.status_code == 404
        assert response.is_json


def test_pull_without_the_header_is_a_400(client, amina):
    assert client.get(f"/sync/pull?person={amina['id']}").status_code == 400


# -- signing keys ------------------------------------------------------------------------------


def ask_key(client, body=None, **headers):
    """POST /sync/key as outbox.js does (a fresh device, unless ``body`` says otherwise)."""
    return client.post("/sync/key", json={"device_id": new_id()} if body is None else body,
                       headers={**SYNC, **headers})


def test_a_device_gets_the_same_key_each_time_it_asks(client, amina, store):
    device = {"device_id": new_id()}
    first = ask_key(client, device)
    assert first.status_code == 200
    assert set(first.json) == {"key_id", "secret", "user_id"}
    assert first.json["user_id"] == amina["id"]
    assert len(bytes.fromhex(first.json["secret"])) == device_keys.KEY_BYTES
    assert ask_key(client, device).json == first.json
    assert ask_key(client).json["key_id"] != first.json["key_id"]  # another device
    assert first.headers["Cache-Control"] == "no-store"


def test_the_key_belongs_to_whoever_is_signed_in(app, make_user, login, client, amina, store):
    coach, _ = make_user("coach")
    other = login(coach, test_client=app.test_client())
    device = {"device_id": new_id()}
    mine, theirs = ask_key(client, device).json, ask_key(other, device).json
    assert (mine["user_id"], theirs["user_id"]) == (amina["id"], coach["id"])
    assert store.device_key(theirs["key_id"])["user_id"] == coach["id"]
    assert mine["secret"] != theirs["secret"]


@pytest.mark.parametrize("body", [
    {}, {"device_id": None}, {"device_id": 12}, {"device_id": "my phone"},
    {"device_id": "0B5C6A52-1F7E-4D9E-8A43-2C1F4A7E9D30"}, ["device_id"], "device_id",
], ids=["no device_id", "null", "a number", "a word", "upper case", "an array", "a string"])
def test_a_key_needs_a_device_id_a_phone_makes(client, amina, store, body):
    response = ask_key(client, body)
    assert response.status_code == 400
    assert response.json == {"error": "The request was not valid."}
    assert store.count("device_keys") == 0


def test_a_malformed_key_request_is_a_400(client, amina, store):
    for body in (b"{not json", b"[" * 50_000):
        response = client.post("/sync/key", data=body, content_type="application/json",
                               headers=SYNC)
        assert (response.status_code, response.json) == (
            400, {"error": "The request was not valid."})
    assert store.count("device_keys") == 0


@pytest.mark.parametrize("headers", [
    {"X-Talentkaart-Sync": ""}, {"X-Talentkaart-Sync": "0"},
], ids=["empty header", "header 0"])
def test_a_key_without_the_sync_header_is_a_400(client, amina, store, headers):
    response = client.post("/sync/key", json={"device_id": new_id()}, headers=headers)
    assert (response.status_code, response.json) == (400, {"error": "The request was not valid."})
    assert store.count("device_keys") == 0


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
], ids=["other origin", "null origin", "cross-site"])
def test_a_key_for_another_site_is_a_403(client, amina, store, headers):
    response = ask_key(client, **headers)
    assert (response.status_code, response.json) == (
        403, {"error": "You are not allowed to change this"})
    assert store.count("device_keys") == 0


def test_a_form_cannot_ask_for_a_key(client, amina, store):
    response = client.post("/sync/key", data={"device_id": new_id()}, headers=SYNC)
    assert response.status_code == 400
    assert store.count("device_keys") == 0


def test_signed_out_no_key_is_given(client, make_user, store):
    response = ask_key(client)
    assert (response.status_code, response.json) == (
        401, {"error": "Sign in again to send your changes.", "signin": True})
    assert store.count("device_keys") == 0


# -- the offline pack -------------------------------------------------------------------------


def test_pack_lists_the_pages_of_ones_own_profile(client, amina):
    op = goal_op(amina["id"])
    send(client, {"operations": [op]})
    response = client.get(f"/sync/pack?person={amina['id']}", headers=SYNC)
    assert response.status_code == 200
    urls = response.json["urls"]
    assert f"/people/{amina['id']}/" in urls
    assert "/offline" in urls
    assert not any(op["record_id"] in url for url in urls)  # entries travel as data
    assert response.json["version"]


def test_pack_of_another_person_is_a_404(client, amina, make_user):
    other, _ = make_user("refugee")
    assert client.get(f"/sync/pack?person={other['id']}", headers=SYNC).status_code == 404


def test_a_volunteer_of_the_place_gets_the_pack_and_a_coach_does_not(app, make_user, login):
    person, _ = make_user("refugee")
    for role, status in (("volunteer", 200), ("coach", 403)):
        staff, _ = make_user(role)
        browser = login(staff, test_client=app.test_client())
        assert browser.get(f"/sync/pack?person={person['id']}", headers=SYNC).status_code \
            == status


# -- uploading a saved outbox ------------------------------------------------------------------


def outbox_file(user_id, operations):
    """A file as offline.js saves it: whole outbox entries, with their local keys."""
    entries = [{**op, "user_id": user_id, "status": "pending", "summary": "Nurse"}
               for op in operations]
    return json.dumps({"format": "talentkaart-outbox", "version": 1, "user_id": user_id,
                       "device_id": new_id(), "saved_at": "2026-03-01T10:00:00Z",
                       "operations": entries}).encode()


def upload(client, person_id, content, filename="talentkaart-2026-03-01.json"):
    url = f"/people/{person_id}/upload"
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token,
                                  "outbox": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def test_an_uploaded_outbox_is_applied_once_even_when_uploaded_twice(client, amina, store):
    ops = [goal_op(amina["id"]), goal_op(amina["id"], fields={"title": "Chef"})]
    content = outbox_file(amina["id"], ops)
    first = upload(client, amina["id"], content)
    assert first.status_code == 200
    assert "2 changes are on the server now." in first.get_data(as_text=True)
    before = changes(store)
    second = upload(client, amina["id"], content)
    assert second.status_code == 200
    assert "2 changes are on the server now." in second.get_data(as_text=True)
    assert changes(store) == before == {"records": 2, "history": 2, "operations": 2,
                                        "conflicts": 0}


def test_an_upload_shows_what_was_not_accepted(client, amina, store):
    content = outbox_file(amina["id"], [goal_op(amina["id"], fields={"title": ""}),
                                        goal_op(amina["id"])])
    html = upload(client, amina["id"], content).get_data(as_text=True)
    assert "1 change is on the server now." in html
    assert "1 change was not accepted:" in html
    assert "This field is required" in html


def test_an_outbox_of_another_author_is_refused(client, amina, make_user, store):
    someone, _ = make_user("volunteer")
    response = upload(client, amina["id"], outbox_file(someone["id"], [goal_op(amina["id"])]))
    assert response.status_code == 422
    assert "These changes were made by someone else." in response.get_data(as_text=True)
    assert changes(store)["records"] == 0


@pytest.mark.parametrize("content", [b"not json at all", b"\x89PNG\r\n", b"{}", b"[]",
                                     b'{"format": "talentkaart-outbox"}'])
def test_a_file_that_is_not_a_saved_outbox_is_refused(client, amina, content):
    response = upload(client, amina["id"], content)
    assert response.status_code == 422
    assert "This is not a file with saved Talentkaart changes" in response.get_data(as_text=True)


def test_an_upload_without_a_file_asks_for_one(client, amina):
    url = f"/people/{amina['id']}/upload"
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 422
    assert "Choose the file with the saved changes" in response.get_data(as_text=True)


def test_the_upload_refusal_is_in_the_users_language(client, make_user, login):
    user, _ = make_user("refugee", locale="nl")
    login(user)
    response = upload(client, user["id"], b"nope")
    assert response.status_code == 422
    assert "Dit is geen bestand met bewaarde wijzigingen van Talentkaart" \
        in response.get_data(as_text=True)


def signed_with(key, op):
    """``op`` as outbox.js keeps it once signed with the key the server gave the phone."""
    text = json.dumps(op)
    return {**op, "signed": text, "sig": device_keys.sign(key["secret"], text),
            "key_id": key["key_id"]}


def test_a_coach_carries_a_persons_outbox_in_the_persons_name(app, make_user, login, store):
    person, _ = make_user("refugee")
    coach, _ = make_user("coach")
    key = ask_key(login(person, test_client=app.test_client())).json
    browser = login(coach, test_client=app.test_client())
    worked = goal_op(person["id"], record_type="volunteer", fields=HOURS)
    ops = [goal_op(person["id"]), worked]
    response = upload(browser, person["id"],
                      outbox_file(person["id"], [signed_with(key, op) for op in ops]))
    assert response.status_code == 200
    assert "2 changes are on the server now." in response.get_data(as_text=True)
    for op in ops:
        (entry,) = store.history(op["record_id"])
        assert (entry["actor_id"], entry["via"]) == (person["id"], coach["id"])
        assert store.record(op["record_id"])["created_by"] == person["id"]
    # Carried, the hours are still the person's own report, not the coach's verdict.
    assert store.record(worked["record_id"])["data"]["status"] == "self_reported"


def test_a_coach_cannot_upload_for_someone_elsewhere(app, make_user, login, other_location,
                                                     store):
    person, _ = make_user("refugee", location_id=other_location)
    coach, _ = make_user("coach")
    browser = login(coach, test_client=app.test_client())
    url = f"/people/{person['id']}/upload"
    response = browser.post(url, data={"csrf_token": csrf_token(browser, "/account/secret"),
                                       "outbox": (io.BytesIO(outbox_file(
                                           person["id"], [goal_op(person["id"])])), "o.json")},
                            content_type="multipart/form-data")
    assert response.status_code == 404
    assert changes(store)["records"] == 0


def test_a_coach_cannot_carry_changes_the_persons_phone_did_not_sign(app, make_user, login,
                                                                    store):
    person, _ = make_user("refugee")
    coach, _ = make_user("coach")
    coach_browser = login(coach, test_client=app.test_client())
    own_key = ask_key(coach_browser).json  # the coach's own phone key does not speak for her
    forged = [goal_op(person["id"]), signed_with(own_key, goal_op(person["id"]))]
    before = changes(store)
    response = upload(coach_browser, person["id"], outbox_file(person["id"], forged))
    assert response.status_code == 422
    assert "These changes are not signed by the phone they were made on." \
        in response.get_data(as_text=True)
    assert changes(store) == before
