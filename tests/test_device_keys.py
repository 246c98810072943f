"""Per-device signing keys on a real SQLite file (their use on uploads: test_sync_protocol)."""

from __future__ import annotations

import pytest

from sync import device_keys
from sync.store import open_store
from sync.write import new_id
from tests.sync_fixtures import add_people


@pytest.fixture
def keys(database):
    """A database with people, and the device_keys table as the store sees it."""
    store = open_store(database)
    yield store, add_people(store)
    store.close()


def test_a_device_gets_one_key_however_often_it_asks(keys):
    store, people = keys
    device = new_id()
    first = device_keys.issue_key(store, people.amina.id, device)
    assert device_keys.issue_key(store, people.amina.id, device) == first
    assert len(bytes.fromhex(first["secret"])) == device_keys.KEY_BYTES
    assert store.count("device_keys") == 1


def test_every_device_of_every_user_gets_its_own_key(keys):
    store, people = keys
    phone, tablet = new_id(), new_id()
    issued = [device_keys.issue_key(store, people.amina.id, phone),
              device_keys.issue_key(store, people.amina.id, tablet),
              device_keys.issue_key(store, people.bilal.id, phone)]
    assert len({key["key_id"] for key in issued}) == 3
    assert len({key["secret"] for key in issued}) == 3
    assert [store.device_key(key["key_id"])["user_id"] for key in issued] == [
        people.amina.id, people.amina.id, people.bilal.id]


def test_a_revoked_key_is_replaced_when_the_device_asks_again(keys):
    store, people = keys
    device = new_id()
    old = device_keys.issue_key(store, people.amina.id, device)
    store.revoke_device_key(old["key_id"])
    new = device_keys.issue_key(store, people.amina.id, device)
    assert new["key_id"] != old["key_id"]
    assert store.device_key(old["key_id"])["revoked_at"] is not None
    assert device_keys.issue_key(store, people.amina.id, device) == new


@pytest.mark.parametrize("device_id", [
    None, 12, "", "phone", "../../etc/passwd", ["0b5c6a52-1f7e-4d9e-8a43-2c1f4a7e9d30"],
    "0B5C6A52-1F7E-4D9E-8A43-2C1F4A7E9D30", "0b5c6a521f7e4d9e8a432c1f4a7e9d30",
    "{0b5c6a52-1f7e-4d9e-8a43-2c1f4a7e9d30}",
], ids=["none", "number", "empty", "a word", "a path", "a list", "upper case", "no hyphens",
        "braces"])
def test_a_key_is_only_for_a_device_id_a_phone_makes(keys, device_id):
    store, people = keys
    with pytest.raises(device_keys.BadDevice):
        device_keys.issue_key(store, people.amina.id, device_id)
    assert store.count("device_keys") == 0


def test_sign_is_the_standard_hmac_sha256_that_webcrypto_makes():
    # RFC 4231, test case 2.
    assert device_keys.sign("4a656665", "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_a_signature_counts_only_for_the_keys_own_user_while_it_is_live(keys):
    store, people = keys
    key = device_keys.issue_key(store, people.amina.id, new_id())
    text = '{"title": "Nurse"}'
    sig = device_keys.sign(key["secret"], text)
    assert device_keys.is_signed_by(store, people.amina.id, key["key_id"], text, sig)
    assert not device_keys.is_signed_by(store, people.bilal.id, key["key_id"], text, sig)
    assert not device_keys.is_signed_by(store, people.amina.id, key["key_id"], text + " ", sig)
    store.revoke_device_key(key["key_id"])
    assert not device_keys.is_signed_by(store, people.amina.id, key["key_id"], text, sig)


KEY = "the key"  # stands for a real key of Amina's


@pytest.mark.parametrize(("key_id", "text", "sig"), [
    (None, "{}", "0" * 64), (12, "{}", "0" * 64), (KEY, None, "0" * 64),
    (KEY, {"title": "Nurse"}, "0" * 64), (KEY, "{}", None), (KEY, "{}", 0),
    (KEY, "\ud800", "0" * 64),
], ids=["key_id none", "key_id number", "text none", "text an object", "sig none",
        "sig a number", "a lone surrogate"])
def test_a_signature_of_the_wrong_type_is_no_signature(keys, key_id, text, sig):
    store, people = keys
    key = device_keys.issue_key(store, people.amina.id, new_id())
    key_id = key["key_id"] if key_id == KEY else key_id
    assert not device_keys.is_signed_by(store, people.amina.id, key_id, text, sig)


def test_a_new_handover_code_stops_trusting_the_old_phones(keys):
    """A lost phone is replaced with a handover code: what it signed no longer counts,
    and the new phone gets a key of its own."""
    from sync import accounts

    store, people = keys
    lost_phone = new_id()
    old = device_keys.issue_key(store, people.amina.id, lost_phone)
    text = '{"title": "Nurse"}'
    sig = device_keys.sign(old["secret"], text)
    code = accounts.new_handover_code(store, people.amina.id, people.coach.id)
    accounts.redeem_handover_code(store, code, "482913")
    assert not device_keys.is_signed_by(store, people.amina.id, old["key_id"], text, sig)
    assert device_keys.issue_key(store, people.amina.id, new_id())["key_id"] != old["key_id"]
