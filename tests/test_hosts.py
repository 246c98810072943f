"""The app answers only its own host names and builds links from its public address.

Before, the handover link and its QR code showed whatever Host the request
claimed, and the sync API compared Origin with that same Host, so a page on a
rebinding domain passed the check.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from pwa import create_app, hosts
from tests.conftest import csrf_token
from tests.test_sync_api import SYNC, goal_op

PUBLIC = "https://talentkaart.example.org"


class AtThePublicAddress(FlaskClient):
    """A browser that opened the app at its public address."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", PUBLIC)
        # Over HTTPS, Flask-WTF wants a same-site Referer (browsers send it: same-origin).
        kwargs.setdefault("headers", {}).setdefault("Referer", PUBLIC + "/")
        return super().open(*args, **kwargs)


@pytest.fixture
def public_app(tmp_path):
    return create_app({"TESTING": True, "DATABASE": str(tmp_path / "t.sqlite3"),
                       "SECRET_KEY": "k", "PUBLIC_URL": PUBLIC + "/"})


def volunteer_client(app, store_path, location="loc"):
    from sync import accounts
    from sync.store import Store

    store = Store(store_path)
    store.add_location(location, "AZC Ter Apel", "azc")
    volunteer = accounts.create_user(store, role="volunteer", username="vera",
                                     display_name="Vera", secret="482913",
                                     location_ids=[location])
    store.close()
    app.test_client_class = AtThePublicAddress
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = csrf_token(client)
    response = client.post("/sign-in", data={"username": "vera", "secret": "482913",
                                             "csrf_token": token})
    assert response.status_code == 303
    return client, volunteer


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "127.0.0.2",
                                  "talentkaart.example.org.evil.example"])
def test_an_unknown_host_is_refused_before_anything_else(client, host):
    for response in (client.get("/sign-in", headers={"Host": host}),
                     client.post("/sync/push", json={}, headers={"Host": host, **SYNC}),
                     client.post("/sign-in", headers={"Host": host})):
        assert response.status_code == 400
        assert response.mimetype == "text/plain"
        assert "This address is not the address of this Talentkaart" in response.get_data(
            as_text=True)


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:8080"])
def test_this_machines_own_names_are_answered_by_default(client, host):
    assert client.get("/sign-in", headers={"Host": host}).status_code == 200


def test_with_a_public_url_only_its_host_is_answered(public_app):
    client = public_app.test_client()
    assert client.get("/sign-in", headers={"Host": "talentkaart.example.org"}).status_code == 200
    assert client.get("/sign-in", headers={"Host": "localhost"}).status_code == 400


def test_the_handover_link_uses_the_public_url_whatever_the_host_header(public_app, tmp_path):
    client, _ = volunteer_client(public_app, public_app.config["DATABASE"])
    token = csrf_token(client, "/people/new")
    response = client.post("/people/new", data={
        "csrf_token": token, "display_name": "Amina", "username": "amina",
        "location_id": "loc", "locale": "en"},
        headers={"X-Forwarded-Host": "evil.example"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    links = re.findall(r'https?://[^"<\s]+/welcome/[A-Z0-9]+', html)
    assert links and all(link.startswith(PUBLIC + "/welcome/") for link in links)
    assert "evil.example" not in html


def test_sync_origin_is_checked_against_the_public_address(public_app):
    client, volunteer = volunteer_client(public_app, public_app.config["DATABASE"])
    body = {"operations": []}
    good = client.post("/sync/push", json=body, headers={**SYNC, "Origin": PUBLIC})
    assert good.status_code == 200
    for origin in ("https://evil.example", "http://talentkaart.example.org",
                   "https://talentkaart.example.org:8443"):
        response = client.post("/sync/push", json=body, headers={**SYNC, "Origin": origin})
        assert response.status_code == 403, origin


def test_a_rebinding_page_cannot_push(client, make_user, login):
    """evil.example resolving to 127.0.0.1 sends Host and Origin evil.example."""
    user, _ = make_user("refugee")
    login(user)
    response = client.post("/sync/push", json={"operations": [goal_op(user["id"])]},
                           headers={**SYNC, "Host": "evil.example",
                                    "Origin": "http://evil.example"})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["talentkaart.example.org", "ftp://x.example",
                                   "https://x.example/path", "https://user@x.example",
                                   "https://x.example:99999", "https://"])
def test_a_public_url_that_cannot_work_is_refused_at_start(tmp_path, value):
    with pytest.raises(hosts.ConfigError):
        create_app({"TESTING": True, "DATABASE": str(tmp_path / "t.sqlite3"),
                    "SECRET_KEY": "k", "PUBLIC_URL": value})


@pytest.mark.parametrize("value", [-1, 6, "two", True, 1.5])
def test_a_proxy_count_that_cannot_work_is_refused_at_start(tmp_path, value):
    with pytest.raises(hosts.ConfigError):
        create_app({"TESTING": True, "DATABASE": str(tmp_path / "t.sqlite3"),
                    "SECRET_KEY": "k", "TRUSTED_PROXIES": value})


def test_serve_explains_how_to_open_it_from_other_phones(app, monkeypatch):
    from pwa import server
    from pwa.cli import cli

    monkeypatch.setattr(server, "serve", lambda *a, **k: None)
    result = app.test_cli_runner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert "--public-url" in result.output
    result = app.test_cli_runner().invoke(cli, ["serve", "--public-url", "not a url"])
    assert result.exit_code == 2 and "PUBLIC_URL must look like" in result.output
