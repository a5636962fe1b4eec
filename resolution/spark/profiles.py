"""The profiles on Spark: ``resolution.publishing.profiles.build_profiles``, the DuckDB path's
function, run on each bucket of people in a cogrouped ``applyInArrow``.

A profile row depends on its own members' contacts and its own history only (golden fields,
identifier lists, counts and CSAT statistics are all per profile, their ties broken by the
data), so any set of whole profiles gives exactly their rows. The contacts get their
``profile_id`` and ``status`` by a join in Spark SQL, contacts and history are bucketed by a
hash of ``profile_id`` (each bucket holds whole profiles), and each bucket's profiles are built
on an executor; the driver sorts the rows by ``profile_id`` as ``build_profiles`` does.

The stable IDs (``assign_ids``, against the published snapshot), the members and the history
stay on the driver: they are the inputs here, and published tables themselves.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from resolution.config import ProfileSettings
from resolution.contract import PROFILES, conform
from resolution.publishing.profiles import PROFILE_CONTACT_COLUMNS, build_profiles
from resolution.spark.frames import IPC_SCHEMA, collect_frames, ipc_bytes, polars_frame, spark_frame

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

BUCKET = "_bucket"
PEOPLE_PER_TASK = 25_000
"""Profiles per bucket: a million contacts (about 400,000 people) in 16 tasks."""

CONTACT_COLUMNS = PROFILE_CONTACT_COLUMNS
HISTORY_COLUMNS = ("profile_id", "source", "started_at", "rating")


def profiles_of_bucket(
    people: pl.DataFrame, history: pl.DataFrame, settings: ProfileSettings
) -> pl.DataFrame:
    """``build_profiles`` of whole profiles: ``people`` is their contacts (``CONTACT_COLUMNS``)
    with ``profile_id`` and ``status``, ``history`` their interactions."""
    return build_profiles(
        people.select(CONTACT_COLUMNS),
        people.select("source", "source_id", "profile_id"),
        people.select("record_id", "status"),
        history,
        settings,
    )


def profiles_on_spark(
    spark: SparkSession,
    contacts: pl.DataFrame,
    members: pl.DataFrame,
    clusters: pl.DataFrame,
    history: pl.DataFrame,
    settings: ProfileSettings | None = None,
    people_per_task: int = PEOPLE_PER_TASK,
) -> pl.DataFrame:
    """``build_profiles(contacts, members, clusters, history, settings)``, bucket by bucket
    on ``spark``."""
    from pyspark.sql import functions as F

    settings = settings or ProfileSettings()
    contacts = contacts.select(CONTACT_COLUMNS)
    history = history.select(HISTORY_COLUMNS)
    profiles = members["profile_id"].n_unique()
    buckets = max(math.ceil(profiles / people_per_task), spark.sparkContext.defaultParallelism)
    bucket = F.pmod(F.xxhash64("profile_id"), F.lit(buckets)).alias(BUCKET)

    people = (
        spark_frame(spark, contacts)
        .join(
            spark_frame(spark, members.select("source", "source_id", "profile_id")),
            ["source", "source_id"],
        )
        .join(spark_frame(spark, clusters.select("record_id", "status")), "record_id")
    )
    people = people.select(*CONTACT_COLUMNS, "profile_id", "status", bucket)
    people_schema = pl.Schema({**contacts.schema, "profile_id": pl.String(), "status": pl.String()})
    events = spark_frame(spark, history).select(*HISTORY_COLUMNS, bucket)
    history_schema = history.schema

    def build(left: pa.Table, right: pa.Table) -> pa.Table:
        got = profiles_of_bucket(
            polars_frame(left, people_schema), polars_frame(right, history_schema), settings
        )
        return pa.Table.from_batches([ipc_bytes(got)])

    rows = people.groupBy(BUCKET).cogroup(events.groupBy(BUCKET)).applyInArrow(build, IPC_SCHEMA)
    frames = collect_frames(rows)
    if not frames:
        return build_profiles(contacts, members, clusters, history.clear(), settings)
    return conform(pl.concat(frames).sort("profile_id"), PROFILES, "profiles")
