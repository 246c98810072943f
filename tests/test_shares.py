"""Sharing part of a profile with someone outside, with consent: made by the person
(checked, then agreed to), proposed by a coach and agreed to by the person only,
opened by whoever has the link, stopped at once; on both backends, through the app."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from pwa.shares import GUESS_LIMIT
from sync import shares
from sync.kinds import NOT_STORABLE
from sync.write import Actor, singleton_id
from tests.sync_fixtures import basics as basics_fields
from tests.test_erasure import text_of, token_of
from tests.test_pages_etag import add
from tests.test_privacy import download
from tests.today import TODAY

WORK = {"job_title": "Baker at Qorbanfield", "employer": "Qorbanfield bakery",
        "country": "SY", "start": "2015-03", "end": "2019-06",
        "description": "Bread and sweets for weddings"}
SKILLS = ({"code": "skill.trades.welding", "level": "3", "learned": "work"},
          {"free_text": "Zylophone tuning", "level": "2", "learned": "life"})


@pytest.fixture
def amina(client, store, make_user, login):
    """Amina, signed in on ``client``, with basics, work and two skills."""
    from sync.write import Operation, apply, new_id

    amina, _ = make_user("refugee", name="Amina Zylpharine")
    login(amina)
    apply(store, Actor(amina["id"], "refugee"), Operation(
        new_id(), amina["id"], "basics", singleton_id(amina["id"], "basics"), "put", 0,
        {**basics_fields(location_id="loc-ter-apel", name="Amina Zylpharine"),
         "preferred_language": "en"}))
    add(store, amina, "work", WORK)
    for skill in SKILLS:
        add(store, amina, "skill", skill)
    return amina


@pytest.fixture
def coach(app, make_user, login):
    coach, _ = make_user("coach", name="Coen")
    desk = app.test_client()
    desk.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(coach, test_client=desk)
    return coach, desk


def form(**changes):
    values = {"audience": "Bakery Jansen", "sections": ["skills", "work", "languages"],
              "named": "no", "expires_on": (TODAY + timedelta(days=30)).isoformat()}
    return {**values, **changes}


def share(client, person, agree=True, **changes):
    path = f"/people/{person['id']}/privacy/share"
    data = {"csrf_token": token_of(client, path), **form(**changes)}
    if agree:
        data["agree"] = "yes"
    return client.post(path, data=data)


def link_in(client, person):
    page = client.get(f"/people/{person['id']}/privacy").get_data(as_text=True)
    return re.findall(r'href="https?://[^/"]+(/shared/[^"]+)"', page)


def test_she_checks_what_she_shares_agrees_and_the_link_shows_a_summary(client, store,
                                                                          amina, app):
    checked = share(client, amina, agree=False)
    assert checked.status_code == 200
    # The check before agreeing: nothing is shared yet, and the words she agrees to.
    assert store.shares_of(amina["id"]) == []
    shown = text_of(checked)
    assert ("Bakery Jansen may see this until" in shown
            and "without your name and without what you wrote in your own words: Skills,"
            " Languages, and Work experience." in shown)
    done = share(client, amina)
    assert done.status_code == 303
    [made] = store.shares_of(amina["id"])
    assert (made["status"], made["named"], made["free_text"]) == ("active", 0, 0)
    [consent] = store.consents_of(amina["id"])
    assert consent["text"] in shown  # the very words she saw
    assert (consent["subject_id"], consent["locale"], consent["how"]) == (
        made["id"], "en", "personal_device")
    assert consent["withdrawn_at"] is None

    [link] = link_in(client, amina)
    employer = app.test_client()
    opened = employer.get(link)
    assert opened.status_code == 200
    assert opened.headers["Cache-Control"] == "no-store"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    page = opened.get_data(as_text=True)
    # In Dutch, without her name, place, employer, her own words or the months.
    assert 'lang="nl"' in page
    for private in ("Zylpharine", "AZC Ter Apel", "Qorbanfield", "Bread and sweets",
                    "Zylophone", "maart 2015", "2015-03"):
        assert private not in page, private
    assert "2015" in page and "2019" in page
    assert "Profiel zonder naam" in page or "Profile without a name" in page


def test_with_her_name_and_her_words_the_link_shows_them(client, app, amina):
    assert share(client, amina, named="yes", free_text="yes",
                 contact="06 12345678").status_code == 303
    [link] = link_in(client, amina)
    page = text_of(app.test_client().get(link))
    assert all(text in page for text in ("Amina Zylpharine", "06 12345678", "Qorbanfield",
                                         "Zylophone tuning"))


def test_a_contact_goes_only_with_the_name(client, store, amina):
    share(client, amina, contact="06 12345678")
    [made] = store.shares_of(amina["id"])
    assert made["contact"] is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"sections": []}, "sections", "Choose at least one part of your profile"),
    ({"sections": ["skills", "passwords"]}, "sections", "Choose from the list"),
    ({"expires_on": (TODAY - timedelta(days=1)).isoformat()}, "expires_on",
     "This date has passed"),
    ({"expires_on": (TODAY + timedelta(days=181)).isoformat()}, "expires_on",
     "This day is too far ahead."),
    ({"expires_on": "2027-02-30"}, "expires_on", "Enter a real date"),
    ({"expires_on": ""}, "expires_on", "Enter a date"),
    ({"audience": "  "}, "audience", "Say who you share it with"),
    ({"audience": "x" * 81}, "audience", "Use at most 80 characters (now 81)"),
    ({"named": "maybe"}, "named", "Choose with or without your name"),
    ({"sections": ["plan"]}, "free_text", "Your development plan is in your own words"),
])
def test_a_share_that_is_not_right_says_why_and_changes_nothing(client, store, amina,
                                                                changes, field, message):
    for agree in (False, True):
        refused = share(client, amina, agree=agree, **changes)
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert f'href="#f-{field}"' in html and message in text_of(refused)
    assert store.shares_of(amina["id"]) == [] and store.consents_of(amina["id"]) == []


def test_stopping_a_share_empties_the_link_at_once(client, store, app, amina):
    share(client, amina)
    [link] = link_in(client, amina)
    employer = app.test_client()
    assert employer.get(link).status_code == 200
    [made] = store.shares_of(amina["id"])
    path = f"/people/{amina['id']}/privacy"
    stop = f"{path}/shares/{made['id']}/stop"
    stopped = client.post(stop, data={"csrf_token": token_of(client, path)})
    assert stopped.status_code == 303
    assert "Bakery Jansen can no longer see your profile." in text_of(
        client.get(stopped.headers["Location"]))
    gone = employer.get(link)
    assert gone.status_code == 410
    assert "Zylpharine" not in gone.get_data(as_text=True)
    assert "This link shows nothing" in text_of(gone) or "Deze link" in text_of(gone)
    [consent] = store.consents_of(amina["id"])
    assert consent["withdrawn_at"] and consent["withdrawn_how"] == "personal_device"
    # Stopping twice: said, nothing changes.
    again = client.post(stop, data={"csrf_token": token_of(client, path)})
    assert again.status_code == 422 and "stopped already" in text_of(again)
    assert link_in(client, amina) == []
    assert "Bakery Jansen : stopped on" in text_of(client.get(path))


def test_an_expired_share_shows_nothing(client, store, app, amina):
    share(client, amina)
    [link] = link_in(client, amina)
    store.execute("UPDATE shares SET expires_on = ?", [(TODAY - timedelta(days=1)).isoformat()])
    assert app.test_client().get(link).status_code == 410
    assert link_in(client, amina) == []


def test_guessed_links_find_nothing_and_are_slowed_down(client, store, app, amina):
    share(client, amina)
    [link] = link_in(client, amina)
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    token = link.rsplit("/", 1)[1]
    tampered = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    # The same bytes spelt otherwise (the last character's two spare bits): refused too.
    respelt = token[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(token[-1]) ^ 1]
    for guess in (tampered, respelt, "x" * 43, "short", token[:42] + "!"):
        assert guesser.get(f"/shared/{guess}").status_code == 404
    for _ in range(GUESS_LIMIT - 5):
        guesser.get("/shared/" + "y" * 43)
    # Now even the real link is refused from there, for a while; elsewhere it works.
    slowed = guesser.get(link)
    assert slowed.status_code == 429 and "Zylpharine" not in slowed.get_data(as_text=True)
    assert app.test_client().get(link).status_code == 200


def test_text_that_cannot_be_stored_is_that_fields_error():
    with pytest.raises(shares.ShareRefused) as refused:
        shares.check({key: [value] if isinstance(value, str) else value
                      for key, value in form(audience="Bakery \ud800").items()})
    assert refused.value.errors == {"audience": (NOT_STORABLE, {})}


def test_a_link_cannot_be_made_without_the_key():
    share_id = "0b7e7d1e-6a43-4c1b-9a39-3f1f1c0d2b44"
    made = shares.token(share_id, b"server key")
    assert shares.share_id_of(made, b"server key") == share_id
    assert shares.share_id_of(made, b"another key") is None
    assert len(made) == 43


def test_opening_the_link_is_in_her_log_with_whom_it_was_for(client, app, amina):
    share(client, amina)
    [link] = link_in(client, amina)
    app.test_client().get(link)
    app.test_client().get(link)
    page = text_of(client.get(f"/people/{amina['id']}/privacy"))
    assert "Bakery Jansen Shared link" in page
    assert "Opened the link you shared (2 times that day)" in page


def propose(desk, person, **changes):
    review = f"/people/{person['id']}/review"
    return desk.post(f"/people/{person['id']}/share",
                     data={"csrf_token": token_of(desk, review), **form(**changes)})


def test_a_coach_proposes_and_only_she_can_agree(client, store, app, amina, coach):
    _, desk = coach
    proposed = propose(desk, amina, audience="Gemeente Utrecht, Werk")
    assert proposed.status_code == 303
    [made] = store.shares_of(amina["id"])
    assert made["status"] == "proposed"
    # No link works yet: a token of the proposal shows nothing.
    assert app.test_client().get(
        "/shared/" + shares.token(made["id"], b"test-secret")).status_code == 410
    # The coach cannot agree for her: the route is hers alone.
    answer = f"/people/{amina['id']}/privacy/shares/{made['id']}/answer"
    review = f"/people/{amina['id']}/review"
    refused = desk.post(answer, data={"csrf_token": token_of(desk, review), "answer": "agree"})
    assert refused.status_code == 403
    assert store.share(made["id"])["status"] == "proposed"
    assert store.consents_of(amina["id"]) == []
    # She sees what she is asked, in her words, and agrees.
    path = f"/people/{amina['id']}/privacy"
    page = text_of(client.get(path))
    assert "Coen proposes to share part of your profile." in page
    assert "Gemeente Utrecht, Werk may see this until" in page
    agreed = client.post(answer, data={"csrf_token": token_of(client, path), "answer": "agree"})
    assert agreed.status_code == 303
    assert store.share(made["id"])["status"] == "active"
    [consent] = store.consents_of(amina["id"])
    assert consent["text"].startswith("Gemeente Utrecht, Werk may see this until")
    assert len(link_in(client, amina)) == 1
    assert "shared until" in text_of(desk.get(review))
    # Answering twice: said, nothing changes.
    again = client.post(answer, data={"csrf_token": token_of(client, path), "answer": "decline"})
    assert again.status_code == 422 and "answered already" in text_of(again)
    assert store.share(made["id"])["status"] == "active"


def test_she_says_no_to_a_proposal(client, store, amina, coach):
    _, desk = coach
    propose(desk, amina)
    [made] = store.shares_of(amina["id"])
    path = f"/people/{amina['id']}/privacy"
    said = client.post(f"{path}/shares/{made['id']}/answer",
                       data={"csrf_token": token_of(client, path), "answer": "decline"})
    assert said.status_code == 303
    assert store.share(made["id"])["status"] == "declined"
    assert store.consents_of(amina["id"]) == []
    assert link_in(client, amina) == []


def test_a_proposal_that_is_not_right_is_refused_on_the_review(store, amina, coach):
    _, desk = coach
    refused = propose(desk, amina, sections=[])
    assert refused.status_code == 422
    assert 'href="#f-sections"' in refused.get_data(as_text=True)
    assert store.shares_of(amina["id"]) == []


def test_another_persons_share_is_not_hers_to_stop(client, store, app, amina, make_user,
                                                  login):
    share(client, amina)
    [made] = store.shares_of(amina["id"])
    other, _ = make_user("refugee", name="Bereket")
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(other, test_client=browser)
    path = f"/people/{other['id']}/privacy"
    # Through her own address, naming Amina's share: not found, nothing changes.
    refused = browser.post(f"{path}/shares/{made['id']}/stop",
                           data={"csrf_token": token_of(browser, path)})
    assert refused.status_code == 422
    assert store.share(made["id"])["status"] == "active"


def test_her_data_holds_her_shares_and_consents(client, amina):
    share(client, amina)
    data = json.loads(download(client, amina).read("talentkaart.json"))
    [made] = data["shares"]
    assert (made["audience"], made["sections"], made["named"]) == (
        "Bakery Jansen", ["skills", "languages", "work"], False)
    [consent] = data["consents"]
    assert consent["subject_id"] == made["id"] and consent["text"].startswith("Bakery Jansen")


AMBITION = {"occupation": None, "sector": None, "work_form": "employment",
            "regions": ["groningen", "utrecht"], "note": "A bakery of my own"}


def test_her_place_gives_her_work_profile_for_a_home_only_with_her_consent(client, store,
                                                                             amina, coach):
    _, desk = coach
    add(store, amina, "ambition", {k: v for k, v in AMBITION.items() if v is not None})
    page, data = (f"/people/{amina['id']}/housing-match",
                  f"/people/{amina['id']}/housing-match.json")
    assert desk.get(page).status_code == 403 and desk.get(data).status_code == 403
    assert "has not agreed" in text_of(desk.get(page)) or "niet" in text_of(desk.get(page))
    path = f"/people/{amina['id']}/privacy"
    shown = text_of(client.get(path))
    assert "Your place may give your work profile to the people who look for a home" in shown
    agreed = client.post(f"{path}/housing", data={"csrf_token": token_of(client, path),
                                                  "answer": "agree"})
    assert agreed.status_code == 303
    [consent] = store.consents_of(amina["id"])
    assert consent["subject"] == "housing" and consent["text"].startswith("Your place may")
    again = client.post(f"{path}/housing", data={"csrf_token": token_of(client, path),
                                                 "answer": "agree"})
    assert again.status_code == 422 and "agreed to this already" in text_of(again)

    printed = desk.get(page)
    assert printed.status_code == 200 and "Amina Zylpharine" in text_of(printed)
    made = desk.get(data)
    assert made.status_code == 200 and made.headers["Content-Disposition"].startswith(
        "attachment")
    match = made.get_json()
    assert (match["format"], match["version"]) == ("talentkaart-housing-match", 1)
    assert [r["code"] for r in match["regions"]] == ["groningen", "utrecht"]
    assert match["work"][0]["job_title"] == WORK["job_title"]
    assert match["work"][0]["country_label"] == "Syrië"  # labels in Dutch
    assert match["ambition"][0]["note"] == "A bakery of my own"
    assert "Made your profile for the housing allocation" in text_of(client.get(path))

    withdrawn = client.post(f"{path}/housing", data={"csrf_token": token_of(client, path),
                                                     "answer": "withdraw"})
    assert withdrawn.status_code == 303
    assert store.consents_of(amina["id"])[0]["withdrawn_at"]
    assert desk.get(page).status_code == 403 and desk.get(data).status_code == 403
    none = client.post(f"{path}/housing", data={"csrf_token": token_of(client, path),
                                                "answer": "withdraw"})
    assert none.status_code == 422 and "no consent to withdraw" in text_of(none)


def test_her_kept_privacy_page_changes_with_her_shares_and_consents(client, store, amina):
    from tests.test_pages_etag import etag

    path = f"/people/{amina['id']}/privacy"

    def tag_after(done):
        client.get(path)  # the page that shows what was done (a flash, without a tag)
        return etag(client, path)

    tags = [etag(client, path)]
    share(client, amina)
    tags.append(tag_after(share))
    [made] = store.shares_of(amina["id"])
    client.post(f"{path}/shares/{made['id']}/stop", data={"csrf_token": token_of(client, path)})
    tags.append(tag_after("stop"))
    client.post(f"{path}/housing", data={"csrf_token": token_of(client, path),
                                         "answer": "agree"})
    tags.append(tag_after("housing"))
    assert len(set(tags)) == 4
    assert etag(client, path) == tags[-1]
