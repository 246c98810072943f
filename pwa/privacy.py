"""The person's own view of their data: who can see the profile, who looked at it, and a
copy of everything to download.

Every look at a profile by someone else is counted here (``count_views``), before the
answer leaves: the log is written by the server, not by the pages, so nobody can switch
it off, and staff have no route that changes it.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from pwa import ROOT
from pwa.db import get_store
from pwa.i18n import DEFAULT_LOCALE, dutch_reader, format_day, show_page_in, translate
from pwa.paging import requested_page
from pwa.security import current_actor, login_required, person_or_404
from pwa.shares import HOW_TEXTS, housing_consent_text, share_list
from sync import accounts, clock, erasure, export, moves, shares
from sync.messages import N_
from sync.store import utc_now

bp = Blueprint("privacy", __name__)

# Pages whose answer shows a person's profile to whoever asked, by endpoint, and what
# the person's log calls that look (the talent card is made from the whole profile).
# A staff browser's pull of the entries (/sync/pull) goes with a page it shows, and a
# device keeps a person's pages only by asking for them: both are counted as pages.
VIEWING_PAGES = {"profile.overview": "profile", "profile.basics": "profile",
                 "profile.section": "profile", "profile.edit": "profile",
                 "staff.review": "review", "staff.talent_card": "card",
                 "staff.housing_match": "housing", "staff.housing_match_json": "housing",
                 "files.original": "file", "staff.idw_application": "idw", "staff.idw_zip": "idw"}
ROLE_TEXTS = {"coach": N_("Coach"), "volunteer": N_("Volunteer"), "share": N_("Shared link")}
VIEWS_PAGE = 10
# An export is written to a temporary file that stays in memory up to this size: a
# long profile streams from disk instead of growing the server.
EXPORT_IN_MEMORY = 4 * 1024 * 1024


def note_views(person_ids: list[str], what: str) -> None:
    """Write in the log of each person that the signed-in user just saw them (``what``:
    a key of sync.export.VIEW_KINDS). A person's own looks are not written."""
    user = g.get("user")
    if user is None:
        return
    get_store().note_views([(person_id, user["id"], user["role"], what)
                            for person_id in person_ids if person_id != user["id"]],
                           utc_now())


@bp.after_app_request
def count_views(response: Response) -> Response:
    """A page that showed someone's profile (or said it is unchanged: a 304 for a copy
    the viewer has) is written in that person's log before it is sent."""
    what = VIEWING_PAGES.get(request.endpoint or "")
    if what and request.method == "GET" and response.status_code in (200, 304):
        person_id = (request.view_args or {}).get("person_id")
        if person_id:
            note_views([person_id], what)
    return response


def _once(what: str, key: str | None, make: Callable[[], Any]) -> Any:
    """``make()``, looked up once per request: a kept page's tag and the page both ask."""
    found = g.setdefault("privacy_" + what, {})
    if key not in found:
        found[key] = make()
    return found[key]


def _staff_at(location_id: str | None) -> list[dict]:
    return _once("staff", location_id, lambda: get_store().staff_at(location_id)
                 if location_id else [])


def _views_mark(person_id: str) -> tuple[int, int]:
    return _once("views", person_id, lambda: get_store().views_mark(person_id))


def shown_depends_on(person_id: str) -> list[str]:
    """What the privacy page shows besides the pack's stamp: the log, who works at the
    person's place, what waits for an answer, the shares and consents (a kept copy is
    refreshed when one changes)."""
    person = get_store().user(person_id)
    staff = _staff_at(person["location_id"] if person else None)
    return [repr(_views_mark(person_id)),
            repr([(s["id"], s["role"], s["display_name"]) for s in staff]),
            repr(notices(person_id)), repr(get_store().shares_mark(person_id)),
            clock.today().isoformat()]  # a share's link ends with its day


def notices(person_id: str) -> dict:
    """What waits for the person's answer: a deletion asked for (``erasure``) and a move
    proposed (``move``), each None when there is none."""
    return _once("notices", person_id, lambda: {
        "erasure": _erasure_notice(person_id), "move": get_store().pending_move(person_id)})


def erasure_notice(person_id: str) -> dict | None:
    """The deletion of the person's profile that was asked for, with who asked, or None."""
    return notices(person_id)["erasure"]


def _erasure_notice(person_id: str) -> dict | None:
    store = get_store()
    asked = erasure.pending(store, person_id)
    if asked is None:
        return None
    unused = asked["asked_role"] == erasure.RETENTION
    by = store.user(asked["asked_by"]) if asked["asked_by"] != person_id and not unused else None
    return {"due_on": asked["due_on"], "reason": asked["reason"], "role": asked["asked_role"],
            "by": by["display_name"] if by else None, "self": asked["asked_by"] == person_id,
            "unused": unused}


def render_overview(person: dict, errors: dict | None = None, status: int = 200):
    store = get_store()
    person_id = person["id"]
    place = store.location(person["location_id"]) if person["location_id"] else None
    staff = _staff_at(place["id"] if place else None)
    rows, _views = _views_mark(person_id)
    page = requested_page(rows, VIEWS_PAGE)
    return render_template(
        "privacy/overview.html", person=person, place=place,
        coaches=[s for s in staff if s["role"] == "coach"],
        volunteers=[s for s in staff if s["role"] == "volunteer"],
        views=store.views_of(person_id, limit=page.size, offset=page.offset), page=page,
        view_texts=export.VIEW_KINDS, role_texts=ROLE_TEXTS, errors=errors or {},
        erasure=erasure_notice(person_id), move=notices(person_id)["move"],
        moves=[m for m in store.moves_of(person_id) if m["answer"] == "moved"],
        shares=share_list(person_id), how_texts=HOW_TEXTS,
        consents=store.consents_of(person_id), housing_text=housing_consent_text(),
        housing=store.consent_in_force(person_id, shares.HOUSING),
        grace_days=current_app.config["ERASURE_GRACE_DAYS"]), status


