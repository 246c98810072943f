"""The server's half of the phone's page cache: whose a page is, and whether it changed.

The service worker keeps the pages of a signed-in person (static/sw.js). Two
headers and an ETag let it do that cheaply and safely:

- ``X-Talentkaart-User`` on every HTML answer says who is signed in (``none``
  when nobody is); the worker drops the kept pages when that changes, so a
  page of someone who signed out is never shown to the next person.
- A weak ETag on signed-in users' pages lets the worker ask "has this page
  changed since my copy?" and get a 304 without a body when it has not.

A flash message ("Saved.") is for the one page the person sees next, never for
a kept copy: the worker marks the copies it fetches in the background with
``X-Talentkaart-Keep``, which show no messages and leave them for that page; and
a page that did show one says so with ``X-Talentkaart-Flash`` and has no ETag: the
worker keeps a copy fetched that way instead, and no 304 can stand in for the page.
"""

from __future__ import annotations

import hashlib
import re

from flask import Response, current_app, g, get_flashed_messages, request, session
from flask_wtf.csrf import generate_csrf

USER_HEADER = "X-Talentkaart-User"
PACK_HEADER = "X-Talentkaart-Pack"
KEEP_HEADER = "X-Talentkaart-Keep"
FLASH_HEADER = "X-Talentkaart-Flash"

# Hidden ids made fresh each time a form is shown (profile.new_op_id); the
# offline module replaces them on the phone anyway, so they are not content.
FRESH_ID = re.compile(r'(<input\b[^>]*\bname="(?:op_id|record_id)"[^>]*\bvalue=")[^"]*"')

# A 304 has no body, so nothing for these to protect; the kept copy has its own.
NOT_ON_304 = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
              "X-Frame-Options", "Permissions-Policy")


def session_marker() -> str:
    """A short digest of this session's CSRF secret: the same all session, new at each sign-in."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    generate_csrf()  # makes the secret if this session has none yet
    return hashlib.sha256(session[field].encode()).hexdigest()[:12]


def page_etag(body: str) -> str:
    """A tag for what a page shows, leaving out what differs on every request.

    The form token is signed with a timestamp, so it is replaced by the session's
    marker: a copy from this session stays valid, one from an old session does not.
    The pack version is left out too (it changes with every saved entry; the
    worker writes the current one into its copy, from ``X-Talentkaart-Pack``).
    """
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if token:
        body = body.replace(token, session_marker())
    if g.get("pack_version"):
        body = body.replace(g.pack_version, "")
    body = FRESH_ID.sub(r'\1"', body)
    return hashlib.sha256(body.encode()).hexdigest()[:24]


def page_flashes() -> list[tuple[str, str]]:
    """The flash messages this page shows (and uses up): none in a copy made to keep."""
    if request.headers.get(KEEP_HEADER) == "1":
        return []
    messages = get_flashed_messages(with_categories=True)
    if messages:
        g.showed_flash = True
    return messages


def _signed_in() -> str:
    user = g.get("user")
    if user is None:
        return "none"
    if session.get("shared"):
        # The server signs a shared device out after this long; the worker stops
        # showing kept pages after it too, even with no network to ask.
        return f"{user['id']}; idle={current_app.config['SHARED_DEVICE_IDLE_MINUTES'] * 60}"
    return user["id"]


def mark_page(response: Response) -> Response:
    """Say whose an HTML answer is; tag a signed-in page and answer 304 if it is unchanged.

    A page showing a flash message is said to be one instead, and never tagged.
    """
    if request.endpoint == "static" or response.mimetype != "text/html":
        return response
    response.headers[USER_HEADER] = _signed_in()
    if g.get("showed_flash"):
        response.headers[FLASH_HEADER] = "1"
        return response
    if (g.get("user") is None or request.method != "GET" or response.status_code != 200
            or response.is_streamed):
        return response
    if g.get("pack_version"):
        response.headers[PACK_HEADER] = g.pack_version
    response.set_etag(page_etag(response.get_data(as_text=True)), weak=True)
    # Cache-Control stays no-store: only the worker, which asks on purpose, sees a 304.
    response.make_conditional(request)
    if response.status_code == 304:
        for name in NOT_ON_304:
            response.headers.pop(name, None)
    return response
