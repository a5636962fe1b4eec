"""The name-only guard's weights estimated from the home itself, without any truth.

The guard (``resolution.matching.guard``) weighs a pair that only a shared full name connects:
prior odds ``name_odds / n`` for a name borne by ``n`` contacts, times the Bayes factors of the
context (the same city or another, how far apart in time the two were created, two different
phones or e-mails). Its constants were fitted on one generated seed with the truth; another
home (other city distributions, time spans, name frequencies) needs its own. They are
estimated here as Fellegi and Sunter (and Splink) do, on exactly the pairs the guard decides:

1. the population: pairs of contacts bearing one full name (two words) that nothing else links
   (no shared phone, e-mail, handle, nickname, agreeing configured field: ``guard._linked``), of
   names borne by at most ``MAX_BEARERS`` contacts, a seeded sample of ``MAX_PAIRS`` at most.
   Pairs that share an identifier are left out on purpose: they are the identifier-rich
   contacts, whose context differs from that of the contacts the guard judges;
2. each pair's levels: city (same, other; missing on a side: no evidence), creation time (the
   guard's steps; missing: no evidence), phones and e-mails (a conflict: both sides hold some
   and none is shared, or not);
3. ``u`` (how often two different people reach a level) from ``RANDOM_PAIRS`` random pairs of
   contacts bearing a full name (the namesakes' kind of contact: a channel that gives a full
   name has its own identifiers, cities and times), where almost every pair is two people;
4. ``m`` per level and ``name_odds`` by expectation-maximisation, ``u`` held fixed: a pair's
   prior odds of being one person are ``name_odds / n`` (the term-frequency adjustment: the
   chance that two strangers share a name grows with its bearers), so that the pairs of rare
   and of common names, mixed in known proportions, tell the two kinds of pair apart. ``m``
   is a posterior mode: the pairs that share a name and an identifier (one person nearly
   always, but richer in identifiers than those the guard judges) give it a Dirichlet prior
   worth ``PRIOR_PAIRS`` pairs, which the home's own pairs outweigh where they say much.

A missing city or time weighs nothing, as in the guard (and as Splink's null level). Within
the population "no conflict" is a level like any other: its Bayes factor is folded into
``name_odds`` so that it weighs 0 in the guard, as it does there, and a conflict is measured
against it (the same posterior, the guard's form).

With too little data the constants stay: fewer than ``MIN_PAIRS`` pairs or fewer than
``MIN_MATCHES`` expected matches among them keep them all; a comparison whose informative levels
(a city or a time on both sides, a conflict) hold fewer than ``MIN_MATCHES`` pairs, or as many
expected matches, keeps its own; fewer than ``MIN_COMPARISONS`` comparisons left with data keep
them all (two comparisons do not tell two kinds of pair apart). Every estimate is held within
``BOUNDS`` (the signs the guard's reasoning needs: a conflict never adds). The result is kept
in the model (``MatchModel.stats["name_weights"]``) and fixed until the model is retrained.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from resolution.matching.comparison import PairColumns, RecordColumns
from resolution.matching.fields import NAME_COUNT, FieldSpec, FrameRecords
from resolution.matching.guard import (
    CONFLICT_BITS,
    CREATED_BITS,
    DEFAULT_WEIGHTS,
    NameWeights,
    _linked,
    created_steps,
)

log = logging.getLogger("edin")

# Names borne by more contacts than this give no pairs (their pairs are many and nearly all
# two people: the random pairs already say how two people look).
MAX_BEARERS = 20
# Name-sharing pairs compared at most (a seeded sample beyond it).
MAX_PAIRS = 200_000
RANDOM_PAIRS = 200_000
EM_ITERATIONS = 200
# The least data that estimates anything: name-sharing pairs, expected matches among them.
MIN_PAIRS = 500
MIN_MATCHES = 100.0
# The least context comparisons with data (pairs at a level other than the reference: a city
# on both sides, a time on both, a conflict): a mixture of two kinds of pair is told apart by
# three conditionally independent comparisons at least (two leave it unidentified: on
# fake_20000 without e-mails, the city alone, EM took "same city" for "one person").
MIN_COMPARISONS = 3
# Each estimate's range (bits; odds for name_odds).
BOUNDS = {
    "name_odds": (0.5, 16.0),
    "city_same": (0.0, 4.0),
    "city_other": (-6.0, 0.0),
    "created": (-4.0, 2.0),
    "conflict": (-8.0, 0.0),
}
# The weight, in pairs, of the prior on m that the pairs sharing a name and an identifier give
# (``anchor_prior``): EM's own pairs (ten thousand expected matches on 50,000 generated
# contacts) outweigh it where they say much; where they say little (a city that tells nothing,
# leaving EM two weak comparisons) it holds m near what one person's contacts look like. On
# generated seed 888 with its cities shuffled, EM alone put two phones at -4.6 bits (truth
# -2.6), two e-mails at -5.5 (-2.4); with the prior -2.4 and -1.7. On seed 9090 (EM alone
# within 0.4 bit of the truth) the prior moves the e-mails' from -2.6 to -1.6 (truth -2.4),
# another city's from -2.5 to -1.8 (-2.1), the others by at most 0.4 bit: a price for not
# drifting where the data say little.
PRIOR_PAIRS = 1000.0
# Pseudo-counts added to each level (of m and u): a level never seen is not impossible.
SMOOTHING = 0.5


@dataclass(frozen=True)
class Comparison:
    """One context comparison: its levels per pair (-1 never), the level whose Bayes factor
    the guard weighs 0 (``reference``), and the number of levels."""

    name: str
    levels: np.ndarray
    reference: int
    count: int


@dataclass
class Estimate:
    """What EM found: the weights, and how much data stood behind them."""

    weights: NameWeights
    pairs: int = 0
    matches: float = 0.0
    iterations: int = 0
    evidence: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.weights.to_json(),
            "pairs": self.pairs,
            "expected_matches": round(self.matches, 1),
            "em_iterations": self.iterations,
            "evidence": {k: round(v, 1) for k, v in self.evidence.items()},
        }


def _levels(cols: PairColumns, names: set[str]) -> list[Comparison]:
    """The context comparisons of the pairs (those of the guard whose field is a match field);
    a missing city or time is level -1 (no evidence either way, as in the guard)."""
    out = []
    if "city" in names:
        a, b = cols.field("city")
        both = np.array([x is not None and y is not None for x, y in zip(a, b, strict=True)])
        same = np.array([x is not None and x == y for x, y in zip(a, b, strict=True)])
        out.append(Comparison("city", np.where(same, 0, np.where(both, 1, -1)), -1, 2))
    if "created" in names:
        step = created_steps(*cols.field("created"), CREATED_BITS)
        out.append(Comparison("created", step, -1, len(CREATED_BITS)))
    for name in CONFLICT_BITS:
        if name in names:
            a, b = cols.field(name)
            conflict = np.array(
                [bool(x) and bool(y) and set(x).isdisjoint(y) for x, y in zip(a, b, strict=True)]
            )
            out.append(Comparison(name, np.where(conflict, 0, 1), 1, 2))
    return out


def _shares(
    levels: np.ndarray,
    count: int,
    weight: np.ndarray | None = None,
    prior: np.ndarray | None = None,
) -> np.ndarray:
    """The (weighted) share of each level among the pairs that have one (not -1), smoothed,
    with ``prior`` pseudo-counts added."""
    known = levels >= 0
    seen = np.bincount(
        levels[known], weights=None if weight is None else weight[known], minlength=count
    )
    if prior is not None:
        seen = seen + prior
    return (seen + SMOOTHING) / (seen.sum() + SMOOTHING * count)


def _name_pairs(recs: FrameRecords, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left, right, n): record ids of pairs bearing one full name borne by at most
    ``MAX_BEARERS`` contacts, and its count; a seeded sample of ``MAX_PAIRS`` at most."""
    named = pl.DataFrame(
        [recs.id_series(), recs.series("name"), recs.series(NAME_COUNT).alias("n")]
    ).filter(pl.col("name").str.contains(" ") & (pl.col("n") > 1) & (pl.col("n") <= MAX_BEARERS))
    pairs = (
        named.join(named.select("record_id", "name"), on="name", suffix="_r")
        .filter(pl.col("record_id") < pl.col("record_id_r"))
        .select("record_id", "record_id_r", "n")
        .sort("record_id", "record_id_r")
    )
    if pairs.height > MAX_PAIRS:
        rng = np.random.default_rng(seed)
        pairs = pairs[np.sort(rng.choice(pairs.height, size=MAX_PAIRS, replace=False))]
    return (
        pairs["record_id"].to_numpy(),
        pairs["record_id_r"].to_numpy(),
        pairs["n"].to_numpy().astype(float),
    )


