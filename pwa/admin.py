"""Administration: places, staff accounts and work-rule versions.

Admins manage the service, not people: they never see a refugee's profile.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from pwa.db import get_store, replication
from pwa.i18n import translate
from pwa.security import login_required
from sync import accounts, places, work_rules
from sync.replica import ReplicaError
from sync.store import is_postgresql
from sync.write import new_id

bp = Blueprint("admin", __name__, url_prefix="/admin")

STAFF_ROLES = [
    ("volunteer", _l("Volunteer: fills in profiles together with refugees")),
    ("coach", _l("Coach: reviews profiles, comments and verifies hours")),
    ("admin", _l("Administrator: manages places, staff and work rules")),
]
RULE_FIELDS = ("kind", "effective_from", "status", "allowed", "requires_twv",
               "waiting_months", "cap_weeks", "cap_period_months", "source", "note")
# Admins switch a version on or off; a retired version is kept for the record.
RULE_STATUS_CHANGES = ("active", "retired")


@bp.get("/")
@login_required("admin")
def index():
    """The admin's start page."""
    store = get_store()
    return render_template("admin/index.html", locations=store.locations(),
                           staff=[u for role, _label in STAFF_ROLES for u in store.users(role)],
                           rules=store.work_rules(), replica=_replica_state())


def _replica_state() -> dict | None:
    """What the page says about the database's copy (None: there is none)."""
    if is_postgresql(current_app.config["DATABASE"]):
        return {"postgresql": True}  # PostgreSQL keeps its own copies (its standby)
    replica = replication(current_app.config)
    if replica is None:
        return None
    try:
        state = replica.state()
    except ReplicaError as error:
        return {"url": replica.replica_url, "error": str(error)}
    age = state.age_seconds()
    return {"url": replica.replica_url, "running": state.running,
            "age": None if age is None else timedelta(seconds=age)}


# -- places ---------------------------------------------------------------------


def _render_locations(form: dict, errors: dict, status: int = 200):
    return render_template("admin/locations.html", locations=get_store().locations(),
                           form=form, errors=errors, kinds=places.KINDS), status


@bp.get("/locations")
@login_required("admin")
def locations():
    """All places, and a form to add one."""
    return _render_locations({"name": "", "kind": ""}, {})


@bp.post("/locations")
@login_required("admin")
def add_location():
    """Add an asylum centre or municipality."""
    form = {"name": request.form.get("name", ""), "kind": request.form.get("kind", "")}
    try:
        places.add_place(get_store(), form["name"], form["kind"])
    except places.PlaceError as failure:
        return _render_locations(form, {k: translate(v) for k, v in failure.errors.items()},
                                 422)
    flash(_("The place is added."), "success")
    return redirect(url_for("admin.locations"), 303)


@bp.route("/locations/<location_id>", methods=["GET", "POST"])
@login_required("admin")
def edit_location(location_id: str):
    """Rename a place or change its kind."""
    store = get_store()
    location = store.location(location_id)
    if location is None:
        abort(404)
    form = {"name": location["name"], "kind": location["kind"]}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {"name": request.form.get("name", ""), "kind": request.form.get("kind", "")}
        try:
            places.rename_place(store, location_id, form["name"], form["kind"])
        except places.PlaceError as failure:
            errors = {k: translate(v) for k, v in failure.errors.items()}
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.locations"), 303)
    return render_template("admin/location_form.html", location=location, form=form,
                           errors=errors, kinds=places.KINDS), 422 if errors else 200


# -- staff ------------------------------------------------------------------------


@bp.get("/staff")
@login_required("admin")
def staff():
    """Volunteers, coaches and admins, with their places."""
    store = get_store()
    names = {loc["id"]: loc["name"] for loc in store.locations()}
    people = [{**u, "places": [names.get(i, i) for i in store.staff_location_ids(u["id"])]}
              for u in store.users() if u["role"] != "refugee"]
    return render_template("admin/staff.html", people=people)


@bp.route("/staff/new", methods=["GET", "POST"])
@login_required("admin")
def new_staff():
    """Create a staff account with a first PIN or passphrase."""
    store = get_store()
    form = {"role": request.form.get("role", ""),
            "username": request.form.get("username", ""),
            "display_name": request.form.get("display_name", ""),
            "location_ids": request.form.getlist("location_ids")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            accounts.create_user(
                store, role=form["role"] if form["role"] in dict(STAFF_ROLES) else "",
                username=form["username"], display_name=form["display_name"],
                secret=request.form.get("secret", ""), location_ids=form["location_ids"],
                created_by=g.user["id"], locale=str(get_locale()))
        except accounts.AccountError as failure:
            errors = {k: translate(v) for k, v in failure.errors.items()}
        else:
            flash(_("The account of %(name)s is ready. Tell them their username and first "
                    "PIN or passphrase in person.", name=" ".join(form["display_name"].split())),
                  "success")
            return redirect(url_for("admin.staff"), 303)
    return render_template("admin/staff_form.html", form=form, errors=errors,
                           roles=STAFF_ROLES, locations=store.locations()), \
        422 if errors else 200


@bp.post("/staff/<user_id>/sign-out")
@login_required("admin")
def end_staff_sessions(user_id: str):
    """Sign a staff member out on every device (a lost phone, someone who left)."""
    store = get_store()
    person = store.user(user_id)
    if person is None or person["role"] == "refugee":
        abort(404)  # admins manage staff; a refugee's coach signs them out
    accounts.end_all_sessions(store, user_id)
    flash(_("%(name)s is signed out on every device.", name=person["display_name"]), "success")
    return redirect(url_for("admin.staff"), 303)


# -- work rules ----------------------------------------------------------------------


@bp.get("/work-rules")
@login_required("admin")
def rules():
    """Every rule version: which one applies from when, and why."""
    return render_template("admin/rules.html", rules=get_store().work_rules())


@bp.route("/work-rules/new", methods=["GET", "POST"])
@login_required("admin")
def new_rule():
    """Add a rule version when the law changes (a draft until someone activates it)."""
    form = {name: request.form.get(name, "") for name in RULE_FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        clean, problems = work_rules.validate_rule({**form, "id": new_id(), "applies_to": "all"})
        if problems:
            errors = {k: translate(v) for k, v in problems.items()}
        else:
            get_store().add_work_rule(clean, created_by=g.user["id"])
            flash(_("The rule version is added."), "success")
            return redirect(url_for("admin.rules"), 303)
    else:
        form.update(status="draft", allowed="yes", requires_twv="no")
    return render_template("admin/rule_form.html", form=form, errors=errors), \
        422 if errors else 200


@bp.post("/work-rules/<rule_id>/status")
@login_required("admin")
def rule_status(rule_id: str):
    """Activate or retire a rule version."""
    store = get_store()
    status = request.form.get("status", "")
    if status not in RULE_STATUS_CHANGES:
        abort(400)
    if not any(rule["id"] == rule_id for rule in store.work_rules()):
        abort(404)
    store.set_work_rule_status(rule_id, status)
    flash(_("The rule version is active.") if status == "active"
          else _("The rule version is retired."), "success")
    return redirect(url_for("admin.rules"), 303)
