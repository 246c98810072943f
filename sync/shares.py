"""Sharing part of a profile with someone outside, with the person's consent.

The person chooses the parts (``SECTIONS``), whether their name shows or only an
anonymous summary, whether what they wrote in their own words goes with it, and until
when. The share is a link whose token is the share's id with a keyed MAC of it: a link
cannot be guessed, and the database holds no working link (the key is the app's).
A coach may propose a share; it counts only once the person agrees on their own
device (``answer``). Every agreement is kept as a consent, with the text the person
saw in their language, when and how it was given, and when it was withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sync import clock, links
from sync.kinds import NOT_STORABLE, Day, Message, clean_text, parse_date, storable
from sync.messages import N_, too_long
from sync.records import RECORD_TYPES, Field
from sync.store import Store, utc_now
from sync.write import Actor, can_see, new_id

# What can be shared: key -> (what the person reads, the record types it shows).
# "volunteering" is the verified hours, "rights" what the work rules allow.
SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ambitions": (N_("Ambitions"), ("ambition",)),
    "skills": (N_("Skills"), ("skill",)),
    "languages": (N_("Languages"), ("language",)),
    "work": (N_("Work experience"), ("work",)),
    "education": (N_("Education"), ("education",)),
    "plan": (N_("Development plan"), ("goal", "step")),
    "volunteering": (N_("Verified volunteer hours"), ()),
    "rights": (N_("Whether you may do paid work"), ()),
}
DEFAULT_DAYS = 30
MAX_DAYS = 180
AUDIENCE_MAX = 80
CONTACT_MAX = 120
# Kinds of field that hold a person's own words, and those that say exactly when or
# where: an anonymous summary leaves out the first (unless chosen) and shows only the
# year of the second.
FREE_TEXT_KINDS = frozenset({"text", "longtext"})
EXACT_TIME_KINDS = frozenset({"date", "month"})
PLACE_KINDS = frozenset({"location", "user"})
# Entries still worth showing without the words that name them: work by its
# occupation, country and years; education by its level, country and diploma.
NAMED_BY_CODES = frozenset({"work", "education"})

NOT_FOUND = N_("This page does not exist, or you are not allowed to see it.")


@dataclass
class ShareRefused(Exception):
    """Why a share cannot be made or changed: messages by form field (``__all__``
    for the whole form)."""

    errors: dict[str, Message]


def _refuse(message: str, field: str = "__all__") -> ShareRefused:
    return ShareRefused({field: (message, {})})


@dataclass(frozen=True)
class Choice:
    """What a share shows, to whom and until when: the checked form."""

    audience: str
    sections: tuple[str, ...]
    named: bool
    free_text: bool
    contact: str
    expires_on: str


def check(form: dict, today: date | None = None) -> Choice:
    """The share described by ``form`` (a dict of lists of strings, like a posted
    form), or ShareRefused naming each wrong field."""
    day = today or clock.today()
    errors: dict[str, Message] = {}

    def text(name: str, maximum: int, required: bool = False) -> str:
        value = clean_text((form.get(name) or [""])[0], multiline=False)
        if not storable(value):
            errors[name] = (NOT_STORABLE, {})
        elif len(value) > maximum:
            errors[name] = too_long(maximum, len(value))
        elif required and not value:
            errors[name] = (N_("Say who you share it with"), {})
        return value

    audience = text("audience", AUDIENCE_MAX, required=True)
    contact = text("contact", CONTACT_MAX)
    chosen = form.get("sections") or []
    sections = tuple(key for key in SECTIONS if key in chosen)
    if not sections or len(sections) != len(set(chosen)):
        errors["sections"] = (N_("Choose at least one part of your profile")
                              if not chosen else N_("Choose from the list"), {})
    free_text = (form.get("free_text") or [""])[0] == "yes"
    if "plan" in sections and not free_text:
        errors["free_text"] = (N_("Your development plan is in your own words: share "
                                  "those too, or leave the plan out."), {})
    mode = (form.get("named") or [""])[0]
    if mode not in ("yes", "no"):
        errors["named"] = (N_("Choose with or without your name"), {})
    raw_until = (form.get("expires_on") or [""])[0].strip()
    until = parse_date(raw_until) if raw_until else None
    if until is None:
        errors["expires_on"] = Day.MESSAGES["real"] if raw_until else (N_("Enter a date"), {})
    elif until < day:
        errors["expires_on"] = (N_("This date has passed. Choose a day from today on."), {})
    elif until > day + timedelta(days=MAX_DAYS):
        # The field's hint says how far (a plural); the message needs no number.
        errors["expires_on"] = (N_("This day is too far ahead. Choose an earlier day."), {})
    if errors:
        raise ShareRefused(errors)
    named = mode == "yes"
    return Choice(audience=audience, sections=sections, named=named,
                  free_text=free_text,
                  contact=contact if named else "", expires_on=until.isoformat())


def default_form(today: date | None = None) -> dict[str, list[str]]:
    """What a new share's form suggests: a summary without the name, of what an
    employer asks first, for a month."""
    until = (today or clock.today()) + timedelta(days=DEFAULT_DAYS)
    return {"named": ["no"], "sections": ["skills", "languages", "work"],
            "expires_on": [until.isoformat()]}


def _row(person_id: str, choice: Choice, actor: Actor, status: str) -> dict:
    return {"id": new_id(), "person_id": person_id, "audience": choice.audience,
            "sections": ",".join(choice.sections), "named": int(choice.named),
            "free_text": int(choice.free_text), "contact": choice.contact or None,
            "expires_on": choice.expires_on, "created_at": utc_now(),
            "created_by": actor.id, "status": status}


def _consent(share: dict, text: str, locale: str, how: str) -> dict:
    return {"id": new_id(), "person_id": share["person_id"], "subject": "share",
            "subject_id": share["id"], "text": text, "locale": locale,
            "given_at": utc_now(), "how": how}


def create(store: Store, actor: Actor, person_id: str, choice: Choice, *,
           consent_text: str, locale: str, how: str) -> dict:
    """The person shares: the share counts at once, and their consent is kept."""
    if actor.id != person_id:
        raise _refuse(NOT_FOUND)
    share = _row(person_id, choice, actor, "active")
    store.add_share(share, _consent(share, consent_text, locale, how))
    return share


def propose(store: Store, actor: Actor, person_id: str, choice: Choice) -> dict:
    """A coach of the person's place proposes a share; it waits for the person."""
    if actor.role != "coach" or not can_see(store, actor, person_id):
        raise _refuse(NOT_FOUND)
    share = _row(person_id, choice, actor, "proposed")
    store.add_share(share)
    return share


