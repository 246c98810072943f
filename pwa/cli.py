"""The ``talentkaart`` command: serve the app, create accounts and places, back up,
restore and tell the database's state.

A thin wrapper over ``sync``: every command calls the same functions as the
web pages. It is a Flask command group, so ``talentkaart routes`` and
``talentkaart shell`` work as they do with ``flask``.
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from pwa import create_app, hosts
from pwa.db import replication
from sync import accounts, backups, erasure, files, places, transfer
from sync.demo import load_demo
from sync.files import FileStore
from sync.messages import in_english
from sync.replica import ReplicaError
from sync.store import Store, StoreError, is_postgresql, open_store, shown
from sync.write import Actor


class PublicUrl(click.ParamType):
    """A public address, checked like the configuration setting."""

    name = "url"

    def convert(self, value, param, ctx):
        try:
            return hosts.parse_public_url(value)
        except hosts.ConfigError as error:
            self.fail(str(error), param, ctx)


PUBLIC_URL = PublicUrl()


def _store() -> Store:
    return Store(current_app.config["DATABASE"])


def _fail(errors: dict[str, tuple[str, dict]]) -> None:
    """Print core error messages (English source text) and exit with status 1."""
    for field, message in errors.items():
        click.echo(f"Error: {field}: {in_english(message)}", err=True)
    sys.exit(1)


cli = FlaskGroup(name="talentkaart", create_app=create_app,
                 help="Talentkaart: profiles of skills and ambitions for refugees.")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every network).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 128))
@click.option("--queue", default=64, show_default=True, type=click.IntRange(1, 10_000),
              help="Requests that may wait for a thread; more are answered 503 (busy, try "
                   "again) at once instead of hanging.")
@click.option("--connections", default=1000, show_default=True,
              type=click.IntRange(1, 100_000),
              help="Connections open at once (phones keep theirs open between requests).")
@click.option("--demo", "with_demo", is_flag=True,
              help="Fill an empty database with demo places, staff and profiles first.")
@click.option("--public-url", type=PUBLIC_URL, default=None,
              help="The address people open, e.g. https://talentkaart.example.org "
                   "(default: TALENTKAART_PUBLIC_URL; without it only 127.0.0.1 and "
                   "localhost are answered).")
@with_appcontext
def serve(host: str, port: int, threads: int, queue: int, connections: int,
          with_demo: bool, public_url: str | None) -> None:
    """Serve the app with waitress (the database is created on first start)."""
    from pwa.server import serve as serve_app

    app = current_app._get_current_object()
    if public_url:
        hosts.set_public_url(app, public_url)
    if host not in ("127.0.0.1", "localhost", "::1") and hosts.is_local_only(app):
        click.echo(f"Note: only http://127.0.0.1:{port}/ and http://localhost:{port}/ are "
                   "answered. For phones on your network, give --public-url "
                   f"http://ADDRESS:{port} (this machine's address) or set "
                   "TALENTKAART_PUBLIC_URL.", err=True)

    lock = _serving_lock(app.config["DATABASE"])
    store = _store()
    try:
        if with_demo:
            _print_demo_accounts(load_demo(store))
        elif not store.users():
            click.echo("No accounts yet. Start with --demo for demo accounts, or create an "
                       "admin: talentkaart create-user --role admin --username admin "
                       "--name Admin")
    finally:
        store.close()
    replica = replication(app.config)
    if replica is not None:
        try:
            replica.start()
        except ReplicaError as error:
            _stop(str(error))
        click.echo(f"Every change is copied to {replica.replica_url} (Litestream; log in "
                   f"{replica.log_path})")
    # Deletions whose grace period is over are carried out now and every hour after.
    erasing = _erase_hourly(app.config)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Talentkaart runs at http://{shown}:{port}/ (press Ctrl+C to stop)")
    try:
        serve_app(app, host=host, port=port, threads=threads, queue=queue,
                  connections=connections)
    finally:
        erasing.set()
        if replica is not None:
            replica.stop()  # after the last request: it sends what is left first
        if lock is not None:
            lock.release()


ERASE_EVERY_SECONDS = 3600


def _erase_hourly(config: dict) -> threading.Event:
    """Ask for the deletion of unused profiles and carry out due deletions, now and then
    every hour, in a thread of their own, until the returned event is set. With several
    servers each does it; it is the same work."""
    stopped = threading.Event()

    def run() -> None:
        while True:
            store = Store(config["DATABASE"])
            try:
                for person_id in _ask_unused(store, config):
                    click.echo(f"The profile {person_id} was not used for "
                               f"{config['RETENTION_DAYS']} days: its deletion is asked.",
                               err=True)
                for person_id in erasure.erase_due(store, files=FileStore(config["FILES_DIR"])):
                    click.echo(f"Deleted the profile {person_id}, as asked.", err=True)
            except Exception as error:  # noqa: BLE001 (keep serving; try again in an hour)
                click.echo(f"Deleting due profiles failed, will try again: {error}", err=True)
            finally:
                store.close()
            if stopped.wait(ERASE_EVERY_SECONDS):
                return

    threading.Thread(target=run, name="erase-due", daemon=True).start()
    return stopped


def _ask_unused(store: Store, config: dict) -> list[str]:
    if not config["RETENTION_DAYS"]:
        return []
    return erasure.ask_inactive(store, inactive_days=config["RETENTION_DAYS"],
                                grace_days=config["ERASURE_GRACE_DAYS"])


@cli.command("ask-erasure")
@click.argument("username")
@click.option("--reason", required=True, help="Why: the person reads it, and can stop it.")
def ask_erasure(username: str, reason: str) -> None:
    """Ask for a refugee's profile to be deleted after the grace period, as an
    administrator (the person sees the reason and can stop it)."""
    store = _store()
    try:
        person = store.user_by_username(accounts.normalise_username(username))
        if person is None or person["role"] != "refugee":
            _stop(f"no refugee account is called {username!r}")
        admin = Actor("command line", "admin")
        asked = erasure.ask(store, admin, person["id"], reason=reason,
                            grace_days=current_app.config["ERASURE_GRACE_DAYS"])
    except erasure.ErasureRefused as refused:
        _stop(in_english((refused.message, refused.params)))
    finally:
        store.close()
    click.echo(f"The profile of {username} will be deleted on {asked['due_on']}, "
               "unless it is stopped.")


@cli.command("erase-due")
def erase_due() -> None:
    """Ask for the deletion of profiles unused for RETENTION_DAYS, and delete now those
    whose grace period is over (talentkaart serve also does it every hour)."""
    store = _store()
    try:
        asked = _ask_unused(store, current_app.config)
        erased = erasure.erase_due(store, files=FileStore(current_app.config["FILES_DIR"]))
    finally:
        store.close()
    if asked:
        click.echo(f"{len(asked)} unused profile(s) will be deleted after the grace period, "
                   "unless kept.")
    click.echo(f"{len(erased)} profile(s) deleted.")


def _serving_lock(database: str) -> backups.ServingLock | None:
    """Hold a SQLite file so no restore swaps it while served (PostgreSQL needs none)."""
    if is_postgresql(database):
        return None
    lock = backups.ServingLock(Path(database))
    if not lock.acquire(alone=False):
        _stop(f"{database} is being restored; start again when that is done")
    return lock


def _config_only():
    """The app's settings, without creating a database where there is none."""
    return create_app({"CREATE_DATABASE": False}).config


