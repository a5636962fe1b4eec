"""The Spark engine (``[resolution] engine = "spark"``, ``edin run --engine spark``): blocking
and scoring on pyspark 4, with the trained model broadcast as its JSON and the records scored
by the same Python code the DuckDB path runs, and connected components by label propagation in
Spark SQL. pyspark is imported only when a function here runs (the ``spark`` extra)."""

from resolution.spark.components import connected_components
from resolution.spark.engine import (
    CANDIDATES,
    SparkBlocking,
    SparkScored,
    block_on_spark,
    score_on_spark,
    work_dir,
)
from resolution.spark.session import spark_session

__all__ = [
    "CANDIDATES",
    "SparkBlocking",
    "SparkScored",
    "block_on_spark",
    "connected_components",
    "score_on_spark",
    "spark_session",
    "work_dir",
]
