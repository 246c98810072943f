"""The one module that talks to the database: SQLite (through sqlite-utils) or PostgreSQL.

SQLite is the embedded default: one file in WAL mode, nothing to run beside the
app. PostgreSQL (psycopg 3) is chosen by giving a ``postgresql://`` URL instead of
a path, for a deployment with several app servers. Every query is written once;
what the two say differently (placeholders, JSON fields, case, locking, the
catalogue) is said in the two dialect classes below and nowhere else.

Writes that must be atomic run inside ``Store.transaction()``: SQLite's
``BEGIN IMMEDIATE``, PostgreSQL's ``BEGIN`` plus one advisory lock, so writers
queue instead of failing half-way, and change numbers become visible in order
(a phone's pull cursor can never step over a change committed later).
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

POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")
# The sum (in tallies) every record type keeps: its number of live entries.
ENTRY_COUNT = "count"


class StoreError(Exception):
    """Base class for storage errors."""


class UsernameTaken(StoreError):
    """The username already belongs to another account."""


def utc_now() -> str:
    """The current UTC time as an ISO 8601 string with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def is_postgresql(target: str | Path) -> bool:
    """Whether a configured database names a PostgreSQL server (else: a SQLite file)."""
    return str(target).startswith(POSTGRESQL_SCHEMES)


def shown(target: str | Path) -> str:
    """A database's name fit to print: a URL without its password."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", str(target))


def _loads(value: str | None) -> Any:
    return json.loads(value) if value else None


def _dumps(value: Any) -> str:
    # ensure_ascii=False keeps Arabic, Tigrinya and emoji readable in the file.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# Field names come from this module and the record types, never from input.
_FIELD_NAME = re.compile(r"[a-z][a-z_]*")


def _field_name(name: str) -> str:
    if not _FIELD_NAME.fullmatch(name):
        raise StoreError(f"not a field name: {name!r}")
    return name


class _Words:
    """The SQL that differs between the databases, made from each dialect's templates."""

    FIELD: str  # a field of a record's JSON data, from {table} and {name}
    NUMBER: str  # the same field as a number, from {field}
    NOCASE: str  # an expression compared without regard to case, from {expression}
    LIKE: str  # the LIKE that ignores case

    @classmethod
    def field(cls, name: str, table: str = "") -> str:
        """A field of a record's JSON data (the date index says it the same way, so
        a query must too to use it)."""
        return cls.FIELD.format(table=table, name=_field_name(name))

    @classmethod
    def number(cls, name: str, table: str = "") -> str:
        """A numeric field of a record's data."""
        return cls.NUMBER.format(field=cls.field(name, table))

    @classmethod
    def nocase(cls, expression: str) -> str:
        """An expression ordered and compared without regard to case."""
        return cls.NOCASE.format(expression=expression)

    @classmethod
    def contains(cls, expression: str) -> str:
        """``expression`` matches a LIKE pattern (``\\`` escapes), whatever the case."""
        return f"{expression} {cls.LIKE} ? ESCAPE '\\'"


