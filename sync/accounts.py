"""Accounts: usernames, PINs and passphrases, sign-in limits, handover codes.

No e-mail and no phone number: many refugees have neither. A refugee signs in
with a username and a PIN (at least 6 digits) or a passphrase. Staff hand a new
account over with a one-time code that the refugee opens on their own phone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from sync.messages import N_
from sync.store import Store, UsernameTaken
from sync.write import new_id

ROLES = ("refugee", "volunteer", "coach", "admin")
LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 15
ADDRESS_LIMIT = 20  # attempts from one address ...
ADDRESS_WINDOW_MINUTES = 10  # ... within this many minutes
HANDOVER_DAYS = 7
# No 0/O, 1/I/L: the code is read aloud and typed from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class SignInFailed(Exception):
    """Sign-in refused; ``message`` is a msgid, ``until`` a lock end if locked.

    ``rate_limited`` is set when the device, not the account, was refused.
    """

    def __init__(self, message: str, until: str | None = None, rate_limited: bool = False):
        super().__init__(message)
        self.message, self.until, self.rate_limited = message, until, rate_limited


class AccountError(Exception):
    """An account could not be created or changed; ``errors`` maps fields to msgids."""

    def __init__(self, errors: dict[str, tuple[str, dict]]):
        super().__init__(errors)
        self.errors = errors


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def normalise_username(raw: str) -> str:
    """Usernames are compared without case and surrounding spaces."""
    return (raw or "").strip().lower()


def username_error(username: str) -> tuple[str, dict] | None:
    """Why a (normalised) username is not acceptable, or None."""
    if not username:
        return (N_("Enter a username"), {})
    if not _USERNAME.match(username):
        return (N_("Use 3 to 32 letters a-z, digits, dots, dashes or underscores, "
                   "starting with a letter or digit"), {})
    return None


def secret_error(secret: str) -> tuple[str, dict] | None:
    """Why a PIN or passphrase is too weak, or None."""
    if not secret:
        return (N_("Enter a PIN or a passphrase"), {})
    if len(secret) > 200:
        return (N_("Use at most %(max)s characters (now %(count)s)"),
                {"max": 200, "count": len(secret)})
    # isdecimal, not isdigit: "²" is a digit that int() refuses; Arabic-Indic digits
    # are decimals and make a PIN like any other.
    if secret.isdecimal():
        if len(secret) < 6:
            return (N_("A PIN needs at least 6 digits"), {})
        steps = {int(b) - int(a) for a, b in zip(secret, secret[1:], strict=False)}
        if len(set(secret)) == 1 or steps in ({1}, {-1}):
            return (N_("This PIN is too easy to guess. Choose other digits"), {})
        return None
    if len(secret) < 10:
        return (N_("A passphrase needs at least 10 characters, or use a PIN of 6 digits"), {})
    return None


def hash_secret(secret: str) -> str:
    """A salted scrypt hash of a PIN or passphrase."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_secret(stored: str | None, secret: str) -> bool:
    """Whether ``secret`` matches a hash made by ``hash_secret``."""
    try:
        scheme, salt, digest = (stored or "").split("$")
    except ValueError:
        scheme, salt, digest = "scrypt", "00" * 16, "00"
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


def create_user(store: Store, *, role: str, username: str, display_name: str,
                secret: str | None = None, location_id: str | None = None,
                location_ids: list[str] = (), created_by: str | None = None,
                locale: str = "nl") -> str:
    """Create an account and return its id; raise ``AccountError`` on bad input.

    A refugee account may be made without a secret: the refugee chooses one
    when they open their handover code.
    """
    errors: dict[str, tuple[str, dict]] = {}
    username = normalise_username(username)
    if role not in ROLES:
        errors["role"] = (N_("Choose a role"), {})
    if error := username_error(username):
        errors["username"] = error
    display_name = " ".join((display_name or "").split())
    if not display_name:
        errors["display_name"] = (N_("Enter a name"), {})
    elif len(display_name) > 80:
        errors["display_name"] = (N_("Use at most %(max)s characters (now %(count)s)"),
                                  {"max": 80, "count": len(display_name)})
    if secret is not None and (error := secret_error(secret)):
        errors["secret"] = error
    if role == "refugee" and not (location_id and store.location(location_id)):
        errors["location_id"] = (N_("Choose a place"), {})
    if role in ("volunteer", "coach"):
        if not location_ids or any(store.location(loc) is None for loc in location_ids):
            errors["location_ids"] = (N_("Choose at least one place"), {})
    if errors:
        raise AccountError(errors)
    user_id = new_id()
    try:
        store.add_user({
            "id": user_id, "username": username, "role": role,
            "display_name": display_name,
            "secret_hash": hash_secret(secret) if secret else None,
            "location_id": location_id if role == "refugee" else None,
            "locale": locale, "created_by": created_by},
            location_ids=list(location_ids) if role in ("volunteer", "coach") else [])
    except UsernameTaken:
        raise AccountError({"username": (N_("This username is taken. Choose another one"),
                                         {})}) from None
    return user_id


