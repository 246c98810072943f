"""The store's lifecycle in the app: one connection per request, schema at start."""

from __future__ import annotations

from flask import Flask, current_app, g

from sync.store import Store, open_store


def get_store() -> Store:
    """The request's store, opened on first use."""
    if "store" not in g:
        g.store = Store(current_app.config["DATABASE"])
    return g.store


def close_store(exc: BaseException | None = None) -> None:
    """Close the request's connection, if one was opened."""
    store = g.pop("store", None)
    if store is not None:
        store.close()


def seed_work_rules(store: Store) -> None:
    """Store the shipped rule versions that the database does not have yet."""
    from sync.work_rules import load_seed_rules

    for rule in load_seed_rules():
        store.add_work_rule(rule, created_by="seed")


def init_app(app: Flask) -> None:
    """Create the database and schema on first start, and close connections."""
    store = open_store(app.config["DATABASE"])
    try:
        seed_work_rules(store)
    finally:
        store.close()
    app.teardown_appcontext(close_store)
