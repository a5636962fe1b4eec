"""Sessions and CSRF tokens of the review app, signed with one secret key (HMAC-SHA256).

A session is a cookie holding the user name, an expiry time and a random nonce, signed; it
is refused once expired or when the signature does not hold. Every form carries a CSRF token
derived from the session's nonce (the sign-in form: from a nonce in a short-lived cookie of
its own), so a page of another site cannot post on an operator's behalf: it can neither read
the token nor compute it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from resolution import Home

SESSION_COOKIE = "edin_session"
LOGIN_COOKIE = "edin_login"
SESSION_SECONDS = 8 * 3600  # one working shift
LOGIN_SECONDS = 1800
KEY_ENV = "EDIN_REVIEW_KEY"


def load_key(home: Path) -> bytes:
    """The signing key: ``EDIN_REVIEW_KEY`` when set, else ``HOME/review.key`` (made on first
    use: written to a temporary file with mode 0600 and renamed, so it is whole or absent)."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode("utf-8")
    path = Home(home).review_key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            # another process may have made one meanwhile: the first one stays
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="ascii").strip().encode("ascii")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    user: str
    expires: int
    nonce: str


class Signer:
    """Signs and checks session cookies and CSRF tokens with one key."""

    def __init__(self, key: bytes, session_seconds: int = SESSION_SECONDS) -> None:
        self._key = key
        self.session_seconds = session_seconds

    def _mac(self, purpose: str, data: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}|{data}".encode(), hashlib.sha256).digest())

    def new_session(self, user: str, now: float | None = None) -> tuple[Session, str]:
        """A fresh session for the user and its cookie value."""
        now = time.time() if now is None else now
        session = Session(user, int(now) + self.session_seconds, secrets.token_urlsafe(16))
        payload = _b64(
            json.dumps(
                {"u": session.user, "e": session.expires, "n": session.nonce},
                separators=(",", ":"),
            ).encode("utf-8")
        )
        return session, f"{payload}.{self._mac('session', payload)}"

    def read_session(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie holds; None when absent, forged, malformed or expired."""
        if not cookie or "." not in cookie:
            return None
        payload, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac("session", payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
            session = Session(str(data["u"]), int(data["e"]), str(data["n"]))
        except (ValueError, KeyError, TypeError):
            return None
        now = time.time() if now is None else now
        return session if session.expires > now else None

    def csrf_token(self, nonce: str) -> str:
        """The CSRF token of a session (or of a sign-in form) with this nonce."""
        return self._mac("csrf", nonce)

    def check_csrf(self, nonce: str | None, token: str | None) -> bool:
        return bool(nonce and token) and hmac.compare_digest(
            str(token), self.csrf_token(str(nonce))
        )
