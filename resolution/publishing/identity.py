"""Stable profile IDs across runs, and the ``id_map`` that keeps every published ID resolvable.

The rules (DESIGN.md, invariant 2), applied to the previous published snapshot's members and
the new clusters:

1. Every previously live ID ``P`` *claims* the new cluster holding the biggest part of its
   contacts (tie: the cluster whose smallest member key is smallest).
2. A cluster claimed by several IDs (a merge) takes the **oldest** of them: the one first
   published earliest (``first_run_id``; run IDs sort by time); among IDs first published by
   the same run, the one bringing the most contacts (so the fewest contacts change ID), then
   the smallest ID. The others are merged into it.
3. An ID whose claim was lost, or whose biggest part went into a cluster that kept another ID,
   takes its next biggest part that has no ID yet (so a profile that lost its biggest part
   keeps its ID on the rest); if there is none, it is merged into the ID of its biggest part.
4. A cluster left without an ID gets a new one: the hash of its smallest member key
   (``profile_id``), salted until it is neither live in this run nor live before it. An ID that
   was merged away or erased earlier is *revived* rather than replaced, so undoing a merge gives
   the old profile its old ID back.
5. A previously live ID none of whose contacts is left is erased.

Unchanged clusters therefore keep their IDs, and the same previous snapshot and clusters always
give the same IDs. ``id_map`` has one row per ID ever published: the ID it resolves to now
(``current_id``, null once erased), its ``status`` (live, merged, erased), the run that first
published it and the run that last changed the row (null here, stamped when publishing).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from resolution._typing import Key
from resolution.contract import ID_MAP, conform

LIVE, MERGED, ERASED = "live", "merged", "erased"


def profile_id(source: str, source_id: str, salt: int = 0) -> str:
    """A short, URL-safe ID derived from a contact key: ``p_`` + 16 base32 characters."""
    text = f"{source}\x1f{source_id}" + (f"\x1f{salt}" if salt else "")
    digest = hashlib.sha256(text.encode()).digest()
    return "p_" + base64.b32encode(digest[:10]).decode().lower()


@dataclass(frozen=True)
class Assignment:
    """Where each new cluster's ID came from.

    ``ids``: (cluster_id, profile_id). ``id_map``: the new map (see the module docstring).
    ``flows``: (from_id, to_id, contacts): how many contacts of each previously live profile
    are now in each new profile. ``merged_into``: previously live ID → its successor.
    """

    ids: pl.DataFrame
    id_map: pl.DataFrame
    flows: pl.DataFrame
    merged_into: dict[str, str]
    erased: tuple[str, ...]
    new_ids: tuple[str, ...]


def empty_id_map() -> pl.DataFrame:
    return pl.DataFrame(schema=ID_MAP)


def assign_ids(
    keys: pl.DataFrame,
    prev_members: pl.DataFrame | None = None,
    prev_id_map: pl.DataFrame | None = None,
) -> Assignment:
    """Stable IDs for the clusters in ``keys`` (cluster_id, source, source_id).

    ``prev_members`` (profile_id, source, source_id) and ``prev_id_map`` come from the previous
    published snapshot; without them every cluster gets a new ID.
    """
    if prev_members is None:
        prev_members = pl.DataFrame(
            schema={"profile_id": pl.String, "source": pl.String, "source_id": pl.String}
        )
    id_map = prev_id_map if prev_id_map is not None else empty_id_map()
    anchors = _anchors(keys)
    flows_by_cluster = (
        keys.join(
            prev_members.select("profile_id", "source", "source_id"), on=["source", "source_id"]
        )
        .group_by("profile_id", "cluster_id")
        .len()
        .rows()
    )
    overlaps: dict[str, list[tuple[int, int]]] = {}
    for pid, cid, n in flows_by_cluster:
        overlaps.setdefault(pid, []).append((cid, n))
    for pid in overlaps:
        overlaps[pid].sort(key=lambda cn: (-cn[1], anchors[cn[0]]))

    born = {p: f for p, f in id_map.select("profile_id", "first_run_id").iter_rows()}
    prev_status = {p: s for p, s in id_map.select("profile_id", "status").iter_rows()}
    prev_live = sorted(set(prev_members["profile_id"].unique().to_list()))
    for p in prev_live:  # a snapshot published before id_map existed: its IDs are live
        prev_status.setdefault(p, LIVE)
    best_overlap = {pid: ov[0][1] for pid, ov in overlaps.items()}

    def age(pid: str) -> tuple[str, int, str]:
        """Oldest first; among IDs first published by the same run, the one bringing more
        contacts (fewer contacts change ID), then the smallest."""
        return (born.get(pid) or "", -best_overlap.get(pid, 0), pid)

    assigned = _claimed(prev_live, overlaps, anchors, age)
    placed = set(assigned.values())
    new_ids = _new_ids(anchors, assigned, prev_status)
    merged_into: dict[str, str] = {}
    erased: list[str] = []
    for pid in prev_live:
        if pid in placed:
            continue
        if pid in overlaps:
            merged_into[pid] = assigned[overlaps[pid][0][0]]
        else:
            erased.append(pid)

    new_map = _next_id_map(id_map, prev_live, placed, new_ids, merged_into, erased)
    ids = pl.DataFrame(
        {"cluster_id": list(assigned), "profile_id": list(assigned.values())},
        schema={"cluster_id": pl.Int64, "profile_id": pl.String},
    )
    flows = pl.DataFrame(
        [(pid, assigned[cid], n) for pid, cid, n in flows_by_cluster],
        schema={"from_id": pl.String, "to_id": pl.String, "contacts": pl.Int64},
        orient="row",
    ).sort("from_id", "to_id")
    return Assignment(
        ids=ids.sort("cluster_id"),
        id_map=new_map,
        flows=flows,
        merged_into=merged_into,
        erased=tuple(erased),
        new_ids=tuple(new_ids),
    )


def _anchors(keys: pl.DataFrame) -> dict[int, Key]:
    """Each cluster's smallest member key: its tie-breaker and the seed of a new ID."""
    return {
        c: (s, i)
        for c, s, i in keys.group_by("cluster_id")
        .agg(pl.struct("source", "source_id").sort_by("source", "source_id").first().alias("k"))
        .select(
            "cluster_id", pl.col("k").struct.field("source"), pl.col("k").struct.field("source_id")
        )
        .iter_rows()
    }


