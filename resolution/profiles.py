"""Unified profiles: members of each cluster, one golden row per person, the merged history.

Profile IDs here are deterministic functions of the cluster's content (the smallest member
key), so the same input always gives the same IDs.
"""

from __future__ import annotations

import base64
import hashlib

import polars as pl

from resolution.contract import HISTORY, MEMBERS, PROFILES, conform


def profile_id(source: str, source_id: str) -> str:
    """A short, URL-safe ID derived from a contact key: ``p_`` + 16 base32 characters."""
    digest = hashlib.sha256(f"{source}\x1f{source_id}".encode()).digest()
    return "p_" + base64.b32encode(digest[:10]).decode().lower()


def build_members(contacts: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """members: (profile_id, source, source_id, confidence), one row per contact."""
    keyed = contacts.select("record_id", "source", "source_id").join(clusters, on="record_id")
    anchors = (keyed.filter(pl.col("record_id") == pl.col("cluster_id"))
               .select("cluster_id", pl.struct("source", "source_id").map_elements(
                   lambda s: profile_id(s["source"], s["source_id"]),
                   return_dtype=pl.String).alias("profile_id")))
    out = keyed.join(anchors, on="cluster_id").sort("source", "source_id")
    return conform(out, MEMBERS, "members")


def _modes(df: pl.DataFrame, col: str) -> pl.DataFrame:
    """Per profile, the most frequent non-null value of ``col``; ties go to the longer, then the
    smaller value, so the choice depends on the data only."""
    counts = (df.drop_nulls(col).group_by("profile_id", col).len()
              .with_columns(pl.col(col).str.len_chars().alias("_chars")))
    return (counts.sort(["profile_id", "len", "_chars", col], descending=[False, True, True, False])
            .unique("profile_id", keep="first").select("profile_id", col))


def build_profiles(contacts: pl.DataFrame, members: pl.DataFrame, clusters: pl.DataFrame,
                   history: pl.DataFrame) -> pl.DataFrame:
    """profiles: one row per profile_id with its identifiers, activity and channels."""
    joined = (contacts.select("record_id", "source", "source_id", "display_name", "city_key",
                              "created_at", "emails_display", "phones_display", "handles_display")
              .join(members.select("source", "source_id", "profile_id"), on=["source", "source_id"])
              .join(clusters.select("record_id", "status"), on="record_id"))
    activity = history.group_by("profile_id").agg(
        pl.len().alias("interactions"),
        pl.col("started_at").min().alias("h_first"), pl.col("started_at").max().alias("h_last"))
    profiles = joined.group_by("profile_id").agg(
        pl.col("emails_display")
        .list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias("emails"),
        pl.col("phones_display")
        .list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias("phones"),
        pl.col("handles_display")
        .list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias("handles"),
        pl.col("created_at").min().alias("c_first"), pl.col("created_at").max().alias("c_last"),
        pl.len().alias("contacts"),
        pl.col("source").unique().sort().alias("channels"),
        pl.when((pl.col("status") == "review").any()).then(pl.lit("review"))
        .otherwise(pl.lit("published")).alias("status"),
    ).join(activity, on="profile_id", how="left").join(
        _modes(joined, "display_name"), on="profile_id", how="left").join(
        _modes(joined, "city_key").select("profile_id", pl.col("city_key").str.to_titlecase()
                                          .alias("city")), on="profile_id", how="left",
    ).with_columns(
        pl.min_horizontal("c_first", "h_first").alias("first_seen"),
        pl.max_horizontal("c_last", "h_last").alias("last_seen"),
        pl.col("interactions").fill_null(0).cast(pl.Int64),
        pl.col("contacts").cast(pl.Int64),
    )
    return conform(profiles.sort("profile_id"), PROFILES, "profiles")


def build_history(interactions: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """history: every interaction of every member, with its profile_id, in time order."""
    out = interactions.join(members.select("source", "source_id", "profile_id"),
                            on=["source", "source_id"]).with_columns(
        pl.col("started_ts").alias("started_at"))
    out = out.sort("profile_id", "started_at", "source", "interaction_id", nulls_last=True)
    return conform(out, HISTORY, "history")
