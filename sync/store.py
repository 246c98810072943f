"""The one module that talks to SQLite (through sqlite-utils).

Everything Talentkaart keeps lives in one SQLite file in WAL mode. Writes that
must be atomic run inside ``Store.transaction()`` (``BEGIN IMMEDIATE``, so two
writers queue instead of failing half-way); sqlite-utils nests its own work in
savepoints inside it.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

SCHEMA_VERSION = 5


class StoreError(Exception):
    """Base class for storage errors."""


class UsernameTaken(StoreError):
    """The username already belongs to another account."""


def utc_now() -> str:
    """The current UTC time as an ISO 8601 string with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# What SQL says differently from one database to another, said once (SQLite's words
# today; a second backend gives its own here, not a second copy of every query). Field
# names come from this module and the record types, never from input.
_FIELD_NAME = re.compile(r"[a-z][a-z_]*")


def field(name: str, table: str = "") -> str:
    """A field of a record's JSON data, as an SQL expression (the date index uses it too:
    a query must say it the same way to use the index)."""
    if not _FIELD_NAME.fullmatch(name):
        raise StoreError(f"not a field name: {name!r}")
    return f"json_extract({table}data, '$.{name}')"


def number(name: str, table: str = "") -> str:
    """A numeric field of a record's data (SQLite's JSON numbers are numbers already)."""
    return field(name, table)


