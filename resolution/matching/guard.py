"""The name-only guard: a pair that only names connect merges only on the weight of evidence.

The logistic model, taught by seeds that all share an identifier or differ outright, scored
such pairs 0.6-0.9; at 50,000 generated contacts 90 % of the name-only pairs above the
threshold were two people (68 % when the full names were equal): most names are borne by
several people. So a name-only pair is weighed apart from the model, as Fellegi and Sunter
weigh a comparison and Splink adjusts a name's weight for its frequency:

* the prior odds that two contacts bearing one full name are one person fall as the name's
  frequency among all the home's contacts rises (term-frequency adjustment: the chance that two
  strangers agree on the value ``v`` is proportional to how many contacts bear ``v``): odds
  ``NAME_ODDS / n`` for a name borne by ``n`` contacts;
* each piece of context multiplies those odds by its Bayes factor ``m / u`` (``CONTEXT_BITS``):
  the same city or another one, how far apart in time the contacts were created, two different
  phones or e-mails (a conflict: the pair has the identifier on both sides and none in common);
* the pair is let through (scored by the model) when the posterior odds reach ``PASS_ODDS``;
  otherwise its score is held below the threshold, and only an operator's decision (or a shared
  identifier, an agreeing configured field) can join it.

The weights are log2 Bayes factors (bits). m-probabilities were measured on pairs that share an
identifier (a missing value weighs nothing), u-probabilities on random pairs of contacts
(generated seed 7, 50,998 contacts; ``bench/quality/name_weights.py`` measures them on any
published home with its truth). ``NAME_ODDS`` is ``n`` times the odds at which a pair sharing a
full name borne by ``n`` contacts, whose profiles conflicted on nothing, was one person on that
seed (6.0 at n = 2, 5.8 at n = 4, 4.9 at n = 6: the 1 / n of the term-frequency adjustment
holds). The posterior is close to calibrated there: pairs weighed at 1, 2, 3, 4 bits were one
person 60, 77, 83, 94 % of the time (67, 80, 89, 94 % expected).

Those constants are the defaults. Each home estimates its own when its model is trained
(``resolution.training.name_weights``: EM over the pairs that share a full name and nothing
else, no truth read), as a ``NameWeights`` kept in the model and passed to every function here;
another generator's cities, time spans and name frequencies get their own weights. The
constants stay where a home holds too little data to estimate them.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from resolution._typing import Pair, Record
from resolution.config import EXTRA_PREFIX
from resolution.matching.comparison import PairColumns
from resolution.matching.fields import NAME_COUNT, FieldSpec

# Fields whose agreement alone is the name-only case: the name, and the city (at 50,000
# generated contacts, 92 % of the pairs above the threshold that shared a name and a city but
# nothing else were two people: many namesakes live in Moscow).
# The creation time is never agreement, only closeness.
NAME_FIELDS = frozenset({"name", "given", "surname", "city", "created"})
# Prior odds that two contacts bearing one full name are one person, times the number of
# contacts bearing it (term-frequency adjustment: the odds fall as 1 / n).
NAME_ODDS = 6.0
# The posterior odds a name-only pair needs to be let through (four to one: a probability of
# 0.8). A lone contact is also weighed against whole profiles (``resolution.linking.attach``),
# which tells namesakes apart better than one pair: on generated seeds 7 and 202 (about 51,000
# contacts each), with both, pairwise F1 rose by 0.017 and 0.016 over the former "full name
# borne by at most 3 contacts" rule, precision by 0.006 and 0.005; letting pairs through at
# odds of 1 or 2 instead added recall at a precision below 0.93.
PASS_ODDS = 4.0
# Bayes factors of the context, in bits (log2 m/u).
CITY_SAME_BITS = 2.4
CITY_OTHER_BITS = -2.0
# Creation times at most this many days apart: the bits of that closeness (the first that fits).
CREATED_BITS = ((20.0, 1.0), (55.0, 0.9), (150.0, 0.6), (400.0, 0.15), (math.inf, -0.6))
PHONE_CONFLICT_BITS = -4.8
EMAIL_CONFLICT_BITS = -2.3
# The identifier fields whose conflict counts, with its bits.
CONFLICT_BITS = {"phones": PHONE_CONFLICT_BITS, "emails": EMAIL_CONFLICT_BITS}
# The name fields the weighing of a shared name reads besides the name itself.
CONTEXT_FIELDS = ("city", "created")
# The most any context can add: a full name borne by more contacts than ``RARE_NAME`` can never
# reach ``PASS_ODDS`` under these constants, so blocking need not make its pairs (and
# incremental runs need not tell such counts apart). A home's own weights
# (``NameWeights.rare_name``) have their own limit.
BEST_CONTEXT_BITS = CITY_SAME_BITS + max(b for _, b in CREATED_BITS)
RARE_NAME = int(NAME_ODDS * 2**BEST_CONTEXT_BITS / PASS_ODDS)
# The bits a pair needs, less a hair so that Python's and SQL's sums of the same weights decide
# alike at the boundary (a name borne by 3 contacts, nothing else known: exactly enough).
PASS_BITS = math.log2(PASS_ODDS) - 1e-9
# Name-only pairs score at most this share of the threshold: they never merge on their own.
NAME_ONLY_CAP = 0.9
# Two values of a configured string field this similar agree (a typo apart).
FIELD_AGREEMENT = 0.8


@dataclass(frozen=True)
class NameWeights:
    """The weights the guard reads: the prior odds times the name count (``NAME_ODDS``) and the
    context's Bayes factors in bits. The defaults are the module's constants; a home's own are
    estimated at training (``resolution.training.name_weights``) and kept in the model
    (``MatchModel.stats["name_weights"]``, read by ``of_model``), fixed until it is retrained,
    so that later runs weigh alike."""

    name_odds: float = NAME_ODDS
    city_same: float = CITY_SAME_BITS
    city_other: float = CITY_OTHER_BITS
    created: tuple[tuple[float, float], ...] = CREATED_BITS
    phone_conflict: float = PHONE_CONFLICT_BITS
    email_conflict: float = EMAIL_CONFLICT_BITS
    source: str = "default"  # "default", "estimated" or "partly estimated"

    @property
    def conflicts(self) -> dict[str, float]:
        """The identifier fields whose conflict counts, with its bits."""
        return {"phones": self.phone_conflict, "emails": self.email_conflict}

    @property
    def best_context_bits(self) -> float:
        """The most any context can add (a conflict only takes away)."""
        return max(self.city_same, 0.0) + max(0.0, *(b for _, b in self.created))

    @property
    def rare_name(self) -> int:
        """A full name borne by more contacts than this never reaches ``PASS_ODDS``."""
        return int(self.name_odds * 2**self.best_context_bits / PASS_ODDS)

    def describe(self) -> str:
        """One line for a person: the odds and each context's bits."""
        steps = [
            f"over {self.created[i - 1][0]:g}" if math.isinf(d) else f"<= {d:g}"
            for i, (d, _) in enumerate(self.created)
        ]
        created = ", ".join(
            f"{s} days {b:+.1f}" for s, (_, b) in zip(steps, self.created, strict=True)
        )
        return (
            f"a shared full name borne by n contacts: odds {self.name_odds:.1f} / n of one person"
            f"; same city {self.city_same:+.1f} bits, another {self.city_other:+.1f}; created"
            f" {created}; two phones {self.phone_conflict:+.1f}, two e-mails"
            f" {self.email_conflict:+.1f}; let through from odds {PASS_ODDS:g}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "name_odds": self.name_odds,
            "city_same_bits": self.city_same,
            "city_other_bits": self.city_other,
            "created_bits": [[None if math.isinf(d) else d, b] for d, b in self.created],
            "phone_conflict_bits": self.phone_conflict,
            "email_conflict_bits": self.email_conflict,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> NameWeights:
        return cls(
            name_odds=float(d["name_odds"]),
            city_same=float(d["city_same_bits"]),
            city_other=float(d["city_other_bits"]),
            created=tuple(
                (math.inf if days is None else float(days), float(b))
                for days, b in d["created_bits"]
            ),
            phone_conflict=float(d["phone_conflict_bits"]),
            email_conflict=float(d["email_conflict_bits"]),
            source=str(d.get("source", "estimated")),
        )

    @classmethod
    def of_model(cls, model: Any) -> NameWeights:
        """The weights kept in a trained model's stats (``of_stats``)."""
        return cls.of_stats(getattr(model, "stats", {}))

    @classmethod
    def of_stats(cls, stats: dict[str, Any]) -> NameWeights:
        """The weights kept in a model's stats; the defaults for a model trained before they
        were estimated."""
        saved = stats.get(NAME_WEIGHTS)
        return DEFAULT_WEIGHTS if not saved else cls.from_json(saved)


DEFAULT_WEIGHTS = NameWeights()
NAME_WEIGHTS = "name_weights"
"""The key of a model's stats that holds its ``NameWeights`` (``to_json``)."""


def _similar(a: str, b: str) -> bool:
    """difflib's ratio of the two strings is at least ``FIELD_AGREEMENT`` (its cheap upper
    bounds first: most candidate pairs fail on them)."""
    matcher = difflib.SequenceMatcher(None, a, b)
    return (
        matcher.real_quick_ratio() >= FIELD_AGREEMENT
        and matcher.quick_ratio() >= FIELD_AGREEMENT
        and matcher.ratio() >= FIELD_AGREEMENT
    )


def _agree(spec: FieldSpec, left: list[Any], right: list[Any]) -> np.ndarray:
    """Per pair, whether the two values of a non-name field agree: sets share an element,
    values are equal, or (configured string fields) a typo apart."""
    if spec.type == "Set":
        col = [
            a is not None and b is not None and not set(a).isdisjoint(b)
            for a, b in zip(left, right, strict=True)
        ]
    elif spec.name.startswith(EXTRA_PREFIX):
        col = [
            a is not None and b is not None and (a == b or _similar(a, b))
            for a, b in zip(left, right, strict=True)
        ]
    else:
        col = [a is not None and a == b for a, b in zip(left, right, strict=True)]
    return np.array(col, dtype=bool)


def name_only_pairs(
    pairs: Sequence[Pair] | PairColumns,
    specs: Sequence[FieldSpec],
    weights: NameWeights = DEFAULT_WEIGHTS,
) -> np.ndarray:
    """Per pair, True when nothing but the names (and perhaps the city) connects the two
    records (no shared phone, e-mail, handle, nickname or e-mail local part, no agreeing
    configured field), and the names with their context do not weigh enough on their own
    (``name_evidence_bits`` below ``PASS_ODDS``: see the module docstring)."""
    cols = PairColumns.of(pairs, [*(s.name for s in specs), NAME_COUNT])
    return ~_linked(cols, specs) & ~(name_evidence_bits(cols, specs, weights) >= PASS_BITS)


def _linked(cols: PairColumns, specs: Sequence[FieldSpec]) -> np.ndarray:
    """Per pair, something other than the names links it: a shared phone, e-mail, handle,
    nickname or e-mail local part, an agreeing configured field."""
    linked = np.zeros(len(cols), dtype=bool)
    for spec in specs:
        if spec.name not in NAME_FIELDS:
            linked |= _agree(spec, *cols.field(spec.name))
    return linked


def _conflict(left: list[Any], right: list[Any]) -> np.ndarray:
    """Per pair, both sides hold the set field and share none of its values."""
    return np.array(
        [bool(a) and bool(b) and set(a).isdisjoint(b) for a, b in zip(left, right, strict=True)],
        dtype=bool,
    )


def created_steps(
    left: list[Any], right: list[Any], steps: Sequence[tuple[float, float]] = CREATED_BITS
) -> np.ndarray:
    """Per pair, the index of the first of ``steps`` (days, bits) whose days the gap between the
    two creation times (days) is within (the last is unbounded); -1 when one is missing."""
    apart = np.abs(np.array(left, dtype=float) - np.array(right, dtype=float))  # None: nan
    known = ~np.isnan(apart)
    days = np.array([d for d, _ in steps])
    step = np.searchsorted(days, np.where(known, apart, 0.0), side="left")
    return np.where(known, step, -1)


def _created_bits(
    left: list[Any], right: list[Any], steps: Sequence[tuple[float, float]]
) -> np.ndarray:
    """The bits of how far apart the two creation times (days) are; 0 when one is missing."""
    step = created_steps(left, right, steps)
    bits = np.array([b for _, b in steps])
    return np.where(step >= 0, bits[np.maximum(step, 0)], 0.0)


def name_evidence_bits(
    pairs: Sequence[Pair] | PairColumns,
    specs: Sequence[FieldSpec],
    weights: NameWeights = DEFAULT_WEIGHTS,
) -> np.ndarray:
    """Per pair, the posterior log2 odds that it is one person on the names and their context
    alone (see the module docstring), with ``weights``; ``-inf`` unless both bear one full name
    (two words)."""
    names = {s.name for s in specs}
    cols = PairColumns.of(pairs, [*names, NAME_COUNT])
    left, right = cols.field("name")
    counts = cols.field(NAME_COUNT)[0]
    bits = np.full(len(cols), -math.inf)
    for i, (a, b, n) in enumerate(zip(left, right, counts, strict=True)):
        if a is not None and a == b and " " in a and n:
            bits[i] = math.log2(weights.name_odds / n)
    if "city" in names:
        a, b = cols.field("city")
        both = np.array([x is not None and y is not None for x, y in zip(a, b, strict=True)])
        same = np.array([x is not None and x == y for x, y in zip(a, b, strict=True)])
        bits += np.where(same, weights.city_same, np.where(both, weights.city_other, 0.0))
    if "created" in names:
        bits += _created_bits(*cols.field("created"), weights.created)
    for field, conflict_bits in weights.conflicts.items():
        if field in names:
            bits += np.where(_conflict(*cols.field(field)), conflict_bits, 0.0)
    return bits


def name_only(
    a: Record, b: Record, specs: Sequence[FieldSpec], weights: NameWeights = DEFAULT_WEIGHTS
) -> bool:
    """``name_only_pairs`` of one pair."""
    return bool(name_only_pairs([(a, b)], specs, weights)[0])


def cap_name_only(
    pairs: Sequence[Pair] | PairColumns,
    p: np.ndarray,
    specs: Sequence[FieldSpec],
    threshold: float,
    weights: NameWeights = DEFAULT_WEIGHTS,
) -> np.ndarray:
    """``p`` of the pairs only names connect held to the names' own weight: below ``threshold``
    for those ``name_only_pairs`` holds, at most the posterior probability of the names and
    their context (``name_evidence_bits``) for the others: the model, taught by identifier
    seeds, is no judge of a namesake."""
    cols = PairColumns.of(pairs, [*(s.name for s in specs), NAME_COUNT])
    by_names = ~_linked(cols, specs)
    bits = name_evidence_bits(cols, specs, weights)
    posterior = 1.0 / (1.0 + np.exp2(-np.maximum(bits, -60.0)))
    held = by_names & ~(bits >= PASS_BITS)
    weighed = np.where(by_names, np.minimum(p, posterior), p)
    return np.where(held, np.minimum(p, NAME_ONLY_CAP * threshold), weighed)


@dataclass(frozen=True)
class SqlDialect:
    """What ``linkable_sql`` writes differently per SQL engine."""

    quote: Callable[[str], str]  # a column name as an identifier
    overlap: str  # a function: do two lists share an element
    has_space: str  # a format with {0}: does the string hold a space
    length: str  # a format with {0}: how many elements the list holds


DUCKDB = SqlDialect(
    quote=lambda name: '"' + name.replace('"', '""') + '"',
    overlap="list_has_any",
    has_space="contains({0}, ' ')",
    length="len({0})",
)
SPARK = SqlDialect(
    quote=lambda name: "`" + name.replace("`", "``") + "`",
    overlap="arrays_overlap",
    has_space="instr({0}, ' ') > 0",
    length="size({0})",
)


def linkable_sql(
    specs: Sequence[FieldSpec],
    left: str = "l",
    right: str = "r",
    dialect: SqlDialect = DUCKDB,
    weights: NameWeights = DEFAULT_WEIGHTS,
) -> str:
    """A SQL predicate (DuckDB's, or ``dialect``'s) over the rows ``left`` and ``right`` of a
    record table (one column per field, named after it, sets as lists; the name count in column
    ``NAME_COUNT``): true when the pair may be linked by something other than a name, false
    when ``name_only_pairs`` holds it.

    For the contact fields it is exactly ``not name_only_pairs``: a shared set element, an
    equal value, or one full name whose weight with its context (``name_evidence_bits``)
    reaches ``PASS_ODDS``, the same sum of the same weights in SQL. A configured string field
    agreeing by similarity is not decided here: two values of it make the pair linkable, and
    the guard decides after scoring. Blocking drops the pairs this is false for before they are
    scored.
    """

    def col(side: str, name: str) -> str:
        return f"{side}.{dialect.quote(name)}"

    terms = []
    for spec in specs:
        if spec.name in NAME_FIELDS:
            continue
        a, b = col(left, spec.name), col(right, spec.name)
        if spec.type == "Set":
            terms.append(f"coalesce({dialect.overlap}({a}, {b}), false)")
        elif spec.name.startswith(EXTRA_PREFIX):
            terms.append(f"({a} IS NOT NULL AND {b} IS NOT NULL)")
        else:
            terms.append(f"coalesce({a} = {b}, false)")
    name_l, name_r, count = col(left, "name"), col(right, "name"), col(left, NAME_COUNT)
    spaced = dialect.has_space.format(name_l)
    names = {s.name for s in specs}
    bits = [f"{math.log2(weights.name_odds)!r} - log2({count})"]
    if "city" in names:
        a, b = col(left, "city"), col(right, "city")
        bits.append(
            f"CASE WHEN {a} = {b} THEN {weights.city_same!r}"
            f" WHEN {a} IS NOT NULL AND {b} IS NOT NULL THEN {weights.city_other!r} ELSE 0.0 END"
        )
    if "created" in names:
        a, b = col(left, "created"), col(right, "created")
        steps = " ".join(
            f"WHEN abs({a} - {b}) <= {days!r} THEN {w!r}"
            for days, w in weights.created
            if math.isfinite(days)
        )
        bits.append(
            f"CASE WHEN {a} IS NULL OR {b} IS NULL THEN 0.0 {steps}"
            f" ELSE {weights.created[-1][1]!r} END"
        )
    for field, conflict_bits in weights.conflicts.items():
        if field in names:
            a, b = col(left, field), col(right, field)
            held = " AND ".join(f"coalesce({dialect.length.format(x)}, 0) > 0" for x in (a, b))
            bits.append(
                f"CASE WHEN {held} AND NOT coalesce({dialect.overlap}({a}, {b}), false)"
                f" THEN {conflict_bits!r} ELSE 0.0 END"
            )
    weighed = " + ".join(f"({b})" for b in bits)
    terms.append(
        f"coalesce({name_l} = {name_r} AND {spaced} AND {count} <= {weights.rare_name}"
        f" AND {weighed} >= {PASS_BITS!r}, false)"
    )
    return "(" + " OR ".join(terms) + ")"
