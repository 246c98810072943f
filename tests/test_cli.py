"""The talentkaart command."""

from __future__ import annotations

import sqlite3

import pytest

from pwa.cli import cli


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_every_command_is_documented():
    for name, command in cli.commands.items():
        assert command.help or command.short_help, name


def test_demo_fills_the_database_once(runner, store):
    first = runner.invoke(cli, ["demo"])
    assert first.exit_code == 0, first.output
    assert "coach" in first.output and "demo-coach-2026" in first.output
    counts = (len(store.users()), len(store.locations()))
    records = len(store.records(store.user_by_username("tesfay")["id"]))
    second = runner.invoke(cli, ["demo"])
    assert second.exit_code == 0 and "demo-coach-2026" in second.output
    assert (len(store.users()), len(store.locations())) == counts == (6, 2)
    assert len(store.records(store.user_by_username("tesfay")["id"])) == records


def test_demo_profiles_were_entered_by_the_volunteer(runner, store):
    runner.invoke(cli, ["demo"])
    volunteer = store.user_by_username("vrijwilliger")
    tesfay = store.user_by_username("tesfay")
    skills = store.records(tesfay["id"], "skill")
    assert skills and all(r["created_by"] == volunteer["id"] for r in skills)
    comments = store.records(tesfay["id"], "comment")
    assert comments[0]["created_by"] == store.user_by_username("coach")["id"]


@pytest.mark.sqlite_only
def test_backup_makes_a_readable_copy(runner, store, tmp_path):
    runner.invoke(cli, ["demo"])
    target = tmp_path / "copy.sqlite3"
    result = runner.invoke(cli, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM users").fetchone()[0] == 6
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.sqlite_only
def test_backup_does_not_overwrite_without_force(runner, tmp_path):
    target = tmp_path / "copy.sqlite3"
    target.write_text("precious")
    result = runner.invoke(cli, ["backup", str(target)])
    assert result.exit_code == 1 and "--force" in result.output
    assert target.read_text() == "precious"
    assert runner.invoke(cli, ["backup", "--force", str(target)]).exit_code == 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM locations").fetchone()[0] == 0


def test_create_location_and_user(runner, store):
    result = runner.invoke(cli, ["create-location", "--name", "AZC Budel", "--kind", "azc"])
    assert result.exit_code == 0, result.output
    location_id = result.output.strip()
    assert store.location(location_id)["name"] == "AZC Budel"
    result = runner.invoke(cli, ["create-user", "--role", "coach", "--username", "Mirjam",
                                 "--name", "Mirjam Bakker", "--location", location_id,
                                 "--secret-stdin"], input="a long passphrase\n")
    assert result.exit_code == 0, result.output
    user = store.user_by_username("mirjam")
    assert store.staff_location_ids(user["id"]) == [location_id]


def test_create_user_asks_for_the_secret_twice(runner, store):
    result = runner.invoke(cli, ["create-user", "--role", "admin", "--username", "anne",
                                 "--name", "Anne"], input="a long passphrase\na long passphrase\n")
    assert result.exit_code == 0, result.output
    assert store.user_by_username("anne")["role"] == "admin"


@pytest.mark.parametrize("args, secret, message", [
    (["--role", "admin", "--username", "x", "--name", "Anne"], "a long passphrase",
     "username"),
    (["--role", "admin", "--username", "anne", "--name", "Anne"], "123", "6 digits"),
    (["--role", "coach", "--username", "anne", "--name", "Anne", "--location", "nope"],
     "a long passphrase", "Choose at least one place"),
    (["--role", "refugee", "--username", "anne", "--name", "Anne"], "482913", "location"),
    (["--role", "boss", "--username", "anne", "--name", "Anne"], "482913", "boss"),
])
def test_create_user_with_bad_input_exits_1(runner, store, args, secret, message):
    result = runner.invoke(cli, ["create-user", *args, "--secret-stdin"], input=secret + "\n")
    assert result.exit_code in (1, 2) if "boss" in args else result.exit_code == 1
    assert message in result.output
    assert store.user_by_username("anne") is None


@pytest.mark.parametrize("args", [
    ["create-location", "--name", "", "--kind", "azc"],
    ["create-location", "--name", "x" * 121, "--kind", "azc"],
])
def test_create_location_with_bad_input_exits_1(runner, args):
    assert runner.invoke(cli, args).exit_code == 1


def test_serve_refuses_a_bad_port(runner):
    result = runner.invoke(cli, ["serve", "--port", "70000"])
    assert result.exit_code == 2 and "70000" in result.output


@pytest.mark.parametrize("value", ["0", "-5", "many", "100001"])
def test_serve_refuses_a_bad_connection_limit(runner, value):
    result = runner.invoke(cli, ["serve", "--connections", value])
    assert result.exit_code == 2 and "--connections" in result.output


def test_serve_with_demo_fills_an_empty_database_then_serves(runner, store, monkeypatch):
    from pwa import server

    served = {}
    # Waitress itself is not under test: record what it would serve instead of blocking.
    monkeypatch.setattr(server, "serve", lambda app, **options: served.update(options))
    result = runner.invoke(cli, ["serve", "--demo", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert "coach" in result.output and "demo-coach-2026" in result.output
    assert served == {"host": "127.0.0.1", "port": 5099, "threads": 8, "queue": 64,
                      "connections": 1000}
    assert store.user_by_username("coach")["role"] == "coach"


def test_serve_on_an_empty_database_says_how_to_get_an_account(runner, monkeypatch):
    from pwa import server

    monkeypatch.setattr(server, "serve", lambda app, **options: None)
    result = runner.invoke(cli, ["serve"])
    assert "No accounts yet" in result.output


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_serve_refuses_any_port_out_of_range(runner, port):
    result = runner.invoke(cli, ["serve", "--port", port])
    assert result.exit_code == 2
