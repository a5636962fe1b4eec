"""The Fellegi–Sunter model: a pair's match weight from how its fields compare, with no labels.

Each compared field of a pair falls into a *level*: missing on a side (no evidence), different,
alike (Jaro–Winkler at least ``LEVEL_CUTS[0]``), close (at least ``LEVEL_CUTS[1]``) or equal.
A level weighs ``ln(m / u)``: ``m`` how often one person's two records reach it, ``u`` how often
two different people's do. For an equal value the ``u`` is the value's own frequency among the
home's records (the term-frequency adjustment, as Splink does it: sharing "Smith" says less
than sharing "Featherstonehaugh"). The weights of the fields plus the prior log-odds that two
records are one person (``prior``) give the pair's log-odds; the sigmoid of it, its probability.

``m``, ``u``, the prior and the value frequencies are estimated from the home itself by EM over
blocked pairs (``resolution.training.fellegi_sunter.fit_fellegi_sunter``) and saved in the
model, so the same home scores alike on every later run. Scoring is numpy over the levels:
the levels of a batch of pairs come from one DuckDB query (its ``jaro_winkler_similarity``),
the weights from table lookups, with no Python loop per pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import polars as pl

from resolution.matching.comparison import PairColumns

# Levels of a compared field (MISSING: a side has no value; it weighs nothing).
MISSING = -1
DIFFERENT, ALIKE, CLOSE, EQUAL, REVERSED = 0, 1, 2, 3, 4
LEVELS = ("different", "alike", "close", "equal", "reversed")
# Jaro–Winkler similarity at least this is ALIKE, at least the second CLOSE (Splink's name
# comparison uses 0.88 and 0.92 in its default levels; 0.8 catches a typo in a short value).
LEVEL_CUTS = (0.8, 0.92)
# Two fields swapped between the records (a first name written as the surname and the surname
# as the first name: Splink's "columns reversed" level) are one event, not two disagreements:
# the first of the two takes the level REVERSED (its own m and u: EM learns whether the data
# swaps them at all), the second says nothing. Swapped means each side's value alike the other
# side's other field at this Jaro–Winkler similarity, and the field itself not. On fake_20000,
# 2,539 of the 3,195 true pairs whose names differ had them swapped.
SWAPPED = 0.88
# No level's m or u is taken below this: a level never seen must not weigh infinitely.
FLOOR = 1e-6


def _swapped(i: int, j: int) -> str:
    return (
        f"(jaro_winkler_similarity(l{i}, r{j}) >= {SWAPPED!r} "
        f"AND jaro_winkler_similarity(l{j}, r{i}) >= {SWAPPED!r} "
        f"AND jaro_winkler_similarity(l{i}, r{i}) < {SWAPPED!r})"
    )


def _levels_sql(n_fields: int, cuts: Sequence[float]) -> str:
    parts = []
    for i in range(n_fields):
        a, b = f"l{i}", f"r{i}"
        sim = f"jaro_winkler_similarity({a}, {b})"
        first = "".join(f"WHEN {_swapped(i, j)} THEN {REVERSED} " for j in range(i + 1, n_fields))
        second = "".join(f"WHEN {_swapped(j, i)} THEN {MISSING} " for j in range(i))
        parts.append(
            f"CASE WHEN {a} IS NULL OR {b} IS NULL THEN {MISSING} WHEN {a} = {b} THEN {EQUAL} "
            f"{first}{second}"
            f"WHEN {sim} >= {float(cuts[1])!r} THEN {CLOSE} "
            f"WHEN {sim} >= {float(cuts[0])!r} THEN {ALIKE} ELSE {DIFFERENT} END::TINYINT AS c{i}"
        )
    return f"SELECT {', '.join(parts)} FROM pairs"


def compare_levels(
    cols: PairColumns, fields: Sequence[str], cuts: Sequence[float] = LEVEL_CUTS
) -> np.ndarray:
    """(pairs × fields) int8 levels of each field of each pair (``MISSING`` where a side lacks
    the value), computed in one DuckDB query over the columns of the pairs."""
    data: dict[str, pl.Series] = {}
    for i, f in enumerate(fields):
        left, right = cols.field(f)
        data[f"l{i}"] = pl.Series(left, dtype=pl.String)
        data[f"r{i}"] = pl.Series(right, dtype=pl.String)
    return frame_levels(pl.DataFrame(data, height=len(cols)), len(fields), cuts)


def frame_levels(
    pairs: pl.DataFrame, n_fields: int, cuts: Sequence[float] = LEVEL_CUTS
) -> np.ndarray:
    """(pairs × fields) int8 levels of a frame holding field i's left and right values in
    columns ``l{i}`` and ``r{i}``."""
    n = pairs.height
    if n == 0 or not n_fields:
        return np.zeros((n, n_fields), dtype=np.int8)
    con = duckdb.connect()
    try:
        con.register("pairs", pairs)
        got = con.sql(_levels_sql(n_fields, cuts)).fetchnumpy()
    finally:
        con.close()
    return np.column_stack([np.asarray(got[f"c{i}"], dtype=np.int8) for i in range(n_fields)])


def value_counts(values: pl.Series) -> dict[str, int]:
    """How many records hold each value seen more than once (a value missing from it is held
    by one record at most: its frequency is ``1 / total``)."""
    counts = values.drop_nulls().value_counts(name="n")
    counts = counts.filter(pl.col("n") > 1).sort(values.name)
    return {str(v): int(n) for v, n in counts.iter_rows()}


@dataclass
class FellegiSunter:
    """A Fellegi–Sunter model over ``fields``: per field and level ``m`` and ``u``; per field
    the counts of its repeated values and how many records hold a value (``totals``); the
    probability that two records drawn at random are one person (``prior``)."""

    fields: tuple[str, ...]
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    prior: float
    counts: dict[str, dict[str, int]]
    totals: dict[str, int]
    cuts: tuple[float, ...] = LEVEL_CUTS
    # How many other records of the same person a record has, on average (2 × the expected
    # matching pairs / the records): what a value's count holds beyond other people's.
    duplicates: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # ln(m/u) per field and level (the equal level's u replaced per value when scoring)
        self._weights = np.array(
            [
                [
                    np.log(max(m, FLOOR) / max(u, FLOOR))
                    for m, u in zip(self.m[f], self.u[f], strict=True)
                ]
                for f in self.fields
            ],
            dtype=np.float64,
        ).reshape(len(self.fields), len(LEVELS))
        self._frequency = {
            f: pl.DataFrame(
                {
                    "v": list(self.counts[f]),
                    "freq": [self.value_u(f, n) for n in self.counts[f].values()],
                },
                schema={"v": pl.String, "freq": pl.Float64},
            )
            for f in self.fields
        }

    def value_u(self, name: str, count: int) -> float:
        """The ``u`` of an equal value held by ``count`` records: the share of the records
        that hold it *and are other people* than the one holding it on the left. Of the
        ``count - 1`` others holding it, ``duplicates · m(equal)`` are expected to be that
        person's own records (a birth date four records of one person share is no common
        date); at least one other record is assumed (a value held once or never: one record's
        share)."""
        others = count - 1 - self.duplicates * self.m[name][EQUAL]
        return max(others, 1.0) / max(self.totals[name], 1)

    @property
    def prior_logit(self) -> float:
        """The log-odds that two records drawn at random are one person."""
        return float(np.log(self.prior) - np.log1p(-self.prior))

    def levels(self, cols: PairColumns) -> np.ndarray:
        """(pairs × fields) levels of ``cols``."""
        return compare_levels(cols, self.fields, self.cuts)

    def frequency(self, name: str, values: pl.Series | Sequence[Any]) -> np.ndarray:
        """Per value, its ``u`` when equal (``value_u``: the share of the records holding
        field ``name`` that are other people; a value the home held once or never: one
        record's share)."""
        single = 1.0 / max(self.totals[name], 1)
        got = (
            pl.DataFrame({"v": pl.Series(values, dtype=pl.String)})
            .join(self._frequency[name], on="v", how="left", maintain_order="left")["freq"]
            .fill_null(single)
        )
        return got.to_numpy()

    def field_weights(self, cols: PairColumns) -> np.ndarray:
        """(pairs × fields) ``ln(m/u)`` of each field's level (0 where missing), an equal
        value's ``u`` being its frequency (term-frequency adjustment)."""
        left = {f: pl.Series(cols.field(f)[0], dtype=pl.String) for f in self.fields}
        return self.level_weights(self.levels(cols), left)

    def level_weights(self, levels: np.ndarray, left: Mapping[str, pl.Series]) -> np.ndarray:
        """``field_weights`` of pairs whose levels are known, ``left`` holding each field's
        left values (the value an equal level shares)."""
        out = np.zeros(levels.shape, dtype=np.float64)
        for j, name in enumerate(self.fields):
            lv = levels[:, j].astype(np.int64)
            present = lv != MISSING
            out[:, j] = np.where(present, self._weights[j][np.where(present, lv, 0)], 0.0)
            equal = np.flatnonzero(lv == EQUAL)
            if equal.size:
                freq = self.frequency(name, left[name].gather(equal))
                m_equal = max(self.m[name][EQUAL], FLOOR)
                out[equal, j] = np.log(m_equal) - np.log(np.maximum(freq, FLOOR))
        return out

    def logit(self, weights: np.ndarray) -> np.ndarray:
        """The pairs' log-odds of being one person: the prior's plus the fields' weights."""
        return np.asarray(self.prior_logit + weights.sum(axis=1))

    def level_table(self) -> list[tuple[str, str, float, float, float]]:
        """(field, level, m, u, weight in bits) for every field and level: what ``edin explain``
        prints of the model (an equal value's weight also depends on its frequency)."""
        return [
            (f, LEVELS[k], self.m[f][k], self.u[f][k], float(self._weights[j][k] / np.log(2)))
            for j, f in enumerate(self.fields)
            for k in range(len(LEVELS))
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": list(self.fields),
            "levels": list(LEVELS),
            "cuts": list(self.cuts),
            "prior": self.prior,
            "duplicates": self.duplicates,
            "m": {f: list(self.m[f]) for f in self.fields},
            "u": {f: list(self.u[f]) for f in self.fields},
            "totals": {f: self.totals[f] for f in self.fields},
            "counts": {f: self.counts[f] for f in self.fields},
            "stats": self.stats,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FellegiSunter:
        fields = tuple(d["fields"])
        return cls(
            fields=fields,
            m={f: [float(x) for x in d["m"][f]] for f in fields},
            u={f: [float(x) for x in d["u"][f]] for f in fields},
            prior=float(d["prior"]),
            counts={f: {str(k): int(v) for k, v in d["counts"][f].items()} for f in fields},
            totals={f: int(d["totals"][f]) for f in fields},
            cuts=tuple(float(c) for c in d["cuts"]),
            duplicates=float(d.get("duplicates", 0.0)),
            stats=dict(d.get("stats", {})),
        )
