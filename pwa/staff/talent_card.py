"""The talent card: a one-page summary for employers and municipalities, in Dutch."""

from __future__ import annotations

from flask import abort, jsonify, render_template

from pwa.db import get_store
from pwa.i18n import dutch_reader, language_name, show_page_in
from pwa.profile import advice_for, hours_totals_of, load_profile
from pwa.security import login_required, person_or_404
from pwa.staff import bp
from pwa.staff.entries import show_value
from sync import clock, export, shares
from sync.records import RECORD_TYPES
from sync.store import utc_now

TALENT_CARD_SKILLS = 8


@bp.get("/people/<person_id>/talent-card")
@login_required("volunteer", "coach")
def talent_card(person_id: str):
    """A one-page summary for employers and municipalities, always in Dutch."""
    person = person_or_404(person_id)
    show_page_in("nl")
    return render_template("staff/talent_card.html", **talent_card_context(person))


@bp.get("/people/<person_id>/housing-match")
@login_required("coach")
def housing_match(person_id: str):
    """The person's work profile for the allocation of a home, printable, in Dutch;
    only with their consent."""
    person = person_or_404(person_id)
    consent = get_store().consent_in_force(person_id, shares.HOUSING)
    show_page_in("nl")
    if consent is None:
        return render_template("staff/housing_match.html", person=person, consent=None), 403
    return render_template("staff/housing_match.html", consent=consent,
                           **talent_card_context(person, shares.HOUSING_MATCH))


@bp.get("/people/<person_id>/housing-match.json")
@login_required("coach")
def housing_match_json(person_id: str):
    """The same as JSON (sync.export.housing_match), for the allocation's systems."""
    person = person_or_404(person_id)
    store = get_store()
    if store.consent_in_force(person_id, shares.HOUSING) is None:
        abort(403)
    response = jsonify(export.housing_match(store, person_id, dutch_reader(), now=utc_now()))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="housing-match-{person["username"]}.json"')
    response.headers["Cache-Control"] = "no-store"
    return response


def talent_card_context(person: dict, share: dict | None = None) -> dict:
    """What the talent card of ``person`` shows, in the page's language: all of it,
    or what ``share`` lets through (the parts chosen; no name, place or exact dates
    in an anonymous summary; the person's own words only when chosen)."""
    person_id = person["id"]
    by_type = load_profile(person_id)["by_type"]
    basics = next(iter(by_type["basics"]), None)
    field_of = lambda t, n: RECORD_TYPES[t].field(n)  # noqa: E731
    parts = set(shares.SECTIONS)
    if share is not None:
        parts = set(share["sections"].split(","))
        by_type = {**{name: [] for name in by_type}, **shares.shown_records(share, by_type)}
        field_of = lambda t, n: shares.shown_field(share, RECORD_TYPES[t].field(n))  # noqa: E731
    skills = sorted(by_type["skill"], key=lambda r: r["data"].get("level") or "",
                    reverse=True)[:TALENT_CARD_SKILLS]
    languages = sorted(by_type["language"],
                       key=lambda r: (not r["data"].get("mother_tongue"),
                                      language_name(r["data"].get("language")).casefold()))
    steps: dict[str, list[dict]] = {}
    for step in by_type["step"]:
        steps.setdefault(step["data"]["goal_id"], []).append(step)
    goals = [goal for goal in by_type["goal"] if goal["data"].get("status") != "stopped"]
    location = get_store().location(person["location_id"]) if person["location_id"] else None
    named = share is None or bool(share["named"])
    return dict(
        person=person if named else None, basics=basics, location=location if named else None,
        show_goal="ambitions" in parts and (share is None or bool(share["free_text"])),
        show_rights="rights" in parts, show_hours="volunteering" in parts,
        advice=advice_for(basics) if basics else None, ambitions=by_type["ambition"], skills=skills,
        languages=languages, education=by_type["education"], work=by_type["work"],
        goals=goals, steps=steps, totals=hours_totals_of(person_id),
        show_value=show_value, field_of=field_of,
        today=clock.today())
