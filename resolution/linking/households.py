"""Household identifiers: a value several people use is evidence of a household, not a person.

A family landline, a mailbox a couple shares, a mobile lent to a relative, an office number: the
hub cap (``resolution.inputs.hubs``) drops a value only when more than ``hub_max_people``
distinct names bear it, and below that cap the model weighs every shared value alike. On
generated seed 9090 (20,000 people, published by 133a79b; given names told apart by their
first three letters) a pair joined by a phone that contacts of two given names bear, whose
given names differ, was one person 38 % of the time; of three given
names or more, 3 %; with a nameless side, 64 % (two bearers) and 23 % (three or more), against
99.9 % for a value one given name bears. So a value's evidence is graded by how many people bear
it, as a Fellegi–Sunter ``u`` from the value's frequency grades it, and conflicting evidence
outweighs it:

* only phone lines count as a household's values (``HOUSEHOLD_COLUMNS``): a mailbox or a
  handle is one account, and one whose contacts carry differing names is one person written
  differently far more often than a family;
* the people bearing a value are counted by the given names of the contacts that carry it, over
  the whole home (every run counts alike), one person's variants across scripts and languages
  counted once (``same_given``: Eugene and Евгений, Cyril and Кирилл);
* a pair that shares only values borne by two people or more and whose given names are not one
  person's is two members of one household: its edge is dropped before clustering;
* a side without a given name is one of the value's bearers, each as likely as its share of
  the value's named contacts (among the bearers its initial, if any, fits: ``A. Ivanova``);
  the pair's edge is dropped unless the chance that it is the other side's bearer (two such
  sides: the same bearer, the sum of the squared shares) is above the threshold (clustering
  joins a pair scoring above the threshold, not at it). With ``g`` bearers alike, that is odds
  ``1 / (g - 1)``.

Only the pair's own edge goes: its contacts still meet through any other evidence (their own
names, other identifiers, the rest of their profiles), so a contact joins the people it fits as
a whole rather than whoever shares one family value with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import jellyfish
import polars as pl

from resolution.linking.links import identifier_values

# Two canonical given names at least this similar (Jaro-Winkler, ``c`` read as ``k``) are taken
# for one person's variants across scripts and languages (Eugene and Евгений, Cyril and Кирилл,
# Piotr and Пётр: 0.80-1.0); different people's names score lower (Anton and Alena 0.60,
# Ivan and Irina 0.63).
GIVEN_SIMILAR = 0.75

# The identifiers a household shares: phone lines. An e-mail address or a handle is one
# account's: on generated seed 9090 (133a79b) an address that contacts of two given names carry
# was one person 92 % of the time even when the names differed (a phone 38 %), and on
# fake_20000, whose names carry typos and swaps, every time.
HOUSEHOLD_COLUMNS = frozenset({"phones"})

_FOLD = str.maketrans({"c": "k"})
_PAIR_SCHEMA = {"record_id_l": pl.Int64, "record_id_r": pl.Int64}
_HOLD_SCHEMA = {**_PAIR_SCHEMA, "why": pl.String, "people": pl.Int64, "values": pl.Int64}


def same_given(a: str, b: str) -> bool:
    """Whether two canonical given names can be one person's (equal or ``GIVEN_SIMILAR``)."""
    if a == b:
        return True
    return (
        jellyfish.jaro_winkler_similarity(a.translate(_FOLD), b.translate(_FOLD)) >= GIVEN_SIMILAR
    )


def people(givens: Sequence[str]) -> list[str]:
    """The people the distinct given names ``givens`` name at least, one name each: every name
    joins the first group (in sorted order) whose first name it can be a variant of."""
    groups: list[str] = []
    for g in sorted(set(givens)):
        if not any(same_given(g, first) for first in groups):
            groups.append(g)
    return groups


def _initial(contacts: pl.DataFrame) -> pl.Expr:
    """The given name's first letter, or the initial a name without a given name was written
    with (``A. Smirnova``: name key ``a smirnova``), ``c`` read as ``k``."""
    from_key = (
        pl.col("name_key").str.extract(r"^(\w)\s", 1)
        if "name_key" in contacts.columns
        else pl.lit(None, dtype=pl.String)
    )
    return (
        pl.coalesce(pl.col("given_key").str.slice(0, 1), from_key)
        .str.replace("c", "k", literal=True)
        .alias("initial")
    )


def _grouped(givens: Sequence[str], counts: Sequence[int]) -> tuple[list[str], list[int]]:
    """The people (``people``) of a value's given names and how many of its contacts each
    bears it under."""
    groups = people(givens)
    totals = [0] * len(groups)
    for g, n in zip(givens, counts, strict=True):
        totals[next(i for i, first in enumerate(groups) if same_given(g, first))] += n
    return groups, totals


