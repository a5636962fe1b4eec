"""The clustering's heavy part on Spark: dedupe's hierarchical clustering
(``resolution.linking.clustering.hierarchical``) of each connected component of the scored
edges, on the executors. The components are found on the driver, which holds the edges
(``cluster_records`` reads them from ``scored_pairs``), by the local path's sparse-graph search;
label propagation in Spark SQL (``resolution.spark.components``) stays for a graph that does
not fit one machine.

Components are not sent to Python one by one (one ``applyInPandas`` group per component cost
a Python call, a pandas frame and an Arrow round trip for each of hundreds of thousands of
mostly two-record components): they go to buckets by a hash of their number, every bucket
holding whole components, and one ``applyInArrow`` call per bucket clusters all of its
components with one ``hierarchical`` call, as the local path does over all of them. The
clusters come back in the order the local path yields them (components by their smallest
record, as scipy numbers them; within one, the order ``hierarchical`` yields, over the
component's edges in (record_id_l, record_id_r) order), so strong links, oversized clusters
and decisions, applied after on the driver, give the same clusters."""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pyarrow as pa

from resolution.linking.clustering import MAX_COMPONENT, Hierarchy, _components, hierarchical
from resolution.spark.frames import IPC_SCHEMA, collect_frames, ipc_bytes

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("edin")

BUCKET = "_bucket"
EDGES_PER_TASK = 250_000
"""Edges per bucket: a million contacts' two million scored edges in 8 tasks."""

_OUT = pl.Schema(
    {
        "component": pl.Int64(),
        "cluster": pl.Int64(),
        "position": pl.Int64(),
        "record_id": pl.Int64(),
        "confidence": pl.Float64(),
    }
)


def spark_hierarchy(spark: SparkSession, max_component: int = MAX_COMPONENT) -> Hierarchy:
    """A ``Hierarchy`` (``cluster_records(hierarchy=...)``) running on ``spark``."""

    def run(dupes: np.ndarray, threshold: float) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
        return cluster_components(spark, dupes, threshold, max_component)

    return run


def cluster_bucket(
    component: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    score: np.ndarray,
    threshold: float,
    max_component: int,
) -> pl.DataFrame:
    """``hierarchical`` over the edges (component number, left, right, score) of one bucket of
    whole components: rows (component, cluster, position, record_id, confidence), the clusters
    numbered in the order ``hierarchical`` yields them and their records placed in its order.

    One call over the whole bucket, as the local path makes one over all edges: its components
    are the bucket's (whole components), each clustered from its own edges in (left, right)
    order, exactly as the local path clusters it. (A call per component paid scipy's
    component search each time: 25.6 s against 0.8 s for a third of the 1M run's edges.)"""
    order = np.lexsort((right, left))
    edges = np.empty(len(order), dtype=[("pairs", "i8", 2), ("score", "f4")])
    edges["pairs"][:, 0] = left[order]
    edges["pairs"][:, 1] = right[order]
    edges["score"] = score[order]
    # every record of an edge is in that edge's component
    nodes, first = np.unique(np.concatenate([left, right]), return_index=True)
    node_component = np.concatenate([component, component])[first]
    out: dict[str, list[np.ndarray]] = {name: [] for name in _OUT}
    for k, (ids, conf) in enumerate(
        hierarchical(edges, threshold=threshold, max_component=max_component)
    ):
        records = np.asarray(ids, dtype=np.int64)
        n = len(records)
        label = node_component[np.searchsorted(nodes, records[0])]
        out["component"].append(np.full(n, label, dtype=np.int64))
        out["cluster"].append(np.full(n, k, dtype=np.int64))
        out["position"].append(np.arange(n, dtype=np.int64))
        out["record_id"].append(records)
        out["confidence"].append(np.asarray(conf, dtype=np.float64))
    if not out["component"]:
        return pl.DataFrame(schema=_OUT)
    return pl.DataFrame({name: np.concatenate(parts) for name, parts in out.items()}, schema=_OUT)


def cluster_components(
    spark: SparkSession,
    dupes: np.ndarray,
    threshold: float,
    max_component: int,
    edges_per_task: int = EDGES_PER_TASK,
) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """``hierarchical(dupes, ...)``'s clusters, in its order: the components found here, sent
    to about ``len(dupes) / edges_per_task`` buckets by a hash of their number, each bucket's
    components clustered in one Python call on an executor."""
    from pyspark.sql import functions as F

    started = time.perf_counter()
    # The edges are on the driver already (``cluster_records`` holds them): their components
    # come from the local path's own sparse-graph search, numbered as it numbers them, in
    # well under a second for millions of edges where label propagation in Spark SQL
    # (``connected_components``) took half a minute for 64,000 on local[2].
    order, bounds = _components(dupes["pairs"])
    component = np.empty(len(dupes), dtype=np.int64)
    component[order] = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    buckets = max(math.ceil(len(dupes) / edges_per_task), spark.sparkContext.defaultParallelism)
    table = pa.table(
        {
            "component": pa.array(component, pa.int64()),
            "record_id_l": pa.array(dupes["pairs"][:, 0], pa.int64()),
            "record_id_r": pa.array(dupes["pairs"][:, 1], pa.int64()),
            "score": pa.array(dupes["score"], pa.float32()),
        }
    )
    labelled = spark.createDataFrame(table).withColumn(
        BUCKET, F.pmod(F.xxhash64("component"), F.lit(buckets))
    )
    log.info(
        "spark: %d edges in %d components, %d buckets (%.1f s)",
        len(dupes),
        len(bounds) - 1,
        buckets,
        time.perf_counter() - started,
    )
    started = time.perf_counter()

    def cluster(bucket: pa.Table) -> pa.Table:
        got = cluster_bucket(
            bucket.column("component").to_numpy(),
            bucket.column("record_id_l").to_numpy(),
            bucket.column("record_id_r").to_numpy(),
            bucket.column("score").to_numpy(),
            threshold,
            max_component,
        )
        return pa.Table.from_batches([ipc_bytes(got)])

    frames = collect_frames(labelled.groupBy(BUCKET).applyInArrow(cluster, IPC_SCHEMA))
    log.info(
        "spark: %d buckets of components clustered in %.1f s",
        len(frames),
        time.perf_counter() - started,
    )
    if not frames:
        return
    got = pl.concat(frames).sort("component", "cluster", "position")
    ids = got["record_id"].to_numpy()
    confidence = got["confidence"].to_numpy()
    keys = got["component"].to_numpy(), got["cluster"].to_numpy()
    change = (np.diff(keys[0]) != 0) | (np.diff(keys[1]) != 0)
    bounds = np.concatenate(([0], np.flatnonzero(change) + 1, [len(ids)]))
    for start, stop in itertools.pairwise(bounds):
        yield tuple(int(i) for i in ids[start:stop]), confidence[start:stop]
