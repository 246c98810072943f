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

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from pwa import ROOT
from pwa.db import get_store
from pwa.i18n import side_by_side, translate
from pwa.page_cache import session_marker
from pwa.security import current_actor, header_guarded, login_required, person_or_404
from sync import device_keys, protocol
from sync.messages import N_
from sync.write import BadOperation, NotFound

bp = Blueprint("offline", __name__)

SYNC_HEADER = "X-Talentkaart-Sync"
SHELL_ASSETS = ["css/app.css", "vendor/htmx/htmx.min.js", "js/app.js", "js/outbox.js",
                "js/offline.js", "icons/icon.svg", "icons/icon-192.png"]


@lru_cache(maxsize=1)
def build_version(root: str = str(ROOT)) -> str:
    """A hash of everything a cached page depends on: a new build gets new caches."""
    digest = hashlib.sha256()
    base = Path(root)
    for folder, pattern in (("static", "**/*"), ("templates", "**/*.html"),
                            ("translations", "**/*.mo"), ("pwa", "*.py"), ("sync", "*.py")):
        for path in sorted((base / folder).glob(pattern)):
            if path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _json_error(status: int, message: str, **extra):
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def _sync_guard():
    """Refuse what a cross-site page could send; 401 when signed out."""
    if request.headers.get(SYNC_HEADER) != "1" or not request.is_json and request.method == "POST":
        return _json_error(400, _("The request was not valid."))
    origin = request.headers.get("Origin")
    if origin and origin != request.host_url.rstrip("/"):
        return _json_error(403, _("You are not allowed to change this"))
    if request.headers.get("Sec-Fetch-Site") not in (None, "same-origin", "none"):
        return _json_error(403, _("You are not allowed to change this"))
    if g.user is None:
        return _json_error(401, _("Sign in again to send your changes."), signin=True)
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
    if (refused := _sync_guard()) is not None:
        return refused
    try:
        raw_ops = protocol.operations_from(_json_body())
    except protocol.BadPayload as bad:
        return _json_error(400, translate((bad.message, bad.params)))
    results = protocol.push(get_store(), current_actor(), raw_ops)
    return jsonify({"results": _translated_results(results)})


@bp.post("/sync/key")
@header_guarded
def device_key():
    """The signed-in user's key for signing changes on this device (the same when asked again)."""
    if (refused := _sync_guard()) is not None:
        return refused
    body = _json_body()
    try:
        key = device_keys.issue_key(get_store(), g.user["id"],
                                    body.get("device_id") if isinstance(body, dict) else None)
    except device_keys.BadDevice:
        return _json_error(400, _("The request was not valid."))
    # The phone checks whose key this is: the account may have changed since the page loaded.
    return jsonify({**key, "user_id": g.user["id"]})


@bp.get("/sync/pull")
def pull():
    """Changes of a person's profile after a cursor."""
    if (refused := _sync_guard()) is not None:
        return refused
    since = request.args.get("since", "0")
    # isascii: "²" and "١" pass isdigit() but int() refuses or reads them differently.
    if not (since.isascii() and since.isdigit()) or len(since) > 15:
        return _json_error(400, _("The request was not valid."))
    try:
        changes = protocol.pull(get_store(), current_actor(), request.args.get("person", ""),
                                int(since))
    except (NotFound, BadOperation):
        return _json_error(404, _("This page does not exist, or you are not allowed to see it."))
    return jsonify(changes)


def pack_urls(person_id: str) -> list[str]:
    """Every page of a person's profile, for the service worker to keep offline."""
    from pwa.profile import SECTIONS

    store = get_store()
    urls = [url_for("profile.overview", person_id=person_id),
            url_for("profile.basics", person_id=person_id),
            url_for("offline.offline_page"), url_for("offline.outbox")]
    for section in SECTIONS.values():
        if section.slug == "basics":
            continue
        if section.in_overview:
            urls.append(url_for("profile.section", person_id=person_id, slug=section.slug))
        urls.append(url_for("profile.new", person_id=person_id, slug=section.slug))
        for record in store.records(person_id, section.record_type):
            urls.append(url_for("profile.edit", person_id=person_id, slug=section.slug,
                                record_id=record["id"]))
    for goal in store.records(person_id, "goal"):
        urls.append(url_for("profile.new", person_id=person_id, slug="steps",
                            goal_id=goal["id"]))
    return urls


def pack_version(person_id: str) -> str:
    """A short fingerprint of a person's offline pack as this session would get it.

    It changes when the kept pages may have: a new build, any change to the
    profile (by anyone), another list of pages, another language, Dutch side
    by side, a new session (the pages' form tokens). A page carries it, and the
    phone refreshes its pack when it differs from the one it kept.
    """
    parts = [build_version(), str(get_store().last_seq(person_id)), str(get_locale()),
             "side-by-side" if side_by_side() else "", session_marker(),
             *pack_urls(person_id)]
    # On g for the page's ETag, which leaves it out (see page_cache.page_etag).
    g.pack_version = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
    return g.pack_version


@bp.app_context_processor
def pack_helpers():
    """``pack_version`` for the page context that the offline module reads."""
    return {"pack_version": pack_version}


@bp.get("/sync/pack")
@login_required("refugee", "volunteer")
def pack():
    """The offline pack: the pages of a profile the phone should keep, and their version."""
    if (refused := _sync_guard()) is not None:
        return refused
    person_or_404(request.args.get("person", ""))
    return jsonify({"version": pack_version(request.args["person"]),
                    "urls": pack_urls(request.args["person"])})


@bp.get("/outbox")
@login_required()
def outbox():
    """Unsent and refused changes on this device (filled in by the offline module)."""
    return render_template("offline/outbox.html")


@bp.get("/offline")
def offline_page():
    """Shown when a page is not on the phone and there is no network."""
    return render_template("offline/offline.html")


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the root so it controls every page."""
    source = (ROOT / "static" / "sw.js").read_text()
    shell = [url_for("static", filename=name) for name in SHELL_ASSETS]
    body = (source.replace("__VERSION__", build_version())
            .replace("__SHELL__", json.dumps(shell + [url_for("offline.offline_page")])))
    response = Response(body, mimetype="text/javascript")
    # Browsers check for a new worker on navigation; never let a cache hide one.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: installable, standalone, in the user's language."""
    icon = lambda name, size, purpose="any": {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"), "sizes": size,
        "type": "image/png" if name.endswith(".png") else "image/svg+xml", "purpose": purpose}
    data = {
        "name": "Talentkaart",
        "short_name": "Talentkaart",
        "description": _("Your skills, languages and plans, on your own phone."),
        "lang": str(g.get("locale_code") or "nl"),
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b3f6b",
        "icons": [icon("icon-192.png", "192x192"), icon("icon-512.png", "512x512"),
                  icon("maskable-192.png", "192x192", "maskable"),
                  icon("maskable-512.png", "512x512", "maskable"),
                  icon("icon.svg", "any")],
    }
    response = current_app.response_class(json.dumps(data, ensure_ascii=False),
                                          mimetype="application/manifest+json")
    return response


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
