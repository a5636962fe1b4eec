"""Hub identifiers: values shared by so many distinct people that they stop being evidence.

A call-centre number or ``test@test.ru`` would otherwise chain strangers into one profile
(DESIGN.md invariant 6). "Distinct people" cannot be known before resolution, so it is
estimated by the distinct name keys among the contacts that share the value; a value shared by
very many contacts with no names at all is a hub too.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

# Contacts without names still hint at a hub when there are this many per allowed person.
CONTACTS_PER_PERSON = 5


def find_hubs(contacts: pl.DataFrame, max_people: int, columns: Sequence[str]) -> pl.DataFrame:
    """Values of ``columns`` (``resolution.matching.fields.hub_columns``) shared by more than
    ``max_people`` distinct people: kind, value, people, contacts."""
    frames = []
    for col in columns:
        exploded = contacts.select("name_key", pl.col(col).alias("value"))
        if isinstance(exploded.schema["value"], pl.List):
            exploded = exploded.explode("value")
        frames.append(
            exploded.drop_nulls("value")
            .group_by("value")
            .agg(
                pl.col("name_key").drop_nulls().n_unique().alias("people"),
                pl.len().alias("contacts"),
            )
            .with_columns(pl.lit(col).alias("kind"))
        )
    stats = (
        pl.concat(frames)
        if frames
        else pl.DataFrame(
            schema={
                "value": pl.String,
                "people": pl.UInt32,
                "contacts": pl.UInt32,
                "kind": pl.String,
            }
        )
    )
    hubs = stats.filter(
        (pl.col("people") > max_people) | (pl.col("contacts") > max_people * CONTACTS_PER_PERSON)
    )
    return hubs.select(
        "kind", "value", pl.col("people").cast(pl.Int64), pl.col("contacts").cast(pl.Int64)
    ).sort("kind", "value")


def drop_hubs(contacts: pl.DataFrame, hubs: pl.DataFrame) -> pl.DataFrame:
    """Remove hub values from the identifier lists (display columns keep them) and flag them."""
    out = contacts
    for kind in hubs["kind"].unique().sort().to_list():
        values = hubs.filter(pl.col("kind") == kind)["value"].to_list()
        if contacts.schema[kind] == pl.String:  # a single-valued extra identifier field
            is_hub = pl.col(kind).is_in(values)
            out = out.with_columns(
                pl.when(is_hub).then(None).otherwise(pl.col(kind)).alias(kind),
                pl.when(is_hub)
                .then(pl.col("flags").list.concat(pl.lit([f"{kind}:hub"])))
                .otherwise(pl.col("flags"))
                .alias("flags"),
            )
            continue
        out = out.with_columns(
            pl.col(kind)
            .list.set_difference(pl.lit(values, dtype=pl.List(pl.String)))
            .list.sort()
            .alias(kind),
            pl.when(
                pl.col(kind)
                .list.set_intersection(pl.lit(values, dtype=pl.List(pl.String)))
                .list.len()
                > 0
            )
            .then(pl.col("flags").list.concat(pl.lit([f"{kind}:hub"])).list.unique().list.sort())
            .otherwise(pl.col("flags"))
            .alias("flags"),
        )
    return out
