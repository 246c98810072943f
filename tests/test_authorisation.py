"""Who may open what: every route of the app against every kind of user.

The cases come from ``app.url_map`` itself, so a new route without a line in
``EXPECTED`` fails here until someone decides who may use it. Authorisation
only: POSTs carry a valid CSRF token and an empty body, so an authorised user
may well get a 400 or 422; an unauthorised one gets exactly the denial.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date

import pytest
from flask import url_for
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import RequestRedirect

from pwa import create_app
from pwa.security import HEADER_GUARDED, RESUBMITTABLE
from sync import accounts, files
from sync.store import Store
from sync.write import Actor, Operation, apply, new_id, singleton_id
from tests.conftest import csrf_token
from tests.test_files import photo

SECRET = "482913"
ROLES = ["anonymous", "refugee_a", "refugee_b", "volunteer_here", "volunteer_elsewhere",
         "coach_here", "coach_elsewhere", "admin"]
METHODS = ["GET", "POST"]

SIGNIN = "302 to /sign-in"
ALLOWED = "authorised"  # not a denial; the empty body may be refused (400, 422)


def every(outcome, **others):
    """The same outcome for every role, except those named."""
    return {role: others.get(role, outcome) for role in ROLES}


def signed_in(outcome):
    return every(outcome, anonymous=SIGNIN)


def profile_page(outcome):
    """A's profile: A, and staff of A's place; 404 for anyone else who may see profiles."""
    return every(404, anonymous=SIGNIN, refugee_a=outcome, volunteer_here=outcome,
                 coach_here=outcome, admin=403)


def own_profile(outcome):
    """A's own pages about their data: A alone (staff are refused by role)."""
    return every(403, anonymous=SIGNIN, refugee_a=outcome, refugee_b=404)


def profile_change(outcome):
    """Changing A's entries: A and a volunteer of A's place; coaches only comment."""
    return {**profile_page(outcome), "coach_here": 403}


def staff_page(outcome):
    return every(403, anonymous=SIGNIN, volunteer_here=outcome, volunteer_elsewhere=outcome,
                 coach_here=outcome, coach_elsewhere=outcome)


def staff_about_a(outcome):
    """A staff page about A: staff of A's place; 404 for staff elsewhere."""
    return every(403, anonymous=SIGNIN, volunteer_here=outcome, volunteer_elsewhere=404,
                 coach_here=outcome, coach_elsewhere=404)


def coach_about_a(outcome):
    return every(403, anonymous=SIGNIN, coach_here=outcome, coach_elsewhere=404)


def admin_page(outcome):
    return every(403, anonymous=SIGNIN, admin=outcome)