def _full_named(recs: FrameRecords) -> np.ndarray:
    """The record ids of the contacts bearing a full name (two words): the namesakes' kind of
    contact (a channel that gives a full name gives its own identifiers, cities, times)."""
    named = pl.DataFrame([recs.id_series(), recs.series("name")])
    return named.filter(pl.col("name").str.contains(" "))["record_id"].to_numpy()


def _anchor_levels(cols: PairColumns, names: set[str]) -> list[Comparison]:
    """``_levels`` of pairs that share an identifier, less, for a conflict, the pairs that share
    that very field (they cannot conflict on it: counting them would make a conflict look
    rarer in one person than it is)."""
    out = []
    for c in _levels(cols, names):
        if c.name in CONFLICT_BITS:
            a, b = cols.field(c.name)
            shared = np.array(
                [
                    bool(x) and bool(y) and not set(x).isdisjoint(y)
                    for x, y in zip(a, b, strict=True)
                ],
                dtype=bool,
            )
            c = Comparison(c.name, np.where(shared, -1, c.levels), c.reference, c.count)
        out.append(c)
    return out


def anchor_prior(anchors: Sequence[Comparison]) -> dict[str, np.ndarray]:
    """Dirichlet pseudo-counts for ``m``: the levels of the pairs that share a name *and* an
    identifier (one person, nearly always), ``PRIOR_PAIRS`` of them per comparison."""
    out = {}
    for c in anchors:
        seen = np.bincount(c.levels[c.levels >= 0], minlength=c.count).astype(float)
        if seen.sum() > 0:
            out[c.name] = PRIOR_PAIRS * seen / seen.sum()
    return out


