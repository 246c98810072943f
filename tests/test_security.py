"""Security headers, sessions, sign-in limits, redirects and signing out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext, ngettext
from markupsafe import escape

from sync import accounts
from tests.conftest import csrf_token
from tests.test_authorisation import ROLES, ROUTES, client_as, url_of, world  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)


def assert_safe_headers(response):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives.get("script-src") == ["'self'"]
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("object-src") == ["'none'"]
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert "HX-Request" in response.vary


def assert_no_inline_code(html):
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not EVENT_ATTRIBUTE.search(html), EVENT_ATTRIBUTE.search(html).group(0)
    # style-src 'self' blocks style attributes too: they would silently not apply.
    assert not STYLE_ATTRIBUTE.search(html), STYLE_ATTRIBUTE.search(html).group(0)


# -- headers and inline code on every page -------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_security_headers_and_no_inline_code(world, role):  # noqa: F811
    client, _ = client_as(world, role)
    pages = 0
    for endpoint, methods, _elsewhere in ROUTES:
        if "GET" not in methods:
            continue
        response = client.get(url_of(world, endpoint))
        response.close()  # a file is sent from disk: its handle closes with the response
        assert_safe_headers(response)
        if response.mimetype == "text/html" and response.status_code != 302:
            assert_no_inline_code(response.get_data(as_text=True))
            pages += 1
    assert pages >= 2


def test_pages_made_by_posts_have_no_inline_code(world):  # noqa: F811
    """The handover code (with its QR code) and a form with errors."""
    client, token = client_as(world, "volunteer_here")
    response = client.post(url_of(world, "staff.new_handover_code"), data={"csrf_token": token})
    assert response.status_code == 200 and "<svg" in response.get_data(as_text=True)
    assert_safe_headers(response)
    assert_no_inline_code(response.get_data(as_text=True))
    response = client.post("/people/new", data={"csrf_token": token})
    assert response.status_code == 422
    assert_no_inline_code(response.get_data(as_text=True))
    anonymous, token = client_as(world, "anonymous")
    response = anonymous.post("/sign-in", data={"csrf_token": token})
    assert response.status_code == 422
    assert_safe_headers(response)
    assert_no_inline_code(response.get_data(as_text=True))


@pytest.mark.parametrize("template", sorted(
    str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*.html")))
def test_no_template_has_inline_script(template):
    """Also the templates no page above happened to render."""
    source = (ROOT / "templates" / template).read_text()
    assert not INLINE_SCRIPT.search(source)
    assert not EVENT_ATTRIBUTE.search(source)


def test_fragment_and_full_page_share_a_url_so_vary_is_sent(world):  # noqa: F811
    client, _ = client_as(world, "refugee_a")
    url = url_of(world, "profile.new")
    full = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in full.vary and "HX-Request" in fragment.vary
    assert full.headers["Cache-Control"] == "no-store"


# -- sessions -------------------------------------------------------------------------------


@pytest.fixture
def refugee(make_user, store, client):
    """A refugee who reads the app in English (the client asks for English too)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    user, _ = make_user("refugee", name="Amina Yusuf")
    store.update_user(user["id"], locale="en")
    return store.user(user["id"])


def sign_in(client, user, secret="482913", shared=False, **query):
    data = {"username": user["username"], "secret": secret, "csrf_token": csrf_token(client)}
    if shared:
        data["shared"] = "yes"
    return client.post("/sign-in", data=data, query_string=query)


def home(user):
    return f"/people/{user['id']}/"


def signed_in(client, user):
    return client.get(home(user)).status_code == 200


def session_cookie_header(response):
    return next(h for h in response.headers.getlist("Set-Cookie")
                if h.startswith("talentkaart="))


def age_sessions(store, user, minutes):
    """Make the user's sessions look unused for ``minutes`` (the server keeps the clock)."""
    seen = (datetime.now(UTC) - timedelta(minutes=minutes)).replace(microsecond=0).isoformat()
    store.execute("UPDATE sessions SET seen_at = ? WHERE user_id = ?", [seen, user["id"]])


def copy_of_cookie(app, client):
    """Another browser holding a copy of ``client``'s session cookie (a shared tablet)."""
    thief = app.test_client()
    thief.set_cookie("talentkaart", client.get_cookie("talentkaart").value)
    return thief


def test_shared_device_session_ends_after_the_idle_limit(client, store, refugee):
    response = sign_in(client, refugee, shared=True)
    assert response.status_code == 303
    # A browser session cookie: gone when the browser closes.
    assert "Expires=" not in session_cookie_header(response)
    assert signed_in(client, refugee)
    age_sessions(store, refugee, 31)
    response = client.get(home(refugee))
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert not signed_in(client, refugee)


