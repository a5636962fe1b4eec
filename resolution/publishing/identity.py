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
from dataclasses import dataclass, field

import polars as pl

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
    ``settled``: see ``assign_ids``.
    """

    ids: pl.DataFrame
    id_map: pl.DataFrame
    flows: pl.DataFrame
    merged_into: dict[str, str]
    erased: tuple[str, ...]
    new_ids: tuple[str, ...]
    # (profile_id): previously live IDs whose cluster is exactly their previous contacts,
    # settled before the rules ran (``assign_ids``); empty when the rules weighed every cluster
    settled: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"profile_id": pl.String})
    )


def empty_id_map() -> pl.DataFrame:
    return pl.DataFrame(schema=ID_MAP)


def assign_ids(
    keys: pl.DataFrame,
    prev_members: pl.DataFrame | None = None,
    prev_id_map: pl.DataFrame | None = None,
    *,
    settle_unchanged: bool = True,
) -> Assignment:
    """Stable IDs for the clusters in ``keys`` (cluster_id, source, source_id).

    ``prev_members`` (profile_id, source, source_id) and ``prev_id_map`` come from the previous
    published snapshot; without them every cluster gets a new ID. The rules run as joins over
    every cluster; only the IDs that lost their claim (rule 3) go one by one, in age order.

    A cluster whose contacts are exactly those of one previously live profile (most of them,
    after a daily drop) keeps that profile's ID whatever the rules weigh elsewhere: nobody else
    claims it, and that ID claims nothing else. With ``settle_unchanged`` such clusters are
    settled first and the rules run over the others only (the same assignment: the rules
    compare clusters only within one previous ID's parts or one cluster's claimants, and the
    anchors' order is kept); without it, over every cluster.
    """
    if prev_members is None:
        prev_members = pl.DataFrame(schema=_MEMBER_KEYS)
    id_map = prev_id_map if prev_id_map is not None else empty_id_map()
    flows_by_cluster = (
        keys.join(prev_members.select(list(_MEMBER_KEYS)), on=["source", "source_id"])
        .group_by("profile_id", "cluster_id")
        .len()
        .with_columns(pl.col("len").cast(pl.Int64))
    )
    prev_live = prev_members.select(pl.col("profile_id").unique())
    if not settle_unchanged or not prev_members.height:
        return _assign(keys, flows_by_cluster, prev_live, id_map)
    same = _unchanged(keys, prev_members, flows_by_cluster, id_map)
    if not same.height:
        return _assign(keys, flows_by_cluster, prev_live, id_map)
    rest = _assign(
        keys.join(same, on="cluster_id", how="anti"),
        flows_by_cluster.join(same, on="cluster_id", how="anti"),
        prev_live.join(same, on="profile_id", how="anti"),
        id_map,
        settled=same,
    )
    return Assignment(
        ids=pl.concat([rest.ids, same.select("cluster_id", "profile_id")]).sort("cluster_id"),
        id_map=rest.id_map,
        flows=pl.concat(
            [
                rest.flows,
                same.select(
                    pl.col("profile_id").alias("from_id"),
                    pl.col("profile_id").alias("to_id"),
                    pl.col("len").alias("contacts"),
                ),
            ]
        ).sort("from_id", "to_id"),
        merged_into=rest.merged_into,
        erased=rest.erased,
        new_ids=rest.new_ids,
        settled=same.select("profile_id"),
    )


def _unchanged(
    keys: pl.DataFrame,
    prev_members: pl.DataFrame,
    flows_by_cluster: pl.DataFrame,
    id_map: pl.DataFrame,
) -> pl.DataFrame:
    """(cluster_id, profile_id, len): the clusters whose contacts are exactly the ``len``
    contacts of one previously live profile, live in ``id_map`` as itself."""
    sizes = keys.group_by("cluster_id").len().rename({"len": "_size"})
    prev_sizes = prev_members.group_by("profile_id").len().rename({"len": "_prev"})
    live = id_map.filter(
        (pl.col("status") == LIVE) & (pl.col("current_id") == pl.col("profile_id"))
    ).select("profile_id")
    return (
        flows_by_cluster.join(sizes, on="cluster_id")
        .join(prev_sizes, on="profile_id")
        .filter((pl.col("len") == pl.col("_size")) & (pl.col("len") == pl.col("_prev")))
        .join(live, on="profile_id", how="semi")
        .select("cluster_id", "profile_id", "len")
    )


def _assign(
    keys: pl.DataFrame,
    flows_by_cluster: pl.DataFrame,
    prev_live: pl.DataFrame,
    id_map: pl.DataFrame,
    settled: pl.DataFrame | None = None,
) -> Assignment:
    """The rules over the clusters of ``keys``: ``flows_by_cluster`` (profile_id, cluster_id,
    len) are their contacts' previous profiles, ``prev_live`` the previously live IDs whose
    contacts they hold. ``settled`` (cluster_id, profile_id): clusters kept out of the rules,
    each with the ID of the one previous profile whose contacts it holds (``assign_ids``);
    their IDs are taken for new ones, and their ``id_map`` rows stay as they are."""
    anchors = _anchors(keys)
    # each previous ID's parts, biggest first (tie: the cluster whose anchor is smallest)
    overlaps = flows_by_cluster.join(anchors.select("cluster_id", "rank"), on="cluster_id").sort(
        ["len", "rank"], descending=[True, False]
    )
    best = overlaps.group_by("profile_id", maintain_order=True).first()
    # rules 1-2: every previous ID claims its biggest part; of several claimants (a merge) the
    # oldest keeps it: first published earliest, then bringing more contacts (fewer contacts
    # change ID), then the smallest ID. Only claimants of the same cluster are compared.
    claims = best.with_columns(pl.len().over("cluster_id").alias("_claims"))
    contested = (
        claims.filter(pl.col("_claims") > 1)
        .join(id_map.select("profile_id", "first_run_id"), on="profile_id", how="left")
        .with_columns(pl.col("first_run_id").fill_null("").alias("_born"))
        .sort(["_born", "len", "profile_id"], descending=[False, True, False])
    )
    winners = pl.concat(
        [
            claims.filter(pl.col("_claims") == 1).select("cluster_id", "profile_id"),
            contested.group_by("cluster_id", maintain_order=True)
            .first()
            .select("cluster_id", "profile_id"),
        ]
    )
    # rule 3: an ID that lost its claim takes its next biggest part without an ID, if any
    losers = contested.filter(~pl.col("profile_id").is_in(winners["profile_id"].implode()))
    extra: dict[int, str] = {}
    if losers.height:
        taken = set(winners["cluster_id"].to_list())
        parts: dict[str, list[int]] = {}
        for pid, cid in (
            overlaps.filter(pl.col("profile_id").is_in(losers["profile_id"].implode()))
            .select("profile_id", "cluster_id")
            .iter_rows()
        ):
            parts.setdefault(pid, []).append(cid)
        for pid in losers["profile_id"]:  # in age order
            for cid in parts[pid]:
                if cid not in taken:
                    extra[cid] = pid
                    taken.add(cid)
                    break
    placed = pl.concat(
        [
            winners,
            pl.DataFrame(
                {"cluster_id": list(extra), "profile_id": list(extra.values())},
                schema={"cluster_id": pl.Int64, "profile_id": pl.String},
            ),
        ]
    )
    statuses = pl.concat(
        [
            id_map.select("profile_id", "status"),
            # a snapshot published before id_map existed: its IDs are live
            prev_live.join(id_map, on="profile_id", how="anti").select(
                "profile_id", pl.lit(LIVE).alias("status")
            ),
        ]
    )
    occupied = placed if settled is None else pl.concat([placed, settled.select(placed.columns)])
    fresh = _new_ids(anchors, occupied, statuses)
    ids = pl.concat([placed, fresh]).sort("cluster_id")
    # rule 5 and merges: a previous ID left without a cluster is merged into the ID of its
    # biggest part, or erased when none of its contacts is left
    gone = prev_live.join(placed, on="profile_id", how="anti").sort("profile_id")
    merged = (
        gone.join(best.select("profile_id", "cluster_id"), on="profile_id")
        .join(ids.rename({"profile_id": "to_id"}), on="cluster_id")
        .sort("profile_id")
    )
    merged_into = dict(merged.select("profile_id", "to_id").iter_rows())
    erased = gone.join(best, on="profile_id", how="anti").sort("profile_id")["profile_id"]
    new_ids = fresh["profile_id"].to_list()

    if settled is None:
        new_map = _next_id_map(id_map, prev_live, placed["profile_id"], new_ids, merged)
    else:
        # a row resolving to a settled profile (live, as it was) stays as it is: its own row,
        # and an ID merged into it earlier, unless revived now; the others are worked out as
        # over every cluster (settled profiles are live, and none needs a row of its own)
        live_here = pl.concat([placed["profile_id"], pl.Series(new_ids, dtype=pl.String)])
        stays = id_map.select(
            (
                pl.col("current_id").is_in(settled["profile_id"].implode())
                & ~pl.col("profile_id").is_in(live_here.implode())
                & ((pl.col("profile_id") == pl.col("current_id")) | (pl.col("status") == MERGED))
            ).fill_null(False)  # an erased ID resolves to nothing (null): it is worked out
        ).to_series()
        new_map = pl.concat(
            [
                conform(id_map.filter(stays), ID_MAP, "id_map"),
                _next_id_map(
                    id_map.filter(~stays),
                    prev_live.join(id_map.select("profile_id"), on="profile_id", how="anti"),
                    placed["profile_id"],
                    new_ids,
                    merged,
                    also_live=settled["profile_id"],
                ),
            ]
        ).sort("profile_id")

    flows = (
        flows_by_cluster.join(ids, on="cluster_id")
        .select(
            pl.col("profile_id").alias("from_id"),
            pl.col("profile_id_right").alias("to_id"),
            pl.col("len").alias("contacts"),
        )
        .sort("from_id", "to_id")
    )
    return Assignment(
        ids=ids,
        id_map=new_map,
        flows=flows,
        merged_into=merged_into,
        erased=tuple(erased.to_list()),
        new_ids=tuple(new_ids),
    )


_MEMBER_KEYS = {"profile_id": pl.String, "source": pl.String, "source_id": pl.String}


def _anchors(keys: pl.DataFrame) -> pl.DataFrame:
    """Each cluster's smallest member key (source, source_id), its tie-breaker and the seed of
    a new ID, with its ``rank`` in key order."""
    return (
        keys.sort("source", "source_id")
        .group_by("cluster_id", maintain_order=True)
        .first()
        .with_row_index("rank")
        .with_columns(pl.col("rank").cast(pl.Int64))
        .select("cluster_id", "source", "source_id", "rank")
    )


def _new_ids(anchors: pl.DataFrame, placed: pl.DataFrame, statuses: pl.DataFrame) -> pl.DataFrame:
    """Rule 4: (cluster_id, profile_id) for every cluster ``placed`` gives no ID, in anchor
    order. ``statuses`` is (profile_id, status) of every ID published before.

    The unsalted ID of each anchor is taken when none of them is taken or live (always, but
    for a hash collision); otherwise they are salted one by one, in anchor order."""
    free = anchors.join(placed, on="cluster_id", how="anti").sort("rank")
    rows = free.select("cluster_id", "source", "source_id").rows()
    candidates = pl.Series("profile_id", [profile_id(s, i) for _, s, i in rows], pl.String)
    cids = pl.Series("cluster_id", [r[0] for r in rows], pl.Int64)
    blocked = statuses.filter(~pl.col("status").is_in([MERGED, ERASED]))["profile_id"]
    occupied = pl.concat([placed["profile_id"], blocked]).implode()  # taken or live before
    hit = candidates.is_in(occupied)
    if not (candidates.is_duplicated().any() or hit.any()):
        return pl.DataFrame([cids, candidates])

    def clashing(ids: list[str]) -> set[str]:
        tried = pl.Series(ids, dtype=pl.String)
        return set(tried.filter(tried.is_in(occupied)).to_list())

    # the IDs the loop tries are looked up in one go (each anchor's, and salted once), not in
    # sets of every ID published before (0.3 s at a million contacts); any further salt is
    # looked up when tried
    once = [profile_id(s, i, salt=1) for _, s, i in rows]
    clash = set(candidates.filter(hit).to_list()) | clashing(once)
    known = set(candidates.to_list()) | set(once)
    taken: set[str] = set()
    new_ids: list[str] = []
    for _, source, source_id in rows:
        salt = 0
        while True:
            candidate = profile_id(source, source_id, salt=salt)
            if candidate not in known:
                known.add(candidate)
                clash |= clashing([candidate])
            if candidate not in taken and candidate not in clash:
                break
            salt += 1
        taken.add(candidate)
        new_ids.append(candidate)
    return pl.DataFrame([cids, pl.Series("profile_id", new_ids, pl.String)])


def _next_id_map(
    id_map: pl.DataFrame,
    prev_live: pl.DataFrame,
    placed: pl.Series,
    new_ids: list[str],
    merged: pl.DataFrame,
    also_live: pl.Series | None = None,
) -> pl.DataFrame:
    """Every ID ever published → where it resolves after this run; unchanged rows keep their
    ``run_id``, changed and new rows get null (stamped with this run's ID when publishing).
    ``also_live``: IDs live after this run besides ``placed`` and ``new_ids`` whose rows are
    not in ``id_map`` (kept elsewhere: ``assign_ids``' settled profiles)."""
    old = conform(id_map, ID_MAP, "id_map").with_columns(pl.lit(True).alias("_old"))
    # bootstrap from a snapshot that predates id_map
    boot = prev_live.join(old.select("profile_id"), on="profile_id", how="anti").select(
        "profile_id",
        pl.col("profile_id").alias("current_id"),
        pl.lit(LIVE).alias("status"),
        pl.lit(None, pl.String).alias("first_run_id"),
        pl.lit(None, pl.String).alias("run_id"),
        pl.lit(True).alias("_old"),
    )
    old = pl.concat([old, boot])
    live_now = pl.concat([placed, pl.Series("profile_id", new_ids, pl.String)]).to_frame()
    live = (
        live_now["profile_id"]
        if also_live is None
        else pl.concat([live_now["profile_id"], also_live])
    )
    successors = merged.select(
        pl.col("profile_id").alias("current_id"), pl.col("to_id").alias("_successor")
    )
    every = (
        pl.concat([old.select("profile_id"), live_now])
        .unique()
        .join(old, on="profile_id", how="left")
        .with_columns(
            pl.col("profile_id").is_in(live.implode()).alias("_live"),
            pl.col("current_id").is_in(live.implode()).alias("_target_live"),
        )
        .join(successors, on="current_id", how="left")
    )
    target = pl.col("current_id")
    current = (
        pl.when(pl.col("_live"))
        .then(pl.col("profile_id"))
        .when(target.is_null())
        .then(None)
        .when(pl.col("_target_live"))
        .then(target)
        .otherwise(pl.col("_successor"))  # null: its successor was erased in this run
    )
    status = (
        pl.when(pl.col("_live"))
        .then(pl.lit(LIVE))
        .when(target.is_null())
        .then(pl.lit(ERASED))
        .when(pl.col("_target_live") | pl.col("_successor").is_not_null())
        .then(pl.lit(MERGED))
        .otherwise(pl.lit(ERASED))
    )
    out = every.with_columns(current.alias("_current"), status.alias("_status"))
    same = (
        pl.col("_old").fill_null(False)
        & pl.col("current_id").eq_missing(pl.col("_current"))
        & (pl.col("status") == pl.col("_status"))
    )
    out = out.select(
        "profile_id",
        pl.col("_current").alias("current_id"),
        pl.col("_status").alias("status"),
        "first_run_id",
        pl.when(same).then(pl.col("run_id")).otherwise(None).alias("run_id"),
    ).sort("profile_id")
    return conform(out, ID_MAP, "id_map")


def stamp_id_map(id_map: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """Rows this run added or changed (null run IDs) get the run's ID."""
    return id_map.with_columns(
        pl.col("first_run_id").fill_null(run_id), pl.col("run_id").fill_null(run_id)
    )
