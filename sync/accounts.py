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
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sync.kinds import NOT_STORABLE, storable
from sync.messages import N_, N_plural, too_long
from sync.store import Store, UsernameTaken
from sync.write import new_id

ROLES = ("refugee", "volunteer", "coach", "admin")
LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 15
# Everyone at an asylum centre shares one public address: only failures count, and
# enough of them that a centre's typos do not stop it, while guessing is slowed.
ADDRESS_FAILURE_LIMIT = 50  # failed sign-ins from one address ...
ADDRESS_WINDOW_MINUTES = 10  # ... within this many minutes
HANDOVER_DAYS = 7
# No 0/O, 1/I/L: the code is read aloud and typed from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # 16 MiB and about 40 ms per hash
# A hash takes 16 MiB for its 40 ms. Eight server threads hashing at once would take
# 128 MiB, and the C allocator keeps what each thread once used: two hashing threads
# of their own keep memory flat, and sign-ins beyond two wait their turn.
_HASHERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")


def _scrypt(secret: bytes, salt: bytes) -> bytes:
    return _HASHERS.submit(hashlib.scrypt, secret, salt=salt, **_SCRYPT).result()


# One answer for every refusal of an account, whether it exists, is locked or the
# secret is wrong, so that no answer tells an account exists; it still tells the
# rightful owner how to get in again.
NOT_RIGHT = (N_("The username or the PIN/passphrase is not right. After several wrong tries "
                "an account is locked for a while: try again later, or ask your coach for a "
                "new code."), {})
TOO_MANY_FROM_HERE = (N_plural(
    "Too many wrong sign-ins from this network. Wait %(minutes)s minute and try again, "
    "or sign in on a phone you used before.",
    "Too many wrong sign-ins from this network. Wait %(minutes)s minutes and try again, "
    "or sign in on a phone you used before.", "minutes"), {"minutes": ADDRESS_WINDOW_MINUTES})


class SignInFailed(Exception):
    """Sign-in refused; ``message`` is a core message (msgid, params).

    ``rate_limited`` is set when the network address, not the account, was refused.
    """

    def __init__(self, message: tuple, rate_limited: bool = False):
        super().__init__(message)
        self.message, self.rate_limited = message, rate_limited


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
    if not storable(secret):
        return (NOT_STORABLE, {})
    if len(secret) > 200:
        return too_long(200, len(secret))
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
    digest = _scrypt(secret.encode(), salt)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_secret(stored: str | None, secret: str) -> bool:
    """Whether ``secret`` matches a hash made by ``hash_secret``."""
    try:
        scheme, salt, digest = (stored or "").split("$")
    except ValueError:
        scheme, salt, digest = "scrypt", "00" * 16, "00"
    if scheme != "scrypt":
        return False
    # surrogatepass: text that cannot be a secret must fail to match, not crash.
    candidate = _scrypt(secret.encode("utf-8", "surrogatepass"), bytes.fromhex(salt))
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
    elif not storable(display_name):
        errors["display_name"] = (NOT_STORABLE, {})
    elif len(display_name) > 80:
        errors["display_name"] = too_long(80, len(display_name))
    if secret is not None and (error := secret_error(secret)):
        errors["secret"] = error
    known_place = lambda loc: storable(loc) and store.location(loc) is not None  # noqa: E731
    if role == "refugee" and not (location_id and known_place(location_id)):
        errors["location_id"] = (N_("Choose a place"), {})
    if role in ("volunteer", "coach"):
        if not location_ids or not all(known_place(loc) for loc in location_ids):
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


def set_secret(store: Store, user_id: str, secret: str, keep_session: str | None = None) -> None:
    """Set a new PIN or passphrase and end the user's sessions but ``keep_session`` (a token)."""
    if error := secret_error(secret):
        raise AccountError({"secret": error})
    with store.transaction():
        store.update_user(user_id, secret_hash=hash_secret(secret))
        store.end_sessions_of(user_id, keep=_token_hash(keep_session) if keep_session else None)


