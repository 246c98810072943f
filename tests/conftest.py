"""Fixtures used everywhere: a real app on a real database, SQLite file or PostgreSQL."""

from __future__ import annotations

import re

import pytest

from pwa import create_app
from sync import accounts, clock
from sync.files import FileStore
from sync.store import Store
from tests.databases import BACKENDS, PostgreSQLServer
from tests.today import TODAY


def pytest_addoption(parser):
    parser.addoption("--backend", choices=[*BACKENDS, "both"], default="both",
                     help="the database the store's tests run on (default: both)")


def pytest_generate_tests(metafunc):
    # Every test that reaches a database runs once per backend; grouped by backend.
    # A test of what only SQLite has (its file, backups, Litestream) is marked sqlite_only.
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("backend")
        backends = [b for b in BACKENDS if chosen in (b, "both")]
        if metafunc.definition.get_closest_marker("sqlite_only"):
            backends = [b for b in backends if b == "sqlite"]
        metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(scope="session", autouse=True)
def one_day():
    """Hold the app's day to the run's day (see tests/today.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "today", lambda: TODAY)
        yield


@pytest.fixture(scope="session")
def backend(request):
    """``sqlite`` or ``postgresql``."""
    return request.param


@pytest.fixture(scope="session")
def postgresql_server(request):
    """One PostgreSQL server for the run (started only when a test needs it)."""
    if request.config.getoption("backend") == "sqlite":
        pytest.skip("--backend sqlite")
    server = PostgreSQLServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def make_database(backend, request, tmp_path_factory):
    """Make a new, empty database of the backend: a SQLite path or a PostgreSQL URL."""
    if backend == "postgresql":
        return request.getfixturevalue("postgresql_server").new_database
    return lambda: str(tmp_path_factory.mktemp("db") / "talentkaart.sqlite3")


@pytest.fixture
def database(make_database, backend, request):
    """A new, empty database for one test (a PostgreSQL schema is dropped after it)."""
    target = make_database()
    yield target
    if backend == "postgresql":
        request.getfixturevalue("postgresql_server").drop(target)


@pytest.fixture
def app(database, tmp_path):
    """The real app on a fresh database and file folder; CSRF on, as in production."""
    app = create_app({"TESTING": True, "DATABASE": database, "SECRET_KEY": "test-secret",
                      "FILES_DIR": str(tmp_path / "files")})
    yield app


@pytest.fixture
def client(app):
    """A test client that keeps cookies and reads English (the msgids), unless told otherwise."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def file_store(app):
    """The app's folder of people's photos and documents."""
    return FileStore(app.config["FILES_DIR"])


@pytest.fixture
def store(app):
    """Direct access to the app's database."""
    store = Store(app.config["DATABASE"])
    yield store
    store.close()


@pytest.fixture
def location(store):
    """An asylum centre to put people in."""
    store.add_location("loc-ter-apel", "AZC Ter Apel", "azc")
    return "loc-ter-apel"


@pytest.fixture
def other_location(store):
    """A second place, whose people the first place's staff must not see."""
    store.add_location("loc-utrecht", "Gemeente Utrecht", "municipality")
    return "loc-utrecht"


@pytest.fixture
def make_user(store, location):
    """Create a user of a role; returns (user dict, secret)."""
    counter = iter(range(1000))

    def make(role, *, location_id=None, location_ids=None, name=None, secret="482913",
             locale="en"):
        n = next(counter)
        username = f"{role}{n}"
        user_id = accounts.create_user(
            store, role=role, username=username, display_name=name or f"{role.title()} {n}",
            secret=secret,
            location_id=(location_id or location) if role == "refugee" else None,
            location_ids=(location_ids or [location]) if role in ("volunteer", "coach") else [],
            locale=locale)
        return store.user(user_id), secret

    return make


def csrf_token(client, path="/sign-in"):
    """The CSRF token from a page's form, as a browser would have it."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def login(client):
    """Sign a user in through the real sign-in form."""

    def do(user, secret="482913", test_client=None):
        c = test_client or client
        token = csrf_token(c)
        response = c.post("/sign-in", data={"username": user["username"], "secret": secret,
                                            "csrf_token": token})
        assert response.status_code == 303, response.get_data(as_text=True)
        return c

    return do
