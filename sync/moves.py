"""Moving along: a person's profile goes with them to their new place.

When a status holder moves from an asylum centre to a municipality, a coach of the
old place proposes the move; it happens only when the person confirms it on their own
device. Then the new place's coaches and volunteers see the profile and the old
place's no longer do (access follows the person's place: ``write.can_see``). The
person can also move by changing "Where you live now" in their basics. The move
goes through the write path when the person has basics, so their history records
it; every proposal and its answer are kept (``moves``) and shown to the person.
"""

from __future__ import annotations

from datetime import date

from sync.messages import N_
from sync.records import ValidationFailed
from sync.store import Store, utc_now
from sync.write import Actor, NotFound, Operation, apply, can_see, new_id, singleton_id


class MoveRefused(Exception):
    """Why a move cannot be proposed or answered (a message id)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


NOT_FOUND = N_("This page does not exist, or you are not allowed to see it.")


def propose(store: Store, actor: Actor, person_id: str, to_location: str) -> dict:
    """A coach of the person's place proposes moving the profile to ``to_location``."""
    if actor.role != "coach" or not can_see(store, actor, person_id):
        raise MoveRefused(NOT_FOUND)
    person = store.user(person_id)
    if store.location(to_location) is None:
        raise MoveRefused(N_("Choose from the list"))
    if to_location == person["location_id"]:
        raise MoveRefused(N_("The profile is at this place already."))
    if store.pending_move(person_id) is not None:
        raise MoveRefused(N_("A move of this profile is waiting for an answer already."))
    move = {"id": new_id(), "person_id": person_id, "from_location": person["location_id"],
            "to_location": to_location, "asked_by": actor.id, "asked_at": utc_now()}
    store.add_move(move)
    return move


def answer(store: Store, actor: Actor, person_id: str, *, move: bool,
           today: date | None = None) -> dict:
    """The person moves their profile (``move``) or stays; returns the proposal."""
    if actor.id != person_id:
        raise MoveRefused(NOT_FOUND)
    proposal = store.pending_move(person_id)
    if proposal is None:
        raise MoveRefused(N_("No move is waiting for an answer."))
    if move:
        _move(store, actor, person_id, proposal["to_location"], today)
    store.answer_move(proposal["id"], "moved" if move else "stayed", actor.id, utc_now())
    return proposal


def withdraw(store: Store, actor: Actor, person_id: str) -> None:
    """A coach of the person's place takes a proposal back before it is answered."""
    if actor.role != "coach" or not can_see(store, actor, person_id):
        raise MoveRefused(NOT_FOUND)
    proposal = store.pending_move(person_id)
    if proposal is None:
        raise MoveRefused(N_("No move is waiting for an answer."))
    store.answer_move(proposal["id"], "withdrawn", actor.id, utc_now())


def _move(store: Store, actor: Actor, person_id: str, to_location: str,
          today: date | None) -> None:
    """Change the person's place: through the write path when they have basics (the
    history then says who moved the profile where, and when), else in the account."""
    basics_id = singleton_id(person_id, "basics")
    basics = store.record(basics_id)
    if basics is None or basics["deleted"]:
        store.update_user(person_id, location_id=to_location)
        return
    try:
        apply(store, actor, Operation(
            op_id=new_id(), person_id=person_id, record_type="basics", record_id=basics_id,
            action="put", base_revision=basics["revision"], fields={"location_id": to_location}),
            today=today)
    except (ValidationFailed, NotFound) as failure:
        raise MoveRefused(N_("The move could not be saved. Try again.")) from failure