def nocase(expression: str) -> str:
    """An expression ordered and compared without regard to case."""
    return f"{expression} COLLATE NOCASE"


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
             "locked_until": str, "active": int},
            pk="id", not_null={"username", "role", "display_name"},
            defaults={"failed_signins": 0, "active": 1},
            foreign_keys=[("location_id", "locations", "id")], if_not_exists=True)
        t("users").create_index(["username"], unique=True, if_not_exists=True)
        # A caseload: the refugees of a place, by name, a page at a time.
        db.execute("CREATE INDEX IF NOT EXISTS users_caseload ON users"
                   f" (location_id, {nocase('display_name')}) WHERE role = 'refugee'")
        t("staff_locations").create(
            {"user_id": str, "location_id": str}, pk=("user_id", "location_id"),
            foreign_keys=[("user_id", "users", "id"), ("location_id", "locations", "id")],
            if_not_exists=True)
        t("handover_codes").create(
            {"code_hash": str, "user_id": str, "created_by": str, "created_at": str,
             "expires_at": str, "used_at": str},
            pk="code_hash", foreign_keys=[("user_id", "users", "id")], if_not_exists=True)
        # Failed sign-ins per client address: successes are not counted, so a whole
        # asylum centre behind one address can sign in while guessing is slowed down.
        t("signin_failures").create(
            {"id": int, "address": str, "at": str}, pk="id", if_not_exists=True)
        t("signin_failures").create_index(["address", "at"], if_not_exists=True)
        # Sessions live here, not only in the cookie: signing out ends them for
        # whoever kept a copy of the cookie. Only a hash of the token is stored.
        t("sessions").create(
            {"token_hash": str, "user_id": str, "shared": int, "created_at": str,
             "seen_at": str, "expires_at": str},
            pk="token_hash", not_null={"user_id", "shared", "seen_at", "expires_at"},
            foreign_keys=[("user_id", "users", "id")], if_not_exists=True)
        t("sessions").create_index(["user_id"], if_not_exists=True)
        t("records").create(
            {"id": str, "person_id": str, "type": str, "data": str, "revision": int,
             "deleted": int, "has_conflict": int, "seq": int, "created_at": str,
             "created_by": str, "updated_at": str, "updated_by": str},
            pk="id", not_null={"person_id", "type", "data", "revision"},
            defaults={"deleted": 0, "has_conflict": 0},
            foreign_keys=[("person_id", "users", "id")], if_not_exists=True)
        t("records").create_index(["person_id", "type"], if_not_exists=True)
        t("records").create_index(["seq"], if_not_exists=True)
        t("records").create_index(["person_id", "seq"], if_not_exists=True)
        t("records").create_index(["person_id", "type", "created_at"], if_not_exists=True)
        # The hours a person already has on a day (each pushed entry checks it) and a
        # place's hours in a month: by date, not by reading every entry.
        db.execute(
            "CREATE INDEX IF NOT EXISTS records_volunteer_day ON records"
            f" (person_id, {field('date')}) WHERE type = 'volunteer' AND deleted = 0")
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
        t("conflicts").create_index(["person_id", "resolved_at"], if_not_exists=True)
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
        # Sums over a person's entries (volunteer hours per month, week and in all),
        # kept up to date by the write path: exact totals without reading every entry.
        db.execute("CREATE TABLE IF NOT EXISTS tallies (person_id TEXT NOT NULL,"
                   " type TEXT NOT NULL, period TEXT NOT NULL, amount REAL NOT NULL,"
                   " verified REAL NOT NULL, PRIMARY KEY (person_id, type, period))")
        # Version numbers of what many pages show besides the person's own entries
        # (places, staff names, work rules): a page's ETag includes "site", so a kept
        # page is refreshed when an admin changes one, without reading them all.
        db.execute("CREATE TABLE IF NOT EXISTS stamps (name TEXT PRIMARY KEY,"
                   " value INTEGER NOT NULL)")
        db.execute("INSERT INTO stamps (name, value) VALUES ('site', 1) ON CONFLICT DO NOTHING")
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
        if 0 < version < 4:
            # Version 4: sessions in the database; only failed sign-ins are counted.
            self.db.execute("DROP TABLE IF EXISTS signin_attempts")
        if 0 < version < 5:
            # Version 5: a person's name, place and language live in their account only
            # (the users table, which the app always showed); the basics keep the rest.
            self.db.execute(
                "UPDATE records SET data = json_remove(data, '$.display_name',"
                " '$.location_id', '$.preferred_language') WHERE type = 'basics'")

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

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[Store]:
        """Inside a transaction: a block that is undone alone when it fails."""
        conn = self.db.conn
        conn.execute("SAVEPOINT step")
        try:
            yield self
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO SAVEPOINT step")
                conn.execute("RELEASE SAVEPOINT step")
            raise
        else:
            conn.execute("RELEASE SAVEPOINT step")

    def backup_to(self, target: str | Path) -> None:
        """Copy the live database to ``target`` with SQLite's online backup."""
        dest = sqlite3.connect(str(target))
        try:
            self.db.conn.backup(dest)
        finally:
            dest.close()

    # -- what tools and tests may ask of any backend ---------------------------

    def count(self, table: str) -> int:
        """How many rows a table of this module's schema has."""
        if table not in self.tables():
            raise StoreError(f"no table {table!r}")
        return self._row(f"SELECT count(*) AS n FROM {table}")["n"]  # noqa: S608

    def tables(self) -> list[str]:
        """The names of the tables, sorted."""
        return sorted(r["name"] for r in self._rows(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%'"))

    def columns(self, table: str) -> list[str]:
        """The column names of a table."""
        return list(self.db.table(table).columns_dict)

    def schema_version(self) -> int:
        """The version of the schema the database has."""
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def query(self, sql: str, params: Any = ()) -> list[dict]:
        """Rows of a read-only query (tools and tests; the app asks by name)."""
        return self._rows(sql, params)

    def execute(self, sql: str, params: Any = ()) -> int:
        """Run one statement outside the write path (tests, maintenance); rows changed."""
        return self.db.execute(sql, params).rowcount

    @contextlib.contextmanager
    def traced(self) -> Iterator[list[str]]:
        """The SQL statements run in a block, in order (tests count and explain them)."""
        statements: list[str] = []
        self.db.conn.set_trace_callback(statements.append)
        try:
            yield statements
        finally:
            self.db.conn.set_trace_callback(None)

    def explain(self, sql: str, params: Any = ()) -> list[str]:
        """The query plan's steps of a statement."""
        return [row[-1] for row in self.db.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]

    @property
    def in_transaction(self) -> bool:
        return self.db.conn.in_transaction

    def rollback(self) -> None:
        """Undo a transaction left open (a request that failed half-way)."""
        if self.db.conn.in_transaction:
            self.db.conn.rollback()

    def _rows(self, sql: str, params: Any = ()) -> list[dict]:
        cursor = self.db.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _insert(self, table: str, row: dict, *, unless_there: bool = False) -> None:
        # Plain SQL on the hot path: sqlite-utils' insert looks the table up every time.
        # Table and column names come from this module, never from input. unless_there:
        # a row that clashes with one already there (a key, a unique index) is skipped.
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        skip = " ON CONFLICT DO NOTHING" if unless_there else ""
        self.db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks}){skip}",  # noqa: S608
                        list(row.values()))

    def _update(self, table: str, key: str, value: Any, fields: dict) -> None:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE {table} SET {assignments} WHERE {key} = ?",  # noqa: S608
                        [*fields.values(), value])

    def _row(self, sql: str, params: Any = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    # -- locations ----------------------------------------------------------

    def site_version(self) -> int:
        """A number that changes whenever places, staff names or work rules change."""
        return self.db.execute("SELECT value FROM stamps WHERE name = 'site'").fetchone()[0]

    def _site_changed(self) -> None:
        self.db.execute("UPDATE stamps SET value = value + 1 WHERE name = 'site'")

    def add_location(self, location_id: str, name: str, kind: str) -> None:
        """Add an asylum centre or municipality."""
        with self.db.atomic():
            self._insert("locations",
                {"id": location_id, "name": name, "kind": kind, "created_at": utc_now()})
            self._site_changed()

    def rename_location(self, location_id: str, name: str, kind: str) -> None:
        """Change a location's name and kind."""
        with self.db.atomic():
            self.db.execute("UPDATE locations SET name = ?, kind = ? WHERE id = ?",
                            [name, kind, location_id])
            self._site_changed()

    def location(self, location_id: str) -> dict | None:
        """One location or None."""
        return self._row("SELECT * FROM locations WHERE id = ?", [location_id])

    def locations(self) -> list[dict]:
        """All locations by name."""
        return self._rows(f"SELECT * FROM locations ORDER BY {nocase('name')}")  # noqa: S608

    # -- users --------------------------------------------------------------

    def add_user(self, user: dict, location_ids: list[str] = ()) -> None:
        """Insert a user; staff get their locations in the same transaction."""
        row = {"created_at": utc_now(), "failed_signins": 0, "active": 1, **user}
        try:
            with self.db.atomic():
                self._insert("users", row)
                for loc in location_ids:
                    self._insert("staff_locations",
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
                self._insert("staff_locations",
                    {"user_id": user_id, "location_id": loc})

    def update_user(self, user_id: str, **fields: Any) -> None:
        """Change some columns of a user."""
        with self.db.atomic():
            self._update("users", "id", user_id, fields)
            if "display_name" in fields:
                # Staff names show on the profiles they wrote in.
                self.db.execute(
                    "UPDATE stamps SET value = value + 1 WHERE name = 'site' AND EXISTS"
                    " (SELECT 1 FROM users WHERE id = ? AND role != 'refugee')", [user_id])

    def record_failed_signin(self, user_id: str | None, address: str, at: str,
                             lock_after: int, locked_until: str, forget_before: str) -> None:
        """Count a failed sign-in for the address and (when known) the account, which
        locks when it reaches ``lock_after``; forget failures too old to matter.

        The same statements run whether or not the account exists: no timing hint.
        """
        with self.db.atomic():
            self.db.execute("DELETE FROM signin_failures WHERE at < ?", [forget_before])
            self.db.execute("INSERT INTO signin_failures (address, at) VALUES (?, ?)",
                            [address, at])
            # A locked account does not count on: a guesser cannot make the lock endless.
            self.db.execute(
                "UPDATE users SET failed_signins = failed_signins + 1 WHERE id = ?"
                " AND (locked_until IS NULL OR locked_until <= ?)", [user_id, at])
            self.db.execute(
                "UPDATE users SET locked_until = ?, failed_signins = 0"
                " WHERE id = ? AND failed_signins >= ?", [locked_until, user_id, lock_after])

    def clear_failed_signins(self, user_id: str) -> None:
        """Reset the failure count after a good sign-in."""
        self.db.execute(
            "UPDATE users SET failed_signins = 0, locked_until = NULL WHERE id = ?", [user_id])

    def count_failed_signins(self, address: str, since: str) -> int:
        """How many failed sign-ins came from ``address`` since ``since``."""
        return self._row("SELECT count(*) AS n FROM signin_failures WHERE address = ?"
                         " AND at >= ?", [address, since])["n"]

    # -- sessions -------------------------------------------------------------

    def add_session(self, token_hash: str, user_id: str, shared: bool, now: str,
                    expires_at: str) -> None:
        """Start a session; sessions that have expired meanwhile are forgotten."""
        with self.db.atomic():
            self.db.execute("DELETE FROM sessions WHERE expires_at < ?", [now])
            self.db.execute(
                "INSERT INTO sessions (token_hash, user_id, shared, created_at, seen_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                [token_hash, user_id, int(shared), now, now, expires_at])

    def session(self, token_hash: str) -> dict | None:
        """A session with its user's columns (``user_*`` are the session's own)."""
        return self._row(
            "SELECT u.*, s.user_id AS session_user_id, s.shared AS session_shared,"
            " s.seen_at AS session_seen_at, s.expires_at AS session_expires_at"
            " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
            [token_hash])

    def touch_session(self, token_hash: str, now: str) -> None:
        """Note that a session was used (for the idle limit of shared devices)."""
        self.db.execute("UPDATE sessions SET seen_at = ? WHERE token_hash = ?",
                        [now, token_hash])

    def end_session(self, token_hash: str) -> None:
        """End one session: its cookie opens nothing any more."""
        self.db.execute("DELETE FROM sessions WHERE token_hash = ?", [token_hash])

    def end_sessions_of(self, user_id: str, keep: str | None = None) -> int:
        """End every session of a user (but ``keep``); the number ended."""
        cursor = self.db.execute(
            "DELETE FROM sessions WHERE user_id = ? AND token_hash <> coalesce(?, '')",
            [user_id, keep])
        return cursor.rowcount

    def session_count(self, user_id: str) -> int:
        """How many sessions of a user are open."""
        return self._row("SELECT count(*) AS n FROM sessions WHERE user_id = ?",
                         [user_id])["n"]

    # -- handover codes ------------------------------------------------------

    def add_handover_code(self, code_hash: str, user_id: str, created_by: str,
                          expires_at: str) -> None:
        """Store a one-time sign-in code (hashed), replacing the user's unused ones."""
        with self.db.atomic():
            self.db.execute(
                "DELETE FROM handover_codes WHERE user_id = ? AND used_at IS NULL", [user_id])
            self._insert("handover_codes",
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

    def count_records(self, person_id: str) -> dict[str, int]:
        """How many live records of each type a person has."""
        return {r["type"]: r["n"] for r in self._rows(
            "SELECT type, count(*) AS n FROM records WHERE person_id = ? AND deleted = 0"
            " GROUP BY type", [person_id])}

    @staticmethod
    def _list_order(record_type: str) -> str:
        # Hours newest day first (what a person looks for), others in the order made.
        return f"{field('date')} DESC, id" if record_type == "volunteer" else "created_at, id"

    def records_page(self, person_id: str, record_type: str, *, limit: int,
                     offset: int = 0, leave_out: list[str] = ()) -> list[dict]:
        """One page of a person's live records of a type, in list order (without the
        records ``leave_out`` names: those shown before, on a review)."""
        # Only "?" placeholders are put into the SQL; the ids go in as parameters.
        without = (" AND id NOT IN (" + ",".join("?" for _ in leave_out) + ")"
                   if leave_out else "")
        return [self._record(r) for r in self._rows(
            "SELECT * FROM records WHERE person_id = ? AND type = ? AND deleted = 0"  # noqa: S608
            f"{without} ORDER BY {self._list_order(record_type)} LIMIT ? OFFSET ?",
            [person_id, record_type, *leave_out, limit, offset])]

    def records_about(self, person_id: str, record_type: str, about: str,
                      record_ids: list[str]) -> list[dict]:
        """A person's live records of a type whose field ``about`` names one of ``record_ids``
        (the comments on some entries, the steps of some goals), oldest first."""
        if not record_ids:
            return []
        marks = ",".join("?" for _ in record_ids)
        return [self._record(r) for r in self._rows(
            "SELECT * FROM records WHERE person_id = ? AND type = ? AND deleted = 0"  # noqa: S608
            f" AND {field(about)} IN ({marks}) ORDER BY created_at, id",
            [person_id, record_type, *record_ids])]

    def insert_record(self, row: dict) -> None:
        """Insert a new record row (inside the write path's transaction)."""
        self._insert("records", {**row, "data": _dumps(row["data"])})

    def update_record(self, record_id: str, **fields: Any) -> None:
        """Update a record row (inside the write path's transaction)."""
        if "data" in fields:
            fields["data"] = _dumps(fields["data"])
        self._update("records", "id", record_id, fields)

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
            f"SELECT coalesce(sum({number('hours')}), 0) AS total FROM records"  # noqa: S608
            " WHERE person_id = ? AND type = 'volunteer' AND deleted = 0 AND id != ?"
            f" AND {field('date')} = ?", [person_id, exclude_id, day])
        return float(row["total"])

    def add_to_tallies(self, person_id: str, record_type: str,
                       deltas: dict[str, tuple[float, float]]) -> None:
        """Add (amount, verified) to a person's sums per period (inside the write path)."""
        for period, (amount, verified) in deltas.items():
            self.db.execute(
                "INSERT INTO tallies (person_id, type, period, amount, verified)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id, type, period) DO UPDATE"
                " SET amount = amount + excluded.amount, verified = verified + excluded.verified",
                [person_id, record_type, period, amount, verified])

    def tallies(self, person_id: str, record_type: str, *, months: int = 12,
                weeks: int = 8) -> list[dict]:
        """A person's sums: all time, and the newest months and weeks that have any."""
        rows = self._rows("SELECT period, amount AS hours, verified FROM tallies"
                          " WHERE person_id = ? AND type = ? AND period = 'all'",
                          [person_id, record_type])
        for pattern, limit in (("____-__", months), ("____-W__", weeks)):
            rows += self._rows(
                "SELECT period, amount AS hours, verified FROM tallies WHERE person_id = ?"
                " AND type = ? AND period LIKE ? AND amount > 0 ORDER BY period DESC LIMIT ?",
                [person_id, record_type, pattern, limit])
        return rows

    def clear_tallies(self) -> None:
        """Forget every sum (before they are added up anew from the entries)."""
        self.db.execute("DELETE FROM tallies")

    def stamp(self, name: str) -> int | None:
        """A stored version number, or None."""
        row = self._row("SELECT value FROM stamps WHERE name = ?", [name])
        return row["value"] if row else None

    def set_stamp(self, name: str, value: int) -> None:
        """Store a version number."""
        self.db.execute("INSERT INTO stamps (name, value) VALUES (?, ?) ON CONFLICT (name)"
                        " DO UPDATE SET value = excluded.value", [name, value])

    def all_records(self, record_type: str) -> Iterator[dict]:
        """Every live record of a type, everyone's, a batch at a time (for rebuilds)."""
        last = ""
        while True:
            batch = self._rows("SELECT * FROM records WHERE type = ? AND deleted = 0"
                               " AND id > ? ORDER BY id LIMIT 1000", [record_type, last])
            if not batch:
                return
            for row in batch:
                yield self._record(row)
            last = batch[-1]["id"]

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
        self._insert("operations",
            {"op_id": op_id, "actor_id": actor_id, "person_id": person_id,
             "record_id": record_id, "at": utc_now(), "outcome": _dumps(outcome),
             "view": _dumps(view)})

    # -- conflicts ------------------------------------------------------------

    def add_conflict(self, conflict: dict) -> None:
        """Keep a stale edit that could not be merged, next to the current version."""
        self._insert("conflicts", {**conflict, "proposed": _dumps(conflict["proposed"])})

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

    @staticmethod
    def _people_where(location_ids: list[str], query: str) -> tuple[str, list[Any]]:
        # Only "?" placeholders are put into the SQL; the values go in as parameters.
        where = ("u.role = 'refugee' AND u.location_id IN ("
                 + ",".join("?" for _ in location_ids) + ")")
        params: list[Any] = list(location_ids)
        if query:
            where += " AND (u.display_name LIKE ? ESCAPE '\\' OR u.username LIKE ? ESCAPE '\\')"
            like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            params += [like, like]
        return where, params

    def count_people_at(self, location_ids: list[str], query: str = "") -> int:
        """How many refugees are at the given locations (matching ``query``)."""
        if not location_ids:
            return 0
        where, params = self._people_where(location_ids, query)
        return self._row(f"SELECT count(*) AS n FROM users u WHERE {where}",  # noqa: S608
                         params)["n"]

    def people_at(self, location_ids: list[str], query: str = "", *, limit: int = 25,
                  offset: int = 0) -> list[dict]:
        """One page of the refugees at the given locations, by name, with their newest
        change. ``query`` matches name or username."""
        if not location_ids:
            return []
        where, params = self._people_where(location_ids, query)
        # The newest change of each person: one index lookup, not their whole history.
        sql = ("SELECT u.id, u.username, u.display_name, u.location_id,"  # noqa: S608
               " l.name AS location_name, h.seq AS last_seq, h.at AS last_change_at"
               " FROM users u LEFT JOIN locations l ON l.id = u.location_id"
               " LEFT JOIN history h ON h.seq = (SELECT max(seq) FROM history"
               "  WHERE person_id = u.id)"
               f" WHERE {where} ORDER BY {nocase('u.display_name')}, u.id LIMIT ? OFFSET ?")
        return self._rows(sql, [*params, limit, offset])

    def review(self, staff_id: str, person_id: str) -> dict | None:
        """When a staff member last reviewed a person, and up to which change."""
        return self._row("SELECT * FROM reviews WHERE staff_id = ? AND person_id = ?",
                         [staff_id, person_id])

    def reviews_by(self, staff_id: str, person_ids: list[str]) -> dict[str, dict]:
        """A staff member's reviews of these people, by person."""
        if not person_ids:
            return {}
        marks = ",".join("?" for _ in person_ids)
        return {r["person_id"]: r for r in self._rows(
            f"SELECT * FROM reviews WHERE staff_id = ? AND person_id IN ({marks})",  # noqa: S608
            [staff_id, *person_ids])}

    def mark_reviewed(self, staff_id: str, person_id: str, seq: int) -> None:
        """Remember that ``staff_id`` reviewed ``person_id`` up to change ``seq``."""
        self.db.execute(
            "INSERT INTO reviews (staff_id, person_id, reviewed_seq, reviewed_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (staff_id, person_id) DO UPDATE"
            " SET reviewed_seq = excluded.reviewed_seq, reviewed_at = excluded.reviewed_at",
            [staff_id, person_id, seq, utc_now()])

    def changes_since(self, person_id: str, seq: int) -> list[dict]:
        """A person's history entries after change ``seq`` (without data), oldest first."""
        return self._rows(
            "SELECT seq, record_id, type, revision, action, actor_id, at FROM history"
            " WHERE person_id = ? AND seq > ? ORDER BY seq", [person_id, seq])

    def changed_since(self, person_id: str, seq: int, not_by: str, *,
                      record_ids: list[str] | None = None, limit: int = 1000) -> list[dict]:
        """The records of a person others changed after change ``seq``, newest change
        first: record id, type, whether it was made then (``made``), its newest change.
        Only ``record_ids``, when given."""
        where, params = "person_id = ? AND seq > ? AND actor_id != ?", [person_id, seq, not_by]
        if record_ids is not None:
            if not record_ids:
                return []
            where += " AND record_id IN (" + ",".join("?" for _ in record_ids) + ")"
            params += record_ids
        return self._rows(
            "SELECT record_id, type, max(CASE WHEN action = 'create' THEN 1 ELSE 0 END) AS made,"  # noqa: S608
            " max(seq) AS last"
            f" FROM history WHERE {where} GROUP BY record_id ORDER BY last DESC LIMIT ?",
            [*params, limit])

    def records_by_ids(self, person_id: str, record_ids: list[str]) -> list[dict]:
        """A person's live records with these ids, in the order of ``record_ids``."""
        if not record_ids:
            return []
        marks = ",".join("?" for _ in record_ids)
        found = {r["id"]: self._record(r) for r in self._rows(
            f"SELECT * FROM records WHERE person_id = ? AND deleted = 0 AND id IN ({marks})",  # noqa: S608
            [person_id, *record_ids])}
        return [found[i] for i in record_ids if i in found]

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
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO work_rules (id, kind, effective_from, status, data,"
                " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [rule["id"], rule["kind"], rule["effective_from"], rule["status"],
                 _dumps(data), utc_now(), created_by])
            if cursor.rowcount:  # the seed rules come again at every start: no change
                self._site_changed()

    def set_work_rule_status(self, rule_id: str, status: str) -> None:
        """Activate or retire a rule version."""
        with self.db.atomic():
            self.db.execute("UPDATE work_rules SET status = ? WHERE id = ?", [status, rule_id])
            self._site_changed()

    # -- exports --------------------------------------------------------------

    def volunteer_hours_at(self, location_id: str, start: str, end: str) -> list[dict]:
        """Volunteer-hour records of a location's refugees between two dates."""
        rows = self._rows(
            "SELECT r.*, u.display_name, u.username FROM records r"  # noqa: S608
            " JOIN users u ON u.id = r.person_id"
            " WHERE r.type = 'volunteer' AND r.deleted = 0 AND u.location_id = ?"
            " AND u.role = 'refugee'"
            f" AND {field('date', 'r.')} BETWEEN ? AND ?"
            f" ORDER BY {nocase('u.display_name')}, {field('date', 'r.')}",
            [location_id, start, end])
        return [self._record(r) for r in rows]

    # -- device keys ----------------------------------------------------------

    def add_device_key(self, key: dict) -> None:
        """Store a device's signing key, unless the device already has a live one."""
        self._insert("device_keys", {**key, "created_at": utc_now(), "revoked_at": None},
                     unless_there=True)

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