# endpoint -> method -> role -> outcome. Methods a route does not accept get 405.
EXPECTED: dict[str, dict[str, dict]] = {
    "auth.index": {"GET": every(302, anonymous=SIGNIN)},
    "auth.sign_in": {"GET": every(200), "POST": every(422)},
    "auth.sign_out": {"POST": every(303)},
    "auth.sign_out_everywhere": {"POST": signed_in(303)},
    # The code itself is the credential: whoever holds it may open it.
    "auth.handover": {"GET": every(200), "POST": every(422)},
    "auth.handover_typed": {"POST": every(303)},
    "auth.choose_language": {"POST": every(400)},
    "auth.toggle_side_by_side": {"POST": signed_in(303)},
    "auth.change_secret": {"GET": signed_in(200), "POST": signed_in(422)},
    "profile.overview": {"GET": profile_page(200)},
    "profile.basics": {"GET": profile_page(200), "POST": profile_change(ALLOWED)},
    "profile.section": {"GET": profile_page(200)},
    "profile.new": {"GET": profile_change(200), "POST": profile_change(ALLOWED)},
    "profile.edit": {"GET": profile_change(200), "POST": profile_change(ALLOWED)},
    # Only refugees and volunteers delete: a coach is refused by role, wherever they work.
    "profile.delete": {"POST": {**profile_change(ALLOWED), "coach_elsewhere": 403}},
    # Coaches leave the person's own words alone: choosing between two versions too.
    "profile.settle_conflict": {"POST": {**profile_page(ALLOWED), "coach_here": 403}},
    "profile.pick": {"GET": profile_page(200)},
    "staff.caseload": {"GET": staff_page(200)},
    "staff.new_person": {"GET": staff_page(200), "POST": staff_page(422)},
    "staff.new_handover_code": {"POST": staff_about_a(200)},
    "staff.review": {"GET": coach_about_a(200)},
    "staff.add_comment": {"POST": coach_about_a(ALLOWED)},
    # Only one's own comment (the write path checks the author; see test_write.py).
    "staff.delete_comment": {"POST": coach_about_a(ALLOWED)},
    "staff.hours_status": {"POST": coach_about_a(ALLOWED)},
    "staff.reviewed": {"POST": coach_about_a(303)},
    # A lost phone: the person's coach signs them out everywhere.
    "staff.end_sessions": {"POST": coach_about_a(303)},
    "staff.talent_card": {"GET": staff_about_a(200)},
    "staff.hours_export": {"GET": coach_about_a(200)},
    "staff.hours_csv": {"GET": coach_about_a(200)},
    "admin.index": {"GET": admin_page(200)},
    "admin.locations": {"GET": admin_page(200)},
    "admin.add_location": {"POST": admin_page(422)},
    "admin.edit_location": {"GET": admin_page(200), "POST": admin_page(422)},
    "admin.staff": {"GET": admin_page(200)},
    "admin.new_staff": {"GET": admin_page(200), "POST": admin_page(422)},
    "admin.end_staff_sessions": {"POST": admin_page(303)},
    "admin.rules": {"GET": admin_page(200)},
    "admin.new_rule": {"GET": admin_page(200), "POST": admin_page(422)},
    "admin.rule_status": {"POST": admin_page(400)},
    # The sync API answers JSON and checks its own header before anything else: the
    # matrix sends none, so everyone gets 400 (tests/test_sync_api.py sends it).
    "offline.push": {"POST": every(400)},
    "offline.pull": {"GET": every(400)},
    # Everyone signed in may get a signing key, for themselves only (the session's user).
    "offline.device_key": {"POST": every(400)},
    "offline.pack": {"GET": every(403, anonymous=SIGNIN, refugee_a=400, refugee_b=400,
                                  volunteer_here=400, volunteer_elsewhere=400)},
    "offline.forms": {"GET": profile_change(200)},
    # The person's own: who can see the profile, who looked, their data to download.
    "privacy.explained": {"GET": every(200)},
    "privacy.overview": {"GET": own_profile(200)},
    "privacy.my_data": {"GET": own_profile(200)},
    # Asking for the profile to be deleted (the PIN confirms: the empty body is a 422),
    # and stopping it (nothing asked: 422).
    "privacy.delete_profile": {"POST": own_profile(422)},
    "privacy.keep_profile": {"POST": own_profile(422)},
    # Moving along: a coach proposes (no place given: 422), the person answers (no
    # answer: 422), a coach takes it back (nothing waiting: a message, 303).
    "privacy.answer_move": {"POST": own_profile(422)},
    "staff.propose_move": {"POST": coach_about_a(422)},
    "staff.withdraw_move": {"POST": coach_about_a(303)},
    "staff.ask_erasure": {"POST": coach_about_a(422)},
    # Sharing: the person makes a share (the empty form: 422) and answers or stops one
    # (none of hers: 422); a coach only proposes (the empty form: 422); a link is for
    # whoever has it (a made-up one: 404, tests/test_shares.py).
    "shares.new_share": {"GET": own_profile(200), "POST": own_profile(422)},
    "shares.answer_share": {"POST": own_profile(422)},
    "shares.stop_share": {"POST": own_profile(422)},
    "staff.propose_share": {"POST": coach_about_a(422)},
    "shares.shared": {"GET": every(404)},
    # The housing allocation: the person agrees or withdraws (neither: 422); a coach of
    # the place makes it only with that consent (none here: 403).
    "shares.housing": {"POST": own_profile(422)},
    "staff.housing_match": {"GET": coach_about_a(403)},
    "staff.housing_match_json": {"GET": coach_about_a(403)},
    # Recordings for read-aloud are the app's own texts: for everyone (none here: 404,
    # tests/test_read_aloud.py).
    "read_aloud.recording": {"GET": every(404)},
    "staff.stop_erasure": {"POST": coach_about_a(303)},
    # Signed out too: a deletion ends every session (tests/test_erasure.py).
    "offline.erased": {"GET": every(400)},
    "offline.outbox": {"GET": signed_in(200)},
    "offline.offline_page": {"GET": every(200)},
    "offline.service_worker": {"GET": every(200)},
    "offline.manifest": {"GET": every(200)},
    # Files: announced and sent through the sync API (its header first: 400 here; who
    # may add one is tested in tests/test_files.py); a chunk is a PATCH only.
    "files.begin_upload": {"POST": every(400)},
    "files.upload_chunk": {},
    # A's diploma photo: whoever sees A's entries; "seen the original" is a coach's word.
    "files.original": {"GET": profile_page(200)},
    "files.preview": {"GET": profile_page(200)},
    "files.seen_original": {"POST": coach_about_a(303)},
    # The diploma evaluation of an education entry, for the coach to send.
    "staff.idw_application": {"GET": coach_about_a(200)},
    "staff.idw_zip": {"GET": coach_about_a(200)},
    # Statements of verified hours: the person makes (no organisation: a message, 303)
    # and withdraws one (none of hers: a message, 303); anyone with a link checks it (a made-up
    # one: 404, tests/test_statements.py).
    "statements.make_statement": {"POST": own_profile(303)},
    "statements.revoke_statement": {"POST": own_profile(303)},
    "statements.check_statement": {"GET": every(404)},
    # A coach's summary in Dutch beside a voice answer (none named here: 400).
    "staff.voice_summary": {"POST": coach_about_a(ALLOWED)},
    # Coaches may carry a person's saved changes to the server (applied as the person's).
    "offline.upload": {"GET": profile_page(200), "POST": profile_page(422)},
}

