"""Unified profiles: members of each cluster, one golden row per person, the merged history.

Profile IDs come from ``resolution.publishing.identity`` (stable across runs). The golden record
picks each field's value from one contact by the rule configured for that field (``[profile]``, see
docs/CONFIG.md) and says which contact that was; identifiers stay lists of every value seen.
Statistics the helpdesk uses (CSAT counts, share of bad ratings, preferred channel) come from
the merged history.
"""

from __future__ import annotations

import duckdb
import polars as pl

from resolution.config import ProfileSettings
from resolution.contract import HISTORY, MEMBERS, PROFILES, RATINGS, conform
from resolution.publishing.identity import assign_ids, profile_id
from resolution.warehouse import has_table

__all__ = [
    "build_history",
    "build_members",
    "build_profiles",
    "golden_field",
    "history_rows",
    "history_stats",
    "profile_digests",
    "profile_id",
    "reuse_profiles",
    "write_history",
]

# Golden field → (value column in normalized_contacts, output column, provenance prefix).
GOLDEN = {"name": ("display_name", "display_name", "name"), "city": ("city_key", "city", "city")}


def cluster_keys(contacts: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """(cluster_id, source, source_id) of every clustered contact."""
    return (
        contacts.select("record_id", "source", "source_id")
        .join(clusters.select("record_id", "cluster_id"), on="record_id")
        .select("cluster_id", "source", "source_id")
    )


def build_members(
    contacts: pl.DataFrame, clusters: pl.DataFrame, ids: pl.DataFrame | None = None
) -> pl.DataFrame:
    """members: (profile_id, source, source_id, confidence), one row per contact.

    ``ids`` (cluster_id, profile_id) comes from ``identity.assign_ids``; without it every
    cluster gets the ID derived from its smallest member key (a first run).
    """
    keyed = contacts.select("record_id", "source", "source_id").join(clusters, on="record_id")
    if ids is None:
        ids = assign_ids(keyed.select("cluster_id", "source", "source_id")).ids
    out = keyed.join(ids, on="cluster_id").sort("source", "source_id")
    return conform(out, MEMBERS, "members")


def golden_field(
    joined: pl.DataFrame, value: str, rule: str, source_priority: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Per profile, the chosen non-null ``value`` and the contact it came from:
    (profile_id, value, source, source_id).

    - ``most_frequent``: the commonest value (ties: the longer, then the smaller value);
    - ``most_recent``: the value of the most recently created contact;
    - ``source_priority``: the value from the best-ranked source (unlisted sources after the
      listed ones), the most recent contact within it.
    Remaining ties go to the most recent contact, then the smallest (source, source_id), so the
    choice depends on the data only.
    """
    rows = joined.drop_nulls(value).select("profile_id", value, "source", "source_id", "created_at")
    recency = ["created_at", "source", "source_id"]
    recency_desc = [True, False, False]
    if rule == "most_frequent":
        ranked = rows.with_columns(
            pl.len().over("profile_id", value).alias("_n"),
            pl.col(value).str.len_chars().alias("_chars"),
        )
        by, desc = ["_n", "_chars", value, *recency], [True, True, False, *recency_desc]
    elif rule == "most_recent":
        by, desc, ranked = recency, recency_desc, rows
    elif rule == "source_priority":
        rank = {s: i for i, s in enumerate(source_priority)}
        ranked = rows.with_columns(
            pl.col("source")
            .replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
            .alias("_rank")
        )
        by, desc = ["_rank", *recency], [False, *recency_desc]
    else:
        raise ValueError(f"unknown survivorship rule {rule!r}")
    return (
        ranked.sort(["profile_id", *by], descending=[False, *desc], nulls_last=True)
        .unique("profile_id", keep="first", maintain_order=True)
        .select("profile_id", value, "source", "source_id")
    )


def _history_stats(history: pl.DataFrame) -> pl.DataFrame:
    rated = pl.col("rating").is_in(list(RATINGS))
    stats = (
        history.group_by("profile_id")
        .agg(
            pl.len().alias("interactions"),
            pl.col("started_at").min().alias("h_first"),
            pl.col("started_at").max().alias("h_last"),
            *[(pl.col("rating") == r).sum().cast(pl.Int64).alias(f"csat_{r}") for r in RATINGS],
            rated.sum().alias("_rated"),
        )
        .with_columns(
            pl.when(pl.col("_rated") > 0)
            .then(pl.col("csat_bad") / pl.col("_rated"))
            .alias("bad_share")
        )
    )
    preferred = (
        history.group_by("profile_id", "source")
        .agg(pl.len().alias("_n"), pl.col("started_at").max().alias("_last"))
        .sort(
            ["profile_id", "_n", "_last", "source"],
            descending=[False, True, True, False],
            nulls_last=True,
        )
        .unique("profile_id", keep="first", maintain_order=True)
        .select("profile_id", pl.col("source").alias("preferred_channel"))
    )
    return stats.join(preferred, on="profile_id", how="left")


PROFILE_CONTACT_COLUMNS = (
    "record_id",
    "source",
    "source_id",
    "display_name",
    "city_key",
    "created_at",
    "emails_display",
    "phones_display",
    "handles_display",
)
"""The contact columns a profile is built from (``build_profiles``; the Spark engine ships
only these to its executors)."""


def build_profiles(
    contacts: pl.DataFrame,
    members: pl.DataFrame,
    clusters: pl.DataFrame,
    history: pl.DataFrame,
    settings: ProfileSettings | None = None,
) -> pl.DataFrame:
    """profiles: one row per profile_id with its golden fields (and their provenance),
    identifiers, activity, channels and helpdesk statistics."""
    settings = settings or ProfileSettings()
    joined = (
        contacts.select(PROFILE_CONTACT_COLUMNS)
        .join(members.select("source", "source_id", "profile_id"), on=["source", "source_id"])
        .join(clusters.select("record_id", "status"), on="record_id")
    )
    profiles = (
        joined.group_by("profile_id")
        .agg(
            pl.col("emails_display")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique()
            .sort()
            .alias("emails"),
            pl.col("phones_display")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique()
            .sort()
            .alias("phones"),
            pl.col("handles_display")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique()
            .sort()
            .alias("handles"),
            pl.col("created_at").min().alias("c_first"),
            pl.col("created_at").max().alias("c_last"),
            pl.len().alias("contacts"),
            pl.col("source").unique().sort().alias("channels"),
            pl.when((pl.col("status") == "review").any())
            .then(pl.lit("review"))
            .otherwise(pl.lit("published"))
            .alias("status"),
        )
        .join(_history_stats(history), on="profile_id", how="left")
    )
    for field_name, (value, column, prefix) in GOLDEN.items():
        chosen = golden_field(joined, value, settings.rule(field_name), settings.source_priority)
        if field_name == "city":
            chosen = chosen.with_columns(pl.col(value).str.to_titlecase())
        profiles = profiles.join(
            chosen.rename(
                {value: column, "source": f"{prefix}_source", "source_id": f"{prefix}_source_id"}
            ),
            on="profile_id",
            how="left",
        )
    profiles = profiles.with_columns(
        pl.min_horizontal("c_first", "h_first").alias("first_seen"),
        pl.max_horizontal("c_last", "h_last").alias("last_seen"),
        *[
            pl.col(c).fill_null(0).cast(pl.Int64)
            for c in ("interactions", "csat_good", "csat_neutral", "csat_bad")
        ],
        pl.col("contacts").cast(pl.Int64),
    )
    return conform(profiles.sort("profile_id"), PROFILES, "profiles")


def build_history(interactions: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """history: every interaction of every member, with its profile_id, in time order."""
    out = interactions.join(
        members.select("source", "source_id", "profile_id"), on=["source", "source_id"]
    ).with_columns(pl.col("started_ts").alias("started_at"))
    out = out.sort("profile_id", "started_at", "source", "interaction_id", nulls_last=True)
    return conform(out, HISTORY, "history")


# The history columns ``build_profiles`` reads (its helpdesk statistics and channels).
HISTORY_STATS_COLUMNS = ("profile_id", "source", "started_at", "rating")

# ``build_history``'s sort keys: they order every row, (source, interaction_id) being the
# interactions' key (``ingest`` keeps one row per key, ``known`` replaces a row by its key), so
# no further column is sorted on (the other five cost the sort a tenth more at a million
# contacts, for the same bytes).
_HISTORY_ORDER = ("profile_id", "started_at", "source", "interaction_id")


# ``build_history``'s rows in the warehouse, in no order (the join of the interactions with
# their contacts' profiles)
_HISTORY_ROWS = (
    "SELECT m.profile_id, i.source, i.source_id, i.interaction_id, "
    "i.started_ts AS started_at, i.channel, i.subject, i.rating, i.operator "
    "FROM raw_interactions i JOIN members m "
    "ON i.source = m.source AND i.source_id = m.source_id"
)


def write_history(con: duckdb.DuckDBPyConnection) -> None:
    """``history`` in the warehouse: ``build_history`` of its raw_interactions and members, in
    that order, as a view (made when read: publish streams it into the snapshot once; sorting
    it into a table first cost a million-contact run 2.2 s, and the sort is paid once either
    way). ``history_stats`` reads what the profiles need without the sort."""
    order = ", ".join(f"{c} NULLS LAST" for c in _HISTORY_ORDER)
    if has_table(con, "history"):  # a warehouse made before history was a view
        con.execute("DROP TABLE history")
    con.execute(f"CREATE OR REPLACE VIEW history AS {_HISTORY_ROWS} ORDER BY {order}")


def history_stats(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """``HISTORY_STATS_COLUMNS`` of every history row (``write_history``), in no order."""
    return con.sql(f"SELECT {', '.join(HISTORY_STATS_COLUMNS)} FROM ({_HISTORY_ROWS})").pl()


def history_rows(con: duckdb.DuckDBPyConnection) -> int:
    """The rows of ``history`` (``write_history``), counted without sorting them."""
    return int(con.sql(f"SELECT count(*) FROM ({_HISTORY_ROWS})").fetchall()[0][0])


# The seeds of ``profile_digests`` (a change of them, or of polars' hash, only means every
# profile is built again once).
_CONTACT_SEED, _HISTORY_SEED = 31, 37


def profile_digests(
    contacts: pl.DataFrame,
    members: pl.DataFrame,
    clusters: pl.DataFrame,
    history: pl.DataFrame,
) -> pl.DataFrame:
    """(profile_id, digest): a hash of everything ``build_profiles`` reads of each profile (its
    contacts' ``PROFILE_CONTACT_COLUMNS`` but the run's record_id, their cluster status, and
    its history's ``HISTORY_STATS_COLUMNS``). Equal digests and settings, equal profile rows."""
    joined = (
        contacts.select(PROFILE_CONTACT_COLUMNS)
        .join(members.select("source", "source_id", "profile_id"), on=["source", "source_id"])
        .join(clusters.select("record_id", "status"), on="record_id")
        .drop("record_id")
    )
    history = history.select(HISTORY_STATS_COLUMNS)
    hashes = pl.concat(
        [
            joined.select("profile_id", joined.hash_rows(seed=_CONTACT_SEED).alias("h")),
            history.select("profile_id", history.hash_rows(seed=_HISTORY_SEED).alias("h")),
        ]
    )
    return (
        hashes.group_by("profile_id")
        .agg(pl.col("h").sort())
        .select("profile_id", pl.col("h").hash(seed=0).reinterpret(signed=True).alias("digest"))
    )


def reuse_profiles(
    digests: pl.DataFrame, published: pl.DataFrame | None, kept: pl.DataFrame | None
) -> pl.DataFrame:
    """The rows of ``published`` (the profiles of the snapshot before) whose digest is the one
    ``kept`` (profile_id, digest) recorded when it was published, and is again now."""
    if published is None or kept is None or set(published.columns) != set(PROFILES):
        return pl.DataFrame(schema=PROFILES)
    same = digests.join(kept, on=["profile_id", "digest"], how="semi").select("profile_id")
    return conform(published.join(same, on="profile_id", how="semi"), PROFILES, "profiles")
