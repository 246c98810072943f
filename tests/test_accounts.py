"""Accounts: usernames, PINs, sign-in limits and handover codes, on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync import accounts
from sync.accounts import AccountError, SignInFailed
from sync.messages import too_long
from sync.store import open_store

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
# One answer for a wrong secret, an unknown name and a locked account alike.
WRONG = accounts.NOT_RIGHT


@pytest.fixture
def store(database):
    store = open_store(database)
    store.add_location("loc-a", "AZC A", "azc")
    yield store
    store.close()


@pytest.fixture
def amina(store):
    return accounts.create_user(store, role="refugee", username="amina", display_name="Amina",
                                secret="482913", location_id="loc-a")


@pytest.fixture
def coach(store):
    return accounts.create_user(store, role="coach", username="coen", display_name="Coen",
                                secret="coach passphrase", location_ids=["loc-a"])


def sign_in(store, secret="482913", *, username="amina", address="10.0.0.1", now=NOW,
            known_ids=frozenset()):
    return accounts.sign_in(store, username, secret, address, now=now, known_ids=known_ids)


def refused(store, secret="000000", **kwargs) -> SignInFailed:
    with pytest.raises(SignInFailed) as error:
        sign_in(store, secret, **kwargs)
    return error.value


# -- usernames ----------------------------------------------------------------


@pytest.mark.parametrize("raw", ["amina", "abc", "a.b-c_d", "2amina", "x" * 32, "  Amina  ",
                                 "AMINA.Y"])
def test_good_usernames(raw):
    assert accounts.username_error(accounts.normalise_username(raw)) is None


@pytest.mark.parametrize("raw, msgid", [
    ("", "Enter a username"),
    ("   ", "Enter a username"),
    ("ab", "Use 3 to 32 letters a-z, digits, dots, dashes or underscores, "
           "starting with a letter or digit"),
    ("x" * 33, "Use 3 to 32 letters a-z, digits, dots, dashes or underscores, "
               "starting with a letter or digit"),
    ("-amina", "Use 3 to 32 letters a-z, digits, dots, dashes or underscores, "
               "starting with a letter or digit"),
    (".amina", "Use 3 to 32 letters a-z, digits, dots, dashes or underscores, "
               "starting with a letter or digit"),
    ("ami na", "Use 3 to 32 letters a-z, digits, dots, dashes or underscores, "
               "starting with a letter or digit"),
    ("amina!", "Use 3 to 32 letters a-z, digits, dots, dashes or underscores, "
               "starting with a letter or digit"),
    ("émile", "Use 3 to 32 letters a-z, digits, dots, dashes or underscores, "
              "starting with a letter or digit"),
    ("أمينة", "Use 3 to 32 letters a-z, digits, dots, dashes or underscores, "
              "starting with a letter or digit"),
])
def test_bad_usernames(raw, msgid):
    assert accounts.username_error(accounts.normalise_username(raw)) == (msgid, {})


def test_usernames_are_stored_lower_case(store):
    user_id = accounts.create_user(store, role="refugee", username="  Amina.Y ",
                                   display_name="Amina", location_id="loc-a")
    assert store.user(user_id)["username"] == "amina.y"


def test_a_username_is_taken_whatever_its_case(store, amina):
    with pytest.raises(AccountError) as error:
        accounts.create_user(store, role="refugee", username="AMINA", display_name="Other",
                             location_id="loc-a")
    assert error.value.errors == {
        "username": ("This username is taken. Choose another one", {})}
    assert len(store.users("refugee")) == 1


@pytest.mark.parametrize("changes, field", [
    ({"role": "superuser"}, "role"),
    ({"display_name": "   "}, "display_name"),
    ({"display_name": "x" * 81}, "display_name"),
    ({"location_id": None}, "location_id"),
    ({"location_id": "loc-nowhere"}, "location_id"),
    ({"secret": "1234"}, "secret"),
    ({"username": "a"}, "username"),
])
def test_bad_refugee_accounts_are_refused(store, changes, field):
    fields = {"role": "refugee", "username": "amina", "display_name": "Amina",
              "location_id": "loc-a", **changes}
    with pytest.raises(AccountError) as error:
        accounts.create_user(store, **fields)
    assert set(error.value.errors) == {field}
    assert store.users() == []


@pytest.mark.parametrize("location_ids", [[], ["loc-nowhere"], ["loc-a", "loc-nowhere"]])
def test_staff_need_known_places(store, location_ids):
    with pytest.raises(AccountError) as error:
        accounts.create_user(store, role="coach", username="coen", display_name="Coen",
                             location_ids=location_ids)
    assert error.value.errors == {"location_ids": ("Choose at least one place", {})}


def test_staff_get_their_places(store, coach):
    assert store.staff_location_ids(coach) == ["loc-a"]
    assert store.user(coach)["location_id"] is None


# -- PINs and passphrases ------------------------------------------------------


@pytest.mark.parametrize("secret, msgid", [
    ("", "Enter a PIN or a passphrase"),
    ("12345", "A PIN needs at least 6 digits"),
    ("123456", "This PIN is too easy to guess. Choose other digits"),
    ("654321", "This PIN is too easy to guess. Choose other digits"),
    ("111111", "This PIN is too easy to guess. Choose other digits"),
    ("0123456789", "This PIN is too easy to guess. Choose other digits"),
    ("١٢٣٤٥٦", "This PIN is too easy to guess. Choose other digits"),  # Arabic-Indic
    ("letmein", "A passphrase needs at least 10 characters, or use a PIN of 6 digits"),
    ("123456789", "This PIN is too easy to guess. Choose other digits"),
    ("abcdefghi", "A passphrase needs at least 10 characters, or use a PIN of 6 digits"),
    # Superscripts are digits to str.isdigit() but not to int(): no crash, not a PIN.
    ("²³⁴⁵⁶⁷", "A passphrase needs at least 10 characters, or use a PIN of 6 digits"),
])
def test_weak_secrets_are_refused(secret, msgid):
    assert accounts.secret_error(secret)[0] == msgid


def test_overlong_secret_is_refused():
    assert accounts.secret_error("x" * 201) == too_long(200, 201)


@pytest.mark.parametrize("secret", ["482913", "135790", "٤٨٢٩١٣", "mijn fiets is rood",
                                    "abcdefghij", "x" * 200])
def test_good_secrets(secret):
    assert accounts.secret_error(secret) is None


def test_secret_is_stored_hashed_and_salted(store, amina):
    stored = store.user(amina)["secret_hash"]
    assert stored.startswith("scrypt$")
    assert "482913" not in stored
    assert accounts.hash_secret("482913") != accounts.hash_secret("482913")
    assert accounts.verify_secret(stored, "482913") is True
    assert accounts.verify_secret(stored, "482914") is False


# -- signing in ----------------------------------------------------------------


def test_sign_in_with_the_right_pin(store, amina):
    user = sign_in(store, username="  AMINA ")
    assert (user["id"], user["role"], user["failed_signins"]) == (amina, "refugee", 0)


@pytest.mark.parametrize("username, secret", [("amina", "482914"), ("nobody", "482913"),
                                              ("amina", ""), ("", "482913")])
def test_wrong_username_or_pin_gets_the_same_answer(store, amina, username, secret):
    failure = refused(store, secret, username=username)
    assert (failure.message, failure.rate_limited) == (WRONG, False)


def test_account_without_a_secret_cannot_sign_in(store):
    accounts.create_user(store, role="refugee", username="bilal", display_name="Bilal",
                         location_id="loc-a")
    assert refused(store, "", username="bilal").message == WRONG


def test_inactive_account_cannot_sign_in(store, amina):
    store.update_user(amina, active=0)
    assert refused(store, "482913").message == WRONG


def test_lockout_after_five_failures(store, amina):
    for _ in range(accounts.LOCK_AFTER_FAILURES):
        assert refused(store).message == WRONG
    failure = refused(store, "482913", now=NOW + timedelta(minutes=1))
    # The same words as for an unknown name: a lock tells nobody the account exists.
    assert failure.message == WRONG == refused(store, username="nobody").message
    assert store.user(amina)["locked_until"] == (NOW + timedelta(minutes=15)).isoformat()
    assert failure.rate_limited is False


def test_the_one_answer_tells_the_owner_how_to_get_in_again():
    msgid, params = accounts.NOT_RIGHT
    assert "try again later" in msgid and "ask your coach" in msgid and params == {}


def test_a_locked_account_and_an_unknown_name_cost_the_same_work(store, amina, monkeypatch):
    """One scrypt and the same statements in every refusal: no timing hint."""
    for _ in range(accounts.LOCK_AFTER_FAILURES):
        refused(store)
    hashes = []
    monkeypatch.setattr(accounts, "verify_secret",
                        lambda stored, secret: hashes.append(1) or False)
    with store.traced() as statements:
        refused(store, "482913", now=NOW + timedelta(minutes=1))
    locked = (len(hashes), [sql.split()[0] for sql in statements])
    hashes.clear()
    with store.traced() as statements:
        refused(store, username="nobody", now=NOW + timedelta(minutes=1))
    assert locked == (len(hashes), [sql.split()[0] for sql in statements]) and locked[0] == 1


def test_locked_account_refuses_the_right_pin_until_the_lock_ends(store, amina):
    for _ in range(5):
        refused(store)
    assert refused(store, "482913", now=NOW + timedelta(minutes=14, seconds=59)).message == (
        WRONG)
    user = sign_in(store, now=NOW + timedelta(minutes=15))
    assert user["locked_until"] is None


def test_failures_while_locked_do_not_extend_the_lock(store, amina):
    for _ in range(5):
        refused(store)
    for minute in range(1, 5):
        refused(store, now=NOW + timedelta(minutes=minute))
    assert store.user(amina)["locked_until"] == (NOW + timedelta(minutes=15)).isoformat()


def test_a_good_sign_in_resets_the_failure_count(store, amina):
    for _ in range(4):
        refused(store)
    sign_in(store)
    assert store.user(amina)["failed_signins"] == 0
    for _ in range(4):
        refused(store)
    assert sign_in(store)["id"] == amina


def test_unknown_usernames_lock_nothing(store, amina):
    for _ in range(6):
        refused(store, username="amina2")
    assert sign_in(store)["id"] == amina


def test_address_limit_refuses_after_many_failures(store, amina):
    for n in range(accounts.ADDRESS_FAILURE_LIMIT):
        refused(store, username=f"nobody{n}", now=NOW + timedelta(seconds=n))
    failure = refused(store, "482913", now=NOW + timedelta(seconds=60))
    assert failure.rate_limited is True
    assert failure.message == accounts.TOO_MANY_FROM_HERE
    # Another address may still try, and this one again after the window.
    assert sign_in(store, address="10.0.0.2", now=NOW + timedelta(seconds=61))["id"] == amina
    later = NOW + timedelta(minutes=accounts.ADDRESS_WINDOW_MINUTES, seconds=51)
    assert sign_in(store, now=later)["id"] == amina


def test_good_sign_ins_from_one_address_are_never_limited(store, amina):
    """A whole asylum centre signs in from one public address."""
    for n in range(accounts.ADDRESS_FAILURE_LIMIT * 3):
        assert sign_in(store, now=NOW + timedelta(seconds=n))["id"] == amina


def test_a_device_that_signed_in_before_gets_past_the_address_limit(store, amina):
    """Someone guessing at the centre cannot lock the residents' own phones out."""
    for n in range(accounts.ADDRESS_FAILURE_LIMIT):
        refused(store, username=f"nobody{n}")
    assert refused(store, "482913").rate_limited is True
    assert sign_in(store, known_ids=frozenset({amina}))["id"] == amina
    # A known device is known for its own account only.
    assert refused(store, username="nobody", known_ids=frozenset({amina})).rate_limited


