"""The review app's store: accounts with scrypt hashes, notes, skips and the journal."""

from __future__ import annotations

import sqlite3

import pytest

from review import store as store_module
from review.store import ReviewError, ReviewStore, check_password, hash_password


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    # the cost is a parameter of the hash; tests need not pay 0.3 s per hash
    monkeypatch.setattr(store_module, "SCRYPT_N", 2**10)


def test_a_password_hash_is_salted_and_checks():
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one != two and one.startswith("scrypt$1024$8$1$")
    assert check_password("correct horse", one) and check_password("correct horse", two)
    assert not check_password("correct hors", one)


@pytest.mark.parametrize("stored", ["", "md5$x", "scrypt$a$b$c$d$e", "scrypt$1024$8$1$!!$!!"])
def test_a_malformed_hash_never_checks(stored):
    assert not check_password("anything", stored)


@pytest.mark.parametrize(
    ("name", "role", "password", "tz", "message"),
    [
        ("", "operator", "long-enough", "Europe/Moscow", "1 to 64 characters"),
        ("two words", "operator", "long-enough", "Europe/Moscow", "no spaces"),
        ("olga", "root", "long-enough", "Europe/Moscow", "role"),
        ("olga", "operator", "short", "Europe/Moscow", "at least 8"),
        ("olga", "operator", "long-enough", "Mars/Olympus", "time zone"),
    ],
)
def test_an_account_says_what_is_wrong(tmp_path, name, role, password, tz, message):
    with pytest.raises(ReviewError, match=message):
        ReviewStore(tmp_path).add_user(name, role, password, tz=tz)


def test_accounts_authenticate_and_reset(tmp_path):
    store = ReviewStore(tmp_path)
    store.add_user("olga", "admin", "first-password", tz="Asia/Yekaterinburg")
    assert store.authenticate("olga", "first-password").role == "admin"
    assert store.authenticate("olga", "wrong-password") is None
    assert store.authenticate("nobody", "first-password") is None
    store.add_user("olga", "operator", "second-password")  # reset
    assert store.authenticate("olga", "first-password") is None
    user = store.authenticate("olga", "second-password")
    assert (user.role, user.tz) == ("operator", "Europe/Moscow")
    assert [u.name for u in store.users()] == ["olga"]
    # the password is stored only as its hash, in a WAL database
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    (stored,) = con.execute("SELECT password FROM users").fetchone()
    assert "second-password" not in stored and stored.startswith("scrypt$")


def test_notes_are_found_by_any_id_of_the_profile(tmp_path):
    store = ReviewStore(tmp_path)
    a = store.add_note("p_a", "olga", "звонила по поводу возврата")
    b = store.add_note("p_b", "ivan", "предпочитает Telegram")
    assert [n.body for n in store.notes(["p_a", "p_b"])] == [a.body, b.body]
    assert store.notes([]) == [] and store.notes(["p_c"]) == []
    store.settle_note(a.id, "p_c")
    assert [n.id for n in store.notes(["p_c"])] == [a.id]
    assert store.note(a.id).settled_at is not None
    store.delete_note(b.id)
    assert store.notes(["p_b"]) == []
    with pytest.raises(ReviewError, match="needs some text"):
        store.add_note("p_a", "olga", "   ")


def test_skips_and_the_journal(tmp_path):
    store = ReviewStore(tmp_path)
    store.skip("ivan", "pair:x")
    assert store.skipped("ivan") == {"pair:x"} and store.skipped("olga") == set()
    first = store.log_action("ivan", "skip", "pair:x", "run1", ["p_b", "p_a", "p_a"])
    second = store.log_action("olga", "same", "pair:y", "run1", ["p_c"], decision_id=7)
    assert [a.id for a in store.actions()] == [second, first]
    assert [a.id for a in store.actions("ivan")] == [first]
    assert store.action(first).profile_ids == ("p_a", "p_b")
    store.mark_undone(first, "olga")
    got = store.action(first)
    assert got.undone_by == "olga" and got.undone_at
    store.unskip("ivan", "pair:x")
    assert store.skipped("ivan") == set()
