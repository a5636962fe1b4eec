"""The name-only guard: a pair that only a name connects never merges on its own.

The logistic model, taught by seeds that all share an identifier or differ outright, scored
such pairs 0.6-0.9; at 50,000 generated contacts 90 % of the name-only pairs above the
threshold were two people (68 % when the full names were equal): most names are borne by
several people. So their score is held below the threshold; only an operator's decision (or a
shared identifier, a rare full name, an agreeing configured field) can join them.
"""

from __future__ import annotations

import difflib
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
# A full name borne by at most this many contacts is rare: sharing it is evidence by itself.
RARE_NAME = 3
# Name-only pairs score at most this share of the threshold: they never merge on their own.
NAME_ONLY_CAP = 0.9
# Two values of a configured string field this similar agree (a typo apart).
FIELD_AGREEMENT = 0.8


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


def name_only_pairs(pairs: Sequence[Pair] | PairColumns, specs: Sequence[FieldSpec]) -> np.ndarray:
    """Per pair, True when nothing but the names (and perhaps the city) connects the two
    records, and the names are not one rare full name: no shared phone, e-mail, handle,
    nickname or e-mail local part, no agreeing configured field.

    The logistic model, taught by seeds that all share an identifier or differ outright,
    scored such pairs 0.6-0.9; at 50,000 generated contacts 90 % of the name-only pairs above
    the threshold were two people (68 % when the full names were equal): most names are
    borne by several people. Equal full names count when few contacts bear them (in
    generated data, 85 % of such pairs were one person when at most three contacts did).
    """
    cols = PairColumns.of(pairs, [*(s.name for s in specs), NAME_COUNT])
    linked = np.zeros(len(cols), dtype=bool)
    for spec in specs:
        if spec.name not in NAME_FIELDS:
            linked |= _agree(spec, *cols.field(spec.name))
    names, other_names = cols.field("name")
    rare_same = np.array(
        [
            a is not None and a == b and " " in a and n is not None and n <= RARE_NAME
            for a, b, n in zip(names, other_names, cols.field(NAME_COUNT)[0], strict=True)
        ],
        dtype=bool,
    )
    return ~linked & ~rare_same


def name_only(a: Record, b: Record, specs: Sequence[FieldSpec]) -> bool:
    """``name_only_pairs`` of one pair."""
    return bool(name_only_pairs([(a, b)], specs)[0])


def cap_name_only(
    pairs: Sequence[Pair] | PairColumns, p: np.ndarray, specs: Sequence[FieldSpec], threshold: float
) -> np.ndarray:
    """``p`` held below ``threshold`` for the pairs only a name connects (``name_only_pairs``)."""
    weak = name_only_pairs(pairs, specs)
    return np.where(weak, np.minimum(p, NAME_ONLY_CAP * threshold), p)


@dataclass(frozen=True)
class SqlDialect:
    """What ``linkable_sql`` writes differently per SQL engine."""

    quote: Callable[[str], str]  # a column name as an identifier
    overlap: str  # a function: do two lists share an element
    has_space: str  # a format with {0}: does the string hold a space


DUCKDB = SqlDialect(
    quote=lambda name: '"' + name.replace('"', '""') + '"',
    overlap="list_has_any",
    has_space="contains({0}, ' ')",
)
SPARK = SqlDialect(
    quote=lambda name: "`" + name.replace("`", "``") + "`",
    overlap="arrays_overlap",
    has_space="instr({0}, ' ') > 0",
)


def linkable_sql(
    specs: Sequence[FieldSpec], left: str = "l", right: str = "r", dialect: SqlDialect = DUCKDB
) -> str:
    """A SQL predicate (DuckDB's, or ``dialect``'s) over the rows ``left`` and ``right`` of a
    record table (one column per field, named after it, sets as lists; the name count in column
    ``NAME_COUNT``): true when the pair may be linked by something other than a name, false
    when ``name_only_pairs`` holds it.

    For the contact fields it is exactly ``not name_only_pairs``: a shared set element, an
    equal value, or one rare full name (``RARE_NAME``). A configured string field agreeing by
    similarity is not decided here: two values of it make the pair linkable, and the guard
    decides after scoring. Blocking drops the pairs this is false for before they are scored.
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
    terms.append(f"coalesce({name_l} = {name_r} AND {spaced} AND {count} <= {RARE_NAME}, false)")
    return "(" + " OR ".join(terms) + ")"