class SQLite(_Words):
    """SQLite's words and connection: one file, WAL, a full fsync per commit."""

    FIELD = "json_extract({table}data, '$.{name}')"
    NUMBER = "{field}"  # JSON numbers are numbers already
    NOCASE = "{expression} COLLATE NOCASE"
    LIKE = "LIKE"  # ignores the case of ASCII letters

    name = "sqlite"
    integrity_error: type[Exception] = sqlite3.IntegrityError
    # A change number is never used twice, not even after the newest row is deleted.
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, path: str):
        # isolation_level=None: no implicit BEGIN; a lone statement commits itself, a
        # transaction is begun by name (BEGIN IMMEDIATE), as on PostgreSQL.
        conn = sqlite3.connect(path, timeout=10, check_same_thread=False,
                               isolation_level=None)
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 10000")
        # FULL: an acknowledged write survives a power cut, not only a crash.
        conn.execute("PRAGMA synchronous = FULL")
        # What is deleted is overwritten, not left in free pages: a deleted profile must
        # not be readable in the file (sync/erasure.py).
        conn.execute("PRAGMA secure_delete = ON")

    # -- the connection ----------------------------------------------------------

    def run(self, sql: str, params: Any = ()) -> Any:
        return self.conn.execute(sql, params)

    def insert_numbered(self, sql: str, column: str, params: Any) -> int:
        """Insert a row; its number (the table's INTEGER PRIMARY KEY ``column``)."""
        return self.conn.execute(sql, params).lastrowid  # cheaper than RETURNING here

    def rows(self, sql: str, params: Any = ()) -> list[dict]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def begin_writing(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def pipelined(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()  # a statement here is a function call, not a trip

    def flush(self) -> None:
        pass

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def prepare(self) -> None:
        if self.db.journal_mode != "wal":
            self.db.enable_wal()

    def tables(self) -> list[str]:
        return [r["name"] for r in self.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]

    def columns(self, table: str) -> list[str]:
        return list(self.db.table(table).columns_dict)

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def set_schema_version(self, version: int) -> None:
        self.conn.execute(f"PRAGMA user_version = {int(version)}")

    def add_column(self, table: str, column: str) -> None:
        if column not in self.columns(table):
            self.db.table(table).add_column(column, str)

    @contextlib.contextmanager
    def traced(self) -> Iterator[list[str]]:
        statements: list[str] = []
        self.conn.set_trace_callback(statements.append)
        try:
            yield statements
        finally:
            self.conn.set_trace_callback(None)

    def forget_deleted(self, tables: tuple[str, ...]) -> None:
        # The log's copies of the pages from before the deletion go into the file (which
        # overwrote what was deleted) and the log is emptied.
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def explain(self, sql: str, params: Any = ()) -> list[str]:
        return [row[-1] for row in self.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]

    @staticmethod
    def scanned(plan: list[str]) -> list[str]:
        """The tables a query plan reads whole."""
        return [line.split()[1] for line in plan if line.startswith("SCAN ")]

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.rollback()

    @property
    def usable(self) -> bool:
        return True  # a file does not go away under an open connection

    def begin_reading(self) -> None:
        self.conn.execute("BEGIN")  # a WAL reader sees one moment until it ends

    def stream(self, sql: str, batch: int) -> Iterator[list[dict]]:
        cursor = self.conn.execute(sql)
        names = [d[0] for d in cursor.description]
        while rows := cursor.fetchmany(batch):
            yield [dict(zip(names, row, strict=True)) for row in rows]

    def insert_many(self, sql: str, rows: list[list]) -> None:
        self.conn.executemany(sql, rows)

    def continue_serials(self) -> None:
        pass  # AUTOINCREMENT follows the largest number inserted by itself

    def close(self) -> None:
        self.conn.close()


class PostgreSQL(_Words):
    """PostgreSQL's words and connection (psycopg 3), for several app servers."""

    FIELD = "(({table}data)::jsonb ->> '{name}')"  # text: dates and ids compare as text
    NUMBER = "({field})::double precision"
    NOCASE = "lower({expression})"
    LIKE = "ILIKE"

    name = "postgresql"
    serial = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

    def __init__(self, url: str):
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError as error:  # the [postgresql] extra is not installed
            raise StoreError("PostgreSQL needs psycopg: pip install -e '.[postgresql]'"
                             ) from error
        self._psycopg = psycopg
        self.integrity_error = psycopg.IntegrityError
        # Autocommit: a lone statement commits itself; transactions are begun by name.
        self.conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        self._queries: dict[str, str] = {}
        self._trace: list[str] | None = None
        self._pipeline = None

    def __del__(self):
        # A server thread's connection lives in its thread-local store and goes with
        # the thread: closed here, not left for psycopg to warn about.
        with contextlib.suppress(Exception):
            self.conn.close()

    # -- the connection ----------------------------------------------------------

    def _query(self, sql: str) -> str:
        # Queries are written with SQLite's "?"; psycopg wants "%s" (and "%%" for "%").
        query = self._queries.get(sql)
        if query is None:
            query = self._queries[sql] = sql.replace("%", "%%").replace("?", "%s")
        return query

    @staticmethod
    def _params(params: Any) -> list:
        # Flags are stored as 0/1 in both databases; PostgreSQL will not take True there.
        return [int(p) if isinstance(p, bool) else p for p in params]

    def run(self, sql: str, params: Any = ()) -> Any:
        query, values = self._query(sql), self._params(params)
        if self._trace is not None:
            self._trace.append(self._psycopg.ClientCursor(self.conn).mogrify(query, values))
        return self.conn.execute(query, values)

    def rows(self, sql: str, params: Any = ()) -> list[dict]:
        return self.run(sql, params).fetchall()

    def insert_numbered(self, sql: str, column: str, params: Any) -> int:
        """Insert a row; the number its identity ``column`` was given."""
        return self.run(f"{sql} RETURNING {column}", params).fetchone()[column]

    def begin_writing(self) -> None:
        self.run("BEGIN")
        # One writer at a time per schema, as SQLite: change numbers are taken and made
        # visible in the same order, so no pull cursor can pass one still uncommitted.
        self.run("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")

    @contextlib.contextmanager
    def pipelined(self) -> Iterator[None]:
        # Statements whose answer nobody reads travel with the next one that is read:
        # a round trip costs more than most statements' work. Leaving the block waits
        # for every answer (the COMMIT's too), errors included.
        if self._pipeline is not None:
            yield
            return
        with self.conn.pipeline() as pipeline:
            self._pipeline = pipeline
            try:
                yield
            finally:
                self._pipeline = None

    def flush(self) -> None:
        """Wait for the answers of what was sent (in a pipeline); raise its errors."""
        if self._pipeline is not None:
            self._pipeline.sync()

    @property
    def in_transaction(self) -> bool:
        status = self.conn.info.transaction_status
        return status != self._psycopg.pq.TransactionStatus.IDLE

    def prepare(self) -> None:
        pass

    def tables(self) -> list[str]:
        return [r["name"] for r in self.rows(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")]

    def columns(self, table: str) -> list[str]:
        return [r["name"] for r in self.rows(
            "SELECT column_name AS name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?"
            " ORDER BY ordinal_position", [table])]

    def schema_version(self) -> int:
        if "stamps" not in self.tables():
            return 0
        row = self.rows("SELECT value FROM stamps WHERE name = 'schema'")
        return row[0]["value"] if row else 0

    def set_schema_version(self, version: int) -> None:
        self.run("INSERT INTO stamps (name, value) VALUES ('schema', ?) ON CONFLICT (name)"
                 " DO UPDATE SET value = excluded.value", [version])

    def add_column(self, table: str, column: str) -> None:
        raise StoreError("PostgreSQL databases start at a schema with every column")

    @contextlib.contextmanager
    def traced(self) -> Iterator[list[str]]:
        statements: list[str] = []
        self._trace = statements
        try:
            yield statements
        finally:
            self._trace = None

    def forget_deleted(self, tables: tuple[str, ...]) -> None:
        # Removed rows stay in the table's pages until VACUUM frees their space for
        # reuse (it runs outside a transaction: the connection is in autocommit).
        for table in tables:
            self.conn.execute(f"VACUUM {table}")

    def explain(self, sql: str, params: Any = ()) -> list[str]:
        # With a handful of rows a sequential scan is cheapest; forbid it to learn
        # whether an index could serve the query once the tables are big.
        with self.conn.transaction():
            self.conn.execute("SET LOCAL enable_seqscan = off")
            self.conn.execute("SET LOCAL jit = off")
            rows = self.conn.execute(f"EXPLAIN {self._query(sql)}",
                                     self._params(params)).fetchall()
        return [next(iter(row.values())) for row in rows]

    @staticmethod
    def scanned(plan: list[str]) -> list[str]:
        """The tables a query plan reads whole."""
        return [m.group(1) for line in plan
                for m in [re.search(r"Seq Scan on (\w+)", line)] if m]

    def rollback(self) -> None:
        if self.in_transaction and self.usable:  # a broken connection has nothing to undo
            self.conn.rollback()

    @property
    def usable(self) -> bool:
        # A restarted or failed-over server breaks the connection: the query that met it
        # failed, and the next request opens a new one.
        return not (self.conn.closed or self.conn.broken)

    def begin_reading(self) -> None:
        self.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def stream(self, sql: str, batch: int) -> Iterator[list[dict]]:
        # A server-side cursor: a big table is not read into memory at once.
        with contextlib.ExitStack() as stack:
            if not self.in_transaction:
                stack.enter_context(self.conn.transaction())
            cursor = stack.enter_context(self.conn.cursor(name="rows_of"))
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch):
                yield rows

    def insert_many(self, sql: str, rows: list[list]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(self._query(sql), [self._params(row) for row in rows])

    def continue_serials(self) -> None:
        # Rows copied with their numbers leave the identity counter behind them.
        for table, column in (("history", "seq"), ("signin_failures", "id")):
            self.run(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"  # noqa: S608
                     f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)")

    def close(self) -> None:
        self.conn.close()


def _schema(sql: SQLite | PostgreSQL) -> list[str]:
    """The tables and indexes, in either database's words. Index names are those
    sqlite-utils gave them in databases made before this list."""
    field, nocase, serial = sql.field, sql.nocase, sql.serial
    return [
        "CREATE TABLE IF NOT EXISTS locations (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
        " kind TEXT NOT NULL, created_at TEXT)",
        "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL,"
        " role TEXT NOT NULL, secret_hash TEXT, display_name TEXT NOT NULL,"
        " location_id TEXT REFERENCES locations (id), locale TEXT, created_at TEXT,"
        " created_by TEXT, failed_signins INTEGER DEFAULT 0, locked_until TEXT,"
        " active INTEGER DEFAULT 1)",
        "CREATE UNIQUE INDEX IF NOT EXISTS idx_users_username ON users (username)",
        # A caseload: the refugees of a place, by name, a page at a time.
        "CREATE INDEX IF NOT EXISTS users_caseload ON users"
        f" (location_id, {nocase('display_name')}) WHERE role = 'refugee'",
        "CREATE TABLE IF NOT EXISTS staff_locations ("
        " user_id TEXT REFERENCES users (id), location_id TEXT REFERENCES locations (id),"
        " PRIMARY KEY (user_id, location_id))",
        "CREATE TABLE IF NOT EXISTS handover_codes (code_hash TEXT PRIMARY KEY,"
        " user_id TEXT REFERENCES users (id), created_by TEXT, created_at TEXT,"
        " expires_at TEXT, used_at TEXT)",
        # Failed sign-ins (and guessed share links) per client address: successes are
        # not counted, so a whole asylum centre behind one address can sign in while
        # guessing is slowed down.
        f"CREATE TABLE IF NOT EXISTS signin_failures (id {serial}, address TEXT, at TEXT)",
        "CREATE INDEX IF NOT EXISTS idx_signin_failures_address_at"
        " ON signin_failures (address, at)",
        # Sessions live here, not only in the cookie: signing out ends them for
        # whoever kept a copy of the cookie. Only a hash of the token is stored.
        "CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY,"
        " user_id TEXT NOT NULL REFERENCES users (id), shared INTEGER NOT NULL,"
        " created_at TEXT, seen_at TEXT NOT NULL, expires_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS idx_sessions_user_id ON sessions (user_id)",
        "CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY,"
        " person_id TEXT NOT NULL REFERENCES users (id), type TEXT NOT NULL,"
        " data TEXT NOT NULL, revision INTEGER NOT NULL, deleted INTEGER DEFAULT 0,"
        " has_conflict INTEGER DEFAULT 0, seq BIGINT, created_at TEXT, created_by TEXT,"
        " updated_at TEXT, updated_by TEXT)",
        "CREATE INDEX IF NOT EXISTS idx_records_person_id_type ON records (person_id, type)",
        "CREATE INDEX IF NOT EXISTS idx_records_seq ON records (seq)",
        "CREATE INDEX IF NOT EXISTS idx_records_person_id_seq ON records (person_id, seq)",
        "CREATE INDEX IF NOT EXISTS idx_records_person_id_type_created_at"
        " ON records (person_id, type, created_at)",
        # The hours a person already has on a day (each pushed entry checks it) and a
        # place's hours in a month: by date, not by reading every entry.
        "CREATE INDEX IF NOT EXISTS records_volunteer_day ON records"
        f" (person_id, {field('date')}) WHERE type = 'volunteer' AND deleted = 0",
        f"CREATE TABLE IF NOT EXISTS history (seq {serial}, record_id TEXT NOT NULL,"
        " person_id TEXT NOT NULL, type TEXT NOT NULL, revision INTEGER NOT NULL,"
        " action TEXT NOT NULL, data TEXT NOT NULL, changed TEXT NOT NULL,"
        " actor_id TEXT NOT NULL, op_id TEXT, at TEXT NOT NULL, via TEXT)",
        "CREATE INDEX IF NOT EXISTS idx_history_record_id_revision"
        " ON history (record_id, revision)",
        "CREATE INDEX IF NOT EXISTS idx_history_person_id_seq ON history (person_id, seq)",
        "CREATE TABLE IF NOT EXISTS operations (op_id TEXT PRIMARY KEY, actor_id TEXT,"
        " person_id TEXT, record_id TEXT, at TEXT, outcome TEXT, view TEXT)",
        "CREATE TABLE IF NOT EXISTS conflicts (id TEXT PRIMARY KEY, record_id TEXT,"
        " person_id TEXT, op_id TEXT, actor_id TEXT, action TEXT, base_revision INTEGER,"
        " current_revision INTEGER, proposed TEXT, created_at TEXT, resolved_at TEXT,"
        " resolved_by TEXT, resolution TEXT)",
        "CREATE INDEX IF NOT EXISTS idx_conflicts_record_id ON conflicts (record_id)",
        "CREATE INDEX IF NOT EXISTS idx_conflicts_person_id_resolved_at"
        " ON conflicts (person_id, resolved_at)",
        "CREATE TABLE IF NOT EXISTS reviews (staff_id TEXT, person_id TEXT,"
        " reviewed_seq BIGINT, reviewed_at TEXT, PRIMARY KEY (staff_id, person_id))",
        "CREATE TABLE IF NOT EXISTS work_rules (id TEXT PRIMARY KEY, kind TEXT,"
        " effective_from TEXT, status TEXT, data TEXT, created_at TEXT, created_by TEXT)",
        "CREATE TABLE IF NOT EXISTS device_keys (key_id TEXT PRIMARY KEY,"
        " user_id TEXT NOT NULL REFERENCES users (id), device_id TEXT NOT NULL,"
        " secret TEXT NOT NULL, created_at TEXT, revoked_at TEXT)",
        # One live key per device: a second, racing request for a key is ignored.
        "CREATE UNIQUE INDEX IF NOT EXISTS device_keys_live"
        " ON device_keys (user_id, device_id) WHERE revoked_at IS NULL",
        # Sums over a person's entries (how many of each type; volunteer hours per month,
        # week and in all), kept up to date by the write path: exact totals without
        # reading every entry.
        "CREATE TABLE IF NOT EXISTS tallies (person_id TEXT NOT NULL, type TEXT NOT NULL,"
        " period TEXT NOT NULL, amount DOUBLE PRECISION NOT NULL,"
        " verified DOUBLE PRECISION NOT NULL, PRIMARY KEY (person_id, type, period))",
        # Who looked at a person's profile: one row per viewer, kind of view and day
        # (times counts them), kept as long as the profile. Nobody edits it.
        "CREATE TABLE IF NOT EXISTS profile_views (person_id TEXT NOT NULL,"
        " day TEXT NOT NULL, viewer_id TEXT NOT NULL, viewer_role TEXT NOT NULL,"
        " what TEXT NOT NULL, times INTEGER NOT NULL, first_at TEXT NOT NULL,"
        " last_at TEXT NOT NULL, PRIMARY KEY (person_id, day, viewer_id, what))",
        # Profiles asked to be deleted, and deleted: the dates and who asked, never
        # what the profile held (sync/erasure.py); the reason goes with the profile.
        "CREATE TABLE IF NOT EXISTS erasures (person_id TEXT PRIMARY KEY,"
        " asked_at TEXT NOT NULL, asked_by TEXT NOT NULL, asked_role TEXT NOT NULL,"
        " reason TEXT, due_on TEXT NOT NULL, stopped_at TEXT, stopped_by TEXT,"
        " erased_at TEXT)",
        "CREATE INDEX IF NOT EXISTS idx_erasures_due_on ON erasures (due_on)",
        "CREATE INDEX IF NOT EXISTS idx_operations_person_id ON operations (person_id)",
        # Moves of a profile to another place proposed by a coach, and the person's
        # answer (sync/moves.py): one waiting at a time per person.
        "CREATE TABLE IF NOT EXISTS moves (id TEXT PRIMARY KEY, person_id TEXT NOT NULL,"
        " from_location TEXT, to_location TEXT NOT NULL, asked_by TEXT NOT NULL,"
        " asked_at TEXT NOT NULL, answer TEXT, answered_by TEXT, answered_at TEXT)",
        "CREATE UNIQUE INDEX IF NOT EXISTS moves_waiting ON moves (person_id)"
        " WHERE answered_at IS NULL",
        "CREATE INDEX IF NOT EXISTS idx_moves_person_id ON moves (person_id, asked_at)",
        # Parts of a profile the person shares with someone outside (sync/shares.py):
        # proposed by a coach, active, declined or stopped; and every consent the
        # person gave, with the text they saw, kept with the profile.
        "CREATE TABLE IF NOT EXISTS shares (id TEXT PRIMARY KEY, person_id TEXT NOT NULL,"
        " audience TEXT NOT NULL, sections TEXT NOT NULL, named INTEGER NOT NULL,"
        " free_text INTEGER NOT NULL, contact TEXT, expires_on TEXT NOT NULL,"
        " created_at TEXT NOT NULL, created_by TEXT NOT NULL, status TEXT NOT NULL,"
        " answered_at TEXT, answered_by TEXT)",
        "CREATE INDEX IF NOT EXISTS idx_shares_person_id ON shares (person_id, created_at)",
        "CREATE TABLE IF NOT EXISTS consents (id TEXT PRIMARY KEY, person_id TEXT NOT NULL,"
        " subject TEXT NOT NULL, subject_id TEXT, text TEXT NOT NULL, locale TEXT NOT NULL,"
        " given_at TEXT NOT NULL, how TEXT NOT NULL, withdrawn_at TEXT, withdrawn_how TEXT)",
        "CREATE INDEX IF NOT EXISTS idx_consents_person_id ON consents (person_id, given_at)",
        "CREATE INDEX IF NOT EXISTS idx_consents_subject_id ON consents (subject_id)",
        # Photos and documents of a person's entries (sync/files.py): the file's id is
        # the hash of the bytes the phone sent; the bytes kept (``blob``, a picture
        # drawn anew) and a small preview are in the file folder, named by their hash.
        "CREATE TABLE IF NOT EXISTS files (person_id TEXT NOT NULL, id TEXT NOT NULL,"
        " blob TEXT NOT NULL, preview TEXT, media_type TEXT NOT NULL, size INTEGER NOT NULL,"
        " width INTEGER, height INTEGER, name TEXT, seconds REAL, language TEXT,"
        " added_at TEXT NOT NULL, added_by TEXT NOT NULL, seen_by TEXT, seen_at TEXT,"
        " PRIMARY KEY (person_id, id))",
        # Files on their way in: announced, with their bytes so far in the file folder.
        "CREATE TABLE IF NOT EXISTS uploads (person_id TEXT NOT NULL, id TEXT NOT NULL,"
        " size INTEGER NOT NULL, name TEXT, seconds REAL, language TEXT,"
        " started_by TEXT NOT NULL,"
        " started_at TEXT NOT NULL, PRIMARY KEY (person_id, id))",
        # Statements of verified volunteer hours the person made (sync/statements.py): the
        # signed document, and when it was withdrawn.
        "CREATE TABLE IF NOT EXISTS statements (id TEXT PRIMARY KEY, person_id TEXT NOT NULL,"
        " document TEXT NOT NULL, signature TEXT NOT NULL, created_at TEXT NOT NULL,"
        " revoked_at TEXT)",
        "CREATE INDEX IF NOT EXISTS idx_statements_person_id ON statements"
        " (person_id, created_at)",
        # Version numbers of what many pages show besides the person's own entries
        # (places, staff names, work rules): a page's ETag includes "site", so a kept
        # page is refreshed when an admin changes one, without reading them all.
        "CREATE TABLE IF NOT EXISTS stamps (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO stamps (name, value) VALUES ('site', 1) ON CONFLICT DO NOTHING",
    ]


class Store:
    """Storage for one database: a SQLite file, or a PostgreSQL URL."""

    def __init__(self, target: str | Path):
        self.path = str(target)
        self.sql: SQLite | PostgreSQL = (
            PostgreSQL(self.path) if is_postgresql(self.path) else SQLite(self.path))

    @property
    def db(self) -> sqlite_utils.Database:
        """The sqlite-utils database (SQLite only: tools that fill big files fast)."""
        return self.sql.db

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.sql.name

    def close(self) -> None:
        """Close the connection."""
        self.sql.close()

    # -- schema -------------------------------------------------------------

    def create_schema(self) -> None:
        """Create tables and indexes that do not exist yet, and migrate older ones."""
        self.sql.prepare()
        with self.transaction():
            for statement in _schema(self.sql):
                self._run(statement)
            if self.sql.name == "sqlite":
                self._migrate()
            self.sql.set_schema_version(SCHEMA_VERSION)

    def _migrate(self) -> None:
        """Bring SQLite databases made by older versions up to date, in place
        (PostgreSQL databases began at version 5)."""
        version = self.sql.schema_version()
        if 0 < version < 2:
            # Version 2: who delivered an operation for its author (an uploaded outbox).
            self.sql.add_column("history", "via")
        if 0 < version < 3:
            # Version 3: the record as an operation's author saw it afterwards, so the
            # author's next edit of it is judged against that and not their own change.
            self.sql.add_column("operations", "view")
        if 0 < version < 4:
            # Version 4: sessions in the database; only failed sign-ins are counted.
            self._run("DROP TABLE IF EXISTS signin_attempts")
        if 0 < version < 5:
            # Version 5: a person's name, place and language live in their account only
            # (the users table, which the app always showed); the basics keep the rest.
            self._run(
                "UPDATE records SET data = json_remove(data, '$.display_name',"
                " '$.location_id', '$.preferred_language') WHERE type = 'basics'")

    @contextlib.contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[Store]:
        """Run a block as one writing transaction: all of it or none of it.

        ``pipelined`` (a batch of the write path): on PostgreSQL, writes whose answer is
        not read go with the next statement; each savepoint waits for its own answers,
        so a failure is still its operation's. Nothing in the block may read a count
        of changed rows.
        """
        with self.sql.pipelined() if pipelined else contextlib.nullcontext():
            try:
                self.sql.begin_writing()
            except BaseException:
                self.sql.rollback()  # waiting for the lock failed (a timeout): nothing began
                raise
            try:
                yield self
            except BaseException:
                self.sql.rollback()
                raise
            else:
                self._run("COMMIT")

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[Store]:
        """Inside a transaction: a block that is undone alone when it fails."""
        self._run("SAVEPOINT step")
        try:
            yield self
            self.sql.flush()  # a failed write is this block's, not the next one's
        except BaseException:
            if self.sql.in_transaction:
                self._run("ROLLBACK TO SAVEPOINT step")
                self._run("RELEASE SAVEPOINT step")
            raise
        else:
            self._run("RELEASE SAVEPOINT step")

    @contextlib.contextmanager
    def _atomic(self) -> Iterator[None]:
        # Statements that belong together: a savepoint inside a transaction, else their own.
        if self.sql.in_transaction:
            with self.savepoint():
                yield
        else:
            with self.transaction():
                yield

    def backup_to(self, target: str | Path) -> None:
        """Copy the live database to ``target`` with SQLite's online backup."""
        if self.sql.name != "sqlite":
            raise StoreError("a PostgreSQL database is backed up with pg_dump or a standby")
        dest = sqlite3.connect(str(target))
        try:
            self.sql.conn.backup(dest)
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
        return sorted(self.sql.tables())

    def columns(self, table: str) -> list[str]:
        """The column names of a table."""
        return self.sql.columns(table)

    def schema_version(self) -> int:
        """The version of the schema the database has."""
        return self.sql.schema_version()

    def query(self, sql: str, params: Any = ()) -> list[dict]:
        """Rows of a read-only query (tools and tests; the app asks by name)."""
        return self._rows(sql, params)

    def execute(self, sql: str, params: Any = ()) -> int:
        """Run one statement outside the write path (tests, maintenance); rows changed."""
        return self._run(sql, params).rowcount

    @contextlib.contextmanager
    def traced(self) -> Iterator[list[str]]:
        """The SQL statements run in a block, in order (tests count and explain them)."""
        with self.sql.traced() as statements:
            yield statements

    def explain(self, sql: str, params: Any = ()) -> list[str]:
        """The query plan's steps of a statement."""
        return self.sql.explain(sql, params)

    def scanned(self, sql: str, params: Any = ()) -> list[str]:
        """The tables a statement reads whole (its plan has no index for them)."""
        return self.sql.scanned(self.explain(sql, params))

    @property
    def in_transaction(self) -> bool:
        return self.sql.in_transaction

    @property
    def usable(self) -> bool:
        """Whether the connection still works (False: the database server went away)."""
        return self.sql.usable

    def rollback(self) -> None:
        """Undo a transaction left open (a request that failed half-way)."""
        self.sql.rollback()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Store]:
        """Read a block's queries from one moment of the database, writers going on."""
        self.sql.begin_reading()
        try:
            yield self
        finally:
            self.sql.rollback()

    def rows_of(self, table: str, batch: int = 1000) -> Iterator[list[dict]]:
        """Every row of a table of this schema, a batch at a time (copies, checks)."""
        if table not in self.tables():
            raise StoreError(f"no table {table!r}")
        yield from self.sql.stream(f"SELECT * FROM {table}", batch)  # noqa: S608

    def add_rows(self, table: str, rows: list[dict]) -> None:
        """Insert rows as they are, numbers included (a copy from another database)."""
        if not rows:
            return
        names = list(rows[0])
        self.sql.insert_many(
            f"INSERT INTO {table} ({', '.join(names)})"  # noqa: S608
            f" VALUES ({', '.join('?' for _ in names)})",
            [[row[name] for name in names] for row in rows])

    def continue_serials(self) -> None:
        """After ``add_rows``: new change numbers follow the copied ones."""
        self.sql.continue_serials()

    def _run(self, sql: str, params: Any = ()) -> Any:
        return self.sql.run(sql, params)

    def _rows(self, sql: str, params: Any = ()) -> list[dict]:
        return self.sql.rows(sql, params)

    def _insert(self, table: str, row: dict, *, unless_there: bool = False) -> None:
        # Table and column names come from this module, never from input. unless_there:
        # a row that clashes with one already there (a key, a unique index) is skipped.
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        skip = " ON CONFLICT DO NOTHING" if unless_there else ""
        self._run(f"INSERT INTO {table} ({names}) VALUES ({marks}){skip}",  # noqa: S608
                  list(row.values()))

    def _update(self, table: str, key: str, value: Any, fields: dict) -> None:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self._run(f"UPDATE {table} SET {assignments} WHERE {key} = ?",  # noqa: S608
                  [*fields.values(), value])

    def _row(self, sql: str, params: Any = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    # -- locations ----------------------------------------------------------

    def site_version(self) -> int:
        """A number that changes whenever places, staff names or work rules change."""
        return self._row("SELECT value FROM stamps WHERE name = 'site'")["value"]

    def _site_changed(self) -> None:
        self._run("UPDATE stamps SET value = value + 1 WHERE name = 'site'")

    def add_location(self, location_id: str, name: str, kind: str) -> None:
        """Add an asylum centre or municipality."""
        with self._atomic():
            self._insert("locations",
                {"id": location_id, "name": name, "kind": kind, "created_at": utc_now()})
            self._site_changed()

    def rename_location(self, location_id: str, name: str, kind: str) -> None:
        """Change a location's name and kind."""
        with self._atomic():
            self._run("UPDATE locations SET name = ?, kind = ? WHERE id = ?",
                            [name, kind, location_id])
            self._site_changed()

    def location(self, location_id: str) -> dict | None:
        """One location or None."""
        return self._row("SELECT * FROM locations WHERE id = ?", [location_id])

    def locations(self) -> list[dict]:
        """All locations by name."""
        return self._rows(f"SELECT * FROM locations ORDER BY {self.sql.nocase('name')}")  # noqa: S608

    # -- users --------------------------------------------------------------

    def add_user(self, user: dict, location_ids: list[str] = ()) -> None:
        """Insert a user; staff get their locations in the same transaction."""
        row = {"created_at": utc_now(), "failed_signins": 0, "active": 1, **user}
        try:
            with self._atomic():
                self._insert("users", row)
                for loc in location_ids:
                    self._insert("staff_locations",
                        {"user_id": row["id"], "location_id": loc})
        except self.sql.integrity_error as exc:
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
        with self._atomic():
            self._run("DELETE FROM staff_locations WHERE user_id = ?", [user_id])
            for loc in location_ids:
                self._insert("staff_locations",
                    {"user_id": user_id, "location_id": loc})

    def update_user(self, user_id: str, **fields: Any) -> None:
        """Change some columns of a user."""
        with self._atomic():
            self._update("users", "id", user_id, fields)
            if "display_name" in fields:
                # Staff names show on the profiles they wrote in.
                self._run(
                    "UPDATE stamps SET value = value + 1 WHERE name = 'site' AND EXISTS"
                    " (SELECT 1 FROM users WHERE id = ? AND role != 'refugee')", [user_id])

    def record_failed_signin(self, user_id: str | None, address: str, at: str,
                             lock_after: int, locked_until: str, forget_before: str) -> None:
        """Count a failed sign-in for the address and (when known) the account, which
        locks when it reaches ``lock_after``; forget failures too old to matter.

        The same statements run whether or not the account exists: no timing hint.
        """
        with self._atomic():
            self.record_failed_guess(address, at, forget_before)
            # A locked account does not count on: a guesser cannot make the lock endless.
            self._run(
                "UPDATE users SET failed_signins = failed_signins + 1 WHERE id = ?"
                " AND (locked_until IS NULL OR locked_until <= ?)", [user_id, at])
            self._run(
                "UPDATE users SET locked_until = ?, failed_signins = 0"
                " WHERE id = ? AND failed_signins >= ?", [locked_until, user_id, lock_after])

    def record_failed_guess(self, address: str, at: str, forget_before: str) -> None:
        """Count a failed guess (of a sign-in, or a link) from ``address``; forget those
        too old to matter. Links count under their own address key (``link ...``)."""
        with self._atomic():
            self._run("DELETE FROM signin_failures WHERE at < ?", [forget_before])
            self._run("INSERT INTO signin_failures (address, at) VALUES (?, ?)",
                      [address, at])

    def clear_failed_signins(self, user_id: str) -> None:
        """Reset the failure count after a good sign-in."""
        self._run(
            "UPDATE users SET failed_signins = 0, locked_until = NULL WHERE id = ?", [user_id])

    def count_failures(self, address: str, since: str) -> int:
        """How many failed guesses came from ``address`` since ``since``."""
        return self._row("SELECT count(*) AS n FROM signin_failures WHERE address = ?"
                         " AND at >= ?", [address, since])["n"]

    # -- sessions -------------------------------------------------------------

    def add_session(self, token_hash: str, user_id: str, shared: bool, now: str,
                    expires_at: str) -> None:
        """Start a session; sessions that have expired meanwhile are forgotten."""
        with self._atomic():
            self._run("DELETE FROM sessions WHERE expires_at < ?", [now])
            self._run(
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
        self._run("UPDATE sessions SET seen_at = ? WHERE token_hash = ?",
                        [now, token_hash])

    def end_session(self, token_hash: str) -> None:
        """End one session: its cookie opens nothing any more."""
        self._run("DELETE FROM sessions WHERE token_hash = ?", [token_hash])

    def end_sessions_of(self, user_id: str, keep: str | None = None) -> int:
        """End every session of a user (but ``keep``); the number ended."""
        cursor = self._run(
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
        with self._atomic():
            self._run(
                "DELETE FROM handover_codes WHERE user_id = ? AND used_at IS NULL", [user_id])
            self._insert("handover_codes",
                {"code_hash": code_hash, "user_id": user_id, "created_by": created_by,
                 "created_at": utc_now(), "expires_at": expires_at, "used_at": None})

    def handover_code(self, code_hash: str) -> dict | None:
        """A handover code by its hash."""
        return self._row("SELECT * FROM handover_codes WHERE code_hash = ?", [code_hash])

    def use_handover_code(self, code_hash: str, now: str) -> bool:
        """Mark a code used; False when it was used or expired meanwhile."""
        cursor = self._run(
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
        """How many live records of each type a person has (kept in the sums by the write
        path, so a long list is not counted on every page)."""
        return {r["type"]: int(r["amount"]) for r in self._rows(
            "SELECT type, amount FROM tallies WHERE person_id = ? AND period = ?"
            " AND amount > 0", [person_id, ENTRY_COUNT])}

    def _list_order(self, record_type: str) -> str:
        # Hours newest day first (what a person looks for), others in the order made.
        if record_type == "volunteer":
            return f"{self.sql.field('date')} DESC, id"
        return "created_at, id"

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
            f" AND {self.sql.field(about)} IN ({marks}) ORDER BY created_at, id",
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
        return self.sql.insert_numbered(
            "INSERT INTO history (record_id, person_id, type, revision, action, data,"
            " changed, actor_id, op_id, at, via) VALUES (?,?,?,?,?,?,?,?,?,?,?)", "seq",
            [entry["record_id"], entry["person_id"], entry["type"], entry["revision"],
             entry["action"], _dumps(entry["data"]), _dumps(entry["changed"]),
             entry["actor_id"], entry.get("op_id"), entry["at"], entry.get("via")])

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

    def history_of_person(self, person_id: str, *, after: int = 0,
                          limit: int = 500) -> list[dict]:
        """A batch of every change of a person's records, in the order made (from change
        number ``after``): an export reads a long history a batch at a time."""
        rows = self._rows("SELECT * FROM history WHERE person_id = ? AND seq > ?"
                          " ORDER BY seq LIMIT ?", [person_id, after, limit])
        for row in rows:
            row["data"] = _loads(row["data"])
            row["changed"] = _loads(row["changed"])
        return rows

    # -- who looked at a profile ----------------------------------------------

    def note_views(self, views: list[tuple[str, str, str, str]], at: str) -> None:
        """Count views (person, viewer, viewer's role, what) at time ``at``: one row per
        person, day, viewer and kind of view, in one statement."""
        if not views:
            return
        rows = ", ".join("(?, ?, ?, ?, ?, 1, ?, ?)" for _ in views)
        self._run(
            "INSERT INTO profile_views (person_id, day, viewer_id, viewer_role, what, times,"  # noqa: S608
            f" first_at, last_at) VALUES {rows} ON CONFLICT (person_id, day, viewer_id, what)"
            " DO UPDATE SET times = profile_views.times + 1, last_at = excluded.last_at,"
            " viewer_role = excluded.viewer_role",
            [value for person_id, viewer_id, role, what in dict.fromkeys(views)
             for value in (person_id, at[:10], viewer_id, role, what, at, at)])

    # Who looked: a staff member by their name now, a share link by whom it was for.
    _VIEWER = ("coalesce(u.display_name, s.audience) AS display_name FROM profile_views v"
               " LEFT JOIN users u ON u.id = v.viewer_id"
               " LEFT JOIN shares s ON s.id = v.viewer_id")

    def views_of(self, person_id: str, *, limit: int = 10, offset: int = 0) -> list[dict]:
        """Who looked at a person's profile, newest first, with the viewer's name now."""
        return self._rows(
            f"SELECT v.*, {self._VIEWER} WHERE v.person_id = ?"  # noqa: S608
            " ORDER BY v.day DESC, v.last_at DESC, v.viewer_id, v.what LIMIT ? OFFSET ?",
            [person_id, limit, offset])

    def views_mark(self, person_id: str) -> tuple[int, int]:
        """(rows, views) of a person's log: a page showing it changes when these do."""
        row = self._row("SELECT count(*) AS n, coalesce(sum(times), 0) AS t"
                        " FROM profile_views WHERE person_id = ?", [person_id])
        return int(row["n"]), int(row["t"])

    def all_views_of(self, person_id: str) -> list[dict]:
        """The whole log of a person, oldest first (their data export)."""
        return self._rows(
            f"SELECT v.*, {self._VIEWER} WHERE v.person_id = ?"  # noqa: S608
            " ORDER BY v.day, v.first_at",
            [person_id])

    def staff_at(self, location_id: str) -> list[dict]:
        """The active volunteers and coaches of a place, by name."""
        return self._rows(
            "SELECT u.id, u.display_name, u.role FROM users u JOIN staff_locations s"  # noqa: S608
            " ON s.user_id = u.id WHERE s.location_id = ? AND u.active = 1"
            f" ORDER BY u.role, {self.sql.nocase('u.display_name')}", [location_id])

    # -- moves -------------------------------------------------------------------

    def add_move(self, move: dict) -> None:
        self._insert("moves", move)

    def pending_move(self, person_id: str) -> dict | None:
        """The move of a profile proposed and not answered yet, with the places' names."""
        return self._row(
            "SELECT m.*, f.name AS from_name, t.name AS to_name, u.display_name AS asked_by_name"
            " FROM moves m LEFT JOIN locations f ON f.id = m.from_location"
            " LEFT JOIN locations t ON t.id = m.to_location LEFT JOIN users u ON u.id = m.asked_by"
            " WHERE m.person_id = ? AND m.answered_at IS NULL", [person_id])

    def answer_move(self, move_id: str, answer: str, by: str, at: str) -> None:
        self._run("UPDATE moves SET answer = ?, answered_by = ?, answered_at = ?"
                  " WHERE id = ? AND answered_at IS NULL", [answer, by, at, move_id])

    def moves_of(self, person_id: str) -> list[dict]:
        """Every move proposed for a person, oldest first, with the places' names."""
        return self._rows(
            "SELECT m.*, f.name AS from_name, t.name AS to_name FROM moves m"
            " LEFT JOIN locations f ON f.id = m.from_location"
            " LEFT JOIN locations t ON t.id = m.to_location WHERE m.person_id = ?"
            " ORDER BY m.asked_at, m.id", [person_id])

    # -- shares and consents ----------------------------------------------------------

    def add_share(self, share: dict, consent: dict | None = None) -> None:
        """Keep a new share, with the person's consent when they made it themselves."""
        with self._atomic():
            self._insert("shares", share)
            if consent:
                self._insert("consents", consent)

    # -- statements of hours ---------------------------------------------------

    def add_statement(self, row: dict) -> None:
        self._insert("statements", row)

    def statement(self, statement_id: str) -> dict | None:
        return self._row("SELECT * FROM statements WHERE id = ?", [statement_id])

    def statements_of(self, person_id: str) -> list[dict]:
        """A person's statements, newest first."""
        return self._rows("SELECT * FROM statements WHERE person_id = ?"
                          " ORDER BY created_at DESC, id", [person_id])

    def revoke_statement(self, statement_id: str, at: str) -> None:
        self._run("UPDATE statements SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                  [at, statement_id])

    # -- files ------------------------------------------------------------------

    def add_file(self, row: dict) -> None:
        """Name a file that arrived whole and checked (the same file twice: once)."""
        self._insert("files", row, unless_there=True)

    def file(self, person_id: str, file_id: str) -> dict | None:
        return self._row("SELECT * FROM files WHERE person_id = ? AND id = ?",
                         [person_id, file_id])

    def files_named(self, person_id: str, file_ids: list[str]) -> dict[str, dict]:
        """Those of ``file_ids`` that arrived, by id, with the name of the coach who saw
        the original (an entry may name files still on their way)."""
        if not file_ids:
            return {}
        marks = ", ".join("?" for _ in file_ids)
        return {row["id"]: row for row in self._rows(
            "SELECT f.*, u.display_name AS seen_by_name FROM files f"  # noqa: S608
            " LEFT JOIN users u ON u.id = f.seen_by"
            f" WHERE f.person_id = ? AND f.id IN ({marks})",
            [person_id, *file_ids])}

    def files_of(self, person_id: str) -> list[dict]:
        """A person's files, oldest first."""
        return self._rows("SELECT * FROM files WHERE person_id = ? ORDER BY added_at, id",
                          [person_id])

    def proof_mark(self, person_id: str) -> str:
        """What changes when one of a person's files arrives, or a statement of their
        hours is made or withdrawn: kept pages show those, and are new then."""
        row = self._row(
            "SELECT (SELECT count(*) FROM files WHERE person_id = ?) AS files,"
            " (SELECT max(added_at) FROM files WHERE person_id = ?) AS last_file,"
            " (SELECT count(*) FROM statements WHERE person_id = ?) AS made,"
            " (SELECT count(revoked_at) FROM statements WHERE person_id = ?) AS withdrawn",
            [person_id] * 4)
        return f"{row['files']}:{row['last_file'] or ''}:{row['made']}:{row['withdrawn']}"

    def file_bytes_of(self, person_id: str) -> int:
        """The bytes a person's files take, those on their way in counted in full."""
        row = self._row(
            "SELECT (SELECT coalesce(sum(size), 0) FROM files WHERE person_id = ?)"
            " + (SELECT coalesce(sum(size), 0) FROM uploads WHERE person_id = ?) AS total",
            [person_id, person_id])
        return int(row["total"])

    def mark_file_seen(self, person_id: str, file_id: str, staff_id: str, at: str) -> None:
        self._run("UPDATE files SET seen_by = ?, seen_at = ? WHERE person_id = ? AND id = ?",
                  [staff_id, at, person_id, file_id])

    def add_upload(self, row: dict) -> None:
        self._insert("uploads", row, unless_there=True)

    def upload(self, person_id: str, file_id: str) -> dict | None:
        return self._row("SELECT * FROM uploads WHERE person_id = ? AND id = ?",
                         [person_id, file_id])

    def remove_upload(self, person_id: str, file_id: str) -> None:
        self._run("DELETE FROM uploads WHERE person_id = ? AND id = ?", [person_id, file_id])

    def share(self, share_id: str) -> dict | None:
        return self._row("SELECT * FROM shares WHERE id = ?", [share_id])

    def shares_of(self, person_id: str) -> list[dict]:
        """A person's shares, newest first, with who made each."""
        return self._rows(
            "SELECT s.*, u.display_name AS created_by_name, u.role AS created_by_role"
            " FROM shares s LEFT JOIN users u ON u.id = s.created_by WHERE s.person_id = ?"
            " ORDER BY s.created_at DESC, s.id", [person_id])

    def set_share_status(self, share_id: str, was: str, status: str, by: str, at: str, *,
                         consent: dict | None = None, withdrawn_how: str = "") -> bool:
        """Change a share from ``was`` to ``status`` (False when it was not ``was`` any
        more), with the consent given, or withdrawing the one it had."""
        with self._atomic():
            changed = self._run(
                "UPDATE shares SET status = ?, answered_at = ?, answered_by = ?"
                " WHERE id = ? AND status = ?", [status, at, by, share_id, was]).rowcount
            if changed and consent:
                self._insert("consents", consent)
            if changed and withdrawn_how:
                self._run("UPDATE consents SET withdrawn_at = ?, withdrawn_how = ?"
                          " WHERE subject_id = ? AND withdrawn_at IS NULL",
                          [at, withdrawn_how, share_id])
        return bool(changed)

    def add_consent(self, consent: dict) -> None:
        self._insert("consents", consent)

    def consent_in_force(self, person_id: str, subject: str) -> dict | None:
        """The person's consent to ``subject`` that was not withdrawn, if any."""
        return self._row("SELECT * FROM consents WHERE person_id = ? AND subject = ?"
                         " AND withdrawn_at IS NULL ORDER BY given_at DESC LIMIT 1",
                         [person_id, subject])

    def withdraw_consent(self, consent_id: str, at: str, how: str) -> bool:
        return bool(self._run("UPDATE consents SET withdrawn_at = ?, withdrawn_how = ?"
                              " WHERE id = ? AND withdrawn_at IS NULL",
                              [at, how, consent_id]).rowcount)

    def consents_of(self, person_id: str) -> list[dict]:
        """Every consent a person gave, oldest first."""
        return self._rows("SELECT * FROM consents WHERE person_id = ? ORDER BY given_at, id",
                          [person_id])

    def shares_mark(self, person_id: str) -> tuple:
        """What changes when a person's shares or consents do (a kept page lists them)."""
        # Counts, not times: a share made and stopped within a second still changes it.
        row = self._row(
            "SELECT count(*) AS n, count(answered_at) AS answered,"
            " sum(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS active FROM shares"
            " WHERE person_id = ?", [person_id])
        consent = self._row("SELECT count(*) AS n, count(withdrawn_at) AS withdrawn"
                            " FROM consents WHERE person_id = ?", [person_id])
        return (int(row["n"]), int(row["answered"]), int(row["active"] or 0),
                int(consent["n"]), int(consent["withdrawn"]))

    # -- erasure -----------------------------------------------------------------

    def ask_erasure(self, request: dict) -> None:
        """Note that a profile is to be deleted (replacing a request that was stopped)."""
        with self._atomic():
            self._run("DELETE FROM erasures WHERE person_id = ? AND stopped_at IS NOT NULL",
                      [request["person_id"]])
            self._insert("erasures", request)

    def pending_erasure(self, person_id: str) -> dict | None:
        """The deletion of a profile asked for and neither stopped nor carried out."""
        return self._row("SELECT * FROM erasures WHERE person_id = ? AND stopped_at IS NULL"
                         " AND erased_at IS NULL", [person_id])

    def unused_profiles(self, since: str, limit: int = 500) -> list[str]:
        """Refugees whose profile nobody used since ``since`` (a day): made before it,
        no change, sign-in, look or stopped deletion since, and no deletion waiting."""
        return [row["id"] for row in self._rows(
            "SELECT u.id FROM users u WHERE u.role = 'refugee' AND u.created_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.person_id = u.id"
            "  AND o.at >= ?)"
            " AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id"
            "  AND s.seen_at >= ?)"
            " AND NOT EXISTS (SELECT 1 FROM profile_views v WHERE v.person_id = u.id"
            "  AND v.day >= ?)"
            " AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.person_id = u.id"
            "  AND (e.stopped_at IS NULL OR e.stopped_at >= ?))"
            " ORDER BY u.created_at, u.id LIMIT ?", [since, since, since, since, since, limit])]

    def stop_erasure(self, person_id: str, by: str, at: str) -> None:
        self._run("UPDATE erasures SET stopped_at = ?, stopped_by = ? WHERE person_id = ?"
                  " AND stopped_at IS NULL AND erased_at IS NULL", [at, by, person_id])

    def erasures_due(self, day: str) -> list[dict]:
        """Deletions whose grace period ended by ``day``, not stopped or done yet."""
        return self._rows("SELECT * FROM erasures WHERE due_on <= ? AND stopped_at IS NULL"
                          " AND erased_at IS NULL ORDER BY due_on", [day])

    def erased_among(self, user_ids: list[str]) -> list[str]:
        """Which of ``user_ids`` had their profile deleted."""
        if not user_ids:
            return []
        marks = ",".join("?" for _ in user_ids)
        return [r["person_id"] for r in self._rows(
            f"SELECT person_id FROM erasures WHERE person_id IN ({marks})"  # noqa: S608
            " AND erased_at IS NOT NULL", list(user_ids))]

    # Everything that is about one person, table by its column naming them; the account
    # last (the others refer to it).
    _PERSONAL = (("records", "person_id"), ("history", "person_id"),
                 ("operations", "person_id"), ("conflicts", "person_id"),
                 ("reviews", "person_id"), ("tallies", "person_id"),
                 ("profile_views", "person_id"), ("moves", "person_id"),
                 ("shares", "person_id"), ("consents", "person_id"),
                 ("files", "person_id"), ("uploads", "person_id"),
                 ("statements", "person_id"),
                 ("sessions", "user_id"),
                 ("device_keys", "user_id"), ("handover_codes", "user_id"),
                 ("users", "id"))

    def erase_person(self, person_id: str, at: str) -> None:
        """Remove everything about a person in one transaction, and note that it was done
        (without the reason, which may say something about them)."""
        with self.transaction():
            for table, column in self._PERSONAL:
                self._run(f"DELETE FROM {table} WHERE {column} = ?", [person_id])  # noqa: S608
            self._run("UPDATE erasures SET erased_at = ?, reason = NULL WHERE person_id = ?",
                      [at, person_id])

    def forget_erased_pages(self) -> None:
        """After an erasure: leave no copy of what was removed in the database's files.

        SQLite overwrites what is deleted (``secure_delete``, on every connection), and the
        write-ahead log still holding the old pages is copied into the file and emptied.
        PostgreSQL's VACUUM makes the removed rows' space free for reuse.
        """
        self.sql.forget_deleted(("records", "history", "operations", "conflicts", "shares",
                                 "consents", "files", "uploads", "statements", "users"))

    def volunteer_hours_on(self, person_id: str, day: str, exclude_id: str) -> float:
        """Hours a person already recorded on ``day``, other than one record."""
        row = self._row(
            f"SELECT coalesce(sum({self.sql.number('hours')}), 0) AS total FROM records"  # noqa: S608
            " WHERE person_id = ? AND type = 'volunteer' AND deleted = 0 AND id != ?"
            f" AND {self.sql.field('date')} = ?", [person_id, exclude_id, day])
        return float(row["total"])

    def add_to_tallies(self, person_id: str, record_type: str,
                       deltas: dict[str, tuple[float, float]]) -> None:
        """Add (amount, verified) to a person's sums per period (inside the write path)."""
        if not deltas:
            return
        # One statement for all periods (the day's week, month and all time): a round trip
        # to a PostgreSQL server costs more than the work.
        rows = ", ".join("(?, ?, ?, ?, ?)" for _ in deltas)
        self._run(
            f"INSERT INTO tallies (person_id, type, period, amount, verified) VALUES {rows}"  # noqa: S608
            " ON CONFLICT (person_id, type, period) DO UPDATE"
            " SET amount = tallies.amount + excluded.amount,"
            " verified = tallies.verified + excluded.verified",
            [value for period, (amount, verified) in deltas.items()
             for value in (person_id, record_type, period, amount, verified)])

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
        self._run("DELETE FROM tallies")

    def stamp(self, name: str) -> int | None:
        """A stored version number, or None."""
        row = self._row("SELECT value FROM stamps WHERE name = ?", [name])
        return row["value"] if row else None

    def set_stamp(self, name: str, value: int) -> None:
        """Store a version number."""
        self._run("INSERT INTO stamps (name, value) VALUES (?, ?) ON CONFLICT (name)"
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

    def conflicts_of(self, person_id: str) -> list[dict]:
        """Every conflict of a person, settled ones too, oldest first."""
        rows = self._rows("SELECT * FROM conflicts WHERE person_id = ? ORDER BY created_at, id",
                          [person_id])
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
        self._run(
            "UPDATE conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?",
            [utc_now(), resolved_by, resolution, conflict_id])

    # -- coach reviews --------------------------------------------------------

    def _people_where(self, location_ids: list[str], query: str) -> tuple[str, list[Any]]:
        # Only "?" placeholders are put into the SQL; the values go in as parameters.
        where = ("u.role = 'refugee' AND u.location_id IN ("
                 + ",".join("?" for _ in location_ids) + ")")
        params: list[Any] = list(location_ids)
        if query:
            where += (f" AND ({self.sql.contains('u.display_name')}"
                      f" OR {self.sql.contains('u.username')})")
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
               " l.name AS location_name, h.seq AS last_seq, h.at AS last_change_at,"
               " e.due_on AS erasure_due_on"
               " FROM users u LEFT JOIN locations l ON l.id = u.location_id"
               " LEFT JOIN erasures e ON e.person_id = u.id AND e.stopped_at IS NULL"
               "  AND e.erased_at IS NULL"
               " LEFT JOIN history h ON h.seq = (SELECT max(seq) FROM history"
               "  WHERE person_id = u.id)"
               f" WHERE {where} ORDER BY {self.sql.nocase('u.display_name')}, u.id"
               " LIMIT ? OFFSET ?")
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
        self._run(
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
            f" FROM history WHERE {where} GROUP BY record_id, type ORDER BY last DESC LIMIT ?",
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
        with self._atomic():
            cursor = self._run(
                "INSERT INTO work_rules (id, kind, effective_from, status, data,"
                " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [rule["id"], rule["kind"], rule["effective_from"], rule["status"],
                 _dumps(data), utc_now(), created_by])
            if cursor.rowcount:  # the seed rules come again at every start: no change
                self._site_changed()

    def set_work_rule_status(self, rule_id: str, status: str) -> None:
        """Activate or retire a rule version."""
        with self._atomic():
            self._run("UPDATE work_rules SET status = ? WHERE id = ?", [status, rule_id])
            self._site_changed()

    # -- exports --------------------------------------------------------------

    def volunteer_hours_at(self, location_id: str, start: str, end: str) -> list[dict]:
        """Volunteer-hour records of a location's refugees between two dates."""
        rows = self._rows(
            "SELECT r.*, u.display_name, u.username FROM records r"  # noqa: S608
            " JOIN users u ON u.id = r.person_id"
            " WHERE r.type = 'volunteer' AND r.deleted = 0 AND u.location_id = ?"
            " AND u.role = 'refugee'"
            f" AND {self.sql.field('date', 'r.')} BETWEEN ? AND ?"
            f" ORDER BY {self.sql.nocase('u.display_name')}, {self.sql.field('date', 'r.')}",
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
        self._run("UPDATE device_keys SET revoked_at = ? WHERE user_id = ?"
                        " AND revoked_at IS NULL", [utc_now(), user_id])

    def revoke_device_key(self, key_id: str) -> None:
        """Stop trusting a key (a lost phone): what it signed no longer counts."""
        self._run("UPDATE device_keys SET revoked_at = ? WHERE key_id = ?"
                        " AND revoked_at IS NULL", [utc_now(), key_id])


def open_store(target: str | Path) -> Store:
    """Open the database at ``target`` (a SQLite path or a PostgreSQL URL), creating
    the file and the schema when needed."""
    if not is_postgresql(target):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    store = Store(target)
    store.create_schema()
    return store