def test_old_attempts_are_forgotten(store, amina):
    for n in range(3):
        refused(store, username="nobody", now=NOW - timedelta(days=2, seconds=n))
    refused(store, username="nobody")
    assert store.count("signin_failures") == 1


# -- handover codes -------------------------------------------------------------


@pytest.fixture
def newcomer(store, coach):
    """A refugee account made by a coach, without a secret yet."""
    return accounts.create_user(store, role="refugee", username="bilal",
                                display_name="Bilal", location_id="loc-a", created_by=coach)


@pytest.fixture
def code(store, newcomer, coach):
    return accounts.new_handover_code(store, newcomer, coach, now=NOW)


def test_handover_code_is_twelve_unambiguous_characters(code):
    assert len(code) == 12
    assert set(code) <= set(accounts.CODE_ALPHABET)
    assert not set(code) & set("01OIL")


def test_handover_code_is_stored_hashed(store, code, newcomer):
    rows = store.query("SELECT * FROM handover_codes")
    assert len(rows) == 1
    assert code not in str(rows)
    assert rows[0]["user_id"] == newcomer


@pytest.mark.parametrize("typed", [
    lambda c: c, lambda c: c.lower(), lambda c: accounts.format_code(c),
    lambda c: accounts.format_code(c).lower(), lambda c: f"  {c[:6]} {c[6:]}  ",
])
def test_handover_code_as_typed_is_recognised(store, code, newcomer, typed):
    assert accounts.check_handover_code(store, typed(code), now=NOW)["id"] == newcomer


