"""The clustering's heavy part on Spark: connected components of the scored edges by label
propagation (``connected_components``), then dedupe's hierarchical clustering
(``resolution.linking.clustering.hierarchical``) of each component in ``applyInPandas``, on the
executors. The clusters come back in the order the local path yields them (components by their
smallest record, as scipy numbers them; within one, the order ``hierarchical`` yields), so
strong links, oversized clusters and decisions, applied after on the driver, give the same
clusters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from resolution.linking.clustering import MAX_COMPONENT, Hierarchy, hierarchical
from resolution.spark.components import connected_components

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_SCHEMA = "component long, cluster int, record_id long, confidence double"


def spark_hierarchy(spark: SparkSession, max_component: int = MAX_COMPONENT) -> Hierarchy:
    """A ``Hierarchy`` (``cluster_records(hierarchy=...)``) running on ``spark``."""

    def run(dupes: np.ndarray, threshold: float) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
        return cluster_components(spark, dupes, threshold, max_component)

    return run


def cluster_components(
    spark: SparkSession, dupes: np.ndarray, threshold: float, max_component: int
) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """``hierarchical(dupes, ...)``'s clusters, each component clustered on an executor."""
    from pyspark.sql import functions as F

    table = pa.table(
        {
            "record_id_l": pa.array(dupes["pairs"][:, 0], pa.int64()),
            "record_id_r": pa.array(dupes["pairs"][:, 1], pa.int64()),
            "score": pa.array(dupes["score"], pa.float32()),
        }
    )
    edges = spark.createDataFrame(table)
    labels = connected_components(edges, "record_id_l", "record_id_r")
    labelled = edges.join(
        labels.select(F.col("node").alias("record_id_l"), "component"), "record_id_l"
    )

    def cluster(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values(["record_id_l", "record_id_r"], kind="stable")
        part = np.empty(len(frame), dtype=[("pairs", "i8", 2), ("score", "f4")])
        part["pairs"][:, 0] = frame["record_id_l"].to_numpy()
        part["pairs"][:, 1] = frame["record_id_r"].to_numpy()
        part["score"] = frame["score"].to_numpy()
        rows: list[tuple[int, int, int, float]] = []
        component = int(frame["component"].iloc[0])
        for k, (ids, conf) in enumerate(
            hierarchical(part, threshold=threshold, max_component=max_component)
        ):
            rows.extend((component, k, int(i), float(c)) for i, c in zip(ids, conf, strict=True))
        return pd.DataFrame(rows, columns=["component", "cluster", "record_id", "confidence"])

    got = cast(
        pd.DataFrame, labelled.groupBy("component").applyInPandas(cluster, _SCHEMA).toPandas()
    )
    got = got.sort_values(["component", "cluster"], kind="stable")
    for _, members in got.groupby(["component", "cluster"], sort=False):
        yield (
            tuple(int(i) for i in members["record_id"]),
            members["confidence"].to_numpy(dtype=np.float64),
        )
