"""The one module that talks to SQLite (through sqlite-utils).

Everything Talentkaart keeps lives in one SQLite file in WAL mode. Writes that
must be atomic run inside ``Store.transaction()`` (``BEGIN IMMEDIATE``, so two
writers queue instead of failing half-way); sqlite-utils nests its own work in
savepoints inside it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

SCHEMA_VERSION = 3


class StoreError(Exception):
    """Base class for storage errors."""


class UsernameTaken(StoreError):
    """The username already belongs to another account."""


def utc_now() -> str:
    """The current UTC time as an ISO 8601 string with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _loads(value: str | None) -> Any:
    return json.loads(value) if value else None


def _dumps(value: Any) -> str:
    # ensure_ascii=False keeps Arabic, Tigrinya and emoji readable in the file.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class Store:
    """Storage for one SQLite database file."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 10000")
        # FULL: an acknowledged write survives a power cut, not only a crash.
        self.db.execute("PRAGMA synchronous = FULL")

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    # -- schema -------------------------------------------------------------

    def create_schema(self) -> None:
        """Create tables and indexes that do not exist yet; switch to WAL."""
        db = self.db
        if db.journal_mode != "wal":
            db.enable_wal()
        t = db.table
        t("locations").create(
            {"id": str, "name": str, "kind": str, "created_at": str},
            pk="id", not_null={"name", "kind"}, if_not_exists=True)
        t("users").create(
            {"id": str, "username": str, "role": str, "secret_hash": str,
             "display_name": str, "location_id": str, "locale": str,
             "created_at": str, "created_by": str, "failed_signins": int,
             "locked_until": str, "session_version": int, "active": int},
            pk="id", not_null={"username", "role", "display_name"},
            defaults={"failed_signins": 0, "session_version": 1, "active": 1},
            foreign_keys=[("location_id", "locations", "id")], if_not_exists=True)
        t("users").create_index(["username"], unique=True, if_not_exists=True)
        t("staff_locations").create(
            {"user_id": str, "location_id": str}, pk=("user_id", "location_id"),
            foreign_keys=[("user_id", "users", "id"), ("location_id", "locations", "id")],
            if_not_exists=True)
        t("handover_codes").create(
            {"code_hash": str, "user_id": str, "created_by": str, "created_at": str,
             "expires_at": str, "used_at": str},
            pk="code_hash", foreign_keys=[("user_id", "users", "id")], if_not_exists=True)
        t("signin_attempts").create(
            {"id": int, "key": str, "at": str}, pk="id", if_not_exists=True)
        t("signin_attempts").create_index(["key", "at"], if_not_exists=True)
        t("records").create(
            {"id": str, "person_id": str, "type": str, "data": str, "revision": int,
             "deleted": int, "has_conflict": int, "seq": int, "created_at": str,
             "created_by": str, "updated_at": str, "updated_by": str},
            pk="id", not_null={"person_id", "type", "data", "revision"},
            defaults={"deleted": 0, "has_conflict": 0},
            foreign_keys=[("person_id", "users", "id")], if_not_exists=True)
        t("records").create_index(["person_id", "type"], if_not_exists=True)
        t("records").create_index(["seq"], if_not_exists=True)
        db.execute(
            "CREATE TABLE IF NOT EXISTS history ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL,"
            " person_id TEXT NOT NULL, type TEXT NOT NULL, revision INTEGER NOT NULL,"
            " action TEXT NOT NULL, data TEXT NOT NULL, changed TEXT NOT NULL,"
            " actor_id TEXT NOT NULL, op_id TEXT, at TEXT NOT NULL, via TEXT)")
        t("history").create_index(["record_id", "revision"], if_not_exists=True)
        t("history").create_index(["person_id", "seq"], if_not_exists=True)
        t("operations").create(
            {"op_id": str, "actor_id": str, "person_id": str, "record_id": str,
             "at": str, "outcome": str, "view": str},
            pk="op_id", if_not_exists=True)
        t("conflicts").create(
            {"id": str, "record_id": str, "person_id": str, "op_id": str,
             "actor_id": str, "action": str, "base_revision": int,
             "current_revision": int, "proposed": str, "created_at": str,
             "resolved_at": str, "resolved_by": str, "resolution": str},
            pk="id", if_not_exists=True)
        t("conflicts").create_index(["record_id"], if_not_exists=True)
        t("reviews").create(
            {"staff_id": str, "person_id": str, "reviewed_seq": int, "reviewed_at": str},
            pk=("staff_id", "person_id"), if_not_exists=True)
        t("work_rules").create(
            {"id": str, "kind": str, "effective_from": str, "status": str,
             "data": str, "created_at": str, "created_by": str},
            pk="id", if_not_exists=True)
        t("device_keys").create(
            {"key_id": str, "user_id": str, "device_id": str, "secret": str,
             "created_at": str, "revoked_at": str},
            pk="key_id", not_null={"user_id", "device_id", "secret"},
            foreign_keys=[("user_id", "users", "id")], if_not_exists=True)
        # One live key per device: a second, racing request for a key is ignored.
        db.execute("CREATE UNIQUE INDEX IF NOT EXISTS device_keys_live"
                   " ON device_keys (user_id, device_id) WHERE revoked_at IS NULL")
        self._migrate()
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _migrate(self) -> None:
        """Bring databases made by older versions up to date, in place."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if 0 < version < 2 and "via" not in self.db.table("history").columns_dict:
            # Version 2: who delivered an operation for its author (an uploaded outbox).
            self.db.table("history").add_column("via", str)
        if 0 < version < 3 and "view" not in self.db.table("operations").columns_dict:
            # Version 3: the record as an operation's author saw it afterwards, so the
            # author's next edit of it is judged against that and not their own change.
            self.db.table("operations").add_column("view", str)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run a block as one immediate transaction: all of it or none of it."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def backup_to(self, target: str | Path) -> None:
        """Copy the live database to ``target`` with SQLite's online backup."""
        dest = sqlite3.connect(str(target))
        try:
            self.db.conn.backup(dest)
        finally:
            dest.close()

    def _rows(self, sql: str, params: Any = ()) -> list[dict]:
        return [dict(r) for r in self.db.query(sql, params)]

    def _row(self, sql: str, params: Any = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    # -- locations ----------------------------------------------------------

    def add_location(self, location_id: str, name: str, kind: str) -> None:
        """Add an asylum centre or municipality."""
        self.db.table("locations").insert(
            {"id": location_id, "name": name, "kind": kind, "created_at": utc_now()})

    def rename_location(self, location_id: str, name: str, kind: str) -> None:
        """Change a location's name and kind."""
        self.db.execute("UPDATE locations SET name = ?, kind = ? WHERE id = ?",
                        [name, kind, location_id])

    def location(self, location_id: str) -> dict | None:
        """One location or None."""
        return self._row("SELECT * FROM locations WHERE id = ?", [location_id])

    def locations(self) -> list[dict]:
        """All locations by name."""
        return self._rows("SELECT * FROM locations ORDER BY name COLLATE NOCASE")

    # -- users --------------------------------------------------------------

    def add_user(self, user: dict, location_ids: list[str] = ()) -> None:
        """Insert a user; staff get their locations in the same transaction."""
        row = {"created_at": utc_now(), "failed_signins": 0, "session_version": 1,
               "active": 1, **user}
        try:
            with self.db.atomic():
                self.db.table("users").insert(row)
                for loc in location_ids:
                    self.db.table("staff_locations").insert(
                        {"user_id": row["id"], "location_id": loc})
        except sqlite3.IntegrityError as exc:
            if "username" in str(exc):
                raise UsernameTaken(user["username"]) from exc
            raise

    def user(self, user_id: str) -> dict | None:
        """A user by id."""
        return self._row("SELECT * FROM users WHERE id = ?", [user_id])

    def user_by_username(self, username: str) -> dict | None:
        """A user by username (usernames are stored lower-case)."""
        return self._row("SELECT * FROM users WHERE username = ?", [username])

    def users(self, role: str | None = None) -> list[dict]:
        """All users, optionally of one role."""
        if role:
            return self._rows("SELECT * FROM users WHERE role = ? ORDER BY username", [role])
        return self._rows("SELECT * FROM users ORDER BY role, username")

    def staff_location_ids(self, user_id: str) -> list[str]:
        """The locations a volunteer or coach works at."""
        return [r["location_id"] for r in self._rows(
            "SELECT location_id FROM staff_locations WHERE user_id = ?", [user_id])]

    def set_staff_locations(self, user_id: str, location_ids: list[str]) -> None:
        """Replace a staff member's locations."""
        with self.db.atomic():
            self.db.execute("DELETE FROM staff_locations WHERE user_id = ?", [user_id])
            for loc in location_ids:
                self.db.table("staff_locations").insert(
                    {"user_id": user_id, "location_id": loc})

    def update_user(self, user_id: str, **fields: Any) -> None:
        """Change some columns of a user."""
        self.db.table("users").update(user_id, fields)

    def bump_session_version(self, user_id: str) -> None:
        """Sign the user out everywhere (their cookies carry the old version)."""
        self.db.execute(
            "UPDATE users SET session_version = session_version + 1 WHERE id = ?", [user_id])

    def record_failed_signin(self, user_id: str, lock_after: int, locked_until: str) -> int:
        """Count a failed sign-in; lock the account when it reaches ``lock_after``."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE users SET failed_signins = failed_signins + 1 WHERE id = ?", [user_id])
            failures = self._row("SELECT failed_signins FROM users WHERE id = ?",
                                 [user_id])["failed_signins"]
            if failures >= lock_after:
                self.db.execute(
                    "UPDATE users SET locked_until = ?, failed_signins = 0 WHERE id = ?",
                    [locked_until, user_id])
        return failures

    def clear_failed_signins(self, user_id: str) -> None:
        """Reset the failure count after a good sign-in."""
        self.db.execute(
            "UPDATE users SET failed_signins = 0, locked_until = NULL WHERE id = ?", [user_id])

    def count_signin_attempts(self, key: str, since: str) -> int:
        """How many sign-in attempts ``key`` (an address) made since ``since``."""
        return self._row("SELECT count(*) AS n FROM signin_attempts WHERE key = ? AND at >= ?",
                         [key, since])["n"]

    def add_signin_attempt(self, key: str, at: str, forget_before: str) -> None:
        """Remember one attempt, forgetting attempts too old to matter."""
        with self.db.atomic():
            self.db.execute("DELETE FROM signin_attempts WHERE at < ?", [forget_before])
            self.db.execute("INSERT INTO signin_attempts (key, at) VALUES (?, ?)", [key, at])

    # -- handover codes ------------------------------------------------------

    def add_handover_code(self, code_hash: str, user_id: str, created_by: str,
                          expires_at: str) -> None:
        """Store a one-time sign-in code (hashed), replacing the user's unused ones."""
        with self.db.atomic():
            self.db.execute(
                "DELETE FROM handover_codes WHERE user_id = ? AND used_at IS NULL", [user_id])
            self.db.table("handover_codes").insert(
                {"code_hash": code_hash, "user_id": user_id, "created_by": created_by,
                 "created_at": utc_now(), "expires_at": expires_at, "used_at": None})

    def handover_code(self, code_hash: str) -> dict | None:
        """A handover code by its hash."""
        return self._row("SELECT * FROM handover_codes WHERE code_hash = ?", [code_hash])

    def use_handover_code(self, code_hash: str, now: str) -> bool:
        """Mark a code used; False when it was used or expired meanwhile."""
        cursor = self.db.execute(
            "UPDATE handover_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL"
            " AND expires_at > ?", [now, code_hash, now])
        return cursor.rowcount == 1

    # -- records ------------------------------------------------------------

    @staticmethod
    def _record(row: dict | None) -> dict | None:
        if row is None:
            return None
        row["data"] = _loads(row["data"]) or {}
        row["deleted"] = bool(row["deleted"])
        row["has_conflict"] = bool(row["has_conflict"])
        return row

    def record(self, record_id: str) -> dict | None:
        """A record (deleted ones too) with its data decoded."""
        return self._record(self._row("SELECT * FROM records WHERE id = ?", [record_id]))

    def records(self, person_id: str, record_type: str | None = None,
                include_deleted: bool = False) -> list[dict]:
        """A person's records, oldest first."""
        sql = "SELECT * FROM records WHERE person_id = ?"
        params: list[Any] = [person_id]
        if record_type:
            sql += " AND type = ?"
            params.append(record_type)
        if not include_deleted:
            sql += " AND deleted = 0"
        sql += " ORDER BY created_at, id"
        return [self._record(r) for r in self._rows(sql, params)]

    def insert_record(self, row: dict) -> None:
        """Insert a new record row (inside the write path's transaction)."""
        self.db.table("records").insert({**row, "data": _dumps(row["data"])})

    def update_record(self, record_id: str, **fields: Any) -> None:
        """Update a record row (inside the write path's transaction)."""
        if "data" in fields:
            fields["data"] = _dumps(fields["data"])
        self.db.table("records").update(record_id, fields)

    def records_changed_since(self, person_id: str, seq: int) -> list[dict]:
        """A person's records (deleted ones too) changed after change ``seq``."""
        return [self._record(r) for r in self._rows(
            "SELECT * FROM records WHERE person_id = ? AND seq > ? ORDER BY seq",
            [person_id, seq])]

    def append_history(self, entry: dict) -> int:
        """Append one history entry and return its change sequence number."""
        cursor = self.db.execute(
            "INSERT INTO history (record_id, person_id, type, revision, action, data,"
            " changed, actor_id, op_id, at, via) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [entry["record_id"], entry["person_id"], entry["type"], entry["revision"],
             entry["action"], _dumps(entry["data"]), _dumps(entry["changed"]),
             entry["actor_id"], entry.get("op_id"), entry["at"], entry.get("via")])
        return cursor.lastrowid

    def record_at_revision(self, record_id: str, revision: int) -> dict | None:
        """The data a record had at ``revision``, from its history."""
        row = self._row("SELECT data FROM history WHERE record_id = ? AND revision = ?"
                        " ORDER BY seq DESC LIMIT 1", [record_id, revision])
        return _loads(row["data"]) if row else None

    def history(self, record_id: str) -> list[dict]:
        """Every change of a record, oldest first."""
        rows = self._rows("SELECT * FROM history WHERE record_id = ? ORDER BY seq", [record_id])
        for row in rows:
            row["data"] = _loads(row["data"])
            row["changed"] = _loads(row["changed"])
        return rows

    def last_seq(self, person_id: str | None = None) -> int:
        """The newest change sequence number, of one person or of everything."""
        if person_id:
            row = self._row("SELECT max(seq) AS s FROM history WHERE person_id = ?", [person_id])
        else:
            row = self._row("SELECT max(seq) AS s FROM history")
        return row["s"] or 0

    def volunteer_hours_on(self, person_id: str, day: str, exclude_id: str) -> float:
        """Hours a person already recorded on ``day``, other than one record."""
        row = self._row(
            "SELECT coalesce(sum(json_extract(data, '$.hours')), 0) AS total FROM records"
            " WHERE person_id = ? AND type = 'volunteer' AND deleted = 0 AND id != ?"
            " AND json_extract(data, '$.date') = ?", [person_id, exclude_id, day])
        return float(row["total"])

    # -- operations (idempotency) --------------------------------------------

    def operation(self, op_id: str) -> dict | None:
        """A processed operation with its stored outcome."""
        row = self._row("SELECT * FROM operations WHERE op_id = ?", [op_id])
        if row:
            row["outcome"] = _loads(row["outcome"])
            row["view"] = _loads(row["view"])
        return row

    def add_operation(self, op_id: str, actor_id: str, person_id: str, record_id: str,
                      outcome: dict, view: dict | None = None) -> None:
        """Remember an operation's outcome so a replay gets the same answer, and
        the record as its author saw it afterwards (None: deleted)."""
        self.db.table("operations").insert(
            {"op_id": op_id, "actor_id": actor_id, "person_id": person_id,
             "record_id": record_id, "at": utc_now(), "outcome": _dumps(outcome),
             "view": _dumps(view)})

    # -- conflicts ------------------------------------------------------------

    def add_conflict(self, conflict: dict) -> None:
        """Keep a stale edit that could not be merged, next to the current version."""
        self.db.table("conflicts").insert({**conflict, "proposed": _dumps(conflict["proposed"])})

    def open_conflicts(self, person_id: str, record_id: str | None = None) -> list[dict]:
        """Unresolved conflicts of a person (or of one record)."""
        sql = "SELECT * FROM conflicts WHERE person_id = ? AND resolved_at IS NULL"
        params = [person_id]
        if record_id:
            sql += " AND record_id = ?"
            params.append(record_id)
        rows = self._rows(sql + " ORDER BY created_at", params)
        for row in rows:
            row["proposed"] = _loads(row["proposed"])
        return rows

    def conflict(self, conflict_id: str) -> dict | None:
        """One conflict by id."""
        row = self._row("SELECT * FROM conflicts WHERE id = ?", [conflict_id])
        if row:
            row["proposed"] = _loads(row["proposed"])
        return row

    def resolve_conflict(self, conflict_id: str, resolved_by: str, resolution: str) -> None:
        """Close a conflict (inside the write path's transaction)."""
        self.db.execute(
            "UPDATE conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?",
            [utc_now(), resolved_by, resolution, conflict_id])

    # -- coach reviews --------------------------------------------------------

    def people_at(self, location_ids: list[str], query: str = "") -> list[dict]:
        """Refugees at the given locations, with their newest change number."""
        if not location_ids:
            return []
        marks = ",".join("?" for _ in location_ids)
        sql = (
            "SELECT u.*, l.name AS location_name,"  # noqa: S608 (only "?" marks)
            " (SELECT max(seq) FROM history h WHERE h.person_id = u.id) AS last_seq,"
            " (SELECT max(at) FROM history h WHERE h.person_id = u.id) AS last_change_at"
            f" FROM users u LEFT JOIN locations l ON l.id = u.location_id"
            f" WHERE u.role = 'refugee' AND u.location_id IN ({marks})")
        params: list[Any] = list(location_ids)
        if query:
            sql += " AND (u.display_name LIKE ? ESCAPE '\\' OR u.username LIKE ? ESCAPE '\\')"
            like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [like, like]
        return self._rows(sql + " ORDER BY u.display_name COLLATE NOCASE", params)

    def review(self, staff_id: str, person_id: str) -> dict | None:
        """When a staff member last reviewed a person, and up to which change."""
        return self._row("SELECT * FROM reviews WHERE staff_id = ? AND person_id = ?",
                         [staff_id, person_id])

    def reviews_by(self, staff_id: str) -> dict[str, dict]:
        """All reviews of one staff member, by person."""
        return {r["person_id"]: r for r in self._rows(
            "SELECT * FROM reviews WHERE staff_id = ?", [staff_id])}

    def mark_reviewed(self, staff_id: str, person_id: str, seq: int) -> None:
        """Remember that ``staff_id`` reviewed ``person_id`` up to change ``seq``."""
        self.db.table("reviews").upsert(
            {"staff_id": staff_id, "person_id": person_id, "reviewed_seq": seq,
             "reviewed_at": utc_now()}, pk=("staff_id", "person_id"))

    def changes_since(self, person_id: str, seq: int) -> list[dict]:
        """A person's history entries after change ``seq`` (without data), oldest first."""
        return self._rows(
            "SELECT seq, record_id, type, revision, action, actor_id, at FROM history"
            " WHERE person_id = ? AND seq > ? ORDER BY seq", [person_id, seq])

    def last_seqs_not_by(self, actor_id: str, person_ids: list[str]) -> dict[str, int]:
        """Per person, the newest change made by someone other than ``actor_id``."""
        if not person_ids:
            return {}
        # Only "?" placeholders are put into the SQL; the ids go in as parameters.
        marks = ",".join("?" for _ in person_ids)
        rows = self._rows(
            "SELECT person_id, max(seq) AS seq FROM history WHERE actor_id != ?"  # noqa: S608
            f" AND person_id IN ({marks}) GROUP BY person_id", [actor_id, *person_ids])
        return {r["person_id"]: r["seq"] for r in rows}

    # -- work rules -----------------------------------------------------------

    def work_rules(self) -> list[dict]:
        """Every stored rule version, as plain dicts."""
        rows = self._rows("SELECT * FROM work_rules ORDER BY kind, effective_from")
        return [{**_loads(r["data"]), "id": r["id"], "kind": r["kind"],
                 "effective_from": r["effective_from"], "status": r["status"]} for r in rows]

    def add_work_rule(self, rule: dict, created_by: str) -> None:
        """Store a rule version (seed data or an admin's new version)."""
        data = {k: v for k, v in rule.items()
                if k not in {"id", "kind", "effective_from", "status"}}
        self.db.table("work_rules").insert(
            {"id": rule["id"], "kind": rule["kind"], "effective_from": rule["effective_from"],
             "status": rule["status"], "data": _dumps(data), "created_at": utc_now(),
             "created_by": created_by}, ignore=True)

    def set_work_rule_status(self, rule_id: str, status: str) -> None:
        """Activate or retire a rule version."""
        self.db.execute("UPDATE work_rules SET status = ? WHERE id = ?", [status, rule_id])

    # -- exports --------------------------------------------------------------

    def volunteer_hours_at(self, location_id: str, start: str, end: str) -> list[dict]:
        """Volunteer-hour records of a location's refugees between two dates."""
        rows = self._rows(
            "SELECT r.*, u.display_name, u.username FROM records r"
            " JOIN users u ON u.id = r.person_id"
            " WHERE r.type = 'volunteer' AND r.deleted = 0 AND u.location_id = ?"
            " AND json_extract(r.data, '$.date') BETWEEN ? AND ?"
            " ORDER BY u.display_name COLLATE NOCASE, json_extract(r.data, '$.date')",
            [location_id, start, end])
        return [self._record(r) for r in rows]

    # -- device keys ----------------------------------------------------------

    def add_device_key(self, key: dict) -> None:
        """Store a device's signing key, unless the device already has a live one."""
        self.db.table("device_keys").insert(
            {**key, "created_at": utc_now(), "revoked_at": None}, ignore=True)

    def live_device_key(self, user_id: str, device_id: str) -> dict | None:
        """The key of a user's device that is not revoked."""
        return self._row("SELECT * FROM device_keys WHERE user_id = ? AND device_id = ?"
                         " AND revoked_at IS NULL", [user_id, device_id])

    def device_key(self, key_id: str) -> dict | None:
        """A signing key by its id, revoked or not."""
        return self._row("SELECT * FROM device_keys WHERE key_id = ?", [key_id])

    def revoke_device_keys_of(self, user_id: str) -> None:
        """Stop trusting every device of a user (their access was handed over anew)."""
        self.db.execute("UPDATE device_keys SET revoked_at = ? WHERE user_id = ?"
                        " AND revoked_at IS NULL", [utc_now(), user_id])

    def revoke_device_key(self, key_id: str) -> None:
        """Stop trusting a key (a lost phone): what it signed no longer counts."""
        self.db.execute("UPDATE device_keys SET revoked_at = ? WHERE key_id = ?"
                        " AND revoked_at IS NULL", [utc_now(), key_id])


def open_store(path: str | Path) -> Store:
    """Open (and create if needed) the database at ``path``."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    store = Store(path)
    store.create_schema()
    return store
