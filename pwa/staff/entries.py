"""Showing a profile's entries to staff: each field as the reader reads it."""

from __future__ import annotations

from flask_babel import gettext as _

from pwa.i18n import language_name, reader
from sync.records import RECORD_TYPES, Field


def show_value(record_type: str, f: Field, value) -> str | None:
    """A stored value as the reader reads it, in their language; None when empty."""
    return f.spec.display(f, value, reader())


def entry_rows(record: dict) -> list[dict]:
    """The filled-in fields of an entry: label, shown value, and whether it is free text.

    Free text is the person's own words: templates put it in ``<bdi dir="auto">``.
    """
    rows = []
    for f in RECORD_TYPES[record["type"]].fields:
        if f.staff_only:
            continue
        shown = show_value(record["type"], f, record["data"].get(f.name))
        if shown is not None:
            rows.append({"name": f.name, "label": _(f.label), "value": shown,
                         "free": f.spec.free_text})
    return rows


def review_marks(changed: list[dict]) -> dict[str, str]:
    """record id -> "new" or "changed", from the changes others made after a review
    (sync.store.Store.changed_since: a coach's own comments and checks are not news)."""
    return {c["record_id"]: "new" if c["made"] else "changed" for c in changed}


def written_in(person: dict) -> str:
    """The name of the language the person uses the app in, for "Written in: ..."."""
    return language_name(person["locale"]) if person.get("locale") else ""
