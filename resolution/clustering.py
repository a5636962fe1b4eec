"""Scoring candidate pairs in chunks and clustering them per connected component, with guards.

Scores come from the trained model; clusters from dedupe's hierarchical clustering, which runs
per connected component. A cluster larger than ``max_cluster_size`` is not published as one
profile: its contacts stay separate and the cluster is queued for review (invariant 6).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections.abc import Iterator

import duckdb
import numpy as np
import polars as pl
import scipy.cluster.hierarchy
import scipy.sparse
import scipy.sparse.csgraph
from dedupe.clustering import condensedDistance, confidences

from resolution.comparison import RecordColumns
from resolution.contract import (
    CLUSTERS,
    SCORED_PAIR_REASONS,
    SCORED_PAIRS,
    conform,
    conform_reasons,
)
from resolution.explanation import contributions, field_weights, reasons_frame
from resolution.fields import NAME_COUNT, Record
from resolution.model import MatchModel

log = logging.getLogger("edin")

# Pairs scoring below this are not kept: they can never join a cluster at any sane threshold.
# Nor are the pairs the name-only guard holds down: nothing but a name links them, no answer
# can move them, and they were four in five of the pairs scored at a million contacts (and
# three quarters of the clustering time) while changing no pairwise F1 by more than 0.003.
KEEP_SCORE = 0.05
# A connected component above this many records is split before its linkage (``_within_limit``).
MAX_COMPONENT = 5000


NAME_ONLY_GUARD = "name_only_guard"
"""The reason column of the name-only guard (``MatchModel.cap_name_only``)."""


def score_and_explain(con: duckdb.DuckDBPyConnection, model: MatchModel,
                      records: dict[int, Record], chunk: int
                      ) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Score every row of table ``candidate_pairs``: (scored_pairs, scored_pair_reasons) of the
    pairs scoring above the floor and not held by the name-only guard (``edin explain``
    re-scores those on demand), and how many the guard held. The reasons are each field's
    contribution to the logit, computed from the same distance features as the score (one
    extra small matrix product)."""
    candidates = con.sql("SELECT record_id_l, record_id_r FROM candidate_pairs "
                         "ORDER BY record_id_l, record_id_r").pl()
    table = RecordColumns(records, [*(s.name for s in model.specs), NAME_COUNT])
    fields, matrix = field_weights(model)
    fields = [*fields, NAME_ONLY_GUARD]
    kept: list[pl.DataFrame] = []
    held = 0
    started = time.monotonic()
    for done in range(0, candidates.height, chunk):
        rows = candidates.slice(done, chunk)
        left, right = rows["record_id_l"].to_numpy(), rows["record_id_r"].to_numpy()
        pairs = table.pairs(left, right)
        features = model.features(pairs)
        z = model.logit(features)
        raw = 1.0 / (1.0 + np.exp(-z))
        scores = model.cap_name_only(pairs, raw)
        # The name-only guard's pull, in logit units, so that the reasons still add up.
        guard = np.where(scores < raw, np.log(scores / (1.0 - scores)) - z, 0.0)
        keep = (scores >= KEEP_SCORE) & (guard == 0.0)
        held += int((guard != 0.0).sum())
        contrib = np.column_stack([contributions(features[keep], matrix), guard[keep]])
        kept.append(reasons_frame(left[keep], right[keep], scores[keep], contrib, fields))
        log.info("scored %d / %d pairs (%.0f pairs/s)", done + rows.height, candidates.height,
                 (done + rows.height) / max(time.monotonic() - started, 1e-9))
    log.info("%d candidate pairs held below the threshold by the name-only guard, not kept",
             held)
    if not kept:
        empty = reasons_frame(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0),
                              np.zeros((0, len(fields))), fields)
        return pl.DataFrame(schema=SCORED_PAIRS), empty, held
    reasons = conform_reasons(pl.concat(kept), SCORED_PAIR_REASONS, "scored_pair_reasons")
    return conform(reasons, SCORED_PAIRS, "scored_pairs"), reasons, held


