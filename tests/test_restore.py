"""A lost database comes back: from Litestream's replica, or from a backup file.

The real ``talentkaart serve`` runs with a replica in a folder; a phone pushes its
outbox; the server is killed with SIGKILL and the database file deleted, as a
dead disk would. ``talentkaart restore`` brings back every acknowledged
operation. A restore checks what it would put in place and refuses a damaged or
foreign file, and a database a server still has open.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync import accounts
from sync.backups import verify
from sync.replica import Replication
from sync.store import open_store
from tests.test_sync_crash import SECRET, Server, _talentkaart, make_outbox, push_round, sign_in

# Backups, restores and Litestream are SQLite's; PostgreSQL brings its own (README).
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def site(tmp_path):
    """A database with Amina, and the settings of a server that replicates it."""
    database = tmp_path / "data" / "talentkaart.sqlite3"
    store = open_store(database)
    store.add_location("loc-a", "AZC A", "azc")
    person = accounts.create_user(store, role="refugee", username="amina",
                                  display_name="Amina", secret=SECRET, location_id="loc-a")
    store.close()
    env = {"TALENTKAART_REPLICA": str(tmp_path / "replica")}
    return {"database": database, "person": person, "env": env, "tmp": tmp_path}


def talentkaart(site, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TALENTKAART_DATABASE": str(site["database"]),
           "TALENTKAART_SECRET_KEY": "crash-test-secret", **site["env"]}
    return subprocess.run([_talentkaart(), *args], env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=120, check=False)


def push(server: Server, ops: list[dict]) -> set[str]:
    """Push an outbox to the running server; the operations it acknowledged."""
    results = push_round(server, sign_in(server, "amina"), ops, None, set())
    assert len(results) == len(ops) and set(results.values()) == {"applied"}, results
    return set(results)


def litestream_pid(database: Path) -> int:
    return int(database.with_name(database.name + ".litestream.pid").read_text())


def wait_gone(pid: int, timeout: float = 30) -> None:
    """Wait until the process has ended (reaped by whoever adopted it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} still runs")


def kill_server(server: Server) -> None:
    """SIGKILL the server; its Litestream, told by the kernel, sends the rest and ends."""
    pid = litestream_pid(server.database)
    server.kill()
    wait_gone(pid)


def lose_disk(database: Path) -> None:
    for end in ("", "-wal", "-shm"):
        Path(f"{database}{end}").unlink(missing_ok=True)


def content(database: Path) -> list[str]:
    """Everything a database holds, as SQL."""
    conn = sqlite3.connect(database)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def stored_ops(database: Path) -> set[str]:
    verify(database)  # whole, and a schema this version reads
    conn = sqlite3.connect(database)
    try:
        return {row[0] for row in conn.execute("SELECT op_id FROM operations")}
    finally:
        conn.close()


def serve_push_and_kill(server: Server, ops: list[dict]) -> set[str]:
    """Start the server, push an outbox, SIGKILL it; the operations acknowledged."""
    server.start()
    acknowledged = push(server, ops)
    kill_server(server)
    return acknowledged


def test_a_lost_disk_loses_no_acknowledged_change(site):
    ops = make_outbox(site["person"], 120)[0]
    server = Server(site["database"], site["tmp"] / "server.log", site["env"])
    try:
        acknowledged = serve_push_and_kill(server, ops[:60])
        lose_disk(site["database"])

        done = talentkaart(site, "restore", "--from-replica")
        assert done.returncode == 0, done.stderr
        assert "Restored" in done.stdout and "up to change 60." in done.stdout
        assert stored_ops(site["database"]) == acknowledged

        # The restored database goes on, replicated again: a second loss loses nothing.
        acknowledged |= serve_push_and_kill(server, ops[60:120])
        lose_disk(site["database"])
        done = talentkaart(site, "restore", "--from-replica")
        assert done.returncode == 0, done.stderr
        assert stored_ops(site["database"]) == acknowledged
        assert len(acknowledged) == 120
    finally:
        server.kill()


def test_the_replica_gives_the_database_as_it_was_at_a_moment(site):
    ops = make_outbox(site["person"], 120)[0]
    server = Server(site["database"], site["tmp"] / "server.log", site["env"])
    try:
        before = serve_push_and_kill(server, ops[:30])
        # A moment after the first changes reached the replica (whole seconds, as
        # Litestream records them), and the later changes after it.
        moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        while datetime.now(UTC) < moment + timedelta(seconds=1):
            time.sleep(0.02)
        after = serve_push_and_kill(server, ops[30:60])
    finally:
        server.kill()

    done = talentkaart(site, "restore", "--from-replica", "--at", moment.isoformat())
    assert done.returncode == 0, done.stderr
    assert stored_ops(site["database"]) == before
    kept = sorted(path for path in site["database"].parent.glob("*.before-restore-*")
                  if not path.name.endswith(("-wal", "-shm")))
    assert kept and stored_ops(kept[-1]) == before | after  # the replaced file is kept

    done = talentkaart(site, "restore", "--from-replica")
    assert done.returncode == 0, done.stderr
    assert stored_ops(site["database"]) == before | after