def test_format_code_groups_by_four():
    assert accounts.format_code("K7M2Q9XD4TAB") == "K7M2-Q9XD-4TAB"


@pytest.mark.parametrize("typed", ["", "-", "K7M2", "K7M2Q9XD4TA", "K7M2Q9XD4TABC",
                                   "000000000000", "OOOOOOOOOOOO", "!!!!!!!!!!!!", "ÄÄÄÄÄÄÄÄÄÄÄÄ",
                                   "K7M2Q9XD4TAB"])
def test_wrong_or_odd_codes_are_not_valid(store, code, typed):
    assert accounts.check_handover_code(store, typed, now=NOW) is None


def test_handover_code_expires_after_seven_days(store, code, newcomer):
    almost = NOW + timedelta(days=7) - timedelta(seconds=1)
    assert accounts.check_handover_code(store, code, now=almost)["id"] == newcomer
    assert accounts.check_handover_code(store, code, now=NOW + timedelta(days=7)) is None
    with pytest.raises(AccountError) as error:
        accounts.redeem_handover_code(store, code, "482913", now=NOW + timedelta(days=8))
    assert set(error.value.errors) == {"code"}
    assert store.user(newcomer)["secret_hash"] is None


def test_redeeming_sets_the_secret_once(store, code, newcomer):
    user = accounts.redeem_handover_code(store, accounts.format_code(code).lower(), "482913",
                                         now=NOW)
    assert user["id"] == newcomer
    assert sign_in(store, username="bilal")["id"] == newcomer
    with pytest.raises(AccountError) as error:
        accounts.redeem_handover_code(store, code, "135790", now=NOW)
    assert error.value.errors == {
        "code": ("This code is not valid any more. Ask for a new one", {})}
    assert accounts.check_handover_code(store, code, now=NOW) is None
    assert refused(store, "135790", username="bilal").message == WRONG