def cluster_records(record_ids: pl.Series, scored: pl.DataFrame, *, threshold: float,
                    max_cluster_size: int, linked: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every record in exactly one cluster: (record_id, cluster_id, confidence, status).

    cluster_id is the smallest record_id in the cluster, so it depends on the input only.
    ``linked`` (pairs sharing an identifier, from ``identifier_links``) joins clusters along
    strong identifier links (``join_strong_links``).
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
        groups: list[list[int]] = []
        conf: dict[int, float] = {}
        for ids, confidences in hierarchical(dupes, threshold=threshold,
                                             max_component=MAX_COMPONENT):
            groups.append(sorted(int(i) for i in ids))
            conf.update(zip((int(i) for i in ids), (float(c) for c in confidences), strict=True))
        if linked is not None and linked.height:
            groups = join_strong_links(groups, edges, threshold=threshold, linked=linked)
        for members in groups:
            if len(members) > max_cluster_size:
                oversized += 1
                rows.extend((m, m, conf.get(m, 1.0), "review") for m in members)
            else:
                rows.extend((m, members[0], conf.get(m, 1.0), "clustered") for m in members)
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


def _components(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The connected component of each edge of ``pairs`` (n × 2 record ids): (edge order
    grouping the components, the indices where each component's edges start and stop)."""
    nodes, index = np.unique(pairs, return_inverse=True)
    index = index.reshape(pairs.shape)
    graph = scipy.sparse.coo_matrix((np.ones(len(pairs), dtype=np.int8),
                                     (index[:, 0], index[:, 1])), shape=(len(nodes),) * 2)
    _, node_label = scipy.sparse.csgraph.connected_components(graph, directed=False)
    edge_label = node_label[index[:, 0]]
    order = np.argsort(edge_label, kind="stable")
    bounds = np.flatnonzero(np.diff(edge_label[order])) + 1
    return order, np.concatenate(([0], bounds, [len(pairs)]))


def hierarchical(dupes: np.ndarray, *, threshold: float, max_component: int
                 ) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """dedupe's clustering (``dedupe.clustering.cluster``): centroid-linkage hierarchical
    clustering of each connected component, cut at ``1 - threshold``, a component of more
    than ``max_component`` records first split (``_within_limit``).

    The components come from scipy's sparse-graph search, not dedupe's union-find in Python,
    which it reruns over every edge of a large component at each re-filtering (on a million
    contacts, most of ten minutes). A split component keeps each part's own weaker edges,
    where dedupe drops them: on fake_20000 its re-filtering climbed to 0.99 and a third of the
    true pairs scoring above the threshold ended in different clusters.
    """
    for component in _component_edges(dupes):
        for part in _within_limit(component, max_component):
            if len(part) == 1:
                ((a, b),), (score,) = part["pairs"], part["score"]
                if score > threshold:
                    yield (int(a), int(b)), np.array([score, score])
            else:
                yield from _linkage_clusters(part, threshold)


def _component_edges(edges: np.ndarray) -> Iterator[np.ndarray]:
    """The edges of each connected component."""
    order, bounds = _components(edges["pairs"])
    for start, stop in itertools.pairwise(bounds):
        yield edges[order[start:stop]]


def _within_limit(component: np.ndarray, max_component: int) -> Iterator[np.ndarray]:
    """The component's edges in parts of at most ``max_component`` records: the records split
    as dedupe splits them (``_record_parts``), each part with every edge between its records."""
    records = np.unique(component["pairs"])
    if len(records) <= max_component:
        yield component
        return
    part_of = np.full(len(records), -1, dtype=np.int64)
    for k, part in enumerate(_record_parts(component, max_component)):
        part_of[np.searchsorted(records, part)] = k
    ends = part_of[np.searchsorted(records, component["pairs"])]
    inside = (ends[:, 0] == ends[:, 1]) & (ends[:, 0] >= 0)
    yield from _component_edges(component[inside]) if inside.any() else iter(())


def _record_parts(edges: np.ndarray, max_component: int) -> Iterator[np.ndarray]:
    """Record sets of at most ``max_component``: dedupe's re-filtering drops the edges below
    the score one logit above the weakest (at least two) and splits what falls apart, again
    until every part is small enough."""
    records = np.unique(edges["pairs"])
    if len(records) <= max_component:
        yield records
        return
    edges = np.sort(edges, order="score")
    weakest = float(edges["score"][0])
    raised = 1 / (1 + np.exp(-(np.log(weakest) - np.log(1 - weakest)) - 1))
    log.warning("a component of %d records is split above score %.3f", len(records), raised)
    kept = edges[max(int(np.searchsorted(edges["score"], raised)), 2):]
    if len(kept):
        for component in _component_edges(kept):
            yield from _record_parts(component, max_component)


def _linkage_clusters(component: np.ndarray, threshold: float
                      ) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    i_to_id, distances, n = condensedDistance(component)
    tree = scipy.cluster.hierarchy.linkage(distances, method="centroid")
    partition = scipy.cluster.hierarchy.fcluster(tree, 1 - threshold, criterion="distance")
    members: dict[int, list[int]] = {}
    for i, label in enumerate(partition):
        members.setdefault(int(label), []).append(i)
    squared = distances ** 2
    for cluster in members.values():
        if len(cluster) > 1:
            yield tuple(int(i_to_id[i]) for i in cluster), confidences(cluster, squared, n)


# A pair scoring this high is the same person even when the rest of its clusters disagree:
# dedupe's average linkage left apart contacts that shared an e-mail at 0.99 because a third
# contact of the person linked to only one of them (on 50,000 generated contacts, 2,845 true
# pairs sharing an identifier were split so).
STRONG_LINK = 0.9
# A single strong link between two groups of at least two contacts each is a bridge; it joins
# them only from this score (one shared value between two families is not one person).
BRIDGE_LINK = 0.99


def join_strong_links(groups: list[list[int]], edges: pl.DataFrame, *, threshold: float,
                      linked: pl.DataFrame) -> list[list[int]]:
    """``groups`` (sorted record-id lists) joined along strong pairs, sorted by first member.

    Records outside every group start as groups of one. Two groups join when a pair between
    them that shares an identifier (``linked``: record_id_l < record_id_r) scores at least
    ``STRONG_LINK`` and the pairs scored between them average at least
    ``threshold`` (dedupe's average linkage counts the pairs never compared, contacts that
    share nothing, as certain non-matches; this counts only the compared ones). The weak-bridge
    guard: two groups of two or more contacts joined by a single such pair scoring below
    ``BRIDGE_LINK`` stay apart.
    """
    group_of: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    for g in groups:
        members[g[0]] = list(g)
        for r in g:
            group_of[r] = g[0]
    # per pair of groups: [scored pairs, their score sum, strong pairs, best score]
    links: dict[tuple[int, int], list[float]] = {}
    shared = edges.join(linked.select("record_id_l", "record_id_r").unique()
                        .with_columns(pl.lit(True).alias("_shared")),
                        on=["record_id_l", "record_id_r"], how="left")
    for a, b, score, is_shared in shared.select("record_id_l", "record_id_r", "score",
                                                "_shared").iter_rows():
        for r in (a, b):
            if r not in group_of:
                group_of[r] = r
                members[r] = [r]
        ga, gb = sorted((group_of[a], group_of[b]))
        if ga == gb:
            continue
        link = links.setdefault((ga, gb), [0, 0.0, 0, 0.0])
        link[0] += 1
        link[1] += score
        if is_shared and score >= STRONG_LINK:
            link[2] += 1
            link[3] = max(link[3], score)
    # Agglomerate, strongest link first, recomputing the links of every joined group: joining
    # pair by pair (union-find) chained 18,000 fake_20000 records through look-alikes.
    nb: dict[int, dict[int, list[float]]] = {g: {} for g in members}
    for (ga, gb), link in links.items():
        nb[ga][gb] = link
        nb[gb][ga] = link

    def eligible(ga: int, gb: int) -> bool:
        count, total, strong, best = nb[ga][gb]
        if best < STRONG_LINK or total / count < threshold:
            return False
        bridge = strong == 1 and min(len(members[ga]), len(members[gb])) >= 2
        return not (bridge and best < BRIDGE_LINK)

    heap = [(-link[3], ga, gb) for (ga, gb), link in links.items() if eligible(ga, gb)]
    heapq.heapify(heap)
    while heap:
        _, ga, gb = heapq.heappop(heap)
        if ga not in nb or gb not in nb[ga] or not eligible(ga, gb):
            continue
        keep, gone = min(ga, gb), max(ga, gb)
        members[keep].extend(members.pop(gone))
        del nb[keep][gone]
        for k, link in nb.pop(gone).items():
            if k == keep:
                continue
            del nb[k][gone]
            mine = nb[keep].get(k)
            merged = link if mine is None else [mine[0] + link[0], mine[1] + link[1],
                                                mine[2] + link[2], max(mine[3], link[3])]
            nb[keep][k] = merged
            nb[k][keep] = merged
        for k in sorted(nb[keep]):
            if eligible(keep, k):
                heapq.heappush(heap, (-nb[keep][k][3], min(keep, k), max(keep, k)))
    return sorted((sorted(m) for m in members.values() if len(m) > 1), key=lambda m: m[0])


def identifier_links(contacts: pl.DataFrame,
                     columns: tuple[str, ...] = ("phones", "emails", "handles")) -> pl.DataFrame:
    """(record_id_l, record_id_r) pairs of contacts sharing a value of an identifier column
    (hub values are already removed from normalized_contacts)."""
    frames = []
    for c in columns:
        if c not in contacts.columns:
            continue
        df = contacts.select("record_id", pl.lit(c).alias("kind"), pl.col(c).alias("value"))
        if isinstance(df.schema["value"], pl.List):
            df = df.explode("value")
        frames.append(df.drop_nulls("value"))
    if not frames:
        return pl.DataFrame(schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64})
    values = pl.concat(frames)
    pairs = values.join(values, on=["kind", "value"], suffix="_r").filter(
        pl.col("record_id") < pl.col("record_id_r"))
    return pairs.select(pl.col("record_id").alias("record_id_l"), "record_id_r").unique().sort(
        "record_id_l", "record_id_r")


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
