"""Deleting a profile: asked for with the PIN or by a coach with a reason, stopped within
the grace period, then carried out completely; on both backends, through the real app.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from pwa import create_app
from pwa.cli import cli
from sync import accounts, device_keys, erasure, moves, protocol, shares
from sync.write import Actor, new_id
from tests.test_pages_etag import SYNC, add
from tests.test_privacy import HOURS
from tests.today import TODAY

SHARE_FORM = {"audience": ["Bakery Jansen"], "sections": ["skills"], "named": ["yes"],
              "contact": ["06 12345678"],
              "expires_on": [(TODAY + timedelta(days=9)).isoformat()]}

# Every table that holds something about a person, and the column that names them.
PERSONAL = (("records", "person_id"), ("history", "person_id"), ("operations", "person_id"),
            ("conflicts", "person_id"), ("reviews", "person_id"), ("tallies", "person_id"),
            ("profile_views", "person_id"), ("moves", "person_id"), ("shares", "person_id"),
            ("consents", "person_id"), ("sessions", "user_id"),
            ("device_keys", "user_id"), ("handover_codes", "user_id"), ("users", "id"))


@pytest.fixture
def people(app, make_user, login):
    """Amina signed in on ``client``, and her coach on a browser of her own."""
    amina, _ = make_user("refugee", name="Amina")
    login(amina)
    coach, _ = make_user("coach", name="Coen de Coach")
    desk = app.test_client()
    desk.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(coach, test_client=desk)
    return amina, coach, desk


def token_of(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def ask_myself(client, person, secret="482913"):
    path = f"/people/{person['id']}/privacy"
    return client.post(f"{path}/delete", data={"csrf_token": token_of(client, path),
                                               "secret": secret})


def text_of(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def rows_about(store, person_id):
    return {table: store.query(f"SELECT count(*) AS n FROM {table} WHERE {column} = ?",  # noqa: S608
                               [person_id])[0]["n"] for table, column in PERSONAL}


def test_she_asks_with_her_pin_and_sees_the_day_and_can_stop_it(client, store, people):
    amina, _, _ = people
    response = ask_myself(client, amina)
    assert response.status_code == 303
    due = TODAY + timedelta(days=30)
    assert erasure.pending(store, amina["id"])["due_on"] == due.isoformat()
    shown = text_of(client.get(response.headers["Location"]))
    assert f"Your profile will be deleted on {due:%B} {due.day}, {due.year}." in shown
    assert "Keep my profile" in shown
    # The profile's start says it too, with the way back.
    assert "Your profile will be deleted on" in text_of(client.get(f"/people/{amina['id']}/"))
    path = f"/people/{amina['id']}/privacy"
    kept = client.post(f"{path}/keep", data={"csrf_token": token_of(client, path)})
    assert kept.status_code == 303
    assert erasure.pending(store, amina["id"]) is None
    assert "Your profile will not be deleted." in text_of(client.get(kept.headers["Location"]))
    # And she may ask again later.
    assert ask_myself(client, amina).status_code == 303


def test_a_wrong_pin_or_asking_twice_changes_nothing(client, store, people):
    amina, _, _ = people
    wrong = ask_myself(client, amina, secret="000000")
    assert wrong.status_code == 422
    html = wrong.get_data(as_text=True)
    assert 'href="#f-secret"' in html and 'aria-invalid="true"' in html
    assert erasure.pending(store, amina["id"]) is None
    assert ask_myself(client, amina).status_code == 303
    first = erasure.pending(store, amina["id"])
    twice = ask_myself(client, amina)
    assert twice.status_code == 422
    assert "Deleting this profile was already asked for." in text_of(twice)
    assert erasure.pending(store, amina["id"]) == first


def test_a_coach_asks_with_a_reason_she_reads_it_and_may_stop_it(client, store, people):
    amina, coach, desk = people
    review = f"/people/{amina['id']}/review"
    empty = desk.post(f"/people/{amina['id']}/erasure",
                      data={"csrf_token": token_of(desk, review), "reason": "  "})
    assert empty.status_code == 422
    assert 'href="#f-reason-erasure"' in empty.get_data(as_text=True)
    assert erasure.pending(store, amina["id"]) is None
    asked = desk.post(f"/people/{amina['id']}/erasure",
                      data={"csrf_token": token_of(desk, review),
                            "reason": "Moved to Germany, asked by phone"})
    assert asked.status_code == 303
    assert "This profile will be deleted on" in text_of(desk.get(review))
    shown = text_of(client.get(f"/people/{amina['id']}/privacy"))
    assert "Coen de Coach asked for this: Moved to Germany, asked by phone" in shown
    path = f"/people/{amina['id']}/privacy"
    assert client.post(f"{path}/keep", data={"csrf_token": token_of(client, path)}
                       ).status_code == 303
    assert erasure.pending(store, amina["id"]) is None


def test_a_reason_too_long_is_refused_and_kept_in_the_form(store, people):
    amina, coach, desk = people
    review = f"/people/{amina['id']}/review"
    refused = desk.post(f"/people/{amina['id']}/erasure",
                        data={"csrf_token": token_of(desk, review), "reason": "x" * 501})
    assert refused.status_code == 422
    assert "Use at most 500 characters (now 501)" in text_of(refused)
    assert "x" * 501 in refused.get_data(as_text=True)  # nothing typed is lost
    assert erasure.pending(store, amina["id"]) is None


def test_a_reason_that_is_not_text_is_refused(store, people):
    amina, coach, _ = people
    # A lone surrogate: what undecodable bytes on a command line become.
    with pytest.raises(erasure.ErasureRefused) as refused:
        erasure.ask(store, Actor(coach["id"], "coach", frozenset([amina["location_id"]])),
                    amina["id"], reason="Moved\ud800")
    assert refused.value.message.startswith("This text contains characters")
    assert erasure.pending(store, amina["id"]) is None


def test_a_coach_elsewhere_cannot_ask(store, people, make_user, other_location, app, login):
    amina, _, _ = people
    elsewhere, _ = make_user("coach", name="Els", location_ids=[other_location])
    with pytest.raises(erasure.ErasureRefused):
        erasure.ask(store, Actor(elsewhere["id"], "coach", frozenset([other_location])),
                    amina["id"], reason="no")
    assert erasure.pending(store, amina["id"]) is None


def test_nothing_is_deleted_before_the_day_and_everything_after(file_store, client, store, people,
                                                                make_user, login, app):
    amina, coach, desk = people
    other, _ = make_user("refugee", name="Omar")
    add(store, other)
    skill = add(store, amina)
    add(store, amina, "volunteer", HOURS)
    desk.get(f"/people/{amina['id']}/review")  # a look in her log, and a review mark
    desk.post(f"/people/{amina['id']}/reviewed",
              data={"csrf_token": token_of(desk, f"/people/{amina['id']}/review")})
    device_keys.issue_key(store, amina["id"], new_id())
    store.add_location("loc-elders", "Gemeente Elders", "municipality")
    moves.propose(store, Actor(coach["id"], "coach", frozenset([amina["location_id"]])),
                  amina["id"], "loc-elders")
    accounts.new_handover_code(store, amina["id"], coach["id"])
    me = Actor(amina["id"], "refugee")
    made = shares.create(store, me, amina["id"], shares.check(SHARE_FORM),
                         consent_text="Bakery Jansen may see this", locale="en",
                         how="personal_device")
    shares.stop(store, me, amina["id"], made["id"], how="personal_device")
    for note in ("Every morning", "Only on Saturdays"):  # two phones, one field: a conflict
        protocol.push(store, Actor(amina["id"], "refugee"), [
            {"op_id": new_id(), "person_id": amina["id"], "record_type": "skill",
             "record_id": skill, "action": "put", "base_revision": 1, "fields": {"note": note}}])
    protocol.push(store, Actor(coach["id"], "coach", frozenset([amina["location_id"]])), [
        {"op_id": new_id(), "person_id": amina["id"], "record_type": "comment",
         "record_id": new_id(), "action": "put", "base_revision": 0,
         "fields": {"record_id": skill, "body": "Mooi"}}])
    assert ask_myself(client, amina).status_code == 303
    assert all(rows_about(store, amina["id"]).values()), rows_about(store, amina["id"])
    before = rows_about(store, other["id"])

    assert erasure.erase_due(store, TODAY + timedelta(days=29), files=file_store) == []
    assert rows_about(store, amina["id"])["records"] == 3
    assert erasure.erase_due(store, TODAY + timedelta(days=30), files=file_store) == [amina["id"]]
    assert set(rows_about(store, amina["id"]).values()) == {0}
    assert rows_about(store, other["id"]) == before  # nobody else's
    assert store.user(coach["id"]) is not None
    [kept] = store.query("SELECT * FROM erasures")
    assert kept["erased_at"] and kept["reason"] is None and kept["asked_by"] == amina["id"]
    # Her session ended with it; asking again does nothing.
    assert client.get(f"/people/{amina['id']}/").status_code == 302
    assert erasure.erase_due(store, TODAY + timedelta(days=31), files=file_store) == []


def test_her_old_changes_pushed_later_are_refused_and_recreate_nothing(file_store, store, people):
    amina, coach, _ = people
    assert erasure.ask(store, Actor(amina["id"], "refugee"), amina["id"], grace_days=0)
    erasure.erase_due(store, files=file_store)
    results = protocol.push(store, Actor(coach["id"], "coach", frozenset(["loc-ter-apel"])), [
        {"op_id": new_id(), "person_id": amina["id"], "record_type": "volunteer",
         "record_id": new_id(), "action": "put", "base_revision": 0, "fields": HOURS}])
    assert [r["status"] for r in results] == ["rejected"]
    assert set(rows_about(store, amina["id"]).values()) == {0}


def test_a_phone_learns_whom_it_must_forget(file_store, client, store, people, make_user):
    amina, _, _ = people
    other, _ = make_user("refugee", name="Omar")
    erasure.ask(store, Actor(amina["id"], "refugee"), amina["id"], grace_days=0)
    erasure.erase_due(store, files=file_store)
    signed_out = client.application.test_client()
    answer = signed_out.get(f"/sync/erased?user={amina['id']}&user={other['id']}",
                            headers=SYNC)
    assert answer.status_code == 200 and answer.json == {"erased": [amina["id"]]}


@pytest.mark.parametrize("query", ["", "user=abc", "user=" + "&user=".join(
    str(n) * 8 + "-0000-4000-8000-000000000000" for n in range(21)), "user=%00"])
def test_bad_questions_about_deleted_profiles_are_refused(client, query):
    assert client.get(f"/sync/erased?{query}", headers=SYNC).status_code == 400


def test_a_question_without_the_sync_header_is_refused(client, people):
    amina, _, _ = people
    assert client.get(f"/sync/erased?user={amina['id']}").status_code == 400


def test_the_command_deletes_what_is_due(app, store, people):
    amina, _, _ = people
    erasure.ask(store, Actor(amina["id"], "refugee"), amina["id"], grace_days=0)
    result = app.test_cli_runner().invoke(cli, ["erase-due"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 profile(s) deleted." in result.output
    assert store.user(amina["id"]) is None


def test_an_administrator_asks_from_the_command_line(app, store, people):
    amina, _, _ = people
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["ask-erasure", amina["username"], "--reason", "Left"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    asked = erasure.pending(store, amina["id"])
    assert (asked["asked_role"], asked["reason"]) == ("admin", "Left")
    again = runner.invoke(cli, ["ask-erasure", amina["username"], "--reason", "Left"])
    assert again.exit_code != 0 and "already asked for" in again.output
    nobody = runner.invoke(cli, ["ask-erasure", "nobody", "--reason", "Left"])
    assert nobody.exit_code != 0 and "no refugee account" in nobody.output


@pytest.mark.parametrize("days", [-1, 366, "30", 1.5, True])
def test_a_grace_period_that_is_not_days_is_refused_at_start(tmp_path, days):
    with pytest.raises(ValueError, match="ERASURE_GRACE_DAYS"):
        create_app({"DATABASE": str(tmp_path / "x.sqlite3"), "SECRET_KEY": "x",
                    "ERASURE_GRACE_DAYS": days})


@pytest.mark.sqlite_only
def test_no_value_of_hers_is_left_anywhere_in_the_database_files(file_store, client, store, people,
                                                                  database):
    amina, coach, desk = people
    secret_words = ["Zylpharine Quoxet", "Qwertyzpl bakery", "Vrbnklmo foodbank",
                    "Glarbnix welding", "Plimsquat comment", "Snorvald employer",
                    "06 98765432"]
    store.execute("UPDATE users SET display_name = ? WHERE id = ?",
                  [secret_words[0], amina["id"]])
    skill = add(store, amina, "skill", {"free_text": secret_words[1], "level": "3",
                                        "learned": "work"})
    hours = add(store, amina, "volunteer", {**HOURS, "organisation": secret_words[2]})
    # Older versions too: an edit leaves the first one in the history and in free pages.
    protocol.push(store, Actor(amina["id"], "refugee"), [
        {"op_id": new_id(), "person_id": amina["id"], "record_type": "skill",
         "record_id": skill, "action": "put", "base_revision": 1,
         "fields": {"free_text": secret_words[3], "level": "3", "learned": "work"}},
        {"op_id": new_id(), "person_id": amina["id"], "record_type": "volunteer",
         "record_id": hours, "action": "delete", "base_revision": 1}])
    protocol.push(store, Actor(coach["id"], "coach", frozenset([amina["location_id"]])), [
        {"op_id": new_id(), "person_id": amina["id"], "record_type": "comment",
         "record_id": new_id(), "action": "put", "base_revision": 0,
         "fields": {"record_id": skill, "body": secret_words[4]}}])
    me = Actor(amina["id"], "refugee")
    shares.create(store, me, amina["id"], shares.check({
        **SHARE_FORM, "audience": [secret_words[5]], "contact": [secret_words[6]]}),
        consent_text=f"{secret_words[5]} may see this", locale="en", how="personal_device")
    desk.get(f"/people/{amina['id']}/review")
    # (Her random id stays, in ``erasures``: it says a profile was deleted, nothing more.)
    values = [*secret_words, amina["username"]]
    raw = b"".join(p.read_bytes() for p in _files(database))
    assert all(v.encode() in raw for v in secret_words)  # the search finds them before

    erasure.ask(store, Actor(amina["id"], "refugee"), amina["id"], grace_days=0)
    erasure.erase_due(store, files=file_store)
    raw = b"".join(p.read_bytes() for p in _files(database))
    found = [v for v in values if v.encode() in raw or v.encode("utf-16-le") in raw]
    assert found == []


def _files(database):
    from pathlib import Path

    path = Path(database)
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


# -- retention: a profile nobody uses is deleted, after notice ------------------------

LONG_AGO = "2020-01-01T09:00:00+00:00"


def long_unused(store, person, looked_on="2020-01-01"):
    """Everything the person and others did in the profile, two years back and more
    (recent looks to ``looked_on``: a day without looks yet)."""
    store.execute("UPDATE users SET created_at = ? WHERE id = ?", [LONG_AGO, person["id"]])
    store.execute("UPDATE operations SET at = ? WHERE person_id = ?", [LONG_AGO, person["id"]])
    store.execute("UPDATE sessions SET seen_at = ? WHERE user_id = ?", [LONG_AGO, person["id"]])
    store.execute("UPDATE profile_views SET day = ? WHERE person_id = ? AND day > ?",
                  [looked_on, person["id"], looked_on])


def test_an_unused_profile_is_asked_to_be_deleted_and_she_is_told(client, store, people, app):
    amina, _coach, desk = people
    add(store, amina)
    desk.get(f"/people/{amina['id']}/review")
    long_unused(store, amina)
    assert erasure.ask_inactive(store, inactive_days=730, grace_days=30) == [amina["id"]]
    asked = erasure.pending(store, amina["id"])
    assert (asked["asked_role"], asked["reason"], asked["due_on"]) == (
        "retention", None, (TODAY + timedelta(days=30)).isoformat())
    # Asked once: the next hour asks nothing again.
    assert erasure.ask_inactive(store, inactive_days=730, grace_days=30) == []
    # She is told why, and keeps it; her coach sees it on the caseload and the review.
    page = text_of(client.get(f"/people/{amina['id']}/privacy"))
    assert "Nobody used your profile for 730 days." in page
    assert "To be deleted on" in text_of(desk.get("/caseload"))
    assert "Nobody used it for 730 days" in text_of(desk.get(f"/people/{amina['id']}/review"))
    path = f"/people/{amina['id']}/privacy"
    assert client.post(f"{path}/keep", data={"csrf_token": token_of(client, path)}
                       ).status_code == 303
    assert erasure.pending(store, amina["id"]) is None
    # Keeping it is a use: not asked again until it goes unused for that long again.
    assert erasure.ask_inactive(store, inactive_days=730, grace_days=30) == []
    store.execute("UPDATE erasures SET stopped_at = ? WHERE person_id = ?",
                  [LONG_AGO, amina["id"]])
    long_unused(store, amina, looked_on="2020-02-01")
    assert erasure.ask_inactive(store, inactive_days=730, grace_days=30) == [amina["id"]]


@pytest.mark.parametrize("use", ["change", "sign-in", "look"])
def test_any_use_keeps_a_profile(client, store, people, login, use):
    amina, _coach, desk = people
    add(store, amina)
    long_unused(store, amina)
    if use == "change":
        add(store, amina)
    elif use == "sign-in":
        login(amina)
    else:
        desk.get(f"/people/{amina['id']}/")
    assert erasure.ask_inactive(store, inactive_days=730) == []


def test_a_new_profile_is_not_unused(store, people):
    amina, _, _ = people
    assert erasure.ask_inactive(store, inactive_days=30) == []


def test_the_command_asks_for_unused_profiles_unless_retention_is_off(app, store, people):
    amina, _, _ = people
    long_unused(store, amina)
    app.config["RETENTION_DAYS"] = 0
    result = app.test_cli_runner().invoke(cli, ["erase-due"], catch_exceptions=False)
    assert erasure.pending(store, amina["id"]) is None and "0 profile(s) deleted" in result.output
    app.config["RETENTION_DAYS"] = 730
    result = app.test_cli_runner().invoke(cli, ["erase-due"], catch_exceptions=False)
    assert "1 unused profile(s) will be deleted" in result.output
    assert erasure.pending(store, amina["id"])["asked_role"] == "retention"


@pytest.mark.parametrize("days", [-1, 29, 3651, "730", True])
def test_a_retention_that_is_not_days_is_refused_at_start(tmp_path, days):
    with pytest.raises(ValueError, match="RETENTION_DAYS"):
        create_app({"DATABASE": str(tmp_path / "x.sqlite3"), "SECRET_KEY": "x",
                    "RETENTION_DAYS": days})
