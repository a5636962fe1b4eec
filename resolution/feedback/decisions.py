"""Operator decisions: "not the same person" (unmerge) and "same person" (merge).

Decisions live in their own SQLite database in WAL mode (``HOME/decisions.sqlite``), apart
from the warehouse: the CLI (and later the review app) writes them, the pipeline only reads
them. Each decision is stored as it was made and as the contact pairs it implies:

- ``unmerge C...``: every contact given is *not* the same person as every other member its
  profile had in the published snapshot (cannot-link pairs);
- ``merge C...``: the contacts given are the same person (must-link pairs).

- ``distinct C...``: the contacts given are pairwise *not* the same person, whatever profiles
  they are in (stored as an ``unmerge`` of exactly those pairs).

The latest decision about a pair wins, so an unmerge undoes an earlier merge of the same
contacts. A decision can be revoked (the review app's "undo"): it is then as if it had never
been made, for the pipeline and for ``edin explain``; the row stays, with who revoked it and
when. The clustering stage enforces them whatever the model scores (invariant 3).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from resolution._typing import Key
from resolution.errors import DecisionError
from resolution.home import Home
from resolution.publishing.current import require_published
from resolution.stores import open_store

MATCH, DISTINCT = "match", "distinct"
PAIRS_SCHEMA = {
    "source_l": pl.String,
    "source_id_l": pl.String,
    "source_r": pl.String,
    "source_id_r": pl.String,
    "label": pl.String,
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('merge', 'unmerge')),
    contacts TEXT NOT NULL,          -- JSON list of [source, source_id]
    profile_ids TEXT NOT NULL,       -- JSON list: the profiles they were in when decided
    snapshot TEXT,                   -- run ID of the snapshot the decision was made on
    operator TEXT,
    note TEXT
);
CREATE TABLE IF NOT EXISTS pair_decisions (
    decision_id INTEGER NOT NULL REFERENCES decisions (id),
    source_l TEXT NOT NULL, source_id_l TEXT NOT NULL,
    source_r TEXT NOT NULL, source_id_r TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label IN ('match', 'distinct'))
);
CREATE INDEX IF NOT EXISTS pair_decisions_pair
    ON pair_decisions (source_l, source_id_l, source_r, source_id_r);
-- a decision undone: it no longer counts anywhere (kept for the record)
CREATE TABLE IF NOT EXISTS revocations (
    decision_id INTEGER PRIMARY KEY REFERENCES decisions (id),
    at TEXT NOT NULL,
    operator TEXT
);
"""

# Pair rows of decisions that still count (not revoked). A database written before
# revocations existed has no such table until its next write: readers ask (``_has_revocations``).
_LIVE_PAIRS = """
(SELECT * FROM pair_decisions
 WHERE decision_id NOT IN (SELECT decision_id FROM revocations))"""


def _pairs_source(revocations: bool) -> str:
    """The pair rows a reader counts: all of them, less those of revoked decisions."""
    return _LIVE_PAIRS if revocations else "pair_decisions"


def _latest_sql(revocations: bool) -> str:
    """The latest decision per pair (decision IDs grow with time)."""
    return f"""
SELECT source_l, source_id_l, source_r, source_id_r, label FROM (
    SELECT *, row_number() OVER (PARTITION BY source_l, source_id_l, source_r, source_id_r
                                 ORDER BY decision_id DESC) AS n
    FROM {_pairs_source(revocations)})
WHERE n = 1
ORDER BY source_l, source_id_l, source_r, source_id_r
"""


@dataclass(frozen=True)
class Recorded:
    decision_id: int
    kind: str
    profile_ids: tuple[str, ...]
    pairs: int


def parse_contact(text: str) -> Key:
    """``SOURCE:SOURCE_ID`` (the ID may itself contain colons)."""
    source, sep, source_id = text.partition(":")
    if not sep or not source or not source_id:
        raise DecisionError(
            f"contact {text!r} should be written SOURCE:SOURCE_ID, such as vk:808301380"
        )
    return source, source_id


@contextmanager
def connect(home: Path) -> Iterator[sqlite3.Connection]:
    """The decisions database (created on first use, WAL mode), committed on success."""
    with open_store(Home(home).decisions, _SCHEMA) as con:
        yield con


def _pair(a: Key, b: Key, label: str) -> tuple[str, str, str, str, str]:
    lo, hi = sorted((a, b))
    return (*lo, *hi, label)


def _record(
    home: Path,
    kind: str,
    contacts: list[Key],
    profile_ids: list[str],
    snapshot: str,
    pairs: Iterable[tuple[str, str, str, str, str]],
    operator: str | None,
    note: str | None,
) -> Recorded:
    rows = sorted(set(pairs))
    with connect(home) as con:
        cur = con.execute(
            "INSERT INTO decisions (at, kind, contacts, profile_ids, snapshot, operator, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                datetime.now(UTC).isoformat(timespec="seconds"),
                kind,
                json.dumps(contacts, ensure_ascii=False),
                json.dumps(profile_ids),
                snapshot,
                operator,
                note,
            ),
        )
        decision_id = int(cur.lastrowid or 0)
        con.executemany(
            "INSERT INTO pair_decisions VALUES (?, ?, ?, ?, ?, ?)",
            [(decision_id, *r) for r in rows],
        )
    return Recorded(
        decision_id=decision_id, kind=kind, profile_ids=tuple(profile_ids), pairs=len(rows)
    )


