"""Offline-first plumbing: service worker, manifest, offline pack, and the sync API.

The sync API is JSON over the session cookie. It is not protected by a form
token, because an entry made offline may be sent days later, long after any
token in a cached page died. Instead it only answers requests that a
cross-site page cannot make without a CORS preflight (which we never grant):
a JSON body plus a custom header, from our own origin.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from pwa import ROOT, privacy
from pwa.auth import home_for
from pwa.db import get_store
from pwa.hosts import public_origin
from pwa.i18n import html_lang, side_by_side, translate
from pwa.page_cache import digest, not_modified, page_tag, session_marker
from pwa.read_aloud import recordings_mark
from pwa.security import (
    current_actor,
    header_guarded,
    is_fragment_request,
    login_required,
    person_or_404,
)
from sync import clock, device_keys, erasure, protocol
from sync.messages import N_
from sync.records import RECORD_TYPES
from sync.write import BadOperation, NotFound, can_see, is_uuid

bp = Blueprint("offline", __name__)

SYNC_HEADER = "X-Talentkaart-Sync"
# The manifest's icons (file, sizes, purpose): the phone keeps them with the shell, so
# an installed app started with no network finds everything it asks for.
MANIFEST_ICONS = [("icon-192.png", "192x192", "any"), ("icon-512.png", "512x512", "any"),
                  ("maskable-192.png", "192x192", "maskable"),
                  ("maskable-512.png", "512x512", "maskable"), ("icon.svg", "any", "any")]
# Every module in static/js: a module the shell lacks would not load offline.
SHELL_ASSETS = ["css/app.css", "vendor/htmx/htmx.min.js", "icons/sprite.svg",
                *(f"js/{path.name}" for path in sorted((ROOT / "static" / "js").glob("*.js"))),
                *(f"icons/{name}" for name, _, _ in MANIFEST_ICONS)]


@lru_cache(maxsize=1)
def build_version(root: str = str(ROOT)) -> str:
    """A hash of everything a cached page depends on: a new build gets new caches."""
    hashed = hashlib.sha256()
    base = Path(root)
    for folder, pattern in (("static", "**/*"), ("templates", "**/*.html"),
                            ("translations", "**/*.mo"), ("pwa", "**/*.py"),
                            ("sync", "**/*.py")):
        for path in sorted((base / folder).glob(pattern)):
            if path.is_file():
                hashed.update(str(path.relative_to(base)).encode())
                hashed.update(path.read_bytes())
    return hashed.hexdigest()[:16]


def json_error(status: int, message: str, **extra):
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def sync_guard():
    """Refuse what a cross-site page could send; 401 when signed out."""
    if request.headers.get(SYNC_HEADER) != "1" or not request.is_json and request.method == "POST":
        return json_error(400, _("The request was not valid."))
    origin = request.headers.get("Origin")
    if origin and origin != public_origin():
        return json_error(403, _("You are not allowed to change this"))
    if request.headers.get("Sec-Fetch-Site") not in (None, "same-origin", "none"):
        return json_error(403, _("You are not allowed to change this"))
    if g.user is None:
        return json_error(401, _("Sign in again to send your changes."), signin=True)
    return None


def _translated_results(results: list[dict]) -> list[dict]:
    """Server reasons in the user's language, as the phone will show them."""
    for result in results:
        if result["status"] == "rejected":
            result["message"] = translate(result["message"])
            result["errors"] = {k: translate(v) for k, v in result["errors"].items()}
    return results


def _json_body():
    """The request's JSON, or None when it is not JSON."""
    try:
        return request.get_json(silent=True)
    except RecursionError:  # "[[[[..." nested deeper than the parser goes: malformed too
        return None


@bp.post("/sync/push")
@header_guarded
def push():
    """Apply a batch of outbox operations; one result per operation."""
    if (refused := sync_guard()) is not None:
        return refused
    try:
        raw_ops = protocol.operations_from(_json_body())
    except protocol.BadPayload as bad:
        return json_error(400, translate((bad.message, bad.params)))
    results = protocol.push(get_store(), current_actor(), raw_ops)
    return jsonify({"results": _translated_results(results)})


