"""Sessions expire and cannot be forged; CSRF tokens belong to one session."""

from __future__ import annotations

import os
import stat

import pytest

from review.auth import Signer, load_key

NOW = 1_800_000_000.0


def test_a_session_round_trips_until_it_expires():
    signer = Signer(b"k" * 32, session_seconds=3600)
    session, cookie = signer.new_session("olga", now=NOW)
    assert signer.read_session(cookie, now=NOW + 10) == session
    assert signer.read_session(cookie, now=NOW + 3601) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # signature changed
        lambda c: "eyJ1IjoiYWRtaW4iLCJlIjo5OTk5OTk5OTk5LCJuIjoieCJ9." + c.split(".")[1],
        lambda c: c.split(".")[0],  # no signature
        lambda c: "",
        lambda c: "not.base64!",
    ],
)
def test_a_forged_session_is_refused(tamper):
    signer = Signer(b"k" * 32)
    _, cookie = signer.new_session("ivan", now=NOW)
    assert signer.read_session(tamper(cookie), now=NOW) is None


def test_another_key_refuses_the_cookie():
    _, cookie = Signer(b"a" * 32).new_session("ivan", now=NOW)
    assert Signer(b"b" * 32).read_session(cookie, now=NOW) is None


@pytest.mark.parametrize(
    ("nonce", "token", "ok"),
    [
        ("n1", "good", True),
        ("n2", "good", False),  # a token of another session
        ("n1", "", False),
        ("n1", None, False),
        ("", "good", False),
    ],
)
def test_csrf_tokens(nonce, token, ok):
    signer = Signer(b"k" * 32)
    real = signer.csrf_token("n1")
    assert signer.check_csrf(nonce, real if token == "good" else token) is ok


def test_the_key_is_made_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("EDIN_REVIEW_KEY", raising=False)
    first = load_key(tmp_path)
    assert load_key(tmp_path) == first and len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "review.key").st_mode)
    assert mode == 0o600
    monkeypatch.setenv("EDIN_REVIEW_KEY", "from-the-environment")
    assert load_key(tmp_path) == b"from-the-environment"
