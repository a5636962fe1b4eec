"""API tokens of the lookup API (``HOME/api_tokens.sqlite``, SQLite in WAL mode).

A token is shown once, when it is made (``edin token create``); the database keeps only its
name, a random per-token salt and ``sha256(salt + token)``, so a copy of the file lets nobody
call the API. A revoked token stays listed (with when it was revoked) and is refused from the
next request on: the API checks the database on every request, so no restart is needed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from resolution import EdinError, open_store

TOKENS_FILE = "api_tokens.sqlite"
# A visible prefix lets secret scanners and people recognise an edin token in a config file.
TOKEN_PREFIX = "edin_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY,
    salt TEXT NOT NULL,              -- hex, 16 random bytes
    hash TEXT NOT NULL,              -- hex sha256(salt || token)
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""


class TokenError(EdinError):
    """An API token cannot be made or revoked; the message says why and what to do."""


@dataclass(frozen=True)
class ApiToken:
    """One token as listed: never the token itself, which is not kept."""

    name: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _digest(salt: bytes, token: str) -> str:
    return hashlib.sha256(salt + token.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class TokenStore:
    """The API tokens of one run home."""

    def __init__(self, home: Path | str) -> None:
        self.home = Path(home)
        self.path = self.home / TOKENS_FILE

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection (database created on first use, WAL mode, readable by its owner
        only), committed on success."""
        # private: the hashes are not secrets, but the names and times of the tokens are
        # nobody else's business
        with open_store(self.path, _SCHEMA, private=True) as con:
            yield con

    def create(self, name: str) -> str:
        """A new random token named ``name``, returned once and kept only as a salted hash.
        A revoked token's name may be reused; an active one's may not."""
        if not _NAME.match(name or ""):
            raise TokenError(
                f"a token name is 1-64 letters, digits, '.', '_' or '-' (got {name[:20]!r})"
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        with self.connect() as con:
            row = con.execute("SELECT revoked_at FROM tokens WHERE name = ?", (name,)).fetchone()
            if row is not None and row[0] is None:
                raise TokenError(
                    f"a token named {name} already exists in {self.path}; revoke it first "
                    f"(`edin token revoke {name} --home {self.home}`) or choose another name"
                )
            con.execute(
                "INSERT OR REPLACE INTO tokens (name, salt, hash, created_at, revoked_at) "
                "VALUES (?, ?, ?, ?, NULL)",
                (name, salt.hex(), _digest(salt, token), _now()),
            )
        return token

    def revoke(self, name: str) -> ApiToken:
        """Revokes the active token ``name``: refused from the next request on."""
        with self.connect() as con:
            updated = con.execute(
                "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (_now(), name),
            ).rowcount
        if not updated:
            raise TokenError(
                f"no active token named {name[:64]!r} in {self.path}; "
                f"`edin token list --home {self.home}` shows them"
            )
        return next(t for t in self.tokens() if t.name == name)

    def tokens(self) -> list[ApiToken]:
        """Every token ever made here (active and revoked), by name."""
        if not self.path.exists():
            return []
        with self.connect() as con:
            rows = con.execute(
                "SELECT name, created_at, revoked_at FROM tokens ORDER BY name"
            ).fetchall()
        return [ApiToken(*row) for row in rows]

    def has_active(self) -> bool:
        """Whether at least one token can call the API."""
        return any(t.active for t in self.tokens())

    def verify(self, token: str) -> str | None:
        """The name of the active token equal to ``token``, or ``None``. Compares every
        active token in constant time, so the answer's timing tells nothing."""
        if not token or not self.path.exists():
            return None
        with self.connect() as con:
            rows = con.execute(
                "SELECT name, salt, hash FROM tokens WHERE revoked_at IS NULL"
            ).fetchall()
        found = None
        for name, salt, digest in rows:
            if hmac.compare_digest(_digest(bytes.fromhex(salt), token), digest):
                found = name
        return found
