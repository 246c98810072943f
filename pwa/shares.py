"""Sharing part of one's profile with someone outside: making a share (checked, then
agreed to), answering a coach's proposal, stopping a share, and the page its link
opens (printable, in Dutch, without anything the person did not choose)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.lists import format_list
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from pwa.db import get_store
from pwa.hosts import external_url_for
from pwa.i18n import format_day, page_locale, show_page_in, translate
from pwa.security import current_actor, login_required, person_or_404
from sync import shares
from sync.messages import N_
from sync.store import utc_now

bp = Blueprint("shares", __name__)

# How a consent was given or withdrawn (kept as the code, shown in the person's words).
HOW_TEXTS = {"personal_device": N_("On your own phone, signed in"),
             "shared_device": N_("On a shared device, signed in")}
# Guessed links from one address in a window before it is refused for a while: an
# employer mistyping a link now and then is never stopped, a guesser soon is.
GUESS_LIMIT = 20
GUESS_WINDOW = timedelta(minutes=15)


def _key() -> bytes:
    return current_app.secret_key.encode() if isinstance(current_app.secret_key, str) \
        else current_app.secret_key


def link_of(share: dict) -> str:
    """The share's link, at the public address."""
    return external_url_for("shares.shared", token=shares.token(share["id"], _key()))


def consent_text(choice: shares.Choice | dict) -> str:
    """What the person agrees to, in full sentences in the page's language: the same
    words on the page where they agree and in the consent that is kept."""
    get = choice.get if isinstance(choice, dict) else lambda name: getattr(choice, name)
    sections = get("sections")
    if isinstance(sections, str):
        sections = sections.split(",")
    parts = format_list([_(shares.SECTIONS[key][0]) for key in sections], locale=page_locale())
    values = {"audience": get("audience"), "date": format_day(get("expires_on")),
              "parts": parts}
    named, free_text = bool(get("named")), bool(get("free_text"))
    if named and free_text:
        first = _("%(audience)s may see this until %(date)s, with your name and what you "
                  "wrote in your own words: %(parts)s.", **values)
    elif named:
        first = _("%(audience)s may see this until %(date)s, with your name, without what "
                  "you wrote in your own words: %(parts)s.", **values)
    elif free_text:
        first = _("%(audience)s may see this until %(date)s, without your name, with what "
                  "you wrote in your own words: %(parts)s.", **values)
    else:
        first = _("%(audience)s may see this until %(date)s, without your name and without "
                  "what you wrote in your own words: %(parts)s.", **values)
    sentences = [first]
    if named and get("contact"):
        sentences.append(_("They can reach you at: %(contact)s.", contact=get("contact")))
    sentences.append(_("Whoever has the link can see it. You can stop sharing at any time."))
    return " ".join(sentences)


def housing_consent_text() -> str:
    """What the person agrees to when their place may give their work profile to the
    allocation of a home (the same words on the page and in the consent kept)."""
    return _("Your place may give your work profile to the people who look for a home for "
             "you: your ambitions, the regions where you want to live and work, your work "
             "experience, education and languages, with your name. That helps to find a "
             "municipality where you can find work. You can withdraw this at any time.")


def _how() -> str:
    return "personal_device" if session.permanent else "shared_device"


def _form_values() -> dict:
    return {name: request.form.getlist(name) for name in
            ("audience", "sections", "named", "free_text", "contact", "expires_on")}


def _render_new(person: dict, values: dict, errors: dict | None = None,
                choice: shares.Choice | None = None, status: int = 200):
    return render_template(
        "privacy/share_new.html", person=person, values=values, errors=errors or {},
        choice=choice, consent=consent_text(choice) if choice else "",
        section_choices=[(key, _(label)) for key, (label, _types) in shares.SECTIONS.items()],
        max_days=shares.MAX_DAYS), status


@bp.route("/people/<person_id>/privacy/share", methods=["GET", "POST"])
@login_required("refugee")
def new_share(person_id: str):
    """Share part of the profile: choose, check what it says, agree."""
    person = person_or_404(person_id)
    if request.method == "GET":
        return _render_new(person, shares.default_form())
    values = _form_values()
    try:
        choice = shares.check(values)
    except shares.ShareRefused as refused:
        return _render_new(person, values, {k: translate(v) for k, v in refused.errors.items()},
                           status=422)
    if request.form.get("agree") != "yes":
        return _render_new(person, values, choice=choice)  # the check before agreeing
    share = shares.create(get_store(), current_actor(), person_id, choice,
                          consent_text=consent_text(choice), locale=str(page_locale()), how=_how())
    flash(_("Your link for %(audience)s is ready. Send it, or show the QR code.",
            audience=share["audience"]), "success")
    return redirect(url_for("privacy.overview", person_id=person_id,
                            _anchor=f"share-{share['id']}"), 303)


