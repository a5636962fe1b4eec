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

from resolution.contract import (
    CLUSTERS,
    SCORED_PAIR_REASONS,
    SCORED_PAIRS,
    conform,
    conform_reasons,
)
from resolution.explanation import contributions, field_weights, logits, reasons_frame
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
    return score_and_explain(con, model, records, chunk)[0]


def score_and_explain(con: duckdb.DuckDBPyConnection, model: MatchModel,
                      records: dict[int, Record], chunk: int
                      ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Score every row of table ``candidate_pairs``: (scored_pairs, scored_pair_reasons) of the
    pairs scoring above the floor. The reasons are each field's contribution to the logit,
    computed from the same distance features as the score (one extra small matrix product)."""
    total = con.execute("SELECT count(*) FROM candidate_pairs").fetchall()[0][0]  # type: ignore[index]
    cursor = con.execute("SELECT record_id_l, record_id_r FROM candidate_pairs "
                         "ORDER BY record_id_l, record_id_r")
    fields, matrix = field_weights(model)
    kept: list[pl.DataFrame] = []
    done = 0
    started = time.monotonic()
    while True:
        rows = cursor.fetchmany(chunk)
        if not rows:
            break
        left = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        right = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        features = model.features([(records[a], records[b]) for a, b in rows])
        scores = 1.0 / (1.0 + np.exp(-logits(model, features)))
        keep = scores >= KEEP_SCORE
        kept.append(reasons_frame(left[keep], right[keep], scores[keep],
                                  contributions(features[keep], matrix), fields))
        done += len(rows)
        log.info("scored %d / %d pairs (%.0f pairs/s)", done, total,
                 done / max(time.monotonic() - started, 1e-9))
    if not kept:
        empty = reasons_frame(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0),
                              np.zeros((0, len(fields))), fields)
        return pl.DataFrame(schema=SCORED_PAIRS), empty
    reasons = conform_reasons(pl.concat(kept), SCORED_PAIR_REASONS, "scored_pair_reasons")
    return conform(reasons, SCORED_PAIRS, "scored_pairs"), reasons


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


def drop_pairs(scored: pl.DataFrame, cannot_link: pl.DataFrame) -> pl.DataFrame:
    """``scored`` without the pairs an operator said are not the same person."""
    if cannot_link.height == 0:
        return scored
    return scored.join(cannot_link.select("record_id_l", "record_id_r"),
                       on=["record_id_l", "record_id_r"], how="anti")


class _Unions:
    """Union-find over record IDs; the root of a set is its smallest member."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def enforce_decisions(clusters: pl.DataFrame, scored: pl.DataFrame, *,
                      must_link: pl.DataFrame, cannot_link: pl.DataFrame,
                      threshold: float) -> pl.DataFrame:
    """Operator decisions over the model's clusters (invariant 3).

    ``must_link`` / ``cannot_link``: (record_id_l, record_id_r) pairs. Clusters holding a
    must-link pair's contacts are joined; a cluster then holding a cannot-link pair
    is split: its contacts (must-linked ones as one unit) go, in record order, to the part they
    are most strongly linked to that holds nothing they cannot be with, or start a new part.
    A must-link that contradicts cannot-links through other must-links is logged and skipped.
    ``cluster_id`` stays the smallest record_id of each cluster.
    """
    if must_link.height == 0 and cannot_link.height == 0:
        return clusters
    cannot: dict[int, set[int]] = {}
    for a, b in cannot_link.select("record_id_l", "record_id_r").iter_rows():
        cannot.setdefault(a, set()).add(b)
        cannot.setdefault(b, set()).add(a)
    cluster_of = dict(clusters.select("record_id", "cluster_id").iter_rows())
    members: dict[int, set[int]] = {}
    for r, c in cluster_of.items():
        members.setdefault(c, set()).add(r)

    def clash(xs: set[int], ys: set[int]) -> bool:
        return any(cannot.get(x, set()) & ys for x in xs)

    # Must-linked contacts form units that are never split; a must-link that would put a
    # cannot-link pair inside one unit conflicts with another decision and is skipped.
    units = _Unions()
    unit_members: dict[int, set[int]] = {}
    for a, b in sorted(must_link.select("record_id_l", "record_id_r").iter_rows()):
        if a not in cluster_of or b not in cluster_of:
            continue
        ua, ub = units.find(a), units.find(b)
        if ua == ub:
            continue
        sa, sb = unit_members.get(ua, {ua}), unit_members.get(ub, {ub})
        if clash(sa, sb):
            log.warning("operator decisions conflict: records %d and %d are 'same person' but "
                        "that would join a 'not the same person' pair; not joined", a, b)
            continue
        unit_members.pop(ua, None)
        unit_members.pop(ub, None)
        units.union(ua, ub)
        unit_members[units.find(a)] = sa | sb
    # The clusters a unit touches are joined, then split again where a cannot-link pair is.
    groups = _Unions()
    for unit in unit_members.values():
        first, *rest = sorted(cluster_of[r] for r in unit)
        for c in rest:
            groups.union(first, c)
    joined: dict[int, set[int]] = {}
    for c, rs in members.items():
        joined.setdefault(groups.find(c), set()).update(rs)

    weight: dict[tuple[int, int], float] = {
        (a, b): s for a, b, s in scored.filter(pl.col("score") >= threshold)
        .select("record_id_l", "record_id_r", "score").iter_rows()}
    new_cluster: dict[int, int] = {}
    for rs in joined.values():
        if not any(cannot.get(r, set()) & rs for r in rs):
            for r in rs:
                new_cluster[r] = min(rs)
            continue
        by_unit: dict[int, set[int]] = {}
        for r in rs:
            by_unit.setdefault(units.find(r), set()).add(r)
        parts: list[set[int]] = []
        for unit in sorted(by_unit.values(), key=min):
            best, best_w = None, 0.0
            for part in parts:
                if clash(unit, part):
                    continue
                w = sum(weight.get((min(x, y), max(x, y)), 0.0) for x in unit for y in part)
                if w > best_w:
                    best, best_w = part, w
            if best is None:
                parts.append(set(unit))
            else:
                best.update(unit)
        for part in parts:
            for r in part:
                new_cluster[r] = min(part)
    changed = pl.DataFrame({"record_id": list(new_cluster), "new_id": list(new_cluster.values())},
                           schema={"record_id": pl.Int64, "new_id": pl.Int64})
    out = clusters.join(changed, on="record_id", how="left").with_columns(
        pl.col("new_id").fill_null(pl.col("cluster_id")).alias("cluster_id"))
    out = out.with_columns(pl.len().over("cluster_id").alias("_size")).with_columns(
        pl.when(pl.col("status") == "review").then(pl.col("status"))
        .when(pl.col("_size") > 1).then(pl.lit("clustered"))
        .otherwise(pl.lit("singleton")).alias("status"))
    return conform(out.sort("record_id"), CLUSTERS, "clusters")
