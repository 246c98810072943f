"""Who is signed in, who may do what, CSRF, security headers and error pages.

Errors from the core are mapped to status codes here, in one place.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, SecurityError

from pwa import page_cache
from sync import accounts
from sync.write import Actor, BadOperation, Forbidden, NotFound, can_see

csrf = CSRFProtect()

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'")

# Form endpoints that, on a CSRF failure, show the form again with what the
# person typed, instead of an error page that would lose it.
RESUBMITTABLE: set[str] = set()


# JSON endpoints guarded by a custom header and the Origin instead of a form
# token (see pwa/offline.py): an offline change may be sent days later.
HEADER_GUARDED: set[str] = set()


def header_guarded(view: Callable) -> Callable:
    """Mark a JSON endpoint that checks its own cross-site protection."""
    HEADER_GUARDED.add(f"{view.__module__.rsplit('.', 1)[-1]}.{view.__name__}")
    return view


def resubmittable(view: Callable) -> Callable:
    """Mark a form view that handles an expired token by showing the form again."""
    RESUBMITTABLE.add(f"{view.__module__.rsplit('.', 1)[-1]}.{view.__name__}")
    return view


def current_actor() -> Actor | None:
    """The signed-in user as the write path sees them."""
    user = g.get("user")
    if user is None:
        return None
    return Actor(id=user["id"], role=user["role"],
                 location_ids=frozenset(g.get("location_ids", ())))


def sign_in_session(user: dict, shared_device: bool) -> None:
    """Start a fresh session for ``user``: a new server-side session and a new cookie
    (against fixation); the interface language chosen before sign-in stays."""
    from flask import current_app

    from pwa.db import get_store

    locale = session.get("locale")
    end_current_session()
    session["sid"] = accounts.start_session(
        get_store(), user, shared_device, days=current_app.permanent_session_lifetime.days)
    if locale:
        session["locale"] = locale
    session.permanent = not shared_device


def end_current_session() -> None:
    """End this device's session on the server and forget it in the cookie."""
    from pwa.db import get_store

    if session.get("sid"):
        accounts.end_session(get_store(), session["sid"])
    session.clear()


def _load_user() -> None:
    from flask import current_app

    from pwa.db import get_store

    g.user = None
    if request.endpoint == "static":
        return  # the same bytes for everyone: no session, so no "Vary: Cookie"
    token = session.get("sid")
    if not token:
        return
    store = get_store()
    user, ended = accounts.session_user(store, token,
                                        current_app.config["SHARED_DEVICE_IDLE_MINUTES"])
    if user is None:
        locale = session.get("locale")
        session.clear()
        if locale:
            session["locale"] = locale
        if ended == "idle":
            # Flashed, not kept on g: the next thing that happens is a redirect.
            flash(_("You were signed out because the shared device was not used for a while."),
                  "info")
        return
    g.user = user
    if user["role"] in ("volunteer", "coach"):
        g.location_ids = store.staff_location_ids(user["id"])


def login_required(*roles: str) -> Callable:
    """Only signed-in users (of ``roles``, if given); others get sign-in or 403."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if roles and g.user["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def person_or_404(person_id: str) -> dict:
    """The refugee ``person_id`` if the current user may see them; else 404."""
    from pwa.db import get_store

    actor = current_actor()
    store = get_store()
    if actor is None or not can_see(store, actor, person_id):
        abort(404)  # 404, not 403: do not confirm that the person exists
    return store.user(person_id)


def is_fragment_request() -> bool:
    """An htmx request for part of a page (boosted requests get the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # The microphone for voice answers (static/js/voice.js), on our own pages only.
    response.headers.setdefault("Permissions-Policy",
                                "camera=(), microphone=(self), geolocation=()")
    # Any page may answer an htmx request with a fragment: caches must tell them apart.
    if request.endpoint != "static":
        response.vary.add("HX-Request")
    if g.get("user") is not None and request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in HEADER_GUARDED:
        return
    try:
        csrf.protect()
    except CSRFError:
        if request.endpoint in RESUBMITTABLE:
            g.csrf_failed = True
        else:
            raise


def _error_page(status: int, message: str):
    template = "errors/_error.html" if is_fragment_request() else "errors/error.html"
    return render_template(template, status=status, message=message), status


def _refuse_unstorable_address() -> None:
    # A NUL in an address is never a person's doing, and PostgreSQL refuses it in any
    # query: one plain 400 here rather than an error deep in a lookup.
    if "\x00" in request.path or any("\x00" in value for value in request.args.values()):
        abort(400)


def init_app(app: Flask) -> None:
    """Install session loading, CSRF, headers and error pages."""
    csrf.init_app(app)
    app.before_request(_refuse_unstorable_address)
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    # Registered first so it runs after the headers are set (a 304 sheds some of them).
    app.after_request(page_cache.mark_page)
    # The messages a page shows: none in the copies the worker keeps.
    app.context_processor(lambda: {"page_flashes": page_cache.page_flashes})
    app.after_request(_security_headers)

    messages = {
        400: lambda: _("The request was not valid."),
        403: lambda: _("You are not allowed to see this page."),
        404: lambda: _("This page does not exist, or you are not allowed to see it."),
        405: lambda: _("This action is not possible here."),
        413: lambda: _("What you sent is too large."),
        429: lambda: _("Too many attempts. Wait a moment and try again."),
        500: lambda: _("Something went wrong on our side. What you entered is kept; "
                       "please try again later."),
    }

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _error_page(400, _("This form was open too long or came from another site. "
                                  "Go back, reload the page and try again."))

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # No page can be drawn for a host we do not answer to (links would be built
        # from it), so a short text says what to do.
        response = app.response_class(
            _("This address is not the address of this Talentkaart. Open it at the "
              "address your organisation gave you.") + "\n", status=400,
            mimetype="text/plain")
        return response

    @app.errorhandler(HTTPException)
    def http_error(error):
        message = messages.get(error.code, messages[400])()
        return _error_page(error.code or 500, message)

    @app.errorhandler(NotFound)
    def not_found(error):
        return _error_page(404, messages[404]())

    @app.errorhandler(Forbidden)
    def forbidden(error):
        return _error_page(403, messages[403]())

    @app.errorhandler(BadOperation)
    def bad_operation(error):
        return _error_page(400, messages[400]())