@bp.post("/sync/key")
@header_guarded
def device_key():
    """The signed-in user's key for signing changes on this device (the same when asked again)."""
    if (refused := sync_guard()) is not None:
        return refused
    body = _json_body()
    try:
        key = device_keys.issue_key(get_store(), g.user["id"],
                                    body.get("device_id") if isinstance(body, dict) else None)
    except device_keys.BadDevice:
        return json_error(400, _("The request was not valid."))
    # The phone checks whose key this is: the account may have changed since the page loaded.
    return jsonify({**key, "user_id": g.user["id"]})


@bp.get("/sync/pull")
def pull():
    """Changes of a person's profile after a cursor."""
    if (refused := sync_guard()) is not None:
        return refused
    since = request.args.get("since", "0")
    # isascii: "²" and "١" pass isdigit() but int() refuses or reads them differently.
    if not (since.isascii() and since.isdigit()) or len(since) > 15:
        return json_error(400, _("The request was not valid."))
    try:
        changes = protocol.pull(get_store(), current_actor(), request.args.get("person", ""),
                                int(since))
    except (NotFound, BadOperation):
        return json_error(404, _("This page does not exist, or you are not allowed to see it."))
    return jsonify(changes)


# A phone asks about the few people whose changes or entries it keeps.
ERASED_ASKED_AT_MOST = 20


@bp.get("/sync/erased")
def erased():
    """Which of the people this phone keeps something of had their profile deleted: it
    then forgets everything of theirs (static/js/erased.js). Asked signed out too (a
    deletion ends every session); an id is random, so the answer tells nothing else."""
    if request.headers.get(SYNC_HEADER) != "1":
        return json_error(400, _("The request was not valid."))
    asked = request.args.getlist("user")
    if not 1 <= len(asked) <= ERASED_ASKED_AT_MOST or not all(map(is_uuid, asked)):
        return json_error(400, _("The request was not valid."))
    return jsonify({"erased": erasure.was_erased(get_store(), asked)})


def pack_urls(person_id: str, viewer_id: str) -> list[str]:
    """The pages of a person's profile the service worker of ``viewer_id`` keeps offline
    (the person's own phone, or a volunteer's): the same few
    pages however many entries there are. Entries travel as data (/sync/pull), and the
    forms page holds an empty form of each kind, for adding and changing them."""
    from pwa.profile import SECTIONS

    return [url_for("profile.overview", person_id=person_id),
            url_for("profile.basics", person_id=person_id),
            *(url_for("profile.section", person_id=person_id, slug=section.slug)
              for section in SECTIONS.values() if section.in_overview and section.slug != "basics"),
            url_for("offline.forms", person_id=person_id),
            url_for("offline.outbox"), url_for("offline.offline_page"),
            # Who can see the profile and who looked: the person's own page only.
            *([url_for("privacy.overview", person_id=person_id)]
              if viewer_id == person_id else [])]


def pack_stamp() -> str:
    """What every kept page of this session depends on besides the person's entries.

    A new build, another language, Dutch side by side, a new session (the pages'
    form tokens), a change to places, staff names or work rules (the site's
    version) or the language's recordings for read-aloud makes it another stamp.
    Pages carry it; the phone refreshes its pack when it differs from the one it kept,
    or when its pull of the person's changes goes past the pack's change number (see
    /sync/pack).
    """
    if "pack_stamp" not in g:
        g.pack_stamp = digest([build_version(), str(get_store().site_version()),
                               str(get_locale()), "side-by-side" if side_by_side() else "",
                               session_marker(), recordings_mark(str(get_locale()))],
                              length=12)
    return g.pack_stamp


# The kept pages (pack_urls) by endpoint, and what their ETag follows besides the
# pack's stamp: True, the person's entries (their last change, today's date: the work
# advice and hour totals change with it; their files and statements); a function of the
# person, what that says the page shows; False, nothing more.
KEPT_PAGES = {"profile.overview": True, "profile.basics": True, "profile.section": True,
              "offline.forms": False, "offline.outbox": False, "offline.offline_page": False,
              "privacy.overview": privacy.shown_depends_on}


