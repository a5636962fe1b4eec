"""Tombstones: what ``edin erase`` removed, kept only as salted hashes, so that a later run
re-ingesting the same export does not bring the person back.

A tombstone is HMAC-SHA256 (key: the home's secret ``HOME/erase.key``, mode 0600) of one
erased contact key (``contact:<source>:<source_id>``) or one identifier match key
(``phone:+7…``, ``email:…``, ``handle:tg:…``). The hashes live in ``HOME/tombstones.sqlite``;
no contact value is ever stored or logged. Without the secret a hash cannot be tested against
a guessed phone number, and a home's hashes say nothing about another home's.

``drop_tombstoned`` is the ingest check: contacts whose key or whose phone, e-mail or handle
match key hashes to a tombstone leave the drop (with their interactions and quarantine rows),
counted, never named. An operator lifts a tombstone with ``edin erase --lift``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from normalizers import normalize_email, normalize_handle, normalize_phones, platform_of
from resolution.errors import EdinError
from resolution.home import Home
from resolution.inputs.ingest import Ingested

IDENTIFIER_KINDS = ("phone", "email", "handle")
_SPLIT = re.compile(r"[,;\s]+")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tombstones (
    hash TEXT PRIMARY KEY,     -- HMAC-SHA256 of 'contact:src:id' or '<kind>:<match key>'
    kind TEXT NOT NULL,        -- contact | phone | email | handle (never the value)
    at TEXT NOT NULL,
    erasure TEXT               -- the run ID of the erasure that made it
);
"""


class TombstoneError(EdinError):
    """The tombstone store or its secret is unusable; the message says what to do."""


def query_key(kind: str, value: str) -> str | None:
    """The match key of a value an operator typed (``kind``: phone, email or handle), spelled
    as ``identifier_keys`` spells it, or None when the value reads as no such identifier."""
    if kind == "phone":
        phones = normalize_phones(value)
        return f"phone:{phones[0].e164}" if phones else None
    if kind == "email":
        email = normalize_email(value)
        return f"email:{email.key}" if email else None
    if kind == "handle":
        handle = normalize_handle(value)
        if handle is None:
            return None
        if handle.phone:
            return query_key("phone", handle.phone)
        return f"handle:{handle.key}" if handle.kind == "user" else None
    raise ValueError(kind)


def _cell_keys(
    phone: str | None, email: str | None, handle: str | None, hint: str | None
) -> list[str]:
    keys = [f"phone:{p.e164}" for p in normalize_phones(phone)] if phone else []
    for part in _SPLIT.split(email) if email and email.count("@") > 1 else [email]:
        got = normalize_email(part) if part else None
        if got is not None:
            keys.append(f"email:{got.key}")
    found = normalize_handle(handle, platform_hint=hint) if handle else None
    if found is not None:
        if found.phone:
            keys += [f"phone:{p.e164}" for p in normalize_phones(found.phone)]
        elif found.kind == "user":
            keys.append(f"handle:{found.key}")
    return keys


def identifier_keys(contacts: pl.DataFrame) -> pl.DataFrame:
    """One row (source, source_id, key) per phone, e-mail and handle match key of each contact
    (the input contract's ``phone``, ``email``, ``handle`` columns, read by the normalizers),
    plus ``contact:<source>:<source_id>`` for the contact itself."""
    cols = [c for c in ("phone", "email", "handle") if c in contacts.columns]
    rows: list[tuple[str, str, str]] = []
    cache: dict[tuple[str | None, ...], list[str]] = {}
    hints: dict[str, str | None] = {}
    for row in contacts.select("source", "source_id", *cols).iter_rows(named=True):
        source, source_id = row["source"], row["source_id"]
        rows.append((source, source_id, f"contact:{source}:{source_id}"))
        if source not in hints:
            hints[source] = platform_of(source) if source else None
        cell = (row.get("phone"), row.get("email"), row.get("handle"), hints[source])
        if cell not in cache:
            cache[cell] = _cell_keys(*cell)
        rows += [(source, source_id, k) for k in cache[cell]]
    return pl.DataFrame(
        rows, schema={"source": pl.String, "source_id": pl.String, "key": pl.String}, orient="row"
    ).unique(maintain_order=True)


