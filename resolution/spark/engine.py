"""Blocking and scoring on Spark, writing what the DuckDB path writes.

The model travels as its JSON text (``MatchModel.to_json``) and is rebuilt once per task; the
records travel as the rows of ``record_frame`` (name frequencies computed over all contacts
before they leave), so an executor makes exactly the records the DuckDB path makes.

- ``block_on_spark``: block keys per record in ``mapInArrow`` (``MatchModel.blocks``), then the
  distinct pairs sharing a block of at most ``max_block_size`` records by a self-join in Spark
  SQL, less those only a name connects (the name-only guard, ``linkable_spark``: the DuckDB
  path's ``linkable_sql`` in Spark SQL, over the records' ``guard_frame``), saved as Parquet in
  the work folder.
- ``score_on_spark``: each candidate pair joined to both records, scored in ``mapInArrow``
  through ``resolution.linking.scoring.score_chunk`` (``score_pairs`` and the same keep rule),
  the kept pairs collected as Arrow in the order the DuckDB path writes them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from resolution._typing import Record
from resolution.contract import SCORED_PAIR_REASONS, SCORED_PAIRS, conform, conform_reasons
from resolution.linking.blocking import block_key_frames, guard_frame
from resolution.linking.scoring import NAME_ONLY_GUARD, score_chunk
from resolution.matching.comparison import RecordColumns
from resolution.matching.explanation import field_weights, reason_columns
from resolution.matching.fields import NAME_COUNT, FieldSpec, frame_records
from resolution.matching.guard import DEFAULT_WEIGHTS, SPARK, NameWeights, linkable_sql
from resolution.matching.model import MatchModel

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

CANDIDATES = "candidate_pairs.parquet"
KEYS = "_block_keys"

_BLOCKED_SQL = """
WITH sized AS (
    SELECT block_key, record_id, count(*) OVER (PARTITION BY block_key) AS n
    FROM edin_block_keys
)
SELECT DISTINCT a.record_id AS record_id_l, b.record_id AS record_id_r
FROM sized a JOIN sized b ON a.block_key = b.block_key AND a.record_id < b.record_id
WHERE a.n <= {max_block}
"""

_PAIRS_SQL = """
SELECT p.record_id_l, p.record_id_r
FROM edin_blocked_pairs p
JOIN edin_guard_records l ON l.record_id = p.record_id_l
JOIN edin_guard_records r ON r.record_id = p.record_id_r
WHERE {linkable}
"""


def linkable_spark(
    specs: list[FieldSpec],
    left: str = "l",
    right: str = "r",
    weights: NameWeights = DEFAULT_WEIGHTS,
) -> str:
    """``resolution.matching.guard.linkable_sql`` in Spark SQL: true when something other than
    a name may link the rows ``left`` and ``right`` of a ``guard_frame`` table (a shared set
    element, an equal value, two values of a configured field, one rare full name), false for
    the pairs ``name_only_pairs`` holds."""
    return linkable_sql(specs, left, right, dialect=SPARK, weights=weights)


_STATS_SQL = """
SELECT count(*) AS blocks,
       coalesce(sum(n), 0) AS block_keys,
       count_if(n > {max_block}) AS skipped_blocks,
       coalesce(sum(CASE WHEN n > {max_block} THEN n ELSE 0 END), 0) AS skipped_records
FROM (SELECT count(*) AS n FROM edin_block_keys GROUP BY block_key)
"""


@dataclass(frozen=True)
class SparkBlocking:
    """What ``resolution.linking.BlockingStats`` says of the DuckDB path, and where the
    candidate pairs were saved."""

    block_keys: int
    blocks: int
    skipped_blocks: int
    skipped_records: int
    pairs: int  # candidate pairs: distinct pairs sharing a block, less those held
    path: str
    held_by_guard: int = 0  # pairs sharing a block that only a name connects: not candidates


def work_dir(home: Path) -> str:
    """The folder of the engine's intermediate Parquet: ``EDIN_SPARK_WORK`` (on a cluster, a
    location every executor reaches: hdfs://, gs://, s3://, dbfs:/) or HOME/spark."""
    return os.environ.get("EDIN_SPARK_WORK") or str(Path(home).resolve() / "spark")


