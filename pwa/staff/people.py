"""Accounts for refugees: creating them, handing them over, signing them out."""

from __future__ import annotations

import segno
from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from pwa.db import get_store
from pwa.hosts import external_url_for
from pwa.i18n import translate
from pwa.security import login_required, person_or_404
from pwa.staff import bp
from pwa.staff.caseload import my_locations
from sync import accounts
from sync.records import INTERFACE_LOCALES


@bp.route("/people/new", methods=["GET", "POST"])
@login_required("volunteer", "coach")
def new_person():
    """Create a refugee account at one of my locations and show its handover code."""
    locations = my_locations()
    form = {"display_name": request.form.get("display_name", ""),
            "username": request.form.get("username", ""),
            "location_id": request.form.get("location_id", ""),
            "locale": request.form.get("locale", "")}
    if request.method == "GET":
        form["location_id"] = locations[0]["id"] if len(locations) == 1 else ""
        form["locale"] = str(get_locale())
        return render_template("staff/new_person.html", form=form, errors={},
                               locations=locations)
    store = get_store()
    # A place that is not mine counts as no place: create_user then asks to choose one.
    location_id = form["location_id"] if form["location_id"] in g.location_ids else None
    try:
        user_id = accounts.create_user(
            store, role="refugee", username=form["username"],
            display_name=form["display_name"], location_id=location_id,
            created_by=g.user["id"],
            locale=form["locale"] if form["locale"] in INTERFACE_LOCALES else "nl")
    except accounts.AccountError as failure:
        errors = {k: translate(v) for k, v in failure.errors.items()}
        return render_template("staff/new_person.html", form=form, errors=errors,
                               locations=locations), 422
    return _handover_page(store.user(user_id), created=True)


@bp.post("/people/<person_id>/handover")
@login_required("volunteer", "coach")
def new_handover_code(person_id: str):
    """A new one-time code for an existing refugee (lost phone, forgotten PIN)."""
    person = person_or_404(person_id)
    return _handover_page(person, created=False)


def qr_svg(url: str, title: str) -> Markup:
    """A QR code of ``url`` as inline SVG; segno escapes the title, the rest is ours."""
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=4, dark="#000", light="#fff", omitsize=True, title=title,
                        svgclass="qr-code")
    # Our own markup, with the title escaped by segno: safe to put in the page.
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704


def _handover_page(person: dict, created: bool) -> Response:
    store = get_store()
    code = accounts.new_handover_code(store, person["id"], g.user["id"])
    url = external_url_for("auth.handover", code=code)
    html = render_template(
        "staff/handover_code.html", person=person, created=created,
        code=accounts.format_code(code), url=url,
        qr=qr_svg(url, _("QR code to open Talentkaart on your own phone")),
        days=accounts.HANDOVER_DAYS)
    response = Response(html)
    # The code works once: it must not stay in a cache or the back/forward history.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/people/<person_id>/sign-out-everywhere")
@login_required("coach")
def end_sessions(person_id: str):
    """Sign a person out on every device (a lost or stolen phone)."""
    person = person_or_404(person_id)
    accounts.end_all_sessions(get_store(), person_id)
    flash(_("%(name)s is signed out on every device. A new code lets them sign in again.",
            name=person["display_name"]), "success")
    return redirect(url_for("staff.review", person_id=person_id), 303)