def test_shared_device_idle_limit_holds_for_a_kept_copy_of_the_cookie(app, client, store,
                                                                     refugee):
    """The next person at the tablet, or whoever copied the cookie: the server says no."""
    sign_in(client, refugee, shared=True)
    thief = copy_of_cookie(app, client)
    assert signed_in(thief, refugee)
    age_sessions(store, refugee, 31)
    assert not signed_in(thief, refugee)
    assert store.session_count(refugee["id"]) == 0


def test_shared_device_session_stays_while_in_use(client, store, refugee):
    sign_in(client, refugee, shared=True)
    age_sessions(store, refugee, 29)
    assert signed_in(client, refugee)
    [row] = store.query("SELECT seen_at FROM sessions")
    seen = row["seen_at"]
    assert datetime.fromisoformat(seen) >= datetime.now(UTC) - timedelta(seconds=5)


def test_shared_device_sign_out_is_explained(client, store, refugee):
    sign_in(client, refugee, shared=True)
    age_sessions(store, refugee, 31)
    html = client.get(home(refugee), follow_redirects=True).get_data(as_text=True)
    assert "You were signed out because the shared device was not used for a while" in html


def test_personal_session_is_permanent(client, store, refugee):
    response = sign_in(client, refugee)
    assert response.status_code == 303
    assert "Expires=" in session_cookie_header(response)
    age_sessions(store, refugee, 7 * 24 * 60)
    assert signed_in(client, refugee)


def test_personal_session_ends_when_its_lifetime_is_over(client, store, refugee):
    sign_in(client, refugee)
    store.execute("UPDATE sessions SET expires_at = ?",
                     [(datetime.now(UTC) - timedelta(seconds=1)).isoformat()])
    assert not signed_in(client, refugee)


def test_changing_the_pin_signs_out_other_sessions(app, client, refugee):
    phone, tablet = client, app.test_client()
    sign_in(phone, refugee)
    sign_in(tablet, refugee)
    response = phone.post("/account/secret", data={
        "csrf_token": csrf_token(phone, "/account/secret"), "current": "482913",
        "secret": "739164", "secret_again": "739164"})
    assert response.status_code == 303
    assert signed_in(phone, refugee)
    response = tablet.get(home(refugee))
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert sign_in(app.test_client(), refugee, "739164").status_code == 303


def test_session_fixation_a_new_session_at_sign_in(client, refugee):
    """What an attacker planted in the session before sign-in does not survive it."""
    csrf_token(client)
    with client.session_transaction() as session:
        session["planted"] = "yes"
    sign_in(client, refugee)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["sid"]


def test_signing_in_again_starts_another_session(app, client, store, refugee):
    """A session id from before sign-in is never the one after it."""
    sign_in(client, refugee)
    first = client.get_cookie("talentkaart").value
    sign_in(client, refugee)
    assert store.session_count(refugee["id"]) == 1  # the first ended with the new sign-in
    assert not signed_in(copy_of_cookie_value(app, first), refugee)


def copy_of_cookie_value(app, value):
    other = app.test_client()
    other.set_cookie("talentkaart", value)
    return other


# -- sign-in limits -------------------------------------------------------------------------


def _message(app, locale, msgid, **params):
    with app.test_request_context(), force_locale(locale):
        return str(escape(gettext(msgid, **params)))


def guess(client, n):
    """A wrong guess at some account (unknown or not: the answer is the same)."""
    return sign_in(client, {"username": f"nobody{n}"}, "000000")


def test_a_whole_centre_signs_in_from_one_address(app, store, location):
    """300 residents behind one public address, all within ten minutes, all get in,
    while someone guessing from that same address is still slowed down."""
    secret_hash = accounts.hash_secret("482913")
    residents = []
    for n in range(300):
        user = {"id": f"00000000-0000-4000-8000-{n:012d}", "username": f"resident{n}",
                "role": "refugee", "display_name": f"Resident {n}", "secret_hash": secret_hash,
                "location_id": location, "locale": "en"}
        store.add_user(user)
        residents.append(user)
    for user in residents:
        phone = app.test_client()  # each on their own phone, all at the same address
        assert sign_in(phone, user).status_code == 303, user["username"]
    guesser = app.test_client()
    answers = [guess(guesser, n).status_code for n in range(accounts.ADDRESS_FAILURE_LIMIT + 5)]
    assert answers[:accounts.ADDRESS_FAILURE_LIMIT] == [422] * accounts.ADDRESS_FAILURE_LIMIT
    assert set(answers[accounts.ADDRESS_FAILURE_LIMIT:]) == {429}


