"""Scoring candidate pairs in chunks and clustering them per connected component, with guards.

Scores come from the trained model; clusters from dedupe's hierarchical clustering, which runs
per connected component. A cluster larger than ``max_cluster_size`` is not published as one
profile: its contacts stay separate and the cluster is queued for review (invariant 6).
"""

from __future__ import annotations

import logging
import time

import duckdb
import numpy as np
import polars as pl
from dedupe.clustering import cluster as dedupe_cluster

from resolution.contract import CLUSTERS, SCORED_PAIRS, conform
from resolution.fields import Record
from resolution.model import MatchModel

log = logging.getLogger("edin")

# Pairs scoring below this are not kept: they can never join a cluster at any sane threshold.
KEEP_SCORE = 0.05
# dedupe re-filters components above this many records with a raised threshold.
MAX_COMPONENT = 5000


def score_candidates(con: duckdb.DuckDBPyConnection, model: MatchModel,
                     records: dict[int, Record], chunk: int) -> pl.DataFrame:
    """Score every row of table ``candidate_pairs``; return the pairs scoring above the floor."""
    total = con.execute("SELECT count(*) FROM candidate_pairs").fetchall()[0][0]  # type: ignore[index]
    cursor = con.execute("SELECT record_id_l, record_id_r FROM candidate_pairs "
                         "ORDER BY record_id_l, record_id_r")
    kept: list[pl.DataFrame] = []
    done = 0
    started = time.monotonic()
    while True:
        rows = cursor.fetchmany(chunk)
        if not rows:
            break
        left = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        right = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        scores = model.score([(records[a], records[b]) for a, b in rows])
        keep = scores >= KEEP_SCORE
        kept.append(pl.DataFrame({"record_id_l": left[keep], "record_id_r": right[keep],
                                  "score": scores[keep]}))
        done += len(rows)
        log.info("scored %d / %d pairs (%.0f pairs/s)", done, total,
                 done / max(time.monotonic() - started, 1e-9))
    if not kept:
        return pl.DataFrame(schema=SCORED_PAIRS)
    return conform(pl.concat(kept), SCORED_PAIRS, "scored_pairs")


def cluster_records(record_ids: pl.Series, scored: pl.DataFrame, *, threshold: float,
                    max_cluster_size: int) -> pl.DataFrame:
    """Every record in exactly one cluster: (record_id, cluster_id, confidence, status).

    cluster_id is the smallest record_id in the cluster, so it depends on the input only.
    status is ``clustered``, ``singleton`` or ``review`` (member of an oversized cluster, published
    alone until an operator decides).
    """
    rows: list[tuple[int, int, float, str]] = []
    edges = scored.filter(pl.col("score") > 0).sort("record_id_l", "record_id_r")
    oversized = 0
    if edges.height:
        dupes = np.empty(edges.height, dtype=[("pairs", "i8", 2), ("score", "f4")])
        dupes["pairs"][:, 0] = edges["record_id_l"].to_numpy()
        dupes["pairs"][:, 1] = edges["record_id_r"].to_numpy()
        dupes["score"] = edges["score"].to_numpy()
        for ids, confidences in dedupe_cluster(dupes, threshold=threshold,
                                               max_components=MAX_COMPONENT):
            members = sorted(int(i) for i in ids)
            conf = dict(zip((int(i) for i in ids), (float(c) for c in confidences), strict=True))
            if len(members) > max_cluster_size:
                oversized += 1
                rows.extend((m, m, conf[m], "review") for m in members)
            else:
                rows.extend((m, members[0], conf[m], "clustered") for m in members)
    if oversized:
        log.warning("%d cluster(s) larger than %d contacts sent to review instead of published",
                    oversized, max_cluster_size)
    clustered = pl.DataFrame(rows, schema=CLUSTERS, orient="row")
    singles = (record_ids.to_frame("record_id")
               .join(clustered.select("record_id"), on="record_id", how="anti")
               .with_columns(pl.col("record_id").alias("cluster_id"),
                             pl.lit(1.0).alias("confidence"), pl.lit("singleton").alias("status")))
    out = pl.concat([clustered, conform(singles, CLUSTERS, "clusters")])
    return conform(out.sort("record_id"), CLUSTERS, "clusters")