def secret(home: Path, *, create: bool) -> bytes | None:
    """The home's erasure secret (made, mode 0600, when ``create`` and missing), or None."""
    path = Home(home).erase_key
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip().encode("ascii")


def digest(key: bytes, value: str) -> str:
    """The tombstone of one contact key or identifier match key."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _connect(home: Path) -> sqlite3.Connection:
    con = sqlite3.connect(Home(home).tombstones)
    con.executescript(_SCHEMA)
    return con


def add_tombstones(home: Path, keys: Iterable[str], erasure: str) -> int:
    """Record tombstones for ``keys`` (contact and identifier keys); returns how many are new."""
    key = secret(home, create=True)
    assert key is not None
    at = datetime.now(UTC).isoformat(timespec="seconds")
    rows = sorted({(digest(key, k), k.split(":", 1)[0], at, erasure) for k in keys})
    con = _connect(home)
    try:
        with con:
            before = con.total_changes
            con.executemany("INSERT OR IGNORE INTO tombstones VALUES (?, ?, ?, ?)", rows)
            return con.total_changes - before
    finally:
        con.close()


def lift_tombstones(home: Path, keys: Iterable[str]) -> int:
    """Remove the tombstones of ``keys``, so the next run ingests them again; returns how many
    there were."""
    key = secret(home, create=False)
    if key is None or not Home(home).tombstones.exists():
        return 0
    con = _connect(home)
    try:
        with con:
            before = con.total_changes
            con.executemany(
                "DELETE FROM tombstones WHERE hash = ?", [(digest(key, k),) for k in keys]
            )
            return con.total_changes - before
    finally:
        con.close()


def tombstones(home: Path) -> set[str]:
    """Every tombstone hash of the home (empty when nothing was erased)."""
    if not Home(home).tombstones.exists():
        return set()
    con = sqlite3.connect(f"file:{Home(home).tombstones}?mode=ro", uri=True)
    try:
        return {h for (h,) in con.execute("SELECT hash FROM tombstones")}
    finally:
        con.close()


def tombstoned(contacts: pl.DataFrame, home: Path) -> pl.DataFrame:
    """The keys (source, source_id) of ``contacts`` that a tombstone of ``home`` blocks: the
    contact key or one of its phone, e-mail or handle match keys was erased."""
    hashes = tombstones(home)
    empty = pl.DataFrame(schema={"source": pl.String, "source_id": pl.String})
    if not hashes or contacts.is_empty():
        return empty
    key = secret(home, create=False)
    if key is None:
        raise TombstoneError(
            f"{Home(home).tombstones} holds tombstones but {Home(home).erase_key} is missing; "
            "restore the key from a backup of the home (without it erased people would come "
            "back), or remove tombstones.sqlite to lift every erasure"
        )
    keys = identifier_keys(contacts)
    hit = keys.filter(
        pl.col("key").map_elements(lambda k: digest(key, k) in hashes, return_dtype=pl.Boolean)
    )
    return hit.select("source", "source_id").unique().sort("source", "source_id")


def drop_tombstoned(drop: Ingested, home: Path) -> tuple[Ingested, int]:
    """``drop`` without the contacts a tombstone blocks, their interactions and their
    quarantine rows; and how many contacts left (a count: their values are never logged)."""
    blocked = tombstoned(drop.contacts, home)
    if blocked.is_empty():
        return drop, 0
    on = ["source", "source_id"]
    # quarantine rows without a key (unreadable rows) stay: a null key joins nothing
    quarantine = drop.quarantine.join(blocked, on=on, how="anti")
    kept = replace(
        drop,
        contacts=drop.contacts.join(blocked, on=on, how="anti"),
        interactions=drop.interactions.join(blocked, on=on, how="anti"),
        quarantine=quarantine,
    )
    return kept, drop.contacts.height - kept.contacts.height
