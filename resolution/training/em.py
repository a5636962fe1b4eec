"""Seeds from the data itself: Fellegi–Sunter weights estimated by EM over blocked pairs.

The cold-start rules (``resolution.training.seeds``) need contacts that share a phone, e-mail or
handle. Data with no shared identifier at all (a register of people: names, birth dates,
places) gives them nothing to start from. Here the evidence of names and the other fields is
weighed the way Splink does it, with no labels:

1. candidate pairs: contacts that share the full name, or a surname or given name together with
   another field's value (a birth date, a city), in groups small enough to compare;
2. each field of a pair is compared into a level: equal, alike (Jaro–Winkler ≥ 0.88), different,
   or missing (no evidence either way); two fields swapped between the records (a first name
   and a surname) are one ``reversed`` level of the first, the second missing;
3. ``u`` (how often two *different* people reach a level) is measured on random pairs, where
   almost every pair is two people; for "equal", it is the frequency of the shared value itself
   (term-frequency adjustment: sharing "Иванов" says less than sharing "Евдокимов");
4. ``m`` (how often one person's two records reach a level) and the share of matches among the
   candidates are estimated by expectation–maximisation, ``u`` held fixed.

The pairs EM is nearly sure of become labels: ``match`` above ``SURE``, ``distinct`` below
``1 - SURE``; the model is then trained on them as on any seed (``resolution.training.train``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

log = logging.getLogger("edin")

# Two values this alike (Jaro–Winkler) are the same value with a typo.
ALIKE = 0.88
# A blocking group larger than this is a common value, not a candidate: it is skipped.
MAX_GROUP = 100
# Candidate pairs compared at most (a seeded sample beyond it): seeds need thousands, not millions.
MAX_CANDIDATES = 300_000
RANDOM_PAIRS = 100_000
EM_ITERATIONS = 50
# A pair becomes a label when EM's posterior is at least this sure of it.
SURE = 0.99
LEVELS = ("different", "alike", "equal", "reversed")
REVERSED = 3
REASON = "EM over blocked pairs"


@dataclass(frozen=True)
class Estimate:
    """What EM learned: the share of matches among the candidates and, per field and level,
    how often a match (``m``) and a non-match (``u``, the average over values) reach it."""

    prior: float
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    candidates: int


# Two columns alike (Jaro–Winkler ≥ ALIKE) on this share of the contacts that have both hold
# the same thing (a config that maps first_name to the name and to a field of its own):
# comparing both would count one piece of evidence twice, which EM's independence assumption
# cannot absorb. The one with more values is kept.
REDUNDANT = 0.5


def compared_columns(contacts: pl.DataFrame) -> list[str]:
    """The text columns EM compares: the name parts, the city, every configured extra field
    that holds one string, one of each redundant pair (not the identifiers: their absence is
    what EM is for)."""
    base = [c for c in ("given_key", "surname_key", "city_key") if c in contacts.columns]
    extras = [c for c, t in contacts.schema.items() if c.startswith("f_") and t == pl.String]
    columns = base + extras
    coverage = {c: contacts[c].drop_nulls().len() for c in columns}
    con = duckdb.connect()
    try:
        con.register("contacts", contacts.select(columns))
        dropped: set[str] = set()
        for i, a in enumerate(columns):
            for b in columns[i + 1 :]:
                if a in dropped or b in dropped:
                    continue
                alike = con.sql(
                    f"SELECT avg((jaro_winkler_similarity(lower({a}), lower({b})) >= $alike)::INT)"
                    f" FROM contacts WHERE {a} IS NOT NULL AND {b} IS NOT NULL",
                    params={"alike": ALIKE},
                ).fetchall()[0][0]
                if alike is not None and alike >= REDUNDANT:
                    dropped.add(a if coverage[a] < coverage[b] else b)
    finally:
        con.close()
    return [c for c in columns if c not in dropped]


def blocking_rules(columns: list[str]) -> list[tuple[str, ...]]:
    """The columns whose equal values make candidate pairs, one rule per two compared columns
    (a surname and a birth date, a given name and a city...). As in Splink, the fields of a rule
    are all equal within its pairs, so each rule's EM pass estimates the others."""
    return [(a, b) for i, a in enumerate(columns) for b in columns[i + 1 :]]


