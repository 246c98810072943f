"""Talentkaart's web application: ``create_app()`` builds it."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance_path: str) -> str:
    """A key kept in the instance folder, so sessions survive a restart."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _files_dir(database: str, instance_path: str) -> str:
    """Where files are kept unless configured: beside a SQLite file, so the two move
    together; the instance folder for PostgreSQL."""
    from sync.files import files_beside
    from sync.store import is_postgresql

    if is_postgresql(database):
        return os.path.join(instance_path, "files")
    return str(files_beside(database))


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; ``test_config`` overrides the configuration (tests)."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "talentkaart.sqlite3"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="talentkaart",
        # Send the cookie only when the session changes: a page still loading
        # during sign-out must not bring the old session back.
        SESSION_REFRESH_EACH_REQUEST=False,
        # Long on a personal phone; a shared tablet gets a short idle limit instead.
        PERMANENT_SESSION_LIFETIME=timedelta(days=90),
        SHARED_DEVICE_IDLE_MINUTES=30,
        # Tokens live as long as the session: a slow form must not fail after an hour.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_CHECK_DEFAULT=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
        BABEL_DEFAULT_LOCALE="nl",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(hours=1),
        # The address people use (links and QR codes, the sync Origin check); without
        # it only this machine's own names are answered. See pwa/hosts.py.
        PUBLIC_URL=None,
        TRUSTED_HOSTS=None,
        TRUSTED_PROXIES=0,
        # Where Litestream keeps a copy of every change (sync/replica.py); none by default.
        REPLICA=None,
        REPLICA_ENDPOINT=None,
        # Days between asking for a profile to be deleted and its deletion (sync/erasure.py).
        ERASURE_GRACE_DAYS=30,
        # Days a profile may go unused (no change, sign-in or look) before its deletion
        # is asked for, with the grace period as notice; 0: never.
        RETENTION_DAYS=730,
        # Who answers questions about people's data (an e-mail address or phone number),
        # shown on the privacy page (/privacy); none by default.
        PRIVACY_CONTACT=None,
        # People's photos and documents (sync/files.py). By default beside a SQLite
        # database ("<name>-files"), else in the instance folder; with several app
        # servers, one folder they all mount.
        FILES_DIR=None,
        FILE_MAX_BYTES=10 * 1024 * 1024,
        FILES_MAX_PER_PERSON=100 * 1024 * 1024,
    )
    app.config.from_prefixed_env("TALENTKAART")
    if test_config:
        app.config.update(test_config)
    grace = app.config["ERASURE_GRACE_DAYS"]
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 365:
        raise ValueError("TALENTKAART_ERASURE_GRACE_DAYS: a whole number of days, 0 to 365")
    unused = app.config["RETENTION_DAYS"]
    if isinstance(unused, bool) or not isinstance(unused, int) or not (
            unused == 0 or 30 <= unused <= 3650):
        raise ValueError("TALENTKAART_RETENTION_DAYS: 0 (never), or 30 to 3650 days")
    for name, least in (("FILE_MAX_BYTES", 64 * 1024), ("FILES_MAX_PER_PERSON", 64 * 1024)):
        size = app.config[name]
        if isinstance(size, bool) or not isinstance(size, int) or size < least:
            raise ValueError(f"TALENTKAART_{name}: a whole number of bytes, at least {least}")
    if not app.config["FILES_DIR"]:
        app.config["FILES_DIR"] = _files_dir(app.config["DATABASE"], app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    from pwa import (
        admin,
        assets,
        auth,
        db,
        files,
        hosts,
        i18n,
        offline,
        pictograms,
        privacy,
        profile,
        read_aloud,
        security,
        shares,
        staff,
        statements,
    )

    hosts.init_app(app)
    db.init_app(app)
    i18n.init_app(app)
    # Registered first so its after-request hooks run last, on the final body.
    assets.init_app(app)
    files.init_app(app)  # before the CSRF check reads a form's body
    security.init_app(app)
    read_aloud.init_app(app)
    pictograms.init_app(app)
    statements.init_app(app)
    for blueprint in (auth.bp, profile.bp, staff.bp, admin.bp, offline.bp, privacy.bp,
                      shares.bp, files.bp, statements.bp):
        app.register_blueprint(blueprint)
    return app
