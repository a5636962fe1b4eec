"""A lone contact joins the one profile that fits it: its full name, and its city.

Pairwise scoring holds down every pair that only a name connects (``resolution.matching.guard``):
most full names are borne by several people. But a contact is not compared with one other
contact here; it is compared with the profiles bearing its name, each as a whole. A lone
contact ("Иван Иванов", VK, Новосибирск) whose full name several profiles bear, and whose city
exactly one of them has, is that profile's person far more often than a namesake: on
generated data (seed 1, 50,406 contacts) 93 % of such contacts were, against about 60 % for a
name alone. So, after clustering, a singleton with a full name and a city joins the profile
when:

* exactly one other cluster bears the same full name (given + surname key) *and* the city;
* that cluster holds no identifier of a kind the contact has with another value (two phones,
  two e-mails, two handles on one platform): a conflict is evidence of two people;
* it is not queued for review (oversized).

A lone contact with a full name also joins a profile it is weighed against as a whole
(``weighed_hits``): the name-only guard's Bayes factors (``resolution.matching.guard``: the
home's own ``NameWeights``, estimated when its model was trained), with the
profile's context in place of one contact's (any of its cities, its contact created closest in
time, all its phones and e-mails for a conflict), give each profile bearing the name its odds;
the contact joins the one whose share of them all (and of "none of them") reaches ``ATTACH_P``:
the profile that fits, when no other might.

Only singletons attach, to clusters formed before any attachment: a contact never becomes a
bridge between two profiles. Operator decisions are applied after, and have the last word.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from resolution.linking.decisions import with_statuses
from resolution.linking.links import identifier_values
from resolution.matching.fields import DAY_SECONDS, name_counts
from resolution.matching.guard import CONFLICT_BITS, DEFAULT_WEIGHTS, NameWeights

ATTACH_P = 0.7
"""The probability from which a lone contact joins the profile it is weighed against: the
profile's odds (the guard's Bayes factors with the profile's context) as a share of all the
odds of the profiles bearing its name plus 1 for "none of them" (the contact is at most one of
them). On generated seeds 7 and 202, 0.7 held pairwise precision at 0.94; 0.6 brought it to 0.93."""


def most_bearers(weights: NameWeights = DEFAULT_WEIGHTS) -> float:
    """A full name borne by more contacts than this never reaches ``ATTACH_P`` under
    ``weights``, whatever its context (the best context adds ``best_context_bits``, a conflict
    only takes away, and other profiles only lower a profile's share): its lone bearers are not
    weighed (at a million contacts the common names' bearers, each against every profile
    bearing the name, took gigabytes)."""
    return weights.name_odds * 2**weights.best_context_bits * (1 - ATTACH_P) / ATTACH_P


MOST_BEARERS = most_bearers()
"""``most_bearers`` of the guard's default weights."""

ATTACH_REASON = "the one profile its full name and its context fit"
ATTACHMENTS = "attachments"
"""The warehouse table of a run's attachments (source, source_id: ``keyed_attachments``): an
incremental run undoes them (``detach``) before attaching anew over the whole home. Kept by
contact key, not record_id: record ids are dense in key order, so a drop's new contacts shift
them from one run to the next."""

_KEY = ["source", "source_id"]


def _identifier_values(contacts: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """(record_id, kind, value) of every identifier (``links.identifier_values``), a handle's
    kind its platform: two handles conflict only on one platform."""
    values = identifier_values(contacts, columns)
    if values is None:
        return pl.DataFrame(schema={"record_id": pl.Int64, "kind": pl.String, "value": pl.String})
    return values.with_columns(pl.col("value").cast(pl.String)).with_columns(
        pl.when(pl.col("kind") == "handles")
        .then(pl.col("value").str.split(":").list.first())
        .otherwise(pl.col("kind"))
        .alias("kind")
    )


def attach_by_name_and_city(
    clusters: pl.DataFrame,
    contacts: pl.DataFrame,
    identifiers: Sequence[str],
    exclude: pl.Series | None = None,
    weights: NameWeights = DEFAULT_WEIGHTS,
    name_freq: pl.Series | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``clusters`` with each eligible singleton moved into the one profile that fits it (see
    the module docstring), and the attachments made: (record_id, cluster_id). Contacts in
    ``exclude`` (those an operator decided on: the decision has the last word) never attach.
    ``weights``: the guard's weights of the home (the model's ``NameWeights``); ``name_freq``:
    the contacts' ``name_counts``, when the caller has them."""
    named = contacts.filter(
        pl.col("given_key").is_not_null()
        & pl.col("surname_key").is_not_null()
        & pl.col("city_key").is_not_null()
    ).select("record_id", "given_key", "surname_key", "city_key")
    placed = clusters.select("record_id", "cluster_id", "status").join(named, on="record_id")
    lone = placed.filter(pl.col("status") == "singleton")
    if exclude is not None and exclude.len():
        lone = lone.filter(~pl.col("record_id").is_in(exclude.implode()))
    bearers = placed.filter(pl.col("status") != "review").select(
        "cluster_id", "given_key", "surname_key", "city_key"
    )
    by_city = (
        lone.join(bearers, on=["given_key", "surname_key", "city_key"], suffix="_to")
        .filter(pl.col("cluster_id_to") != pl.col("cluster_id"))
        .select("record_id", pl.col("cluster_id_to").alias("to"))
    )
    # both rules' profiles: a contact they send to two different profiles stays alone
    hits = (
        pl.concat([by_city, weighed_hits(clusters, contacts, exclude, weights, name_freq)])
        .group_by("record_id")
        .agg(pl.col("to").unique())
        .filter(pl.col("to").list.len() == 1)
        .select("record_id", pl.col("to").list.first().alias("cluster_id"))
    )
    if hits.height:
        # the identifiers of the attached contacts and of their profiles' members only
        involved = clusters.select("record_id", "cluster_id").filter(
            pl.col("cluster_id").is_in(hits["cluster_id"].implode())
            | pl.col("record_id").is_in(hits["record_id"].implode())
        )
        ids = _identifier_values(
            contacts.join(involved.select("record_id"), on="record_id", how="semi"), identifiers
        )
        theirs = ids.join(involved, on="record_id").select(
            "cluster_id", "kind", pl.col("value").alias("their")
        )
        mine = hits.join(ids, on="record_id")
        conflicts = (
            mine.join(theirs, on=["cluster_id", "kind"])
            .group_by("record_id", "kind")
            .agg((pl.col("value") == pl.col("their")).any().alias("shared"))
            .filter(~pl.col("shared"))
            .select("record_id")
            .unique()
        )
        hits = hits.join(conflicts, on="record_id", how="anti")
    moved = hits.sort("record_id")
    out = (
        clusters.join(moved.rename({"cluster_id": "to"}), on="record_id", how="left")
        .with_columns(pl.coalesce("to", "cluster_id").alias("cluster_id"))
        .drop("to")
    )
    return _settled(out), moved.with_columns(pl.col("cluster_id").cast(pl.Int64))


def weighed_hits(
    clusters: pl.DataFrame,
    contacts: pl.DataFrame,
    exclude: pl.Series | None = None,
    weights: NameWeights = DEFAULT_WEIGHTS,
    name_freq: pl.Series | None = None,
) -> pl.DataFrame:
    """(record_id, to): each singleton with a full name and the one profile it fits when weighed
    against every profile bearing that name (see the module docstring). None without name keys.
    ``name_freq``: the contacts' ``name_counts``, when the caller has them."""
    empty = pl.DataFrame(schema={"record_id": pl.Int64, "to": pl.Int64})
    if not {"name_key", "given_key"} <= set(contacts.columns):
        return empty
    freq = name_counts(contacts) if name_freq is None else name_freq
    columns: list[pl.Expr | pl.Series] = [
        pl.col("record_id"),
        freq.struct.field("key").alias("key"),
        freq.struct.field("n").cast(pl.Float64).alias("n"),
        (pl.col("city_key") if "city_key" in contacts.columns else pl.lit(None, pl.String)).alias(
            "city"
        ),
        (
            pl.col("created_at").dt.epoch("s") / DAY_SECONDS
            if "created_at" in contacts.columns
            else pl.lit(None, pl.Float64)
        ).alias("created"),
        *(
            (pl.col(f) if f in contacts.columns else pl.lit([], pl.List(pl.String))).alias(f)
            for f in CONFLICT_BITS
        ),
    ]
    placed = (
        clusters.select("record_id", "cluster_id", "status")
        .join(contacts.select(columns), on="record_id")
        .filter(pl.col("key").str.contains(" "))
    )
    lone = placed.filter((pl.col("status") == "singleton") & (pl.col("n") <= most_bearers(weights)))
    if exclude is not None and exclude.len():
        lone = lone.filter(~pl.col("record_id").is_in(exclude.implode()))
    members = placed.filter(pl.col("status") != "review")
    bearing = members.select("key", pl.col("cluster_id").alias("to")).unique()
    candidates = lone.join(bearing, on="key").filter(pl.col("to") != pl.col("cluster_id"))
    if candidates.height == 0:
        return empty
    # the members of the profiles a candidate may join, not the whole home
    whole = (
        clusters.select("record_id", pl.col("cluster_id").alias("to"))
        .join(candidates.select("to").unique(), on="to", how="semi")
        .join(contacts.select(columns[0], *columns[3:]), on="record_id")
    )
    against = candidates.drop("status", "cluster_id").join(whole, on="to", suffix="_p")
    conflict_terms = []
    for field, bits in weights.conflicts.items():
        mine, theirs = pl.col(field), pl.col(f"{field}_p")
        has_mine = mine.list.len().fill_null(0) > 0
        has_theirs = (theirs.list.len().fill_null(0) > 0).any()
        shared = (mine.list.set_intersection(theirs).list.len().fill_null(0) > 0).any()
        conflict_terms.append(
            pl.when(has_mine.first() & has_theirs & ~shared).then(bits).otherwise(0.0)
        )
    apart = (pl.col("created") - pl.col("created_p")).abs().min()
    created: pl.Expr = pl.lit(0.0)  # no time on one side: no evidence
    for days, bits in reversed(weights.created):  # the first step that fits wins
        created = pl.when(apart <= days).then(bits).otherwise(created)
    city_same = (pl.col("city") == pl.col("city_p")).fill_null(False).any()
    city_both = (pl.col("city").is_not_null() & pl.col("city_p").is_not_null()).any()
    weighed = against.group_by("record_id", "to").agg(
        (
            (weights.name_odds / pl.col("n").first()).log(2)
            + pl.when(city_same)
            .then(weights.city_same)
            .when(city_both)
            .then(weights.city_other)
            .otherwise(0.0)
            + created
            + pl.sum_horizontal(conflict_terms)
        ).alias("bits")
    )
    # the contact is one of these profiles' person or none of them: each profile's share of
    # the odds, "none" weighing 1
    odds = pl.lit(2.0).pow(pl.col("bits"))
    return (
        weighed.with_columns((odds / (1.0 + odds.sum().over("record_id"))).alias("p"))
        .filter(pl.col("p") >= ATTACH_P)
        .select("record_id", "to")
        .sort("record_id")
    )


def keyed_attachments(attached: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """The ``ATTACHMENTS`` rows of this run's attachments (``attach_by_name_and_city``'s second
    frame): the attached contacts' keys, in key order."""
    return (
        contacts.select("record_id", *_KEY)
        .join(attached.select("record_id"), on="record_id", how="semi")
        .select(*_KEY)
        .sort(_KEY)
    )


def attached_now(attachments: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """The record ids, in this run's ``contacts``, of an earlier run's ``ATTACHMENTS``
    (contacts since deleted or erased drop out). A table of an earlier version, holding record
    ids of its own run only, cannot be mapped: it gives none."""
    if not set(_KEY) <= set(attachments.columns):
        return pl.DataFrame(schema={"record_id": pl.Int64})
    return (
        contacts.select("record_id", *_KEY)
        .join(attachments.select(*_KEY), on=_KEY, how="semi")
        .select("record_id")
    )


def detach(clusters: pl.DataFrame, attachments: pl.DataFrame) -> pl.DataFrame:
    """``clusters`` with the contacts of ``attachments`` (a run's attachments) alone again."""
    gone = attachments.select("record_id").join(clusters.select("record_id"), on="record_id")
    if gone.height == 0:
        return clusters
    # a cluster of its own (a value no cluster id takes): the cluster it had joined may bear its
    # record id as cluster id, when it was the smallest there
    out = clusters.with_columns(
        pl.when(pl.col("record_id").is_in(gone["record_id"].implode()))
        .then(-1 - pl.col("record_id"))
        .otherwise(pl.col("cluster_id"))
        .alias("cluster_id")
    )
    return _settled(out)


def _settled(clusters: pl.DataFrame) -> pl.DataFrame:
    """cluster_id the smallest record_id of each cluster again, and the statuses it implies."""
    return with_statuses(
        clusters.with_columns(pl.col("record_id").min().over("cluster_id").alias("cluster_id"))
    )
