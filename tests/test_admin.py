"""Administration: places, staff accounts and work-rule versions."""

from __future__ import annotations

import re

import pytest


def token(client, path="/admin/"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def admin(make_user, login, client):
    user, secret = make_user("admin")
    login(user, secret)
    return user


def test_admin_start_page_links_to_everything(admin, client):
    html = client.get("/admin/").get_data(as_text=True)
    for path in ("/admin/locations", "/admin/staff", "/admin/work-rules"):
        assert f'href="{path}"' in html


@pytest.mark.parametrize("role", ["refugee", "volunteer", "coach"])
def test_only_admins_may_administer(make_user, login, client, role):
    user, secret = make_user(role)
    login(user, secret)
    for path in ("/admin/", "/admin/locations", "/admin/staff", "/admin/work-rules/new"):
        assert client.get(path).status_code == 403


def test_admins_do_not_see_profiles(admin, client, make_user):
    refugee, _ = make_user("refugee")
    for path in ("/", "/review", "/talent-card"):
        assert client.get(f"/people/{refugee['id']}{path}").status_code == 403


def test_add_a_place(admin, client, store):
    response = client.post("/admin/locations", data={
        "name": "  Gemeente   Utrecht ", "kind": "municipality", "csrf_token": token(client)})
    assert response.status_code == 303
    assert ("Gemeente Utrecht", "municipality") in [(p["name"], p["kind"])
                                                    for p in store.locations()]


@pytest.mark.parametrize("name, kind, message", [
    ("", "azc", "Enter a name"),
    ("x" * 121, "azc", "Use at most 120 characters"),
    ("AZC Budel", "hotel", "Choose one"),
])
def test_bad_places_are_refused(admin, client, store, name, kind, message):
    response = client.post("/admin/locations", data={
        "name": name, "kind": kind, "csrf_token": token(client)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert [p["name"] for p in store.locations()] == ["AZC Ter Apel"]


def test_rename_a_place(admin, client, store, location):
    response = client.post(f"/admin/locations/{location}", data={
        "name": "AZC Ter Apel (Oost)", "kind": "azc", "csrf_token": token(client)})
    assert response.status_code == 303
    assert store.location(location)["name"] == "AZC Ter Apel (Oost)"
    assert client.get("/admin/locations/nope").status_code == 404


def test_create_a_coach(admin, client, store, location):
    response = client.post("/admin/staff/new", data={
        "role": "coach", "username": "mirjam", "display_name": "Mirjam Bakker",
        "secret": "a long passphrase", "location_ids": [location],
        "csrf_token": token(client)})
    assert response.status_code == 303
    user = store.user_by_username("mirjam")
    assert user["role"] == "coach" and store.staff_location_ids(user["id"]) == [location]
    assert "Mirjam Bakker" in client.get("/admin/staff").get_data(as_text=True)


@pytest.mark.parametrize("form, message", [
    ({"role": "refugee"}, "Choose a role"),
    ({"secret": "123"}, "A PIN needs at least 6 digits"),
    ({"location_ids": []}, "Choose at least one place"),
    ({"username": "x"}, "Use 3 to 32 letters"),
])
def test_bad_staff_accounts_are_refused(admin, client, store, location, form, message):
    data = {"role": "volunteer", "username": "joost", "display_name": "Joost",
            "secret": "a long passphrase", "location_ids": [location], **form}
    response = client.post("/admin/staff/new", data={**data, "csrf_token": token(client)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert store.user_by_username("joost") is None


def test_rule_versions_are_listed(admin, client):
    html = client.get("/admin/work-rules").get_data(as_text=True)
    assert "ECLI:NL:RVS:2023:4426" in html


def test_add_a_draft_rule_version_and_activate_it(admin, client, store):
    response = client.post("/admin/work-rules/new", data={
        "kind": "paid", "effective_from": "2027-01-01", "status": "draft", "allowed": "yes",
        "requires_twv": "yes", "waiting_months": "3", "source": "Staatsblad 2026, 123",
        "csrf_token": token(client)})
    assert response.status_code == 303
    rule = next(r for r in store.work_rules() if r["effective_from"] == "2027-01-01")
    assert (rule["status"], rule["waiting_months"]) == ("draft", 3)
    client.post(f"/admin/work-rules/{rule['id']}/status",
                data={"status": "active", "csrf_token": token(client)})
    assert next(r for r in store.work_rules() if r["id"] == rule["id"])["status"] == "active"
    client.post(f"/admin/work-rules/{rule['id']}/status",
                data={"status": "retired", "csrf_token": token(client)})
    assert next(r for r in store.work_rules() if r["id"] == rule["id"])["status"] == "retired"


def test_bad_rule_versions_are_refused(admin, client, store):
    before = len(store.work_rules())
    response = client.post("/admin/work-rules/new", data={
        "kind": "paid", "effective_from": "2026-02-30", "status": "active", "allowed": "yes",
        "requires_twv": "yes", "source": "", "csrf_token": token(client)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a date like 2026-03-31" in html and "Enter the source" in html
    assert len(store.work_rules()) == before


def test_unknown_rule_or_status_is_refused(admin, client, store):
    rule_id = store.work_rules()[0]["id"]
    assert client.post(f"/admin/work-rules/{rule_id}/status", data={
        "status": "deleted", "csrf_token": token(client)}).status_code == 400
    assert client.post("/admin/work-rules/nope/status", data={
        "status": "active", "csrf_token": token(client)}).status_code == 404