def _spark_frame(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    """A ``record_frame`` as a Spark DataFrame (counts as Int64: Spark has no unsigned type)."""
    frame = frame.with_columns(
        pl.col("name_freq").cast(pl.Struct({"key": pl.String, "n": pl.Int64}))
    )
    table = frame.to_arrow()
    # Spark reads plain (not large / view) Arrow strings and lists.
    table = table.cast(pa.schema([_plain(f) for f in table.schema]))
    return spark.createDataFrame(table)


def _plain(f: pa.Field) -> pa.Field:
    t = f.type
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.field(f.name, pa.string())
    if pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return pa.field(f.name, pa.list_(_plain(pa.field("element", t.value_type)).type))
    if pa.types.is_struct(t):
        return pa.field(f.name, pa.struct([_plain(t.field(i)) for i in range(t.num_fields)]))
    return f


def _model(text: str) -> MatchModel:
    return MatchModel.from_json(json.loads(text))


def keyed_records(model: MatchModel, records: dict[int, Record]) -> pa.Table:
    """The ``guard_frame`` of ``records`` with a column ``KEYS``: each record's block keys
    (``block_key_frames``, as the DuckDB path makes them), in key order."""
    guard = guard_frame(records, list(model.specs))
    frames = list(block_key_frames(model, records)) if records else []
    keys = (
        pl.concat(frames)
        if frames
        else pl.DataFrame(schema={"block_key": pl.String, "record_id": pl.Int64})
    )
    lists = (
        keys.sort("record_id", "block_key")
        .group_by("record_id", maintain_order=True)
        .agg(pl.col("block_key").alias(KEYS))
    )
    ids = pl.DataFrame({"record_id": guard.column("record_id").to_numpy()})
    got = ids.join(lists, on="record_id", how="left", maintain_order="left")[KEYS]
    return guard.append_column(KEYS, got.to_arrow().cast(pa.list_(pa.string())))


def block_on_spark(
    spark: SparkSession,
    model: MatchModel,
    frame: pl.DataFrame,
    work: str,
    max_block_size: int,
) -> SparkBlocking:
    """Candidate pairs (record_id_l < record_id_r) of the records of ``frame`` (a
    ``record_frame``), saved as Parquet under ``work``; counts as the DuckDB path's."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    text = spark.sparkContext.broadcast(json.dumps(model.to_json()))
    specs = list(model.specs)
    guard_schema = pa.schema([_plain(f) for f in guard_frame({}, specs).schema])
    schema = guard_schema.append(pa.field(KEYS, pa.list_(pa.string())))

    def keyed(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        m = _model(text.value)
        for batch in batches:
            recs = frame_records(pl.from_arrow(batch), m.specs)  # type: ignore[arg-type]
            yield from keyed_records(m, recs).cast(schema).to_batches()

    # the records once through Python: their guard columns and block keys, kept for both uses
    records = _spark_frame(spark, frame).mapInArrow(keyed, from_arrow_schema(schema))
    records = records.localCheckpoint()
    records.select(F.explode(KEYS).alias("block_key"), "record_id").createOrReplaceTempView(
        "edin_block_keys"
    )
    records.drop(KEYS).createOrReplaceTempView("edin_guard_records")
    blocked = spark.sql(_BLOCKED_SQL.format(max_block=int(max_block_size))).localCheckpoint()
    blocked.createOrReplaceTempView("edin_blocked_pairs")
    path = f"{work.rstrip('/')}/{CANDIDATES}"
    linkable = linkable_spark(specs, weights=NameWeights.of_model(model))
    spark.sql(_PAIRS_SQL.format(linkable=linkable)).write.mode("overwrite").parquet(path)
    row = spark.sql(_STATS_SQL.format(max_block=int(max_block_size))).collect()[0]
    pairs = spark.read.parquet(path).count()
    held = blocked.count() - pairs
    for view in ("edin_block_keys", "edin_blocked_pairs", "edin_guard_records"):
        spark.catalog.dropTempView(view)
    return SparkBlocking(
        block_keys=int(row["block_keys"]),
        blocks=int(row["blocks"]),
        skipped_blocks=int(row["skipped_blocks"]),
        skipped_records=int(row["skipped_records"]),
        pairs=int(pairs),
        path=path,
        held_by_guard=int(held),
    )


@dataclass(frozen=True)
class SparkScored:
    """``resolution.linking.ScoredCandidates`` from Spark: the kept pairs, their reasons and
    how many pairs the name-only guard held."""

    scored: pl.DataFrame
    reasons: pl.DataFrame
    held_by_guard: int


def score_on_spark(
    spark: SparkSession, model: MatchModel, frame: pl.DataFrame, candidates: str
) -> SparkScored:
    """Score the candidate pairs saved at ``candidates`` (``block_on_spark``) with the records
    of ``frame``; the kept pairs as the DuckDB path's ``score_candidates`` returns them."""
    from pyspark.sql import functions as F

    text = spark.sparkContext.broadcast(json.dumps(model.to_json()))
    held = spark.sparkContext.accumulator(0)
    fields = [*field_weights(model)[0], NAME_ONLY_GUARD]
    columns = reason_columns(fields)
    names = frame.columns

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        m = _model(text.value)
        _, matrix = field_weights(m)
        for batch in batches:
            df = pl.from_arrow(batch)
            assert isinstance(df, pl.DataFrame)
            if not df.height:
                continue
            sides = [df.select(pl.col(f"{s}_{c}").alias(c) for c in names) for s in "lr"]
            recs = frame_records(pl.concat(sides).unique("record_id", keep="first"), m.specs)
            table = RecordColumns(recs, [*(s.name for s in m.specs), NAME_COUNT])
            left, right = df["l_record_id"].to_numpy(), df["r_record_id"].to_numpy()
            kept, n_held = score_chunk(m, table, left, right, matrix, fields)
            held.add(n_held)
            yield from kept.to_arrow().to_batches()

    recs = _spark_frame(spark, frame)
    pairs = spark.read.parquet(candidates)
    joined = pairs.join(
        recs.select(*(F.col(c).alias(f"l_{c}") for c in names)),
        pairs.record_id_l == F.col("l_record_id"),
    ).join(
        recs.select(*(F.col(c).alias(f"r_{c}") for c in names)),
        pairs.record_id_r == F.col("r_record_id"),
    )
    joined = joined.select(*(f"l_{c}" for c in names), *(f"r_{c}" for c in names))
    schema = ", ".join(
        ["record_id_l long", "record_id_r long", "score double", *(f"`{c}` float" for c in columns)]
    )
    table = joined.mapInArrow(score, schema).toArrow()
    got = pl.from_arrow(table)
    assert isinstance(got, pl.DataFrame)
    got = got.sort("record_id_l", "record_id_r")
    reasons = conform_reasons(got, SCORED_PAIR_REASONS, "scored_pair_reasons")
    return SparkScored(conform(reasons, SCORED_PAIRS, "scored_pairs"), reasons, int(held.value))
