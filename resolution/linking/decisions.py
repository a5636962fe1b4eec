"""Operator decisions over the model's clusters (invariant 3): "not the same person" is never
merged by a run, and "same person" is never split by one, whatever the model scores.

The decisions themselves are kept by ``resolution.feedback.decisions``; here they arrive as
record-id pairs: must-link (same person) and cannot-link (not the same person).
"""

from __future__ import annotations

import logging

import polars as pl

from resolution.contract import CLUSTERS, conform
from resolution.feedback.decisions import DISTINCT, MATCH
from resolution.pairs import keys_to_ids, ordered_ids

log = logging.getLogger("edin")


def decision_pairs(
    decisions: pl.DataFrame, contacts: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Operator decisions (by contact key) as (record_id_l, record_id_r) pairs: (must-link,
    cannot-link). Pairs naming contacts no longer in the input are left out."""
    pairs = (
        keys_to_ids(decisions, contacts)
        .select(*ordered_ids(), "label")
        .sort("record_id_l", "record_id_r")
    )
    return (
        pairs.filter(pl.col("label") == MATCH).drop("label"),
        pairs.filter(pl.col("label") == DISTINCT).drop("label"),
    )


def drop_pairs(scored: pl.DataFrame, cannot_link: pl.DataFrame) -> pl.DataFrame:
    """``scored`` without the pairs an operator said are not the same person."""
    if cannot_link.height == 0:
        return scored
    return scored.join(
        cannot_link.select("record_id_l", "record_id_r"),
        on=["record_id_l", "record_id_r"],
        how="anti",
    )


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


Apart = dict[int, set[int]]
"""Record → the records an operator said are not the same person."""


def _clash(apart: Apart, xs: set[int], ys: set[int]) -> bool:
    return any(apart.get(x, set()) & ys for x in xs)


def enforce_decisions(
    clusters: pl.DataFrame,
    scored: pl.DataFrame,
    *,
    must_link: pl.DataFrame,
    cannot_link: pl.DataFrame,
    threshold: float,
) -> pl.DataFrame:
    """The clusters with the operator's decisions applied.

    ``must_link`` / ``cannot_link``: (record_id_l, record_id_r) pairs. Clusters holding a
    must-link pair's contacts are joined; a cluster then holding a cannot-link pair
    is split: its contacts (must-linked ones as one unit) go, in record order, to the part they
    are most strongly linked to that holds nothing they cannot be with, or start a new part.
    A must-link that contradicts cannot-links through other must-links is logged and skipped.
    ``cluster_id`` stays the smallest record_id of each cluster.
    """
    if must_link.height == 0 and cannot_link.height == 0:
        return clusters
    apart: Apart = {}
    for a, b in cannot_link.select("record_id_l", "record_id_r").iter_rows():
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)
    cluster_of = dict(clusters.select("record_id", "cluster_id").iter_rows())
    units, unit_members = _units(must_link, cluster_of, apart)
    weight: dict[tuple[int, int], float] = {
        (a, b): s
        for a, b, s in scored.filter(pl.col("score") >= threshold)
        .select("record_id_l", "record_id_r", "score")
        .iter_rows()
    }
    new_cluster: dict[int, int] = {}
    for rs in _joined(cluster_of, unit_members).values():
        for part in _split(rs, units, apart, weight):
            for r in part:
                new_cluster[r] = min(part)
    return _relabelled(clusters, new_cluster)


def _units(
    must_link: pl.DataFrame, cluster_of: dict[int, int], apart: Apart
) -> tuple[_Unions, dict[int, set[int]]]:
    """Must-linked contacts as units that are never split; a must-link that would put a
    cannot-link pair inside one unit conflicts with another decision and is skipped."""
    units = _Unions()
    unit_members: dict[int, set[int]] = {}
    for a, b in sorted(must_link.select("record_id_l", "record_id_r").iter_rows()):
        if a not in cluster_of or b not in cluster_of:
            continue
        ua, ub = units.find(a), units.find(b)
        if ua == ub:
            continue
        sa, sb = unit_members.get(ua, {ua}), unit_members.get(ub, {ub})
        if _clash(apart, sa, sb):
            log.warning(
                "operator decisions conflict: records %d and %d are 'same person' but "
                "that would join a 'not the same person' pair; not joined",
                a,
                b,
            )
            continue
        unit_members.pop(ua, None)
        unit_members.pop(ub, None)
        units.union(ua, ub)
        unit_members[units.find(a)] = sa | sb
    return units, unit_members


def _joined(cluster_of: dict[int, int], unit_members: dict[int, set[int]]) -> dict[int, set[int]]:
    """The clusters' records, with every cluster a must-link unit touches joined."""
    members: dict[int, set[int]] = {}
    for r, c in cluster_of.items():
        members.setdefault(c, set()).add(r)
    groups = _Unions()
    for unit in unit_members.values():
        first, *rest = sorted(cluster_of[r] for r in unit)
        for c in rest:
            groups.union(first, c)
    joined: dict[int, set[int]] = {}
    for c, rs in members.items():
        joined.setdefault(groups.find(c), set()).update(rs)
    return joined


def _split(
    rs: set[int], units: _Unions, apart: Apart, weight: dict[tuple[int, int], float]
) -> list[set[int]]:
    """``rs`` as it is, or split where it holds a cannot-link pair: each unit (in record
    order) goes to the part it is most strongly linked to that it may join, or starts one."""
    if not any(apart.get(r, set()) & rs for r in rs):
        return [rs]
    by_unit: dict[int, set[int]] = {}
    for r in rs:
        by_unit.setdefault(units.find(r), set()).add(r)
    parts: list[set[int]] = []
    for unit in sorted(by_unit.values(), key=min):
        best, best_w = None, 0.0
        for part in parts:
            if _clash(apart, unit, part):
                continue
            w = sum(weight.get((min(x, y), max(x, y)), 0.0) for x in unit for y in part)
            if w > best_w:
                best, best_w = part, w
        if best is None:
            parts.append(set(unit))
        else:
            best.update(unit)
    return parts


def _relabelled(clusters: pl.DataFrame, new_cluster: dict[int, int]) -> pl.DataFrame:
    """``clusters`` with the new cluster IDs and the statuses they imply."""
    changed = pl.DataFrame(
        {"record_id": list(new_cluster), "new_id": list(new_cluster.values())},
        schema={"record_id": pl.Int64, "new_id": pl.Int64},
    )
    out = clusters.join(changed, on="record_id", how="left").with_columns(
        pl.col("new_id").fill_null(pl.col("cluster_id")).alias("cluster_id")
    )
    return with_statuses(out)


def with_statuses(clusters: pl.DataFrame) -> pl.DataFrame:
    """``clusters`` (with new cluster IDs) with the statuses they imply: ``review`` stays,
    a cluster of two or more is ``clustered``, one alone a ``singleton``."""
    out = clusters.with_columns(
        pl.when(pl.col("status") == "review")
        .then(pl.col("status"))
        .when(pl.len().over("cluster_id") > 1)
        .then(pl.lit("clustered"))
        .otherwise(pl.lit("singleton"))
        .alias("status")
    )
    return conform(out.sort("record_id"), CLUSTERS, "clusters")
