"""Places: the asylum centres (azc) and municipalities where people live.

Used by the admin pages and the command line alike; errors are message ids
with parameters, like everywhere in the core.
"""

from __future__ import annotations

from sync.kinds import NOT_STORABLE, clean_text, storable
from sync.messages import N_, too_long
from sync.store import Store
from sync.write import new_id

KINDS = [
    ("azc", N_("Asylum centre (azc)")),
    ("municipality", N_("Municipality")),
]
NAME_MAX = 120


class PlaceError(Exception):
    """A place could not be saved; ``errors`` maps fields to (msgid, params)."""

    def __init__(self, errors: dict[str, tuple[str, dict]]):
        super().__init__(errors)
        self.errors = errors


def check_place(name: str, kind: str) -> str:
    """The cleaned name; raise ``PlaceError`` when the name or kind is not valid."""
    errors: dict[str, tuple[str, dict]] = {}
    name = clean_text(name or "", multiline=False)
    if not name:
        errors["name"] = (N_("Enter a name"), {})
    elif not storable(name):
        errors["name"] = (NOT_STORABLE, {})
    elif len(name) > NAME_MAX:
        errors["name"] = too_long(NAME_MAX, len(name))
    if kind not in {code for code, _ in KINDS}:
        errors["kind"] = (N_("Choose one"), {})
    if errors:
        raise PlaceError(errors)
    return name


def add_place(store: Store, name: str, kind: str) -> str:
    """Add a place and return its new id."""
    name = check_place(name, kind)
    location_id = new_id()
    store.add_location(location_id, name, kind)
    return location_id


def rename_place(store: Store, location_id: str, name: str, kind: str) -> None:
    """Change a place's name and kind."""
    store.rename_location(location_id, check_place(name, kind), kind)
