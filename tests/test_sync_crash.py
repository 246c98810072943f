"""The real server, killed with SIGKILL while a phone pushes: nothing acknowledged is lost.

The server runs as a subprocess (``talentkaart serve``) on a free port. A thread
pushes a long outbox in batches of 20, as outbox.js does, while the main thread
waits until a random number of results has been acknowledged and then kills the
server without warning, often between a commit and its reply. After each
restart the phone resends everything from the start. At the end every
acknowledged operation is in the database, each record exactly once.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

from sync import accounts
from sync.backups import verify
from sync.store import Store, open_store

SECRET = "482913"
BATCH = 20
ACKNOWLEDGED = {"applied", "merged", "conflict", "duplicate"}
NAMESPACE = uuid.UUID("5e0c1c36-2f8b-4d57-9d0a-6f1f63c3a0de")
STATS: dict[str, int] = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _talentkaart() -> str:
    """The console script of the environment the tests run in."""
    script = Path(sys.executable).parent / "talentkaart"
    assert script.exists(), f"{script} is missing: install the package (pip install -e .)"
    return str(script)


class Server:
    """``talentkaart serve`` on one database file, started and killed at will."""

    def __init__(self, database: Path | str, log: Path, env: dict | None = None):
        self.database, self.log, self.port, self.proc = database, log, _free_port(), None
        self.env = env or {}

    def start(self) -> None:
        env = {**os.environ, "TALENTKAART_DATABASE": str(self.database),
               "TALENTKAART_SECRET_KEY": "crash-test-secret", **self.env}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 (our own console script)
                [_talentkaart(), "serve", "--port", str(self.port)], env=env,
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                status, _, _ = self.request("GET", "/sign-in")
            except OSError:
                time.sleep(0.05)
                continue
            if status == 200:
                return
        raise AssertionError(f"the server did not answer: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


def _cookie(headers: dict) -> str:
    """The session cookie (name=value) from a Set-Cookie header."""
    match = re.match(r"(talentkaart=[^;]*)", headers.get("Set-Cookie", ""))
    assert match, headers
    return match.group(1)


def sign_in(server: Server, username: str) -> str:
    """Sign in through the real form; return the session cookie."""
    status, headers, html = server.request("GET", "/sign-in")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()
    body = urllib.parse.urlencode({"username": username, "secret": SECRET,
                                   "csrf_token": token}).encode()
    status, headers, _ = server.request(
        "POST", "/sign-in", body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie(headers)})
    assert status == 303, status
    return _cookie(headers)


def make_outbox(person_id: str, creates: int) -> tuple[list[dict], dict[str, tuple]]:
    """Creates, some edits and deletes of those goals; and each record's expected end."""
    ids = (str(uuid.uuid5(NAMESPACE, f"{person_id}:{n}")) for n in range(10 * creates))
    ops: list[dict] = []
    expected: dict[str, tuple] = {}
    later: list[tuple[int, dict]] = []

    def op(record_id, action, base, fields):
        return {"op_id": next(ids), "device_seq": 0, "person_id": person_id,
                "record_type": "goal", "record_id": record_id, "action": action,
                "base_revision": base, "fields": fields}

    for n in range(creates):
        record_id = next(ids)
        ops.append(op(record_id, "put", 0, {"title": f"Goal {n}", "status": "planned"}))
        expected[record_id] = (1, False, "planned")
        if n % 3 == 0:  # edited a little later, chained on revision 1
            later.append((n + 5, op(record_id, "put", 1, {"status": "in_progress"})))
            expected[record_id] = (2, False, "in_progress")
            if n % 9 == 0:
                later.append((n + 11, op(record_id, "delete", 2, {})))
                expected[record_id] = (3, True, "in_progress")
        while later and later[0][0] <= n:
            ops.append(later.pop(0)[1])
    ops.extend(entry for _, entry in later)
    for seq, entry in enumerate(ops, 1):
        entry["device_seq"] = seq
    return ops, expected


class Phone:
    """Pushes the whole outbox in batches; remembers every result it got back."""

    def __init__(self, server: Server, cookie: str, ops: list[dict]):
        self.server, self.cookie, self.ops = server, cookie, ops
        self.results: dict[str, str] = {}  # op_id -> status, of this round
        self.acknowledged = 0
        self.finished = False
        self.error: BaseException | None = None
        self.changed = threading.Condition()

    def push_all(self) -> None:
        try:
            for start in range(0, len(self.ops), BATCH):
                batch = self.ops[start:start + BATCH]
                body = json.dumps({"device_id": "crash-phone", "operations": batch}).encode()
                try:
                    status, _, answer = self.server.request(
                        "POST", "/sync/push", body,
                        {"Content-Type": "application/json", "X-Talentkaart-Sync": "1",
                         "Cookie": self.cookie})
                except (OSError, http.client.HTTPException):
                    return  # the server is gone: this batch is not acknowledged
                assert status == 200, (status, answer[:300])
                results = json.loads(answer)["results"]
                assert [r["op_id"] for r in results] == [o["op_id"] for o in batch]
                with self.changed:
                    for result in results:
                        self.results[result["op_id"]] = result["status"]
                    self.acknowledged += sum(r["status"] in ACKNOWLEDGED for r in results)
                    self.changed.notify_all()
        except BaseException as error:  # reported by the main thread
            self.error = error
        finally:
            with self.changed:
                self.finished = True
                self.changed.notify_all()