def _candidates_sql(rule: tuple[str, ...]) -> str:
    key = " || '\x1f' || ".join(rule)
    present = " AND ".join(f"{c} IS NOT NULL" for c in rule)
    return f"""
WITH sized AS (
    SELECT record_id, {key} AS k, count(*) OVER (PARTITION BY {key}) AS n
    FROM contacts WHERE {present}
)
SELECT a.record_id AS l, b.record_id AS r
FROM sized a JOIN sized b ON a.k = b.k AND a.record_id < b.record_id
WHERE a.n <= $max_group
ORDER BY hash(a.record_id, b.record_id, $seed)
LIMIT $limit
"""


def _reversed(a: str, b: str) -> str:
    """SQL: the pair holds columns ``a`` and ``b`` swapped: one side's ``a`` is the other's
    ``b`` and the reverse, each equal or alike (a swap and a typo: "Zoe Spencer" and "Spencer
    Zoee"), while the two ``a`` are not alike."""
    return (
        f"(jaro_winkler_similarity(a.{a}, b.{b}) >= $alike "
        f"AND jaro_winkler_similarity(a.{b}, b.{a}) >= $alike "
        f"AND jaro_winkler_similarity(a.{a}, b.{a}) < $alike)"
    )


def _levels_sql(columns: list[str]) -> str:
    """Per pair of table ``pairs``: each column's level (NULL: missing on a side) and its left
    value (for the term frequency of an equal value).

    Two columns swapped between the records (a first name written as the surname and the
    surname as the first name: Splink's "columns reversed" level) are one event, not two
    disagreements: the first of the two columns takes the level ``reversed`` (its own ``m``
    and ``u``, so EM learns whether the data swaps them at all), the second says nothing."""
    parts = []
    for i, c in enumerate(columns):
        first = "".join(f"WHEN {_reversed(c, o)} THEN {REVERSED} " for o in columns[i + 1 :])
        second = "".join(f"WHEN {_reversed(o, c)} THEN NULL " for o in columns[:i])
        parts.append(
            f"CASE WHEN a.{c} IS NULL OR b.{c} IS NULL THEN NULL WHEN a.{c} = b.{c} THEN 2 "
            f"{first}{second}"
            f"WHEN jaro_winkler_similarity(a.{c}, b.{c}) >= $alike THEN 1 ELSE 0 END AS {c}"
        )
        parts.append(f"a.{c} AS {c}__value")
    return f"""
SELECT p.l, p.r, {", ".join(parts)}
FROM pairs p JOIN contacts a ON a.record_id = p.l JOIN contacts b ON b.record_id = p.r
"""


def _compare(
    con: duckdb.DuckDBPyConnection, pairs: pl.DataFrame, columns: list[str]
) -> pl.DataFrame:
    con.register("pairs", pairs)
    try:
        return con.sql(_levels_sql(columns), params={"alike": ALIKE}).pl()
    finally:
        con.unregister("pairs")


def _random_pairs(ids: np.ndarray, n: int, rng: np.random.Generator) -> pl.DataFrame:
    a, b = rng.integers(0, len(ids), size=n), rng.integers(0, len(ids), size=n)
    return (
        pl.DataFrame({"l": ids[np.minimum(a, b)], "r": ids[np.maximum(a, b)]})
        .filter(pl.col("l") != pl.col("r"))
        .unique(maintain_order=True)
    )


def _term_frequencies(contacts: pl.DataFrame, columns: list[str]) -> dict[str, dict[str, float]]:
    """Per column, each value's share of the contacts that have one: the chance that two
    different people agree on it by accident."""
    out = {}
    for c in columns:
        counts = contacts.select(c).drop_nulls().group_by(c).len()
        total = max(int(counts["len"].sum()), 1)
        out[c] = {v: n / total for v, n in counts.iter_rows()}
    return out