# URL parameters that are not simply "A's" value of that name.
URL_OVERRIDES = {
    "staff.hours_status": {"record_id": "volunteer_record"},
    "staff.idw_application": {"record_id": "education_record"},
    "staff.idw_zip": {"record_id": "education_record"},
    # Ending sessions: of people whose sessions the other cases do not need.
    "staff.end_sessions": {"person_id": "newcomer"},
    "admin.end_staff_sessions": {"user_id": "spare_staff"},
}
# These end the session they are sent with: each case signs in afresh.
ENDS_OWN_SESSION = {"auth.sign_out", "auth.sign_out_everywhere"}
QUERY = {
    "staff.hours_csv": {"from": "2026-01-01", "to": "2026-01-31"},
}


def _routes():
    """(endpoint, methods, methods answered by another route) of every route."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "DATABASE": f"{tmp}/routes.sqlite3",
                          "SECRET_KEY": "routes"})
        adapter = app.url_map.bind("localhost")
        routes = []
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            path = rule.build(dict.fromkeys(rule.arguments, "x"), append_unknown=False)[1]
            elsewhere = set()
            for method in set(METHODS) - set(rule.methods or ()):
                try:
                    adapter.match(path, method)
                except MethodNotAllowed:
                    continue
                except RequestRedirect:
                    pass  # GET /people/x/handover -> the section page /people/x/handover/
                # /people/x/conflicts/x is also /people/<id>/<slug>/<record_id>: that
                # route's own cases cover it.
                elsewhere.add(method)
            routes.append((rule.endpoint, frozenset(rule.methods or ()), frozenset(elsewhere)))
        return routes


ROUTES = _routes()


KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def _cases():
    cases = []
    for endpoint, _methods, elsewhere in ROUTES:
        for method in METHODS:
            if method in elsewhere:
                continue
            for role in ROLES:
                bug = KNOWN_BUGS.get((endpoint, method, role))
                marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
                cases.append(pytest.param(endpoint, method, role, marks=marks,
                                          id=f"{method} {endpoint} as {role}"))
    return cases


# -- the world: two places, eight users, some of A's entries --------------------------


def _put(store, user, record_type, fields, record_id=None, base=0):
    record_id = record_id or new_id()
    apply(store, Actor(user["id"], user["role"]),
          Operation(new_id(), user["id"], record_type, record_id, "put", base, fields),
          today=date(2026, 2, 1))
    return record_id


@pytest.fixture(scope="module")
def world(make_database, tmp_path_factory):
    """One app and database for the whole matrix; each test gets a fresh client."""
    db = make_database()
    app = create_app({"TESTING": True, "DATABASE": db, "SECRET_KEY": "test-secret",
                      "FILES_DIR": str(tmp_path_factory.mktemp("files"))})
    store = Store(db)
    store.add_location("loc-ter-apel", "AZC Ter Apel", "azc")
    store.add_location("loc-utrecht", "Gemeente Utrecht", "municipality")

    def user(role, username, location=None, locations=()):
        user_id = accounts.create_user(
            store, role=role, username=username, display_name=username.title(),
            secret=SECRET, location_id=location, location_ids=list(locations), locale="en")
        return store.user(user_id)

    users = {
        "refugee_a": user("refugee", "amina", "loc-ter-apel"),
        "refugee_b": user("refugee", "bereket", "loc-ter-apel"),
        "volunteer_here": user("volunteer", "vera", locations=["loc-ter-apel"]),
        "volunteer_elsewhere": user("volunteer", "victor", locations=["loc-utrecht"]),
        "coach_here": user("coach", "carla", locations=["loc-ter-apel"]),
        "coach_elsewhere": user("coach", "cees", locations=["loc-utrecht"]),
        "admin": user("admin", "adam"),
    }
    a = users["refugee_a"]
    _put(store, a, "basics", {"display_name": "Amina", "preferred_language": "en",
                              "location_id": "loc-ter-apel", "residence": "status_holder",
                              "permit_date": "2024-05-01"},
         record_id=singleton_id(a["id"], "basics"))
    skill = _put(store, a, "skill", {"free_text": "Bread baking", "level": "3",
                                     "learned": "work"})
    hours = _put(store, a, "volunteer", {"date": "2026-01-05", "organisation": "Voedselbank",
                                         "activity": "Sorting food", "hours": 2})
    # Two edits from revision 1 of the same field: the second is kept as a conflict.
    _put(store, a, "skill", {"note": "Every morning"}, record_id=skill, base=1)
    _put(store, a, "skill", {"note": "Only on Saturdays"}, record_id=skill, base=1)
    (conflict,) = store.open_conflicts(a["id"])
    diploma = files.add_whole(store, files.FileStore(app.config["FILES_DIR"]),
                              Actor(a["id"], "refugee"), a["id"], photo(), "diploma.jpg",
                              files.Limits())
    education = _put(store, a, "education", {"level": "bachelor", "field": "Nursing",
                                             "diploma": "yes", "files": [diploma]})
    coach = users["coach_here"]
    comment = new_id()
    apply(store, Actor(coach["id"], "coach", frozenset({"loc-ter-apel"})),
          Operation(new_id(), a["id"], "comment", comment, "put", 0,
                    {"record_id": skill, "body": "Well done"}), today=date(2026, 2, 1))
    newcomer = store.user(accounts.create_user(
        store, role="refugee", username="nadia", display_name="Nadia",
        location_id="loc-ter-apel", locale="en"))
    code = accounts.new_handover_code(store, newcomer["id"], users["volunteer_here"]["id"])
    spare_staff = user("volunteer", "sam", locations=["loc-ter-apel"])

    sessions = {}
    for role in ROLES:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        if role != "anonymous":
            token = csrf_token(client)
            response = client.post("/sign-in", data={"username": users[role]["username"],
                                                     "secret": SECRET, "csrf_token": token})
            assert response.status_code == 303
        # A page with a form gives the token; the session cookie carries its other half.
        token = csrf_token(client, "/sign-in" if role == "anonymous" else "/account/secret")
        sessions[role] = (client.get_cookie("talentkaart").value, token)

    params = {"person_id": a["id"], "slug": "skills", "record_id": skill,
              "volunteer_record": hours, "conflict_id": conflict["id"], "kind": "skill",
              "code": code, "location_id": "loc-ter-apel",
              "rule_id": store.work_rules()[0]["id"], "newcomer": newcomer["id"],
              "spare_staff": spare_staff["id"], "user_id": spare_staff["id"],
              "comment_id": comment, "share_id": new_id(), "token": "x" * 43,
              "locale": "ti", "name": "0123456789abcdef.wav", "file_id": diploma,
              "statement_id": new_id(), "education_record": education}
    yield {"app": app, "store": store, "users": users, "sessions": sessions,
           "params": params}
    store.close()


def fresh_client_as(world, role):
    """A new client signed in as ``role`` in a session of its own, and its CSRF token."""
    client = world["app"].test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if role != "anonymous":
        response = client.post("/sign-in", data={
            "username": world["users"][role]["username"], "secret": SECRET,
            "csrf_token": csrf_token(client)})
        assert response.status_code == 303
    return client, csrf_token(client, "/sign-in" if role == "anonymous" else "/account/secret")


def client_as(world, role):
    """A new client with ``role``'s session cookie, and that session's CSRF token."""
    client = world["app"].test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    cookie, token = world["sessions"][role]
    client.set_cookie("talentkaart", cookie)
    return client, token


def url_of(world, endpoint):
    """The endpoint's URL with real ids of A's profile filled in."""
    app, params = world["app"], world["params"]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    for name in rule.arguments:
        key = URL_OVERRIDES.get(endpoint, {}).get(name, name)
        if key not in params:
            pytest.fail(f"no value for URL parameter {name!r} of {endpoint}: add one")
        values[name] = params[key]
    with app.test_request_context():
        return url_for(endpoint, **values, **QUERY.get(endpoint, {}))


def database_state(store):
    """Row counts of every table and the newest change number. A look at a profile is
    written in the person's log (test_privacy.py), and a guessed share link is counted
    against its address (test_shares.py): those tables are left out here."""
    counts = {table: store.count(table) for table in store.tables()
              if table not in ("profile_views", "signin_failures")}
    return counts, store.last_seq()


def check_outcome(response, outcome):
    status, location = response.status_code, response.headers.get("Location", "")
    assert status < 500, response.get_data(as_text=True)[:500]
    if outcome == SIGNIN:
        assert status == 302 and location.startswith("/sign-in"), (status, location)
    elif outcome == ALLOWED:
        assert status not in (403, 404, 405), status
        assert not location.startswith("/sign-in"), location
    else:
        assert status == outcome, (status, location)


# -- the matrix -----------------------------------------------------------------------


def test_every_route_has_expectations():
    """Adding a route means deciding who may use it (and removing one, its line)."""
    endpoints = {endpoint for endpoint, _, _ in ROUTES}
    assert sorted(endpoints - set(EXPECTED)) == []
    assert sorted(set(EXPECTED) - endpoints) == []
    for endpoint, methods, _ in ROUTES:
        assert set(EXPECTED[endpoint]) == set(METHODS) & methods, endpoint
        for outcomes in EXPECTED[endpoint].values():
            assert set(outcomes) == set(ROLES), endpoint


@pytest.mark.parametrize(("endpoint", "method", "role"), _cases())
def test_route_as_role(world, endpoint, method, role):
    """Each role gets exactly the expected answer; GETs leave the database alone."""
    if endpoint not in EXPECTED:
        pytest.fail(f"{endpoint} has no line in EXPECTED: decide who may use it")
    rule_methods = next(m for e, m, _ in ROUTES if e == endpoint)
    outcome = EXPECTED[endpoint].get(method, {}).get(role, 405) \
        if method in rule_methods else 405
    client, token = (fresh_client_as if endpoint in ENDS_OWN_SESSION else client_as)(world, role)
    url = url_of(world, endpoint)
    before = database_state(world["store"])
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": token})
    response.close()  # a file is sent from disk: its handle closes with the response
    check_outcome(response, outcome)
    if method == "GET":
        assert database_state(world["store"]) == before
    if endpoint in ENDS_OWN_SESSION and role != "anonymous":
        # Signing out everywhere ended the role's shared session too: start a new one.
        fresh, token = fresh_client_as(world, role)
        world["sessions"][role] = (fresh.get_cookie("talentkaart").value, token)


def test_denials_do_not_show_the_persons_name(world):
    """A 404 for someone else's profile must not leak what it hides."""
    client, _ = client_as(world, "coach_elsewhere")
    for endpoint in ("profile.overview", "staff.review", "staff.talent_card"):
        response = client.get(url_of(world, endpoint))
        assert response.status_code == 404
        assert "Amina" not in response.get_data(as_text=True)


