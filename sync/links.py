"""Links that name something secret: a share, a statement of hours.

A token is the thing's id and a keyed MAC of it (HMAC-SHA-256 with the server's key,
16 bytes), URL-safe base64, 43 characters: unguessable, checked without a look-up, and
the database holds no working link (a new key ends every one). The kind goes into the
MAC, so a share's token never opens a statement.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

_MAC_BYTES = 16
TOKEN_LENGTH = 43


def _mac(kind: str, item_id: uuid.UUID, key: bytes) -> bytes:
    return hmac.new(key, kind.encode() + b":" + item_id.bytes, hashlib.sha256).digest()[
        :_MAC_BYTES]


def token(kind: str, item_id: str, key: bytes) -> str:
    """The secret part of a link to ``item_id`` (a UUID) of ``kind``."""
    raw = uuid.UUID(item_id)
    return base64.urlsafe_b64encode(raw.bytes + _mac(kind, raw, key)).rstrip(b"=").decode()


def item_of(kind: str, link_token: str, key: bytes) -> str | None:
    """The id a token names, or None when it is not one of ours (a guess, a typo)."""
    if len(link_token) != TOKEN_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(link_token + "=")
    except ValueError:
        return None
    # One spelling per token: the last character carries two bits that decoding drops,
    # so another last character could decode to the same bytes.
    canonical = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    if len(raw) != 16 + _MAC_BYTES or canonical != link_token:
        return None
    item_id = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _mac(kind, item_id, key)):
        return None
    return str(item_id)