def _stop(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@cli.command("recordings")
@click.argument("locale")
def recordings(locale: str) -> None:
    """List the texts of LOCALE that have no recording for read-aloud yet: per line the
    file to record (under translations/LOCALE/audio/, as .opus, .ogg, .mp3 or .wav),
    a tab, and the text to read. Texts with a value filled in (a name, a date) are left
    out: they differ on every page."""
    from babel.messages.pofile import read_po

    from pwa import ROOT, read_aloud
    from sync import locales

    if locale not in locales.CODES:
        _stop(f"no locale {locale!r}; one of: {', '.join(locales.CODES)}")
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    texts = list(dict.fromkeys(
        m.string for m in catalog
        if m.id and isinstance(m.string, str) and m.string and "%(" not in m.string))
    lacking = read_aloud.missing(locale, texts)
    for text in lacking:
        click.echo(f"{read_aloud.recording_key(text)}.opus\t{text}")
    click.echo(f"{len(lacking)} of {len(texts)} texts of {locale} have no recording.", err=True)


@cli.command("create-user")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.option("--username", required=True, help="3 to 32 characters: a-z, 0-9, . _ -")
@click.option("--name", "display_name", required=True, help="The name others see.")
@click.option("--location", "locations", multiple=True,
              help="Place id; staff may have several, a refugee exactly one.")
@click.option("--secret-stdin", is_flag=True,
              help="Read the PIN or passphrase from the first line of standard input.")
@with_appcontext
def create_user(role: str, username: str, display_name: str, locations: tuple[str, ...],
                secret_stdin: bool) -> None:
    """Create an account with a PIN or passphrase."""
    if role == "refugee" and len(locations) != 1:
        _fail({"location": ("A refugee lives at exactly one place: give one --location", {})})
    if secret_stdin:
        # Bytes, decoded leniently: what is not UTF-8 is refused by the secret's check,
        # with a message, instead of failing inside Python's decoder.
        stdin = getattr(sys.stdin, "buffer", None)
        line = stdin.readline() if stdin else sys.stdin.readline().encode()
        secret = line.decode("utf-8", "surrogateescape").rstrip("\r\n")
    else:
        secret = click.prompt("PIN or passphrase", hide_input=True, confirmation_prompt=True)
    store = _store()
    try:
        user_id = accounts.create_user(
            store, role=role, username=username, display_name=display_name, secret=secret,
            location_id=locations[0] if role == "refugee" else None,
            location_ids=list(locations) if role in ("volunteer", "coach") else [],
            locale="nl")
    except accounts.AccountError as failure:
        _fail(failure.errors)
    finally:
        store.close()
    click.echo(f"Created {role} {accounts.normalise_username(username)} ({user_id})")


@cli.command("create-location")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice([code for code, _ in places.KINDS]), required=True)
@with_appcontext
def create_location(name: str, kind: str) -> None:
    """Add an asylum centre (azc) or municipality; prints its id."""
    store = _store()
    try:
        location_id = places.add_place(store, name, kind)
    except places.PlaceError as failure:
        _fail(failure.errors)
    finally:
        store.close()
    click.echo(location_id)


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@with_appcontext
def backup(path: Path, force: bool) -> None:
    """Copy the live database to PATH (safe while the app runs), and check the copy."""
    store = _store()
    try:
        checked = backups.backup(store, path, force=force)
    except backups.BackupError as error:
        _stop(str(error))
    finally:
        store.close()
    click.echo(f"Backed up to {path} (up to change {checked.last_change})")
    # The photos and documents beside it, after the database: every file it names is
    # there (a file added meanwhile is there too, named by nothing yet).
    folder = files.files_beside(path)
    copied = files.copy_files(FileStore(current_app.config["FILES_DIR"]), FileStore(folder))
    click.echo(f"and {copied} new photo(s) and document(s) to {folder}")


