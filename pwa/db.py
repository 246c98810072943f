"""The store's lifecycle in the app: one connection per server thread, schema at start.

Opening SQLite, setting its pragmas and wrapping it costs more than a small
page's queries, so each of waitress's threads keeps its connection for its
life instead of opening one per request. A request never leaves a transaction
open on it (checked at teardown).
"""

from __future__ import annotations

import threading
import weakref

from flask import Flask, current_app, g

from pwa.hosts import ConfigError
from sync.replica import ReplicaError, Replication, parse_replica
from sync.store import Store, is_postgresql, open_store
from sync.write import ensure_tallies

_connections = threading.local()


def get_store() -> Store:
    """This thread's store for the app's database, opened on first use."""
    store = g.get("store")
    if store is None:
        path = current_app.config["DATABASE"]
        store = getattr(_connections, "store", None)
        if store is None or store.path != path or not store.usable:
            if store is not None:
                store.close()  # one database per thread (tests switch between many)
            store = _connections.store = Store(path)
            # Closed when its thread ends (werkzeug's server starts one per request): a
            # connection left to the garbage collector is closed in no particular order.
            weakref.finalize(threading.current_thread(), store.close)
        g.store = store
    return store


def release_store(exc: BaseException | None = None) -> None:
    """End of a request: the connection stays, but never inside a transaction."""
    store = g.pop("store", None)
    if store is not None:
        store.rollback()


def seed_work_rules(store: Store) -> None:
    """Store the shipped rule versions that the database does not have yet."""
    from sync.work_rules import load_seed_rules

    for rule in load_seed_rules():
        store.add_work_rule(rule, created_by="seed")


def replication(config) -> Replication | None:
    """The configured replica of the database (``TALENTKAART_REPLICA``), or None."""
    if not config.get("REPLICA"):
        return None
    return Replication(config["DATABASE"], config["REPLICA"],
                       config.get("REPLICA_ENDPOINT") or None)


def init_app(app: Flask) -> None:
    """Create the database and schema on first start, and hand connections back."""
    if app.config.get("REPLICA") and is_postgresql(app.config["DATABASE"]):
        raise ConfigError("TALENTKAART_REPLICA copies a SQLite file; a PostgreSQL database"
                          " is copied by its own standby (see README)")
    if app.config.get("REPLICA"):
        try:
            app.config["REPLICA"] = parse_replica(str(app.config["REPLICA"]))
        except ReplicaError as error:
            raise ConfigError(f"TALENTKAART_REPLICA: {error}") from error
    if not app.config.get("CREATE_DATABASE", True):
        return  # restore and status look at the file as it is, and never make one
    store = open_store(app.config["DATABASE"])
    try:
        seed_work_rules(store)
        ensure_tallies(store)
    finally:
        store.close()
    app.teardown_appcontext(release_store)