def set_secret(store: Store, user_id: str, secret: str) -> None:
    """Set a new PIN or passphrase and end all other sessions of the user."""
    if error := secret_error(secret):
        raise AccountError({"secret": error})
    store.update_user(user_id, secret_hash=hash_secret(secret))
    store.bump_session_version(user_id)


def sign_in(store: Store, username: str, secret: str, address: str,
            now: datetime | None = None) -> dict:
    """Check a username and secret; return the user or raise ``SignInFailed``.

    Two limits: an address may try ``ADDRESS_LIMIT`` times per window, and an
    account locks for ``LOCK_MINUTES`` after ``LOCK_AFTER_FAILURES`` failures.
    The answer never tells whether the username exists.
    """
    now = now or datetime.now(UTC)
    window_start = _iso(now - timedelta(minutes=ADDRESS_WINDOW_MINUTES))
    if store.count_signin_attempts(address, window_start) >= ADDRESS_LIMIT:
        raise SignInFailed(N_("Too many attempts from this device. Wait %(minutes)s "
                              "minutes and try again"),
                           _iso(now + timedelta(minutes=ADDRESS_WINDOW_MINUTES)),
                           rate_limited=True)
    store.add_signin_attempt(address, _iso(now), forget_before=_iso(now - timedelta(days=1)))
    user = store.user_by_username(normalise_username(username))
    if user and user["locked_until"] and user["locked_until"] > _iso(now):
        verify_secret(None, secret)  # same work either way: no timing hint
        raise SignInFailed(N_("This account is locked for a while after too many wrong "
                              "attempts. Try again later or ask your coach"),
                           user["locked_until"])
    good = verify_secret(user["secret_hash"] if user else None, secret)
    if not user or not good or not user["active"]:
        if user:
            store.record_failed_signin(
                user["id"], LOCK_AFTER_FAILURES,
                _iso(now + timedelta(minutes=LOCK_MINUTES)))
        raise SignInFailed(N_("The username or the PIN/passphrase is not right"))
    store.clear_failed_signins(user["id"])
    return store.user(user["id"])


def normalise_code(raw: str) -> str:
    """A handover code as typed (any case, dashes, spaces) in its canonical form."""
    return re.sub(r"[\s-]", "", raw or "").upper()


def format_code(code: str) -> str:
    """``K7M2Q9XD4TAB`` -> ``K7M2-Q9XD-4TAB``, easier to read aloud."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_handover_code(store: Store, user_id: str, created_by: str,
                      now: datetime | None = None) -> str:
    """Make a one-time sign-in code for a refugee account; only its hash is kept."""
    now = now or datetime.now(UTC)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    store.add_handover_code(_code_hash(code), user_id, created_by,
                            _iso(now + timedelta(days=HANDOVER_DAYS)))
    return code


def check_handover_code(store: Store, code: str, now: datetime | None = None) -> dict | None:
    """The user a still valid, unused code belongs to, or None."""
    now = now or datetime.now(UTC)
    normal = normalise_code(code)
    if len(normal) != CODE_LENGTH or set(normal) - set(CODE_ALPHABET):
        return None
    row = store.handover_code(_code_hash(normal))
    if not row or row["used_at"] or row["expires_at"] <= _iso(now):
        return None
    return store.user(row["user_id"])


def redeem_handover_code(store: Store, code: str, secret: str,
                         now: datetime | None = None) -> dict:
    """Use a code once: the refugee sets their secret and is signed in."""
    now = now or datetime.now(UTC)
    user = check_handover_code(store, code, now)
    if user is None:
        raise AccountError({"code": (N_("This code is not valid any more. Ask for a new one"),
                                     {})})
    if error := secret_error(secret):
        raise AccountError({"secret": error})
    with store.transaction():
        if not store.use_handover_code(_code_hash(code), _iso(now)):
            raise AccountError({"code": (N_("This code is not valid any more. "
                                            "Ask for a new one"), {})})
        store.update_user(user["id"], secret_hash=hash_secret(secret), failed_signins=0,
                          locked_until=None)
        store.bump_session_version(user["id"])
        # A new code is how a lost phone is replaced: what that phone signs stops counting.
        store.revoke_device_keys_of(user["id"])
    return store.user(user["id"])