@bp.get("/privacy")
def explained():
    """What Talentkaart keeps, why, who sees it and for how long, in plain words; for
    everyone, signed in or not."""
    return render_template("privacy/explained.html")


@bp.get("/people/<person_id>/privacy")
@login_required("refugee")
def overview(person_id: str):
    """Who can see my profile, who looked at it, my data to download, deleting it."""
    return render_overview(person_or_404(person_id))


@bp.post("/people/<person_id>/privacy/delete")
@login_required("refugee")
def delete_profile(person_id: str):
    """Ask for the profile to be deleted after the grace period; the PIN confirms it."""
    person = person_or_404(person_id)
    if not accounts.verify_secret(g.user["secret_hash"], request.form.get("secret", "")):
        return render_overview(person, {"secret": _("This is not your PIN or passphrase")},
                                422)
    try:
        asked = erasure.ask(get_store(), current_actor(), person_id,
                            grace_days=current_app.config["ERASURE_GRACE_DAYS"])
    except erasure.ErasureRefused as refused:
        return render_overview(person, {"__all__": translate((refused.message,
                                                               refused.params))}, 422)
    flash(_("Your profile will be deleted on %(date)s. Until then you can stop it here.",
            date=format_day(asked["due_on"])), "success")
    return redirect(url_for("privacy.overview", person_id=person_id, _anchor="delete"), 303)


@bp.post("/people/<person_id>/privacy/move")
@login_required("refugee")
def answer_move(person_id: str):
    """The person moves their profile to the place a coach proposed, or stays."""
    person = person_or_404(person_id)
    choice = request.form.get("answer", "")
    if choice not in ("move", "stay"):
        return render_overview(person, {"__all__": _("The request was not valid.")}, 422)
    try:
        proposal = moves.answer(get_store(), current_actor(), person_id, move=choice == "move")
    except moves.MoveRefused as refused:
        return render_overview(person, {"__all__": _(refused.message)}, 422)
    if choice == "move":
        flash(_("Your profile moved to %(place)s.", place=proposal["to_name"]), "success")
    else:
        flash(_("Your profile stays at %(place)s.", place=proposal["from_name"]), "success")
    return redirect(url_for("privacy.overview", person_id=person_id), 303)


@bp.post("/people/<person_id>/privacy/keep")
@login_required("refugee")
def keep_profile(person_id: str):
    """Stop the deletion of the profile (asked for by the person or by staff)."""
    person = person_or_404(person_id)
    try:
        erasure.stop(get_store(), current_actor(), person_id)
    except erasure.ErasureRefused as refused:
        return render_overview(person, {"__all__": translate((refused.message,
                                                               refused.params))}, 422)
    flash(_("Your profile will not be deleted."), "success")
    return redirect(url_for("privacy.overview", person_id=person_id, _anchor="delete"), 303)


@bp.get("/people/<person_id>/privacy/my-data.zip")
@login_required("refugee")
def my_data(person_id: str):
    """Everything about the person, to download: their data as JSON (every entry with
    its history, comments, conflicts and the log of who looked), a CV as JSON Resume,
    and the talent card in their language and in Dutch."""
    person = person_or_404(person_id)
    store = get_store()
    now = utc_now()
    own_locale = person.get("locale") or DEFAULT_LOCALE
    from pwa.files import file_store  # pwa.files needs the sync API, which needs this module
    from pwa.staff.talent_card import talent_card_context

    spool = tempfile.SpooledTemporaryFile(max_size=EXPORT_IN_MEMORY)  # noqa: SIM115 (streamed below)
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("talentkaart.json", "w") as raw, \
                io.TextIOWrapper(raw, encoding="utf-8") as text:
            export.write_export(store, person_id, text, now=now)
        resume = export.json_resume(store, person_id, dutch_reader(), now=now)
        archive.writestr("resume.json", json.dumps(resume, ensure_ascii=False, indent=2))
        css = (ROOT / "static" / "css" / "app.css").read_text()
        for locale in dict.fromkeys([own_locale, DEFAULT_LOCALE]):
            show_page_in(locale)
            archive.writestr(f"talent-card-{locale}.html", render_template(
                "privacy/talent_card_file.html", css=css, **talent_card_context(person)))
        show_page_in(own_locale)
        # The photos and documents as kept, read from disk one at a time.
        kept = file_store()
        for row in store.files_of(person_id):
            archive.write(kept.path(person_id, row["blob"]), export.file_path(row),
                          compress_type=zipfile.ZIP_STORED)
        archive.writestr("README.txt", render_template("privacy/export_readme.txt",
                                                      version=export.VERSION, now=now))
    size = spool.tell()
    spool.seek(0)
    day = clock.today().isoformat()

    def chunks():
        try:
            while chunk := spool.read(64 * 1024):
                yield chunk
        finally:
            spool.close()

    response = Response(stream_with_context(chunks()), mimetype="application/zip")
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="talentkaart-{day}.zip"'
    return response