def test_many_failures_from_one_address_slow_it_down(app, client, refugee):
    for n in range(accounts.ADDRESS_FAILURE_LIMIT):
        assert guess(client, n).status_code == 422, n
    phone = app.test_client()  # a new phone, even with the right PIN
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = sign_in(phone, refugee)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many wrong sign-ins from this network. Wait 10 minutes" in html
    assert not signed_in(client, refugee)
    # In the reader's language: the same refusal in Dutch.
    dutch = app.test_client()
    dutch.environ_base["HTTP_ACCEPT_LANGUAGE"] = "nl"
    response = sign_in(dutch, refugee)
    assert response.status_code == 429
    msgid = accounts.TOO_MANY_FROM_HERE[0]
    with app.test_request_context(), force_locale("nl"):
        expected = str(escape(ngettext(msgid.singular, msgid.plural, 10, minutes=10)))
    assert expected in response.get_data(as_text=True)
    assert '<html lang="nl"' in response.get_data(as_text=True)


def test_a_phone_that_signed_in_before_still_gets_in(app, client, refugee):
    """Someone guessing at the centre cannot lock the residents' own phones out."""
    phone = app.test_client()
    assert sign_in(phone, refugee).status_code == 303
    phone.post("/sign-out", data={"csrf_token": csrf_token(phone, home(refugee))})
    for n in range(accounts.ADDRESS_FAILURE_LIMIT):
        guess(client, n)
    assert sign_in(phone, refugee).status_code == 303
    # A forged "known device" cookie counts for nothing.
    forger = app.test_client()
    forger.set_cookie("talentkaart_known", "W10.forged")
    assert sign_in(forger, refugee).status_code == 429


def test_another_address_may_still_sign_in(app, client, refugee):
    for n in range(accounts.ADDRESS_FAILURE_LIMIT + 1):
        guess(client, n)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert sign_in(other, refugee).status_code == 303


def test_behind_a_proxy_the_forwarded_address_counts_only_when_configured(tmp_path, location,
                                                                           store):
    """Without a configured proxy, X-Forwarded-For is a header anyone can write."""
    from pwa import create_app

    def app_with(proxies):
        return create_app({"TESTING": True, "DATABASE": store.path, "SECRET_KEY": "k",
                           "TRUSTED_PROXIES": proxies})

    for proxies, blocked_elsewhere in ((0, True), (1, False)):
        store.execute("DELETE FROM signin_failures")
        app = app_with(proxies)
        client = app.test_client()
        for n in range(accounts.ADDRESS_FAILURE_LIMIT):
            client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.1"
            guess(client, n)
        other = app.test_client()
        other.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"
        assert (guess(other, 0).status_code == 429) is blocked_elsewhere, proxies


def test_account_locks_after_five_wrong_pins(app, client, refugee):
    for _ in range(accounts.LOCK_AFTER_FAILURES):
        response = sign_in(client, refugee, "000000")
        assert response.status_code == 422
        assert "The username or the PIN/passphrase is not right" in response.get_data(
            as_text=True)
    other_device = app.test_client()
    other_device.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for device in (client, other_device):
        response = sign_in(device, refugee)  # the right PIN
        assert response.status_code == 422
        assert not signed_in(device, refugee)


def test_locked_unknown_and_wrong_get_one_answer(app, client, refugee, make_user):
    """Text and status alike: nothing tells that an account exists or is locked."""
    locked_user, _ = make_user("refugee", name="Locked")
    for _ in range(accounts.LOCK_AFTER_FAILURES):
        sign_in(client, locked_user, "000000")
    answers = {
        "wrong": sign_in(client, refugee, "000000"),
        "unknown": sign_in(client, {"username": "nobody"}, "000000"),
        "locked, wrong PIN": sign_in(client, locked_user, "000000"),
        "locked, right PIN": sign_in(client, locked_user),
    }
    message = re.compile(r'<p class="field-error"[^>]*>(.*?)</p>', re.S)
    seen = {(r.status_code, message.search(r.get_data(as_text=True)).group(1))
            for r in answers.values()}
    assert len(seen) == 1, seen
    status, text = seen.pop()
    assert status == 422 and "ask your coach" in text


