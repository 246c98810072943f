"""Deleting a person's profile: asked for, kept for a grace period in which it can be
stopped, then carried out completely.

The person asks for it with their PIN; a coach of their place, or an administrator,
may ask for it with a reason (the person sees it, and may stop it). When the grace
period is over, ``erase_due`` removes every record, every change of them, every
operation, conflict, comment, sum, look in the log, session, device key and handover
code of the person, and the account. What stays (``erasures``) says that a profile
was deleted, when and at whose request; it holds no personal data: the person's
random id, the dates, who asked (a staff member's id, or the person), no reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sync import clock
from sync.files import FileStore
from sync.kinds import NOT_STORABLE, clean_text, storable
from sync.messages import N_, Plural, too_long
from sync.store import Store, utc_now
from sync.write import Actor, can_see

GRACE_DAYS = 30  # the app's ERASURE_GRACE_DAYS
REASON_MAX = 500


@dataclass
class ErasureRefused(Exception):
    """Why an erasure cannot be asked for or stopped (a message id and its values)."""

    message: str | Plural
    params: dict


def _refuse(message: str, **params) -> ErasureRefused:
    return ErasureRefused(message, params)


def _may_ask(store: Store, actor: Actor, person_id: str) -> bool:
    if actor.role == "admin":  # admins manage accounts, without seeing profiles
        person = store.user(person_id)
        return bool(person and person["role"] == "refugee")
    return (actor.role in ("refugee", "coach")) and can_see(store, actor, person_id)


def ask(store: Store, actor: Actor, person_id: str, *, reason: str = "",
        today: date | None = None, grace_days: int = GRACE_DAYS) -> dict:
    """Ask for the person's profile to be deleted after ``grace_days``; returns the
    request. Staff must give a reason; asking twice is refused."""
    if not _may_ask(store, actor, person_id):
        raise _refuse(N_("This page does not exist, or you are not allowed to see it."))
    reason = clean_text(reason or "", multiline=True)
    if not storable(reason):
        raise _refuse(NOT_STORABLE)
    if actor.id != person_id and not reason:
        raise _refuse(N_("Say why the profile should be deleted."))
    if len(reason) > REASON_MAX:
        raise ErasureRefused(*too_long(REASON_MAX, len(reason)))
    if pending(store, person_id) is not None:
        raise _refuse(N_("Deleting this profile was already asked for."))
    day = today or clock.today()
    request = {"person_id": person_id, "asked_at": utc_now(), "asked_by": actor.id,
               "asked_role": actor.role, "reason": reason or None,
               "due_on": (day + timedelta(days=grace_days)).isoformat()}
    store.ask_erasure(request)
    return request


def pending(store: Store, person_id: str) -> dict | None:
    """The deletion asked for and not stopped, if any."""
    return store.pending_erasure(person_id)


def stop(store: Store, actor: Actor, person_id: str) -> None:
    """Stop a deletion asked for: whoever may ask for one (the person above all)."""
    if not _may_ask(store, actor, person_id):
        raise _refuse(N_("This page does not exist, or you are not allowed to see it."))
    if pending(store, person_id) is None:
        raise _refuse(N_("Nothing was asked to be deleted."))
    store.stop_erasure(person_id, actor.id, utc_now())


RETENTION = "retention"  # who asks when a profile was not used (``ask_inactive``)
INACTIVE_DAYS = 730  # the app's RETENTION_DAYS


def ask_inactive(store: Store, *, inactive_days: int = INACTIVE_DAYS,
                 grace_days: int = GRACE_DAYS, today: date | None = None) -> list[str]:
    """Ask for the deletion of each profile nobody used for ``inactive_days``: no change
    in it, no sign-in or look at it, and no "keep my profile" in that time. The grace
    period is the notice: the person sees it on their pages and can keep the profile;
    their coaches see it on the caseload and the review. Returns whose."""
    day = today or clock.today()
    since = (day - timedelta(days=inactive_days)).isoformat()
    asked = []
    for person_id in store.unused_profiles(since):
        store.ask_erasure({"person_id": person_id, "asked_at": utc_now(),
                           "asked_by": RETENTION, "asked_role": RETENTION, "reason": None,
                           "due_on": (day + timedelta(days=grace_days)).isoformat()})
        asked.append(person_id)
    return asked


def erase_due(store: Store, today: date | None = None, *, files: FileStore) -> list[str]:
    """Carry out every deletion whose grace period is over, their photos and documents
    in ``files`` too; returns whose."""
    day = (today or clock.today()).isoformat()
    erased = []
    for request in store.erasures_due(day):
        store.erase_person(request["person_id"], utc_now())
        # After the rows: a crash in between leaves files nobody names, and the next
        # run cannot find them again; so the folder goes whatever else happened.
        files.forget_person(request["person_id"])
        erased.append(request["person_id"])
    if erased:
        store.forget_erased_pages()
    return erased


def was_erased(store: Store, user_ids: list[str]) -> list[str]:
    """Which of ``user_ids`` belonged to a profile that was deleted."""
    return store.erased_among(user_ids)
