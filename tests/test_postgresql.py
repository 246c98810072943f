"""Moving to PostgreSQL, and what differs there: the copy command, status, backups.

The copy is checked twice: by the command's own verification, and here, table by
table, against the SQLite original. Then the app runs on the copy as it ran on
the file: the same people sign in, and new changes continue the numbering.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pwa import create_app
from pwa.cli import cli
from pwa.hosts import ConfigError
from sync import accounts, backups, protocol, transfer
from sync.demo import load_demo
from sync.store import Store, open_store, shown
from sync.write import Actor, new_id
from tests.conftest import csrf_token


@pytest.fixture
def original(tmp_path):
    """A SQLite database in use: demo profiles, a push, failed sign-ins, a session."""
    path = tmp_path / "talentkaart.sqlite3"
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "k", "TESTING": True})
    store = Store(path)
    load_demo(store)
    tesfay = store.user_by_username("tesfay")
    protocol.push(store, Actor(tesfay["id"], "refugee"), [
        {"op_id": new_id(), "person_id": tesfay["id"], "record_type": "volunteer",
         "record_id": new_id(), "action": "put", "base_revision": 0,
         "fields": {"date": f"2026-11-{day:02d}", "organisation": "Voedselbank",
                    "activity": "Sorting food", "hours": 2.5}} for day in range(1, 6)])
    with pytest.raises(accounts.SignInFailed):
        accounts.sign_in(store, "tesfay", "wrong", address="10.0.0.1")
    client = app.test_client()
    client.post("/sign-in", data={"username": "tesfay", "secret": "739184",
                                  "csrf_token": csrf_token(client)})
    yield path, store
    store.close()


def copy(sqlite_path, url):
    return CliRunner().invoke(cli, ["copy-to-postgresql", url],
                              env={"TALENTKAART_DATABASE": str(sqlite_path)})


def rows(store, table):
    return sorted((tuple(sorted(r.items())) for r in store.query(f"SELECT * FROM {table}")),
                  key=repr)


def test_the_copy_holds_every_row_and_the_app_goes_on_there(original, postgresql_server):
    path, store = original
    url = postgresql_server.new_database()
    result = copy(path, url)
    assert result.exit_code == 0, result.output
    assert "checked every row" in result.output
    copied = Store(url)
    try:
        for table in transfer.TABLES:
            if table != "stamps":
                assert rows(copied, table) == rows(store, table), table
        assert copied.count("records") > 10 and copied.count("sessions") == 1
        last = store.last_seq()
        assert copied.last_seq() == last
        # New changes continue the numbering, so no phone's cursor is ahead of them.
        tesfay = copied.user_by_username("tesfay")
        goal = new_id()
        protocol.push(copied, Actor(tesfay["id"], "refugee"), [
            {"op_id": new_id(), "person_id": tesfay["id"], "record_type": "goal",
             "record_id": goal, "action": "put", "base_revision": 0,
             "fields": {"title": "Nurse"}}])
        assert copied.last_seq() == last + 1
    finally:
        copied.close()
    app = create_app({"DATABASE": url, "SECRET_KEY": "k", "TESTING": True})
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post("/sign-in", data={"username": "tesfay", "secret": "739184",
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert "Tesfay Gebremichael" in client.get(f"/people/{tesfay['id']}/").get_data(as_text=True)
    pulled = client.get(f"/sync/pull?person={tesfay['id']}&since=0",
                        headers={"X-Talentkaart-Sync": "1"}).get_json()
    assert {r["id"] for r in pulled["records"]} == {
        r["id"] for r in store.records(tesfay["id"], include_deleted=True)} | {goal}


def test_the_copy_goes_only_into_an_empty_database(original, postgresql_server):
    path, _ = original
    url = postgresql_server.new_database()
    assert copy(path, url).exit_code == 0
    again = copy(path, url)
    assert again.exit_code == 1
    assert "is not empty" in again.output


def test_the_copy_waits_for_the_server_to_stop(original, postgresql_server):
    path, _ = original
    lock = backups.ServingLock(path)
    assert lock.acquire(alone=False)  # as talentkaart serve holds it
    try:
        result = copy(path, postgresql_server.new_database())
    finally:
        lock.release()
    assert result.exit_code == 1
    assert "stop it first" in result.output


@pytest.mark.parametrize("url", ["/tmp/other.sqlite3", "mysql://db/talentkaart", ""])
def test_the_copy_needs_a_postgresql_url(original, url):
    path, _ = original
    result = copy(path, url)
    assert result.exit_code == 1
    assert "postgresql://" in result.output


def test_an_unreachable_server_is_said_without_its_password(original, tmp_path):
    path, _ = original
    result = copy(path, f"postgresql://tk:s3cret@/x?host={tmp_path}/nowhere")
    assert result.exit_code == 1
    assert "cannot be reached" in result.output
    assert "s3cret" not in result.output


def test_the_check_sees_a_row_that_differs(original, postgresql_server):
    path, store = original
    url = postgresql_server.new_database()
    assert copy(path, url).exit_code == 0
    copied = Store(url)
    try:
        assert transfer.verify_copy(store, copied).last_change == store.last_seq()
        copied.execute("UPDATE records SET revision = revision + 1 WHERE id ="
                       " (SELECT min(id) FROM records)")
        with pytest.raises(transfer.TransferError, match="records"):
            transfer.verify_copy(store, copied)
    finally:
        copied.close()


def test_status_tells_a_postgresql_database_and_hides_the_password(postgresql_server):
    url = postgresql_server.new_database()
    store = open_store(url)
    store.add_location("loc-a", "AZC A", "azc")
    accounts.create_user(store, role="refugee", username="tesfay", display_name="Amina",
                         location_id="loc-a")
    store.close()
    with_password = url.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    if with_password == url:
        pytest.skip("the server's URL has no user part to add a password to")
    result = CliRunner().invoke(cli, ["status"], env={"TALENTKAART_DATABASE": with_password})
    assert result.exit_code == 0, result.output
    assert "PostgreSQL" in result.output and "1 accounts" in result.output
    assert "s3cret" not in result.output and "***" in result.output


def test_shown_hides_only_the_password():
    assert shown("postgresql://tk:pw@db.example:5432/tk") == "postgresql://tk:***@db.example:5432/tk"
    assert shown("postgresql://tk@db/tk") == "postgresql://tk@db/tk"
    assert shown("/var/lib/talentkaart.sqlite3") == "/var/lib/talentkaart.sqlite3"


def test_backup_and_restore_point_to_postgresql_own_tools(postgresql_server, tmp_path):
    url = postgresql_server.new_database()
    app = create_app({"DATABASE": url, "SECRET_KEY": "k", "TESTING": True})
    result = app.test_cli_runner().invoke(cli, ["backup", str(tmp_path / "b.sqlite3")])
    assert result.exit_code == 1 and "pg_dump" in result.output
    backup_file = tmp_path / "backup.sqlite3"
    open_store(backup_file).close()
    result = CliRunner().invoke(cli, ["restore", "--from-backup", str(backup_file)],
                                env={"TALENTKAART_DATABASE": url})
    assert result.exit_code == 1 and "pg_restore" in result.output


def test_litestream_is_not_offered_for_postgresql(postgresql_server, tmp_path):
    with pytest.raises(ConfigError, match="standby"):
        create_app({"DATABASE": postgresql_server.new_database(), "SECRET_KEY": "k",
                    "REPLICA": (tmp_path / "replica").as_uri()})


def test_the_admin_page_says_postgresql_keeps_the_copies(postgresql_server):
    url = postgresql_server.new_database()
    app = create_app({"DATABASE": url, "SECRET_KEY": "k", "TESTING": True})
    store = Store(url)
    accounts.create_user(store, role="admin", username="admin", display_name="Admin",
                         secret="admin passphrase", locale="en")
    store.close()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/sign-in", data={"username": "admin", "secret": "admin passphrase",
                                  "csrf_token": csrf_token(client)})
    page = client.get("/admin/").get_data(as_text=True)
    assert "Its copies (a standby server and backups) are made by PostgreSQL" in page
    assert "There is no continuous copy" not in page


def test_writers_queue_on_postgresql(postgresql_server):
    """A second writing transaction waits for the first: change numbers keep their order."""
    url = postgresql_server.new_database()
    first, second = open_store(url), Store(url)
    try:
        with first.transaction():
            second.sql.conn.execute("SET lock_timeout = '200ms'")
            with pytest.raises(Exception, match="lock timeout"):
                with second.transaction():
                    pass
        with second.transaction():  # free again once the first has committed
            pass
    finally:
        first.close()
        second.close()


def test_a_server_thread_reconnects_after_the_database_went_away(postgresql_server, client_on):
    """A restarted or failed-over PostgreSQL breaks every open connection: the request
    that meets it fails, and the next one on that thread opens a new connection."""
    url = postgresql_server.new_database()
    client, person = client_on(url)
    assert client.get(f"/people/{person}/").status_code == 200
    from pwa import db

    store = db._connections.store
    postgresql_server.admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = %s",
        [store.sql.conn.info.backend_pid])
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    client.get(f"/people/{person}/")  # meets the broken connection (an error page)
    assert not store.usable
    assert client.get(f"/people/{person}/").status_code == 200
    assert db._connections.store is not store


@pytest.fixture
def client_on():
    """A signed-in refugee's test client on an app using ``url``."""
    def make(url):
        app = create_app({"DATABASE": url, "SECRET_KEY": "k", "TESTING": True})
        store = Store(url)
        store.add_location("loc-a", "AZC A", "azc")
        person = accounts.create_user(store, role="refugee", username="amina",
                                      display_name="Amina", secret="482913",
                                      location_id="loc-a", locale="en")
        store.close()
        client = app.test_client()
        response = client.post("/sign-in", data={"username": "amina", "secret": "482913",
                                                 "csrf_token": csrf_token(client)})
        assert response.status_code == 303
        return client, person
    return make