def kept_page_tag(endpoint: str, view_args: dict, query: bytes = b"") -> str | None:
    """The ETag of a kept page as this session would get it, made from what the page
    depends on (a few cheap look-ups, not the page); None for any other page."""
    shows_entries = KEPT_PAGES.get(endpoint)
    if shows_entries is None or g.get("user") is None:
        return None
    depends_on = [pack_stamp()]
    person_id = view_args.get("person_id")
    if person_id is not None:
        store = get_store()
        # Who may no longer see the person gets the page's own answer (a 404), never a 304.
        if not can_see(store, current_actor(), person_id):
            return None
        if callable(shows_entries):
            depends_on += shows_entries(person_id)
        # The forms page shows whose profile it is to a volunteer, never entries.
        elif shows_entries or person_id != g.user["id"]:
            depends_on += [str(last_change(person_id)), clock.today().isoformat(),
                           store.proof_mark(person_id)]
            if person_id == g.user["id"]:  # a deletion or a move waiting for an answer
                depends_on.append(repr(privacy.notices(person_id)))
    return page_tag(endpoint, view_args, query, depends_on)


def last_change(person_id: str) -> int:
    """The person's last change number, looked up once per request."""
    seqs = g.setdefault("last_changes", {})
    if person_id not in seqs:
        seqs[person_id] = get_store().last_seq(person_id)
    return seqs[person_id]


@bp.before_app_request
def unchanged_kept_page():
    """Answer a kept page's "has it changed?" before drawing it: a 304 when it has not.

    The page itself gets the same tag (page_cache.mark_page), and, when it shows the
    person's entries, says which change it shows (``data-seq``).
    """
    if request.method != "GET" or is_fragment_request():
        return None
    tag = kept_page_tag(request.endpoint or "", request.view_args or {}, request.query_string)
    if tag is None:
        return None
    person_id = (request.view_args or {}).get("person_id")
    if KEPT_PAGES[request.endpoint] is True and person_id:
        g.page_seq = last_change(person_id)
    return not_modified(tag)


@bp.app_context_processor
def pack_helpers():
    """What the page context that the offline module reads needs."""
    return {"pack_stamp": pack_stamp}


@bp.get("/sync/pack")
@login_required("refugee", "volunteer")
def pack():
    """The offline pack: the pages of a profile the phone should keep, and their version.

    The version is the stamp the pages carry and the person's last change number
    (``seq``): the phone's pull says when its pack is behind.
    """
    if (refused := sync_guard()) is not None:
        return refused
    person_id = request.args.get("person", "")
    person_or_404(person_id)
    urls = pack_urls(person_id, g.user["id"])
    adapter = current_app.url_map.bind("")
    # Each page's tag, as the page would answer: the worker asks only for pages whose
    # kept copy has another one, so a refresh with nothing changed is this answer alone.
    tags = {url: kept_page_tag(*adapter.match(url, method="GET")) for url in urls}
    seq = last_change(person_id)
    # Where the app's start leads (the server redirects it): with no network the
    # phone answers it itself, once that page is kept.
    return jsonify({"version": f"{pack_stamp()}-{seq}", "stamp": pack_stamp(), "seq": seq,
                    "urls": urls, "tags": tags,
                    "start": url_for("auth.index"), "home": home_for(g.user)})


@bp.get("/people/<person_id>/forms")
@login_required("refugee", "volunteer", "coach")
def forms(person_id: str):
    """An empty form of every kind of entry, each in a <template>, for the phone to keep.

    Offline, the service worker answers the URL of an entry's form (to add one, or to
    change one it never kept a page of) with this page, and static/js/forms.js shows
    the form that URL asks for, filled in from the entry's data on the phone. The long
    option lists (skills, occupations, countries, languages) travel once, here.
    """
    from pwa.profile import SECTIONS, FormOptions, can_edit, editable_fields, new_entry_data

    person = person_or_404(person_id)
    if not can_edit(person):
        abort(403)  # as the forms it holds: coaches comment, they do not fill in
    # The goals a step can belong to are the phone's to fill in (they change with the
    # entries, this page does not); no form here offers a place.
    offered = FormOptions(locations=[], goals=[])
    kinds = []
    # Every section's entries but the basics (a kept page of its own), steps included:
    # their forms are at /people/<id>/<slug>/new and /people/<id>/<slug>/<entry id>.
    for section in SECTIONS.values():
        if section.slug == "basics":
            continue
        record_type = section.record_type
        fields = editable_fields(record_type)
        form = render_template("profile/_form.html", person=person, section=section,
                               record=None, data=new_entry_data(record_type), errors={},
                               fields=fields, offered=offered, conflicts=[], query="")
        # Fields naming another entry (a step's goal): its type and the field that titles it.
        refs = {f.name: [f.spec.record_type, RECORD_TYPES[f.spec.record_type].title[0]]
                for f in fields if f.kind.startswith("ref:")}
        kinds.append({"slug": section.slug, "section": section, "form": Markup(form),  # noqa: S704
                      "refs": json.dumps(refs)})
    # Its text says there is no connection until a form is shown: its button leads home.
    home = home_for(g.user) if g.user["role"] == "refugee" else None
    return render_template("profile/forms.html", person=person, kinds=kinds, home=home)


