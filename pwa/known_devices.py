"""Which accounts signed in on this browser before: a signed cookie.

All residents of an asylum centre reach us from one public address, so when
guessing from that address is slowed down, a phone or tablet that has signed
in to an account before still may: the sign-in throttle lets these accounts
through (see ``sync.accounts.sign_in``). The cookie proves nothing on its own;
the PIN is still checked, and the per-account lockout still applies.
"""

from __future__ import annotations

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "talentkaart_known"
MAX_ACCOUNTS = 24  # a tablet at a centre is shared by many; the oldest drop out
YEARS = 2 * 365 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="talentkaart-known-devices")


def _ids() -> list[str]:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        ids = _serializer().loads(raw)
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


def read() -> frozenset[str]:
    """The accounts that signed in on this browser before (nothing when tampered with)."""
    return frozenset(_ids())


def remember(response: Response, user_id: str) -> Response:
    """Add ``user_id`` to the browser's known accounts, newest last."""
    ids = [i for i in _ids() if i != user_id][-(MAX_ACCOUNTS - 1):] + [user_id]
    response.set_cookie(COOKIE, _serializer().dumps(ids), max_age=YEARS, httponly=True,
                        samesite="Lax", secure=request.is_secure)
    return response
