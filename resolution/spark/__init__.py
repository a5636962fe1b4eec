"""The Spark engine (``[resolution] engine = "spark"``, ``edin run --engine spark``): the
normalizers, blocking, scoring and the profiles on pyspark 4, with the trained model broadcast
as its JSON and the records scored by the same Python code the DuckDB path runs; dedupe's
clustering of the connected components on the executors, many components per Python call
(connected components by label propagation in Spark SQL are here too, ``connected_components``,
for a graph that outgrows the driver). pyspark is imported only when a function here runs (the
``spark`` extra)."""

from resolution.spark.clustering import cluster_components, spark_hierarchy
from resolution.spark.components import connected_components
from resolution.spark.engine import (
    CANDIDATES,
    SparkBlocking,
    SparkScored,
    block_on_spark,
    score_on_spark,
    work_dir,
)
from resolution.spark.normalize import normalize_on_spark
from resolution.spark.profiles import profiles_on_spark
from resolution.spark.session import spark_session

__all__ = [
    "CANDIDATES",
    "SparkBlocking",
    "SparkScored",
    "block_on_spark",
    "cluster_components",
    "connected_components",
    "normalize_on_spark",
    "profiles_on_spark",
    "score_on_spark",
    "spark_hierarchy",
    "spark_session",
    "work_dir",
]
