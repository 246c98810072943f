"""Signing in and out, handover codes, language choice, and the start page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from pwa import known_devices
from pwa.db import get_store
from pwa.i18n import SIDE_BY_SIDE_COOKIE, side_by_side_requested, translate
from pwa.security import (
    current_actor,
    end_current_session,
    login_required,
    resubmittable,
    sign_in_session,
)
from sync import accounts
from sync.records import INTERFACE_LOCALES
from sync.write import Operation, apply, new_id, singleton_id

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect to another site after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: dict) -> str:
    """Where a user starts: their profile, their caseload, or the admin pages."""
    if user["role"] == "refugee":
        return url_for("profile.overview", person_id=user["id"])
    if user["role"] in ("volunteer", "coach"):
        return url_for("staff.caseload")
    return url_for("admin.index")


@bp.get("/")
def index():
    """Start page: signed in users go to their home, others to sign-in."""
    if g.user:
        return redirect(home_for(g.user))
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@resubmittable
def sign_in():
    """Sign in with a username and a PIN or passphrase."""
    errors: dict[str, str] = {}
    form = {"username": request.form.get("username", ""),
            "shared": request.form.get("shared") == "yes"}
    if request.method == "POST":
        if g.get("csrf_failed"):
            errors["__all__"] = _("The page was open too long. Please sign in again.")
        else:
            username = form["username"]
            secret = request.form.get("secret", "")
            if not username.strip():
                errors["username"] = _("Enter your username")
            if not secret:
                errors["secret"] = _("Enter your PIN or passphrase")
            if not errors:
                try:
                    user = accounts.sign_in(get_store(), username, secret,
                                            request.remote_addr or "unknown",
                                            known_ids=known_devices.read())
                except accounts.SignInFailed as failure:
                    status = 429 if failure.rate_limited else 422
                    errors["secret"] = translate(failure.message)
                    return render_template("auth/sign_in.html", errors=errors,
                                           form=form), status
                sign_in_session(user, shared_device=form["shared"])
                target = _safe_next(request.args.get("next")) or home_for(user)
                return known_devices.remember(redirect(target, 303), user["id"])
        return render_template("auth/sign_in.html", errors=errors, form=form), 422
    return render_template("auth/sign_in.html", errors=errors, form=form)


def _signed_out(message: str):
    """Back to sign-in, keeping the interface language this device chose."""
    locale = session.get("locale")
    end_current_session()
    if locale:
        session["locale"] = locale
    flash(message, "success")
    return redirect(url_for("auth.sign_in"), 303)


@bp.post("/sign-out")
def sign_out():
    """End the session on this device, on the server too."""
    return _signed_out(_("You are signed out."))


@bp.post("/sign-out-everywhere")
@login_required()
def sign_out_everywhere():
    """End every session of mine, on every device (a lost phone, a forgotten tablet)."""
    accounts.end_all_sessions(get_store(), g.user["id"])
    return _signed_out(_("You are signed out on all your devices."))


@bp.route("/welcome/<code>", methods=["GET", "POST"])
@resubmittable
def handover(code: str):
    """Open a handover code: choose a PIN or passphrase and start."""
    store = get_store()
    user = accounts.check_handover_code(store, code)
    if user is None:
        return render_template("auth/handover_invalid.html", days=accounts.HANDOVER_DAYS), 404
    errors: dict[str, str] = {}
    if request.method == "POST":
        secret = request.form.get("secret", "")
        again = request.form.get("secret_again", "")
        if g.get("csrf_failed"):
            errors["__all__"] = _("The page was open too long. Please try again.")
        elif secret != again:
            errors["secret_again"] = _("The two entries are not the same")
        else:
            try:
                user = accounts.redeem_handover_code(store, code, secret)
            except accounts.AccountError as error:
                errors = {k: translate(v) for k, v in error.errors.items()}
            else:
                sign_in_session(user, shared_device=False)
                flash(_("Welcome! Your profile is ready."), "success")
                return known_devices.remember(redirect(home_for(user), 303), user["id"])
        return render_template("auth/handover.html", user=user, code=code,
                               errors=errors), 422
    return render_template("auth/handover.html", user=user, code=code, errors=errors)


@bp.post("/welcome")
def handover_typed():
    """A code typed by hand instead of scanned."""
    code = accounts.normalise_code(request.form.get("code", ""))
    if not code or set(code) - set(accounts.CODE_ALPHABET):
        flash(_("This code is not valid any more. Ask for a new one"), "error")
        return redirect(url_for("auth.sign_in"), 303)
    return redirect(url_for("auth.handover", code=code), 303)


@bp.post("/language")
def choose_language():
    """Switch the interface language (kept in the session and, if signed in, the profile)."""
    locale = request.form.get("locale", "")
    if locale not in INTERFACE_LOCALES:
        abort(400)
    session["locale"] = locale
    if g.user:
        choose_own_language(get_store(), g.user, locale)
    return redirect(_safe_next(request.form.get("next")) or url_for("auth.index"), 303)


def choose_own_language(store, user: dict, locale: str) -> None:
    """The language is the account's; for a refugee with basics it is one of their
    fields, so the change goes through the write path: it gets a revision and a place in
    the history, and a basics form kept on a phone from before cannot undo it."""
    basics = store.record(singleton_id(user["id"], "basics"))
    if user["role"] == "refugee" and basics and not basics["deleted"]:
        apply(store, current_actor(), Operation(
            op_id=new_id(), person_id=user["id"], record_type="basics",
            record_id=basics["id"], action="put", base_revision=basics["revision"],
            fields={"preferred_language": locale}))
    else:
        store.update_user(user["id"], locale=locale)


@bp.post("/side-by-side")
@login_required()
def toggle_side_by_side():
    """Show or hide Dutch under every label, on this device.

    A cookie of its own, not the session: the service worker refreshes the
    offline pages in parallel, and each of those answers re-sends the session
    cookie as it was when the request started, undoing a change made meanwhile.
    """
    response = redirect(_safe_next(request.form.get("next")) or url_for("auth.index"), 303)
    if side_by_side_requested():
        response.delete_cookie(SIDE_BY_SIDE_COOKIE)
    else:
        response.set_cookie(SIDE_BY_SIDE_COOKIE, "on", max_age=365 * 24 * 3600,
                            httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


@bp.route("/account/secret", methods=["GET", "POST"])
@login_required()
@resubmittable
def change_secret():
    """Choose a new PIN or passphrase."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        store = get_store()
        current = request.form.get("current", "")
        secret = request.form.get("secret", "")
        if g.get("csrf_failed"):
            errors["__all__"] = _("The page was open too long. Please try again.")
        elif not accounts.verify_secret(g.user["secret_hash"], current):
            errors["current"] = _("This is not your current PIN or passphrase")
        elif secret != request.form.get("secret_again", ""):
            errors["secret_again"] = _("The two entries are not the same")
        else:
            try:
                # Everywhere else the old PIN's sessions end; this one goes on.
                accounts.set_secret(store, g.user["id"], secret, keep_session=session.get("sid"))
            except accounts.AccountError as error:
                errors = {k: translate(v) for k, v in error.errors.items()}
            else:
                flash(_("Your new PIN or passphrase is saved."), "success")
                return redirect(home_for(g.user), 303)
        return render_template("auth/change_secret.html", errors=errors), 422
    return render_template("auth/change_secret.html", errors=errors)