def fit(
    n: np.ndarray,
    comparisons: Sequence[Comparison],
    u: dict[str, np.ndarray],
    prior: dict[str, np.ndarray] | None = None,
) -> tuple[float, dict[str, np.ndarray], np.ndarray, int]:
    """EM with ``u`` fixed: the pairs' prior odds ``name_odds / n``, each comparison's ``m``
    per level (a posterior mode when ``prior`` gives pseudo-counts: ``anchor_prior``). Returns
    (name_odds, m, each pair's posterior, iterations)."""
    prior = prior or {}
    odds = DEFAULT_WEIGHTS.name_odds
    # start from the constants: m = u * 2^bits of the default weights, normalised
    m = {c.name: u[c.name] * np.exp2(_default_bits(c)) for c in comparisons}
    m = {k: v / v.sum() for k, v in m.items()}
    log_u = sum((_per_pair(u[c.name], c) for c in comparisons), np.zeros(len(n)))
    post = np.zeros(len(n))
    done = 0
    while done < EM_ITERATIONS:
        done += 1
        log_m = sum((_per_pair(m[c.name], c) for c in comparisons), np.zeros(len(n)))
        z = np.log(odds) - np.log(n) + log_m - log_u
        new = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
        m = {c.name: _shares(c.levels, c.count, new, prior.get(c.name)) for c in comparisons}
        # the prior's odds: the fixed point of sum(w) / odds = sum(1 / (n + odds))
        total = float(new.sum())
        for _ in range(50):
            odds = max(total / float(np.sum(1.0 / (n + odds))), 1e-6)
        if np.max(np.abs(new - post)) < 1e-7:
            post = new
            break
        post = new
    return odds, m, post, done


def _per_pair(p: np.ndarray, c: Comparison) -> np.ndarray:
    """log p of each pair's level; 0 where it has none (-1: no evidence)."""
    return np.where(c.levels >= 0, np.log(p)[np.maximum(c.levels, 0)], 0.0)


def _default_bits(c: Comparison) -> np.ndarray:
    """A comparison's Bayes factors (bits) per level under the default weights."""
    w = DEFAULT_WEIGHTS
    if c.name == "city":
        return np.array([w.city_same, w.city_other])
    if c.name == "created":
        return np.array([b for _, b in w.created])
    return np.array([w.conflicts[c.name], 0.0])


def _clip(value: float, bounds: tuple[float, float]) -> float:
    return float(min(max(value, bounds[0]), bounds[1]))