# -- CSRF ------------------------------------------------------------------------------


def _authorised_role(endpoint):
    outcomes = EXPECTED[endpoint]["POST"]
    return next(role for role in ROLES if outcomes[role] not in (SIGNIN, 403, 404, 405))


def _post_endpoints():
    return sorted(e for e, m, _ in ROUTES if "POST" in m)


# Typed data for the forms that are shown again after an expired token.
RESUBMIT_DATA = {
    "auth.sign_in": ({"username": "amina", "secret": "000000"}, ["amina"]),
    "auth.handover": ({"secret": "739164", "secret_again": "739164"}, []),
    "auth.change_secret": ({"current": SECRET, "secret": "739164",
                            "secret_again": "739164"}, []),
    "profile.basics": ({"display_name": "Amina Yusuf", "preferred_language": "en",
                        "location_id": "loc-ter-apel", "residence": "status_holder",
                        "permit_date": "2024-05-01", "my_goal": "Bakery of my own"},
                       ["Amina Yusuf", "Bakery of my own"]),
    "profile.new": ({"free_text": "Sourdough starters", "level": "2", "learned": "life",
                     "note": "At home in Aleppo"}, ["Sourdough starters", "At home in Aleppo"]),
    "profile.edit": ({"free_text": "Flatbread", "level": "4", "learned": "work",
                      "note": "Taught apprentices"}, ["Flatbread", "Taught apprentices"]),
}


