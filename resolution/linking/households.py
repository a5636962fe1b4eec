"""Household identifiers: a value several people use is evidence of a household, not a person.

A family landline, a mailbox a couple shares, a mobile lent to a relative, an office number: the
hub cap (``resolution.inputs.hubs``) drops a value only when more than ``hub_max_people``
distinct names bear it, and below that cap the model weighs every shared value alike. On
generated seed 9090 (20,000 people, 3e7f96e) a pair joined by a phone that contacts of two
given names bear, whose given names differ, was one person 38 % of the time; of three given
names or more, 3 %; with a nameless side, 64 % (two bearers) and 23 % (three or more), against
99.9 % for a value one given name bears. So a value's evidence is graded by how many people bear
it, as a Fellegi–Sunter ``u`` from the value's frequency grades it, and conflicting evidence
outweighs it:

* the people bearing a value are counted by the given names of the contacts that carry it, over
  the whole home (every run counts alike), one person's variants across scripts and languages
  counted once (``same_given``: Eugene and Евгений, Cyril and Кирилл);
* a pair that shares only values borne by two people or more and whose given names are not one
  person's is two members of one household: its edge is dropped before clustering;
* a pair of such values with a nameless side is one of the value's ``g`` bearers, each as likely
  a priori: odds ``1 / (g - 1)``; its edge is dropped unless those odds are above the
  threshold's (clustering joins a pair scoring above the threshold, not at it).

Only the pair's own edge goes: its contacts still meet through any other evidence (their own
names, other identifiers, the rest of their profiles), so a contact joins the people it fits as
a whole rather than whoever shares one family value with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import jellyfish
import polars as pl

# Two canonical given names at least this similar (Jaro-Winkler, ``c`` read as ``k``) are taken
# for one person's variants across scripts and languages (Eugene and Евгений, Cyril and Кирилл,
# Piotr and Пётр: 0.80-1.0); different people's names score lower (Anton and Alena 0.60,
# Ivan and Irina 0.63).
GIVEN_SIMILAR = 0.75

_FOLD = str.maketrans({"c": "k"})
_PAIR_SCHEMA = {"record_id_l": pl.Int64, "record_id_r": pl.Int64}


def same_given(a: str, b: str) -> bool:
    """Whether two canonical given names can be one person's (equal or ``GIVEN_SIMILAR``)."""
    if a == b:
        return True
    return (
        jellyfish.jaro_winkler_similarity(a.translate(_FOLD), b.translate(_FOLD)) >= GIVEN_SIMILAR
    )


def people(givens: Sequence[str]) -> int:
    """How many people the distinct given names ``givens`` name at least: each joins the first
    group (in sorted order) whose first name it can be a variant of."""
    groups: list[str] = []
    for g in sorted(set(givens)):
        if not any(same_given(g, first) for first in groups):
            groups.append(g)
    return len(groups)


def value_bearers(contacts: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """(record_id, given, kind, value, bearers): every identifier value of every contact with the
    number of people (``people``) among the given names of the contacts that carry it."""
    frames = []
    for c in columns:
        if c not in contacts.columns:
            continue
        df = contacts.select(
            "record_id",
            pl.col("given_key").alias("given"),
            pl.lit(c).alias("kind"),
            pl.col(c).alias("value"),
        )
        if isinstance(df.schema["value"], pl.List):
            df = df.explode("value")
        frames.append(df.drop_nulls("value"))
    if not frames:
        return pl.DataFrame(
            schema={
                "record_id": pl.Int64,
                "given": pl.String,
                "kind": pl.String,
                "value": pl.String,
                "bearers": pl.Int64,
            }
        )
    values = pl.concat(frames)
    names = values.group_by("kind", "value").agg(
        pl.col("given").drop_nulls().unique().sort().alias("givens")
    )
    several = names.filter(pl.col("givens").list.len() > 1)
    counted = pl.concat(
        [
            names.filter(pl.col("givens").list.len() <= 1).select(
                "kind", "value", pl.col("givens").list.len().cast(pl.Int64).alias("bearers")
            ),
            several.select(
                "kind",
                "value",
                pl.Series("bearers", [people(g) for g in several["givens"].to_list()], pl.Int64),
            ),
        ]
    )
    return values.join(counted, on=["kind", "value"])


def household_pairs(
    contacts: pl.DataFrame, columns: Sequence[str], *, threshold: float
) -> pl.DataFrame:
    """(record_id_l, record_id_r) pairs whose shared identifiers are household evidence only:
    every value they share is borne by two people or more, and their given names conflict, or
    one side has none and the odds of it being the other's bearer (``1 / (bearers - 1)``) are
    below ``threshold``'s."""
    if "given_key" not in contacts.columns:
        return pl.DataFrame(schema=_PAIR_SCHEMA)
    values = value_bearers(contacts, columns)
    shared = (
        values.join(
            values.select("record_id", "given", "kind", "value"), on=["kind", "value"], suffix="_r"
        )
        .filter(pl.col("record_id") < pl.col("record_id_r"))
        .group_by("record_id", "record_id_r")
        .agg(
            pl.col("bearers").min(),
            pl.col("given").first(),
            pl.col("given_r").first(),
        )
    )
    odds = threshold / (1 - threshold)
    both = shared.filter(
        pl.col("given").is_not_null()
        & pl.col("given_r").is_not_null()
        & (pl.col("given") != pl.col("given_r"))
    )
    combos = both.select("given", "given_r").unique()
    conflicts = combos.filter(
        pl.Series([not same_given(a, b) for a, b in combos.iter_rows()], dtype=pl.Boolean)
    ).with_columns(pl.lit(True).alias("conflict"))
    shared = shared.join(conflicts, on=["given", "given_r"], how="left")
    conflict = pl.col("conflict").fill_null(False)
    nameless = pl.col("given").is_null() | pl.col("given_r").is_null()
    unlikely = nameless & (1 / (pl.col("bearers").cast(pl.Float64) - 1) <= odds)
    held = shared.filter((pl.col("bearers") >= 2) & (conflict | unlikely))
    return (
        held.select(
            pl.col("record_id").cast(pl.Int64).alias("record_id_l"),
            pl.col("record_id_r").cast(pl.Int64),
        )
        .unique()
        .sort("record_id_l", "record_id_r")
    )


def drop_household_pairs(scored: pl.DataFrame, held: pl.DataFrame) -> pl.DataFrame:
    """``scored`` without the household pairs (``household_pairs``)."""
    if held.height == 0:
        return scored
    return scored.join(held, on=["record_id_l", "record_id_r"], how="anti")
