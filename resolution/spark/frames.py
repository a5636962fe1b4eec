"""Moving polars frames to Spark and back without losing a type.

Into Spark, a frame goes as Arrow (``spark_frame``: plain strings and lists, no unsigned
integers, which Spark lacks); inside a task, its rows come back as the driver's polars schema
(``polars_frame``: a timestamp read in the session's time zone is the same instant, cast back to
the contract's ``Datetime("us", "UTC")``). Out of a task, a result goes as one Arrow IPC stream
per task (``ipc_bytes``), a ``binary`` column the driver reads back (``collect_frames``): the
exact polars types the DuckDB path makes, with no Spark type in between.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

IPC_SCHEMA = "ipc binary"
"""The schema of a task's output: one row per task, its result as an Arrow IPC stream."""

_UNSIGNED = {pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64}


def plain_field(f: pa.Field) -> pa.Field:
    """``f`` with plain (not large / view) Arrow strings and lists, which Spark reads."""
    t = f.type
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.field(f.name, pa.string())
    if pa.types.is_large_list(t) or pa.types.is_list_view(t) or pa.types.is_list(t):
        return pa.field(f.name, pa.list_(plain_field(pa.field("element", t.value_type)).type))
    if pa.types.is_struct(t):
        return pa.field(f.name, pa.struct([plain_field(t.field(i)) for i in range(t.num_fields)]))
    return f


def spark_frame(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    """``frame`` as a Spark DataFrame (unsigned integers as Int64)."""
    frame = frame.with_columns(
        pl.col(c).cast(pl.Int64) for c, t in frame.schema.items() if t in _UNSIGNED
    )
    table = frame.to_arrow()
    table = table.cast(pa.schema([plain_field(f) for f in table.schema]))
    return spark.createDataFrame(table)


def polars_frame(table: pa.Table | list[pa.RecordBatch], schema: pl.Schema) -> pl.DataFrame:
    """Rows of a Spark task (an Arrow table or batches) as a frame of the driver's ``schema``
    (its columns, in its order, with its types)."""
    if isinstance(table, list):
        table = (
            pa.Table.from_batches(table)
            if table
            else pa.table({name: pa.array([], pa.null()) for name in schema})
        )
    got = pl.from_arrow(table)
    assert isinstance(got, pl.DataFrame)
    if not got.height:
        return pl.DataFrame(schema=schema)
    return got.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def ipc_bytes(frame: pl.DataFrame) -> pa.RecordBatch:
    """``frame`` as a one-row batch of ``IPC_SCHEMA``: the output of a task."""
    buf = io.BytesIO()
    frame.write_ipc(buf, compression="uncompressed")
    return pa.RecordBatch.from_arrays([pa.array([buf.getvalue()], pa.binary())], names=["ipc"])


def collect_frames(results: DataFrame) -> list[pl.DataFrame]:
    """The frames of ``results`` (``IPC_SCHEMA``), task by task, streamed to the driver."""
    return [pl.read_ipc(io.BytesIO(row["ipc"])) for row in results.toLocalIterator()]