def test_resubmittable_forms_are_known():
    """The table below covers exactly the views marked ``@resubmittable``."""
    assert set(RESUBMIT_DATA) == RESUBMITTABLE


@pytest.mark.parametrize("endpoint", _post_endpoints())
def test_post_without_csrf_token_changes_nothing(world, endpoint):
    """No token: 400, or the form again with what was typed (422); nothing saved."""
    role = _authorised_role(endpoint)
    client, _ = client_as(world, role)
    store = world["store"]
    user = world["users"].get(role)
    before = database_state(store), store.user(user["id"]) if user else None
    data, shown = RESUBMIT_DATA.get(endpoint, ({"keep": "current", "status": "active",
                                                "body": "Good", "locale": "en"}, []))
    if endpoint == "profile.edit":
        data = {**data, "base_revision": "2", "op_id": new_id()}
    response = client.post(url_of(world, endpoint), data=data)
    html = response.get_data(as_text=True)
    if endpoint in RESUBMITTABLE:
        assert response.status_code == 422
        assert re.search(r"<title>Error:", html)
        for value in shown:
            assert value in html
    elif endpoint in HEADER_GUARDED:  # the JSON sync API: a form post lacks its header
        assert response.status_code == 400
        assert response.json == {"error": "The request was not valid."}
    else:
        assert response.status_code == 400
        assert "This form was open too long or came from another site" in html
    assert (database_state(store), store.user(user["id"]) if user else None) == before
    # Still signed in: the failure did not end the session.
    if role != "anonymous":
        assert not client.get("/").headers["Location"].startswith("/sign-in")


