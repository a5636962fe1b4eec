"""The review app's own database (``HOME/review.sqlite``, SQLite in WAL mode): operator
accounts, notes on profiles, items an operator skipped, and the journal of actions (what undo
reverts). Operator decisions themselves live in the decisions database the pipeline reads
(``resolution.feedback``); the journal only points at them.

Every statement is built by a small function with bound parameters; nothing a user typed is
ever formatted into SQL. Passwords are hashed with scrypt (``hashlib.scrypt``, a memory-hard
KDF) at OWASP's recommended cost, each with its own salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from resolution import EdinError, Home, open_store

ROLES = ("operator", "admin")
LANGS = ("ru", "en")
DEFAULT_TZ = "Europe/Moscow"
# scrypt at OWASP's recommendation (N = 2^17, r = 8, p = 1: 128 MiB, about 0.3 s here).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
_SCRYPT_MAXMEM = 256 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('operator', 'admin')),
    password TEXT NOT NULL,          -- scrypt$N$r$p$salt$hash (base64)
    tz TEXT NOT NULL,
    lang TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id TEXT NOT NULL,        -- the profile it was written on, or moved to
    at TEXT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    settled_at TEXT,                 -- when an operator said which part of a split keeps it
    deleted_at TEXT
);
CREATE INDEX IF NOT EXISTS notes_profile ON notes (profile_id);
CREATE TABLE IF NOT EXISTS skips (
    operator TEXT NOT NULL,
    item TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (operator, item)
);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    action TEXT NOT NULL,            -- same, different, takeout, skip, note, move_note
    item TEXT NOT NULL,              -- what it was about (a pair, a group, a profile)
    snapshot TEXT,                   -- run ID of the snapshot it was taken on
    profile_ids TEXT NOT NULL,       -- JSON list
    decision_id INTEGER,             -- in decisions.sqlite, for same / different / takeout
    note_id INTEGER,
    undone_at TEXT,
    undone_by TEXT
);
CREATE INDEX IF NOT EXISTS actions_operator ON actions (operator, id);
"""


class ReviewError(EdinError):
    """Something about accounts, notes or actions of the review app that the user can fix."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- passwords


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, n: int | None = None) -> str:
    """A salted scrypt hash of the password, with its parameters, as one string (``n``:
    the cost, ``SCRYPT_N`` unless given)."""
    n = n or SCRYPT_N
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, maxmem=_SCRYPT_MAXMEM
    )
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """Whether the password gives the stored hash (compared in constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


# A hash to check against when the user does not exist, so that a wrong name takes as long
# as a wrong password (computed once, on first need).
_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(8)))
    return _DUMMY[0]


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class User:
    name: str
    role: str
    tz: str
    lang: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Note:
    id: int
    profile_id: str
    at: str
    author: str
    body: str
    settled_at: str | None


@dataclass(frozen=True)
class Action:
    id: int
    at: str
    operator: str
    action: str
    item: str
    snapshot: str | None
    profile_ids: tuple[str, ...]
    decision_id: int | None
    note_id: int | None
    undone_at: str | None
    undone_by: str | None


# ---------------------------------------------------------------- SQL builders


def _user_insert() -> str:
    return (
        "INSERT INTO users (name, role, password, tz, lang, created) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET role = excluded.role, password = excluded.password, "
        "tz = excluded.tz, lang = excluded.lang"
    )


def _user_select(by_name: bool) -> str:
    sql = "SELECT name, role, tz, lang, password FROM users"
    return sql + (" WHERE name = ?" if by_name else " ORDER BY name")


def _note_select(profiles: int) -> str:
    marks = ", ".join("?" * profiles)
    return (
        "SELECT id, profile_id, at, author, body, settled_at FROM notes "
        f"WHERE deleted_at IS NULL AND profile_id IN ({marks}) ORDER BY at, id"
    )


_ACTION_COLUMNS = (
    "id, at, operator, action, item, snapshot, profile_ids, decision_id, note_id, "
    "undone_at, undone_by"
)


def _action_select(by_id: bool, by_operator: bool, limit: bool) -> str:
    sql = f"SELECT {_ACTION_COLUMNS} FROM actions"
    where = [w for w, on in (("id = ?", by_id), ("operator = ?", by_operator)) if on]
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    return sql + (" LIMIT ?" if limit else "")


def _action_of(row: tuple) -> Action:
    return Action(
        id=int(row[0]),
        at=row[1],
        operator=row[2],
        action=row[3],
        item=row[4],
        snapshot=row[5],
        profile_ids=tuple(json.loads(row[6])),
        decision_id=row[7],
        note_id=row[8],
        undone_at=row[9],
        undone_by=row[10],
    )


# ---------------------------------------------------------------- the store


