"""Connected components in Spark SQL, with no graph library (GraphFrames' jar is fetched from a
repository at run time; this is plain DataFrames): the alternating large-star / small-star
label propagation of Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC
2014), which converges in O(log² n) rounds. Every node ends labelled by the smallest node of
its component, the ``cluster_id`` convention of ``resolution.linking.clustering``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

MAX_ROUNDS = 100


def connected_components(edges: DataFrame, src: str = "src", dst: str = "dst") -> DataFrame:
    """(node, component) for every node of ``edges`` (undirected, integer node ids), the
    component being its smallest node."""
    from pyspark.sql import functions as F

    e = (
        edges.select(F.col(src).alias("a"), F.col(dst).alias("b"))
        .where(F.col("a") != F.col("b"))
        .select(F.greatest("a", "b").alias("src"), F.least("a", "b").alias("dst"))
        .distinct()
        .localCheckpoint()
    )
    nodes = (
        edges.select(F.col(src).alias("node"))
        .union(edges.select(F.col(dst).alias("node")))
        .distinct()
    )
    for _ in range(MAX_ROUNDS):
        new = _small_star(_large_star(e)).localCheckpoint()
        changed = _changed(e, new)
        e = new
        if not changed:
            break
    else:  # pragma: no cover - the bound is far above log² of any real graph
        raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
    # Converged: a star per component, every edge (node, the component's smallest node).
    labels = e.select(F.col("src").alias("node"), F.col("dst").alias("component"))
    return nodes.join(labels, "node", "left").select(
        "node", F.coalesce("component", "node").alias("component")
    )


def _changed(old: DataFrame, new: DataFrame) -> bool:
    """Whether the edge sets differ (one job: a full outer join)."""
    from pyspark.sql import functions as F

    both = new.withColumn("in_new", F.lit(True)).join(
        old.withColumn("in_old", F.lit(True)), ["src", "dst"], "full_outer"
    )
    return bool(both.where(F.col("in_new").isNull() | F.col("in_old").isNull()).limit(1).count())


def _large_star(e: DataFrame) -> DataFrame:
    """Each node's larger neighbours linked to the smallest of its neighbourhood and itself."""
    from pyspark.sql import functions as F

    both = e.union(e.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    low = both.groupBy("src").agg(F.least(F.min("dst"), F.col("src")).alias("m"))
    return (
        both.join(low, "src")
        .where(F.col("dst") > F.col("src"))
        .select(F.col("dst").alias("src"), F.col("m").alias("dst"))
        .distinct()
    )


def _small_star(e: DataFrame) -> DataFrame:
    """Each node and its smaller neighbours linked to the smallest of them (edges src > dst)."""
    from pyspark.sql import functions as F

    low = e.groupBy("src").agg(F.min("dst").alias("m"))
    linked = e.join(low, "src")
    neighbours = linked.where(F.col("dst") != F.col("m")).select(
        F.col("dst").alias("src"), F.col("m").alias("dst")
    )
    itself = low.select("src", F.col("m").alias("dst"))
    return neighbours.union(itself).distinct()