def test_backup_then_restore_and_never_under_a_running_server(site):
    site["env"] = {}
    ops = make_outbox(site["person"], 60)[0][:40]
    backup = site["tmp"] / "backup.sqlite3"
    server = Server(site["database"], site["tmp"] / "server.log")
    try:
        server.start()
        acknowledged = push(server, ops)
        done = talentkaart(site, "backup", str(backup))
        assert done.returncode == 0, done.stderr
        assert "up to change 40" in done.stdout

        # The server still has the database open: a restore would pull it from under it.
        refused = talentkaart(site, "restore", "--from-backup", str(backup))
        assert refused.returncode == 1
        assert "running Talentkaart server: stop it first" in refused.stderr
        assert not list(site["database"].parent.glob("*.before-restore-*"))
        status = talentkaart(site, "status")
        assert "server: running" in status.stdout and "last change 40" in status.stdout
    finally:
        server.kill()
    lose_disk(site["database"])
    done = talentkaart(site, "restore", "--from-backup", str(backup))
    assert done.returncode == 0, done.stderr
    assert stored_ops(site["database"]) == acknowledged
    assert not list(site["database"].parent.glob("*.restoring*"))


def foreign_files(tmp: Path) -> dict[str, Path]:
    garbage = tmp / "garbage.sqlite3"
    garbage.write_bytes(os.urandom(8192))
    other = tmp / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (text)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    newer = tmp / "newer.sqlite3"
    store = open_store(newer)
    store.close()
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    return {"garbage": garbage, "other": other, "newer": newer}


@pytest.mark.parametrize("kind", ["garbage", "other", "newer", "truncated"])
def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(site, kind):
    site["env"] = {}
    if kind == "truncated":
        backup = site["tmp"] / "truncated.sqlite3"
        done = talentkaart(site, "backup", str(backup))
        assert done.returncode == 0, done.stderr
        backup.write_bytes(backup.read_bytes()[:len(backup.read_bytes()) // 2])
    else:
        backup = foreign_files(site["tmp"])[kind]
    before = content(site["database"])
    done = talentkaart(site, "restore", "--from-backup", str(backup))
    assert done.returncode == 1
    assert "nothing was changed" in done.stderr
    assert content(site["database"]) == before
    assert not list(site["database"].parent.glob("*.restoring*"))
    assert not list(site["database"].parent.glob("*.before-restore-*"))


@pytest.mark.parametrize("args, says", [
    ([], "either --from-backup FILE or --from-replica"),
    (["--from-replica", "--from-backup", "x"], "does not exist"),
    (["--from-replica", "--at", "yesterday"], "is not a time"),
    (["--from-replica", "--at", "2999-01-01T00:00:00Z"], "is in the future"),
])
def test_restore_says_what_is_wrong_with_its_arguments(site, args, says):
    before = content(site["database"])
    done = talentkaart(site, "restore", *args)
    assert done.returncode != 0
    assert says in done.stderr
    assert content(site["database"]) == before


def test_a_replica_setting_that_cannot_work_stops_the_start(site):
    site["env"] = {"TALENTKAART_REPLICA": "ftp://example.org/x"}
    done = talentkaart(site, "status")
    assert done.returncode == 2
    assert "TALENTKAART_REPLICA" in done.stderr and "s3://" in done.stderr


def test_status_tells_how_far_the_replica_has_come(site):
    server = Server(site["database"], site["tmp"] / "server.log", site["env"])
    try:
        server.start()
        push(server, make_outbox(site["person"], 20)[0][:10])
        replica = Replication(site["database"], site["env"]["TALENTKAART_REPLICA"])
        deadline = time.monotonic() + 30
        while replica.state().replicated_at is None and time.monotonic() < deadline:
            time.sleep(0.05)
        shown = talentkaart(site, "status")
        assert shown.returncode == 0, shown.stderr
        assert "Litestream: running" in shown.stdout
        assert "last change replicated at" in shown.stdout
        config = json.loads(replica.config_path.read_text())
        assert config["dbs"][0]["replica"]["url"].startswith("file:///")
    finally:
        server.kill()


def test_the_admin_page_says_whether_the_database_is_copied(app, client, make_user, login,
                                                            tmp_path):
    admin, secret = make_user("admin")
    login(admin, secret)
    page = client.get("/admin/").get_data(as_text=True)
    assert "There is no continuous copy of the database." in page

    app.config["REPLICA"] = (tmp_path / "replica").as_uri()
    replica = Replication(app.config["DATABASE"], app.config["REPLICA"])
    replica.start()
    try:
        # A change for it to copy (it copies changes as they come; its first copy of
        # what was there before can take a while on a busy machine), and time enough.
        make_user("refugee")
        deadline = time.monotonic() + 90
        while replica.state().replicated_at is None and time.monotonic() < deadline:
            time.sleep(0.05)
        page = client.get("/admin/").get_data(as_text=True)
        assert f"Every change is copied to {app.config['REPLICA']}." in page
        assert "The newest change in the copy is from" in page
        assert "The copying has stopped" not in page
    finally:
        replica.stop()
    page = client.get("/admin/").get_data(as_text=True)
    assert "The copying has stopped: new changes are only on this server." in page