def estimate_name_weights(
    frame: pl.DataFrame, specs: Sequence[FieldSpec], seed: int = 0
) -> Estimate:
    """The guard's weights of the home whose ``record_frame`` is ``frame`` (see the module
    docstring); the defaults (``source`` "default") when it holds too little to say."""
    recs = FrameRecords(frame, specs)
    names = {s.name for s in specs}
    if "name" not in names or len(recs) < 2:
        return Estimate(DEFAULT_WEIGHTS)
    left, right, n = _name_pairs(recs, seed)
    rng = np.random.default_rng(seed)
    ids = _full_named(recs)
    a, b = rng.integers(0, len(ids), RANDOM_PAIRS), rng.integers(0, len(ids), RANDOM_PAIRS)
    keep = a != b
    random_l, random_r = ids[a[keep]], ids[b[keep]]
    # the values of the records these pairs read, not of every contact (a million of them)
    read = np.unique(np.concatenate([left, right, random_l, random_r]))
    few = FrameRecords(frame.filter(pl.col("record_id").is_in(pl.Series(read).implode())), specs)
    columns = RecordColumns(few, [*names, NAME_COUNT])
    free = ~_linked(columns.pairs(left, right), specs)
    linked = columns.pairs(left[~free], right[~free])
    prior = anchor_prior(_anchor_levels(linked, names)) if (~free).sum() >= MIN_MATCHES else {}
    left, right, n = left[free], right[free], n[free]
    if len(n) < MIN_PAIRS:
        log.info("name weights: %d name-sharing pairs, too few: the defaults kept", len(n))
        return Estimate(DEFAULT_WEIGHTS, pairs=len(n))
    comparisons = _levels(columns.pairs(left, right), names)
    random = _levels(columns.pairs(random_l, random_r), names)
    u = {c.name: _shares(c.levels, c.count) for c in random}

    # a comparison the pairs hardly ever make (no cities, no two phones) says nothing
    seen = {c.name: int(np.sum(c.levels != c.reference)) for c in comparisons}
    mute = {name for name, count in seen.items() if count < MIN_MATCHES}
    if len(comparisons) - len(mute) < MIN_COMPARISONS:
        log.info(
            "name weights: %d comparison(s) with data (%s), too few to tell one person from two:"
            " the defaults kept",
            len(comparisons) - len(mute),
            ", ".join(sorted(set(seen) - mute)) or "none",
        )
        return Estimate(DEFAULT_WEIGHTS, pairs=len(n))
    comparisons = [c for c in comparisons if c.name not in mute]
    odds, m, post, iterations = fit(n, comparisons, u, prior)
    matches = float(post.sum())
    evidence = {}
    for c in comparisons:
        evidence[c.name] = float(post[c.levels != c.reference].sum())
    thin = mute | {c.name for c in comparisons if evidence[c.name] < MIN_MATCHES}
    if matches < MIN_MATCHES:
        log.info("name weights: %.0f expected matches, too few: the defaults kept", matches)
        return Estimate(DEFAULT_WEIGHTS, len(n), matches, iterations, evidence)
    if thin:  # again without them: their levels then weigh as the defaults say, nothing folded
        comparisons = [c for c in comparisons if c.name not in thin]
        if len(comparisons) < MIN_COMPARISONS:
            log.info("name weights: too few comparisons with data: the defaults kept")
            return Estimate(DEFAULT_WEIGHTS, len(n), matches, iterations, evidence)
        odds, m, post, iterations = fit(n, comparisons, u, prior)
        matches = float(post.sum())
    bits = {c.name: np.log2(m[c.name] / u[c.name]) for c in comparisons}
    refs = [c for c in comparisons if c.reference >= 0]
    relative = {
        c.name: bits[c.name] - (bits[c.name][c.reference] if c.reference >= 0 else 0.0)
        for c in comparisons
    }
    # the reference levels' factors ("no conflict") folded into the prior: they weigh 0 there
    folded = odds * float(np.exp2(sum(bits[c.name][c.reference] for c in refs)))
    weights = replace(DEFAULT_WEIGHTS, name_odds=_clip(folded, BOUNDS["name_odds"]))
    if "city" in relative:
        weights = replace(
            weights,
            city_same=_clip(relative["city"][0], BOUNDS["city_same"]),
            city_other=_clip(relative["city"][1], BOUNDS["city_other"]),
        )
    if "created" in relative:
        steps = tuple(
            (days, _clip(float(relative["created"][i]), BOUNDS["created"]))
            for i, (days, _) in enumerate(CREATED_BITS)
        )
        weights = replace(weights, created=steps)
    conflicts = {
        name: _clip(float(relative[name][0]), BOUNDS["conflict"])
        for name in CONFLICT_BITS
        if name in relative
    }
    weights = replace(
        weights,
        phone_conflict=conflicts.get("phones", weights.phone_conflict),
        email_conflict=conflicts.get("emails", weights.email_conflict),
        source="partly estimated" if thin else "estimated",
    )
    got = Estimate(weights, len(n), matches, iterations, evidence)
    log.info(
        "name weights estimated over %d name-sharing pairs (%.0f expected one person, %d EM "
        "iterations): name odds %.2f, city %+.2f/%+.2f bits, created %s, conflicts %s%s",
        len(n),
        matches,
        iterations,
        weights.name_odds,
        weights.city_same,
        weights.city_other,
        "/".join(f"{b:+.2f}" for _, b in weights.created),
        "/".join(f"{b:+.2f}" for b in weights.conflicts.values()),
        f"; kept the defaults of {', '.join(sorted(thin))}" if thin else "",
    )
    return got
