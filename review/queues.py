"""The review app's queues, as pure functions over snapshot tables:

- **uncertain pairs**: the active-learning queue (``resolution.feedback.label_queue``: pairs
  scored closest to 0.5, diverse), less what was decided or skipped, filtered by source,
  city, channel and score;
- **namesake groups**: contacts sharing one full name (the model's transliteration-free name
  key, at least two words) spread over two or more profiles: "four contacts named Иван Иванов:
  these two are one profile, these two undecided";
- **groups held for review**: contacts of an oversized cluster (``profiles.status ==
  "review"``) are published apart; the pairs scored at or above the threshold between them
  give the group back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from resolution import Key
from resolution.feedback import label_queue, read_answered_frame

PairKey = tuple[Key, Key]
PAIR_COLUMNS = ["source_l", "source_id_l", "source_r", "source_id_r"]


def pair_key(a: Key, b: Key) -> PairKey:
    """The pair with the smaller contact first (as decisions store it)."""
    lo, hi = sorted((a, b))
    return lo, hi


def item_id(kind: str, *parts: Any) -> str:
    """A stable, opaque identifier of a queue item (what a skip names)."""
    text = json.dumps([kind, *parts], ensure_ascii=False, sort_keys=True)
    return f"{kind}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


def pair_item(a: Key, b: Key) -> str:
    """The item of a pair: readable, so a skipped pair can be left out of the queue."""
    lo, hi = pair_key(a, b)
    return "pair:" + json.dumps([list(lo), list(hi)], ensure_ascii=False)


def parse_pair_item(item: str) -> PairKey | None:
    """The pair of a ``pair_item``; None for another kind of item."""
    if not item.startswith("pair:"):
        return None
    (sl, il), (sr, ir) = json.loads(item[len("pair:") :])
    return (sl, il), (sr, ir)


@dataclass(frozen=True)
class NamesakeGroup:
    """Contacts sharing one full name, in at least two profiles."""

    gid: str
    name_key: str
    display: str  # the most frequent written form
    keys: tuple[Key, ...]
    profiles: int


@dataclass(frozen=True)
class ReviewGroup:
    """Contacts of one cluster held back for its size, published apart."""

    gid: str
    keys: tuple[Key, ...]


@dataclass(frozen=True)
class PairStatus:
    a: Key
    b: Key
    same_profile: bool
    score: float | None
    decided: str | None  # "match" / "distinct" / None
    skipped: bool

    @property
    def open(self) -> bool:
        return self.decided is None and not self.skipped and not self.same_profile


def namesake_groups(contacts: pl.DataFrame) -> list[NamesakeGroup]:
    """Groups of contacts (columns source, source_id, display_name, name_key, profile_id)
    whose full-name key is equal and that sit in two or more profiles; biggest first."""
    full = contacts.filter(pl.col("name_key").str.contains(" "))
    grouped = (
        full.group_by("name_key")
        .agg(
            pl.struct("source", "source_id").sort_by("source", "source_id").alias("keys"),
            pl.col("profile_id").n_unique().alias("profiles"),
            pl.col("display_name").drop_nulls().mode().sort().first().alias("display"),
            pl.len().alias("n"),
        )
        .filter((pl.col("n") >= 2) & (pl.col("profiles") >= 2))
        .sort(["n", "name_key"], descending=[True, False])
    )
    out = []
    for row in grouped.iter_rows(named=True):
        keys = tuple((k["source"], k["source_id"]) for k in row["keys"])
        out.append(
            NamesakeGroup(
                gid=item_id("namesakes", row["name_key"]),
                name_key=row["name_key"],
                display=row["display"] or row["name_key"],
                keys=keys,
                profiles=row["profiles"],
            )
        )
    return out


def review_groups(
    contacts: pl.DataFrame, reasons: pl.DataFrame, threshold: float
) -> list[ReviewGroup]:
    """Connected groups of the given contacts (source, source_id) by the pairs among them
    scored at or above the threshold; groups of two or more, biggest first."""
    keys = [(s, i) for s, i in contacts.select("source", "source_id").iter_rows()]
    if not keys:
        return []
    index = {k: n for n, k in enumerate(keys)}
    parent = list(range(len(keys)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    strong = reasons.filter(pl.col("score") >= threshold).select(PAIR_COLUMNS)
    for sl, il, sr, ir in strong.iter_rows():
        a, b = index.get((sl, il)), index.get((sr, ir))
        if a is not None and b is not None:
            parent[find(a)] = find(b)
    groups: dict[int, list[Key]] = {}
    for k, n in index.items():
        groups.setdefault(find(n), []).append(k)
    found = [tuple(sorted(g)) for g in groups.values() if len(g) >= 2]
    found.sort(key=lambda g: (-len(g), g))
    return [ReviewGroup(item_id("review", [list(k) for k in g]), g) for g in found]


def pair_statuses(
    keys: Iterable[Key],
    profile_of: dict[Key, str],
    scores: dict[PairKey, float],
    decided: dict[PairKey, str],
    skipped: set[str],
) -> list[PairStatus]:
    """Every pair of the group's contacts with what is known of it: one profile already, the
    model's score (if it kept one), the latest decision, skipped by this operator."""
    keys = sorted(set(keys))
    out = []
    for n, a in enumerate(keys):
        for b in keys[n + 1 :]:
            pk = pair_key(a, b)
            out.append(
                PairStatus(
                    a=pk[0],
                    b=pk[1],
                    same_profile=profile_of.get(a) == profile_of.get(b),
                    score=scores.get(pk),
                    decided=decided.get(pk),
                    skipped=pair_item(a, b) in skipped,
                )
            )
    return out