class Moment(click.ParamType):
    """A point in time: ISO 8601, UTC unless it says otherwise."""

    name = "time"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not a time like 2026-12-01T14:30:00Z", param, ctx)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if moment > datetime.now(UTC):
            self.fail(f"{value!r} is in the future", param, ctx)
        return moment


@cli.command("restore", with_appcontext=False)
@click.option("--from-backup", "source", type=click.Path(dir_okay=False, exists=True,
              path_type=Path), help="A file made by talentkaart backup.")
@click.option("--from-replica", is_flag=True,
              help="The replica Litestream keeps (TALENTKAART_REPLICA).")
@click.option("--at", "moment", type=Moment(),
              help="With --from-replica: the database as it was then, e.g. "
                   "2026-12-01T14:30:00Z (default: the latest change).")
def restore(source: Path | None, from_replica: bool, moment: datetime | None) -> None:
    """Put a backup or the replica in the database's place, checked first.

    The server must be stopped. The database it replaces is kept beside it,
    renamed *.before-restore-TIME.
    """
    if (source is None) == (not from_replica):
        _stop("give either --from-backup FILE or --from-replica")
    if moment is not None and not from_replica:
        _stop("--at goes with --from-replica (a backup file is one moment)")
    config = _config_only()
    if is_postgresql(config["DATABASE"]):
        _stop(backups.POSTGRESQL)
    database = Path(config["DATABASE"])
    if backups.in_use(database):
        _stop(backups.IN_USE)
    try:
        if from_replica:
            replica = replication(config)
            if replica is None:
                _stop("no replica is configured: set TALENTKAART_REPLICA")
            checked, kept = backups.restore_replica(replica, database, moment)
        else:
            checked, kept = backups.restore_file(source, database)
    except (backups.BackupError, ReplicaError) as error:
        _stop(f"nothing was changed: {error}")
    if source is not None and files.files_beside(source).is_dir():
        copied = files.copy_files(FileStore(files.files_beside(source)),
                                  FileStore(config["FILES_DIR"]))
        click.echo(f"Brought back {copied} photo(s) and document(s) to {config['FILES_DIR']}.")
    click.echo(f"Restored {database}: schema version {checked.schema_version}, "
               f"{checked.accounts} accounts, {checked.records} entries, up to change "
               f"{checked.last_change}.")
    if kept is not None:
        click.echo(f"The database it replaced is kept as {kept}")


