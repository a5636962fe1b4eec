"""The published snapshot as the review app reads it: loaded once per snapshot (reloaded when
``HOME/current`` is switched), indexed for the pages, never the warehouse.

Everything here comes from ``resolution.publishing.read_explainable`` / ``read_published``
and the snapshot's history table; the indexes (contact → profile, profile → contacts, values
→ profiles, namesake groups, groups held for review) are built at load so that a page
answers in milliseconds on a 50,000-contact home.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from normalizers import normalize_email, normalize_handle, normalize_phones
from resolution import Home, Key, NoSnapshotError
from resolution.publishing import parse_record, read_explainable, read_published
from review.queues import NamesakeGroup, ReviewGroup, namesake_groups, review_groups

NAME_KEY = "name_key"


def fold(text: str) -> str:
    """Text for a name search: lower case, ё as е."""
    return text.lower().replace("ё", "е")


@dataclass
class SnapshotView:
    """One published snapshot, indexed for the review app."""

    run_id: str
    path: Path
    threshold: float
    members: pl.DataFrame
    profiles: pl.DataFrame
    contacts_frame: pl.DataFrame
    reasons: pl.DataFrame  # pair_reasons plus each side's city and channels (for filters)
    history: pl.DataFrame
    id_map: pl.DataFrame
    changes: pl.DataFrame
    contacts: dict[Key, dict[str, Any]] = field(default_factory=dict)
    profile_of: dict[Key, str] = field(default_factory=dict)
    members_of: dict[str, list[Key]] = field(default_factory=dict)
    profile_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    resolves: dict[str, str | None] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    by_value: dict[str, set[str]] = field(default_factory=dict)
    namesakes: list[NamesakeGroup] = field(default_factory=list)
    review: list[ReviewGroup] = field(default_factory=list)
    # the pairs a rule of the cluster stage kept apart (the snapshot's kept_apart), by sorted keys
    kept_apart: dict[tuple[Key, Key], dict[str, Any]] = field(default_factory=dict)
    _records: dict[Key, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, home: Path) -> SnapshotView:
        snap = read_explainable(home)
        published = read_published(home)
        if published is None:
            raise NoSnapshotError(f"{home}/current is not a published snapshot")
        history = pl.read_parquet(snap.path / "history.parquet")
        channels = (
            history.group_by("source", "source_id")
            .agg(pl.col("channel").drop_nulls().unique().sort().alias("channels"))
            .select("source", "source_id", "channels")
        )
        contacts = (
            snap.contacts.join(snap.members, on=["source", "source_id"], how="left")
            .join(channels, on=["source", "source_id"], how="left")
            .with_columns(
                pl.col("channels").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                pl.col("match_record").str.json_path_match("$.name").alias(NAME_KEY),
            )
        )
        sides = contacts.select("source", "source_id", "city", "channels")
        reasons = (
            snap.reasons.collect()
            .join(
                sides.rename(lambda c: f"{c}_l"),
                on=["source_l", "source_id_l"],
                how="left",
            )
            .join(
                sides.rename(lambda c: f"{c}_r"),
                on=["source_r", "source_id_r"],
                how="left",
            )
        )
        view = cls(
            run_id=snap.path.name,
            path=snap.path,
            threshold=snap.threshold,
            members=snap.members,
            profiles=snap.profiles,
            contacts_frame=contacts,
            reasons=reasons,
            history=history.sort("started_at", "interaction_id", descending=[True, False]),
            id_map=published.id_map,
            changes=published.changes,
            kept_apart=snap.kept_apart_by_pair,
        )
        view._index()
        return view

    def _index(self) -> None:
        for row in self.contacts_frame.iter_rows(named=True):
            key = (row["source"], row["source_id"])
            self.contacts[key] = row
            pid = row["profile_id"]
            self.profile_of[key] = pid
            self.members_of.setdefault(pid, []).append(key)
            for value in self._values(row):
                self.by_value.setdefault(value, set()).add(pid)
        for keys in self.members_of.values():
            keys.sort()
        for row in self.profiles.iter_rows(named=True):
            self.profile_rows[row["profile_id"]] = row
        for pid, current in self.id_map.select("profile_id", "current_id").iter_rows():
            self.resolves[pid] = current
            if current is not None:
                self.aliases.setdefault(current, []).append(pid)
        for pid in self.profile_rows:
            self.resolves.setdefault(pid, pid)
            ids = self.aliases.setdefault(pid, [])
            if pid not in ids:
                ids.append(pid)
        self.namesakes = namesake_groups(self.contacts_frame)
        review_keys = self.contacts_frame.filter(
            pl.col("profile_id").is_in(
                self.profiles.filter(pl.col("status") == "review")["profile_id"].implode()
            )
        )
        self.review = review_groups(review_keys, self.reasons, self.threshold)

    @staticmethod
    def _values(row: dict[str, Any]) -> set[str]:
        """The search keys of one contact: phones, e-mails, handles and nicknames."""
        out = set(row["phones"] or [])
        for email in row["emails"] or []:
            out.add(email.lower())
            key = normalize_email(email)
            if key:
                out.add(key.key)
        for handle in row["handles"] or []:
            out.add(handle.lower())
            out.add("@" + handle.partition(":")[2].lower())
        return out

    # lookups

    def record(self, key: Key) -> dict[str, Any]:
        """The contact as the model compared it (parsed once)."""
        if key not in self._records:
            self._records[key] = parse_record(self.contacts[key]["match_record"])
        return self._records[key]

    def pair_row(self, a: Key, b: Key) -> dict[str, Any] | None:
        """The kept pair's scores and reasons, or None (never compared, or not kept)."""
        lo, hi = sorted((a, b))
        got = self.reasons.filter(
            (pl.col("source_l") == lo[0])
            & (pl.col("source_id_l") == lo[1])
            & (pl.col("source_r") == hi[0])
            & (pl.col("source_id_r") == hi[1])
        )
        return got.row(0, named=True) if got.height else None

    def kept_apart_row(self, a: Key, b: Key) -> dict[str, Any] | None:
        """The kept_apart row of a pair (which rule dropped its link), or None."""
        return self.kept_apart.get((a, b) if a <= b else (b, a))  # as Explainable keys it

    def contact_history(self, key: Key, limit: int = 5) -> list[dict[str, Any]]:
        rows = self.history.filter(
            (pl.col("source") == key[0]) & (pl.col("source_id") == key[1])
        ).head(limit)
        return list(rows.iter_rows(named=True))

    def profile_history(self, pid: str, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.history.filter(pl.col("profile_id") == pid).head(limit)
        return list(rows.iter_rows(named=True))

    def resolve(self, requested: str) -> str | None:
        """The live profile ID for ``requested`` (itself or its successor), or None."""
        return self.resolves.get(requested)

    @cached_property
    def name_index(self) -> pl.DataFrame:
        """(folded name, profile_id) of every contact and golden record with a name."""
        return pl.concat(
            [
                self.contacts_frame.select(
                    pl.col("display_name").alias("name"), "profile_id"
                ).drop_nulls(),
                self.profiles.select(
                    pl.col("display_name").alias("name"), "profile_id"
                ).drop_nulls(),
            ]
        ).select(
            pl.col("name").str.to_lowercase().str.replace_all("ё", "е").alias("folded"),
            "profile_id",
        )

    @cached_property
    def sources(self) -> list[str]:
        return sorted(set(self.contacts_frame["source"].to_list()))

    @cached_property
    def cities(self) -> list[str]:
        return sorted(set(self.contacts_frame["city"].drop_nulls().to_list()))

    @cached_property
    def channels(self) -> list[str]:
        return sorted(set(self.history["channel"].drop_nulls().to_list()))

    def search(self, query: str, limit: int = 50) -> list[str]:
        """Profile IDs matching a phone, e-mail, handle or (part of) a name."""
        query = query.strip()
        if not query:
            return []
        found: set[str] = set()
        digits = sum(c.isdigit() for c in query)
        if digits >= 5:
            for phone in normalize_phones(query):
                found |= self.by_value.get(phone.e164, set())
        if "@" in query and not query.startswith("@"):
            key = normalize_email(query)
            found |= self.by_value.get(query.lower(), set())
            if key:
                found |= self.by_value.get(key.key, set())
        if query.startswith("@") or "/" in query or ":" in query:
            found |= self.by_value.get(query.lower(), set())
            handle = normalize_handle(query)
            if handle:
                found |= self.by_value.get(handle.key, set())
                if handle.nickname:
                    found |= self.by_value.get("@" + handle.nickname, set())
        if not found and digits < 5:
            words = [w for w in fold(query).split() if w]
            hits = self.name_index
            for word in words:
                hits = hits.filter(pl.col("folded").str.contains(word, literal=True))
            found = set(hits["profile_id"].unique().to_list())
        return sorted(found, key=lambda p: (-(self.profile_rows[p]["contacts"] or 0), p))[:limit]


class SnapshotCache:
    """The current snapshot's view, reloaded when ``HOME/current`` points elsewhere (one
    ``readlink`` per request)."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self._view: SnapshotView | None = None
        self._target: Path | None = None
        self._lock = threading.Lock()

    def get(self) -> SnapshotView:
        target = Home(self.home).current_target()
        if target is None:
            raise NoSnapshotError(f"nothing published in {self.home} yet; run `edin run`")
        if target != self._target or self._view is None:
            with self._lock:
                if target != self._target or self._view is None:
                    self._view, self._target = SnapshotView.load(self.home), target
        return self._view