# -- redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example",
                                    "http:evil.example", "/\t/evil.example",
                                    "\\\\evil.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_to_another_site(client, refugee, target):
    response = sign_in(client, refugee, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == home(refugee)


def test_sign_in_returns_to_the_page_asked_for(client, refugee):
    page = f"{home(refugee)}skills/"
    response = client.get(page)
    assert response.headers["Location"].startswith("/sign-in?next=")
    response = sign_in(client, refugee, next=page)
    assert response.headers["Location"] == page


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example"])
def test_language_choice_never_redirects_to_another_site(client, target):
    response = client.post("/language", data={"locale": "en", "next": target,
                                              "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]


# -- signing out --------------------------------------------------------------------------------


def test_sign_out_needs_post(client, refugee):
    sign_in(client, refugee)
    assert client.get("/sign-out").status_code == 405
    assert signed_in(client, refugee)


def test_sign_out_needs_a_csrf_token(client, refugee):
    """A link or form on another site cannot sign someone out."""
    sign_in(client, refugee)
    assert client.post("/sign-out").status_code == 400
    assert signed_in(client, refugee)


def test_sign_out_with_token_ends_the_session(client, refugee):
    sign_in(client, refugee)
    response = client.post("/sign-out", data={"csrf_token": csrf_token(client, home(refugee))})
    assert response.status_code == 303 and response.headers["Location"] == "/sign-in"
    assert not signed_in(client, refugee)
    assert "You are signed out." in client.get("/sign-in").get_data(as_text=True)


def test_a_copied_session_cookie_opens_nothing_after_sign_out(app, client, refugee):
    """Sign-out ends the session on the server, not only in this browser."""
    sign_in(client, refugee)
    thief = copy_of_cookie(app, client)
    assert signed_in(thief, refugee)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, home(refugee))})
    response = thief.get(home(refugee))
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_sign_out_on_all_my_devices(app, client, store, refugee):
    phone, tablet = client, app.test_client()
    sign_in(phone, refugee)
    sign_in(tablet, refugee)
    page = phone.get("/account/secret").get_data(as_text=True)
    assert "Sign out on all my devices" in page
    response = phone.post("/sign-out-everywhere",
                          data={"csrf_token": csrf_token(phone, "/account/secret")})
    assert response.status_code == 303 and response.headers["Location"] == "/sign-in"
    assert not signed_in(phone, refugee) and not signed_in(tablet, refugee)
    assert store.session_count(refugee["id"]) == 0
    assert "You are signed out on all your devices." in phone.get("/sign-in").get_data(
        as_text=True)


def test_a_coach_signs_a_person_out_everywhere(app, client, store, refugee, make_user):
    """A lost phone: the person's coach ends its session."""
    phone = app.test_client()
    sign_in(phone, refugee)
    coach, _ = make_user("coach", name="Carla")
    sign_in(client, coach)
    review = f"/people/{refugee['id']}/review"
    assert "1 device is signed in to this profile now." in client.get(review).get_data(
        as_text=True)
    response = client.post(f"/people/{refugee['id']}/sign-out-everywhere",
                           data={"csrf_token": csrf_token(client, review)})
    assert response.status_code == 303
    assert not signed_in(phone, refugee)
    assert client.get("/caseload").status_code == 200  # the coach's own session goes on


def test_a_coach_elsewhere_cannot_sign_someone_out(app, client, store, refugee, make_user,
                                                  other_location):
    phone = app.test_client()
    sign_in(phone, refugee)
    coach, _ = make_user("coach", name="Cees", location_ids=[other_location])
    sign_in(client, coach)
    response = client.post(f"/people/{refugee['id']}/sign-out-everywhere",
                           data={"csrf_token": csrf_token(client, "/account/secret")})
    assert response.status_code == 404
    assert signed_in(phone, refugee)


def test_an_admin_signs_staff_out_everywhere_but_not_refugees(app, client, refugee,
                                                              make_user):
    volunteer, _ = make_user("volunteer", name="Vera")
    admin, _ = make_user("admin", name="Adam")
    tablet, phone = app.test_client(), app.test_client()
    sign_in(tablet, volunteer)
    sign_in(phone, refugee)
    sign_in(client, admin)
    token = csrf_token(client, "/admin/staff")
    assert client.post(f"/admin/staff/{refugee['id']}/sign-out",
                       data={"csrf_token": token}).status_code == 404
    assert signed_in(phone, refugee)
    assert client.post(f"/admin/staff/{volunteer['id']}/sign-out",
                       data={"csrf_token": token}).status_code == 303
    assert tablet.get("/caseload").status_code == 302
