"""Security headers, sessions, sign-in limits, redirects and signing out."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
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


def test_shared_device_session_ends_after_the_idle_limit(client, refugee):
    response = sign_in(client, refugee, shared=True)
    assert response.status_code == 303
    # A browser session cookie: gone when the browser closes.
    assert "Expires=" not in session_cookie_header(response)
    assert signed_in(client, refugee)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60
    response = client.get(home(refugee))
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert not signed_in(client, refugee)


def test_shared_device_session_stays_while_in_use(client, refugee):
    sign_in(client, refugee, shared=True)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 29 * 60
    assert signed_in(client, refugee)
    with client.session_transaction() as session:
        assert session["seen"] >= int(time.time()) - 5


def test_shared_device_sign_out_is_explained(client, refugee):
    sign_in(client, refugee, shared=True)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60
    html = client.get(home(refugee), follow_redirects=True).get_data(as_text=True)
    assert "You were signed out because the shared device was not used for a while" in html


def test_personal_session_is_permanent(client, refugee):
    response = sign_in(client, refugee)
    assert response.status_code == 303
    assert "Expires=" in session_cookie_header(response)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 7 * 24 * 3600
    assert signed_in(client, refugee)


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
        assert session["uid"] == refugee["id"]


# -- sign-in limits -------------------------------------------------------------------------


def _message(app, locale, msgid, **params):
    with app.test_request_context(), force_locale(locale):
        return str(escape(gettext(msgid, **params)))


def test_twenty_first_attempt_from_one_address_is_refused(app, client, refugee):
    for n in range(accounts.ADDRESS_LIMIT):
        response = sign_in(client, {"username": f"nobody{n}"}, "000000")
        assert response.status_code == 422, n
    response = sign_in(client, refugee)  # even the right PIN
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many attempts from this device. Wait 10 minutes and try again" in html
    assert not signed_in(client, refugee)
    # In the reader's language: the same refusal in Dutch.
    dutch = client.post("/sign-in", headers={"Accept-Language": "nl"}, data={
        "username": refugee["username"], "secret": "482913",
        "csrf_token": csrf_token(client)})
    assert dutch.status_code == 429
    assert _message(app, "nl", "Too many attempts from this device. Wait %(minutes)s "
                    "minutes and try again", minutes=10) in dutch.get_data(as_text=True)
    assert '<html lang="nl"' in dutch.get_data(as_text=True)


def test_another_address_may_still_sign_in(app, client, refugee):
    for n in range(accounts.ADDRESS_LIMIT + 1):
        sign_in(client, {"username": f"nobody{n}"}, "000000")
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert sign_in(other, refugee).status_code == 303


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
        assert "This account is locked for a while" in response.get_data(as_text=True)
        assert not signed_in(device, refugee)


def test_wrong_pin_and_unknown_user_get_the_same_answer(client, refugee):
    wrong = sign_in(client, refugee, "000000").get_data(as_text=True)
    unknown = sign_in(client, {"username": "nobody"}, "000000").get_data(as_text=True)
    message = "The username or the PIN/passphrase is not right"
    assert message in wrong and message in unknown


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