# -- ids of someone else's things inside my own URLs --------------------------------


def _b_skill(world):
    b = world["users"]["refugee_b"]
    return _put(world["store"], b, "skill", {"free_text": "Carpentry", "level": "2",
                                              "learned": "life"})


def test_refugee_cannot_settle_a_conflict_of_someone_else_through_own_url(world):
    client, token = client_as(world, "refugee_b")
    b_id = world["users"]["refugee_b"]["id"]
    conflict_id = world["params"]["conflict_id"]
    response = client.post(f"/people/{b_id}/conflicts/{conflict_id}",
                           data={"csrf_token": token, "keep": "current", "op_id": new_id()})
    assert response.status_code == 404
    assert world["store"].conflict(conflict_id)["resolved_at"] is None


def test_refugee_cannot_delete_an_entry_of_someone_else_through_own_url(world):
    client, token = client_as(world, "refugee_b")
    b_id = world["users"]["refugee_b"]["id"]
    skill = world["params"]["record_id"]
    response = client.post(f"/people/{b_id}/skills/{skill}/delete",
                           data={"csrf_token": token, "base_revision": "2", "op_id": new_id()})
    assert response.status_code == 404
    assert world["store"].record(skill)["deleted"] == 0


def test_coach_cannot_comment_on_an_entry_of_someone_else_through_a_url(world):
    client, token = client_as(world, "coach_here")
    a_id = world["users"]["refugee_a"]["id"]
    b_record = _b_skill(world)
    before = database_state(world["store"])
    response = client.post(f"/people/{a_id}/records/{b_record}/comments",
                           data={"csrf_token": token, "body": "Nice", "op_id": new_id()})
    assert response.status_code == 404
    assert database_state(world["store"]) == before