def _own_share(store: Store, actor: Actor, person_id: str, share_id: str) -> dict:
    share = store.share(share_id)
    if actor.id != person_id or share is None or share["person_id"] != person_id:
        raise _refuse(NOT_FOUND)
    return share


def answer(store: Store, actor: Actor, person_id: str, share_id: str, *, agree: bool,
           consent_text: str = "", locale: str = "", how: str = "") -> dict:
    """The person agrees to a share a coach proposed (it counts from now), or says no.
    Only the person: a coach cannot agree for them."""
    share = _own_share(store, actor, person_id, share_id)
    if share["status"] != "proposed":
        raise _refuse(N_("This proposal was answered already."))
    if agree:
        store.set_share_status(share_id, "proposed", "active", actor.id, utc_now(),
                               consent=_consent(share, consent_text, locale, how))
    else:
        store.set_share_status(share_id, "proposed", "declined", actor.id, utc_now())
    return share


def stop(store: Store, actor: Actor, person_id: str, share_id: str, how: str) -> dict:
    """The person stops a share at once: its link shows nothing from now on, and the
    consent is withdrawn (``how``: as it was given)."""
    share = _own_share(store, actor, person_id, share_id)
    if share["status"] != "active":
        raise _refuse(N_("This share was stopped already."))
    store.set_share_status(share_id, "active", "stopped", actor.id, utc_now(),
                           withdrawn_how=how)
    return share