@bp.get("/outbox")
@login_required()
def outbox():
    """Unsent and refused changes on this device (filled in by the offline module)."""
    return render_template("offline/outbox.html", moment=moment_format())


def moment_format() -> dict:
    """How the reader's language writes a moment ("1 december 2026, 07:13"), for the phone.

    From Babel (CLDR), not the phone: Chromium's Intl lacks several of our
    languages (ti, so, ps, ckb, ku) and writes those in the phone's default language,
    often as American English ("12/1/2026, 7:13:28 AM").
    """
    locale = get_locale()
    pattern = (locale.datetime_formats["medium"]
               .replace("{1}", locale.date_formats["long"].pattern)
               .replace("{0}", locale.time_formats["short"].pattern))
    months = locale.months["format"]
    return {"pattern": pattern, "months": [months["wide"][m] for m in range(1, 13)],
            "months_short": [months["abbreviated"][m] for m in range(1, 13)],
            "periods": [locale.day_periods["format"]["abbreviated"][p] for p in ("am", "pm")]}


@bp.get("/offline")
def offline_page():
    """Shown when a page is not on the phone and there is no network."""
    # Its button leads home only where home is kept: a refugee's own profile.
    home = home_for(g.user) if g.user and g.user["role"] == "refugee" else None
    return render_template("offline/offline.html", home=home)


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the root so it controls every page.

    Browsers check for a new one on navigation: its ETag is the build's version, so
    the check costs a 304 until a new version ships.
    """
    tag = build_version()
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304, mimetype="text/javascript")
    else:
        source = (ROOT / "static" / "sw.js").read_text()
        shell = [url_for("static", filename=name) for name in SHELL_ASSETS]
        response = Response(
            source.replace("__VERSION__", tag)
            .replace("__SHELL__", json.dumps(shell + [url_for("offline.manifest"),
                                                      url_for("offline.offline_page")])),
            mimetype="text/javascript")
    response.set_etag(tag, weak=True)
    # Never let a cache hide a new worker: always ask (a 304 when it is the same).
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: installable, standalone, in the user's language."""
    icon = lambda name, size, purpose: {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"), "sizes": size,
        "type": "image/png" if name.endswith(".png") else "image/svg+xml", "purpose": purpose}
    data = {
        "name": "Talentkaart",
        "short_name": "Talentkaart",
        "description": _("Your skills, languages and plans, on your own phone."),
        "lang": html_lang(),
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b3f6b",
        "icons": [icon(*spec) for spec in MANIFEST_ICONS],
    }
    response = current_app.response_class(json.dumps(data, ensure_ascii=False),
                                          mimetype="application/manifest+json")
    # The phone keeps it with the shell and asks whether it changed (a 304 when not).
    response.set_etag(digest([build_version(), data["lang"]]), weak=True)
    return response.make_conditional(request)


@bp.route("/people/<person_id>/upload", methods=["GET", "POST"])
@login_required("refugee", "volunteer", "coach")
def upload(person_id: str):
    """Apply an outbox saved as a file (the escape hatch when sync cannot run)."""
    person = person_or_404(person_id)
    errors: dict[str, str] = {}
    results = None
    if request.method == "POST":
        file = request.files.get("outbox")
        try:
            if file is None or not file.filename:
                raise protocol.BadPayload(N_("Choose the file with the saved changes"))
            results = protocol.upload(get_store(), current_actor(), person_id,
                                      protocol.read_outbox_file(file.read()))
        except protocol.BadPayload as bad:
            errors["outbox"] = translate((bad.message, bad.params))
            return render_template("offline/upload.html", person=person, errors=errors,
                                   results=None), 422
        results = _translated_results(results)
    return render_template("offline/upload.html", person=person, errors=errors,
                           results=results)
