"""Statements of verified volunteer hours: made and withdrawn by the person, checked by
anyone who has the link (sync/statements.py)."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pwa.db import get_store
from pwa.hosts import external_url_for, public_origin
from pwa.i18n import show_page_in, translate
from pwa.security import current_actor, login_required, person_or_404
from sync import links, statements

bp = Blueprint("statements", __name__)
KIND = "statement"


def _key() -> bytes:
    key = current_app.secret_key
    return key.encode() if isinstance(key, str) else key


def _back(person_id: str, anchor: str | None = None):
    return redirect(url_for("profile.section", person_id=person_id, slug="volunteering",
                            _anchor=anchor), 303)


@bp.post("/people/<person_id>/statements")
@login_required("refugee")
def make_statement(person_id: str):
    """Make a statement of one's verified hours at an organisation."""
    person_or_404(person_id)
    try:
        row = statements.make(get_store(), current_actor(), person_id,
                              request.form.get("organisation"), _key(), public_origin())
    except statements.StatementRefused as refused:
        flash(translate((refused.message, {})), "error")
        return _back(person_id, "statements")
    flash(_("Your statement is ready. Send its link, or show the QR code."), "success")
    return _back(person_id, f"statement-{row['id']}")


@bp.post("/people/<person_id>/statements/<statement_id>/revoke")
@login_required("refugee")
def revoke_statement(person_id: str, statement_id: str):
    """Withdraw a statement: its link then says it was withdrawn."""
    person_or_404(person_id)
    try:
        statements.revoke(get_store(), current_actor(), person_id, statement_id)
    except statements.StatementRefused as refused:
        flash(translate((refused.message, {})), "error")
        return _back(person_id, "statements")
    flash(_("The statement is withdrawn. Its link says so now."), "success")
    return _back(person_id, "statements")


@bp.get("/statements/<token>")
def check_statement(token: str):
    """Anyone with the link sees whether the statement is genuine and still valid, and
    nothing else of the profile. In Dutch: the people who check it are Dutch employers
    and organisations."""
    statement_id = links.item_of(KIND, token, _key())
    statement = get_store().statement(statement_id) if statement_id else None
    show_page_in("nl")
    if statement is None:
        response = current_app.make_response((render_template(
            "statements/check.html", checked=None), 404))
    else:
        from pwa.staff.people import qr_svg

        checked = statements.check(get_store(), statement, _key())
        link = link_of(statement)
        # Printed (or saved as PDF), the page carries its own QR code: whoever holds the
        # paper checks it again here.
        response = current_app.make_response(render_template(
            "statements/check.html", checked=checked, link=link,
            qr=qr_svg(link, _("QR code of this statement"))))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def link_of(statement: dict) -> str:
    return external_url_for("statements.check_statement",
                            token=links.token(KIND, statement["id"], _key()))


def statement_list(person_id: str) -> dict:
    """What the volunteering page offers the person: organisations with verified hours
    to make a statement for, and the statements made, each with its link and QR code."""
    from pwa.staff.people import qr_svg

    store = get_store()
    made = []
    for row in store.statements_of(person_id):
        document = json.loads(row["document"])
        link = link_of(row)
        made.append({**row, "subject": document["credentialSubject"], "link": link,
                     "qr": None if row["revoked_at"] else qr_svg(link, _(
                         "QR code of your statement for %(organisation)s",
                         organisation=document["credentialSubject"]["organisation"]))})
    organisations = statements.organisations(store, person_id)
    return {"organisations": organisations, "choices": [(o, o) for o in organisations],
            "made": made}


def init_app(app) -> None:
    app.jinja_env.globals.update(statement_list=statement_list)
