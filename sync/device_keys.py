"""Per-device signing keys: a saved outbox proves which person's phone made it.

A signed-in phone asks once for a key for its (user, device) and signs every
change it queues: HMAC-SHA256 over the exact JSON text of the change, so the
server checks the very bytes the phone signed and no canonical form is needed.
When someone else carries a person's saved changes to the server (a coach
uploading a refugee's file), only changes signed with a live key of that
person count: nobody can hand-write changes "made by" someone else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from sync.store import Store
from sync.write import is_uuid, new_id

KEY_BYTES = 32
_SIGNATURE = re.compile(r"[0-9a-f]{64}")  # hex SHA-256, as the phone writes it


class BadDevice(Exception):
    """The device id is not one a phone makes (a canonical UUID)."""


def issue_key(store: Store, user_id: str, device_id: Any) -> dict:
    """The signing key of ``user_id``'s device: made on the first request, the same after.

    Returns ``key_id`` and ``secret`` (hex). Raise ``BadDevice`` for a malformed id.
    """
    # Only the canonical form: an upper-case copy of an id would be a second device.
    if not is_uuid(device_id):
        raise BadDevice()
    store.add_device_key({"key_id": new_id(), "user_id": user_id,
                          "device_id": device_id, "secret": secrets.token_hex(KEY_BYTES)})
    key = store.live_device_key(user_id, device_id)
    return {"key_id": key["key_id"], "secret": key["secret"]}


def sign(secret: str, message: str) -> str:
    """The hex HMAC-SHA256 of ``message`` (UTF-8) with a hex ``secret``, as the phone makes it."""
    # surrogatepass: a lone surrogate from a hostile file must not crash, only fail to match.
    data = message.encode("utf-8", "surrogatepass")
    return hmac.new(bytes.fromhex(secret), data, hashlib.sha256).hexdigest()


def is_signed_by(store: Store, user_id: str, key_id: Any, message: Any, signature: Any) -> bool:
    """Whether ``signature`` is ``message`` signed with a live key of ``user_id``."""
    if not (isinstance(key_id, str) and isinstance(message, str)
            and isinstance(signature, str) and _SIGNATURE.fullmatch(signature)):
        return False
    key = store.device_key(key_id)
    if key is None or key["user_id"] != user_id or key["revoked_at"] is not None:
        return False
    return hmac.compare_digest(sign(key["secret"], message), signature)