def test_coach_cannot_verify_hours_of_someone_else_through_a_url(world):
    client, token = client_as(world, "coach_here")
    b_id = world["users"]["refugee_b"]["id"]
    hours = world["params"]["volunteer_record"]
    response = client.post(f"/people/{b_id}/hours/{hours}/status",
                           data={"csrf_token": token, "status": "verified",
                                 "base_revision": "1", "op_id": new_id()})
    assert response.status_code == 404
    assert world["store"].record(hours)["data"]["status"] == "self_reported"


def test_no_handover_code_for_a_staff_account(world):
    """A volunteer must not be able to take over a coach's account with a new code."""
    client, token = client_as(world, "volunteer_here")
    coach = world["users"]["coach_here"]
    before = database_state(world["store"])
    response = client.post(f"/people/{coach['id']}/handover", data={"csrf_token": token})
    assert response.status_code == 404
    assert database_state(world["store"]) == before


def test_volunteer_cannot_create_an_account_at_another_place(world):
    client, token = client_as(world, "volunteer_here")
    response = client.post("/people/new", data={
        "csrf_token": token, "display_name": "Yonas", "username": "yonas",
        "location_id": "loc-utrecht", "locale": "en"})
    assert response.status_code == 422
    assert world["store"].user_by_username("yonas") is None


def test_coach_cannot_throw_away_the_persons_version_in_a_conflict(world):
    client, token = client_as(world, "coach_here")
    store, a = world["store"], world["users"]["refugee_a"]
    a_id = a["id"]
    skill = _put(store, a, "skill", {"free_text": "Tailoring", "level": "3",
                                     "learned": "work"})
    _put(store, a, "skill", {"note": "Wedding dresses"}, record_id=skill, base=1)
    _put(store, a, "skill", {"note": "School uniforms"}, record_id=skill, base=1)
    (conflict,) = store.open_conflicts(a_id, skill)
    conflict_id = conflict["id"]
    response = client.post(f"/people/{a_id}/conflicts/{conflict_id}",
                           data={"csrf_token": token, "keep": "current", "op_id": new_id()})
    assert world["store"].conflict(conflict_id)["resolved_at"] is None
    assert response.status_code == 403