def test_a_write_failing_inside_a_pipelined_batch_undoes_the_batch(postgresql_server):
    """On PostgreSQL a push travels pipelined (writes go with the next read). A write the
    database refuses still fails the batch it is in, as one transaction, and the
    connection goes on working."""
    url = postgresql_server.new_database()
    store = open_store(url)
    store.add_location("loc-a", "AZC A", "azc")
    person = accounts.create_user(store, role="refugee", username="amina",
                                  display_name="Amina", location_id="loc-a")
    store.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                  " IF NEW.data LIKE '%Refused%' THEN RAISE EXCEPTION 'refused here';"
                  " END IF; RETURN NEW; END $$")
    store.execute("CREATE TRIGGER refuse BEFORE INSERT ON records FOR EACH ROW"
                  " EXECUTE FUNCTION refuse()")

    def goal(title):
        return {"op_id": new_id(), "person_id": person, "record_type": "goal",
                "record_id": new_id(), "action": "put", "base_revision": 0,
                "fields": {"title": title}}

    before = store.last_seq()
    with pytest.raises(Exception, match="refused here"):
        protocol.push(store, Actor(person, "refugee"),
                      [goal("Nurse"), goal("Refused"), goal("Welder")])
    assert store.count("records") == 0 and store.last_seq() == before
    assert not store.in_transaction
    results = protocol.push(store, Actor(person, "refugee"), [goal("Nurse"), goal("Welder")])
    assert [r["status"] for r in results] == ["applied", "applied"]
    store.close()