def is_open(share: dict, today: date | None = None) -> bool:
    """Whether the share's link shows the profile now."""
    return share["status"] == "active" and share["expires_on"] >= (
        today or clock.today()).isoformat()


# -- links ------------------------------------------------------------------------


def token(share_id: str, key: bytes) -> str:
    """The secret part of a share's link (sync/links.py)."""
    return links.token("share", share_id, key)


def share_id_of(link_token: str, key: bytes) -> str | None:
    """The share a token names, or None when it is not one of ours (a guess)."""
    return links.item_of("share", link_token, key)


# -- what a share shows -------------------------------------------------------------

_YEAR = Field("year", "year", "")


def shown_field(share: dict, record_field: Field) -> Field | None:
    """How a share shows a field: not at all (None), as it is, or (an exact date in
    an anonymous summary) as its year."""
    named, free_text = bool(share["named"]), bool(share["free_text"])
    if record_field.kind in FREE_TEXT_KINDS and not free_text:
        return None
    if not named and record_field.kind in PLACE_KINDS:
        return None
    if not named and record_field.kind in EXACT_TIME_KINDS:
        return replace(_YEAR, name=record_field.name, label=record_field.label)
    return record_field


def shown_records(share: dict, by_type: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The person's entries as the share shows them: only the chosen parts, each
    entry with only the fields the share lets through. An entry left with nothing
    that names it (a skill in the person's own words, without them) is left out."""
    chosen = share["sections"].split(",")
    shown: dict[str, list[dict]] = {}
    for key in chosen:
        for record_type in SECTIONS.get(key, ("", ()))[1]:
            spec = RECORD_TYPES[record_type]
            entries = []
            for record in by_type.get(record_type, []):
                data = {}
                for name, value in record["data"].items():
                    record_field = spec.field(name)
                    as_shown = shown_field(share, record_field) if record_field else None
                    if as_shown is None:
                        continue
                    data[name] = (str(value)[:4] if as_shown.kind == "year" and value
                                  and record_field.kind in EXACT_TIME_KINDS else value)
                if (record_type not in NAMED_BY_CODES and spec.title
                        and not any(data.get(name) for name in spec.title)):
                    continue
                entries.append({**record, "data": data})
            shown[record_type] = entries
    return shown


# -- the housing allocation ----------------------------------------------------------

HOUSING = "housing"
# What the allocation of a home weighs for the chance of work: a talent card of these
# parts, with the name (it is about this person's home) and their own words.
HOUSING_MATCH = {"sections": "ambitions,work,education,languages,rights", "named": 1,
                 "free_text": 1}


def agree_to_housing(store: Store, actor: Actor, person_id: str, *, consent_text: str,
                     locale: str, how: str) -> dict:
    """The person lets their place give their work profile to the housing allocation."""
    if actor.id != person_id:
        raise _refuse(NOT_FOUND)
    if store.consent_in_force(person_id, HOUSING) is not None:
        raise _refuse(N_("You agreed to this already."))
    consent = {"id": new_id(), "person_id": person_id, "subject": HOUSING, "subject_id": None,
               "text": consent_text, "locale": locale, "given_at": utc_now(), "how": how}
    store.add_consent(consent)
    return consent


def withdraw_housing(store: Store, actor: Actor, person_id: str, how: str) -> None:
    """The person takes that consent back: from now on it cannot be made."""
    consent = store.consent_in_force(person_id, HOUSING) if actor.id == person_id else None
    if consent is None:
        raise _refuse(N_("There is no consent to withdraw."))
    store.withdraw_consent(consent["id"], utc_now(), how)