def _profiles_of(home: Path, contacts: list[Key]) -> tuple[str, dict[Key, str], pl.DataFrame]:
    published = require_published(home)
    members = published.members
    where = {
        (s, i): p for p, s, i in members.select("profile_id", "source", "source_id").iter_rows()
    }
    unknown = [f"{s}:{i}" for s, i in contacts if (s, i) not in where]
    if unknown:
        raise DecisionError(
            f"contact(s) {', '.join(unknown)} not in the published snapshot "
            f"{published.run_id}; see {home}/current/members.parquet"
        )
    return published.run_id, {c: where[c] for c in contacts}, members


def record_unmerge(
    home: Path, contacts: list[Key], operator: str | None = None, note: str | None = None
) -> Recorded:
    """These contacts are not the same person as the rest of their (published) profile."""
    if not contacts:
        raise DecisionError("name at least one contact to take out of its profile")
    snapshot, profile_of, members = _profiles_of(home, contacts)
    chosen = set(contacts)
    pairs = []
    for pid in sorted(set(profile_of.values())):
        rest = [
            (s, i)
            for s, i in members.filter(pl.col("profile_id") == pid)
            .select("source", "source_id")
            .iter_rows()
            if (s, i) not in chosen
        ]
        if not rest:
            names = ", ".join(f"{s}:{i}" for s, i in contacts if profile_of[(s, i)] == pid)
            raise DecisionError(
                f"{names} already make up the whole profile {pid}; nothing to take them out of"
            )
        pairs += [_pair(c, r, DISTINCT) for c in contacts if profile_of[c] == pid for r in rest]
    return _record(
        home, "unmerge", contacts, sorted(set(profile_of.values())), snapshot, pairs, operator, note
    )


def record_merge(
    home: Path, contacts: list[Key], operator: str | None = None, note: str | None = None
) -> Recorded:
    """These contacts (and so their profiles) are the same person."""
    if len(set(contacts)) < 2:
        raise DecisionError("name at least two contacts that are the same person")
    snapshot, profile_of, _ = _profiles_of(home, contacts)
    first, *others = sorted(set(contacts))
    pairs = [_pair(first, c, MATCH) for c in others]
    return _record(
        home, "merge", contacts, sorted(set(profile_of.values())), snapshot, pairs, operator, note
    )


def pair_decisions(home: Path) -> pl.DataFrame:
    """The latest decision per contact pair: (source_l, source_id_l, source_r, source_id_r,
    label), revoked decisions left out. Empty when no decision was ever made. Read-only: the
    pipeline never writes here."""
    path = Home(home).decisions
    if not path.exists():
        return pl.DataFrame(schema=PAIRS_SCHEMA)
    with _read_only(path) as con:
        rows = con.execute(_latest_sql(_has_revocations(con))).fetchall()
    return pl.DataFrame(rows, schema=PAIRS_SCHEMA, orient="row")


@dataclass(frozen=True)
class PairDecision:
    """One contact pair of one decision, as it was made."""

    decision_id: int
    kind: str
    at: str
    operator: str | None
    left: Key
    right: Key
    label: str


def _history_sql(revocations: bool) -> str:
    """Every pair of every decision that still counts, oldest first."""
    return f"""
SELECT d.id, d.kind, d.at, d.operator, p.source_l, p.source_id_l, p.source_r, p.source_id_r,
       p.label
FROM {_pairs_source(revocations)} p JOIN decisions d ON d.id = p.decision_id
ORDER BY d.id, p.source_l, p.source_id_l, p.source_r, p.source_id_r
"""


def decision_history(home: Path) -> list[PairDecision]:
    """Every pair of every decision not revoked, oldest first (empty when no decision was ever
    made).
    Read-only: a reader of the snapshot (``edin explain``) may call it at any time."""
    path = Home(home).decisions
    if not path.exists():
        return []
    with _read_only(path) as con:
        rows = con.execute(_history_sql(_has_revocations(con))).fetchall()
    return [
        PairDecision(int(d), kind, at, op, (sl, il), (sr, ir), label)
        for d, kind, at, op, sl, il, sr, ir, label in rows
    ]


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        yield con
    finally:
        con.close()


def _has_revocations(con: sqlite3.Connection) -> bool:
    row = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'revocations'"
    ).fetchone()
    return row is not None


def record_distinct(
    home: Path, contacts: list[Key], operator: str | None = None, note: str | None = None
) -> Recorded:
    """These contacts are pairwise not the same person, whatever profiles they are in now
    (two namesakes in two profiles, or two contacts of one profile: the next run splits it
    between them). Stored as an ``unmerge`` of exactly these pairs."""
    chosen = sorted(set(contacts))
    if len(chosen) < 2:
        raise DecisionError("name at least two contacts that are not the same person")
    snapshot, profile_of, _ = _profiles_of(home, chosen)
    pairs = [_pair(a, b, DISTINCT) for i, a in enumerate(chosen) for b in chosen[i + 1 :]]
    return _record(
        home, "unmerge", contacts, sorted(set(profile_of.values())), snapshot, pairs, operator, note
    )


def revoke_decision(home: Path, decision_id: int, operator: str | None = None) -> bool:
    """Undo a decision: from now on it counts nowhere (the pipeline, ``edin explain``), as if
    it had never been made; an earlier decision about the same pairs counts again. Returns
    False when it was already revoked; a ``DecisionError`` when there is no such decision."""
    with connect(home) as con:
        if con.execute("SELECT 1 FROM decisions WHERE id = ?", (decision_id,)).fetchone() is None:
            raise DecisionError(f"there is no decision #{decision_id} in {Home(home).decisions}")
        cur = con.execute(
            "INSERT OR IGNORE INTO revocations (decision_id, at, operator) VALUES (?, ?, ?)",
            (decision_id, datetime.now(UTC).isoformat(timespec="seconds"), operator),
        )
        return cur.rowcount == 1