def test_redeeming_with_a_weak_secret_keeps_the_code(store, code, newcomer):
    with pytest.raises(AccountError) as error:
        accounts.redeem_handover_code(store, code, "123456", now=NOW)
    assert set(error.value.errors) == {"secret"}
    assert accounts.check_handover_code(store, code, now=NOW)["id"] == newcomer
    assert store.user(newcomer)["secret_hash"] is None


def test_a_new_code_replaces_the_unused_one(store, code, newcomer, coach):
    newer = accounts.new_handover_code(store, newcomer, coach, now=NOW)
    assert accounts.check_handover_code(store, code, now=NOW) is None
    assert accounts.check_handover_code(store, newer, now=NOW)["id"] == newcomer


def test_redeeming_unlocks_a_locked_account(store, amina, coach):
    for _ in range(5):
        refused(store)
    code = accounts.new_handover_code(store, amina, coach, now=NOW)
    accounts.redeem_handover_code(store, code, "135790", now=NOW)
    assert sign_in(store, "135790", now=NOW + timedelta(minutes=1))["id"] == amina


# -- changing the secret ----------------------------------------------------------


def test_set_secret_replaces_the_secret_and_ends_other_sessions(store, amina):
    user = store.user(amina)
    here, there = (accounts.start_session(store, user, shared=False, now=NOW) for _ in "ab")
    accounts.set_secret(store, amina, "mijn fiets is rood", keep_session=here)
    assert accounts.session_user(store, here, 30, now=NOW)[0]["id"] == amina
    assert accounts.session_user(store, there, 30, now=NOW) == (None, "ended")
    assert refused(store, "482913").message == WRONG
    assert sign_in(store, "mijn fiets is rood")["id"] == amina


def test_set_secret_refuses_a_weak_secret_and_changes_nothing(store, amina):
    with pytest.raises(AccountError) as error:
        accounts.set_secret(store, amina, "111111")
    assert error.value.errors["secret"][0] == (
        "This PIN is too easy to guess. Choose other digits")
    assert sign_in(store)["id"] == amina