class ReviewStore:
    """The review app's database in one run home."""

    def __init__(self, home: Path | str) -> None:
        self.home = Path(home)
        self.path = Home(home).review

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection (database created on first use, WAL mode), committed on success."""
        with open_store(self.path, _SCHEMA) as con:
            yield con

    # accounts

    def add_user(
        self, name: str, role: str, password: str, tz: str = DEFAULT_TZ, lang: str = "ru"
    ) -> User:
        """Create the account, or reset its role, password, time zone and language."""
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise ReviewError(f"user name {name!r}: 1 to 64 characters, no spaces")
        if role not in ROLES:
            raise ReviewError(f"role {role!r}: one of {', '.join(ROLES)}")
        if lang not in LANGS:
            raise ReviewError(f"language {lang!r}: one of {', '.join(LANGS)}")
        if len(password) < 8:
            raise ReviewError("the password needs at least 8 characters")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ReviewError(
                f"time zone {tz!r} is unknown; use a name like Europe/Moscow"
            ) from exc
        with self.connect() as con:
            con.execute(_user_insert(), (name, role, hash_password(password), tz, lang, _now()))
        return User(name, role, tz, lang)

    def user(self, name: str) -> User | None:
        """The account, or None."""
        with self.connect() as con:
            row = con.execute(_user_select(True), (name,)).fetchone()
        return User(*row[:4]) if row else None

    def users(self) -> list[User]:
        with self.connect() as con:
            return [User(*r[:4]) for r in con.execute(_user_select(False)).fetchall()]

    def authenticate(self, name: str, password: str) -> User | None:
        """The account when the password is right; None otherwise (as slow either way)."""
        with self.connect() as con:
            row = con.execute(_user_select(True), (name,)).fetchone()
        if row is None:
            check_password(password, _dummy_hash())
            return None
        return User(*row[:4]) if check_password(password, row[4]) else None

    # notes

    def add_note(self, profile_id: str, author: str, body: str) -> Note:
        body = body.strip()
        if not body:
            raise ReviewError("a note needs some text")
        if len(body) > 4000:
            raise ReviewError("a note holds at most 4000 characters")
        at = _now()
        with self.connect() as con:
            cur = con.execute(
                "INSERT INTO notes (profile_id, at, author, body) VALUES (?, ?, ?, ?)",
                (profile_id, at, author, body),
            )
        return Note(int(cur.lastrowid or 0), profile_id, at, author, body, None)

    def notes(self, profile_ids: list[str]) -> list[Note]:
        """Notes written on (or moved to) any of these profile IDs, oldest first."""
        if not profile_ids:
            return []
        with self.connect() as con:
            rows = con.execute(_note_select(len(profile_ids)), profile_ids).fetchall()
        return [Note(*r) for r in rows]

    def note(self, note_id: int) -> Note | None:
        with self.connect() as con:
            row = con.execute(
                "SELECT id, profile_id, at, author, body, settled_at FROM notes "
                "WHERE id = ? AND deleted_at IS NULL",
                (note_id,),
            ).fetchone()
        return Note(*row) if row else None

    def settle_note(self, note_id: int, profile_id: str) -> None:
        """After a split: the note belongs to ``profile_id`` (the part that keeps it)."""
        with self.connect() as con:
            con.execute(
                "UPDATE notes SET profile_id = ?, settled_at = ? WHERE id = ?",
                (profile_id, _now(), note_id),
            )

    def unsettle_note(self, note_id: int, profile_id: str) -> None:
        with self.connect() as con:
            con.execute(
                "UPDATE notes SET profile_id = ?, settled_at = NULL WHERE id = ?",
                (profile_id, note_id),
            )

    def delete_note(self, note_id: int, deleted: bool = True) -> None:
        with self.connect() as con:
            con.execute(
                "UPDATE notes SET deleted_at = ? WHERE id = ?",
                (_now() if deleted else None, note_id),
            )

    # skips

    def skip(self, operator: str, item: str) -> None:
        with self.connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO skips (operator, item, at) VALUES (?, ?, ?)",
                (operator, item, _now()),
            )

    def unskip(self, operator: str, item: str) -> None:
        with self.connect() as con:
            con.execute("DELETE FROM skips WHERE operator = ? AND item = ?", (operator, item))

    def skipped(self, operator: str) -> set[str]:
        with self.connect() as con:
            rows = con.execute("SELECT item FROM skips WHERE operator = ?", (operator,)).fetchall()
        return {r[0] for r in rows}

    # the journal

    def log_action(
        self,
        operator: str,
        action: str,
        item: str,
        snapshot: str | None,
        profile_ids: list[str],
        decision_id: int | None = None,
        note_id: int | None = None,
    ) -> int:
        """Journal one action; returns its ID (what undo names)."""
        with self.connect() as con:
            cur = con.execute(
                "INSERT INTO actions (at, operator, action, item, snapshot, profile_ids, "
                "decision_id, note_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _now(),
                    operator,
                    action,
                    item,
                    snapshot,
                    json.dumps(sorted(set(profile_ids))),
                    decision_id,
                    note_id,
                ),
            )
        return int(cur.lastrowid or 0)

    def action(self, action_id: int) -> Action | None:
        with self.connect() as con:
            row = con.execute(_action_select(True, False, False), (action_id,)).fetchone()
        return _action_of(row) if row else None

    def actions(self, operator: str | None = None, limit: int = 50) -> list[Action]:
        """The latest actions, newest first (one operator's, or everyone's)."""
        args: list[object] = [operator] if operator else []
        with self.connect() as con:
            rows = con.execute(_action_select(False, operator is not None, True), [*args, limit])
            return [_action_of(r) for r in rows.fetchall()]

    def mark_undone(self, action_id: int, by: str) -> None:
        with self.connect() as con:
            con.execute(
                "UPDATE actions SET undone_at = ?, undone_by = ? WHERE id = ?",
                (_now(), by, action_id),
            )