def estimate(
    levels: pl.DataFrame,
    random_levels: pl.DataFrame,
    columns: list[str],
    tf: dict[str, dict[str, float]],
) -> tuple[Estimate, np.ndarray]:
    """EM with ``u`` fixed from ``random_levels``: the estimate, and each candidate's
    posterior probability of being one person."""
    u: dict[str, list[float]] = {}
    for c in columns:
        seen = random_levels[c].drop_nulls()
        seen_total = max(seen.len(), 1)
        u[c] = [max(float((seen == lv).sum()) / seen_total, 1e-6) for lv in range(len(LEVELS))]
    n = levels.height
    level = {c: levels[c].to_numpy(allow_copy=True) for c in columns}
    present = {c: ~levels[c].is_null().to_numpy() for c in columns}
    # log u per pair: the level's average u, or the shared value's own frequency when equal
    log_u = np.zeros(n)
    for c in columns:
        lv = np.where(present[c], np.nan_to_num(level[c].astype(float), nan=0.0), 0).astype(int)
        per = np.log(np.array(u[c]))[lv]
        values = levels[f"{c}__value"].to_list()
        freq = np.array([tf[c].get(v, u[c][2]) if v is not None else u[c][2] for v in values])
        per = np.where(lv == 2, np.log(np.maximum(freq, 1e-6)), per)
        log_u += np.where(present[c], per, 0.0)
    m = {c: [0.1, 0.2, 0.6, 0.1] for c in columns}
    prior = 0.1
    post = np.zeros(n)
    for _ in range(EM_ITERATIONS):
        log_m = np.zeros(n)
        for c in columns:
            lv = np.where(present[c], np.nan_to_num(level[c].astype(float), nan=0.0), 0)
            log_m += np.where(present[c], np.log(np.array(m[c]))[lv.astype(int)], 0.0)
        odds = np.log(prior) - np.log1p(-prior) + log_m - log_u
        post = 1.0 / (1.0 + np.exp(-np.clip(odds, -50, 50)))
        prior = float(np.clip(post.mean(), 1e-4, 1 - 1e-4))
        for c in columns:
            w = post[present[c]]
            lv = level[c][present[c]].astype(int)
            total = max(float(w.sum()), 1e-9)
            m[c] = [max(float(w[lv == k].sum()) / total, 1e-6) for k in range(len(LEVELS))]
    return Estimate(prior=prior, m=m, u=u, candidates=n), post


def em_seed_labels(contacts: pl.DataFrame, *, max_pairs: int, seed: int) -> pl.DataFrame:
    """Seed labels (l, r, label, reason) from EM over blocked pairs: the candidates it is sure
    are one person, and those it is sure are two (hard negatives: they share a blocking key).

    One EM pass per blocking rule, each estimating the fields its rule does not hold equal; a
    pair is a match when one pass is sure of it, distinct when every pass that saw it is."""
    empty = pl.DataFrame(
        schema={"l": pl.Int64, "r": pl.Int64, "label": pl.String, "reason": pl.String}
    )
    columns = compared_columns(contacts)
    rules = blocking_rules(columns)
    if not rules:
        return empty
    table = contacts.select("record_id", *columns)
    tf = _term_frequencies(table, columns)
    rng = np.random.default_rng(seed)
    con = duckdb.connect()
    scored = []
    try:
        con.register("contacts", table)
        random_levels = _compare(
            con, _random_pairs(table["record_id"].to_numpy(), RANDOM_PAIRS, rng), columns
        )
        for rule in rules:
            fields = [c for c in columns if c not in rule]
            if not fields:
                continue
            candidates = con.sql(
                _candidates_sql(rule),
                params={"max_group": MAX_GROUP, "seed": seed, "limit": MAX_CANDIDATES},
            ).pl()
            if candidates.height < 10:
                continue
            levels = _compare(con, candidates, fields).sort("l", "r")
            fit, post = estimate(levels, random_levels, fields, tf)
            log.info(
                "EM over %d pairs sharing %s: %.1f %% one person; m:u of %s",
                fit.candidates,
                "+".join(rule),
                100 * fit.prior,
                "; ".join(
                    f"{c} "
                    + "/".join(f"{m:.2f}:{u:.3f}" for m, u in zip(fit.m[c], fit.u[c], strict=True))
                    for c in fields
                ),
            )
            scored.append(levels.select("l", "r").with_columns(pl.Series("p", post)))
    finally:
        con.close()
    if not scored:
        return empty
    best = (
        pl.concat(scored)
        .group_by("l", "r")
        .agg(pl.col("p").max().alias("hi"), pl.col("p").min().alias("lo"))
    )
    parts = []
    for label, keep in (("match", pl.col("hi") >= SURE), ("distinct", pl.col("hi") <= 1 - SURE)):
        group = best.filter(keep).select("l", "r").sort("l", "r")
        if group.height > max_pairs:
            pick = np.sort(rng.choice(group.height, size=max_pairs, replace=False))
            group = group[pick]
        log.info("seed labels: %d %s (%s)", group.height, label, REASON)
        parts.append(
            group.with_columns(pl.lit(label).alias("label"), pl.lit(REASON).alias("reason"))
        )
    return pl.concat(parts).sort("label", "l", "r")
