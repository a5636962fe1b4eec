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

Only singletons attach, to clusters formed before any attachment: a contact never becomes a
bridge between two profiles. Operator decisions are applied after, and have the last word.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from resolution.linking.decisions import with_statuses

ATTACH_REASON = "the only profile with this full name in this city"
ATTACHMENTS = "attachments"
"""The warehouse table of a run's attachments (source, source_id: ``keyed_attachments``): an
incremental run undoes them (``detach``) before attaching anew over the whole home. Kept by
contact key, not record_id: record ids are dense in key order, so a drop's new contacts shift
them from one run to the next."""

_KEY = ["source", "source_id"]


def _identifier_values(contacts: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """(record_id, kind, value) of every identifier: a handle's kind is its platform."""
    parts = []
    for column in columns:
        if column not in contacts.columns:
            continue
        values = contacts.select("record_id", pl.col(column).alias("value"))
        if isinstance(values.schema["value"], pl.List):  # phones, e-mails, handles
            values = values.explode("value")
        values = values.drop_nulls("value").with_columns(pl.col("value").cast(pl.String))
        kind = (
            pl.col("value").str.split(":").list.first() if column == "handles" else pl.lit(column)
        )
        parts.append(values.select("record_id", kind.alias("kind"), "value"))
    if not parts:
        return pl.DataFrame(schema={"record_id": pl.Int64, "kind": pl.String, "value": pl.String})
    return pl.concat(parts)


def attach_by_name_and_city(
    clusters: pl.DataFrame,
    contacts: pl.DataFrame,
    identifiers: Sequence[str],
    exclude: pl.Series | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``clusters`` with each eligible singleton moved into the one profile that fits it (see
    the module docstring), and the attachments made: (record_id, cluster_id). Contacts in
    ``exclude`` (those an operator decided on: the decision has the last word) never attach."""
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
    hits = (
        lone.join(bearers, on=["given_key", "surname_key", "city_key"], suffix="_to")
        .filter(pl.col("cluster_id_to") != pl.col("cluster_id"))
        .group_by("record_id")
        .agg(pl.col("cluster_id_to").unique().alias("to"))
        .filter(pl.col("to").list.len() == 1)
        .select("record_id", pl.col("to").list.first().alias("cluster_id"))
    )
    if hits.height:
        ids = _identifier_values(contacts, identifiers)
        theirs = ids.join(clusters.select("record_id", "cluster_id"), on="record_id").select(
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
    out = clusters.with_columns(
        pl.when(pl.col("record_id").is_in(gone["record_id"].implode()))
        .then(pl.col("record_id"))
        .otherwise(pl.col("cluster_id"))
        .alias("cluster_id")
    )
    return _settled(out)


def _settled(clusters: pl.DataFrame) -> pl.DataFrame:
    """cluster_id the smallest record_id of each cluster again, and the statuses it implies."""
    return with_statuses(
        clusters.with_columns(pl.col("record_id").min().over("cluster_id").alias("cluster_id"))
    )