@bp.post("/people/<person_id>/privacy/shares/<share_id>/answer")
@login_required("refugee")
def answer_share(person_id: str, share_id: str):
    """Agree to a share a coach proposed, or not."""
    from pwa.privacy import render_overview

    person = person_or_404(person_id)
    choice = request.form.get("answer", "")
    share = get_store().share(share_id)
    if choice not in ("agree", "decline") or share is None:
        return render_overview(person, {"__all__": _("The request was not valid.")}, 422)
    try:
        shares.answer(get_store(), current_actor(), person_id, share_id,
                      agree=choice == "agree", consent_text=consent_text(share),
                      locale=str(page_locale()), how=_how())
    except shares.ShareRefused as refused:
        return render_overview(person, {k: translate(v) for k, v in refused.errors.items()},
                               422)
    if choice == "agree":
        flash(_("Your link for %(audience)s is ready. Send it, or show the QR code.",
                audience=share["audience"]), "success")
    else:
        flash(_("Nothing is shared with %(audience)s.", audience=share["audience"]), "success")
    return redirect(url_for("privacy.overview", person_id=person_id, _anchor="shares"), 303)


@bp.post("/people/<person_id>/privacy/shares/<share_id>/stop")
@login_required("refugee")
def stop_share(person_id: str, share_id: str):
    """Stop a share at once: its link shows nothing from now on."""
    from pwa.privacy import render_overview

    person = person_or_404(person_id)
    try:
        share = shares.stop(get_store(), current_actor(), person_id, share_id, how=_how())
    except shares.ShareRefused as refused:
        return render_overview(person, {k: translate(v) for k, v in refused.errors.items()},
                               422)
    flash(_("%(audience)s can no longer see your profile.", audience=share["audience"]),
          "success")
    return redirect(url_for("privacy.overview", person_id=person_id, _anchor="shares"), 303)


@bp.post("/people/<person_id>/privacy/housing")
@login_required("refugee")
def housing(person_id: str):
    """Agree that the place may give the work profile to the housing allocation, or
    withdraw that."""
    from pwa.privacy import render_overview

    person = person_or_404(person_id)
    choice = request.form.get("answer", "")
    try:
        if choice == "agree":
            shares.agree_to_housing(get_store(), current_actor(), person_id,
                                    consent_text=housing_consent_text(),
                                    locale=str(page_locale()), how=_how())
            flash(_("Your place may give your work profile for finding a home."), "success")
        elif choice == "withdraw":
            shares.withdraw_housing(get_store(), current_actor(), person_id, how=_how())
            flash(_("Your work profile is no longer given for finding a home."), "success")
        else:
            return render_overview(person, {"__all__": _("The request was not valid.")}, 422)
    except shares.ShareRefused as refused:
        return render_overview(person, {k: translate(v) for k, v in refused.errors.items()},
                               422)
    return redirect(url_for("privacy.overview", person_id=person_id, _anchor="housing"), 303)


def _gone(status: int):
    show_page_in("nl")
    response = current_app.make_response(
        (render_template("privacy/share_gone.html", too_many=status == 429), status))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/shared/<token>")
def shared(token: str):
    """What a share's link shows: the parts the person chose, in Dutch, printable.
    A guessed token counts against its address; a stopped or expired share shows
    nothing of the person."""
    store = get_store()
    address = "link " + (request.remote_addr or "")
    now = datetime.now(UTC)
    since = (now - GUESS_WINDOW).isoformat(timespec="seconds")
    if store.count_failures(address, since) >= GUESS_LIMIT:
        return _gone(429)
    share_id = shares.share_id_of(token, _key())
    share = store.share(share_id) if share_id else None
    if share is None:
        store.record_failed_guess(address, now.isoformat(timespec="seconds"),
                                  (now - 2 * GUESS_WINDOW).isoformat(timespec="seconds"))
        return _gone(404)
    if not shares.is_open(share):
        return _gone(410)
    person = store.user(share["person_id"])
    if person is None:
        return _gone(410)
    store.note_views([(person["id"], share["id"], "share", "share")], utc_now())
    show_page_in("nl")
    from pwa.staff.talent_card import talent_card_context

    response = current_app.make_response(render_template(
        "privacy/shared.html", share=share, **talent_card_context(person, share)))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def share_list(person_id: str) -> list[dict]:
    """The person's shares for their privacy page: each with its link and QR code
    while it is open, and what the person agreed to."""
    from pwa.staff.people import qr_svg

    listed = []
    for share in get_store().shares_of(person_id):
        item = {**share, "open": shares.is_open(share), "parts": format_list(
            [_(shares.SECTIONS[k][0]) for k in share["sections"].split(",")],
            locale=page_locale())}
        if share["status"] == "proposed":
            item["consent"] = consent_text(share)
        if item["open"]:
            item["link"] = link_of(share)
            item["qr"] = qr_svg(item["link"], _("QR code of your link for %(audience)s",
                                                audience=share["audience"]))
        listed.append(item)
    return listed

