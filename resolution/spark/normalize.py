"""The normalize stage's normalizers on Spark: ``resolution.inputs.normalize.normalize_contacts``,
the DuckDB path's function, run on each slice of the contacts in ``mapInArrow``.

Every normalized column of a contact depends on that contact's cells only (each distinct value
goes through its normalizer, the answers are joined back), except ``record_id``: the contact's
rank in (source, source_id) order over *all* contacts. The driver numbers the contacts in that
order first (``_rank``); a slice, normalized alone, numbers its contacts 0..k-1 in the same
order, and those local numbers are turned back into the global ones. Slices are ranges of the
global order (``repartitionByRange``), so each task's contacts come sorted and together.

The hub values (a count of distinct people per value over all contacts) are found afterwards
on the driver, over the collected contacts, by the same ``find_hubs`` / ``drop_hubs``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from resolution.config import EdinConfig
from resolution.inputs.normalize import normalize_contacts
from resolution.spark.frames import IPC_SCHEMA, collect_frames, ipc_bytes, polars_frame, spark_frame

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RANK = "_rank"
ROWS_PER_TASK = 50_000
"""Contacts per task: enough for the distinct values of a slice to repeat, small enough to
spread a million contacts over 20 tasks."""


def normalize_slice(contacts: pl.DataFrame, config: EdinConfig) -> pl.DataFrame:
    """``normalize_contacts`` of a slice of the raw contacts carrying their global ``RANK``:
    the slice's normalized contacts with their global ``record_id``."""
    ranks = contacts.sort("source", "source_id")[RANK]
    out = normalize_contacts(contacts.drop(RANK), config)
    return out.with_columns(ranks.gather(out["record_id"]).alias("record_id"))


def normalize_on_spark(
    spark: SparkSession,
    contacts: pl.DataFrame,
    config: EdinConfig,
    rows_per_task: int = ROWS_PER_TASK,
) -> pl.DataFrame:
    """``normalize_contacts(contacts, config)``, computed slice by slice on ``spark``."""
    ranked = contacts.sort("source", "source_id").with_columns(
        pl.int_range(0, pl.len(), dtype=pl.Int64).alias(RANK)
    )
    schema = ranked.schema
    # one process per task: the executors are the parallelism, not a pool inside each task
    single = dataclasses.replace(
        config, resolution=dataclasses.replace(config.resolution, workers=1)
    )
    tasks = max(math.ceil(ranked.height / rows_per_task), spark.sparkContext.defaultParallelism)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        part = polars_frame(list(batches), schema)
        if part.height:
            yield ipc_bytes(normalize_slice(part, single))

    rows = spark_frame(spark, ranked).repartitionByRange(tasks, RANK)
    frames = collect_frames(rows.mapInArrow(run, IPC_SCHEMA))
    if not frames:
        return normalize_contacts(contacts, config)  # no contacts: the empty table's schema
    return pl.concat(frames).sort("record_id")