def _committed(store: Store) -> set[str]:
    """The operations the server has committed, read as the next reader would."""
    return {row["op_id"] for row in store.query("SELECT op_id FROM operations")}


def push_round(server: Server, cookie: str, ops: list[dict], kill_after: int | None,
               known: set[str]) -> dict[str, str]:
    """Push every operation; kill the server once ``kill_after`` results are acknowledged.

    After that the kill waits (a little) for a batch in flight to commit something
    the phone has not heard of yet, so the server dies between commit and reply.
    """
    phone = Phone(server, cookie, ops)
    thread = threading.Thread(target=phone.push_all, daemon=True)
    thread.start()
    if kill_after is not None:
        with phone.changed:
            assert phone.changed.wait_for(
                lambda: phone.acknowledged >= kill_after or phone.finished, timeout=45)
        deadline = time.monotonic() + 3
        reader = Store(server.database)
        try:
            while not phone.finished and time.monotonic() < deadline:
                with phone.changed:
                    heard = known | set(phone.results)
                if _committed(reader) - heard:
                    break
        finally:
            reader.close()
        server.kill()
    thread.join(timeout=45)
    assert not thread.is_alive()
    if phone.error is not None:
        raise phone.error
    return dict(phone.results)


def test_acknowledged_operations_survive_sigkill(tmp_path, database, backend):
    store = open_store(database)
    store.add_location("loc-a", "AZC A", "azc")
    person_id = accounts.create_user(store, role="refugee", username="amina",
                                     display_name="Amina", secret=SECRET, location_id="loc-a")
    store.close()
    ops, expected = make_outbox(person_id, creates=240)
    assert len(ops) >= 300
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    # Three kill points, early to late; each round resends everything from the start.
    kill_points = sorted(rng.sample(range(BATCH, len(ops) - BATCH), 3))
    server = Server(database, tmp_path / "server.log")
    acknowledged: dict[str, str] = {}  # op_id -> first acknowledged status
    committed_unanswered = 0
    try:
        server.start()
        cookie = sign_in(server, "amina")
        for round_no, kill_after in enumerate([*kill_points, None]):
            if round_no:
                server.start()  # same database, same secret key: the cookie still works
            results = push_round(server, cookie, ops, kill_after, set(acknowledged))
            for op_id, status in results.items():
                assert status != "rejected", (seed, op_id, status)
                if op_id in acknowledged:
                    # Acknowledged before a SIGKILL means committed: now a duplicate.
                    assert status == "duplicate", (seed, op_id, status)
                elif status == "duplicate":
                    committed_unanswered += 1  # committed, but the reply died with the server
                acknowledged.setdefault(op_id, status)
        assert len(results) == len(ops), "the last round must get every answer"
    finally:
        server.kill()

    if backend == "sqlite":
        verify(database)  # SQLite's integrity check, the schema, the last change
    store = Store(database)
    try:
        stored_ops = {r["op_id"] for r in store.query("SELECT op_id FROM operations")}
        assert set(acknowledged) <= stored_ops
        assert stored_ops == {op["op_id"] for op in ops}
        rows = store.query("SELECT id, revision, deleted, data FROM records")
        assert len(rows) == len({r["id"] for r in rows}) == len(expected)
        assert {r["id"]: (r["revision"], bool(r["deleted"]), json.loads(r["data"])["status"])
                for r in rows} == expected
        assert store.count("history") == len(ops)
    finally:
        store.close()
    STATS.update(ops=len(ops), creates=len(expected), kills=len(kill_points),
                 committed_unanswered=committed_unanswered)
    print(f"\nsync crash test (seed {seed}): {STATS}")


def test_make_outbox_chains_edits_after_their_creates():
    ops, expected = make_outbox(str(uuid.uuid4()), 30)
    seen: dict[str, int] = {}
    for op in ops:
        assert op["base_revision"] == seen.get(op["record_id"], 0)
        seen[op["record_id"]] = op["base_revision"] + 1
    assert seen == {k: v[0] for k, v in expected.items()}
    assert [op["device_seq"] for op in ops] == list(range(1, len(ops) + 1))