def sign_in(store: Store, username: str, secret: str, address: str,
            now: datetime | None = None, known_ids: frozenset[str] = frozenset()) -> dict:
    """Check a username and secret; return the user or raise ``SignInFailed``.

    Two limits. An account locks for ``LOCK_MINUTES`` after ``LOCK_AFTER_FAILURES``
    failures. An address with ``ADDRESS_FAILURE_LIMIT`` failures in the window is
    refused, except for accounts that signed in on this device before (``known_ids``,
    from a cookie the web layer signs): a guesser cannot lock a centre's own phones out.
    Every refusal of an account gives the same answer with the same work.
    """
    now = now or datetime.now(UTC)
    name = normalise_username(username)
    user = store.user_by_username(name) if storable(name) else None
    since = _iso(now - timedelta(minutes=ADDRESS_WINDOW_MINUTES))
    if ((user is None or user["id"] not in known_ids)
            and store.count_failures(address, since) >= ADDRESS_FAILURE_LIMIT):
        verify_secret(None, secret)  # the same work either way: no timing hint
        raise SignInFailed(TOO_MANY_FROM_HERE, rate_limited=True)
    good = verify_secret(user["secret_hash"] if user else None, secret)
    locked = bool(user and user["locked_until"] and user["locked_until"] > _iso(now))
    if not (user and good and user["active"]) or locked:
        store.record_failed_signin(
            user["id"] if user else None, address, _iso(now), LOCK_AFTER_FAILURES,
            _iso(now + timedelta(minutes=LOCK_MINUTES)),
            forget_before=_iso(now - timedelta(days=1)))
        raise SignInFailed(NOT_RIGHT)
    store.clear_failed_signins(user["id"])
    return store.user(user["id"])


# -- sessions ------------------------------------------------------------------------

SESSION_DAYS = 90  # on a personal phone; a shared device has an idle limit instead


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(store: Store, user: dict, shared: bool, now: datetime | None = None,
                  days: int = SESSION_DAYS) -> str:
    """Open a session for ``user``; returns its token, for the cookie only."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    store.add_session(_token_hash(token), user["id"], shared, _iso(now),
                      _iso(now + timedelta(days=days)))
    return token


def session_user(store: Store, token: str, idle_minutes: int,
                 now: datetime | None = None) -> tuple[dict | None, str | None]:
    """(the user a live session belongs to, why it ended: None, "idle" or "ended").

    A shared device's session ends after ``idle_minutes`` without use, here on the
    server, so a kept copy of its cookie opens nothing either.
    """
    now = now or datetime.now(UTC)
    row = store.session(_token_hash(token)) if isinstance(token, str) else None
    if row is None:
        return None, "ended"
    idle = row["session_shared"] and (
        datetime.fromisoformat(row["session_seen_at"]) < now - timedelta(minutes=idle_minutes))
    if idle or row["session_expires_at"] <= _iso(now) or not row["active"]:
        store.end_session(_token_hash(token))
        return None, "idle" if idle else "ended"
    if datetime.fromisoformat(row["session_seen_at"]) < now - timedelta(minutes=1):
        store.touch_session(_token_hash(token), _iso(now))  # once a minute: fewer writes
    user = {k: v for k, v in row.items() if not k.startswith("session_")}
    user["shared_session"] = bool(row["session_shared"])
    return user, None


def end_session(store: Store, token: str) -> None:
    """Sign out: the session's cookie opens nothing any more, wherever a copy is."""
    if isinstance(token, str):
        store.end_session(_token_hash(token))


def end_all_sessions(store: Store, user_id: str) -> int:
    """Sign a person out on every device (a lost phone); the number of sessions ended."""
    return store.end_sessions_of(user_id)


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
        store.end_sessions_of(user["id"])
        # A new code is how a lost phone is replaced: what that phone signs stops counting.
        store.revoke_device_keys_of(user["id"])
    return store.user(user["id"])