def _claimed(
    prev_live: list[str],
    overlaps: dict[str, list[tuple[int, int]]],
    anchors: dict[int, Key],
    age: Callable[[str], tuple[str, int, str]],
) -> dict[int, str]:
    """Rules 1-3: cluster → the previously live ID it keeps."""
    assigned: dict[int, str] = {}
    claimants: dict[int, list[str]] = {}
    for pid in prev_live:
        if pid in overlaps:
            claimants.setdefault(overlaps[pid][0][0], []).append(pid)
    for cid in sorted(claimants, key=lambda c: anchors[c]):
        assigned[cid] = min(claimants[cid], key=age)
    placed = set(assigned.values())
    for pid in sorted((p for p in prev_live if p not in placed and p in overlaps), key=age):
        for cid, _ in overlaps[pid]:
            if cid not in assigned:
                assigned[cid] = pid
                placed.add(pid)
                break
    return assigned


def _new_ids(
    anchors: dict[int, Key], assigned: dict[int, str], prev_status: dict[str, str]
) -> list[str]:
    """Rule 4: an ID for every cluster left without one (added to ``assigned``); returns them."""
    taken = set(assigned.values())
    new_ids: list[str] = []
    for cid in sorted((c for c in anchors if c not in assigned), key=lambda c: anchors[c]):
        salt = 0
        while True:
            candidate = profile_id(*anchors[cid], salt=salt)
            if candidate not in taken and prev_status.get(candidate) in (None, MERGED, ERASED):
                break
            salt += 1
        assigned[cid] = candidate
        taken.add(candidate)
        new_ids.append(candidate)
    return new_ids


def _next_id_map(
    id_map: pl.DataFrame,
    prev_live: list[str],
    placed: set[str],
    new_ids: list[str],
    merged_into: dict[str, str],
    erased: list[str],
) -> pl.DataFrame:
    """Every ID ever published → where it resolves after this run; unchanged rows keep their
    ``run_id``, changed and new rows get null (stamped with this run's ID when publishing)."""
    old = {r["profile_id"]: r for r in id_map.iter_rows(named=True)}
    for pid in prev_live:  # bootstrap from a snapshot that predates id_map
        old.setdefault(
            pid,
            {
                "profile_id": pid,
                "current_id": pid,
                "status": LIVE,
                "first_run_id": None,
                "run_id": None,
            },
        )
    live_now = placed | set(new_ids)

    def resolve(target: str | None) -> tuple[str | None, str]:
        if target is None:
            return None, ERASED
        if target in live_now:
            return target, LIVE
        if target in merged_into:
            return merged_into[target], MERGED
        return None, ERASED  # its successor was erased in this run

    rows = []
    for pid in sorted(set(old) | live_now):
        before = old.get(pid)
        if pid in live_now:
            current, status = pid, LIVE
        else:
            current, status = resolve(before["current_id"] if before else None)
            if status == LIVE:
                status = MERGED
        if before is not None and (before["current_id"], before["status"]) == (current, status):
            run_id = before["run_id"]
        else:
            run_id = None
        rows.append(
            {
                "profile_id": pid,
                "current_id": current,
                "status": status,
                "first_run_id": before["first_run_id"] if before else None,
                "run_id": run_id,
            }
        )
    return conform(pl.DataFrame(rows, schema=ID_MAP), ID_MAP, "id_map")


def stamp_id_map(id_map: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """Rows this run added or changed (null run IDs) get the run's ID."""
    return id_map.with_columns(
        pl.col("first_run_id").fill_null(run_id), pl.col("run_id").fill_null(run_id)
    )