@cli.command("status", with_appcontext=False)
def status() -> None:
    """The database's state, and how far its replica has come."""
    config = _config_only()
    if is_postgresql(config["DATABASE"]):
        _postgresql_status(config["DATABASE"])
        return
    database = Path(config["DATABASE"])
    checked = backups.verify(database) if database.exists() else None
    click.echo(f"Database: {database}")
    if checked is None:
        click.echo("  not created yet (talentkaart serve creates it)")
    else:
        click.echo(f"  schema version {checked.schema_version}, {checked.accounts} accounts, "
                   f"{checked.records} entries, last change {checked.last_change}")
        click.echo(f"  server: {'running' if backups.in_use(database) else 'not running'}")
    replica = replication(config)
    if replica is None:
        click.echo("Replica: none (only backups protect against a lost disk; see README)")
        return
    click.echo(f"Replica: {replica.replica_url}")
    try:
        state = replica.state()
    except ReplicaError as error:
        _stop(f"the replica cannot be read: {error}")
    click.echo(f"  Litestream: {'running' if state.running else 'not running'}")
    if state.replicated_at is None:
        click.echo("  nothing replicated yet")
    else:
        click.echo(f"  last change replicated at {state.replicated_at.isoformat()} "
                   f"({state.age_seconds()} s ago)")


def _postgresql_status(url: str) -> None:
    click.echo(f"Database: PostgreSQL at {shown(url)}")
    try:
        store = Store(url)
    except Exception as error:  # noqa: BLE001 (any reason the server cannot be reached)
        _stop(f"the database cannot be reached: {error}")
    try:
        if "records" not in store.tables():
            click.echo("  not created yet (talentkaart serve creates it)")
            return
        checked = backups.summary(store)
    finally:
        store.close()
    click.echo(f"  schema version {checked.schema_version}, {checked.accounts} accounts, "
               f"{checked.records} entries, last change {checked.last_change}")
    click.echo("Copies: made by PostgreSQL (a standby, pg_dump); see README")


@cli.command("copy-to-postgresql", with_appcontext=False)
@click.argument("url")
def copy_to_postgresql(url: str) -> None:
    """Copy the SQLite database into an empty PostgreSQL database URL, and verify it.

    Stop the server first: a change made after the copy would not be in it. Then set
    TALENTKAART_DATABASE to URL and start the servers.
    """
    if not is_postgresql(url):
        _stop("give the PostgreSQL database as a URL: postgresql://user@host/database")
    database = _config_only()["DATABASE"]
    if is_postgresql(database):
        _stop("the configured database is on PostgreSQL already")
    if not Path(database).is_file():
        _stop(f"there is no database at {database}")
    try:
        with backups.ServingLock(Path(database)):  # no server starts on it meanwhile
            source = open_store(database)
            try:
                target = open_store(url)
            except Exception as error:  # noqa: BLE001 (any reason it cannot be reached)
                source.close()
                _stop(f"{shown(url)} cannot be reached: {error}")
            try:
                copied = transfer.copy_database(source, target)
            finally:
                source.close()
                target.close()
    except (backups.BackupError, transfer.TransferError, StoreError) as error:
        _stop(str(error))
    click.echo(f"Copied {database} into {shown(url)} and checked every row:")
    for table, rows in copied.rows.items():
        click.echo(f"  {table}: {rows}")
    click.echo(f"Up to change {copied.last_change}. Now set TALENTKAART_DATABASE to the URL"
               " and start the servers.")


@cli.command("demo")
@with_appcontext
def demo() -> None:
    """Fill the database with demo places, staff and profiles (once)."""
    store = _store()
    try:
        demo_accounts = load_demo(store)
    finally:
        store.close()
    _print_demo_accounts(demo_accounts)


def _print_demo_accounts(demo_accounts: list[dict]) -> None:
    click.echo("Demo accounts (username, role, PIN or passphrase):")
    for account in demo_accounts:
        click.echo(f"  {account['username']:<14} {account['role']:<10} {account['secret']}")


def main() -> None:
    """Entry point of the ``talentkaart`` command."""
    try:
        cli(prog_name="talentkaart")
    except hosts.ConfigError as error:  # a setting in the environment that cannot work
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