def _values(contacts: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame | None:
    """(record_id, given, initial, kind, value) of every identifier value of every contact."""
    found = identifier_values(contacts, columns)
    if found is None:
        return None
    sides = contacts.select("record_id", pl.col("given_key").alias("given"), _initial(contacts))
    return found.join(sides, on="record_id").select(
        "record_id", "given", "initial", "kind", "value"
    )


def _bearers(values: pl.DataFrame, only: pl.DataFrame) -> pl.DataFrame:
    """(kind, value, bearers, counts): the people bearing each (kind, value) of ``only``
    among ``values`` (people: one given name each, a bearer's variants across scripts once)
    and how many of the value's contacts each one is."""
    counted_of = values.join(
        only.select("kind", "value").unique(), on=["kind", "value"], how="semi"
    )
    names = (
        counted_of.filter(pl.col("given").is_not_null())
        .group_by("kind", "value", "given")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .sort("kind", "value", "given")
        .group_by("kind", "value", maintain_order=True)
        .agg(pl.col("given").alias("bearers"), pl.col("n").alias("counts"))
    )
    several = names.filter(pl.col("bearers").list.len() > 1)
    grouped = [_grouped(g, n) for g, n in zip(several["bearers"], several["counts"], strict=True)]
    counted = pl.concat(
        [
            names.filter(pl.col("bearers").list.len() <= 1),
            several.with_columns(
                pl.Series("bearers", [g for g, _ in grouped], pl.List(pl.String)),
                pl.Series("counts", [n for _, n in grouped], pl.List(pl.Int64)),
            ),
        ]
    )
    return counted


# Why a shared household value is no evidence (``_held``), in the order a pair holding several
# is told by: both given names known and two people's; the initials conflict or fit none of the
# value's bearers; a side without a given name is not likely enough the other's bearer.
HELD_GIVEN = "given_names"
HELD_INITIALS = "initials"
HELD_UNNAMED = "unnamed"
HELD_WHY = (HELD_GIVEN, HELD_INITIALS, HELD_UNNAMED)


def _held(
    bearers: list[str],
    counts: list[int],
    given: str | None,
    given_r: str | None,
    initial: str | None,
    initial_r: str | None,
    threshold: float,
) -> str | None:
    """Why one shared value borne by ``bearers`` (two or more, ``counts`` contacts each) is
    no evidence that the pair is one person (one of ``HELD_WHY``), or None when it is: their
    given names conflict (or a side's initial fits not the other's name), or the chance that a
    side without a given name is the other's bearer (the bearer's share of the value's
    contacts, among the bearers its initial fits), or that two such sides are one bearer (the
    sum of the squared shares), is not above ``threshold``."""
    if given is not None and given_r is not None:
        return None if same_given(given, given_r) else HELD_GIVEN
    if initial is not None and initial_r is not None and initial != initial_r:
        return HELD_INITIALS
    # the initial of a side without a given name narrows whom it may be
    known = initial_r if given is not None else initial if given_r is not None else None
    if known is None and given is None and given_r is None:
        known = initial if initial is not None else initial_r
    fits = [
        (b, n)
        for b, n in zip(bearers, counts, strict=True)
        if known is None or b.translate(_FOLD)[:1] == known
    ]
    total = sum(n for _, n in fits)
    if not total:
        return HELD_INITIALS
    named = given if given is not None else given_r
    if named is None:
        chance = sum(n * n for _, n in fits) / (total * total)
    else:
        chance = next((n for b, n in fits if same_given(named, b)), 0) / total
    return HELD_UNNAMED if chance <= threshold else None


def household_pairs(
    contacts: pl.DataFrame, columns: Sequence[str], *, threshold: float
) -> pl.DataFrame:
    """(record_id_l, record_id_r) pairs whose shared identifiers are household evidence only:
    every value they share is a household's (``HOUSEHOLD_COLUMNS``), borne by two people or
    more, and does not tell which of them the pair is (``_held``)."""
    return household_holds(contacts, columns, threshold=threshold).select(
        "record_id_l", "record_id_r"
    )


def household_holds(
    contacts: pl.DataFrame,
    columns: Sequence[str],
    *,
    threshold: float,
    pairs: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``household_pairs`` with why each is held: (record_id_l, record_id_r, why, people,
    values), ``why`` the first of ``HELD_WHY`` its shared values are held for, ``people`` the
    fewest people (``people``) bearing one of them and ``values`` how many it shares.

    ``pairs`` (record_id_l < record_id_r): only these pairs are weighed (the scored pairs, the
    only ones the rule drops), not every pair sharing a value anywhere in the home; a pair's
    verdict is the same either way (its values' bearers are counted over all ``contacts``)."""
    if "given_key" not in contacts.columns:
        return pl.DataFrame(schema=_HOLD_SCHEMA)
    household = sorted(HOUSEHOLD_COLUMNS)
    several_people = (pl.col("bearers").list.len().fill_null(0) >= 2) & pl.col("kind").is_in(
        household
    )
    found = _values(contacts, columns)
    if found is None:
        return pl.DataFrame(schema=_HOLD_SCHEMA)
    if pairs is None:  # every pair sharing a household value: the only ones it can hold
        mine = found.filter(pl.col("kind").is_in(household)).select("record_id", "kind", "value")
        pairs = (
            mine.join(mine, on=["kind", "value"], suffix="_r")
            .filter(pl.col("record_id") < pl.col("record_id_r"))
            .select(pl.col("record_id").alias("record_id_l"), "record_id_r")
        )
    ids = found.schema["record_id"]
    wanted = pairs.select(
        pl.col("record_id_l").cast(ids).alias("record_id"),
        pl.col("record_id_r").cast(ids),
    ).unique()
    shared = (
        found.join(wanted, on="record_id")
        .join(
            found.rename({"record_id": "record_id_r", "given": "given_r", "initial": "initial_r"}),
            on=["record_id_r", "kind", "value"],
        )
        .filter(pl.col("record_id") < pl.col("record_id_r"))
    )
    # the bearers of the household values these pairs share, counted over the whole home
    # (only a household value's bearers are read below)
    only = shared.filter(pl.col("kind").is_in(household)).select("kind", "value")
    shared = shared.join(_bearers(found, only), on=["kind", "value"], how="left")
    several = shared.filter(several_people)
    fields = ("bearers", "counts", "given", "given_r", "initial", "initial_r")
    whys = [
        _held(b, n, g, g_r, i, i_r, threshold)
        for b, n, g, g_r, i, i_r in several.select(fields).iter_rows()
    ]
    # the reasons ranked in HELD_WHY's order, so that a pair's first is its values' least
    rank = {why: i for i, why in enumerate(HELD_WHY)}
    several = several.with_columns(
        pl.Series("why", [None if w is None else rank[w] for w in whys], pl.Int8),
        pl.col("bearers").list.len().cast(pl.Int64).alias("people"),
    )
    # a pair is held when every value it shares is: one personal value is evidence enough
    evidence = pl.concat(
        [
            shared.filter(~several_people).select(
                "record_id",
                "record_id_r",
                pl.lit(None, pl.Int8).alias("why"),
                pl.lit(None, pl.Int64).alias("people"),
            ),
            several.select("record_id", "record_id_r", "why", "people"),
        ]
    )
    held = evidence.group_by("record_id", "record_id_r").agg(
        pl.col("why").is_not_null().all().alias("held"),
        pl.col("why").min(),
        pl.col("people").min(),
        pl.len().cast(pl.Int64).alias("values"),
    )
    return (
        held.filter(pl.col("held"))
        .select(
            pl.col("record_id").cast(pl.Int64).alias("record_id_l"),
            pl.col("record_id_r").cast(pl.Int64),
            pl.col("why").replace_strict(list(rank.values()), list(rank), return_dtype=pl.String),
            "people",
            "values",
        )
        .unique()
        .sort("record_id_l", "record_id_r")
    )


def drop_household_pairs(scored: pl.DataFrame, held: pl.DataFrame) -> pl.DataFrame:
    """``scored`` without the household pairs (``household_pairs``)."""
    if held.height == 0:
        return scored
    return scored.join(held, on=["record_id_l", "record_id_r"], how="anti")


def household_neighbours(contacts: pl.DataFrame, dirty: pl.DataFrame) -> pl.DataFrame:
    """(record_id): the contacts carrying a household value (``HOUSEHOLD_COLUMNS``) that a
    contact of ``dirty`` (record_id) carries. Their pairs' verdicts depend on the value's
    bearers, which a new or changed contact alters, so an incremental run clusters their
    components again, as a full run would (the contacts that left a value are the neighbours
    of a changed or gone contact, which the incremental plan already clusters again)."""
    values = identifier_values(contacts, sorted(HOUSEHOLD_COLUMNS))
    if values is None:
        return pl.DataFrame(schema={"record_id": pl.Int64})
    touched = values.join(dirty.select("record_id"), on="record_id", how="semi")
    return (
        values.join(touched.select("kind", "value").unique(), on=["kind", "value"], how="semi")
        .select(pl.col("record_id").cast(pl.Int64))
        .unique()
        .sort("record_id")
    )
