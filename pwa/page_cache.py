"""The server's half of the phone's page cache: whose a page is, and whether it changed.

The service worker keeps the pages of a signed-in person (static/sw.js). Two
headers and an ETag let it do that cheaply and safely:

- ``X-Talentkaart-User`` on every HTML answer says who is signed in (``none``
  when nobody is); the worker drops the kept pages when that changes, so a
  page of someone who signed out is never shown to the next person.
- A weak ETag on the kept pages says which version of a page a copy is. It is made
  from what the page depends on (``page_tag``), without drawing the page: a
  request whose If-None-Match has it gets a 304 at once, and the pack's list
  (/sync/pack) carries each page's tag, so the worker asks only for the pages
  whose tag is not the one it kept.

A flash message ("Saved.") is for the one page the person sees next, never for
a kept copy: the worker marks the copies it fetches in the background with
``X-Talentkaart-Keep``, which show no messages and leave them for that page; and
a page that did show one says so with ``X-Talentkaart-Flash`` and has no ETag: the
worker keeps a copy fetched that way instead, and no 304 can stand in for the page.
"""

from __future__ import annotations

import hashlib

from flask import Response, current_app, g, get_flashed_messages, request, session
from flask_wtf.csrf import generate_csrf
from werkzeug.http import quote_etag, unquote_etag

USER_HEADER = "X-Talentkaart-User"
KEEP_HEADER = "X-Talentkaart-Keep"
FLASH_HEADER = "X-Talentkaart-Flash"

# A 304 has no body, so nothing for these to protect; the kept copy has its own.
NOT_ON_304 = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
              "X-Frame-Options", "Permissions-Policy")


def session_marker() -> str:
    """A short digest of this session's CSRF secret: the same all session, new at each sign-in."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    generate_csrf()  # makes the secret if this session has none yet
    return hashlib.sha256(session[field].encode()).hexdigest()[:12]


def digest(parts: list[str], length: int = 24) -> str:
    """A short hex digest of ``parts`` (which never contain a newline)."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:length]


def page_tag(endpoint: str, view_args: dict, query: bytes, depends_on: list[str]) -> str:
    """The ETag of a page, as its header says it (weak): from what it depends on
    (``depends_on``), the page's endpoint, arguments and query, and who asks."""
    user = g.user
    return quote_etag(digest([endpoint, repr(sorted(view_args.items())), query.decode("latin-1"),
                              user["id"], user["role"], *depends_on]), weak=True)


def flash_waiting() -> bool:
    """Whether this page would show (and use up) a flash message."""
    return request.headers.get(KEEP_HEADER) != "1" and bool(session.get("_flashes"))


def not_modified(tag: str) -> Response | None:
    """A 304 for ``tag`` when the request's If-None-Match has it, else None.

    Never while a message waits in the session: the page that shows it is new.
    """
    g.page_etag = tag
    if flash_waiting() or not request.if_none_match.contains_weak(unquote_etag(tag)[0]):
        return None
    response = current_app.response_class(status=304)
    response.headers["ETag"] = tag
    return response


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
    if user.get("shared_session"):
        # The server signs a shared device out after this long; the worker stops
        # showing kept pages after it too, even with no network to ask.
        return f"{user['id']}; idle={current_app.config['SHARED_DEVICE_IDLE_MINUTES'] * 60}"
    return user["id"]


def mark_page(response: Response) -> Response:
    """Say whose an HTML answer is; give a kept page the tag it was drawn for.

    A page showing a flash message is said to be one instead, and never tagged.
    Any 304 sheds the headers that only protect a body.
    """
    if response.status_code == 304:
        for name in NOT_ON_304:
            response.headers.pop(name, None)
    if request.endpoint == "static" or response.mimetype != "text/html":
        return response
    response.headers[USER_HEADER] = _signed_in()
    if g.get("showed_flash"):
        response.headers[FLASH_HEADER] = "1"
        return response
    if (g.get("page_etag") and request.method == "GET" and response.status_code == 200
            and not response.is_streamed):
        # Cache-Control stays no-store: only the worker, which asks on purpose, sees a 304.
        response.headers["ETag"] = g.page_etag
    return response