def decided_frame(decided: dict[PairKey, str]) -> pl.DataFrame:
    rows = [(*a, *b) for a, b in decided]
    return pl.DataFrame(rows, schema=dict.fromkeys(PAIR_COLUMNS, pl.String), orient="row")


@dataclass(frozen=True)
class Filters:
    """What an operator narrows a queue to (empty: no filter)."""

    source: str = ""
    city: str = ""
    channel: str = ""
    score_min: float | None = None
    score_max: float | None = None

    def query(self) -> str:
        """The filters as a URL query string (empty ones left out)."""
        from urllib.parse import urlencode

        pairs = {
            "source": self.source,
            "city": self.city,
            "channel": self.channel,
            "score_min": "" if self.score_min is None else f"{self.score_min:g}",
            "score_max": "" if self.score_max is None else f"{self.score_max:g}",
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    def pairs(self, reasons: pl.DataFrame) -> pl.DataFrame:
        """Pair rows (with city_l/r, channels_l/r) where either side matches."""
        out = reasons
        if self.source:
            out = out.filter(
                (pl.col("source_l") == self.source) | (pl.col("source_r") == self.source)
            )
        if self.city:
            out = out.filter((pl.col("city_l") == self.city) | (pl.col("city_r") == self.city))
        if self.channel:
            out = out.filter(
                pl.col("channels_l").list.contains(self.channel)
                | pl.col("channels_r").list.contains(self.channel)
            )
        if self.score_min is not None:
            out = out.filter(pl.col("score") >= self.score_min)
        if self.score_max is not None:
            out = out.filter(pl.col("score") <= self.score_max)
        return out

    def contact(self, row: dict[str, Any]) -> bool:
        """Whether one contact (a row of the snapshot view's contacts) matches."""
        return (
            (not self.source or row["source"] == self.source)
            and (not self.city or row["city"] == self.city)
            and (not self.channel or self.channel in (row["channels"] or []))
        )


def uncertain_pairs(
    reasons: pl.DataFrame,
    members: pl.DataFrame,
    decided: dict[PairKey, str],
    skipped_pairs: list[PairKey],
    filters: Filters,
    size: int,
) -> pl.DataFrame:
    """The ``size`` most uncertain pairs no decision settles and the operator did not skip,
    within the filters, in asking order (``label_queue``'s rows)."""
    done = [*decided, *skipped_pairs]
    answered = read_answered_frame(decided_frame(dict.fromkeys(done, ""))) if done else None
    return label_queue(filters.pairs(reasons), members, answered, size)
